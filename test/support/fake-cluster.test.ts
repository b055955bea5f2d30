// The fake cluster's own rules, which the Application reconcilers' unit tests rely on. They pin
// the fake to the API server's behaviour where it claims to model it (see its header); they say
// nothing about the API server itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { KubeApiError, type KubeObject } from "../../operator/kube/client.js";
import { UnknownKindError } from "../../operator/kube/discovery.js";
import { FakeCluster } from "./fake-cluster.js";

const ns = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const cm = (name: string, data: Record<string, string>, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns", ...(annotations ? { annotations } : {}) }, data,
});

async function rejection(p: Promise<unknown>): Promise<{ code?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    return { ...(err instanceof KubeApiError ? { code: err.statusCode } : {}), message: (err as Error).message };
  }
  assert.fail("expected a rejection");
}

test("fake cluster: server-side apply merges, drops what the same manager no longer sends, and a dry run stores nothing", async () => {
  const c = new FakeCluster();
  c.seed(ns("ns"));
  await c.apply(cm("x", { a: "1", b: "2" }, { keep: "yes", drop: "yes" }), { fieldManager: "hawser" });
  // Another writer's field survives the next apply of the first manager.
  await c.patch({ apiVersion: "v1", kind: "ConfigMap", name: "x", namespace: "ns" }, { data: { other: "z" } });
  await c.apply(cm("x", { a: "10" }, { keep: "yes" }), { fieldManager: "hawser" });
  const x = c.object("v1", "ConfigMap", "ns", "x");
  assert.deepEqual(x?.data, { a: "10", other: "z" });
  assert.deepEqual(x?.metadata.annotations, { keep: "yes" });
  assert.deepEqual((x?.metadata.managedFields as Array<{ manager: string; fieldsV1: unknown }>).map((m) => [m.manager, m.fieldsV1]), [
    ["hawser", { "f:metadata": { "f:annotations": { "f:keep": {} } }, "f:data": { "f:a": {} } }],
  ]);
  const rv = x?.metadata.resourceVersion;
  await c.apply(cm("x", { a: "dry" }), { fieldManager: "hawser", dryRun: true });
  assert.equal(c.object("v1", "ConfigMap", "ns", "x")?.metadata.resourceVersion, rv);
  assert.deepEqual(c.writes.map((w) => `${w.verb}${w.dryRun ? " (dry run)" : ""}`), ["apply", "patch", "apply", "apply (dry run)"]);
});

test("fake cluster: unknown kinds, missing namespaces, existing names and stale resourceVersions are refused", async () => {
  const c = new FakeCluster();
  c.seed(ns("ns"), cm("x", { a: "1" }));
  await assert.rejects(c.resourceInfo("example.com/v1", "Widget"), UnknownKindError);
  assert.deepEqual(await rejection(c.apply({ ...cm("y", {}), metadata: { name: "y", namespace: "nope" } }, { fieldManager: "m" })), { code: 404, message: 'namespaces "nope" not found' });
  assert.equal((await rejection(c.create(cm("x", {})))).code, 409);
  assert.equal((await rejection(c.patch({ apiVersion: "v1", kind: "ConfigMap", name: "x", namespace: "ns" }, { metadata: { resourceVersion: "0" }, data: { a: "2" } }))).code, 409);
  assert.equal((await rejection(c.patch({ apiVersion: "v1", kind: "ConfigMap", name: "x", namespace: "ns" }, [{ op: "test", path: "/data/a", value: "2" }], { type: "json" }))).code, 422);
  assert.deepEqual(c.object("v1", "ConfigMap", "ns", "x")?.data, { a: "1" }, "refused writes change nothing");
});

test("fake cluster: a deleted object with finalizers waits for the last one; status is its own subresource", async () => {
  const c = new FakeCluster();
  const app: KubeObject = { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "a", namespace: "ns", finalizers: ["f1", "f2"] }, spec: { x: 1 } };
  c.seed(ns("ns"), app);
  const ref = { apiVersion: "argoproj.io/v1alpha1", kind: "Application", name: "a", namespace: "ns" };
  await c.patch(ref, { status: { ignored: true }, spec: { x: 2 } });
  assert.equal(c.object(ref.apiVersion, ref.kind, "ns", "a")?.status, undefined, "a main-resource write leaves status alone");
  assert.equal(c.object(ref.apiVersion, ref.kind, "ns", "a")?.metadata.generation, 2, "a spec change moves the generation");
  await c.patch(ref, { status: { phase: "x" }, spec: { x: 3 } }, { subresource: "status" });
  assert.deepEqual(c.object(ref.apiVersion, ref.kind, "ns", "a")?.status, { phase: "x" });
  assert.deepEqual(c.object(ref.apiVersion, ref.kind, "ns", "a")?.spec, { x: 2 }, "a status write leaves the rest alone");

  assert.equal(await c.delete(ref), true);
  assert.ok(c.object(ref.apiVersion, ref.kind, "ns", "a")?.metadata.deletionTimestamp, "held by its finalizers");
  await c.patch(ref, { metadata: { finalizers: ["f2"] } });
  assert.ok(c.object(ref.apiVersion, ref.kind, "ns", "a"), "one finalizer left");
  await c.patch(ref, [{ op: "replace", path: "/metadata/finalizers", value: [] }], { type: "json" });
  assert.equal(c.object(ref.apiVersion, ref.kind, "ns", "a"), undefined, "gone with the last finalizer");
  assert.equal(await c.delete(ref), false, "deleting what is gone reports false, as KubeClient.delete does");
});

test("fake cluster: the destination cache sees only watched kinds and finds an app's objects by tracking", async () => {
  const c = new FakeCluster();
  c.seed(ns("ns"), cm("mine", {}, { "argocd.argoproj.io/tracking-id": "app:/ConfigMap:ns/mine" }), cm("other", {}));
  const cache = c.cache({ method: "annotation", labelKey: "app.kubernetes.io/instance" });
  assert.equal(cache.get("v1", "ConfigMap", "ns", "mine"), undefined, "not watched yet");
  await cache.ensureKind("v1", "ConfigMap");
  assert.deepEqual(cache.managedBy("app").map((o) => o.metadata.name), ["mine"]);
  assert.deepEqual(cache.inNamespace("ns").map((o) => o.metadata.name).sort(), ["mine", "other"]);
  await assert.rejects(cache.ensureKind("example.com/v1", "Widget"), UnknownKindError);
});
