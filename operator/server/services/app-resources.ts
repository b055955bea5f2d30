// The Application service's views of an app's resources (argo-cd-server.md §1.3, §1.5):
// managed-resources (target, live, normalised and predicted states, as the UI's diff reads them),
// manifests (the rendered target), resource-tree (managed resources and their descendants through
// ownerReferences), and one live resource (get). Target and live come from the server's
// AppStateReader, i.e. the controller's own pipeline; Secret values, and the annotations argocd-cm
// resource.sensitive.mask.annotations names, are masked in every answer.
import type { Application } from "../../api/index.js";
import { getResourceHealth } from "../../engine/health/index.js";
import { maskSecrets, type JsonObject } from "../../engine/diff/index.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { splitApiVersion } from "../../util/index.js";
import type { AppState, AppStateReader } from "../app-state.js";
import type { ApplicationObject } from "../cache.js";
import { ApiError, Code, invalidArgument } from "../http/errors.js";

const json = (o: unknown): string => (o === undefined || o === null ? "null" : JSON.stringify(o));

/**
 * One masked object: Secret values as `+` runs, and the annotations of argocd-cm
 * resource.sensitive.mask.annotations (`sensitive`, see sensitiveAnnotationKeys).
 */
export function masked(o: KubeObject | undefined | null, sensitive: readonly string[] = []): JsonObject | null {
  if (!o) return null;
  return maskSecrets(o as unknown as JsonObject, null, sensitive)[0];
}

export function managedResources(state: Pick<AppState, "compared">, sensitive: readonly string[] = []): { items: Array<Record<string, unknown>> } {
  const items = state.compared.resources.filter((r) => !r.hook).map((r, i) => {
    const status = state.compared.statuses.find((s) => s.kind === r.kind && s.group === r.group && s.name === r.name && (s.namespace ?? "") === (r.namespace ?? "")) ?? state.compared.statuses[i];
    const [normLive, predicted] = r.diff ? maskSecrets(r.diff.normalizedLive, r.diff.predictedLive, sensitive) : [masked(r.live, sensitive), masked(r.target, sensitive)];
    const [target, live] = maskSecrets((r.target ?? null) as JsonObject | null, (r.live ?? null) as JsonObject | null, sensitive);
    const out: Record<string, unknown> = {
      group: r.group, kind: r.kind, name: r.name,
      targetState: json(target), liveState: json(live), normalizedLiveState: json(normLive), predictedLiveState: json(predicted),
    };
    if (r.namespace) out.namespace = r.namespace;
    if (r.live?.metadata.resourceVersion) out.resourceVersion = r.live.metadata.resourceVersion;
    if (status?.status === "OutOfSync") out.modified = true;
    return out;
  });
  return { items };
}

export function manifestsResponse(app: ApplicationObject, state: AppState, sensitive: readonly string[] = []): Record<string, unknown> {
  const manifests = state.rendered.manifests.map((m) => JSON.stringify(masked(m, sensitive)));
  const out: Record<string, unknown> = { manifests, server: state.cluster.server };
  if (app.spec.destination?.namespace) out.namespace = app.spec.destination.namespace;
  if (state.rendered.revisions[0]) out.revision = state.rendered.revisions[0];
  if (state.rendered.sourceTypes[0]) out.sourceType = state.rendered.sourceTypes[0];
  return out;
}

/** Kinds whose objects are commonly owned by managed ones; listed to find descendants. */
export const CHILD_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = [
  { apiVersion: "apps/v1", kind: "ReplicaSet" },
  { apiVersion: "v1", kind: "Pod" },
  { apiVersion: "apps/v1", kind: "ControllerRevision" },
  { apiVersion: "batch/v1", kind: "Job" },
  { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice" },
];

export interface ResourceNode {
  group?: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  parentRefs?: Array<{ group?: string; version?: string; kind: string; namespace?: string; name: string; uid?: string }>;
  resourceVersion?: string;
  health?: { status: string; message?: string };
  createdAt?: string;
  images?: string[];
  info?: Array<{ name: string; value: string }>;
  networkingInfo?: NetworkingInfo;
}

/** What the UI's network view draws (argo-cd-server.md §1.5): Ingress → Service (by name) → Pods (by labels). */
export interface NetworkingInfo {
  targetLabels?: Record<string, string>;
  targetRefs?: Array<{ group?: string; kind: string; namespace?: string; name: string }>;
  labels?: Record<string, string>;
  ingress?: Array<{ ip?: string; hostname?: string }>;
  externalURLs?: string[];
}

interface IngressBackend { service?: { name?: string }; serviceName?: string }
interface IngressSpec {
  defaultBackend?: IngressBackend;
  tls?: Array<{ hosts?: string[] }>;
  rules?: Array<{ host?: string; http?: { paths?: Array<{ path?: string; backend?: IngressBackend }> } }>;
}

/** The networking facts of Services, Ingresses and Pods, as Argo's controller records them; undefined for other kinds. */
export function networkingInfo(o: KubeObject): NetworkingInfo | undefined {
  const ns = o.metadata.namespace;
  const lb = ((o as { status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } }).status?.loadBalancer?.ingress ?? [])
    .map((i) => ({ ...(i.ip ? { ip: i.ip } : {}), ...(i.hostname ? { hostname: i.hostname } : {}) }));
  if (o.kind === "Service" && splitApiVersion(o.apiVersion).group === "") {
    const spec = (o as { spec?: { selector?: Record<string, string>; type?: string; ports?: Array<{ port?: number }> } }).spec;
    const info: NetworkingInfo = {};
    if (spec?.selector && Object.keys(spec.selector).length > 0) info.targetLabels = { ...spec.selector };
    if (lb.length > 0) info.ingress = lb;
    if (spec?.type === "LoadBalancer" && lb.length > 0) {
      const port = spec.ports?.[0]?.port;
      info.externalURLs = lb.map((i) => `${i.hostname ?? i.ip ?? ""}${port && port !== 80 ? `:${port}` : ""}`);
    }
    return info;
  }
  if (o.kind === "Ingress" && splitApiVersion(o.apiVersion).group === "networking.k8s.io") {
    const spec = (o as { spec?: IngressSpec }).spec;
    const services = new Set<string>();
    const backendName = (b: IngressBackend | undefined): string | undefined => b?.service?.name ?? b?.serviceName;
    const d = backendName(spec?.defaultBackend);
    if (d) services.add(d);
    const tlsHosts = new Set((spec?.tls ?? []).flatMap((t) => t.hosts ?? []));
    const urls: string[] = [];
    for (const rule of spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const name = backendName(path.backend);
        if (name) services.add(name);
        if (rule.host) urls.push(`${tlsHosts.has(rule.host) ? "https" : "http"}://${rule.host}${path.path ?? "/"}`);
      }
    }
    const info: NetworkingInfo = {};
    if (services.size > 0) info.targetRefs = [...services].sort().map((name) => ({ kind: "Service", ...(ns ? { namespace: ns } : {}), name }));
    if (lb.length > 0) info.ingress = lb;
    if (urls.length > 0) info.externalURLs = [...new Set(urls)];
    return info;
  }
  if (o.kind === "Pod" && splitApiVersion(o.apiVersion).group === "") {
    const labels = o.metadata.labels;
    return labels && Object.keys(labels).length > 0 ? { labels: { ...labels } } : {};
  }
  return undefined;
}

function nodeOf(o: KubeObject, health: { status: string; message?: string } | undefined, parents?: ResourceNode["parentRefs"]): ResourceNode {
  const { group, version } = splitApiVersion(o.apiVersion);
  const node: ResourceNode = { version, kind: o.kind, name: o.metadata.name ?? "" };
  if (group) node.group = group;
  if (o.metadata.namespace) node.namespace = o.metadata.namespace;
  if (o.metadata.uid) node.uid = o.metadata.uid;
  if (o.metadata.resourceVersion) node.resourceVersion = o.metadata.resourceVersion;
  if (o.metadata.creationTimestamp) node.createdAt = o.metadata.creationTimestamp;
  if (parents && parents.length > 0) node.parentRefs = parents;
  if (health) node.health = health.message ? { status: health.status, message: health.message } : { status: health.status };
  const spec = (o as { spec?: { containers?: Array<{ image?: string }>; template?: { spec?: { containers?: Array<{ image?: string }> } } } }).spec;
  const images = [...(spec?.containers ?? []), ...(spec?.template?.spec?.containers ?? [])].map((c) => c.image).filter((i): i is string => Boolean(i));
  if (images.length > 0) node.images = [...new Set(images)];
  const net = networkingInfo(o);
  if (net) node.networkingInfo = net;
  if (o.kind === "Pod") {
    const st = (o as { status?: { phase?: string; containerStatuses?: Array<{ ready?: boolean; restartCount?: number }> } }).status;
    const cs = st?.containerStatuses ?? [];
    const nodeName = (o as { spec?: { nodeName?: string } }).spec?.nodeName;
    node.info = [
      { name: "Status Reason", value: st?.phase ?? "Unknown" },
      // The pods view groups pods by it (Argo records it too).
      ...(nodeName ? [{ name: "Node", value: nodeName }] : []),
      { name: "Containers", value: `${cs.filter((c) => c.ready).length}/${cs.length}` },
      ...(cs.some((c) => (c.restartCount ?? 0) > 0) ? [{ name: "Restart Count", value: String(cs.reduce((n, c) => n + (c.restartCount ?? 0), 0)) }] : []),
    ];
  }
  return node;
}

/** One resource of a host (cpu, memory, storage) in milli-units, as Argo's HostResourceInfo (zeros omitted). */
export interface HostResourceInfo { resourceName: string; requestedByApp?: number; requestedByNeighbors?: number; capacity?: number }

/** A Node the app's pods run on (argo-cd-server.md §1.5 `hosts[]`); labels only those argocd-cm allows. */
export interface HostInfo {
  name: string;
  resourcesInfo?: HostResourceInfo[];
  systemInfo?: Record<string, unknown>;
  labels?: Record<string, string>;
}

/** The app's tree (argo-cd-server.md §1.5): every live node, sorted by identity so equal trees serialise equally. */
export interface ApplicationTree { nodes: ResourceNode[]; hosts?: HostInfo[] }

/**
 * The app's tree: its managed live objects (health as the controller judged it), then, through
 * `childrenOf` (objects whose ownerReferences name a uid), every descendant of them. Pure: the
 * callers find the objects (a listing, or the server's tree cache).
 */
export function buildResourceTree(app: ApplicationObject, managedLive: readonly KubeObject[], childrenOf: (uid: string) => readonly KubeObject[]): ApplicationTree {
  const statusHealth = new Map((app.status?.resources ?? []).map((r) => [`${r.group ?? ""}/${r.kind}/${r.namespace ?? ""}/${r.name}`, r.health]));
  const nodes: ResourceNode[] = [];
  const known = new Set<string>();
  const queue: string[] = [];
  for (const o of managedLive) {
    const { group } = splitApiVersion(o.apiVersion);
    const h = statusHealth.get(`${group}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`);
    nodes.push(nodeOf(o, h ? { status: h.status ?? "Unknown", ...(h.message ? { message: h.message } : {}) } : undefined));
    if (o.metadata.uid && !known.has(o.metadata.uid)) { known.add(o.metadata.uid); queue.push(o.metadata.uid); }
  }
  // Breadth-first down the owner chains; a uid is visited once, so a cycle cannot loop.
  while (queue.length > 0) {
    for (const c of childrenOf(queue.shift()!)) {
      const uid = c.metadata.uid ?? "";
      if (!uid || known.has(uid)) continue;
      // Children stay in their owner's namespace (Kubernetes' garbage collector ignores other owners).
      const owners = (c.metadata.ownerReferences ?? []).filter((r) => known.has(r.uid));
      const h = getResourceHealth(c);
      nodes.push(nodeOf(c, h ? { status: h.status, ...(h.message ? { message: h.message } : {}) } : undefined, owners.map((r) => {
        const { group, version } = splitApiVersion(r.apiVersion);
        return { ...(group ? { group } : {}), version, kind: r.kind, ...(c.metadata.namespace ? { namespace: c.metadata.namespace } : {}), name: r.name, uid: r.uid };
      })));
      known.add(uid);
      queue.push(uid);
    }
  }
  nodes.sort((a, b) => nodeKey(a).localeCompare(nodeKey(b)));
  return { nodes };
}

function nodeKey(n: ResourceNode): string {
  return `${n.group ?? ""}/${n.kind}/${n.namespace ?? ""}/${n.name}/${n.uid ?? ""}`;
}

/** The owner index of a list of objects: children by the uids their ownerReferences name. */
export function childrenIndex(objects: readonly KubeObject[]): (uid: string) => KubeObject[] {
  const byOwner = new Map<string, KubeObject[]>();
  for (const o of objects) {
    for (const r of o.metadata.ownerReferences ?? []) {
      const list = byOwner.get(r.uid);
      if (list) list.push(o); else byOwner.set(r.uid, [o]);
    }
  }
  return (uid) => byOwner.get(uid) ?? [];
}

/**
 * The app's tree from a one-shot listing: every object of the usual child kinds in the managed
 * objects' namespaces (for callers without the server's tree cache).
 */
export async function resourceTree(app: ApplicationObject, client: KubeClient, managedLive: KubeObject[]): Promise<ApplicationTree> {
  const namespaces = [...new Set(managedLive.map((o) => o.metadata.namespace).filter((n): n is string => Boolean(n)))];
  const candidates: KubeObject[] = [];
  for (const ns of namespaces) {
    for (const k of CHILD_KINDS) {
      try {
        const list = await client.list(k.apiVersion, k.kind, { namespace: ns });
        for (const item of list.items) candidates.push({ ...item, apiVersion: k.apiVersion, kind: k.kind });
      } catch (err) {
        // A kind the cluster does not serve, or may not be listed here, has no children to show.
        if (!(err instanceof Error)) throw err;
      }
    }
  }
  return buildResourceTree(app, managedLive, childrenIndex(candidates));
}

/** The resource identity of the RID query (namespace, resourceName, version, group, kind). */
export function resourceQuery(q: Record<string, string | string[] | undefined>): { namespace?: string; name: string; version?: string; group: string; kind: string } {
  const v = (k: string): string | undefined => { const x = q[k]; return Array.isArray(x) ? x[0] : x || undefined; };
  const name = v("resourceName") ?? v("name");
  const kind = v("kind");
  if (!name || !kind) throw invalidArgument("resourceName and kind are required");
  const ns = v("namespace");
  const version = v("version");
  return { name, kind, group: v("group") ?? "", ...(ns ? { namespace: ns } : {}), ...(version ? { version } : {}) };
}

/** Refuses a resource the app does not manage (the API never reads arbitrary cluster objects). */
export function requireManaged(app: ApplicationObject, r: { namespace?: string; name: string; group: string; kind: string }): { version?: string } {
  const found = (app.status?.resources ?? []).find((s) => s.name === r.name && s.kind === r.kind && (s.group ?? "") === r.group && (s.namespace ?? "") === (r.namespace ?? ""));
  if (!found) throw new ApiError(Code.NotFound, `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name} is not managed by application ${app.metadata.name}`);
  return found.version ? { version: found.version } : {};
}

export type { AppStateReader };

/** The live objects the app's status lists, read with one list per kind and namespace. */
export async function managedLiveObjects(app: Pick<Application, "status">, client: KubeClient, onSkip?: (kind: string, err: unknown) => void): Promise<KubeObject[]> {
  const groups = new Map<string, { apiVersion: string; kind: string; namespace?: string; names: Set<string> }>();
  for (const r of app.status?.resources ?? []) {
    if (r.hook) continue;
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version ?? "v1";
    const key = `${apiVersion}/${r.kind}/${r.namespace ?? ""}`;
    const g = groups.get(key) ?? { apiVersion, kind: r.kind ?? "", ...(r.namespace ? { namespace: r.namespace } : {}), names: new Set<string>() };
    g.names.add(r.name ?? "");
    groups.set(key, g);
  }
  const objects: KubeObject[] = [];
  for (const g of groups.values()) {
    try {
      const list = await client.list(g.apiVersion, g.kind, g.namespace ? { namespace: g.namespace } : {});
      for (const o of list.items) if (g.names.has(o.metadata.name ?? "")) objects.push({ ...o, apiVersion: g.apiVersion, kind: g.kind });
    } catch (err) {
      // A kind the cluster no longer serves has no live objects, hence no pods.
      onSkip?.(g.kind, err);
    }
  }
  return objects;
}
