// The ApplicationSet service's watch stream, resource tree and events (argo-cd-server.md §1.2,
// §1.4, §3.6). The stream sends `{type, applicationSet}` for every set the caller may `get`
// (applicationsets, get on `<project>/<name>`), filtered by name, projects, label selector and
// namespace; sets it may not see are never sent. The tree lists the Applications the set owns
// (ownerReferences), found through an index on the server's Application cache.
import { ARGO_API_VERSION } from "../../api/annotations.js";
import { DEFAULT_PROJECT } from "../../api/index.js";
import type { KubeClient } from "../../kube/client.js";
import type { EventHandler } from "../../runtime/informer.js";
import { labelsMatch, parseLabelSelector, type LabelSelector } from "../../util/labels.js";
import type { ApplicationObject, ServerCache } from "../cache.js";
import { queryValue, type ApiRequest, type ApiRouter, type Caller, type Query } from "../http/api.js";
import { invalidArgument } from "../http/errors.js";
import { openStream } from "../http/stream.js";
import type { AppSetObject } from "./applicationsets.js";

export interface AppSetStreamServiceDeps {
  cache: ServerCache;
  client: KubeClient;
  /** The ApplicationSet service's lookup (RBAC, existence hiding) and RBAC object names. */
  appSets: {
    find(caller: Caller, name: string, q: Query, action: string): AppSetObject;
    rbacName(set: AppSetObject): string;
  };
}

type EventType = "ADDED" | "MODIFIED" | "DELETED";

const RESOURCE = "applicationsets";
/** Applications by the uid of the ApplicationSet that owns them. */
const OWNER_INDEX = "applicationset-owner";

export function ownerSetUids(app: ApplicationObject): string[] {
  return (app.metadata.ownerReferences ?? []).filter((r) => r.kind === "ApplicationSet" && r.apiVersion.startsWith("argoproj.io/")).map((r) => r.uid);
}

export interface AppSetTreeNode {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  createdAt?: string;
  parentRefs: Array<{ group: string; version: string; kind: string; namespace?: string; name: string; uid?: string }>;
  health?: { status: string; message?: string };
}

/** The set's tree: one Application node per owned app, each with the set as its parent, sorted by namespace and name. */
export function appSetTree(set: AppSetObject, apps: readonly ApplicationObject[]): { nodes: AppSetTreeNode[] } {
  const parent = { group: "argoproj.io", version: "v1alpha1", kind: "ApplicationSet", ...(set.metadata.namespace ? { namespace: set.metadata.namespace } : {}), name: set.metadata.name ?? "", ...(set.metadata.uid ? { uid: set.metadata.uid } : {}) };
  const nodes = apps.map((a): AppSetTreeNode => {
    const health = a.status?.health;
    return {
      group: "argoproj.io", version: "v1alpha1", kind: "Application",
      ...(a.metadata.namespace ? { namespace: a.metadata.namespace } : {}),
      name: a.metadata.name ?? "",
      ...(a.metadata.uid ? { uid: a.metadata.uid } : {}),
      ...(a.metadata.resourceVersion ? { resourceVersion: a.metadata.resourceVersion } : {}),
      ...(a.metadata.creationTimestamp ? { createdAt: a.metadata.creationTimestamp } : {}),
      parentRefs: [parent],
      ...(health?.status ? { health: { status: health.status, ...(health.message ? { message: health.message } : {}) } } : {}),
    };
  });
  nodes.sort((a, b) => `${a.namespace ?? ""}/${a.name}`.localeCompare(`${b.namespace ?? ""}/${b.name}`));
  return { nodes };
}

export class AppSetStreamService {
  private readonly subscribers = new Set<EventHandler<AppSetObject>>();

  constructor(private readonly deps: AppSetStreamServiceDeps) {
    // One informer handler fans out to every open stream (informers cannot drop a handler).
    deps.cache.appSets.addHandler({
      add: (o) => { for (const h of this.subscribers) h.add?.(o); },
      update: (a, b) => { for (const h of this.subscribers) h.update?.(a, b); },
      delete: (o) => { for (const h of this.subscribers) h.delete?.(o); },
    });
    deps.cache.apps.addIndex(OWNER_INDEX, ownerSetUids);
  }

  private get ns(): string { return this.deps.cache.namespace; }

  register(r: ApiRouter): void {
    r.get("/api/v1/stream/applicationsets", (req) => this.watch(req));
    r.get("/api/v1/applicationsets/:name/resource-tree", (req) => this.resourceTree(req));
    r.get("/api/v1/applicationsets/:name/events", (req) => this.events(req));
  }

  private resourceTree({ caller, params, query }: ApiRequest): unknown {
    const set = this.deps.appSets.find(caller, params.name!, query, "get");
    const apps = set.metadata.uid ? this.deps.cache.apps.byIndex(OWNER_INDEX, set.metadata.uid) : [];
    return appSetTree(set, apps);
  }

  private async events({ caller, params, query }: ApiRequest): Promise<unknown> {
    const set = this.deps.appSets.find(caller, params.name!, query, "get");
    const selector = `involvedObject.kind=ApplicationSet,involvedObject.name=${set.metadata.name ?? ""},involvedObject.uid=${set.metadata.uid ?? ""}`;
    return this.deps.client.list("v1", "Event", { namespace: set.metadata.namespace ?? this.ns, fieldSelector: selector });
  }

  private matcher(q: Query): (set: AppSetObject) => boolean {
    const projects = [q.projects, q.project].flat().flatMap((p) => (typeof p === "string" ? p.split(",") : [])).filter(Boolean);
    let selector: LabelSelector = [];
    const rawSelector = queryValue(q, "selector");
    if (rawSelector) {
      try { selector = parseLabelSelector(rawSelector); } catch (err) { throw invalidArgument(`selector: ${err instanceof Error ? err.message : String(err)}`); }
    }
    const name = queryValue(q, "name");
    // Argo's stream query spells it appSetNamespace; the unary routes' appsetNamespace is taken too.
    const ns = queryValue(q, "appSetNamespace") ?? queryValue(q, "appsetNamespace");
    return (set) => {
      if (name !== undefined && set.metadata.name !== name) return false;
      if (ns !== undefined && (set.metadata.namespace ?? this.ns) !== ns) return false;
      if (projects.length > 0 && !projects.includes(set.spec?.template?.spec?.project || DEFAULT_PROJECT)) return false;
      if (selector.length > 0 && !labelsMatch(selector, set.metadata.labels)) return false;
      return true;
    };
  }

  /**
   * As the Application watch: ADDED for every matching set first (when no resourceVersion is
   * asked for, or a name is), then live events; sets older than the asked resourceVersion are
   * skipped and a message identical to the last one sent for that set is not repeated.
   */
  private watch({ query, caller, raw, reply }: ApiRequest): unknown {
    reply.hijack();
    const stream = openStream(reply.raw, raw.headers.accept);
    let matches: (set: AppSetObject) => boolean;
    try { matches = this.matcher(query); } catch (err) { stream.fail(err); return undefined; }
    stream.open();
    const minVersion = Number(queryValue(query, "resourceVersion") ?? "");
    const fromVersion = Number.isFinite(minVersion) && minVersion > 0;
    const name = queryValue(query, "name");
    const lastSent = new Map<string, string>();
    const send = (type: EventType, set: AppSetObject): void => {
      if (!matches(set) || !caller.can(RESOURCE, "get", this.deps.appSets.rbacName(set))) return;
      if (fromVersion && Number(set.metadata.resourceVersion) < minVersion) return;
      const body = JSON.stringify({ type, applicationSet: { ...set, apiVersion: ARGO_API_VERSION, kind: "ApplicationSet" } });
      const key = `${set.metadata.namespace ?? ""}/${set.metadata.name ?? ""}`;
      if (type !== "DELETED" && lastSent.get(key) === body) return;
      if (type === "DELETED") lastSent.delete(key); else lastSent.set(key, body);
      stream.sendJson(body);
    };
    if (!fromVersion || name !== undefined) {
      const sets = (this.deps.cache.appSets.list() as AppSetObject[]).sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
      for (const set of sets) send("ADDED", set);
    }
    const handler: EventHandler<AppSetObject> = {
      add: (set) => send("ADDED", set),
      update: (_old, set) => send("MODIFIED", set),
      delete: (set) => send("DELETED", set),
    };
    this.subscribers.add(handler);
    stream.signal.addEventListener("abort", () => this.subscribers.delete(handler), { once: true });
    return undefined;
  }
}
