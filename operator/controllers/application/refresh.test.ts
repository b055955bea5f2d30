// The refresh reconciler's common paths against the fake world (testdata/world.ts): a real git
// repository rendered by the directory plugin, an in-memory cluster. What the fake cluster does
// not model is listed in test/support/fake-cluster.ts; the e2e tests cover the real API server.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Application, OperationState } from "../../api/index.js";
import { KubeApiError } from "../../kube/client.js";
import { CONTROL_NAMESPACE, DEST_NAMESPACE, REPO_URL, World, application, clusterWrites, configMapYaml, describeWrite, liveConfigMap } from "./testdata/world.js";
import { foldedStatusPatch, periodicHardRefresh, statusTransitionMessages } from "./refresh.js";
import { appHealthStatusSeries, appInfoSeries } from "./metrics.js";
import { NOTIFICATIONS_CATALOGUE } from "../../engine/notifications/catalogue.js";
import { parseNotificationsConfig } from "../../engine/notifications/config.js";
import { planNotifications } from "../../engine/notifications/plan.js";
import { notifyEvaluator } from "../../notifications/wasm.js";

type AppStatus = NonNullable<Application["status"]>;

const files = { "app/a.yaml": configMapYaml("a"), "app/b.yaml": configMapYaml("b") };

/** Runs one refresh and returns its result and the writes it made. */
async function refresh(w: World): Promise<{ result: unknown; writes: string[] }> {
  const before = w.cluster.writes.length;
  const result = await w.reconcileRefresh();
  return { result, writes: w.cluster.writes.slice(before).map(describeWrite) };
}

function status(w: World): AppStatus {
  return w.app().status as AppStatus;
}

function sync(w: World): NonNullable<AppStatus["sync"]> {
  const s = status(w).sync;
  assert.ok(s, "the status has a sync section");
  return s;
}

/** Each listed resource as `Kind/name:status[:health]`. */
function resources(w: World): string[] {
  return (status(w).resources ?? []).map((r) => `${r.kind}/${r.name}:${r.status}${r.health ? `:${r.health.status}` : ""}`);
}

test("refresh: Missing and OutOfSync, then Synced and Healthy once the resources exist, then OutOfSync on drift; an unchanged refresh writes nothing", async () => {
  const w = await World.create({ files });
  try {
    const sha = await w.repos.resolveRevision(REPO_URL, "main");

    const first = await refresh(w);
    assert.deepEqual(first, { result: {}, writes: ["patch/status Application/guestbook"] });
    assert.equal(sync(w).status, "OutOfSync");
    assert.equal(sync(w).revision, sha);
    assert.deepEqual(sync(w).comparedTo, { source: { repoURL: REPO_URL, path: "app", targetRevision: "main" }, destination: { server: "https://kubernetes.default.svc", namespace: DEST_NAMESPACE } });
    assert.deepEqual({ status: status(w).health?.status, message: status(w).health?.message }, { status: "Missing", message: "None of the 2 target resources exist" });
    assert.deepEqual(resources(w), ["ConfigMap/a:OutOfSync", "ConfigMap/b:OutOfSync"]);
    assert.equal(status(w).sourceType, "Directory");
    assert.equal(status(w).conditions, undefined);

    // Nothing changed in git or the cluster: no request at all.
    assert.deepEqual(await refresh(w), { result: {}, writes: [] });

    // The resources appear as a sync would leave them (namespace and tracking set).
    w.cluster.seed(liveConfigMap("a"), liveConfigMap("b"));
    assert.deepEqual((await refresh(w)).writes, ["patch/status Application/guestbook"]);
    assert.equal(sync(w).status, "Synced");
    assert.equal(status(w).health?.status, "Healthy");
    assert.deepEqual(resources(w), ["ConfigMap/a:Synced", "ConfigMap/b:Synced"]);

    // Drift in the cluster: one resource differs from git.
    w.cluster.seed(liveConfigMap("b", { data: { name: "changed by hand" } }));
    assert.deepEqual((await refresh(w)).writes, ["patch/status Application/guestbook"]);
    assert.equal(sync(w).status, "OutOfSync");
    assert.deepEqual(resources(w), ["ConfigMap/a:Synced", "ConfigMap/b:OutOfSync"]);

    // Argo's Events for every transition, the first sight of the app included (from nothing).
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.reason}: ${e.message}`), [
      "Normal ResourceUpdated: Updated sync status:  -> OutOfSync",
      "Normal ResourceUpdated: Updated health status:  -> Missing",
      "Normal ResourceUpdated: Updated sync status: OutOfSync -> Synced",
      "Normal ResourceUpdated: Updated health status: Missing -> Healthy",
      "Normal ResourceUpdated: Updated sync status: Synced -> OutOfSync",
    ]);
    // A refresh only reads the cluster.
    assert.deepEqual(clusterWrites(w.cluster.writes), []);
  } finally {
    await w.dispose();
  }
});

test("refresh: a render failure gives ComparisonError and sync Unknown, and neither syncs, deletes nor prunes anything", async () => {
  // Automated sync with prune: a render failure read as "nothing in git" would prune everything.
  const w = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, app: application({ syncPolicy: { automated: { prune: true } } }), objects: [liveConfigMap("a")] });
  try {
    const sha = await w.repos.resolveRevision(REPO_URL, "main");
    await refresh(w);
    assert.equal(sync(w).status, "Synced");

    await w.repo.commit({ "app/a.yaml": "kind: [unclosed\n" });
    const before = w.cluster.writes.length;
    // The comparison waits (WaitingError) for git or the cluster; the queue looks again after 30 s.
    assert.deepEqual(await w.refreshOutcome(), { kind: "wait", reason: "ComparisonError", requeueAfterMs: 30_000 });
    assert.deepEqual(w.cluster.writes.slice(before).map(describeWrite), ["patch/status Application/guestbook"]);
    assert.equal(sync(w).status, "Unknown");
    // The last compared revision stays: nothing was compared at the new one.
    assert.equal(sync(w).revision, sha);
    const conditions = status(w).conditions ?? [];
    assert.deepEqual(conditions.map((c) => c.type), ["ComparisonError"]);
    assert.match(conditions[0]!.message, /^Failed to load target state: app\/a\.yaml: invalid YAML: /);
    assert.equal(w.app().operation, undefined, "no sync is requested from a failed comparison");
    assert.equal(status(w).operationState, undefined, "no automated sync starts from a failed comparison");
    assert.deepEqual(clusterWrites(w.cluster.writes), []);
    assert.deepEqual(w.cluster.names("ConfigMap"), [`ConfigMap/${DEST_NAMESPACE}/a`]);
  } finally {
    await w.dispose();
  }
});

test("refresh: a missing project is an InvalidSpecError, sync Unknown, and nothing is rendered or compared", async () => {
  const w = await World.create({ files, project: null });
  try {
    const { result, writes } = await refresh(w);
    assert.deepEqual({ result, writes }, { result: {}, writes: ["patch/status Application/guestbook"] });
    assert.deepEqual(sync(w), { status: "Unknown" });
    assert.deepEqual((status(w).conditions ?? []).map((c) => [c.type, c.message]), [
      ["InvalidSpecError", "Application referencing project default which does not exist"],
    ]);
    assert.equal(status(w).resources, undefined);
    assert.equal(w.repos.checkouts, 0, "nothing is checked out for an invalid app");
    // Health Unknown too, as Argo sets it, without a message (nothing was assessed).
    assert.deepEqual({ ...status(w).health, lastTransitionTime: undefined }, { status: "Unknown", lastTransitionTime: undefined });
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.reason}: ${e.message}`), [
      "Warning InvalidSpecError: Application referencing project default which does not exist",
      "Normal ResourceUpdated: Updated sync status:  -> Unknown",
      "Normal ResourceUpdated: Updated health status:  -> Unknown",
    ]);
    // The condition is already there: the next refresh writes nothing and records no new Event.
    assert.deepEqual((await refresh(w)).writes, []);
    assert.equal(w.events.length, 3);
  } finally {
    await w.dispose();
  }
});

test("refresh: a spec turning invalid makes sync and health Unknown (no message) and keeps the resources and the last revision; metrics and notification triggers follow; valid again, health is computed again", async () => {
  const w = await World.create({ files, app: application({ syncPolicy: { automated: { prune: true } } }), objects: [liveConfigMap("a"), liveConfigMap("b")] });
  try {
    const sha = await w.repos.resolveRevision(REPO_URL, "main");
    await refresh(w);
    assert.deepEqual([sync(w).status, status(w).health?.status], ["Synced", "Healthy"]);
    const listed = resources(w);
    assert.deepEqual(listed, ["ConfigMap/a:Synced", "ConfigMap/b:Synced"]);

    await w.editApp({ spec: { project: "gone" } });
    assert.deepEqual((await refresh(w)).writes, ["patch/status Application/guestbook"], "only the status is written");
    assert.equal(sync(w).status, "Unknown");
    assert.equal(sync(w).revision, sha, "the last compared revision stays, as in Argo");
    const health = status(w).health;
    assert.equal(health?.status, "Unknown");
    assert.equal(health?.message, undefined, "no message: nothing was assessed");
    assert.ok(health?.lastTransitionTime, "the transition is dated");
    assert.deepEqual(resources(w), listed, "the resources stay as they were");
    assert.deepEqual((status(w).conditions ?? []).map((c) => c.type), ["InvalidSpecError"]);
    assert.equal(status(w).operationState, undefined, "no automated sync");
    assert.deepEqual(clusterWrites(w.cluster.writes), [], "nothing applied or pruned");
    assert.deepEqual(w.cluster.names("ConfigMap"), [`ConfigMap/${DEST_NAMESPACE}/a`, `ConfigMap/${DEST_NAMESPACE}/b`]);

    // The scrape-time gauges read the written status.
    const info = [...appInfoSeries([w.app()])][0]!.labels;
    assert.deepEqual([info.sync_status, info.health_status], ["Unknown", "Unknown"]);
    assert.deepEqual([...appHealthStatusSeries([w.app()])].filter((s) => s.value === 1).map((s) => s.labels.health_status), ["Unknown"]);

    // The built-in triggers: sync-status-unknown fires, health-degraded does not (it would on a
    // health kept from before, as this app with Degraded in its place shows).
    const catalogue = parseNotificationsConfig({ ...NOTIFICATIONS_CATALOGUE });
    const subscribed = { ...w.app(), metadata: { ...w.app().metadata, annotations: { "notifications.argoproj.io/subscribe.on-health-degraded.hook": "", "notifications.argoproj.io/subscribe.on-sync-status-unknown.hook": "" } } };
    const evaluator = await notifyEvaluator();
    const fired = (app: unknown): string[] => planNotifications({ app: app as Record<string, unknown>, cfg: catalogue, evaluator }).sends.map((s) => s.trigger);
    assert.deepEqual(fired(subscribed), ["on-sync-status-unknown"]);
    const degraded = structuredClone(subscribed);
    degraded.status!.health = { status: "Degraded" };
    assert.deepEqual(fired(degraded).sort(), ["on-health-degraded", "on-sync-status-unknown"]);

    // Still invalid: nothing changes, nothing is written (the transition time stays).
    const since = health?.lastTransitionTime;
    assert.deepEqual((await refresh(w)).writes, []);
    assert.equal(status(w).health?.lastTransitionTime, since);

    await w.editApp({ spec: { project: "default" } });
    assert.deepEqual((await refresh(w)).writes, ["patch/status Application/guestbook"]);
    assert.deepEqual([sync(w).status, status(w).health?.status], ["Synced", "Healthy"]);
    assert.equal(status(w).conditions, undefined);
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.reason}: ${e.message}`).slice(-5), [
      "Warning InvalidSpecError: Application referencing project gone which does not exist",
      "Normal ResourceUpdated: Updated sync status: Synced -> Unknown",
      "Normal ResourceUpdated: Updated health status: Healthy -> Unknown",
      "Normal ResourceUpdated: Updated sync status: Unknown -> Synced",
      "Normal ResourceUpdated: Updated health status: Unknown -> Healthy",
    ]);
    assert.deepEqual(clusterWrites(w.cluster.writes), []);
  } finally {
    await w.dispose();
  }
});

test("refresh: a Helm-repository chart without targetRevision is an InvalidSpecError naming the field; nothing is fetched and no automated sync starts", async () => {
  // Argo refuses it rather than deploy whatever version the repository lists last.
  const app = application({ source: { repoURL: "http://127.0.0.1:1/charts", chart: "web" }, syncPolicy: { automated: { prune: true } } });
  const w = await World.create({ files, app });
  try {
    assert.deepEqual((await refresh(w)).writes, ["patch/status Application/guestbook"]);
    assert.deepEqual(sync(w), { status: "Unknown" });
    assert.deepEqual((status(w).conditions ?? []).map((c) => [c.type, c.message]), [
      ["InvalidSpecError", "spec.source.targetRevision is required if the manifest source is a helm chart"],
    ]);
    assert.equal(status(w).operationState, undefined, "no automated sync");
    assert.equal(w.repos.checkouts, 0, "nothing is fetched");
    assert.deepEqual(clusterWrites(w.cluster.writes), []);
  } finally {
    await w.dispose();
  }
});

test("refresh: an automated sync starts in the refresh's one status write (a Running operationState, no .operation); none starts while it runs; the operation reconciler runs it to the end without another Application write", async () => {
  const syncPolicy = { automated: { prune: true }, retry: { limit: 3 } };
  const w = await World.create({ files, app: application({ syncPolicy }) });
  try {
    const sha = await w.repos.resolveRevision(REPO_URL, "main");
    const rv = w.app().metadata.resourceVersion;
    const before = w.cluster.writes.length;
    assert.deepEqual((await refresh(w)).writes, ["patch/status Application/guestbook"], "the comparison and the start of the sync in one write");
    const write = w.cluster.writes[before]!;
    assert.deepEqual((write.body as { metadata?: unknown }).metadata, { resourceVersion: rv }, "conditional on the Application the decision read");
    assert.equal(w.app().operation, undefined, "no .operation is written");
    const state = status(w).operationState;
    assert.deepEqual({ phase: state?.phase, operation: state?.operation }, { phase: "Running", operation: { initiatedBy: { automated: true }, sync: { prune: true, revision: sha }, retry: { limit: 3 } } });
    assert.ok(state?.startedAt, "the start time is recorded");
    assert.equal(sync(w).status, "OutOfSync");
    assert.deepEqual(clusterWrites(w.cluster.writes), [], "the refresh starts the sync; the operation reconciler runs it");
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.reason}: ${e.message}`).sort(), [
      "Normal ResourceUpdated: Updated health status:  -> Missing",
      "Normal ResourceUpdated: Updated sync status:  -> OutOfSync",
      `Normal OperationStarted: Initiated automated sync to ${sha}`,
    ].sort());

    // While it runs, a refresh starts no other and writes nothing.
    assert.deepEqual((await refresh(w)).writes, []);

    // The operation reconciler resumes the stored Running state: no `.operation` to clear at the end.
    const passes = await w.runOperation();
    assert.deepEqual(passes.flat().filter((x) => x.kind === "Application").map(describeWrite), ["patch/status Application/guestbook"], "the final state is the operation's only Application write");
    assert.equal(status(w).operationState?.phase, "Succeeded");
    assert.equal(status(w).operationState?.startedAt, state?.startedAt, "the same operation, not a new one");
    assert.deepEqual(status(w).history?.map((h) => h.revision), [sha], "one history entry");
    assert.equal(w.events.filter((e) => e.reason === "OperationStarted").length, 1, "the start is announced once");
    // That one write also holds the comparison after the sync: Synced, Healthy, at the synced
    // commit, with its reconciledAt; a refresh after it has nothing left to write. Two writes in all.
    assert.deepEqual({ sync: sync(w).status, revision: sync(w).revision, health: status(w).health?.status }, { sync: "Synced", revision: sha, health: "Healthy" });
    assert.deepEqual(status(w).resources?.map((r) => `${r.kind}/${r.name}:${r.status}`), ["ConfigMap/a:Synced", "ConfigMap/b:Synced"]);
    assert.ok(status(w).reconciledAt && status(w).reconciledAt! >= state.startedAt, "reconciledAt is the comparison's, after the start");
    assert.deepEqual((await refresh(w)).writes, [], "the refresh after the sync writes nothing");
    assert.deepEqual(w.cluster.writes.slice(before).filter((x) => x.kind === "Application").map(describeWrite), ["patch/status Application/guestbook", "patch/status Application/guestbook"]);
    // Argo's Events for it, each once: started, completed, and the sync and health transitions.
    assert.deepEqual(w.events.filter((e) => !e.message.includes(" status:  -> ")).map((e) => `${e.reason}: ${e.message}`), [
      `OperationStarted: Initiated automated sync to ${sha}`,
      `OperationCompleted: Sync operation to ${sha} succeeded`,
      "ResourceUpdated: Updated sync status: OutOfSync -> Synced",
      "ResourceUpdated: Updated health status: Missing -> Healthy",
    ]);
  } finally {
    await w.dispose();
  }
});

test("statusTransitionMessages: Argo's wording for each change, from nothing on first sight; none for an unchanged or unset status", () => {
  const st = (sync?: string, health?: string): AppStatus => ({ ...(sync ? { sync: { status: sync } } : {}), ...(health ? { health: { status: health } } : {}) }) as AppStatus;
  assert.deepEqual(statusTransitionMessages(undefined, st("OutOfSync", "Missing")), ["Updated sync status:  -> OutOfSync", "Updated health status:  -> Missing"]);
  assert.deepEqual(statusTransitionMessages(st(), st("Synced", "Healthy")), ["Updated sync status:  -> Synced", "Updated health status:  -> Healthy"], "a status without sync or health is first sight too");
  assert.deepEqual(statusTransitionMessages(st("Synced", "Healthy"), st("Synced", "Degraded")), ["Updated health status: Healthy -> Degraded"]);
  assert.deepEqual(statusTransitionMessages(st("Synced", "Healthy"), st("Unknown", "Healthy")), ["Updated sync status: Synced -> Unknown"], "a failed comparison is a transition too");
  assert.deepEqual(statusTransitionMessages(st("Synced", "Healthy"), st("Synced", "Healthy")), [], "a restart's first refresh of an unchanged app says nothing");
  assert.deepEqual(statusTransitionMessages(st("Synced", "Healthy"), st("Unknown")), ["Updated sync status: Synced -> Unknown"], "a health this write leaves out did not change");
});

test("foldedStatusPatch: the operation's state whole, the history's new entry appended, and of the comparison only what changed", () => {
  const op = { operation: { sync: {} }, phase: "Succeeded", startedAt: "t0", finishedAt: "t1" } as OperationState;
  const entry = { id: 1, revision: "b", deployedAt: "t1" };
  const stored = { sync: { status: "OutOfSync" }, health: { status: "Healthy" }, conditions: [{ type: "SyncError", message: "m" }], history: [{ id: 0, revision: "a", deployedAt: "t" }], operationState: { ...op, phase: "Running" } } as unknown as AppStatus;
  const base = { sync: { status: "OutOfSync" }, health: { status: "Healthy" }, conditions: [{ type: "SyncError", message: "m" }] };
  const next = { sync: { status: "Synced" }, health: { status: "Healthy" }, reconciledAt: "t2" };
  const [ops, opts] = foldedStatusPatch(stored, base, next, { operationState: op, history: [...stored.history!, entry] as AppStatus["history"] });
  assert.deepEqual(opts, { type: "json", subresource: "status" });
  assert.deepEqual(ops, [
    { op: "add", path: "/status/sync", value: { status: "Synced" } },
    { op: "remove", path: "/status/conditions" },
    { op: "add", path: "/status/reconciledAt", value: "t2" },
    { op: "add", path: "/status/operationState", value: op },
    { op: "add", path: "/status/history/-", value: entry },
  ]);
  // Entries dropped by revisionHistoryLimit: the history goes whole.
  const trimmed = [entry] as AppStatus["history"];
  assert.deepEqual((foldedStatusPatch(stored, base, base, { operationState: op, history: trimmed })[0] as unknown[]).slice(-1), [{ op: "add", path: "/status/history", value: trimmed }]);
  // No status yet: one merge patch of everything.
  assert.deepEqual(foldedStatusPatch(undefined, {}, next, { operationState: op }), [{ status: { ...next, operationState: op } }, { type: "merge", subresource: "status" }]);
});

test("refresh: an automated sync whose Application changed since it was read (409) starts nothing and looks again soon", async () => {
  const w = await World.create({ files, app: application({ syncPolicy: { automated: {} } }) });
  try {
    let first = true;
    w.cluster.reject((x) => {
      if (!first || x.kind !== "Application" || x.subresource !== "status") return false;
      first = false;
      return true;
    }, new KubeApiError(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again"));
    const conflicted = await refresh(w);
    assert.deepEqual(conflicted, { result: { requeueAfterMs: 250 }, writes: ["patch/status Application/guestbook -> error"] });
    assert.equal((w.app().status as AppStatus | undefined)?.operationState, undefined, "no operation started");
    assert.deepEqual(w.events, [], "no start announced");
    // The next look (its cache now current) starts it.
    assert.deepEqual((await refresh(w)).writes, ["patch/status Application/guestbook"]);
    assert.equal(status(w).operationState?.phase, "Running");
  } finally {
    await w.dispose();
  }
});

test("refresh: an asked-for refresh starts the automated sync and clears its annotation in the same pass (the status first: the request is served once its answer is written)", async () => {
  const w = await World.create({ files, app: application({ syncPolicy: { automated: {} } }) });
  try {
    await w.editApp({ metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } });
    assert.deepEqual((await refresh(w)).writes, ["patch/status Application/guestbook", "patch Application/guestbook"]);
    assert.equal(w.app().metadata.annotations?.["argocd.argoproj.io/refresh"], undefined, "the request is served");
    assert.equal(status(w).operationState?.phase, "Running", "and the sync started");
  } finally {
    await w.dispose();
  }
});

test("refresh: a resource's unknown or invalid sync-options entry is a SyncOptionWarning condition, before any sync", async () => {
  const w = await World.create({ files: {
    "app/a.yaml": configMapYaml("a", { syncOptions: "Prune=false,Replace=sometimes" }),
    "app/b.yaml": configMapYaml("b", { syncOptions: "MadeUp=true" }),
    "app/c.yaml": configMapYaml("c", { syncOptions: "Prune=false" }),
  } });
  try {
    await refresh(w);
    const warnings = (status(w).conditions ?? []).filter((c) => c.type === "SyncOptionWarning");
    assert.equal(warnings.length, 1, "one condition for the resources' options");
    assert.equal(warnings[0]!.message, `ConfigMap ${DEST_NAMESPACE}/a: sync option "Replace=sometimes": invalid value "sometimes"; ConfigMap ${DEST_NAMESPACE}/b: unknown sync option "MadeUp=true"`);
  } finally {
    await w.dispose();
  }
});

test("periodicHardRefresh: off at 0; the first sight starts the clock; due once the interval has passed", () => {
  const hour = 3_600_000;
  assert.deepEqual(periodicHardRefresh(undefined, 5, 0), { hard: false }, "0 is off");
  assert.deepEqual(periodicHardRefresh(1000, 10 * hour, 0), { hard: false }, "0 is off whatever the history");
  assert.deepEqual(periodicHardRefresh(undefined, 5, hour), { hard: false, dueInMs: hour }, "first sight: due one interval from now");
  assert.deepEqual(periodicHardRefresh(0, hour - 1, hour), { hard: false, dueInMs: 1 }, "not yet");
  assert.deepEqual(periodicHardRefresh(0, hour, hour), { hard: true, dueInMs: hour }, "exactly due");
  assert.deepEqual(periodicHardRefresh(0, 5 * hour, hour), { hard: true, dueInMs: hour }, "long overdue: one hard refresh, then a full interval");
});

test("refresh: argocd-cm timeout.hard.reconciliation makes the refresh hard once the last hard one is older, and schedules it", async () => {
  const hour = 3_600_000;
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: CONTROL_NAMESPACE }, data: { "timeout.hard.reconciliation": "1h" } };
  const w = await World.create({ files, objects: [cm] });
  try {
    assert.deepEqual(await w.reconcileRefresh(), { requeueAfterMs: hour }, "first refresh: the next one is the hard one, an hour on (periodic resync is off here)");
    w.advanceClock(hour / 2);
    assert.deepEqual(await w.reconcileRefresh(), { requeueAfterMs: hour / 2 }, "half-way: requeued for when it is due");
    w.advanceClock(hour / 2);
    assert.deepEqual(await w.reconcileRefresh(), { requeueAfterMs: hour }, "the hard refresh schedules the next");
    await w.reconcileRefresh();
    assert.deepEqual(w.renderKinds, ["none", "none", "hard", "none"], "only the refresh an hour after the first is hard");
    // A requested hard refresh restarts the clock too.
    await w.editApp({ metadata: { annotations: { "argocd.argoproj.io/refresh": "hard" } } });
    w.advanceClock(hour / 2);
    await w.reconcileRefresh();
    w.advanceClock(hour / 2 + 1000);
    assert.deepEqual(await w.reconcileRefresh(), { requeueAfterMs: hour / 2 - 1000 }, "due an hour after the requested one, not the periodic one");
    assert.deepEqual(w.renderKinds.slice(4), ["hard", "none"]);
  } finally {
    await w.dispose();
  }
});

test("refresh: without timeout.hard.reconciliation no refresh is hard and nothing is scheduled for it", async () => {
  const w = await World.create({ files });
  try {
    assert.deepEqual(await w.reconcileRefresh(), {}, "periodic resync off in the fake world: no requeue");
    w.advanceClock(1000 * 3_600_000);
    await w.reconcileRefresh();
    assert.deepEqual(w.renderKinds, ["none", "none"]);
  } finally {
    await w.dispose();
  }
});

test("refresh: a requested refresh is cleared only after its status is written (GET ?refresh= returns the refreshed app)", async () => {
  const w = await World.create({ files });
  try {
    await refresh(w);
    await w.editApp({ metadata: { annotations: { "argocd.argoproj.io/refresh": "hard" } } });
    w.cluster.seed(liveConfigMap("a"), liveConfigMap("b"));
    const { writes } = await refresh(w);
    assert.deepEqual(writes, ["patch/status Application/guestbook", "patch Application/guestbook"], "the status first, then the annotation goes");
    assert.equal(w.app().metadata.annotations?.["argocd.argoproj.io/refresh"], undefined, "the request is cleared");
    assert.equal(sync(w).status, "Synced", "and the status written before it is the refreshed one");
    assert.equal(w.renderKinds.at(-1), "hard", "rendered as a hard refresh");
  } finally {
    await w.dispose();
  }
});

test("refresh: an app reads git as its project may (reposForProject); an app of another project, or of one without Secrets, never through that project's access", async () => {
  const project = (name: string) => ({ apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name, namespace: CONTROL_NAMESPACE }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  // What team-a's scoped Secret reaches at REPO_URL differs from what unscoped Secrets reach.
  const w = await World.create({ files, app: application({ project: "team-a" }), objects: [project("team-a"), project("team-b")], projectFiles: { "team-a": { "app/private.yaml": configMapYaml("private") } } });
  try {
    await refresh(w);
    assert.deepEqual(resources(w), ["ConfigMap/private:OutOfSync"], "team-a's app renders what team-a's access reads");
    // Attack: the same app moved to another project (with or without Secrets of its own).
    for (const other of ["team-b", "default"]) {
      await w.editApp({ spec: { project: other } });
      await refresh(w);
      assert.deepEqual(resources(w), ["ConfigMap/a:OutOfSync", "ConfigMap/b:OutOfSync"], `${other}'s app reads through the shared access`);
    }
  } finally {
    await w.dispose();
  }
});
