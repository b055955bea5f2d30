// Informers against a real apiserver, including the apiserver process being killed and started
// again: the informer keeps running, resumes its watch and sees objects created meanwhile.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { Informer } from "../../operator/runtime/informer.js";
import { memoryLogger } from "../../operator/runtime/logger.js";
import { privateCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";

test("an informer survives a kube-apiserver restart without missing objects", async (t) => {
  const cluster = await privateCluster(`informer-${randomBytes(3).toString("hex")}`);
  t.after(() => cluster.stop());
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = "informer-test";
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const cm = (name: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { k: name } });
  await client.create(cm("before"));

  const { logger, lines } = memoryLogger();
  const informer = new Informer(client, { apiVersion: "v1", kind: "ConfigMap", namespace: ns, log: logger, minBackoffMs: 100, maxBackoffMs: 2_000 });
  const seen: string[] = [];
  informer.addHandler({ add: (o) => seen.push(`add:${o.metadata.name}`), delete: (o) => seen.push(`delete:${o.metadata.name}`) });
  informer.start();
  t.after(() => informer.stop());
  await informer.waitForSync();
  assert.ok(informer.get(`${ns}/before`), "the initial list is cached");
  assert.equal(informer.get(`${ns}/before`)!.metadata.managedFields, undefined, "managedFields are stripped");

  await client.create(cm("watched"));
  await eventually(() => assert.ok(informer.get(`${ns}/watched`), "informer.get(`${ns}/watched`)"), { timeoutMs: 10_000 });

  await cluster.stopComponent("kube-apiserver");
  // Let the informer notice the broken watch and fail a few reconnects.
  await eventually(() => assert.ok(lines.some((l) => l.msg === "watch failed; retrying"), "lines.some((l) => l.msg === \"watch failed; retrying\")"), { timeoutMs: 20_000 });
  await cluster.startComponent("kube-apiserver");

  // Objects created and deleted right after the restart, before the informer reconnects.
  await eventually(async () => { await client.create(cm("during-outage")); }, { timeoutMs: 60_000 });
  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "watched", namespace: ns });

  await eventually(() => {
    assert.ok(informer.get(`${ns}/during-outage`), "object created across the restart is seen");
    assert.equal(informer.get(`${ns}/watched`), undefined, "deletion across the restart is seen");
  }, { timeoutMs: 60_000 });
  assert.ok(seen.includes("add:during-outage"), "seen.includes(\"add:during-outage\")");
  assert.ok(seen.includes("delete:watched"), "seen.includes(\"delete:watched\")");
  assert.ok(informer.get(`${ns}/before`), "informer.get(`${ns}/before`)");

  // And it keeps watching normally afterwards.
  await client.create(cm("after"));
  await eventually(() => assert.ok(informer.get(`${ns}/after`), "informer.get(`${ns}/after`)"), { timeoutMs: 10_000 });
});

test("an informer index finds objects without scanning, and relists keep handlers consistent", async (t) => {
  const { sharedCluster } = await import("../support/cluster.js");
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `informer-idx-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  for (const [name, app] of [["a1", "alpha"], ["a2", "alpha"], ["b1", "beta"]]) {
    await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, labels: { "app.kubernetes.io/instance": app! } } });
  }
  const informer = new Informer(client, { apiVersion: "v1", kind: "ConfigMap", namespace: ns, log: memoryLogger().logger, pageSize: 2 });
  informer.addIndex("app", (o) => (o.metadata.labels?.["app.kubernetes.io/instance"] ? [o.metadata.labels["app.kubernetes.io/instance"]] : []));
  informer.start();
  t.after(() => informer.stop());
  await informer.waitForSync();
  assert.deepEqual(informer.byIndex("app", "alpha").map((o) => o.metadata.name).sort(), ["a1", "a2"], "paged list (pageSize 2) is complete");
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "a2", namespace: ns }, { metadata: { labels: { "app.kubernetes.io/instance": "beta" } } });
  await eventually(() => assert.deepEqual(informer.byIndex("app", "beta").map((o) => o.metadata.name).sort(), ["a2", "b1"]), { timeoutMs: 10_000 });
  assert.deepEqual(informer.byIndex("app", "alpha").map((o) => o.metadata.name), ["a1"]);
});
