import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationSource, Operation, OperationState, ResourceResult, RevisionHistory, SyncOperation } from "../../api/index.js";
import { evaluateResourceHealth } from "../health/index.js";
import { buildSyncPlan } from "./plan.js";
import { nextSyncStep } from "./step.js";
import {
  nextHistory,
  observationKinds,
  observationRefs,
  observeResources,
  operationSources,
  pruneConfirmed,
  retryOperation,
  retryWait,
  startOperation,
  unsupportedSyncFields,
} from "./operation.js";
import { loadYaml } from "./testdata/fixtures.js";
import type { KubeObject, ResourceRef } from "./types.js";

/** Plain JSON: keys holding undefined drop out, as they do in what the controller writes. */
const json = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

describe("startOperation (testdata/operation/start.yaml)", () => {
  const fx = loadYaml<{
    now: string;
    cases: Array<{
      name: string;
      operation?: Operation;
      stored?: OperationState;
      expect: { state?: OperationState; startedEvent?: string; resumed?: boolean };
    }>;
  }>("operation/start.yaml");
  for (const c of fx.cases) {
    it(c.name, () => {
      const before = JSON.stringify([c.operation, c.stored]);
      const out = startOperation(c.operation, c.stored, fx.now);
      assert.equal(JSON.stringify([c.operation, c.stored]), before, "the inputs are not modified");
      assert.equal(out.startedEvent, c.expect.startedEvent, "OperationStarted event");
      if (c.expect.resumed) assert.equal(out.state, c.stored, "the stored state is resumed as it is");
      else assert.deepEqual(json(out.state), c.expect.state, "state to run");
    });
  }
});

describe("operationSources (testdata/operation/sources.yaml)", () => {
  const cases = loadYaml<Array<{
    name: string;
    spec: Record<string, unknown>;
    sync: SyncOperation;
    syncResult?: OperationState["syncResult"];
    expect: { unchanged?: boolean; spec?: Record<string, unknown>; multiSource: boolean; revisions?: Array<string | null> };
  }>>("operation/sources.yaml");
  for (const c of cases) {
    it(c.name, () => {
      const app = { metadata: { name: "app" }, spec: c.spec };
      const before = JSON.stringify(app);
      const out = operationSources(app, { syncResult: c.syncResult }, c.sync);
      assert.equal(JSON.stringify(app), before, "the Application is not modified");
      if (c.expect.unchanged) assert.equal(out.app, app, "the spec's own sources are rendered");
      else {
        assert.notEqual(out.app, app, "a copy, not the cached object");
        assert.deepEqual(json(out.app.spec), c.expect.spec, "rendered spec");
        assert.deepEqual(out.app.metadata, app.metadata, "only the spec differs");
      }
      assert.equal(out.multiSource, c.expect.multiSource, "multiSource");
      const want = c.expect.revisions?.map((r) => r ?? undefined);
      assert.deepEqual(out.revisions, want, "pinned revisions");
    });
  }
});

describe("observations (testdata/operation/observations.yaml)", () => {
  const cases = loadYaml<Array<{
    name: string;
    tasks?: Array<{ ref: ResourceRef; version: string }>;
    results?: ResourceResult[];
    live?: KubeObject[];
    expect: { refs: string[]; kinds: string[]; lookups: string[]; observations: Record<string, unknown> };
  }>>("operation/observations.yaml");
  for (const c of cases) {
    it(c.name, () => {
      const refs = observationRefs(c.tasks ?? [], c.results);
      assert.deepEqual(refs.map((r) => `${r.apiVersion} ${r.key}`), c.expect.refs, "refs");
      assert.deepEqual(observationKinds(refs).map((k) => `${k.apiVersion} ${k.kind}`), c.expect.kinds, "kinds to watch");
      const lookups: string[] = [];
      const observations = observeResources(refs, (apiVersion, kind, namespace, name) => {
        lookups.push(`${apiVersion} ${kind} ${namespace ?? "-"} ${name}`);
        return (c.live ?? []).find((o) => o.apiVersion === apiVersion && o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name);
      }, (obj) => evaluateResourceHealth(obj).health);
      assert.deepEqual(lookups, c.expect.lookups, "cache lookups");
      assert.deepEqual(json(Object.fromEntries(observations)), c.expect.observations, "observations");
    });
  }

  it("the observations drive the step: a Progressing hook from an earlier step keeps the operation waiting", () => {
    const hook: KubeObject = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "migrate", namespace: "ns", annotations: { "argocd.argoproj.io/hook": "PreSync" } } };
    const plan = buildSyncPlan({ target: [hook], live: [], startedAt: "2026-11-23T10:00:00Z", revision: "aaaa" });
    const state: OperationState = {
      operation: { sync: {} }, phase: "Running", startedAt: "2026-11-23T10:00:00Z",
      syncResult: { revision: "aaaa", resources: [{ group: "batch", version: "v1", kind: "Job", namespace: "ns", name: "migrate", syncPhase: "PreSync", hookType: "PreSync", hookPhase: "Running", status: "Synced" }] },
    };
    const running = { ...hook, status: { active: 1 } };
    const observe = (live: KubeObject): ReturnType<typeof observeResources> => observeResources(
      observationRefs(plan.tasks, state.syncResult?.resources),
      (_v, _k, ns, name) => (ns === live.metadata.namespace && name === live.metadata.name ? live : undefined),
      (obj) => evaluateResourceHealth(obj).health,
    );
    assert.equal(nextSyncStep(plan, state, observe(running), { now: "2026-11-23T10:00:10Z" }).decision, "wait", "still running");
    const done = { ...hook, status: { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] } };
    assert.notEqual(nextSyncStep(plan, state, observe(done), { now: "2026-11-23T10:00:10Z" }).decision, "wait", "a completed hook moves the operation on");
  });
});

describe("nextHistory (testdata/operation/history.yaml)", () => {
  const fx = loadYaml<{
    now: string;
    cases: Array<{
      name: string;
      history?: RevisionHistory[];
      state: OperationState;
      multiSource?: boolean;
      revisions: string[];
      source?: ApplicationSource;
      sources?: ApplicationSource[];
      revisionHistoryLimit?: unknown;
      expect: RevisionHistory[] | null;
    }>;
  }>("operation/history.yaml");
  for (const c of fx.cases) {
    it(c.name, () => {
      const before = JSON.stringify(c.history);
      const out = nextHistory({
        history: c.history, state: c.state, now: fx.now, multiSource: c.multiSource ?? false, revisions: c.revisions,
        source: c.source, sources: c.sources, revisionHistoryLimit: c.revisionHistoryLimit,
      });
      assert.equal(JSON.stringify(c.history), before, "the stored history is not modified");
      if (c.expect === null) assert.equal(out, undefined, "no new history");
      else assert.deepEqual(json(out), c.expect, "history");
    });
  }
});

describe("retryOperation (testdata/operation/retry.yaml)", () => {
  const fx = loadYaml<{
    now: string;
    cases: Array<{ name: string; now?: string; state: OperationState; expect: { requeueAfterMs: number; state: OperationState } | null }>;
  }>("operation/retry.yaml");
  for (const c of fx.cases) {
    it(c.name, () => {
      const before = JSON.stringify(c.state);
      const out = retryOperation(c.state, Date.parse(c.now ?? fx.now));
      assert.equal(JSON.stringify(c.state), before, "the failed state is not modified");
      if (c.expect === null) {
        assert.equal(out, undefined, "no retry");
        return;
      }
      assert.ok(out, "a retry");
      assert.equal(out.requeueAfterMs, c.expect.requeueAfterMs, "wait");
      assert.deepEqual(json(out.state), c.expect.state, "state to persist");
      assert.equal(out.state.finishedAt, c.state.finishedAt, "the failed attempt's finishedAt marks the wait");
    });
  }
});

describe("retryWait: the wait for a retry is read back from the status (survives a restart)", () => {
  const operation = { sync: {}, retry: { limit: 3, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } } } as OperationState["operation"];
  const waiting: OperationState = { operation, phase: "Running", message: "boom (retry 2 of 3 in 10 s)", startedAt: "2026-11-23T10:00:00Z", finishedAt: "2026-11-23T10:01:00Z", retryCount: 2 };
  it("before finishedAt + backoff(retryCount - 1): the time left", () => {
    assert.deepEqual(retryWait(waiting, Date.parse("2026-11-23T10:01:04Z")), { waitMs: 6000 });
  });
  it("once due: the state without finishedAt, to persist as the attempt begins", () => {
    const out = retryWait(waiting, Date.parse("2026-11-23T10:01:10Z"));
    assert.ok(out && "begin" in out, "due");
    assert.equal("finishedAt" in out.begin, false, "finishedAt removed");
    assert.equal(out.begin.retryCount, 2, "the count stays");
    assert.equal(waiting.finishedAt, "2026-11-23T10:01:00Z", "the input is not modified");
  });
  it("a running attempt (no finishedAt), a first attempt (no retryCount) or a finished state: nothing to wait for", () => {
    const { finishedAt: _f, ...running } = waiting;
    assert.equal(retryWait(running, Date.parse("2026-11-23T10:01:04Z")), undefined);
    assert.equal(retryWait({ ...waiting, retryCount: 0 }, Date.parse("2026-11-23T10:01:04Z")), undefined);
    assert.equal(retryWait({ ...waiting, phase: "Failed" }, Date.parse("2026-11-23T10:01:04Z")), undefined);
  });
});

interface ConfirmationCase { name: string; since: string; annotations?: Record<string, string>; confirmed: boolean }

describe("Prune=confirm approval (testdata/confirmation.yaml)", () => {
  // A prune of a live object that asks for confirmation; the target keeps the plan non-empty.
  const target: KubeObject[] = [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns" } }];
  const live: KubeObject[] = [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "precious", namespace: "ns", annotations: { "argocd.argoproj.io/sync-options": "Prune=confirm" } } }];
  for (const c of loadYaml<ConfirmationCase[]>("confirmation.yaml")) {
    it(c.name, () => {
      const state: OperationState = { operation: { sync: { prune: true } }, phase: "Running", startedAt: c.since };
      const confirmed = pruneConfirmed(c.annotations, state);
      assert.equal(confirmed, c.confirmed, "pruneConfirmed");
      const plan = buildSyncPlan({ target, live, operation: { prune: true }, startedAt: "2026-12-06T10:00:00Z" });
      const step = nextSyncStep(plan, state, new Map(), { now: "2026-12-06T10:00:10Z", pruneConfirmed: confirmed });
      if (c.confirmed) {
        assert.ok(step.actions.some((a) => a.type === "prune" && a.ref.name === "precious"), `pruned: ${step.decision}`);
      } else {
        assert.equal(step.decision, "wait-confirmation", "the operation waits for an approval");
        assert.deepEqual(step.actions, [], "nothing applied or pruned");
      }
    });
  }
});

describe("unsupportedSyncFields", () => {
  it("refuses an operation carrying local manifests, naming the field", () => {
    assert.match(unsupportedSyncFields({ manifests: ["apiVersion: v1\nkind: ConfigMap"] }) ?? "", /^operation\.sync\.manifests: /);
  });
  it("lets an ordinary sync through", () => {
    assert.equal(unsupportedSyncFields({}), undefined);
    assert.equal(unsupportedSyncFields({ manifests: [] }), undefined, "an empty list asks for nothing");
    assert.equal(unsupportedSyncFields(undefined), undefined);
  });
});
