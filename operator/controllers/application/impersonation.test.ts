// Sync impersonation through the reconcilers, against the fake world (testdata/world.ts): which
// client each write of a sync or a cascade deletion goes through, and that an app with no
// matching destinationServiceAccounts entry writes nothing. The fake cluster checks no RBAC; what
// the apiserver then allows or forbids is test/e2e/sync-impersonation.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARGO_API_VERSION, FINALIZER_RESOURCES } from "../../api/annotations.js";
import type { Application, OperationState } from "../../api/index.js";
import type { AppProjectObject } from "../../appstate/types.js";
import type { KubeObject } from "../../kube/client.js";
import { APP_NAME, CONTROL_NAMESPACE, DEST_NAMESPACE, World, application, clusterWrites, configMapYaml, defaultProject, describeWrite, liveConfigMap } from "./testdata/world.js";

type AppStatus = NonNullable<Application["status"]>;

const IN_CLUSTER = "https://kubernetes.default.svc";
const DEPLOYER = `system:serviceaccount:${DEST_NAMESPACE}:deployer`;
const NO_MATCH = `failed to find a matching service account to impersonate: no matching service account found for destination server ${IN_CLUSTER} and namespace ${DEST_NAMESPACE}`;

function argocdCm(enabled: string): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: CONTROL_NAMESPACE }, data: { "application.sync.impersonation.enabled": enabled } };
}

function project(entries: Array<Record<string, string>>): AppProjectObject {
  const p = defaultProject();
  return { ...p, spec: { ...p.spec, destinationServiceAccounts: entries } };
}

const matching = [{ server: "https://other.example", namespace: "*", defaultServiceAccount: "elsewhere" }, { server: IN_CLUSTER, namespace: "guest*", defaultServiceAccount: "deployer" }];
const manualSync = { operation: { sync: { revision: "main", prune: true }, initiatedBy: { username: "alice" } } };

/** ConfigMaps in the destination namespace (argocd-cm lives in the control namespace). */
function appConfigMaps(w: World): string[] {
  return w.cluster.names("ConfigMap").filter((n) => n.startsWith(`ConfigMap/${DEST_NAMESPACE}/`));
}

function opState(w: World): OperationState {
  const state = (w.app().status as AppStatus | undefined)?.operationState;
  assert.ok(state, "the Application has an operationState");
  return state;
}

test("impersonation: with it on, every dry run, apply and prune of a sync goes as the first matching service account", async () => {
  const w = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, project: project(matching), objects: [argocdCm("true"), liveConfigMap("old")] });
  try {
    await w.editApp(manualSync);
    const passes = await w.runOperation();
    assert.equal(opState(w).phase, "Succeeded", `the sync succeeds: ${opState(w).message ?? ""}`);
    const writes = clusterWrites(passes.flat()).map(describeWrite);
    assert.deepEqual(writes, ["apply ConfigMap/a (dry run)", "apply ConfigMap/a", "delete ConfigMap/old"]);
    assert.deepEqual(w.impersonatedWrites, [`${DEPLOYER} apply ConfigMap/a`, `${DEPLOYER} apply ConfigMap/a`, `${DEPLOYER} delete ConfigMap/old`],
      "each cluster write went through the impersonating client");
  } finally {
    await w.dispose();
  }
});

test("impersonation: with it off (or set to false), the project's entries are not used and the sync writes as the controller", async () => {
  for (const objects of [[], [argocdCm("false")]]) {
    const w = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, project: project(matching), objects });
    try {
      await w.editApp(manualSync);
      await w.runOperation();
      assert.equal(opState(w).phase, "Succeeded", `the sync succeeds: ${opState(w).message ?? ""}`);
      assert.deepEqual(appConfigMaps(w), [`ConfigMap/${DEST_NAMESPACE}/a`]);
      assert.deepEqual(w.impersonatedWrites, [], "no write was impersonated");
    } finally {
      await w.dispose();
    }
  }
});

test("impersonation: with no matching entry the operation ends in Error with Argo's message before anything reaches the cluster", async () => {
  const w = await World.create({
    files: { "app/a.yaml": configMapYaml("a") },
    project: project([{ server: IN_CLUSTER, namespace: "other", defaultServiceAccount: "deployer" }]),
    objects: [argocdCm("true"), liveConfigMap("old")],
  });
  try {
    await w.editApp(manualSync);
    const passes = await w.runOperation();
    assert.deepEqual(clusterWrites(passes.flat()), [], "no write, not even a dry run, reaches the cluster");
    const state = opState(w);
    assert.deepEqual({ phase: state.phase, message: state.message }, { phase: "Error", message: NO_MATCH });
    assert.equal(w.app().operation, undefined, ".operation is cleared");
    assert.deepEqual(appConfigMaps(w), [`ConfigMap/${DEST_NAMESPACE}/old`]);
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.reason}: ${e.message}`).slice(-1), [`Warning OperationCompleted: Sync operation failed: ${NO_MATCH}`]);
  } finally {
    await w.dispose();
  }
});

async function deletedApp(entries: Array<Record<string, string>>): Promise<World> {
  const w = await World.create({
    files: { "app/a.yaml": configMapYaml("a") }, app: application({}, { finalizers: [FINALIZER_RESOURCES] }),
    project: project(entries), objects: [argocdCm("true"), liveConfigMap("a")],
  });
  await w.reconcileRefresh();
  await w.cluster.delete({ apiVersion: ARGO_API_VERSION, kind: "Application", name: APP_NAME, namespace: CONTROL_NAMESPACE });
  w.cluster.writes.splice(0);
  w.events.splice(0); // the set-up refresh's first-sight Events (Updated sync status:  -> Synced, ...)
  return w;
}

test("impersonation: a cascade deletion deletes the app's resources as the matching service account", async () => {
  const w = await deletedApp(matching);
  try {
    for (let i = 0; i < 5 && w.appExists(); i++) await w.reconcileRefresh();
    assert.equal(w.appExists(), false, "the finalizer is removed once the resources are gone");
    assert.deepEqual(appConfigMaps(w), []);
    assert.deepEqual(w.impersonatedWrites, [`${DEPLOYER} delete ConfigMap/a`]);
  } finally {
    await w.dispose();
  }
});

test("impersonation: a cascade deletion with no matching entry deletes nothing and says why in a DeletionError condition", async () => {
  const w = await deletedApp([]);
  try {
    const message = `${NO_MATCH}; resources are not deleted until one matches (or the finalizer is removed)`;
    assert.deepEqual(await w.refreshOutcome(), { kind: "wait", reason: "DeletionError", requeueAfterMs: 30_000 });
    assert.deepEqual(clusterWrites(w.cluster.writes), [], "nothing is deleted");
    assert.deepEqual(appConfigMaps(w), [`ConfigMap/${DEST_NAMESPACE}/a`]);
    assert.deepEqual((w.app().status?.conditions ?? []).map((c) => [c.type, c.message]), [["DeletionError", message]]);
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.reason}: ${e.message}`), [`Warning DeletionError: ${message}`]);
  } finally {
    await w.dispose();
  }
});

const serverSideDiffApp = application({}, { annotations: { "argocd.argoproj.io/compare-options": "ServerSideDiff=true" } });
// A live object to diff: a server-side diff dry-runs only what exists.
const liveA = (): KubeObject => liveConfigMap("a", { data: { a: "old" } });

test("impersonation: a refresh's server-side diff dry-runs as the matching service account, as the sync would", async () => {
  const w = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, app: serverSideDiffApp, project: project(matching), objects: [argocdCm("true"), liveA()] });
  try {
    await w.reconcileRefresh();
    assert.deepEqual(clusterWrites(w.cluster.writes).map(describeWrite), ["apply ConfigMap/a (dry run)"], "the comparison's only write is the dry run");
    assert.deepEqual(w.impersonatedWrites, [`${DEPLOYER} apply ConfigMap/a`], "and it went through the impersonating client");
    assert.equal((w.app().status as AppStatus | undefined)?.sync?.status, "OutOfSync", "the changed data is a difference");
  } finally {
    await w.dispose();
  }
});

test("impersonation: off, the server-side diff dry-runs as the controller; on, a client-side diff needs no service account", async () => {
  const off = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, app: serverSideDiffApp, project: project(matching), objects: [argocdCm("false"), liveA()] });
  try {
    await off.reconcileRefresh();
    assert.deepEqual(clusterWrites(off.cluster.writes).map(describeWrite), ["apply ConfigMap/a (dry run)"]);
    assert.deepEqual(off.impersonatedWrites, [], "the controller's own client");
  } finally {
    await off.dispose();
  }
  const clientSide = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, project: project([]), objects: [argocdCm("true")] });
  try {
    await clientSide.reconcileRefresh();
    assert.equal((clientSide.app().status as AppStatus | undefined)?.sync?.status, "OutOfSync", "compared without a dry run");
    assert.deepEqual(clusterWrites(clientSide.cluster.writes), [], "nothing sent");
  } finally {
    await clientSide.dispose();
  }
});

test("impersonation: a server-side diff with no matching entry is a ComparisonError with Argo's message, and no dry run is sent", async () => {
  const w = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, app: serverSideDiffApp, project: project([]), objects: [argocdCm("true"), liveA()] });
  try {
    const outcome = await w.refreshOutcome();
    assert.equal(outcome.kind, "wait", `the refresh waits: ${JSON.stringify(outcome)}`);
    assert.deepEqual(clusterWrites(w.cluster.writes), [], "no dry run reached the cluster");
    const conditions = (w.app().status?.conditions ?? []).map((c) => [c.type, c.message]);
    assert.deepEqual(conditions, [["ComparisonError", `Failed to load live state: server-side diff: ${NO_MATCH}`]]);
    assert.equal((w.app().status as AppStatus | undefined)?.sync?.status, "Unknown");
  } finally {
    await w.dispose();
  }
});

const GLOBAL_PROJECTS = `
- projectName: platform
  labelSelector:
    matchExpressions:
      - { key: tier, operator: In, values: [prod] }
`;

function globalsCm(globalProjects: string): KubeObject {
  const cm = argocdCm("true");
  return { ...cm, data: { ...(cm.data as Record<string, string>), globalProjects } };
}

function labelledProject(labels: Record<string, string>, entries: Array<Record<string, string>>): AppProjectObject {
  const p = project(entries);
  return { ...p, metadata: { ...p.metadata, labels } };
}

// The global project lends the service account; the app's own project names none.
const platform: AppProjectObject = {
  apiVersion: ARGO_API_VERSION, kind: "AppProject", metadata: { name: "platform", namespace: CONTROL_NAMESPACE },
  spec: { destinationServiceAccounts: [{ server: IN_CLUSTER, namespace: "guest*", defaultServiceAccount: "platform-sa" }] },
};
const PLATFORM_SA = `system:serviceaccount:${DEST_NAMESPACE}:platform-sa`;

test("impersonation: a global project's destinationServiceAccounts (argocd-cm globalProjects) apply to the projects it selects", async () => {
  const w = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, project: labelledProject({ tier: "prod" }, []), objects: [globalsCm(GLOBAL_PROJECTS), platform] });
  try {
    await w.editApp(manualSync);
    await w.runOperation();
    assert.equal(opState(w).phase, "Succeeded", `the sync succeeds: ${opState(w).message ?? ""}`);
    assert.deepEqual(w.impersonatedWrites, [`${PLATFORM_SA} apply ConfigMap/a`], "the apply (one resource: no dry run first) as the global project's service account");
  } finally {
    await w.dispose();
  }
});

test("impersonation: the project's own entry wins over a global project's, and an unselected project gets nothing lent", async () => {
  const own = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, project: labelledProject({ tier: "prod" }, matching), objects: [globalsCm(GLOBAL_PROJECTS), platform] });
  try {
    await own.editApp(manualSync);
    await own.runOperation();
    assert.equal(opState(own).phase, "Succeeded", `the sync succeeds: ${opState(own).message ?? ""}`);
    assert.deepEqual(own.impersonatedWrites, [`${DEPLOYER} apply ConfigMap/a`], "the own entry comes first");
  } finally {
    await own.dispose();
  }
  const unselected = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, project: labelledProject({ tier: "dev" }, []), objects: [globalsCm(GLOBAL_PROJECTS), platform] });
  try {
    await unselected.editApp(manualSync);
    const passes = await unselected.runOperation();
    assert.deepEqual({ phase: opState(unselected).phase, message: opState(unselected).message }, { phase: "Error", message: NO_MATCH });
    assert.deepEqual(clusterWrites(passes.flat()), [], "nothing written");
  } finally {
    await unselected.dispose();
  }
});

test("an unreadable globalProjects refuses every app (InvalidSpecError naming the key) and its sync writes nothing", async () => {
  const w = await World.create({ files: { "app/a.yaml": configMapYaml("a") }, project: labelledProject({ tier: "prod" }, matching), objects: [globalsCm("- labelSelector: {}"), platform] });
  try {
    await w.reconcileRefresh();
    const message = "argocd-cm globalProjects[0].projectName: want the name of an AppProject; no application is compared or synced until it is fixed";
    assert.deepEqual((w.app().status?.conditions ?? []).map((c) => [c.type, c.message]), [["InvalidSpecError", message]]);
    await w.editApp(manualSync);
    const passes = await w.runOperation();
    assert.equal(opState(w).phase, "Error", `refused: ${opState(w).message ?? ""}`);
    assert.ok((opState(w).message ?? "").includes(message), `the operation names the key: ${opState(w).message ?? ""}`);
    assert.deepEqual(clusterWrites(passes.flat()), [], "nothing written, not even a dry run");
  } finally {
    await w.dispose();
  }
});
