// The application page's resource graph, from the ApplicationTree (argo-cd-server.md §1.5) and the
// app's status.resources: the app, its managed resources, and their children through
// parentRefs (Deployment → ReplicaSet → Pod). Many siblings of one kind under one parent are
// folded into a group node until the user expands it, so a 2,000-pod app stays readable and
// cheap to lay out. Pure: no DOM, no fetches (unit-tested in tree.test.ts).

export interface ResourceRef { group?: string; version?: string; kind: string; namespace?: string; name: string; uid?: string }
export interface ResourceNode extends ResourceRef {
  parentRefs?: ResourceRef[];
  info?: Array<{ name: string; value: string }>;
  health?: { status?: string; message?: string };
  images?: string[];
  createdAt?: string;
  resourceVersion?: string;
  networkingInfo?: {
    targetLabels?: Record<string, string>; targetRefs?: ResourceRef[]; labels?: Record<string, string>;
    ingress?: Array<{ ip?: string; hostname?: string }>; externalURLs?: string[];
  };
}
/** A Node the app's pods run on: resources in milli-units (argo-cd-server.md §1.5 `hosts[]`). */
export interface HostInfo {
  name: string;
  resourcesInfo?: Array<{ resourceName: string; requestedByApp?: number; requestedByNeighbors?: number; capacity?: number }>;
  systemInfo?: Record<string, string | undefined>;
  labels?: Record<string, string>;
}
export interface ApplicationTree { nodes?: ResourceNode[]; orphanedNodes?: ResourceNode[]; hosts?: HostInfo[] }
export interface ResourceStatus {
  group?: string; version?: string; kind: string; namespace?: string; name: string;
  status?: string; health?: { status?: string; message?: string }; hook?: boolean; requiresPruning?: boolean;
}

export interface GraphNode {
  id: string;
  /** `external`: where traffic enters in the network view (a load balancer address or a URL). */
  type: "app" | "resource" | "group" | "external";
  kind: string;
  name: string;
  group: string;
  version: string;
  namespace: string;
  uid: string;
  health?: string;
  sync?: string;
  hook: boolean;
  /** Group nodes: how many resources are folded in. */
  count: number;
  resourceVersion: string;
}
export interface GraphEdge { id: string; from: string; to: string }
export interface Graph { nodes: GraphNode[]; edges: GraphEdge[] }

/** Argo's node key (the `node=` URL parameter): group/kind/namespace/name. */
export function nodeKey(r: { group?: string; kind: string; namespace?: string; name: string }): string {
  return `${r.group ?? ""}/${r.kind}/${r.namespace ?? ""}/${r.name}`;
}

/** The id of a group node: its parent and the kind it folds. */
export function groupId(parentId: string, kind: string): string {
  return `group:${parentId}:${kind}`;
}

export const APP_NODE_ID = "app";

// Worst first: a group shows the worst health among its members.
const HEALTH_ORDER = ["Degraded", "Missing", "Progressing", "Suspended", "Unknown", "Healthy"];

export function worstHealth(values: Array<string | undefined>): string | undefined {
  let best: string | undefined;
  for (const v of values) {
    if (!v) continue;
    if (best === undefined || rank(v) < rank(best)) best = v;
  }
  return best;
}
function rank(h: string): number {
  const i = HEALTH_ORDER.indexOf(h);
  return i < 0 ? HEALTH_ORDER.length : i;
}

/** Every resource node (no app, no groups): the list view, and what the graph is built from. */
export function resourceNodes(tree: ApplicationTree | undefined, resources: ResourceStatus[]): GraphNode[] {
  const byKey = new Map<string, GraphNode>();
  const status = new Map(resources.map((r) => [nodeKey(r), r]));
  for (const n of tree?.nodes ?? []) {
    const key = nodeKey(n);
    const s = status.get(key);
    byKey.set(key, {
      id: key, type: "resource", kind: n.kind, name: n.name, group: n.group ?? "", version: n.version ?? "", namespace: n.namespace ?? "",
      uid: n.uid ?? "", health: n.health?.status ?? s?.health?.status, sync: s?.status, hook: s?.hook === true, count: 1, resourceVersion: n.resourceVersion ?? "",
    });
  }
  // Managed resources missing from the cluster are still shown (health Missing, out of sync).
  for (const r of resources) {
    const key = nodeKey(r);
    if (byKey.has(key)) continue;
    byKey.set(key, {
      id: key, type: "resource", kind: r.kind, name: r.name, group: r.group ?? "", version: r.version ?? "", namespace: r.namespace ?? "",
      uid: "", health: r.health?.status ?? "Missing", sync: r.status, hook: r.hook === true, count: 1, resourceVersion: "",
    });
  }
  return [...byKey.values()];
}

/**
 * The graph to draw. `expanded` holds the ids of group nodes the user opened; `threshold` is how
 * many siblings of one kind are shown before they are folded.
 */
export function buildGraph(appName: string, tree: ApplicationTree | undefined, resources: ResourceStatus[], expanded: ReadonlySet<string>, threshold = 5): Graph {
  const all = resourceNodes(tree, resources);
  const byKey = new Map(all.map((n) => [n.id, n]));
  const keyByUid = new Map(all.filter((n) => n.uid).map((n) => [n.uid, n.id]));
  const children = new Map<string, string[]>();
  const top: string[] = [];
  const treeNodes = new Map((tree?.nodes ?? []).map((n) => [nodeKey(n), n]));
  for (const n of all) {
    const parents = (treeNodes.get(n.id)?.parentRefs ?? [])
      .map((p) => (p.uid ? keyByUid.get(p.uid) : undefined) ?? nodeKey(p))
      .filter((k) => k !== n.id && byKey.has(k));
    // A child whose owner is not in the tree hangs from the app, so nothing is lost.
    if (parents.length === 0) { top.push(n.id); continue; }
    for (const p of parents) {
      const list = children.get(p) ?? [];
      list.push(n.id);
      children.set(p, list);
    }
  }

  const nodes: GraphNode[] = [{
    id: APP_NODE_ID, type: "app", kind: "Application", name: appName, group: "argoproj.io", version: "v1alpha1", namespace: "", uid: "", hook: false, count: 1, resourceVersion: "",
  }];
  const edges: GraphEdge[] = [];
  const placed = new Set<string>([APP_NODE_ID]);
  const edge = (from: string, to: string): void => { edges.push({ id: `${from}->${to}`, from, to }); };

  // Breadth first, so a resource with two owners is placed once, under the first one reached.
  const queue: Array<{ parent: string; ids: string[] }> = [{ parent: APP_NODE_ID, ids: top }];
  while (queue.length > 0) {
    const { parent, ids } = queue.shift()!;
    const byKind = new Map<string, string[]>();
    for (const id of ids) {
      if (placed.has(id)) { if (byKey.has(id)) edge(parent, id); continue; }
      const kind = byKey.get(id)!.kind;
      const list = byKind.get(kind) ?? [];
      list.push(id);
      byKind.set(kind, list);
    }
    for (const [kind, members] of [...byKind.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      members.sort((a, b) => byKey.get(a)!.name.localeCompare(byKey.get(b)!.name));
      const gid = groupId(parent, kind);
      if (members.length > threshold && !expanded.has(gid)) {
        for (const m of members) placed.add(m);
        const ms = members.map((m) => byKey.get(m)!);
        nodes.push({
          id: gid, type: "group", kind, name: `${members.length} ${kind}s`, group: ms[0]!.group, version: ms[0]!.version, namespace: "", uid: "",
          health: worstHealth(ms.map((m) => m.health)), sync: ms.some((m) => m.sync === "OutOfSync") ? "OutOfSync" : ms[0]!.sync,
          hook: ms.every((m) => m.hook), count: members.length, resourceVersion: "",
        });
        placed.add(gid);
        edge(parent, gid);
        // The members' children hang from the group (and fold again by their own kind).
        queue.push({ parent: gid, ids: members.flatMap((m) => children.get(m) ?? []) });
        continue;
      }
      for (const m of members) {
        placed.add(m);
        nodes.push(byKey.get(m)!);
        edge(parent, m);
        queue.push({ parent: m, ids: children.get(m) ?? [] });
      }
    }
  }
  return { nodes, edges };
}
