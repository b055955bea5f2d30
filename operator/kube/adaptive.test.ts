import { test } from "node:test";
import assert from "node:assert/strict";
import { AdaptiveLimiter } from "./adaptive.js";
import { KubeApiError } from "./client.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("the limit grows while requests succeed quickly and never exceeds max", async () => {
  const lim = new AdaptiveLimiter({ initial: 2, max: 6, targetLatencyMs: 1000 });
  let peak = 0;
  await Promise.all(Array.from({ length: 200 }, () => lim.run(async () => {
    peak = Math.max(peak, lim.active);
    await tick(1);
  })));
  assert.equal(lim.currentLimit, 6);
  assert.ok(peak <= 6, `peak in flight ${peak}`);
  assert.ok(peak > 2, "concurrency increased beyond the initial limit");
});

test("429 answers halve the limit and are retried", async () => {
  const lim = new AdaptiveLimiter({ initial: 8, max: 8 });
  let calls = 0;
  const result = await lim.run(async () => {
    calls++;
    if (calls < 3) throw new KubeApiError(429, "TooManyRequests", "slow down");
    return "ok";
  });
  assert.equal(result, "ok");
  assert.equal(calls, 3);
  assert.equal(lim.decreases, 2);
  assert.equal(lim.currentLimit, 2);
  assert.equal(lim.active, 0);
});

test("slow answers reduce the limit; other errors propagate and free the slot", async () => {
  const lim = new AdaptiveLimiter({ initial: 8, targetLatencyMs: 5 });
  await lim.run(() => tick(20));
  assert.equal(lim.currentLimit, 4);
  await assert.rejects(lim.run(async () => { throw new KubeApiError(422, "Invalid", "bad"); }), /bad/);
  assert.equal(lim.active, 0);
});

test("slow start doubles the limit per window until the first cut, then grows by one", async () => {
  const lim = new AdaptiveLimiter({ initial: 4, max: 64, targetLatencyMs: 1000 });
  for (let i = 0; i < 4; i++) await lim.run(() => Promise.resolve());
  assert.equal(lim.currentLimit, 8, "one window of successes doubles the limit");
  for (let i = 0; i < 8; i++) await lim.run(() => Promise.resolve());
  assert.equal(lim.currentLimit, 16, "and again");
  let first = true;
  await lim.run(async () => {
    if (first) {
      first = false;
      throw new KubeApiError(429, "TooManyRequests", "slow down");
    }
  });
  assert.equal(lim.currentLimit, 8, "a 429 halves it and ends slow start");
  for (let i = 0; i < 8; i++) await lim.run(() => Promise.resolve());
  assert.equal(lim.currentLimit, 9, "then one more per window");
});

test("a burst of slow answers sent together cuts the limit once", async () => {
  const lim = new AdaptiveLimiter({ initial: 8, max: 8, targetLatencyMs: 5 });
  await Promise.all(Array.from({ length: 8 }, () => lim.run(() => tick(20))));
  assert.equal(lim.decreases, 1, "one cut for one burst");
  assert.equal(lim.currentLimit, 4, "halved once");
});

/** A call that runs until its gate is opened, recording when it started. */
function gated(started: string[], name: string): { run: () => Promise<string>; open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((r) => { open = r; });
  return { run: async () => { started.push(name); await gate; return name; }, open: () => open() };
}

test("low priority: a free slot goes to a waiting normal call first, whatever waited longer", async () => {
  const lim = new AdaptiveLimiter({ initial: 2, max: 2, lowShare: 1 });
  const started: string[] = [];
  const n1 = gated(started, "n1");
  const n2 = gated(started, "n2");
  const p1 = lim.run(n1.run);
  const p2 = lim.run(n2.run);
  const lows = Array.from({ length: 5 }, (_, i) => gated(started, `low${i}`));
  const lowDone = lows.map((l) => lim.run(l.run, { priority: "low" }));
  const n3 = gated(started, "n3");
  const p3 = lim.run(n3.run);
  await tick(1);
  assert.deepEqual(started, ["n1", "n2"], "the limit is full");
  assert.equal(lim.lowWaitingCount, 5);
  n1.open();
  await p1;
  await tick(1);
  assert.deepEqual(started, ["n1", "n2", "n3"], "n3 came after the low calls but runs first");
  n2.open();
  n3.open();
  await Promise.all([p2, p3]);
  for (const l of lows) l.open();
  assert.deepEqual(await Promise.all(lowDone), ["low0", "low1", "low2", "low3", "low4"], "none dropped");
  assert.deepEqual(started.slice(3), ["low0", "low1", "low2", "low3", "low4"], "FIFO within the low lane");
  assert.equal(lim.active, 0);
  assert.equal(lim.lowWaitingCount, 0);
});

test("low priority: at most the low share of the limit at once, the rest left for normal calls", async () => {
  const lim = new AdaptiveLimiter({ initial: 8, max: 8 }); // low share 0.25: 2 slots
  let lowPeak = 0;
  let low = 0;
  const lows = Array.from({ length: 50 }, () => lim.run(async () => {
    low++;
    lowPeak = Math.max(lowPeak, low);
    await tick(2);
    low--;
  }, { priority: "low" }));
  await tick(1);
  assert.equal(lim.active, 2, "two low calls in flight, six slots free");
  let normalStarted = 0;
  const normals = Array.from({ length: 6 }, () => lim.run(async () => { normalStarted++; await tick(5); }));
  await tick(1);
  assert.equal(normalStarted, 6, "normal calls start at once beside the low ones");
  await Promise.all([...lows, ...normals]);
  assert.equal(lowPeak, 2);
  assert.equal(lim.active, 0);
});

test("low priority: a failed or throttled low call frees its slot and the lane goes on", async () => {
  const lim = new AdaptiveLimiter({ initial: 4, max: 4, lowShare: 0.25 });
  let calls = 0;
  const throttled = lim.run(async () => {
    calls++;
    if (calls === 1) throw new KubeApiError(429, "TooManyRequests", "slow down");
    return "retried";
  }, { priority: "low" });
  const failed = assert.rejects(lim.run(async () => { throw new KubeApiError(422, "Invalid", "bad"); }, { priority: "low" }), /bad/);
  const after = lim.run(() => Promise.resolve("after"), { priority: "low" });
  assert.equal(await throttled, "retried");
  await failed;
  assert.equal(await after, "after");
  assert.equal(lim.active, 0);
  assert.equal(lim.lowWaitingCount, 0);
});

test("onWait hears of every call's wait for its slot, with its priority", async () => {
  const waits: Array<{ priority: string; ms: number }> = [];
  const lim = new AdaptiveLimiter({ initial: 1, max: 1, onWait: (ms, priority) => waits.push({ priority, ms }) });
  let release!: () => void;
  const first = lim.run(() => new Promise<void>((r) => { release = r; }));
  const second = lim.run(() => Promise.resolve(), { priority: "low" });
  await tick(0);
  assert.deepEqual(waits.map((w) => w.priority), ["normal"], "the second call is still waiting");
  release();
  await Promise.all([first, second]);
  assert.deepEqual(waits.map((w) => w.priority), ["normal", "low"]);
  assert.ok(waits.every((w) => w.ms >= 0));
});
