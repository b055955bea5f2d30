// The deletion reconciler's common paths against the fake world (testdata/world.ts): a real git
// repository rendered by the directory plugin, an in-memory cluster. What the fake cluster does
// not model is listed in test/support/fake-cluster.ts; the e2e tests cover the real API server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARGO_API_VERSION, FINALIZER_RESOURCES } from "../../api/annotations.js";
import type { Application } from "../../api/index.js";
import { missingProjectMessage } from "../../engine/sync/validate.js";
import { APP_NAME, CONTROL_NAMESPACE, DEST_NAMESPACE, World, application, clusterWrites, configMapYaml, describeWrite, liveConfigMap } from "./testdata/world.js";

type AppStatus = NonNullable<Application["status"]>;

const files = { "app/a.yaml": configMapYaml("a", { wave: -1 }), "app/b.yaml": configMapYaml("b"), "app/c.yaml": configMapYaml("c", { wave: 1 }) };
const live = [liveConfigMap("a", { wave: -1 }), liveConfigMap("b"), liveConfigMap("c", { wave: 1 })];

/** A synced app with the cascade finalizer whose deletion has been requested. */
async function deletedApp(opts: { project: boolean | "behind-cache" | "changed-behind-cache" }): Promise<World> {
  const w = await World.create({ files, app: application({}, { finalizers: [FINALIZER_RESOURCES] }), objects: live });
  // A refresh first, so the status lists the app's resources as it would in the cluster.
  await w.reconcileRefresh();
  assert.equal((w.app().status as AppStatus).sync?.status, "Synced");
  if (opts.project === "behind-cache" || opts.project === "changed-behind-cache") w.freezeProjectCache();
  const projectRef = { apiVersion: ARGO_API_VERSION, kind: "AppProject", name: "default", namespace: CONTROL_NAMESPACE };
  if (opts.project === false || opts.project === "behind-cache") await w.cluster.delete(projectRef);
  if (opts.project === "changed-behind-cache") await w.cluster.patch(projectRef, { spec: { destinations: [{ server: "*", namespace: "elsewhere" }] } });
  await w.cluster.delete({ apiVersion: ARGO_API_VERSION, kind: "Application", name: APP_NAME, namespace: CONTROL_NAMESPACE });
  assert.ok(w.app().metadata.deletionTimestamp, "the finalizer holds the Application while it is deleted");
  w.cluster.writes.splice(0);
  w.events.splice(0); // the set-up refresh's first-sight Events (Updated sync status:  -> Synced, ...)
  return w;
}

test("deletion: a cascade deletion deletes the app's resources in reverse waves, one wave per pass, then removes the finalizer", async () => {
  const w = await deletedApp({ project: true });
  try {
    const passes: Array<{ result: unknown; writes: string[] }> = [];
    for (let i = 0; i < 10 && w.appExists(); i++) {
      const before = w.cluster.writes.length;
      const result = await w.reconcileRefresh();
      passes.push({ result, writes: w.cluster.writes.slice(before).map((x) => `${describeWrite(x)}${x.propagationPolicy ? ` ${x.propagationPolicy}` : ""}`) });
    }
    assert.deepEqual(passes, [
      { result: { requeueAfterMs: 2000 }, writes: ["delete ConfigMap/c Foreground"] },
      { result: { requeueAfterMs: 2000 }, writes: ["delete ConfigMap/b Foreground"] },
      { result: { requeueAfterMs: 2000 }, writes: ["delete ConfigMap/a Foreground"] },
      // Nothing left: the finalizer goes and with it the Application.
      { result: {}, writes: ["patch Application/guestbook"] },
    ]);
    assert.equal(w.appExists(), false);
    assert.deepEqual(w.cluster.names("ConfigMap"), []);
    assert.deepEqual(w.events, []);
  } finally {
    await w.dispose();
  }
});

test("deletion: with the project missing nothing is deleted and a DeletionError condition says why", async () => {
  const w = await deletedApp({ project: false });
  try {
    const message = `${missingProjectMessage("default")}; resources are not deleted until it exists (or the finalizer is removed)`;
    // The deletion waits (WaitingError) for the project; the queue looks again after 30 s.
    assert.deepEqual(await w.refreshOutcome(), { kind: "wait", reason: "ProjectMissing", requeueAfterMs: 30_000 });
    assert.deepEqual(w.cluster.writes.map(describeWrite), ["patch/status Application/guestbook"]);
    assert.deepEqual(clusterWrites(w.cluster.writes), []);
    const app = w.app();
    assert.deepEqual(app.metadata.finalizers, [FINALIZER_RESOURCES]);
    assert.deepEqual((app.status?.conditions ?? []).map((c) => [c.type, c.message]), [["DeletionError", message]]);
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.reason}: ${e.message}`), [`Warning DeletionError: ${message}`]);
    assert.deepEqual(w.cluster.names("ConfigMap"), ["a", "b", "c"].map((n) => `ConfigMap/${DEST_NAMESPACE}/${n}`));

    // Still blocked on the next pass: the same condition is not written or announced again.
    assert.deepEqual(await w.refreshOutcome(), { kind: "wait", reason: "ProjectMissing", requeueAfterMs: 30_000 });
    assert.deepEqual(w.cluster.writes.map(describeWrite), ["patch/status Application/guestbook"]);
    assert.equal(w.events.length, 1);
  } finally {
    await w.dispose();
  }
});

test("deletion: a project deleted but still in the cache is asked of the apiserver: nothing is deleted", async () => {
  // A teardown deletes the project, then its apps; the app's deletion can arrive before the
  // project's watch event. Deleting under the cached project's rules would be a bypass.
  const w = await deletedApp({ project: "behind-cache" });
  try {
    const message = `${missingProjectMessage("default")}; resources are not deleted until it exists (or the finalizer is removed)`;
    assert.deepEqual(await w.refreshOutcome(), { kind: "wait", reason: "ProjectMissing", requeueAfterMs: 30_000 });
    assert.deepEqual(clusterWrites(w.cluster.writes), []);
    assert.deepEqual((w.app().status?.conditions ?? []).map((c) => [c.type, c.message]), [["DeletionError", message]]);
    assert.deepEqual(w.cluster.names("ConfigMap"), ["a", "b", "c"].map((n) => `ConfigMap/${DEST_NAMESPACE}/${n}`));
  } finally {
    await w.dispose();
  }
});

test("deletion: a project changed since the cache saw it waits for the cache before deleting anything", async () => {
  const w = await deletedApp({ project: "changed-behind-cache" });
  try {
    assert.deepEqual(await w.refreshOutcome(), { kind: "wait", reason: "ProjectChanged", requeueAfterMs: 1_000 });
    assert.deepEqual(w.cluster.writes.map(describeWrite), []);
    assert.deepEqual(w.cluster.names("ConfigMap"), ["a", "b", "c"].map((n) => `ConfigMap/${DEST_NAMESPACE}/${n}`));
  } finally {
    await w.dispose();
  }
});
