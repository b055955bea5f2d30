import { test } from "node:test";
import assert from "node:assert/strict";
import { WorkQueue } from "./workqueue.js";
import { ExponentialRateLimiter } from "./rate-limiter.js";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

test("a key added many times while queued is handed out once", async () => {
  const q = new WorkQueue({ name: "t" });
  for (let i = 0; i < 100; i++) q.add("a");
  q.add("b");
  assert.equal(q.length, 2);
  assert.equal(await q.get(), "a");
  assert.equal(await q.get(), "b");
  assert.equal(q.length, 0);
});

test("a key added while it is processing is queued again only after done()", async () => {
  const q = new WorkQueue({ name: "t" });
  q.add("a");
  const key = await q.get();
  assert.equal(key, "a");
  for (let i = 0; i < 100; i++) q.add("a"); // 100 events while the worker is busy
  assert.equal(q.length, 0, "must not be handed to a second worker");
  let second: string | undefined;
  void q.get().then((k) => { second = k; });
  await tick();
  assert.equal(second, undefined);
  q.done("a");
  await tick();
  assert.equal(second, "a", "the burst collapses into one more reconcile");
  q.done("a");
  assert.equal(q.length, 0);
});

test("addAfter keeps the earliest deadline per key", async () => {
  const q = new WorkQueue({ name: "t" });
  q.addAfter("a", 10_000);
  q.addAfter("a", 5);
  q.addAfter("a", 20_000);
  const got = await Promise.race([q.get(), tick(2_000).then(() => "timeout")]);
  assert.equal(got, "a");
  q.done("a");
  await q.shutdown();
});

test("addRateLimited backs off exponentially and forget resets it", () => {
  const limiter = new ExponentialRateLimiter(5, 1000);
  assert.deepEqual([limiter.when("k"), limiter.when("k"), limiter.when("k"), limiter.when("k")], [5, 10, 20, 40]);
  assert.equal(limiter.retries("k"), 4);
  for (let i = 0; i < 20; i++) limiter.when("k");
  assert.equal(limiter.when("k"), 1000, "capped");
  limiter.forget("k");
  assert.equal(limiter.when("k"), 5);
});

test("shutdown wakes waiting getters and waits for keys in flight", async () => {
  const q = new WorkQueue({ name: "t" });
  q.add("a");
  await q.get();
  const waiting = q.get();
  let finished = false;
  const shut = q.shutdown().then(() => { finished = true; });
  assert.equal(await waiting, undefined);
  await tick(10);
  assert.equal(finished, false, "key a is still being processed");
  q.done("a");
  await shut;
  assert.equal(finished, true);
  q.add("b");
  assert.equal(await q.get(), undefined, "no keys after shutdown");
});

test("expedite: a key goes ahead of a burst waiting in the normal lane, and its normal copy is not handed out again", async () => {
  const q = new WorkQueue({ name: "t" });
  for (let i = 0; i < 1000; i++) q.add(`app-${i}`);
  q.expedite("app-999"); // waiting at the back of the burst
  q.expedite("late"); // not queued before
  assert.equal(q.length, 1001, "one waiting key each, whatever lanes hold copies");
  assert.equal(await q.get(), "app-999");
  assert.equal(await q.get(), "late");
  const rest: string[] = [];
  for (let i = 0; i < 999; i++) rest.push((await q.get()) as string);
  assert.deepEqual(rest, Array.from({ length: 999 }, (_, i) => `app-${i}`), "the others keep their order");
  assert.equal(q.length, 0, "app-999's copy in the normal lane is skipped, not handed out twice");
  for (const k of ["app-999", "late", ...rest]) q.done(k);
});

test("expedite while the key is processing: never to a second worker, and first in line once done()", async () => {
  const q = new WorkQueue({ name: "t" });
  q.add("a");
  assert.equal(await q.get(), "a");
  q.add("x");
  q.add("y");
  q.expedite("a");
  q.add("a");
  assert.equal(await q.get(), "x", "x was waiting; a is still being processed");
  q.done("a");
  assert.equal(await q.get(), "a", "a goes ahead of y when its processing ends");
  assert.equal(await q.get(), "y");
  q.done("a");
  q.done("x");
  q.done("y");
  assert.equal(q.length, 0);
});

test("expedite hands the key straight to an idle worker", async () => {
  const q = new WorkQueue({ name: "t" });
  const next = q.get();
  q.expedite("a");
  assert.equal(await next, "a");
  q.done("a");
  assert.equal(q.length, 0);
});
