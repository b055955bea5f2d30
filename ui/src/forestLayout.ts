// The layout of a resource graph that is a forest (every node has at most one parent, which is what
// the resource tree almost always is: app → managed resources → their owned children), computed
// directly: a node's column is its depth, leaves take consecutive rows in depth-first order, and a
// parent sits midway between its first and last child. That is the picture elkjs's layered
// algorithm draws for a tree (a tree has no crossings to minimise), in linear time: elkjs needs
// about 3 s for one group of 2,000 expanded siblings, this about a millisecond. Graphs that are not
// forests (the network view, where a pod can sit behind two Services) still go to elkjs.
import type { Graph } from "./tree";

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 56;
/** The spacings the elkjs layout uses too (layout.ts), so both look alike. */
export const NODE_GAP = 14;
export const LAYER_GAP = 70;
/** elkjs's default padding around the graph. */
const PADDING = 12;

/** `ms`: how long the layout took (shown as a data attribute for the UI benchmark). */
export interface Layout { positions: Map<string, { x: number; y: number }>; width: number; height: number; ms: number }

/**
 * The forest layout of `graph`, or undefined when it is not a forest: a node with two parents, an
 * edge to or from a node not in the graph, or a cycle (then every node of the cycle has a parent,
 * so it is unreachable from the roots).
 */
export function forestLayout(graph: Graph): Layout | undefined {
  const started = performance.now();
  const index = new Map<string, number>();
  graph.nodes.forEach((n, i) => index.set(n.id, i));
  const parent = new Map<string, string>();
  const children = new Map<string, string[]>();
  for (const e of graph.edges) {
    if (!index.has(e.from) || !index.has(e.to) || parent.has(e.to) || e.from === e.to) return undefined;
    parent.set(e.to, e.from);
    const list = children.get(e.from);
    if (list) list.push(e.to);
    else children.set(e.from, [e.to]);
  }
  // Siblings in the graph's node order, so the layout does not depend on the order of the edges.
  const byIndex = (a: string, b: string): number => (index.get(a) ?? 0) - (index.get(b) ?? 0);
  for (const list of children.values()) list.sort(byIndex);

  const positions = new Map<string, { x: number; y: number }>();
  let row = 0;
  let maxDepth = 0;
  const rowStep = NODE_HEIGHT + NODE_GAP;
  const columnStep = NODE_WIDTH + LAYER_GAP;
  // Depth-first, iteratively (a chain of thousands must not exhaust the stack): a node is placed
  // when it is left, after its children.
  for (const root of graph.nodes) {
    if (parent.has(root.id)) continue;
    const stack: Array<{ id: string; depth: number; next: number }> = [{ id: root.id, depth: 0, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const kids = children.get(top.id) ?? [];
      if (top.next < kids.length) {
        stack.push({ id: kids[top.next++]!, depth: top.depth + 1, next: 0 });
        continue;
      }
      stack.pop();
      maxDepth = Math.max(maxDepth, top.depth);
      const x = PADDING + top.depth * columnStep;
      if (kids.length === 0) {
        positions.set(top.id, { x, y: PADDING + row * rowStep });
        row++;
      } else {
        const first = positions.get(kids[0]!)!.y;
        const last = positions.get(kids[kids.length - 1]!)!.y;
        positions.set(top.id, { x, y: (first + last) / 2 });
      }
    }
  }
  if (positions.size !== graph.nodes.length) return undefined; // a cycle: unreachable from any root
  return {
    positions,
    width: graph.nodes.length === 0 ? 0 : 2 * PADDING + (maxDepth + 1) * NODE_WIDTH + maxDepth * LAYER_GAP,
    height: row === 0 ? 0 : 2 * PADDING + row * NODE_HEIGHT + (row - 1) * NODE_GAP,
    ms: Math.round(performance.now() - started),
  };
}
