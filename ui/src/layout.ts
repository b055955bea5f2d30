// Lays the resource graph out left to right (app, managed resources, their children). A forest,
// which the resource tree almost always is, is laid out directly (forestLayout.ts); any other
// graph with elkjs's layered algorithm. elkjs runs in a Web Worker (its own prebuilt worker
// script, served as an asset), so a 2,000-node layout never blocks the page; a newer request
// supersedes an older one that is still running.
import ELK, { type ElkNode } from "elkjs/lib/elk-api.js";
import workerUrl from "elkjs/lib/elk-worker.min.js?url";
import { forestLayout, LAYER_GAP, NODE_GAP, NODE_HEIGHT, NODE_WIDTH, type Layout } from "./forestLayout";
import type { Graph } from "./tree";

export { NODE_HEIGHT, NODE_WIDTH, type Layout };

let elk: InstanceType<typeof ELK> | undefined;
function engine(): InstanceType<typeof ELK> {
  elk ??= new ELK({ workerFactory: () => new Worker(workerUrl) });
  return elk;
}

export async function layoutGraph(graph: Graph): Promise<Layout> {
  const forest = forestLayout(graph);
  if (forest) return forest;
  const root: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.spacing.nodeNode": String(NODE_GAP),
      "elk.layered.spacing.nodeNodeBetweenLayers": String(LAYER_GAP),
      // The fast placement: good enough for trees, and it keeps big graphs quick.
      "elk.layered.nodePlacement.strategy": "SIMPLE",
      "elk.layered.crossingMinimization.strategy": "LAYER_SWEEP",
    },
    children: graph.nodes.map((n) => ({ id: n.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: graph.edges.map((e) => ({ id: e.id, sources: [e.from], targets: [e.to] })),
  };
  const started = performance.now();
  const out = await engine().layout(root);
  const positions = new Map<string, { x: number; y: number }>();
  for (const c of out.children ?? []) positions.set(c.id, { x: c.x ?? 0, y: c.y ?? 0 });
  return { positions, width: out.width ?? 0, height: out.height ?? 0, ms: Math.round(performance.now() - started) };
}
