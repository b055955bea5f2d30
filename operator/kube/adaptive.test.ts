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

// Fair turns in the normal lane: a call names its group as the Application writes do (the owning
// ApplicationSet or the project).
test("fair: a write of another group goes ahead of a burst of 10,000 waiting in one group", async () => {
  const lim = new AdaptiveLimiter({ initial: 1, max: 1 });
  const started: string[] = [];
  const holder = gated(started, "holder");
  const held = lim.run(holder.run, { group: "burst" });
  const burst = Array.from({ length: 10_000 }, (_, i) => lim.run(async () => { started.push(`burst/${i}`); }, { group: "burst" }));
  const probe = lim.run(async () => { started.push("probe"); }, { group: "probe" });
  await tick(1);
  assert.deepEqual(started, ["holder"], "the one slot is taken");
  assert.equal(lim.normalWaitingCount, 10_001);
  assert.equal(lim.waitingGroupCount, 2);
  holder.open();
  await Promise.all([held, probe, ...burst]);
  assert.deepEqual(started.slice(0, 3), ["holder", "burst/0", "probe"], "the probe waits one turn of the burst's group, not the burst");
  assert.deepEqual(started.filter((s) => s.startsWith("burst/")), Array.from({ length: 10_000 }, (_, i) => `burst/${i}`), "the burst keeps its order and loses nothing");
  assert.equal(lim.normalWaitingCount, 0);
  assert.equal(lim.waitingGroupCount, 0, "no group is kept once its calls have run");
});

test("fair: groups with calls waiting are served in turn, one call each, FIFO within a group", async () => {
  const lim = new AdaptiveLimiter({ initial: 1, max: 1 });
  const started: string[] = [];
  const holder = gated(started, "holder");
  const held = lim.run(holder.run);
  const calls = [["a", 3], ["b", 3], ["c", 1]].flatMap(([g, count]) => Array.from({ length: count as number }, (_, i) =>
    lim.run(async () => { started.push(`${g as string}${i}`); }, { group: g as string })));
  holder.open();
  await Promise.all([held, ...calls]);
  assert.deepEqual(started, ["holder", "a0", "b0", "c0", "a1", "b1", "a2", "b2"]);
});

test("fair: a group that empties and comes back waits behind the groups already in line", async () => {
  const lim = new AdaptiveLimiter({ initial: 1, max: 1 });
  const started: string[] = [];
  const holder = gated(started, "holder");
  const held = lim.run(holder.run);
  const first = [lim.run(async () => { started.push("a0"); }, { group: "a" })];
  const b = [0, 1].map((i) => lim.run(async () => { started.push(`b${i}`); }, { group: "b" }));
  holder.open();
  await first[0];
  // a's one call has run, so its group is gone; b1 is still waiting for its turn.
  const again = lim.run(async () => { started.push("a1"); }, { group: "a" });
  await Promise.all([held, again, ...b]);
  assert.deepEqual(started, ["holder", "a0", "b0", "b1", "a1"], "a came back after b was in line: no turn kept for an empty group");
});

test("fair: Events stay in the low lane, behind the normal calls of every group", async () => {
  const lim = new AdaptiveLimiter({ initial: 1, max: 1, lowShare: 1 });
  const started: string[] = [];
  const holder = gated(started, "holder");
  const held = lim.run(holder.run, { group: "a" });
  const event = lim.run(async () => { started.push("event"); }, { priority: "low", group: "c" });
  const normals = ["a", "b", "a"].map((g, i) => lim.run(async () => { started.push(`${g}${i}`); }, { group: g }));
  holder.open();
  await Promise.all([held, event, ...normals]);
  assert.deepEqual(started, ["holder", "a0", "b1", "a2", "event"]);
});

test("fair: a throttled write is retried in its group's line; nothing is lost or left waiting", async () => {
  const lim = new AdaptiveLimiter({ initial: 2, min: 1, max: 2 });
  const started: string[] = [];
  let throttle = true;
  const results = await Promise.all([
    lim.run(async () => {
      started.push("a0");
      if (throttle) {
        throttle = false;
        throw new KubeApiError(429, "TooManyRequests", "slow down");
      }
      return "a0";
    }, { group: "a" }),
    ...["b0", "b1", "a1"].map((name) => lim.run(async () => { started.push(name); await tick(1); return name; }, { group: name[0]! })),
  ]);
  assert.deepEqual(results, ["a0", "b0", "b1", "a1"], "every call ran once, the throttled one again");
  assert.equal(started.filter((s) => s === "a0").length, 2);
  assert.equal(lim.active, 0);
  assert.equal(lim.waitingGroupCount, 0);
});
