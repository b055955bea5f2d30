import { test } from "node:test";
import assert from "node:assert/strict";
import type { Application, OperationState, RetryStrategy } from "../../api/index.js";
import { syncWindowVerdict } from "../syncwindows.js";
import { nextRetry, retryDelayMs, selfHealDelayMs, shouldAutoSync, type AutoSyncDecision, type AutoSyncInput } from "./autosync.js";
import { loadSeed, loadYaml } from "./testdata/fixtures.js";

interface AutoSyncCase {
  name: string;
  seedApp?: string;
  input: Partial<Omit<AutoSyncInput, "now">> & { now?: string };
  expect: Partial<AutoSyncDecision>;
}

for (const c of loadYaml<AutoSyncCase[]>("autosync.yaml")) {
  const seed = c.seedApp ? loadSeed(c.seedApp) : [];
  test(`auto-sync: ${c.name}`, { skip: seed === undefined ? "seed fixtures not found" : false }, () => {
    const app = seed?.[0] as unknown as Application | undefined;
    const { now, ...rest } = c.input;
    const decision = shouldAutoSync({
      syncPolicy: app?.spec.syncPolicy,
      source: app?.spec.source,
      operationInProgress: false,
      deleting: false,
      revisions: [],
      resources: [],
      ...rest,
      now: Date.parse(now ?? "2026-11-23T10:00:00Z"),
    });
    for (const [key, want] of Object.entries(c.expect)) {
      assert.deepEqual(decision[key as keyof AutoSyncDecision], want, key);
    }
    if (!decision.sync) assert.equal(decision.operation, undefined);
  });
}

const backoff = loadYaml<{ selfHeal: Record<string, number>; retry: Array<{ name: string; retry?: RetryStrategy; delays: number[] }> }>("backoff.yaml");

test("self-heal backoff: min(2·3^(n-1), 300) s", () => {
  for (const [n, ms] of Object.entries(backoff.selfHeal)) assert.equal(selfHealDelayMs(Number(n)), ms, `attempts ${n}`);
  assert.equal(selfHealDelayMs(2, { durationMs: 1000, factor: 2, capMs: 10_000 }), 2000, "configurable");
});

for (const c of backoff.retry) {
  test(`retry backoff: ${c.name}`, () => {
    assert.deepEqual(c.delays.map((_, i) => retryDelayMs(c.retry, i)), c.delays);
  });
}

test("retry: limit, auto-sync default, finishedAt + backoff, no retry after terminate", () => {
  const failed = (over: Partial<OperationState>): OperationState => ({
    operation: { sync: {}, retry: { limit: 3, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } } },
    phase: "Failed",
    startedAt: "2026-11-23T10:00:00Z",
    finishedAt: "2026-11-23T10:01:00Z",
    ...over,
  });
  const at = Date.parse("2026-11-23T10:01:00Z");
  assert.deepEqual(nextRetry(failed({})), { retry: true, reason: "retry 1 of 3", retryAtMs: at + 5000, retryCount: 1 });
  assert.deepEqual(nextRetry(failed({ retryCount: 2 })), { retry: true, reason: "retry 3 of 3", retryAtMs: at + 20000, retryCount: 3 });
  assert.equal(nextRetry(failed({ retryCount: 3 })).retry, false);
  assert.equal(nextRetry(failed({ phase: "Succeeded" })).retry, false);
  assert.equal(nextRetry(failed({ message: "Operation terminated" })).retry, false);
  // No retry configured: a manual sync is not retried, an auto-sync up to 5 times.
  assert.equal(nextRetry(failed({ operation: { sync: {} } })).retry, false);
  const auto = (count: number): boolean => nextRetry(failed({ operation: { sync: {}, initiatedBy: { automated: true } }, retryCount: count })).retry;
  assert.deepEqual([0, 4, 5].map(auto), [true, true, false]);
  // A negative limit retries forever.
  assert.equal(nextRetry(failed({ operation: { sync: {}, retry: { limit: -1 } }, retryCount: 100 })).retry, true);
  assert.match(nextRetry(failed({ operation: { sync: {}, retry: { limit: 1, backoff: { duration: "soon" } } } })).reason, /invalid retry backoff/);
});

// ---- sync windows ----

const due = (over: Partial<AutoSyncInput> = {}): AutoSyncInput => ({
  syncPolicy: { automated: { prune: true } },
  operationInProgress: false,
  deleting: false,
  syncStatus: "OutOfSync",
  revisions: ["abc"],
  resources: [{ kind: "ConfigMap", name: "c", namespace: "ns", status: "OutOfSync" }],
  now: Date.parse("2026-03-29T00:30:00Z"),
  ...over,
});

const freeze = syncWindowVerdict({
  // 01:00-04:00 local on the night Berlin moves to summer time: 00:00Z to 03:00Z.
  windows: [{ kind: "deny", schedule: "0 1 * * *", duration: "3h", timeZone: "Europe/Berlin", namespaces: ["ns"] }],
  app: { name: "web" },
  destination: { server: "https://kubernetes.default.svc", namespace: "ns" },
  now: new Date("2026-03-29T00:30:00Z"),
  kind: "automated",
});

test("auto-sync: an active deny window holds back a due sync, says why, and requeues when it closes", () => {
  assert.equal(freeze.allowed, false, freeze.message);
  const d = shouldAutoSync(due({ syncWindow: freeze }));
  assert.equal(d.sync, false, "no sync inside the window");
  assert.equal(d.operation, undefined, "no operation");
  assert.equal(d.reason, "sync window");
  assert.deepEqual(d.condition, {
    type: "SyncError",
    message: 'automated sync is blocked by deny window 0 (schedule "0 1 * * *", duration 3h, timeZone Europe/Berlin) until 2026-03-29T03:00:00Z',
  });
  assert.equal(d.requeueAfterMs, 2.5 * 3600_000, "requeued at the window's end");
});

test("auto-sync: an allowing verdict, or none, leaves the decision as it was", () => {
  const open = syncWindowVerdict({ windows: [], app: { name: "web" }, destination: {}, now: new Date(), kind: "automated" });
  for (const syncWindow of [open, undefined]) {
    const d = shouldAutoSync(due(syncWindow ? { syncWindow } : {}));
    assert.equal(d.sync, true, `sync with ${JSON.stringify(syncWindow)}`);
    assert.equal(d.condition, undefined, "no condition");
    assert.equal(d.requeueAfterMs, undefined, "no requeue");
  }
});

test("auto-sync: a blocked verdict with no next change sets the condition without a requeue", () => {
  const d = shouldAutoSync(due({ syncWindow: { allowed: false, message: "automated sync is blocked: invalid sync window: spec.syncWindows[0].schedule: missing" } }));
  assert.equal(d.sync, false, "blocked");
  assert.equal(d.condition?.message, "automated sync is blocked: invalid sync window: spec.syncWindows[0].schedule: missing");
  assert.equal(d.requeueAfterMs, undefined, "nothing to wait for: the project's next change requeues the app");
});

test("auto-sync: the window is only reported for a sync that is due", () => {
  const synced = shouldAutoSync(due({ syncStatus: "Synced", syncWindow: freeze }));
  assert.equal(synced.condition, undefined, "Synced: nothing to hold back");
  assert.match(synced.reason, /Synced/, "the usual reason");
  const failed = shouldAutoSync(due({
    syncWindow: freeze,
    lastOperation: {
      operation: { sync: { revision: "abc" } }, phase: "Failed", message: "boom",
      startedAt: "2026-03-29T00:00:00Z", syncResult: { revision: "abc" },
    },
  }));
  assert.equal(failed.condition?.message, "Failed last sync attempt to abc: boom", "the failed attempt is the reason, not the window");
});
