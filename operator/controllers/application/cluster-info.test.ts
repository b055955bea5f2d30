import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterInfoData, clusterInfoName, LABEL_CLUSTER_INFO, NOT_MONITORED_MESSAGE, parseClusterInfoData, type Publisher } from "../../engine/cluster-info.js";
import type { ClusterEntry } from "../../cluster/clusters.js";
import type { KubeObject } from "../../kube/client.js";
import type { ApplicationObject } from "../../appstate/types.js";
import { applicationsPerServer, planClusterInfo, type ClusterInfoInputs } from "./cluster-info.js";
import type { DestinationState } from "./destinations.js";

const LOCAL = "https://kubernetes.default.svc";
const PROD = "https://10.0.0.1:6443";
const STAGE = "https://10.0.0.2:6443";
const clusters: ClusterEntry[] = [
  { name: "in-cluster", server: LOCAL, namespaces: [], clusterResources: true, config: {} },
  { secretName: "prod", name: "prod", server: PROD, namespaces: [], clusterResources: true, config: { bearerToken: "prod-token-never-published" } },
  { secretName: "stage", name: "stage", server: STAGE, namespaces: [], clusterResources: true, config: {} },
];
const T0 = Date.parse("2026-12-07T10:00:00Z");
const app = (name: string, destination: Record<string, string>): ApplicationObject =>
  ({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace: "argocd" }, spec: { destination } });
const prodState: DestinationState = {
  server: PROD, k8sVersion: "1.36.3", connected: true, versionRead: true,
  cache: { apiResources: 2, objects: 17, oldestListAt: T0 - 30_000, healthy: true },
};
const me: Publisher = { identity: "ctl-0_1_aa", lease: "hawser-controller" };
const inputs = (over: Partial<ClusterInfoInputs> = {}): ClusterInfoInputs => ({
  clusters, owned: new Set([LOCAL, PROD, STAGE]), states: [prodState], apps: [app("a", { server: PROD }), app("b", { name: "prod" })],
  records: [], publisher: () => me, collectGarbage: true, nowMs: T0, countsDue: () => true, ...over,
});
/** The ConfigMaps as they would stand after the plan was carried out. */
const written = (plan: ReturnType<typeof planClusterInfo>, before: KubeObject[] = []): KubeObject[] => {
  const byName = new Map(before.map((r) => [r.metadata.name!, r]));
  for (const w of plan.apply) byName.set(w.name, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: w.name, labels: { [LABEL_CLUSTER_INFO]: "true" } }, data: w.data });
  for (const name of plan.delete) byName.delete(name);
  return [...byName.values()];
};

test("planClusterInfo: a first cycle writes every owned cluster; the next, with nothing changed, writes nothing", () => {
  const first = planClusterInfo(inputs());
  assert.deepEqual(first.apply.map((w) => w.server), [LOCAL, PROD, STAGE]);
  assert.deepEqual(first.delete, []);
  const prod = first.apply.find((w) => w.server === PROD)!;
  assert.equal(prod.name, clusterInfoName(PROD));
  assert.deepEqual(parseClusterInfoData(prod.data), {
    server: PROD, publisher: me,
    info: { connectionState: { status: "Successful", message: "", attemptedAt: "2026-12-07T10:00:00Z" }, serverVersion: "1.36.3", cacheInfo: { resourcesCount: 17, apisCount: 2, lastCacheSyncTime: "2026-12-07T09:59:30Z" } },
  });
  assert.ok(!JSON.stringify(first.apply).includes("prod-token-never-published"), "no credential of the cluster is published");
  const local = first.apply.find((w) => w.server === LOCAL)!;
  assert.deepEqual(local.info.connectionState, { status: "Unknown", message: NOT_MONITORED_MESSAGE, attemptedAt: "2026-12-07T10:00:00Z" });
  assert.match(first.apply.find((w) => w.server === STAGE)!.info.connectionState.message, /not being monitored/);

  const records = written(first) as ClusterInfoInputs["records"];
  const idle = planClusterInfo(inputs({ records, nowMs: T0 + 3_600_000 }));
  assert.deepEqual(idle, { apply: [], delete: [] }, "an hour later, nothing changed: nothing to write");
});

test("planClusterInfo: only the changed cluster is rewritten; its failure is dated and carries the reason", () => {
  const records = written(planClusterInfo(inputs())) as ClusterInfoInputs["records"];
  const failing: DestinationState = { ...prodState, connected: false, cache: { ...prodState.cache, healthy: false, error: "watch of v1/ConfigMap failed: connect ECONNREFUSED 10.0.0.1:6443" } };
  const plan = planClusterInfo(inputs({ records, states: [failing], nowMs: T0 + 20_000 }));
  assert.deepEqual(plan.apply.map((w) => w.server), [PROD]);
  assert.equal(plan.apply[0]!.statusChanged, true);
  assert.deepEqual(plan.apply[0]!.info.connectionState, { status: "Failed", message: "watch of v1/ConfigMap failed: connect ECONNREFUSED 10.0.0.1:6443", attemptedAt: "2026-12-07T10:00:20Z" });
  // A version read that fails, with a token in the error text: scrubbed before it is published.
  const leaky: DestinationState = { ...prodState, versionError: "GET https://admin:hunter22@10.0.0.1:6443/version: Authorization: Bearer abc.def.ghi refused" };
  const scrubbed = planClusterInfo(inputs({ records, states: [leaky] })).apply[0]!;
  assert.doesNotMatch(JSON.stringify(scrubbed.data), /hunter22|abc\.def\.ghi/);
  assert.equal(scrubbed.info.connectionState.status, "Failed");
});

test("planClusterInfo: a change of the object count alone waits until counts are due; any other change does not", () => {
  const records = written(planClusterInfo(inputs())) as ClusterInfoInputs["records"];
  const more: DestinationState = { ...prodState, cache: { ...prodState.cache, objects: 18 } };
  assert.deepEqual(planClusterInfo(inputs({ records, states: [more], countsDue: () => false })).apply, [], "a new object count alone waits");
  assert.equal(planClusterInfo(inputs({ records, states: [more], countsDue: () => true })).apply[0]?.info.cacheInfo?.resourcesCount, 18, "and is written when due");
  const newKind: DestinationState = { ...more, cache: { ...more.cache, apiResources: 3 } };
  assert.deepEqual(planClusterInfo(inputs({ records, states: [newKind], countsDue: () => false })).apply.map((w) => w.server), [PROD], "a newly watched kind is written at once");
  const relisted: DestinationState = { ...more, cache: { ...more.cache, oldestListAt: T0 } };
  assert.deepEqual(planClusterInfo(inputs({ records, states: [relisted], countsDue: () => false })).apply.map((w) => w.server), [PROD], "so is a relist");
});

test("planClusterInfo: a sharded replica writes only its clusters, under its shard's Lease; a record of another publisher is taken over", () => {
  const publisher = (server: string): Publisher => ({ identity: "ctl-1_2_bb", lease: "hawser-controller-shard-1", shard: server === PROD ? 1 : 0 });
  const plan = planClusterInfo(inputs({ owned: new Set([PROD]), publisher, collectGarbage: false }));
  assert.deepEqual(plan.apply.map((w) => w.server), [PROD]);
  assert.deepEqual(parseClusterInfoData(plan.apply[0]!.data)?.publisher, { identity: "ctl-1_2_bb", lease: "hawser-controller-shard-1", shard: 1 });
  // Same state, published by a replica that held the shard before: rewritten under the new publisher, attemptedAt kept.
  const before = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: clusterInfoName(PROD) }, data: clusterInfoData(PROD, plan.apply[0]!.info, { identity: "ctl-0_9_old", lease: "hawser-controller-shard-1", shard: 1 }) };
  const takeover = planClusterInfo(inputs({ owned: new Set([PROD]), publisher, collectGarbage: false, records: [before], nowMs: T0 + 60_000 }));
  assert.equal(takeover.apply.length, 1);
  assert.equal(takeover.apply[0]!.info.connectionState.attemptedAt, "2026-12-07T10:00:00Z");
  assert.equal(takeover.apply[0]!.statusChanged, false);
});

test("planClusterInfo: the garbage collector deletes records of gone clusters and foreign data under the label; others leave them", () => {
  const gone = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: clusterInfoName("https://gone:6443") }, data: clusterInfoData("https://gone:6443", { connectionState: { status: "Successful", message: "", attemptedAt: "x" } }, me) };
  const junk = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "hawser-cluster-info-junk" }, data: { hello: "world" } };
  const records = [...written(planClusterInfo(inputs())), gone, junk] as ClusterInfoInputs["records"];
  assert.deepEqual(planClusterInfo(inputs({ records })).delete.sort(), [gone.metadata.name, junk.metadata.name].sort());
  assert.deepEqual(planClusterInfo(inputs({ records, collectGarbage: false })).delete, []);
});

test("applicationsPerServer: by destination server (normalised) or by a name only one cluster has", () => {
  const dup: ClusterEntry[] = [...clusters, { secretName: "prod2", name: "prod", server: "https://10.0.0.9:6443", namespaces: [], clusterResources: true, config: {} }];
  const apps = [app("a", { server: `${PROD}/` }), app("b", { name: "stage" }), app("c", { name: "prod" }), app("d", { server: "https://unknown:1" })];
  assert.deepEqual([...applicationsPerServer(apps, clusters)].sort(), [[PROD, 2], [STAGE, 1], ["https://unknown:1", 1]].sort());
  assert.equal(applicationsPerServer(apps, dup).get(PROD), 1, "an ambiguous name counts for no cluster");
});
