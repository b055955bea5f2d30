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

// Fair queueing: keys named "<group>/<n>", grouped by their prefix, as the Application controller
// groups apps by owning ApplicationSet or project.
const byPrefix = (key: string): string => key.slice(0, key.indexOf("/"));

async function drain(q: WorkQueue, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = (await q.get())!;
    out.push(key);
    q.done(key);
  }
  return out;
}

test("fair: one key of another group goes ahead of a burst of 10,000 waiting in one group", async () => {
  const q = new WorkQueue({ name: "t", groupOf: byPrefix });
  for (let i = 0; i < 10_000; i++) q.add(`burst/${i}`);
  const busy = [await q.get(), await q.get(), await q.get()]; // workers busy with the burst
  assert.deepEqual(busy, ["burst/0", "burst/1", "burst/2"], "FIFO inside the group");
  q.add("user/app");
  const next = [(await q.get())!, (await q.get())!];
  assert.ok(next.includes("user/app"), `handed out within two gets, got ${next.join(", ")}`);
  for (const k of [...busy, ...next]) q.done(k);
  const rest = await drain(q, 9_996);
  assert.deepEqual(rest, Array.from({ length: 9_996 }, (_, i) => `burst/${i + 4}`), "the burst keeps its order and loses nothing");
  assert.equal(q.length, 0);
});

test("fair: three groups are served in turn, each FIFO, until the smaller ones run out", async () => {
  const q = new WorkQueue({ name: "t", groupOf: byPrefix });
  for (let i = 0; i < 100; i++) q.add(`a/${i}`);
  for (let i = 0; i < 50; i++) q.add(`b/${i}`);
  for (let i = 0; i < 10; i++) q.add(`c/${i}`);
  const order = await drain(q, 160);
  assert.deepEqual(order.slice(0, 6), ["a/0", "b/0", "c/0", "a/1", "b/1", "c/1"], "one key per group per turn");
  const first30 = order.slice(0, 30).map(byPrefix);
  assert.deepEqual(["a", "b", "c"].map((g) => first30.filter((x) => x === g).length), [10, 10, 10], "equal shares while all three wait");
  assert.deepEqual(order.slice(30, 110).map(byPrefix), Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? "a" : "b")), "c done: a and b alternate");
  assert.deepEqual(order.slice(110).map(byPrefix), Array.from({ length: 50 }, () => "a"), "then a alone");
  for (const g of ["a", "b", "c"]) {
    const mine = order.filter((k) => byPrefix(k) === g);
    assert.deepEqual(mine, [...mine].sort((x, y) => Number(x.split("/")[1]) - Number(y.split("/")[1])), `${g} in FIFO order`);
  }
  assert.equal(new Set(order).size, 160, "every key once");
});

test("fair: a group that empties and comes back waits for the groups already in line", async () => {
  const q = new WorkQueue({ name: "t", groupOf: byPrefix });
  q.add("a/0");
  q.add("b/0");
  q.add("b/1");
  assert.equal(await q.get(), "a/0");
  q.done("a/0");
  q.add("a/1"); // a had nothing waiting: it joins behind b
  q.add("c/0");
  assert.deepEqual(await drain(q, 4), ["b/0", "a/1", "c/0", "b/1"]);
});

test("fair: dedup, no second worker and re-add during processing hold across groups", async () => {
  const q = new WorkQueue({ name: "t", groupOf: byPrefix });
  for (let i = 0; i < 3; i++) q.add("a/0");
  q.add("a/1");
  q.add("b/0");
  assert.equal(q.length, 3, "a/0 waits once");
  assert.equal(await q.get(), "a/0");
  q.add("a/0"); // changed while a worker has it
  assert.equal(await q.get(), "b/0");
  assert.equal(await q.get(), "a/1", "a/0 is not handed to a second worker");
  let again: string | undefined;
  void q.get().then((k) => { again = k; });
  await tick();
  assert.equal(again, undefined);
  q.done("a/0");
  await tick();
  assert.equal(again, "a/0", "queued again once its processing ended");
  for (const k of ["b/0", "a/1", "a/0"]) q.done(k);
  assert.equal(q.length, 0);
});

test("fair: the group is asked for when a key is queued, so a key that moved group waits in its new one", async () => {
  const group = new Map([["x", "a"]]);
  const asked: string[] = [];
  const q = new WorkQueue({ name: "t", groupOf: (k) => { asked.push(k); return group.get(k) ?? byPrefix(k); } });
  for (let i = 0; i < 5; i++) q.add(`a/${i}`);
  q.add("x");
  assert.equal(await q.get(), "a/0");
  assert.equal(await q.get(), "a/1");
  assert.equal(await q.get(), "a/2");
  assert.equal(await q.get(), "a/3");
  assert.equal(await q.get(), "a/4");
  assert.equal(await q.get(), "x", "x was behind a's keys in a");
  group.set("x", "b"); // e.g. the app's project changed
  for (let i = 5; i < 10; i++) q.add(`a/${i}`);
  q.add("x"); // while processing: queued at done()
  q.done("x");
  assert.equal(await q.get(), "a/5");
  assert.equal(await q.get(), "x", "now in group b, beside a's keys");
  assert.deepEqual(asked.filter((k) => k === "x"), ["x", "x"], "asked once per queueing, not per get");
});

test("fair: a delayed or rate-limited key joins its own group's turn, not the back of the burst", async () => {
  const q = new WorkQueue({ name: "t", groupOf: byPrefix, rateLimiter: new ExponentialRateLimiter(1, 1) });
  for (let i = 0; i < 1000; i++) q.add(`burst/${i}`);
  q.addAfter("b/late", 5);
  q.addRateLimited("c/failed");
  await tick(50);
  const next = [await q.get(), await q.get(), await q.get()];
  assert.deepEqual([...next].sort(), ["b/late", "burst/0", "c/failed"]);
  for (const k of next) q.done(k!);
  await q.shutdown();
});

test("fair: expedite still goes ahead of every group", async () => {
  const q = new WorkQueue({ name: "t", groupOf: byPrefix });
  for (let i = 0; i < 10; i++) q.add(`a/${i}`);
  for (let i = 0; i < 10; i++) q.add(`b/${i}`);
  q.expedite("b/9");
  q.expedite("c/0");
  assert.deepEqual(await drain(q, 4), ["b/9", "c/0", "a/0", "b/0"]);
  const rest = await drain(q, 17); // 21 keys in all
  assert.ok(!rest.includes("b/9"), "its normal copy is skipped");
  assert.equal(q.length, 0);
});

test("fair: 100,000 keys in 1,000 groups are each handed out once, in turns", async () => {
  const q = new WorkQueue({ name: "t", groupOf: byPrefix });
  // Group after group, as bursts arrive: all of g0's keys, then all of g1's …
  for (let g = 0; g < 1000; g++) for (let j = 0; j < 100; j++) q.add(`g${g}/${j}`);
  assert.equal(q.length, 100_000);
  const order = await drain(q, 100_000);
  assert.equal(new Set(order).size, 100_000);
  assert.ok(order.every((k, i) => k === `g${i % 1000}/${Math.floor(i / 1000)}`), "one key of each group in turn, each group FIFO");
  assert.equal(q.length, 0);
});

test("work duration and the work in progress reach the metrics: a key's time from get() to done(), and at any moment the sum and the oldest of the keys being processed", async () => {
  const worked: number[] = [];
  let read: (() => { unfinishedSeconds: number; longestSeconds: number }) | undefined;
  const q = new WorkQueue({
    name: "t",
    metrics: { depth: () => {}, added: () => {}, queued: () => {}, retried: () => {}, worked: (ms) => worked.push(ms), watchProcessing: (r) => { read = r; } },
  });
  assert.ok(read, "the queue registers its reader when it is built");
  assert.deepEqual(read(), { unfinishedSeconds: 0, longestSeconds: 0 }, "nothing in progress");
  q.add("a");
  q.add("b");
  const started = performance.now();
  const a = await q.get();
  const b = await q.get();
  assert.deepEqual([a, b], ["a", "b"]);
  const now = q.processingNow(started + 5_000);
  // Both were handed out just after `started`: each is just under 5 s old, together just under 10 s.
  assert.ok(now.longestSeconds > 4.5 && now.longestSeconds <= 5, `longest ${now.longestSeconds}`);
  assert.ok(now.unfinishedSeconds > 9 && now.unfinishedSeconds <= 10, `unfinished ${now.unfinishedSeconds}`);
  q.done("a");
  assert.equal(worked.length, 1, "one observation per done()");
  assert.ok(worked[0]! >= 0);
  q.done("a");
  assert.equal(worked.length, 1, "a second done() for a key not in progress observes nothing");
  const after = q.processingNow(started + 5_000);
  assert.ok(after.longestSeconds > 4.5 && after.unfinishedSeconds === after.longestSeconds, "only b is left in progress");
  q.done("b");
  assert.deepEqual(read(), { unfinishedSeconds: 0, longestSeconds: 0 });
  await q.shutdown();
});
