import { test } from "node:test";
import assert from "node:assert/strict";
import { Controller } from "./controller.js";
import { memoryLogger } from "./logger.js";
import { OperatorMetrics } from "./metrics.js";
import { ExponentialRateLimiter } from "./rate-limiter.js";
import { GenericError, StallingError, TerminalError, WaitingError, type ReconcileContext, type ReconcileResult } from "./reconciler.js";

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

/** Records the controller's calls to its queue instead of making them (no timers, no retries). */
function recordQueueOps(c: Controller): Map<string, string[]> {
  const ops = new Map<string, string[]>();
  const record = (key: string, op: string): void => { ops.set(key, [...(ops.get(key) ?? []), op]); };
  c.queue.addAfter = (key, delayMs) => record(key, `addAfter ${delayMs}`);
  c.queue.addRateLimited = (key) => record(key, "addRateLimited");
  c.queue.forget = (key) => record(key, "forget");
  return ops;
}

test("each reconcile outcome maps to its queue operations", async () => {
  const outcomes: Record<string, () => ReconcileResult | undefined> = {
    requeue: () => ({ requeueAfterMs: 30_000 }),
    ok: () => undefined,
    wait: () => { throw new WaitingError("DependencyNotReady", "project missing", 30_000); },
    wrappedWait: () => { throw new Error("render failed", { cause: new WaitingError("RepoNotReady", "no repo", 10_000) }); },
    stall: () => { throw new StallingError("InvalidSpec", "bad spec"); },
    terminal: () => { throw new TerminalError("cannot work"); },
    generic: () => { throw new GenericError("Conflict", "changed meanwhile"); },
    plain: () => { throw new Error("transient"); },
  };
  const { logger, lines } = memoryLogger();
  const c = new Controller({ name: "outcomes", workers: 2, log: logger, reconciler: { reconcile: async (ctx) => outcomes[ctx.key]!() } });
  const ops = recordQueueOps(c);
  c.start();
  for (const k of Object.keys(outcomes)) c.enqueue(k);
  await until(() => Object.keys(outcomes).every((k) => ops.has(k)));
  await c.stop();
  assert.deepEqual(Object.fromEntries(ops), {
    requeue: ["forget", "addAfter 30000"],
    ok: ["forget"],
    wait: ["forget", "addAfter 30000"],
    wrappedWait: ["forget", "addAfter 10000"],
    stall: ["forget"],
    terminal: ["forget"],
    generic: ["addRateLimited"],
    plain: ["addRateLimited"],
  }, "a wait is requeued like a requeueAfter and forgets the failures; stalls and terminal errors are not retried");
  const levelOf = (key: string): string[] => lines.filter((l) => l.key === key).map((l) => `${String(l.level)} ${String(l.msg)}`);
  assert.deepEqual(levelOf("wait").filter((l) => !l.startsWith("debug")), [], "a wait is not logged above debug");
  assert.ok(lines.some((l) => l.key === "wait" && l.level === "debug" && l.msg === "waiting" && l.reason === "DependencyNotReady"), "a wait says why at debug");
  assert.ok(levelOf("terminal").some((l) => l.startsWith("error")), `a terminal error is logged as an error: ${levelOf("terminal").join("; ")}`);
  assert.ok(lines.some((l) => l.key === "generic" && l.level === "error" && l.reason === "Conflict"), "a GenericError's reason is logged");
});

test("a stall is logged once until the key reconciles otherwise", async () => {
  let mode: "stall" | "other-stall" | "ok" = "stall";
  let calls = 0;
  const { logger, lines } = memoryLogger();
  const c = new Controller({
    name: "stalls", workers: 1, log: logger,
    reconciler: {
      reconcile: async () => {
        calls++;
        if (mode === "stall") throw new StallingError("InvalidSpec", "spec.destination is missing");
        if (mode === "other-stall") throw new StallingError("InvalidSpec", "spec.project is missing");
        return undefined;
      },
    },
  });
  c.start();
  const run = async (m: typeof mode): Promise<void> => {
    mode = m;
    const before = calls;
    c.enqueue("k");
    await until(() => calls === before + 1);
    await until(() => c.queue.processingCount === 0);
  };
  const warnings = (): number => lines.filter((l) => l.level === "warn" && l.msg === "reconcile stalled; not retrying until the object changes").length;
  await run("stall");
  await run("stall");
  await run("stall");
  assert.equal(warnings(), 1, "the same stall three times: one warning");
  await run("other-stall");
  assert.equal(warnings(), 2, "a different stall is said");
  await run("ok");
  await run("other-stall");
  assert.equal(warnings(), 3, "after a success the stall is said again");
  await c.stop();
  assert.equal(calls, 6, "a stalled key is reconciled only when queued again");
});

test("requeueAfter and a waiting error reconcile the key again; a stalled key is not retried", async () => {
  const calls: Record<string, number> = { a: 0, s: 0, w: 0 };
  const c = new Controller({
    name: "results", workers: 2, log: memoryLogger().logger,
    reconciler: {
      reconcile: async (ctx: ReconcileContext) => {
        calls[ctx.key]!++;
        if (ctx.key === "a" && calls.a! < 3) return { requeueAfterMs: 5 };
        if (ctx.key === "s") throw new StallingError("InvalidSpec", "bad spec");
        if (ctx.key === "w" && calls.w! < 2) throw new WaitingError("DependencyNotReady", "wait", 5);
        return undefined;
      },
    },
  });
  c.start();
  c.enqueue("a");
  c.enqueue("s");
  c.enqueue("w");
  await until(() => calls.a === 3 && calls.w === 2);
  await until(() => c.queue.processingCount === 0 && c.queue.length === 0);
  assert.equal(calls.s, 1, "a stalled key is not retried");
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

test("groupOf: with every worker busy on a burst, a key of another group is reconciled next", async () => {
  const order: string[] = [];
  let release!: () => void;
  let gate = new Promise<void>((r) => { release = r; });
  const c = new Controller({
    name: "fair", workers: 2, log: memoryLogger().logger, groupOf: (key) => key.split("/")[0]!,
    reconciler: { reconcile: async (ctx) => { order.push(ctx.key); await gate; } },
  });
  c.start();
  for (let i = 0; i < 500; i++) c.enqueue(`burst/app-${i}`);
  await until(() => order.length === 2);
  c.enqueue("hand/made");
  gate = Promise.resolve();
  release();
  await until(() => order.length === 501);
  assert.ok(order.indexOf("hand/made") <= 3, `taken by the next free worker, not after the burst (position ${order.indexOf("hand/made")})`);
  await c.stop();
});

test("queueName labels the workqueue_* series; the controller's own name stays on controller_runtime_*", async () => {
  const metrics = new OperatorMetrics({ defaultMetrics: false });
  const c = new Controller({ name: "application-refresh", queueName: "app_reconciliation_queue", workers: 1, log: memoryLogger().logger, metrics, reconciler: { reconcile: async () => {} } });
  c.start();
  c.enqueue("ns/a");
  const text = async (): Promise<string> => metrics.registry.metrics();
  for (let i = 0; i < 400 && !(await text()).includes('controller_runtime_reconcile_total{controller="application-refresh",result="success"} 1'); i++) await tick(5);
  const scrape = await text();
  assert.match(scrape, /^workqueue_adds_total\{name="app_reconciliation_queue"\} 1$/m);
  assert.match(scrape, /^workqueue_depth\{name="app_reconciliation_queue"\} 0$/m);
  assert.doesNotMatch(scrape, /workqueue_\w+\{name="application-refresh"/, "the controller's name is not a queue name");
  assert.match(scrape, /^controller_runtime_reconcile_total\{controller="application-refresh",result="success"\} 1$/m);
  await c.stop();
});
