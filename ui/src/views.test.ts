// The network view (Ingress → Service → the pods its selector matches, folded per Service) and the
// pods view (grouped by node, owner or top-level resource), from a fixture tree.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationTree, ResourceNode, ResourceStatus } from "./tree";
import { formatAmount, hostResources, networkGraph, parsePodSortMode, parseView, podGroupId, podGroups } from "./views";

const deploy: ResourceNode = { group: "apps", version: "v1", kind: "Deployment", namespace: "dev", name: "web", uid: "d1", health: { status: "Healthy" } };
const rs: ResourceNode = { group: "apps", version: "v1", kind: "ReplicaSet", namespace: "dev", name: "web-1", uid: "r1", parentRefs: [{ group: "apps", kind: "Deployment", namespace: "dev", name: "web", uid: "d1" }] };
const rs2: ResourceNode = { group: "apps", version: "v1", kind: "ReplicaSet", namespace: "dev", name: "web-2", uid: "r2", parentRefs: [{ group: "apps", kind: "Deployment", namespace: "dev", name: "web", uid: "d1" }] };
function pod(name: string, owner: ResourceNode, opts: { node?: string; labels?: Record<string, string>; health?: string } = {}): ResourceNode {
  return {
    version: "v1", kind: "Pod", namespace: "dev", name, uid: `uid-${name}`, health: { status: opts.health ?? "Healthy" },
    parentRefs: [{ group: owner.group, kind: owner.kind, namespace: "dev", name: owner.name, uid: owner.uid! }],
    networkingInfo: { labels: opts.labels ?? { app: "web" } },
    info: [{ name: "Status Reason", value: "Running" }, ...(opts.node ? [{ name: "Node", value: opts.node }] : [])],
  };
}
const svc: ResourceNode = { version: "v1", kind: "Service", namespace: "dev", name: "web", uid: "s1", networkingInfo: { targetLabels: { app: "web" } } };
const ing: ResourceNode = {
  group: "networking.k8s.io", version: "v1", kind: "Ingress", namespace: "dev", name: "web", uid: "i1",
  networkingInfo: { targetRefs: [{ kind: "Service", namespace: "dev", name: "web" }, { kind: "Service", namespace: "dev", name: "gone" }], ingress: [{ ip: "10.1.2.3" }], externalURLs: ["http://web.example/"] },
};
const resources: ResourceStatus[] = [
  { group: "apps", version: "v1", kind: "Deployment", namespace: "dev", name: "web", status: "Synced" },
  { version: "v1", kind: "Service", namespace: "dev", name: "web", status: "Synced", health: { status: "Healthy" } },
  { group: "networking.k8s.io", version: "v1", kind: "Ingress", namespace: "dev", name: "web", status: "Synced", health: { status: "Healthy" } },
];
const tree: ApplicationTree = {
  nodes: [deploy, rs, rs2, svc, ing,
    pod("web-1-a", rs, { node: "kwok-1" }), pod("web-1-b", rs, { node: "kwok-2", health: "Degraded" }), pod("web-2-a", rs2, { node: "kwok-1" }),
    pod("other", rs2, { labels: { app: "other" } })],
  hosts: [{ name: "kwok-1", labels: { "topology.kubernetes.io/zone": "z1" } }],
};

function edges(g: { edges: Array<{ from: string; to: string }> }): string[] {
  return g.edges.map((e) => `${e.from} -> ${e.to}`).sort();
}

test("network view: traffic enters at the load balancer and URL, the Ingress routes to its Service, the Service to its pods (folded)", () => {
  const g = networkGraph(tree, resources, new Set());
  const svcId = "/Service/dev/web";
  assert.deepEqual(edges(g), [
    "/Service/dev/web -> pods:/Service/dev/web",
    "lb:10.1.2.3 -> networking.k8s.io/Ingress/dev/web",
    "networking.k8s.io/Ingress/dev/web -> /Service/dev/gone",
    "networking.k8s.io/Ingress/dev/web -> /Service/dev/web",
    "url:http://web.example/ -> networking.k8s.io/Ingress/dev/web",
  ]);
  const group = g.nodes.find((n) => n.id === podGroupId(svcId));
  assert.deepEqual([group?.type, group?.count, group?.health, group?.name], ["group", 3, "Degraded", "3 Pods"], "the selector's three pods (not `other`), worst health shown");
  assert.equal(g.nodes.find((n) => n.id === "/Service/dev/gone")?.health, "Missing", "a backend outside the app is drawn as missing");
  assert.ok(!g.nodes.some((n) => n.kind === "Deployment" || n.kind === "ReplicaSet"), "owners carry no traffic and are left out");
});

test("network view: an expanded Service shows each pod its selector matches", () => {
  const g = networkGraph(tree, resources, new Set([podGroupId("/Service/dev/web")]));
  assert.deepEqual(g.edges.filter((e) => e.from === "/Service/dev/web").map((e) => e.to), ["/Pod/dev/web-1-a", "/Pod/dev/web-1-b", "/Pod/dev/web-2-a"]);
});

test("network view: a Service without a selector, and an app with no Service, draw no pods", () => {
  const bare: ResourceNode = { ...svc, networkingInfo: {} };
  assert.deepEqual(edges(networkGraph({ nodes: [bare, pod("web-1-a", rs)] }, [], new Set())), []);
  assert.deepEqual(networkGraph({ nodes: [deploy, rs] }, [], new Set()).nodes, [], "nothing to draw");
});

test("pods view by node: pods per node, unscheduled ones together, with the node's labels", () => {
  const groups = podGroups(tree, resources, "node", tree.hosts);
  assert.deepEqual(groups.map((g) => [g.name, g.pods.map((p) => p.name)]), [
    ["kwok-1", ["web-1-a", "web-2-a"]],
    ["kwok-2", ["web-1-b"]],
    ["Unscheduled", ["other"]],
  ]);
  assert.deepEqual(groups[0]!.labels, [{ name: "topology.kubernetes.io/zone", value: "z1" }], "the host's labels");
  assert.deepEqual(groups[1]!.labels, [], "a node the tree has no host for");
  assert.equal(groups[1]!.health, "Degraded", "a group shows its worst pod");
});

test("pods view by node: the node's resources (app, neighbours, capacity) and system facts from the tree's hosts", () => {
  const withInfo: ApplicationTree = {
    ...tree,
    hosts: [{
      name: "kwok-1",
      resourcesInfo: [{ resourceName: "cpu", requestedByApp: 500, requestedByNeighbors: 1000, capacity: 4000 }, { resourceName: "memory", capacity: 8 * 1024 ** 3 * 1000 }],
      systemInfo: { operatingSystem: "linux", architecture: "amd64", kubeletVersion: "v1.36.3", machineID: "" },
    }],
  };
  const [kwok1, kwok2] = podGroups(withInfo, resources, "node", withInfo.hosts);
  assert.deepEqual(kwok1!.resources, [
    { name: "cpu", app: 0.5, neighbors: 1, capacity: 4, unit: "cores" },
    { name: "memory", app: 0, neighbors: 0, capacity: 8 * 1024 ** 3, unit: "bytes" },
  ], "milli-units shown as cores and bytes; absent requests are zero");
  assert.deepEqual(kwok1!.system, [{ name: "OS", value: "linux" }, { name: "Architecture", value: "amd64" }, { name: "Kubelet", value: "v1.36.3" }], "known, non-empty system facts in a fixed order");
  assert.deepEqual([kwok2!.resources, kwok2!.system], [[], []], "a node without host info shows none");
  assert.equal(formatAmount(8 * 1024 ** 3, "bytes"), "8 GiB");
  assert.equal(formatAmount(1.5, "cores"), "1.5");
  assert.deepEqual(hostResources(undefined), []);
});

test("pods view by parent and by top-level resource", () => {
  assert.deepEqual(podGroups(tree, resources, "parentResource").map((g) => [g.kind, g.name, g.pods.length]), [["ReplicaSet", "web-1", 2], ["ReplicaSet", "web-2", 2]]);
  assert.deepEqual(podGroups(tree, resources, "topLevelResource").map((g) => [g.kind, g.name, g.pods.length]), [["Deployment", "web", 4]], "both ReplicaSets lead up to the Deployment");
});

test("URL values: unknown views and sort modes fall back to Argo's defaults", () => {
  assert.equal(parseView("network"), "network");
  assert.equal(parseView("pods"), "pods");
  assert.equal(parseView("bogus"), "tree");
  assert.equal(parseView(null), "tree");
  assert.equal(parsePodSortMode("topLevelResource"), "topLevelResource");
  assert.equal(parsePodSortMode("x"), "node");
});
