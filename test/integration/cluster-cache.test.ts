// The live-state cache on a real cluster: objects are found per app through the tracking index,
// and a hand edit or deletion of a managed object notifies its app at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { ClusterCache } from "../../operator/cluster/cluster-cache.js";
import { trackingId } from "../../operator/engine/tracking.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { memoryLogger } from "../../operator/runtime/logger.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";

test("managed objects are indexed by app and their changes notify the app", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `cache-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });

  const changes: string[] = [];
  const cache = new ClusterCache({ client, log: memoryLogger().logger, onManagedChange: (key, obj, ev) => changes.push(`${key}:${ev}:${obj.metadata.name}`) });
  t.after(() => cache.stop());

  const cm = (name: string, app?: string, forged = false): KubeObject => {
    const obj: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { v: "1" } };
    if (app) obj.metadata.annotations = { "argocd.argoproj.io/tracking-id": forged ? `${app}:/ConfigMap:other/${name}` : trackingId(app, obj) };
    return obj;
  };
  await client.create(cm("a1", "alpha"));
  await client.create(cm("b1", "beta"));
  await client.create(cm("copied", "alpha", true));
  await client.create(cm("untracked"));
  await client.create({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: ns, annotations: { "argocd.argoproj.io/tracking-id": `alpha:apps/Deployment:${ns}/web` } },
    spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } } } });

  await cache.ensureKind("v1", "ConfigMap");
  await cache.ensureKind("apps/v1", "Deployment");
  await cache.ensureKind("v1", "ConfigMap"); // idempotent
  assert.deepEqual(cache.watchedKinds, ["apps/v1/Deployment", "v1/ConfigMap"]);
  const alpha = () => cache.managedBy("alpha").filter((o) => o.metadata.namespace === ns).map((o) => `${o.kind}/${o.metadata.name}`).sort();
  assert.deepEqual(alpha(), ["ConfigMap/a1", "Deployment/web"], "copied and untracked objects are not alpha's");
  assert.deepEqual(cache.managedBy("beta").filter((o) => o.metadata.namespace === ns).map((o) => o.metadata.name), ["b1"]);
  // Managed objects keep managedFields (ignoreDifferences managedFieldsManagers reads them); others drop them.
  assert.ok(cache.get("v1", "ConfigMap", ns, "a1")?.metadata.managedFields?.length, "a tracked object keeps its managedFields");
  assert.equal(cache.get("v1", "ConfigMap", ns, "untracked")?.metadata.managedFields, undefined, "an untracked object's managedFields are not kept");

  changes.length = 0;
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "a1", namespace: ns }, { data: { v: "edited by hand" } });
  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "b1", namespace: ns });
  await eventually(() => {
    assert.ok(changes.includes("alpha:update:a1"), "changes.includes(\"alpha:update:a1\")");
    assert.ok(changes.includes("beta:delete:b1"), "changes.includes(\"beta:delete:b1\")");
  }, { timeoutMs: 10_000 });
  assert.deepEqual(cache.managedBy("beta").filter((o) => o.metadata.namespace === ns), []);

  await assert.rejects(cache.ensureKind("example.com/v1", "NoSuchKind"), /does not know NoSuchKind/);
});

test("read-your-writes: what an apply returned is what lookups give at once, and a later change by anyone else still shows", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `ryw-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const cache = new ClusterCache({ client, log: memoryLogger().logger });
  t.after(() => cache.stop());
  await cache.ensureKind("v1", "ConfigMap");

  const cm = (v: string): KubeObject => {
    const obj: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: ns }, data: { v } };
    obj.metadata.annotations = { "argocd.argoproj.io/tracking-id": trackingId("app", obj) };
    return obj;
  };
  const rv = (o: KubeObject | undefined): number => Number(o?.metadata.resourceVersion ?? 0);
  const v = (o: KubeObject | undefined): string | undefined => (o as { data?: { v?: string } } | undefined)?.data?.v;
  for (const value of ["1", "2", "3"]) {
    const applied = await client.apply(cm(value), { fieldManager: "hawser", force: true });
    cache.observeWrite(applied);
    // No waiting for the watch: the lookup right after the write gives that write or a newer one.
    assert.ok(rv(cache.get("v1", "ConfigMap", ns, "cm")) >= rv(applied), `get sees write ${value}`);
    assert.equal(v(cache.get("v1", "ConfigMap", ns, "cm")), value);
    const managed = cache.managedBy("app").filter((o) => o.metadata.namespace === ns);
    assert.deepEqual(managed.map(v), [value], `managedBy holds write ${value} once (created or updated)`);
    assert.ok(cache.inNamespace(ns).some((o) => v(o) === value), "inNamespace sees it too");
  }
  // A write the operator did not record (a hand edit) is newer than anything recorded: it shows.
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "cm", namespace: ns }, { data: { v: "by hand" } });
  await eventually(() => { assert.equal(v(cache.get("v1", "ConfigMap", ns, "cm")), "by hand"); }, { timeoutMs: 10_000 });
  assert.deepEqual(cache.managedBy("app").filter((o) => o.metadata.namespace === ns).map(v), ["by hand"]);
  // A recorded write does not outlive the object: its deletion shows.
  const last = await client.apply(cm("4"), { fieldManager: "hawser", force: true });
  cache.observeWrite(last);
  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "cm", namespace: ns });
  await eventually(() => { assert.equal(cache.get("v1", "ConfigMap", ns, "cm"), undefined, "the deletion shows"); }, { timeoutMs: 10_000 });
  assert.deepEqual(cache.managedBy("app").filter((o) => o.metadata.namespace === ns), []);
});

test("read-your-deletes: a pruned object leaves what its app manages at once, stays out while the collector finishes it, and one a finalizer holds shows terminating", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `ryd-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const changes: string[] = [];
  const cache = new ClusterCache({ client, log: memoryLogger().logger, onManagedChange: (_key, obj, ev) => changes.push(`${ev}:${obj.metadata.name}`) });
  t.after(() => cache.stop());
  await cache.ensureKind("v1", "ConfigMap");

  const cm = (name: string, finalizers?: string[]): KubeObject => {
    const obj: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, ...(finalizers ? { finalizers } : {}) }, data: { v: "1" } };
    obj.metadata.annotations = { "argocd.argoproj.io/tracking-id": trackingId("app", obj) };
    return obj;
  };
  const ref = (name: string): { apiVersion: string; kind: string; name: string; namespace: string } => ({ apiVersion: "v1", kind: "ConfigMap", name, namespace: ns });
  const managed = (): string[] => cache.managedBy("app").filter((o) => o.metadata.namespace === ns).map((o) => `${o.metadata.name}${o.metadata.deletionTimestamp ? " (terminating)" : ""}`).sort();
  for (const o of [cm("fg"), cm("bg"), cm("held", ["example.com/cleanup"]), cm("again")]) await client.create(o);
  await eventually(() => { assert.deepEqual(managed(), ["again", "bg", "fg", "held"]); }, { timeoutMs: 10_000 });

  // The sync's prunes: Foreground (Argo's default), Background, one a finalizer holds, and one created again right after.
  await client.delete(ref("fg"), { propagationPolicy: "Foreground" });
  cache.observeDelete(ref("fg"));
  await client.delete(ref("bg"), { propagationPolicy: "Background" });
  cache.observeDelete(ref("bg"));
  await client.delete(ref("held"), { propagationPolicy: "Foreground" });
  cache.observeDelete(ref("held"));
  await client.delete(ref("again"), { propagationPolicy: "Background" });
  cache.observeDelete(ref("again"));
  await client.create(cm("again"));
  // No waiting for the watch: the lookup right after the deletes leaves the pruned ones out.
  const atOnce = managed();
  assert.ok(!atOnce.includes("fg") && !atOnce.includes("bg"), `the pruned objects are gone for the app at once: ${JSON.stringify(atOnce)}`);
  assert.ok(atOnce.some((n) => n.startsWith("held")), "the one a finalizer holds is never hidden");

  // Once the watch has shown every step: the collector's deletions are gone, the held one shows terminating, the new one shows.
  await eventually(() => {
    assert.ok(changes.includes("delete:fg") && changes.includes("delete:bg"), `the watch showed both deletions: ${JSON.stringify(changes)}`);
    assert.deepEqual(managed(), ["again", "held (terminating)"]);
    assert.equal(cache.get("v1", "ConfigMap", ns, "fg"), undefined);
  }, { timeoutMs: 30_000 });
  await client.patch(ref("held"), { metadata: { finalizers: null } });
  await eventually(() => { assert.deepEqual(managed(), ["again"]); }, { timeoutMs: 10_000 });
});
