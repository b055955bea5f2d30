import { test } from "node:test";
import assert from "node:assert/strict";
import { Controller } from "./controller.js";
import { memoryLogger } from "./logger.js";
import { ExponentialRateLimiter } from "./rate-limiter.js";
import { StallingError, WaitingError, type ReconcileContext } from "./reconciler.js";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await tick(5);
  }
}

test("100 events for one key while its worker is busy give exactly one more reconcile", async () => {
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const c = new Controller({
    name: "dedup", workers: 4, log: memoryLogger().logger,
    reconciler: { reconcile: async () => { calls++; if (calls === 1) await gate; } },
  });
  c.start();
  c.enqueue("ns/a");
  await until(() => calls === 1);
  for (let i = 0; i < 100; i++) c.enqueue("ns/a");
  await tick(20);
  assert.equal(calls, 1, "never reconciled by two workers at once");
  release();
  await until(() => calls === 2);
  await tick(50);
  assert.equal(calls, 2);
  await c.stop();
});

test("a thrown error is retried with per-key backoff until it succeeds", async () => {
  const seen: number[] = [];
  const c = new Controller({
    name: "retry", workers: 1, log: memoryLogger().logger, rateLimiter: new ExponentialRateLimiter(5, 100),
    reconciler: {
      reconcile: async (ctx: ReconcileContext) => {
        seen.push(ctx.retries);
        if (seen.length < 4) throw new Error("transient");
      },
    },
  });
  c.start();
  c.enqueue("k");
  await until(() => seen.length === 4);
  assert.deepEqual(seen, [0, 1, 2, 3], "each attempt knows how many failures came before");
  await tick(50);
  assert.equal(seen.length, 4, "success stops the retries");
  assert.equal(c.queue.retries("k"), 0, "success forgets the failures");
  await c.stop();
});

test("requeueAfter is honoured; stalling errors are not retried; waiting errors requeue", async () => {
  const times: Record<string, number[]> = { a: [], s: [], w: [] };
  const c = new Controller({
    name: "results", workers: 2, log: memoryLogger().logger,
    reconciler: {
      reconcile: async (ctx: ReconcileContext) => {
        times[ctx.key]!.push(Date.now());
        if (ctx.key === "a" && times.a!.length < 3) return { requeueAfterMs: 30 };
        if (ctx.key === "s") throw new StallingError("InvalidSpec", "bad spec");
        if (ctx.key === "w" && times.w!.length < 2) throw new WaitingError("DependencyNotReady", "wait", 30);
        return undefined;
      },
    },
  });
  c.start();
  c.enqueue("a");
  c.enqueue("s");
  c.enqueue("w");
  await until(() => times.a!.length === 3 && times.w!.length === 2);
  await tick(100);
  assert.equal(times.a!.length, 3);
  assert.ok(times.a![1]! - times.a![0]! >= 25, "requeued after the delay, not at once");
  assert.equal(times.s!.length, 1, "a stalled key is not retried");
  assert.equal(times.w!.length, 2);
  assert.equal(c.queue.retries("w"), 0, "waiting is not a failure");
  await c.stop();
});

test("stop drains the reconcile in flight", async () => {
  let finished = false;
  const c = new Controller({
    name: "drain", workers: 1, log: memoryLogger().logger,
    reconciler: { reconcile: async () => { await tick(50); finished = true; } },
  });
  c.start();
  c.enqueue("k");
  await tick(10);
  await c.stop();
  assert.equal(finished, true);
});
