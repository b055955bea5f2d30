// The API server's tree cache against a real apiserver (and its controller-manager, which makes
// the Deployment's ReplicaSet): the tree follows owner chains from the app's managed objects; a
// subscription is told about changes to objects of the tree and not about other objects in the
// same watch; a kind the cluster does not serve leaves the rest of the tree intact; watches
// nobody holds are stopped beyond the idle cap at once and after the idle time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { memoryLogger } from "../../operator/runtime/logger.js";
import type { ApplicationObject } from "../../operator/server/cache.js";
import { TreeCache } from "../../operator/server/tree-cache.js";
import { kubeConfigFor, sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";

test("tree cache: owner chains, change notices only for the tree's objects, unknown kinds, bounded idle watches", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(kubeConfigFor(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `tree-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(() => client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined));
  const cm = (name: string, v: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { v } });
  await client.create(cm("cfg", "1"));
  await client.create(cm("noise", "1"));
  await client.create({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: ns },
    spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } } },
  });

  const app = {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application",
    metadata: { name: "web", namespace: "argocd" },
    spec: { project: "default", destination: {} },
    status: {
      resources: [
        { group: "apps", version: "v1", kind: "Deployment", namespace: ns, name: "web", health: { status: "Healthy" } },
        { version: "v1", kind: "ConfigMap", namespace: ns, name: "cfg" },
        { group: "example.invalid", version: "v1", kind: "Widget", namespace: ns, name: "w" },
      ],
    },
  } as unknown as ApplicationObject;

  let clock = Date.now();
  const { logger } = memoryLogger();
  const cache = new TreeCache({ log: logger, idleMs: 60_000, maxIdleWatches: 3, now: () => clock });
  t.after(() => cache.stop());
  const changed: string[] = [];
  const sub = cache.subscribe(client, app, (o) => changed.push(`${o.kind}/${o.metadata.name}`));
  await sub.ready();

  // The tree: the managed objects, the controller-manager's ReplicaSet under the Deployment; the
  // Widget kind is not served, and the rest of the tree is there all the same.
  const tree = await eventually(() => {
    const nodes = sub.tree().nodes;
    assert.ok(nodes.some((n) => n.kind === "ReplicaSet" && n.parentRefs?.[0]?.kind === "Deployment"), `a ReplicaSet under the Deployment: ${JSON.stringify(nodes.map((n) => n.kind))}`);
    return nodes;
  }, { timeoutMs: 60_000 });
  assert.ok(tree.some((n) => n.kind === "ConfigMap" && n.name === "cfg"), "the managed ConfigMap");
  assert.ok(!tree.some((n) => n.name === "noise"), "an unmanaged ConfigMap is no node");
  assert.ok(!tree.some((n) => n.kind === "Widget"), "nothing of the unserved kind");

  // Change notices: the unmanaged ConfigMap first, then the managed one, on the same watch (in order).
  changed.length = 0;
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "noise", namespace: ns }, { data: { v: "2" } });
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "cfg", namespace: ns }, { data: { v: "2" } });
  await eventually(() => assert.ok(changed.includes("ConfigMap/cfg"), `the managed ConfigMap's change is noticed: ${changed.join(", ")}`), { timeoutMs: 30_000 });
  assert.ok(!changed.includes("ConfigMap/noise"), `the unmanaged ConfigMap's change is not: ${changed.join(", ")}`);
  assert.equal(sub.tree().nodes.find((n) => n.name === "cfg")?.resourceVersion !== undefined, true, "the node carries the cached object's resourceVersion");

  // A deleted managed object leaves the tree, and the notice names it.
  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "cfg", namespace: ns });
  await eventually(() => assert.ok(!sub.tree().nodes.some((n) => n.name === "cfg"), "the deleted ConfigMap is gone from the tree"), { timeoutMs: 30_000 });

  // Watches: one per served kind and namespace the tree needs; let go, only the idle cap stays,
  // and after the idle time none.
  const held = cache.size;
  assert.ok(held >= 4, `Deployment, ConfigMap and the child kinds are watched (${held})`);
  sub.close();
  assert.ok(cache.size <= 3, `beyond the idle cap the oldest idle watches stop at once (${cache.size})`);
  clock += 60_001;
  cache.sweep();
  assert.equal(cache.size, 0, "no watch is left after the idle time");

  // The one-shot tree (the unary GET) builds the same tree again from fresh watches.
  const again = await cache.tree(client, app);
  assert.ok(again.nodes.some((n) => n.kind === "Deployment" && n.name === "web"), "the one-shot tree has the Deployment");
});
