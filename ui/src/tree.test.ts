// The resource graph: owner chains from parentRefs, status and hooks from status.resources,
// folding of many siblings of one kind (and their children under the group), expansion, and
// resources missing from the cluster.
import { test } from "node:test";
import assert from "node:assert/strict";
import { APP_NODE_ID, buildGraph, groupId, nodeKey, resourceNodes, worstHealth, type ApplicationTree, type ResourceNode, type ResourceStatus } from "./tree";

const deploy: ResourceNode = { group: "apps", version: "v1", kind: "Deployment", namespace: "dev", name: "demo", uid: "d1", health: { status: "Healthy" }, resourceVersion: "10" };
const rs: ResourceNode = {
  group: "apps", version: "v1", kind: "ReplicaSet", namespace: "dev", name: "demo-abc", uid: "r1", health: { status: "Healthy" },
  parentRefs: [{ group: "apps", kind: "Deployment", namespace: "dev", name: "demo", uid: "d1" }],
};
function pod(i: number, health = "Healthy", parent = rs): ResourceNode {
  return { version: "v1", kind: "Pod", namespace: "dev", name: `demo-abc-${String(i).padStart(4, "0")}`, uid: `p${i}`, health: { status: health }, parentRefs: [{ group: "apps", kind: parent.kind, namespace: "dev", name: parent.name, uid: parent.uid! }] };
}
const svc: ResourceNode = { version: "v1", kind: "Service", namespace: "dev", name: "demo", uid: "s1", health: { status: "Healthy" } };
const resources: ResourceStatus[] = [
  { group: "apps", version: "v1", kind: "Deployment", namespace: "dev", name: "demo", status: "Synced", health: { status: "Healthy" } },
  { version: "v1", kind: "Service", namespace: "dev", name: "demo", status: "OutOfSync", health: { status: "Healthy" } },
];

function edgesOf(g: { edges: Array<{ from: string; to: string }> }): string[] {
  return g.edges.map((e) => `${e.from} -> ${e.to}`).sort();
}

test("app → managed resources → ReplicaSet → Pod through parentRefs, with sync from status.resources", () => {
  const tree: ApplicationTree = { nodes: [deploy, rs, pod(1), svc] };
  const g = buildGraph("demo-dev", tree, resources, new Set());
  assert.deepEqual(g.nodes.map((n) => n.id), [APP_NODE_ID, "apps/Deployment/dev/demo", "/Service/dev/demo", "apps/ReplicaSet/dev/demo-abc", "/Pod/dev/demo-abc-0001"], "each resource once, breadth first");
  assert.deepEqual(edgesOf(g), [
    "apps/ReplicaSet/dev/demo-abc -> /Pod/dev/demo-abc-0001",
    "app -> /Service/dev/demo",
    "app -> apps/Deployment/dev/demo",
    "apps/Deployment/dev/demo -> apps/ReplicaSet/dev/demo-abc",
  ].sort(), "owner edges");
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  assert.equal(byId.get("/Service/dev/demo")?.sync, "OutOfSync", "sync status comes from status.resources");
  assert.equal(byId.get("apps/Deployment/dev/demo")?.uid, "d1", "the live uid comes from the tree");
  assert.equal(byId.get("/Pod/dev/demo-abc-0001")?.sync, undefined, "children have no sync status of their own");
});

test("a managed resource missing from the cluster is shown as Missing; a hook is marked", () => {
  const extra: ResourceStatus[] = [...resources, { group: "batch", version: "v1", kind: "Job", namespace: "dev", name: "migrate", status: "Synced", hook: true, health: { status: "Healthy" } }];
  const job: ResourceNode = { group: "batch", version: "v1", kind: "Job", namespace: "dev", name: "migrate", uid: "j1", health: { status: "Healthy" } };
  const g = buildGraph("a", { nodes: [svc, job] }, extra, new Set());
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const missing = byId.get("apps/Deployment/dev/demo");
  assert.equal(missing?.health, "Healthy", "a resource not in the tree keeps the health status.resources reports");
  assert.equal(byId.get("batch/Job/dev/migrate")?.hook, true, "hooks are marked");
  assert.equal(byId.get("/Service/dev/demo")?.hook, false, "other resources are not");
  const gone = resourceNodes({ nodes: [] }, [{ kind: "ConfigMap", namespace: "dev", name: "cm", status: "OutOfSync" }]);
  assert.deepEqual(gone.map((n) => [n.id, n.health, n.sync, n.uid]), [["/ConfigMap/dev/cm", "Missing", "OutOfSync", ""]], "no health reported means Missing");
});

test("many pods of one ReplicaSet fold into a group with the worst health; expanding shows them all", () => {
  const pods = Array.from({ length: 2000 }, (_, i) => pod(i, i === 1234 ? "Degraded" : i % 7 === 0 ? "Progressing" : "Healthy"));
  const tree: ApplicationTree = { nodes: [deploy, rs, ...pods, svc] };
  const gid = groupId("apps/ReplicaSet/dev/demo-abc", "Pod");
  const folded = buildGraph("demo", tree, resources, new Set());
  assert.equal(folded.nodes.length, 5, `app, deployment, service, replicaset, one group: ${folded.nodes.map((n) => n.id).join(", ")}`);
  const group = folded.nodes.find((n) => n.id === gid);
  assert.ok(group, "the group node exists");
  assert.deepEqual([group.type, group.count, group.health, group.name], ["group", 2000, "Degraded", "2000 Pods"], "the group counts its members and shows the worst health");
  assert.ok(folded.edges.some((e) => e.from === "apps/ReplicaSet/dev/demo-abc" && e.to === gid), "the group hangs from the ReplicaSet");

  const open = buildGraph("demo", tree, resources, new Set([gid]));
  assert.equal(open.nodes.length, 2004, "expanded: every pod is a node");
  assert.equal(open.edges.length, 2003, "one edge per node but the app");
  assert.equal(new Set(open.nodes.map((n) => n.id)).size, open.nodes.length, "ids are unique");
});

test("children of folded members hang from the group and fold by their own kind", () => {
  const sets = Array.from({ length: 8 }, (_, i): ResourceNode => ({ ...rs, name: `demo-${i}`, uid: `r${i}` }));
  const pods = sets.flatMap((s, i) => [pod(i * 10, "Healthy", s), pod(i * 10 + 1, "Healthy", s)]);
  const g = buildGraph("demo", { nodes: [deploy, ...sets, ...pods] }, resources, new Set());
  const rsGroup = groupId("apps/Deployment/dev/demo", "ReplicaSet");
  const podGroup = groupId(rsGroup, "Pod");
  assert.deepEqual(g.nodes.filter((n) => n.type === "group").map((n) => [n.id, n.count]), [[rsGroup, 8], [podGroup, 16]], "two nested groups");
  assert.ok(g.edges.some((e) => e.from === rsGroup && e.to === podGroup), "the pods' group hangs from the ReplicaSets' group");
});

test("a child whose owner is not in the tree hangs from the app; an owner cycle does not loop", () => {
  const orphan = pod(1, "Healthy", { ...rs, name: "gone", uid: "nope" });
  const a: ResourceNode = { kind: "A", name: "a", uid: "a", parentRefs: [{ kind: "B", name: "b", uid: "b" }] };
  const b: ResourceNode = { kind: "B", name: "b", uid: "b", parentRefs: [{ kind: "A", name: "a", uid: "a" }] };
  const g = buildGraph("x", { nodes: [orphan, a, b] }, [], new Set());
  assert.ok(g.edges.some((e) => e.from === APP_NODE_ID && e.to === nodeKey(orphan)), "the orphan hangs from the app");
  assert.equal(g.nodes.filter((n) => n.type === "resource").length, 1, "a pure cycle has no way in from the app, and nothing loops");
});

test("worstHealth orders Degraded before Missing, Progressing, Suspended, Unknown and Healthy", () => {
  assert.equal(worstHealth(["Healthy", "Progressing", undefined]), "Progressing");
  assert.equal(worstHealth(["Healthy", "Missing", "Degraded"]), "Degraded");
  assert.equal(worstHealth([undefined]), undefined, "nothing known");
});
