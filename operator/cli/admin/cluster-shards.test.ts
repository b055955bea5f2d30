// The rows of `hawser admin cluster shards`: the shards are assignShards' (the controller's
// function), the counts come from the Applications, and the settings are read in the operator's
// order of precedence.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ClusterEntry } from "../../cluster/clusters.js";
import { assignShards, fnv32a } from "../../engine/sharding.js";
import type { KubeObject } from "../../kube/client.js";
import { parseFlags } from "../../flags.js";
import { clusterShardRows, clusterShards, clusterShardsTable, shardSettings } from "./cluster-shards.js";

const inCluster: ClusterEntry = { name: "in-cluster", server: "https://kubernetes.default.svc", namespaces: [], clusterResources: true, config: {} };
const cluster = (name: string, uid: string, shard?: string): ClusterEntry => ({
  name, server: `https://${name}.example:6443`, secretName: `cluster-${name}`, uid, namespaces: [], clusterResources: false, config: {}, ...(shard !== undefined ? { shard } : {}),
});
const app = (name: string, destination: Record<string, string>, resources = 0): KubeObject => ({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace: "argocd" },
  spec: { destination }, status: { resources: Array.from({ length: resources }, (_, i) => ({ kind: "ConfigMap", name: `r${i}` })) },
});

const clusters = [inCluster, cluster("east", "uid-east"), cluster("west", "uid-west"), cluster("north", "uid-north", "2"), cluster("bad", "uid-bad", "seven")];

test("each cluster's shard is the controller's assignment, in-cluster on 0 and pins honoured (legacy)", () => {
  const { rows, problems } = clusterShardRows({ clusters, apps: [], replicas: 3, algorithm: "legacy", holders: new Map() });
  const byServer = new Map(rows.map((r) => [r.server, r.shard]));
  assert.equal(byServer.get(inCluster.server), 0, "in-cluster is on shard 0 under legacy");
  assert.equal(byServer.get("https://east.example:6443"), fnv32a("uid-east") % 3, "east: FNV-1a of its UID mod 3");
  assert.equal(byServer.get("https://north.example:6443"), 2, "north is pinned to 2");
  assert.equal(byServer.get("https://bad.example:6443"), fnv32a("uid-bad") % 3, "a bad pin falls back to the algorithm");
  assert.equal(problems.length, 1, `one bad pin reported: ${JSON.stringify(problems)}`);
  assert.match(problems[0]!, /cluster-bad.*"seven"/, "the problem names the Secret and the value");
  assert.deepEqual(rows.map((r) => r.shard), [...rows.map((r) => r.shard)].sort((a, b) => a - b), "rows are ordered by shard");
});

test("every algorithm gives the same answer as assignShards over the same clusters", () => {
  for (const algorithm of ["legacy", "round-robin", "consistent-hashing"] as const) {
    for (const replicas of [1, 2, 4]) {
      const { rows } = clusterShardRows({ clusters, apps: [], replicas, algorithm, holders: new Map() });
      const expected = assignShards(clusters.map((c) => ({ id: c.uid ?? "", server: c.server, ...(c.secretName ? { secretName: c.secretName } : {}), ...(c.shard ? { shard: c.shard } : {}) })), replicas, algorithm).shards;
      assert.deepEqual(new Map(rows.map((r) => [r.server, r.shard])), expected, `${algorithm} with ${replicas} replicas`);
    }
  }
});

test("apps, their share and their managed resources are counted per cluster; holders come from the Leases", () => {
  const apps = [
    app("a", { server: "https://east.example:6443" }, 3),
    app("b", { name: "east" }, 2),
    app("c", { server: "https://kubernetes.default.svc" }, 1),
    app("d", { server: "https://nowhere.example" }, 9),
  ];
  const { rows } = clusterShardRows({ clusters, apps, replicas: 3, algorithm: "legacy", holders: new Map([[0, "replica-0"]]) });
  const east = rows.find((r) => r.name === "east")!;
  assert.deepEqual({ apps: east.apps, resources: east.resources, percent: east.appsPercent }, { apps: 2, resources: 5, percent: 50 }, "east: by server and by name; 2 of 4 apps");
  const local = rows.find((r) => r.name === "in-cluster")!;
  assert.deepEqual({ apps: local.apps, resources: local.resources, holder: local.holder }, { apps: 1, resources: 1, holder: "replica-0" }, "in-cluster, with shard 0's holder");
  assert.equal(rows.reduce((n, r) => n + r.apps, 0), 3, "an app whose destination does not resolve is on no cluster's row");
  const table = clusterShardsTable(rows, false).split("\n");
  assert.match(table[0]!, /^SHARD\s+SERVER\s+APPS NUM\s+APPS %\s+RESOURCES NUM$/, `Argo's columns: ${table[0]}`);
  assert.ok(table.some((l) => /^\d\s+https:\/\/east\.example:6443\s+2\s+50\.00\s+5$/.test(l)), `east's row: ${table.join("\n")}`);
  const wide = clusterShardsTable(rows, true).split("\n");
  assert.match(wide[0]!, /RESOURCES NUM\s+NAME\s+HOLDER$/, "wide adds the name and the holder");
  assert.ok(wide.some((l) => /kubernetes\.default\.svc.*in-cluster\s+replica-0$/.test(l)), `in-cluster's holder: ${wide.join("\n")}`);
});

test("settings: flag over environment over argocd-cmd-params-cm; replicas fall back to the shard Leases", () => {
  const none = parseFlags([], { values: ["replicas", "sharding-method"] });
  assert.deepEqual(shardSettings(none, {}, undefined, 0), { replicas: 1, algorithm: "legacy", appNamespaces: [] }, "nothing set: one shard, legacy");
  assert.equal(shardSettings(none, {}, undefined, 3).replicas, 3, "three shard Leases: three replicas");
  assert.equal(shardSettings(none, { ARGOCD_CONTROLLER_REPLICAS: "2" }, undefined, 3).replicas, 2, "the environment wins over the Leases");
  const flags = parseFlags(["--replicas", "5", "--sharding-method", "consistent-hashing"], { values: ["replicas", "sharding-method"] });
  const cm = { "controller.sharding.algorithm": "round-robin", "application.namespaces": "team-*" };
  assert.deepEqual(shardSettings(none, {}, cm, 0), { replicas: 1, algorithm: "round-robin", appNamespaces: ["team-*"] }, "the ConfigMap's algorithm and namespaces");
  assert.equal(shardSettings(none, { ARGOCD_CONTROLLER_SHARDING_ALGORITHM: "legacy" }, cm, 0).algorithm, "legacy", "the environment wins over the ConfigMap");
  assert.deepEqual(shardSettings(flags, { ARGOCD_CONTROLLER_REPLICAS: "2", ARGOCD_CONTROLLER_SHARDING_ALGORITHM: "legacy" }, cm, 0), { replicas: 5, algorithm: "consistent-hashing", appNamespaces: ["team-*"] }, "flags win");
  assert.throws(() => shardSettings(parseFlags(["--sharding-method", "random"], { values: ["sharding-method"] }), {}, undefined, 0), /--sharding-method must be one of legacy, round-robin, consistent-hashing, got "random"/);
  assert.throws(() => shardSettings(none, { ARGOCD_CONTROLLER_REPLICAS: "0" }, undefined, 0), /ARGOCD_CONTROLLER_REPLICAS must be a whole number of at least 1/);
  assert.throws(() => shardSettings(none, {}, { "controller.sharding.algorithm": "nope" }, 0), /argocd-cmd-params-cm controller\.sharding\.algorithm/);
});

test("bad flags are refused naming the flag, before any cluster is read", async () => {
  await assert.rejects(clusterShards(["-o", "yaml"]), /-o must be wide or json, got "yaml"/);
  await assert.rejects(clusterShards(["--shard", "one"]), /--shard must be a whole number of at least 0, got "one"/);
  await assert.rejects(clusterShards(["east"]), /shards takes no arguments, got "east"/);
  await assert.rejects(clusterShards(["--replica", "2"]), /unknown flag --replica/);
});
