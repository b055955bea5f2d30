// The `hosts` of an app's resource tree (argo-cd-server.md §1.5): the Nodes its pods run on, each
// with its capacity and what the app's pods and their neighbours request of it (cpu, memory,
// storage, in milli-units), its NodeSystemInfo, and only the labels argocd-cm
// `application.allowedNodeLabels` lists (Argo shows no node label unless allowed there). Argo's
// controller records them; here the server computes them when it serves a tree, from two
// cluster-wide watches of the destination (Nodes and Pods) held in the tree cache, so nothing is
// listed per request. A destination whose Nodes or Pods cannot be watched has no hosts.
import { quantityNanos } from "../../engine/diff/index.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import type { TreeCache } from "../tree-cache.js";
import type { ApplicationTree, HostInfo, HostResourceInfo } from "./app-resources.js";

/** The argocd-cm key, as Argo names it. */
export const ALLOWED_NODE_LABELS_KEY = "application.allowedNodeLabels";

/** The resources Argo reports per host. */
const HOST_RESOURCES = new Set(["cpu", "memory", "storage"]);

/** How long a tree waits for a new Node or Pod watch's first list (once per watch). */
const HOSTS_WAIT_MS = 5_000;

/** argocd-cm application.allowedNodeLabels: comma-separated label keys (spaces ignored, as Argo). */
export function allowedNodeLabels(cm: Record<string, string> | undefined): string[] {
  const value = (cm?.[ALLOWED_NODE_LABELS_KEY] ?? "").replace(/\s+/g, "");
  return value === "" ? [] : value.split(",").filter(Boolean);
}

type Requests = Map<string, bigint>;

interface PodShape {
  metadata: KubeObject["metadata"];
  spec?: {
    nodeName?: string;
    containers?: Array<{ resources?: { requests?: Record<string, unknown> } }>;
    initContainers?: Array<{ resources?: { requests?: Record<string, unknown> }; restartPolicy?: string }>;
    overhead?: Record<string, unknown>;
  };
  status?: { phase?: string };
}

interface NodeShape {
  metadata: KubeObject["metadata"];
  status?: { capacity?: Record<string, unknown>; nodeInfo?: Record<string, unknown> };
}

function add(into: Requests, from: Record<string, unknown> | undefined): void {
  for (const [name, q] of Object.entries(from ?? {})) {
    const n = quantityNanos(q);
    if (n !== undefined) into.set(name, (into.get(name) ?? 0n) + n);
  }
}

/**
 * What a pod requests, as the scheduler counts it: the sum of its containers (and of restartable
 * init containers, i.e. sidecars), at least each ordinary init container's, plus the pod overhead.
 */
export function podRequests(pod: PodShape): Requests {
  const sum: Requests = new Map();
  for (const c of pod.spec?.containers ?? []) add(sum, c.resources?.requests);
  for (const c of pod.spec?.initContainers ?? []) if (c.restartPolicy === "Always") add(sum, c.resources?.requests);
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy === "Always") continue;
    for (const [name, q] of Object.entries(c.resources?.requests ?? {})) {
      const n = quantityNanos(q);
      if (n !== undefined && n > (sum.get(name) ?? 0n)) sum.set(name, n);
    }
  }
  add(sum, pod.spec?.overhead);
  return sum;
}

/** Nano-units to milli-units, rounded up (Kubernetes' MilliValue). */
function milli(nanos: bigint): number {
  const m = nanos / 1_000_000n + (nanos % 1_000_000n > 0n ? 1n : 0n);
  return Number(m);
}

/**
 * The hosts of a tree: one per Node that runs a pod of the tree (a Node not known is left out, as
 * Argo does), sorted by name. `nodes` and `podsOn` come from the destination's caches: the Node by
 * name, and every pod scheduled on a node.
 */
export function appHosts(tree: Pick<ApplicationTree, "nodes">, nodeByName: (name: string) => NodeShape | undefined, podsOn: (node: string) => readonly PodShape[], allowedLabels: readonly string[]): HostInfo[] {
  const appPodsByNode = new Map<string, Set<string>>();
  for (const n of tree.nodes) {
    if (n.group || n.kind !== "Pod") continue;
    const nodeName = n.info?.find((i) => i.name === "Node")?.value;
    if (!nodeName) continue;
    const set = appPodsByNode.get(nodeName) ?? new Set<string>();
    set.add(`${n.namespace ?? ""}/${n.name}`);
    appPodsByNode.set(nodeName, set);
  }
  const hosts: HostInfo[] = [];
  for (const [nodeName, appPods] of [...appPodsByNode.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const node = nodeByName(nodeName);
    if (!node) continue;
    const byApp: Requests = new Map();
    const byNeighbors: Requests = new Map();
    for (const pod of podsOn(nodeName)) {
      const mine = appPods.has(`${pod.metadata.namespace ?? ""}/${pod.metadata.name ?? ""}`);
      // Finished neighbours hold nothing on the node any more.
      if (!mine && (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed")) continue;
      for (const [name, n] of podRequests(pod)) {
        const into = mine ? byApp : byNeighbors;
        into.set(name, (into.get(name) ?? 0n) + n);
      }
    }
    const resourcesInfo: HostResourceInfo[] = [];
    for (const [name, q] of Object.entries(node.status?.capacity ?? {}).sort((a, b) => a[0].localeCompare(b[0]))) {
      const capacity = quantityNanos(q);
      if (!HOST_RESOURCES.has(name) || capacity === undefined || capacity <= 0n) continue;
      const info: HostResourceInfo = { resourceName: name };
      const app = milli(byApp.get(name) ?? 0n);
      const neighbors = milli(byNeighbors.get(name) ?? 0n);
      if (app > 0) info.requestedByApp = app;
      if (neighbors > 0) info.requestedByNeighbors = neighbors;
      info.capacity = milli(capacity);
      resourcesInfo.push(info);
    }
    const labels: Record<string, string> = {};
    for (const key of allowedLabels) {
      const v = node.metadata.labels?.[key];
      if (v !== undefined) labels[key] = v;
    }
    hosts.push({
      name: nodeName,
      ...(resourcesInfo.length > 0 ? { resourcesInfo } : {}),
      ...(node.status?.nodeInfo ? { systemInfo: node.status.nodeInfo } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    });
  }
  return hosts;
}

const NODES = { apiVersion: "v1", kind: "Node", namespace: "" };
const ALL_PODS = { apiVersion: "v1", kind: "Pod", namespace: "" };
const NODE_NAME_INDEX = "node-name";

type Watch = ReturnType<TreeCache["hold"]>;

/** Adds `hosts` to trees, from the tree cache's cluster-wide Node and Pod watches of the destination. */
export class AppHosts {
  /** Watches already waited for once: one that never syncs (forbidden) does not slow every tree. */
  private readonly waited = new WeakSet<Watch>();
  private readonly indexed = new WeakSet<object>();

  constructor(private readonly trees: TreeCache, private readonly argocdCm: () => Record<string, string> | undefined) {}

  /** The tree with its hosts (unchanged when none of its pods runs on a known node). */
  async withHosts(client: KubeClient, tree: ApplicationTree): Promise<ApplicationTree> {
    if (!tree.nodes.some((n) => !n.group && n.kind === "Pod")) return tree;
    const nodes = this.trees.hold(client, NODES);
    const pods = this.trees.hold(client, ALL_PODS);
    try {
      const fresh = [nodes, pods].filter((w) => !this.waited.has(w));
      if (fresh.length > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([this.trees.waitReady(fresh), new Promise<void>((r) => { timer = setTimeout(r, HOSTS_WAIT_MS); timer.unref(); })]);
        clearTimeout(timer);
        for (const w of fresh) this.waited.add(w);
      }
      const podInformer = pods.informer;
      if (podInformer && !this.indexed.has(podInformer)) {
        podInformer.addIndex(NODE_NAME_INDEX, (p) => [(p as unknown as PodShape).spec?.nodeName ?? ""]);
        this.indexed.add(podInformer);
      }
      const hosts = appHosts(
        tree,
        (name) => nodes.get("", name),
        (node) => (podInformer ? podInformer.byIndex(NODE_NAME_INDEX, node) : []),
        allowedNodeLabels(this.argocdCm()),
      );
      return hosts.length > 0 ? { ...tree, hosts } : tree;
    } finally {
      this.trees.release(nodes);
      this.trees.release(pods);
    }
  }
}
