// The application page's other views of the same tree (argo-cd-server.md §5.2 `view=`): the
// network view (traffic: load balancer or URL → Ingress → Service → the pods its selector picks,
// pods folded per Service) and the pods view (pods grouped by node, by their owner, or by the
// top-level resource they come from, as Argo's pod view). Pure: no DOM, no fetches
// (unit-tested in views.test.ts).
import { nodeKey, resourceNodes, worstHealth, type ApplicationTree, type HostInfo, type Graph, type GraphEdge, type GraphNode, type ResourceNode, type ResourceRef, type ResourceStatus } from "./tree";

export type AppView = "tree" | "network" | "list" | "pods";
export const APP_VIEWS: readonly AppView[] = ["tree", "network", "list", "pods"];

/** The `view=` URL parameter; anything unknown is the tree (Argo's default). */
export function parseView(v: string | null): AppView {
  return APP_VIEWS.find((x) => x === v) ?? "tree";
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  const keys = Object.keys(selector);
  // An empty selector picks nothing (a Service without a selector has hand-made endpoints).
  return keys.length > 0 && keys.every((k) => labels?.[k] === selector[k]);
}

/** The id of the group of pods a Service sends traffic to. */
export function podGroupId(serviceId: string): string {
  return `pods:${serviceId}`;
}

function externalNode(id: string, name: string): GraphNode {
  return { id, type: "external", kind: "Traffic", name, group: "", version: "", namespace: "", uid: "", hook: false, count: 1, resourceVersion: "" };
}

/**
 * The network graph: for every Ingress and Service of the app, where traffic enters (load
 * balancer addresses and URLs), the Services an Ingress routes to, and the pods a Service's
 * selector matches. A Service's pods are one group node (worst health, count) unless its id is in
 * `expanded`. Resources that carry no traffic (Deployments, ConfigMaps…) are not drawn.
 */
export function networkGraph(tree: ApplicationTree | undefined, resources: ResourceStatus[], expanded: ReadonlySet<string>): Graph {
  const all = resourceNodes(tree, resources);
  const raw = new Map((tree?.nodes ?? []).map((n) => [nodeKey(n), n]));
  const byId = new Map(all.map((n) => [n.id, n]));
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const added = new Set<string>();
  const edgeIds = new Set<string>();
  const add = (n: GraphNode): void => { if (!added.has(n.id)) { added.add(n.id); nodes.push(n); } };
  const edge = (from: string, to: string): void => {
    const id = `${from}->${to}`;
    if (!edgeIds.has(id)) { edgeIds.add(id); edges.push({ id, from, to }); }
  };
  const entries = (id: string): void => {
    const net = raw.get(id)?.networkingInfo;
    for (const lb of net?.ingress ?? []) {
      const name = lb.hostname ?? lb.ip;
      if (!name) continue;
      add(externalNode(`lb:${name}`, name));
      edge(`lb:${name}`, id);
    }
    for (const url of net?.externalURLs ?? []) {
      add(externalNode(`url:${url}`, url));
      edge(`url:${url}`, id);
    }
  };
  const sorted = all.slice().sort((a, b) => a.id.localeCompare(b.id));
  const pods = sorted.filter((n) => n.kind === "Pod" && n.group === "");
  const services = sorted.filter((n) => n.kind === "Service" && n.group === "");
  const ingresses = sorted.filter((n) => n.kind === "Ingress" && n.group === "networking.k8s.io");

  for (const ing of ingresses) {
    add(ing);
    entries(ing.id);
    for (const ref of raw.get(ing.id)?.networkingInfo?.targetRefs ?? []) {
      const target = byId.get(nodeKey({ group: ref.group ?? "", kind: ref.kind, namespace: ref.namespace ?? ing.namespace, name: ref.name }));
      // A backend Service that is not part of the app is still where the traffic goes: drawn as missing.
      const ns = ref.namespace ?? ing.namespace;
      const svc: GraphNode = target ?? {
        id: nodeKey({ kind: ref.kind, namespace: ns, name: ref.name }), type: "resource", kind: ref.kind, name: ref.name, group: ref.group ?? "", version: "v1", namespace: ns,
        uid: "", health: "Missing", hook: false, count: 1, resourceVersion: "",
      };
      add(svc);
      edge(ing.id, svc.id);
    }
  }
  for (const svc of services) {
    add(svc);
    entries(svc.id);
    const selector = raw.get(svc.id)?.networkingInfo?.targetLabels;
    if (!selector) continue;
    const members = pods.filter((p) => p.namespace === svc.namespace && labelsMatch(selector, raw.get(p.id)?.networkingInfo?.labels));
    if (members.length === 0) continue;
    const gid = podGroupId(svc.id);
    if (expanded.has(gid)) {
      for (const p of members) { add(p); edge(svc.id, p.id); }
      continue;
    }
    add({
      id: gid, type: "group", kind: "Pod", name: `${members.length} Pod${members.length === 1 ? "" : "s"}`, group: "", version: "v1", namespace: svc.namespace, uid: "",
      health: worstHealth(members.map((m) => m.health)), hook: false, count: members.length, resourceVersion: "",
    });
    edge(svc.id, gid);
  }
  return { nodes, edges };
}

export type PodSortMode = "node" | "parentResource" | "topLevelResource";
export const POD_SORT_MODES: readonly PodSortMode[] = ["node", "parentResource", "topLevelResource"];

export function parsePodSortMode(v: string | null): PodSortMode {
  return POD_SORT_MODES.find((x) => x === v) ?? "node";
}

export interface PodGroup {
  /** Stable key: the node name, or the owner's node key. */
  key: string;
  /** What the pods share: a node, or a resource (kind and name). */
  kind: string;
  name: string;
  /** The node's labels from the tree's hosts (the server keeps only argocd-cm `application.allowedNodeLabels`). */
  labels: Array<{ name: string; value: string }>;
  /** By node: what the node has and what is asked of it (cpu, memory, storage), from the tree's hosts. */
  resources: HostResource[];
  /** By node: its system facts (OS, architecture, kernel, runtime, kubelet). */
  system: Array<{ name: string; value: string }>;
  health?: string;
  pods: GraphNode[];
}

export type Host = HostInfo;

/** One resource of a node, in the resource's display unit (cores, bytes). */
export interface HostResource { name: string; app: number; neighbors: number; capacity: number; unit: "cores" | "bytes" }

const SYSTEM_FIELDS: ReadonlyArray<[string, string]> = [
  ["operatingSystem", "OS"], ["architecture", "Architecture"], ["osImage", "OS image"], ["kernelVersion", "Kernel"],
  ["containerRuntimeVersion", "Container runtime"], ["kubeletVersion", "Kubelet"],
];

/** A host's resources for display: milli-units to cores (cpu) or bytes (memory, storage). */
export function hostResources(host: HostInfo | undefined): HostResource[] {
  return (host?.resourcesInfo ?? []).map((r) => ({
    name: r.resourceName,
    app: (r.requestedByApp ?? 0) / 1000,
    neighbors: (r.requestedByNeighbors ?? 0) / 1000,
    capacity: (r.capacity ?? 0) / 1000,
    unit: r.resourceName === "cpu" ? "cores" as const : "bytes" as const,
  }));
}

/** A resource amount as people read it: cores to two decimals, bytes in binary units. */
export function formatAmount(value: number, unit: "cores" | "bytes"): string {
  if (unit === "cores") return `${Math.round(value * 100) / 100}`;
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${Math.round(v * 10) / 10} ${units[i]}`;
}

/** The value of one of a node's `info` items (e.g. the pod's `Node`). */
function infoValue(n: ResourceNode | undefined, name: string): string | undefined {
  return n?.info?.find((i) => i.name === name)?.value;
}

/**
 * The pods view: the app's pods grouped by the node they run on (`node`; pods not yet scheduled
 * share an "Unscheduled" group), by their direct owner (`parentResource`), or by the top-level
 * resource their owner chain starts from (`topLevelResource`). Groups and the pods in them are
 * sorted by name.
 */
export function podGroups(tree: ApplicationTree | undefined, resources: ResourceStatus[], mode: PodSortMode, hosts: readonly Host[] = []): PodGroup[] {
  const all = resourceNodes(tree, resources);
  const raw = new Map((tree?.nodes ?? []).map((n) => [nodeKey(n), n]));
  const byUid = new Map((tree?.nodes ?? []).filter((n) => n.uid).map((n) => [n.uid!, n]));
  const hostByName = new Map(hosts.map((h) => [h.name, h]));
  const parentOf = (n: ResourceNode): ResourceNode | ResourceRef | undefined => {
    const ref = n.parentRefs?.[0];
    if (!ref) return undefined;
    return (ref.uid ? byUid.get(ref.uid) : undefined) ?? raw.get(nodeKey(ref)) ?? ref;
  };
  const groups = new Map<string, PodGroup>();
  for (const pod of all) {
    if (pod.kind !== "Pod" || pod.group !== "") continue;
    const node = raw.get(pod.id);
    let key: string, kind: string, name: string;
    let labels: Array<{ name: string; value: string }> = [];
    let hostRes: HostResource[] = [];
    let system: Array<{ name: string; value: string }> = [];
    if (mode === "node") {
      const host = infoValue(node, "Node");
      key = host ? `node:${host}` : "node:";
      kind = "Node";
      name = host ?? "Unscheduled";
      const info = host ? hostByName.get(host) : undefined;
      const l = info?.labels ?? {};
      labels = Object.keys(l).sort().map((k) => ({ name: k, value: l[k]! }));
      hostRes = hostResources(info);
      system = SYSTEM_FIELDS.flatMap(([field, label]) => {
        const value = info?.systemInfo?.[field];
        return value ? [{ name: label, value }] : [];
      });
    } else {
      let owner: ResourceNode | ResourceRef | undefined = node ? parentOf(node) : undefined;
      if (mode === "topLevelResource") {
        // Up the owner chain while the owner is in the tree; a uid is visited once (no loops).
        const seen = new Set<string>();
        while (owner && "parentRefs" in owner && owner.parentRefs?.length && !seen.has(owner.uid ?? nodeKey(owner))) {
          seen.add(owner.uid ?? nodeKey(owner));
          const up = parentOf(owner);
          if (!up) break;
          owner = up;
        }
      }
      key = owner ? nodeKey(owner) : "none";
      kind = owner?.kind ?? "";
      name = owner?.name ?? "No owner";
    }
    const g = groups.get(key) ?? { key, kind, name, labels, resources: hostRes, system, pods: [] };
    g.pods.push(pod);
    groups.set(key, g);
  }
  const out = [...groups.values()].sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
  for (const g of out) {
    g.pods.sort((a, b) => a.name.localeCompare(b.name) || a.namespace.localeCompare(b.namespace));
    const h = worstHealth(g.pods.map((p) => p.health));
    if (h) g.health = h;
  }
  return out;
}
