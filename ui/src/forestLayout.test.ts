// The direct layout of a forest-shaped resource graph: columns by depth, leaves in depth-first
// rows, parents midway between their first and last child; anything not a forest is left to elkjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { forestLayout, LAYER_GAP, NODE_GAP, NODE_HEIGHT, NODE_WIDTH } from "./forestLayout";
import { APP_NODE_ID, buildGraph, groupId, type ApplicationTree, type Graph, type GraphNode, type ResourceStatus } from "./tree";

const node = (id: string): GraphNode => ({ id, type: "resource", kind: "ConfigMap", name: id, group: "", version: "v1", namespace: "ns", uid: id, hook: false, count: 0, resourceVersion: "1" });
const graph = (ids: string[], edges: Array<[string, string]>): Graph => ({
  nodes: ids.map(node),
  edges: edges.map(([from, to]) => ({ id: `${from}->${to}`, from, to })),
});
const ROW = NODE_HEIGHT + NODE_GAP;
const COLUMN = NODE_WIDTH + LAYER_GAP;

test("app → Deployment → ReplicaSet → two pods, and a Service: columns by depth, parents centred on their children", () => {
  const g = graph(["app", "deploy", "rs", "pod-a", "pod-b", "svc"], [["app", "deploy"], ["deploy", "rs"], ["rs", "pod-a"], ["rs", "pod-b"], ["app", "svc"]]);
  const l = forestLayout(g);
  assert.ok(l);
  const at = (id: string): { x: number; y: number } => l.positions.get(id)!;
  assert.deepEqual([at("app").x, at("deploy").x, at("rs").x, at("pod-a").x, at("svc").x], [12, 12 + COLUMN, 12 + 2 * COLUMN, 12 + 3 * COLUMN, 12 + COLUMN]);
  // Leaves take rows in depth-first order: pod-a, pod-b, then the Service.
  assert.deepEqual([at("pod-a").y, at("pod-b").y, at("svc").y], [12, 12 + ROW, 12 + 2 * ROW]);
  assert.equal(at("rs").y, 12 + ROW / 2, "the ReplicaSet sits between its pods");
  assert.equal(at("deploy").y, at("rs").y, "a single child's parent is level with it");
  assert.equal(at("app").y, (at("deploy").y + at("svc").y) / 2, "the app between its first and last child");
  assert.equal(l.width, 24 + 4 * NODE_WIDTH + 3 * LAYER_GAP);
  assert.equal(l.height, 24 + 3 * NODE_HEIGHT + 2 * NODE_GAP);
  // No two nodes overlap.
  const seen = new Set([...l.positions.values()].map((p) => `${p.x},${p.y}`));
  assert.equal(seen.size, g.nodes.length);
});

test("siblings follow the graph's node order, not the edges' order", () => {
  const a = forestLayout(graph(["app", "x", "y"], [["app", "y"], ["app", "x"]]))!;
  assert.ok(a.positions.get("x")!.y < a.positions.get("y")!.y);
});

test("not a forest → undefined (elkjs lays it out): two parents, a cycle, a self edge, an edge to a missing node", () => {
  assert.equal(forestLayout(graph(["lb", "svc-a", "svc-b", "pod"], [["lb", "svc-a"], ["lb", "svc-b"], ["svc-a", "pod"], ["svc-b", "pod"]])), undefined, "a pod behind two Services");
  assert.equal(forestLayout(graph(["app", "a", "b"], [["a", "b"], ["b", "a"]])), undefined, "a cycle no root reaches");
  assert.equal(forestLayout(graph(["app"], [["app", "app"]])), undefined);
  assert.equal(forestLayout(graph(["app"], [["app", "ghost"]])), undefined);
  assert.equal(forestLayout(graph(["app", "app"], [])), undefined, "a duplicate id");
});

test("several roots, a lone node, and the empty graph", () => {
  const l = forestLayout(graph(["r1", "c1", "r2"], [["r1", "c1"]]))!;
  assert.deepEqual(l.positions.get("r2"), { x: 12, y: 12 + ROW });
  const empty = forestLayout(graph([], []))!;
  assert.deepEqual([empty.positions.size, empty.width, empty.height], [0, 0, 0]);
});

test("a chain of 20,000 does not exhaust the stack", () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `n${i}`);
  const l = forestLayout(graph(ids, ids.slice(1).map((id, i) => [ids[i]!, id])))!;
  assert.equal(l.positions.get("n19999")!.x, 12 + 19_999 * COLUMN);
  assert.equal(l.positions.get("n0")!.y, 12);
});

test("the resource tree of an app with 2,000 expanded ConfigMaps is a forest: laid out directly, every node placed once", () => {
  const resources: ResourceStatus[] = Array.from({ length: 2000 }, (_, i) => ({ version: "v1", kind: "ConfigMap", namespace: "big", name: `cm-${i}`, status: "Synced" }));
  const tree: ApplicationTree = { nodes: resources.map((r, i) => ({ version: "v1", kind: "ConfigMap", namespace: "big", name: r.name, uid: `u${i}` })) };
  const g = buildGraph("big", tree, resources, new Set([groupId(APP_NODE_ID, "ConfigMap")]));
  assert.equal(g.nodes.length, 2001);
  const l = forestLayout(g);
  assert.ok(l, "the app's tree is a forest");
  assert.equal(l.positions.size, 2001);
  const leafRows = new Set(g.nodes.filter((n) => n.id !== APP_NODE_ID).map((n) => l.positions.get(n.id)!.y));
  assert.equal(leafRows.size, 2000, "2,000 leaf rows");
  assert.equal(l.positions.get(APP_NODE_ID)!.y, 12 + (1999 * ROW) / 2, "the app midway between the first and the last");
});
