// The operation reconciler's common paths against the fake world (testdata/world.ts): a real git
// repository rendered by the directory plugin, an in-memory cluster. What the fake cluster does
// not model is listed in test/support/fake-cluster.ts; the e2e tests cover the real API server.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Application, OperationState } from "../../api/index.js";
import { missingProjectMessage } from "../../engine/sync/validate.js";
import { KubeApiError } from "../../kube/client.js";
import type { Write } from "../../../test/support/fake-cluster.js";
import { DEST_NAMESPACE, REPO_URL, World, clusterWrites, configMapYaml, describeWrite, liveConfigMap } from "./testdata/world.js";

type AppStatus = NonNullable<Application["status"]>;

function opState(w: World): OperationState {
  const state = (w.app().status as AppStatus | undefined)?.operationState;
  assert.ok(state, "the Application has an operationState");
  return state;
}

/** The operationState a pass persisted (its status write), whichever patch type carried it. */
function persistedState(pass: readonly Write[]): OperationState | undefined {
  const w = pass.find((x) => x.kind === "Application" && x.subresource === "status");
  if (!w) return undefined;
  if (Array.isArray(w.body)) {
    const op = (w.body as Array<{ path: string; value: unknown }>).find((o) => o.path === "/status/operationState");
    return op?.value as OperationState | undefined;
  }
  return (w.body as { status?: { operationState?: OperationState } }).status?.operationState;
}

/** Each result as `Kind/name:status:hookPhase`. */
function results(state: OperationState | undefined): string[] {
  return (state?.syncResult?.resources ?? []).map((r) => `${r.kind}/${r.name}:${r.status}:${r.hookPhase ?? ""}`);
}

const manualSync = (sync: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  operation: { sync: { revision: "main", ...sync }, initiatedBy: { username: "alice" }, ...extra },
});

test("operation: a sync applies the target wave by wave across passes, persists operationState each pass, and ends Succeeded with a history entry and .operation cleared", async () => {
  const w = await World.create({ files: { "app/a.yaml": configMapYaml("a", { wave: -1 }), "app/b.yaml": configMapYaml("b"), "app/c.yaml": configMapYaml("c", { wave: 1 }) } });
  try {
    const sha = await w.repos.resolveRevision(REPO_URL, "main");
    await w.editApp(manualSync());
    const passes = await w.runOperation();

    assert.deepEqual(passes.map((p) => p.map(describeWrite)), [
      // First pass: a dry run of every task before anything is applied, then the first wave.
      ["apply ConfigMap/a (dry run)", "apply ConfigMap/b (dry run)", "apply ConfigMap/c (dry run)", "apply ConfigMap/a", "patch/status Application/guestbook"],
      ["apply ConfigMap/b", "patch/status Application/guestbook"],
      // Last pass: `.operation` is cleared before the final state is written.
      ["apply ConfigMap/c", "patch Application/guestbook", "patch/status Application/guestbook"],
    ]);
    const states = passes.map(persistedState);
    assert.deepEqual(states.map((s) => s?.phase), ["Running", "Running", "Succeeded"]);
    assert.deepEqual(states.map(results), [
      ["ConfigMap/a:Synced:Running"],
      ["ConfigMap/a:Synced:Succeeded", "ConfigMap/b:Synced:Running"],
      ["ConfigMap/a:Synced:Succeeded", "ConfigMap/b:Synced:Succeeded", "ConfigMap/c:Synced:Succeeded"],
    ]);
    // The revision is pinned at the first pass and kept by every later one.
    assert.deepEqual(states.map((s) => s?.syncResult?.revision), [sha, sha, sha]);

    const app = w.app();
    assert.equal(app.operation, undefined);
    const final = opState(w);
    assert.equal(final.phase, "Succeeded");
    assert.equal(final.message, "successfully synced (no more tasks)");
    const history = (app.status as AppStatus).history ?? [];
    assert.deepEqual(history.map((h) => ({ id: h.id, revision: h.revision, source: h.source, initiatedBy: h.initiatedBy, deployStartedAt: h.deployStartedAt })), [
      { id: 0, revision: sha, source: { repoURL: REPO_URL, path: "app", targetRevision: "main" }, initiatedBy: { username: "alice" }, deployStartedAt: final.startedAt },
    ]);
    assert.deepEqual(w.cluster.names("ConfigMap"), ["a", "b", "c"].map((n) => `ConfigMap/${DEST_NAMESPACE}/${n}`));
    assert.equal(w.cluster.object("v1", "ConfigMap", DEST_NAMESPACE, "b")?.metadata.annotations?.["argocd.argoproj.io/tracking-id"], "guestbook:/ConfigMap:guestbook/b");
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.reason}: ${e.message}`), [
      "Normal OperationStarted: Initiated sync to main",
      `Normal OperationCompleted: Sync operation to ${sha} succeeded`,
      // The app was never refreshed before this sync: its end is its first status.
      "Normal ResourceUpdated: Updated sync status:  -> Synced",
      "Normal ResourceUpdated: Updated health status:  -> Healthy",
    ]);
    // The final write also carries the comparison after the sync (nothing left for a refresh to
    // write), so the operation does not ask for one: the write's watch event brings it.
    const status = app.status as AppStatus;
    assert.equal(status.sync?.status, "Synced", "the sync status after the sync is in the final write");
    assert.equal(status.sync?.revision, sha, "compared at the synced commit");
    assert.equal(status.health?.status, "Healthy");
    assert.deepEqual(status.resources?.map((r) => `${r.kind}/${r.name}:${r.status}`), ["ConfigMap/a:Synced", "ConfigMap/b:Synced", "ConfigMap/c:Synced"]);
    assert.ok(status.reconciledAt, "reconciledAt is set by that comparison");
    assert.deepEqual(w.refreshRequests, [], "no refresh asked for: the final write holds the comparison");
    assert.deepEqual(await w.refreshWrites(), [], "a refresh after the sync has nothing to write");
  } finally {
    await w.dispose();
  }
});

test("operation: a prune skips a resource marked Prune=false and prunes the others", async () => {
  const w = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, objects: [liveConfigMap("old"), liveConfigMap("keep", { syncOptions: "Prune=false" })] });
  try {
    await w.editApp(manualSync({ prune: true }));
    const passes = await w.runOperation();
    assert.deepEqual(passes.map((p) => p.map(describeWrite)), [
      ["apply ConfigMap/a (dry run)", "apply ConfigMap/a", "delete ConfigMap/old", "patch Application/guestbook", "patch/status Application/guestbook"],
    ]);
    assert.equal(passes[0]!.find((x) => x.verb === "delete")?.propagationPolicy, "Foreground");
    const state = opState(w);
    assert.equal(state.phase, "Succeeded");
    assert.deepEqual(state.syncResult?.resources?.map((r) => [r.name, r.status, r.message]), [
      ["a", "Synced", "configured"],
      ["keep", "PruneSkipped", "ignored (no prune)"],
      ["old", "Pruned", "pruned"],
    ]);
    assert.deepEqual(w.cluster.names("ConfigMap"), [`ConfigMap/${DEST_NAMESPACE}/a`, `ConfigMap/${DEST_NAMESPACE}/keep`]);
  } finally {
    await w.dispose();
  }
});

test("operation: an operation refused by its project (missing) ends in Error and writes nothing to the cluster", async () => {
  const w = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, project: null, objects: [liveConfigMap("old")] });
  try {
    await w.editApp(manualSync({ prune: true }));
    const passes = await w.runOperation();
    assert.deepEqual(passes.map((p) => p.map(describeWrite)), [["patch Application/guestbook", "patch/status Application/guestbook"]]);
    assert.deepEqual(clusterWrites(passes.flat()), [], "no write, not even a dry run, reaches the cluster");
    assert.equal(w.repos.checkouts, 0, "nothing is rendered");
    const state = opState(w);
    assert.deepEqual({ phase: state.phase, message: state.message }, { phase: "Error", message: missingProjectMessage("default") });
    assert.equal(w.app().operation, undefined);
    assert.deepEqual(w.cluster.names("ConfigMap"), [`ConfigMap/${DEST_NAMESPACE}/old`]);
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.reason}: ${e.message}`), [
      "Normal OperationStarted: Initiated sync to main",
      `Warning OperationCompleted: Sync operation failed: ${missingProjectMessage("default")}`,
    ]);
  } finally {
    await w.dispose();
  }
});

test("operation: a failed apply with a retry policy goes back to Running with retryCount, keeping .operation", async () => {
  const w = await World.create({ files: { "app/a.yaml": configMapYaml("a"), "app/b.yaml": configMapYaml("b") } });
  try {
    const sha = await w.repos.resolveRevision(REPO_URL, "main");
    const invalid = 'ConfigMap "b" is invalid: data: Too many keys';
    // The fake validates nothing; the apiserver's refusal is injected (dry runs still pass, as a
    // webhook that only checks real writes would let them).
    w.cluster.reject((x) => x.verb === "apply" && x.name === "b" && !x.dryRun, new KubeApiError(422, "Invalid", invalid));
    await w.editApp(manualSync({}, { retry: { limit: 2, backoff: { duration: "10s", factor: 2 } } }));

    // Pass 1 applies everything; b fails, so the step's success is reopened for the next pass.
    const before = w.cluster.writes.length;
    const first = await w.reconcileOperation();
    assert.deepEqual(w.cluster.writes.slice(before).map(describeWrite), [
      "apply ConfigMap/a (dry run)", "apply ConfigMap/b (dry run)", "apply ConfigMap/a", "apply ConfigMap/b -> error", "patch/status Application/guestbook",
    ]);
    assert.ok(first.requeueAfterMs !== undefined, "a reopened operation asks for another pass");
    assert.equal(opState(w).phase, "Running");
    assert.deepEqual(results(opState(w)), ["ConfigMap/a:Synced:Succeeded", "ConfigMap/b:SyncFailed:Failed"]);

    // Pass 2 sees the failure: the attempt failed and a retry is due, so it is Running again.
    const mid = w.cluster.writes.length;
    const second = await w.reconcileOperation();
    assert.deepEqual(w.cluster.writes.slice(mid).map(describeWrite), ["patch/status Application/guestbook"], "the failing pass writes nothing to the cluster");
    const state = opState(w);
    assert.equal(state.phase, "Running");
    assert.equal(state.retryCount, 1);
    assert.ok(state.finishedAt, "the failed attempt's finishedAt stays: it marks the wait for the retry");
    assert.match(state.message ?? "", /^one or more objects failed to apply, reason: ConfigMap "b" is invalid: data: Too many keys \(retry 1 of 2 in \d+ s\)$/);
    // The retry starts afresh at the pinned revision: the failed attempt's results are dropped.
    assert.deepEqual({ revision: state.syncResult?.revision, resources: state.syncResult?.resources }, { revision: sha, resources: undefined });
    assert.ok(second.requeueAfterMs !== undefined && second.requeueAfterMs > 0, "the retry waits for its backoff");
    assert.deepEqual(w.app().operation, { sync: { revision: "main" }, initiatedBy: { username: "alice" }, retry: { limit: 2, backoff: { duration: "10s", factor: 2 } } });
    assert.deepEqual(w.events.map((e) => e.reason), ["OperationStarted"], "no OperationCompleted while retries are left");

    // Another pass before the backoff is over (what a restarted controller does first) reads the
    // wait back from the status: nothing written, asked back for the time left.
    const early = w.cluster.writes.length;
    const third = await w.reconcileOperation();
    assert.deepEqual(w.cluster.writes.slice(early).map(describeWrite), [], "waiting writes nothing");
    assert.ok(third.requeueAfterMs !== undefined && third.requeueAfterMs > 0 && third.requeueAfterMs <= 10_000, `asked back within the backoff, got ${third.requeueAfterMs}`);
  } finally {
    await w.dispose();
  }
});
