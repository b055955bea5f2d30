import { test } from "node:test";
import assert from "node:assert/strict";
import { heldSpec, LeaseObserver, microTime, newLease, releasedSpec, type Lease, type LeaseSpec } from "./lease.js";

const lease = (spec: LeaseSpec): Lease => newLease("ns", "l", spec);

/** An observer on a clock the test moves by hand. */
function observerAt(): { observer: LeaseObserver; advance: (ms: number) => void } {
  let now = 1_000;
  return { observer: new LeaseObserver(() => now), advance: (ms) => { now += ms; } };
}

test("a lease renewed by nobody expires leaseDuration after we first saw its renewTime, by our clock", () => {
  const { observer, advance } = observerAt();
  // The renewTime is from long ago by the writer's clock: skew does not matter, only our first sight.
  const l = lease({ holderIdentity: "other", leaseDurationSeconds: 10, renewTime: "2000-01-01T00:00:00.000000Z" });
  assert.deepEqual(observer.observe(l, 15_000), { holder: "other", expired: false }, "just seen: live");
  advance(9_999);
  assert.equal(observer.observe(l, 15_000).expired, false, "unchanged for less than the duration: live");
  advance(1);
  assert.equal(observer.observe(l, 15_000).expired, true, "unchanged for the full duration: expired");
});

test("a changed renewTime or holder restarts the count", () => {
  const { observer, advance } = observerAt();
  observer.observe(lease({ holderIdentity: "a", leaseDurationSeconds: 10, renewTime: "t1" }), 15_000);
  advance(8_000);
  assert.equal(observer.observe(lease({ holderIdentity: "a", leaseDurationSeconds: 10, renewTime: "t2" }), 15_000).expired, false, "renewed");
  advance(8_000);
  assert.equal(observer.observe(lease({ holderIdentity: "a", leaseDurationSeconds: 10, renewTime: "t2" }), 15_000).expired, false, "8 s since the renewal was seen");
  advance(2_000);
  assert.equal(observer.observe(lease({ holderIdentity: "b", leaseDurationSeconds: 10, renewTime: "t2" }), 15_000).expired, false, "a new holder with the same renewTime is a change too");
  advance(10_000);
  assert.equal(observer.observe(lease({ holderIdentity: "b", leaseDurationSeconds: 10, renewTime: "t2" }), 15_000).expired, true, "then unchanged for 10 s");
});

test("the fallback duration applies to a lease without one, and to a lease that does not exist", () => {
  const { observer, advance } = observerAt();
  observer.observe(lease({ holderIdentity: "a", renewTime: "t1" }), 4_000);
  advance(3_999);
  assert.equal(observer.observe(lease({ holderIdentity: "a", renewTime: "t1" }), 4_000).expired, false, "within the fallback");
  advance(1);
  assert.equal(observer.observe(lease({ holderIdentity: "a", renewTime: "t1" }), 4_000).expired, true, "past the fallback");

  const missing = observerAt();
  assert.deepEqual(missing.observer.observe(undefined, 5_000), { holder: "", expired: false }, "never created: counted from first sight");
  missing.advance(5_000);
  assert.deepEqual(missing.observer.observe(undefined, 5_000), { holder: "", expired: true }, "still not created a duration later");
});

test("our own write starts the count, not the next read of it", () => {
  const { observer, advance } = observerAt();
  observer.observe(lease({ holderIdentity: "me", leaseDurationSeconds: 10, renewTime: "t1" }), 15_000);
  advance(9_000);
  const written = heldSpec({ holderIdentity: "me", leaseDurationSeconds: 10, renewTime: "t1" }, "me", 10_000, new Date("2026-01-01T00:00:09Z"));
  observer.wrote(written);
  advance(9_000);
  assert.equal(observer.observe(lease(written), 15_000).expired, false, "9 s after our write");
  advance(1_000);
  assert.equal(observer.observe(lease(written), 15_000).expired, true, "10 s after our write, although first read back 1 s ago");
});

test("heldSpec: a take moves acquireTime and leaseTransitions, a renewal keeps them", () => {
  const t0 = new Date("2026-01-01T00:00:00Z");
  const t1 = new Date("2026-01-01T00:00:05Z");
  const created = heldSpec(undefined, "a", 9_500, t0);
  assert.deepEqual(created, { holderIdentity: "a", leaseDurationSeconds: 10, renewTime: microTime(t0), acquireTime: microTime(t0), leaseTransitions: 0 }, "a new lease: duration rounded up to whole seconds");
  const renewed = heldSpec(created, "a", 9_500, t1);
  assert.deepEqual(renewed, { ...created, renewTime: microTime(t1) }, "a renewal changes only renewTime");
  const taken = heldSpec({ ...created, holderIdentity: "" }, "b", 9_500, t1);
  assert.deepEqual(taken, { holderIdentity: "b", leaseDurationSeconds: 10, renewTime: microTime(t1), acquireTime: microTime(t1), leaseTransitions: 1 }, "a released lease taken by b");
  assert.equal(heldSpec(taken, "a", 9_500, t1).leaseTransitions, 2, "taken from b by a");
  assert.equal(microTime(t1), "2026-01-01T00:00:05.000000Z", "MicroTime has six fraction digits");
});

test("releasedSpec: free with a one-second duration, or handed straight to another holder", () => {
  const t = new Date("2026-01-01T00:01:00Z");
  const held: LeaseSpec = { holderIdentity: "a", leaseDurationSeconds: 10, renewTime: "x", acquireTime: "y", leaseTransitions: 3 };
  assert.deepEqual(releasedSpec(held, undefined, t), { ...held, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(t) });
  assert.deepEqual(releasedSpec(held, "b", t), { ...held, holderIdentity: "b", acquireTime: microTime(t), renewTime: microTime(t), leaseTransitions: 4 });
});
