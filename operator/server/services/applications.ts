// Argo CD's Application service over REST (argo-cd-server.md §1.3 and §3.6): list, get, create,
// update, patch, delete, sync, rollback, terminate, sync windows, events, and the watch stream.
// Reads come from the server's cache; writes go to the apiserver with a resourceVersion
// precondition where a concurrent change would otherwise be lost. Every route checks RBAC on the
// stored app's `<project>/[<ns>/]<name>`, and per-app routes hide whether an app exists from a
// caller who may not see it, as Argo does.
import jsonPatch, { type Operation as JsonPatchOp } from "fast-json-patch";
import { ANNOTATION_REFRESH, ARGO_API_VERSION } from "../../api/annotations.js";
import { DEFAULT_PROJECT, type Application, type AppProject, type Operation, type SyncOperationResource } from "../../api/index.js";

import { labelsMatch, parseLabelSelector, type LabelSelector } from "../../util/labels.js";
import { autoSyncEnabled } from "../../engine/sync/autosync.js";
import { deletionFinalizers, manualSyncWindowRefusal, operationInProgress, perSourceRevisions, rollbackOperation, syncOperation, chooseRollbackEntry, RequestRefused, syncInfos, type PerSourceRevisions } from "../../engine/sync/requests.js";
import { isNamespaceEnabled } from "../../engine/namespaces.js";
import { syncWindowVerdict, windowStates } from "../../engine/syncwindows.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import type { Logger } from "../../runtime/logger.js";
import { deepEqual, isRecord } from "../../util/index.js";
import { sensitiveAnnotationKeys } from "../../engine/diff/index.js";
import type { ApplicationObject, ServerCache } from "../cache.js";
import { writeRetryingConflicts } from "../conflict-retry.js";
import { validateAppForWrite } from "./app-validate.js";
import { JsonPieces, type ApiRequest, type ApiRouter, type Caller, type Query } from "../http/api.js";
import { checkBody, type Shape } from "../http/body.js";
import { ApiError, Code, failedPrecondition, invalidArgument, notFound } from "../http/errors.js";
import { listJsonChunks, parseFields, pruneFields } from "../http/fields.js";
import { openStream } from "../http/stream.js";
import { appWatcher, WatchMessages, withTypeMeta } from "./app-watch.js";
import type { AppStateReader } from "../app-state.js";
import type { TreeCache } from "../tree-cache.js";
import type { AppHosts } from "./app-hosts.js";
import { managedLiveObjects, managedResources, manifestsResponse, masked, resourceQuery, resourceTree } from "./app-resources.js";
import { NotInApplicationError, resolveActionResource } from "../../appstate/resource-actions.js";
import type { ApplicationObject as PipelineApp, AppProjectObject } from "../../appstate/types.js";

export interface ApplicationServiceDeps {
  cache: ServerCache;
  client: KubeClient;
  log: Logger;
  now?: () => Date;
  /** Argo's finer RBAC rules (resource sub-actions, the rollback action); plain checks without it. */
  rbac?: {
    resourceDenial(claims: Caller["claims"], action: "update" | "delete", appObject: string, group: string, kind: string, namespace: string, name: string): ApiError | undefined;
    rollbackAction(): "rollback" | "sync";
  };
  /** Renders and compares apps with the controller's pipeline (managed-resources, manifests, tree). */
  reader?: AppStateReader;
  /** Watches behind resource trees; without it a tree is listed per request. */
  trees?: TreeCache;
  /** Adds the Nodes the app's pods run on to its tree (`hosts`). */
  hosts?: AppHosts;
  /** How long GET ?refresh= waits for the controller to pick the refresh up. */
  refreshWaitMs?: number;
}

const RESOURCE = "applications";

// ---- query helpers ----

function one(q: Query, key: string): string | undefined {
  const v = q[key];
  if (Array.isArray(v)) {
    if (v.length > 1) throw invalidArgument(`query parameter "${key}" given ${v.length} times; at most once`);
    return v[0];
  }
  return v === "" ? undefined : v;
}

function many(q: Query, key: string): string[] {
  const v = q[key];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((x) => x.split(",")).filter(Boolean);
}

function bool(q: Query, key: string, fallback: boolean): boolean {
  const v = one(q, key);
  if (v === undefined) return fallback;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw invalidArgument(`query parameter "${key}" must be true or false, got "${v}"`);
}

/** RBAC object of an app: `<project>/<name>`, or `<project>/<ns>/<name>` outside the control namespace. */
export function appRbacName(app: Pick<Application, "metadata" | "spec">, controlNamespace: string): string {
  const project = app.spec?.project || DEFAULT_PROJECT;
  const ns = app.metadata.namespace ?? controlNamespace;
  return ns === controlNamespace ? `${project}/${app.metadata.name}` : `${project}/${ns}/${app.metadata.name}`;
}

function appNotFound(name: string): ApiError {
  return notFound(`applications.argoproj.io "${name}" not found`);
}

const PERMISSION_DENIED = (): ApiError => new ApiError(Code.PermissionDenied, "permission denied");

// ---- message shapes ----

const RESOURCE_REF: Shape = { group: "scalar", kind: "scalar", name: "scalar", namespace: "scalar", version: "scalar" };
const SYNC_REQUEST: Shape = {
  name: "scalar", appNamespace: "scalar", project: "scalar", revision: "scalar", revisions: ["scalar"], sourcePositions: ["scalar"],
  dryRun: "scalar", prune: "scalar", strategy: { apply: { force: "scalar" }, hook: { force: "scalar" } },
  resources: [RESOURCE_REF], manifests: ["scalar"], infos: [{ name: "scalar", value: "scalar" }],
  retryStrategy: { limit: "scalar", backoff: { duration: "scalar", factor: "scalar", maxDuration: "scalar" }, refresh: "scalar" },
  syncOptions: { items: ["scalar"] },
};
const ROLLBACK_REQUEST: Shape = { name: "scalar", appNamespace: "scalar", project: "scalar", id: "scalar", dryRun: "scalar", prune: "scalar" };
const PATCH_REQUEST: Shape = { name: "scalar", appNamespace: "scalar", project: "scalar", patch: "scalar", patchType: "scalar" };

export class ApplicationService {
  private readonly now: () => Date;

  constructor(private readonly deps: ApplicationServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private get ns(): string { return this.deps.cache.namespace; }

  /** The project with its global projects' windows and lists, as the controller enforces it. */
  private project(name: string): AppProject | undefined {
    return this.deps.reader ? this.deps.reader.effectiveProject(name) : this.deps.cache.project(name);
  }

  register(r: ApiRouter): void {
    r.get("/api/v1/applications", (req) => this.list(req));
    r.post("/api/v1/applications", (req) => this.create(req));
    r.get("/api/v1/applications/:name", (req) => this.get(req));
    r.put("/api/v1/applications/:name", (req) => this.update(req));
    r.put("/api/v1/applications/:name/spec", (req) => this.updateSpec(req));
    r.patch("/api/v1/applications/:name", (req) => this.patch(req));
    r.delete("/api/v1/applications/:name", (req) => this.delete(req));
    r.post("/api/v1/applications/:name/sync", (req) => this.sync(req));
    r.post("/api/v1/applications/:name/rollback", (req) => this.rollback(req));
    r.delete("/api/v1/applications/:name/operation", (req) => this.terminate(req));
    r.get("/api/v1/applications/:name/syncwindows", (req) => this.syncWindows(req));
    r.get("/api/v1/applications/:name/events", (req) => this.events(req));
    r.get("/api/v1/stream/applications", (req) => this.watch(req));
    r.get("/api/v1/applications/:name/managed-resources", (req) => this.managedResources(req));
    r.get("/api/v1/applications/:name/manifests", (req) => this.manifests(req));
    r.get("/api/v1/applications/:name/resource-tree", (req) => this.resourceTree(req));
    r.get("/api/v1/applications/:name/resource", (req) => this.getResource(req));
    r.post("/api/v1/applications/:name/resource", (req) => this.patchResource(req));
    r.delete("/api/v1/applications/:name/resource", (req) => this.deleteResource(req));
  }

  // ---- resources (through the controller's pipeline) ----

  private get reader(): AppStateReader {
    if (!this.deps.reader) throw new ApiError(Code.Unavailable, "this server renders no application state (no repository access configured)");
    return this.deps.reader;
  }

  /** argocd-cm resource.sensitive.mask.annotations, read per request so an edit applies at once. */
  /** argocd-cm resource.sensitive.mask.annotations: annotation values masked in every answer. */
  sensitiveAnnotations(): string[] {
    return sensitiveAnnotationKeys(this.deps.cache.configMap("argocd-cm"));
  }

  private async managedResources({ params, query, caller }: ApiRequest): Promise<unknown> {
    const app = this.findApp(caller, params.name!, query, "get");
    const out = managedResources(await this.reader.state(app, comparedRevisions(app)), this.sensitiveAnnotations());
    const filter = { group: one(query, "group"), kind: one(query, "kind"), namespace: one(query, "namespace"), name: one(query, "name") };
    out.items = out.items.filter((i) => Object.entries(filter).every(([k, v]) => v === undefined || (i[k] ?? "") === v));
    const fields = parseFields(query.fields);
    return fields ? pruneFields(out, fields) : out;
  }

  private async manifests({ params, query, caller }: ApiRequest): Promise<unknown> {
    const app = this.findApp(caller, params.name!, query, "get");
    const revision = one(query, "revision");
    const perSource = this.perSourceRevisions(app, { revisions: many(query, "revisions"), sourcePositions: many(query, "sourcePositions") }, revision);
    const pinned = perSource ? { revisions: perSource.revisions } : revision ? { revision } : {};
    return manifestsResponse(app, await this.reader.state(app, { ...pinned, ...(bool(query, "noCache", false) ? { refresh: "hard" as const } : {}) }), this.sensitiveAnnotations());
  }

  private async resourceTree({ params, query, caller }: ApiRequest): Promise<unknown> {
    const app = this.findApp(caller, params.name!, query, "get");
    if (this.deps.trees) {
      const client = this.reader.destination(app).client;
      const tree = await this.deps.trees.tree(client, app);
      return this.deps.hosts ? this.deps.hosts.withHosts(client, tree) : tree;
    }
    const { client } = this.reader.destination(app);
    const objects = await managedLiveObjects(app, client, (kind, err) => this.deps.log.debug("resource tree: kind not listed", { kind, error: err instanceof Error ? err.message : String(err) }));
    return resourceTree(app, client, objects);
  }

  private async liveResource(app: ApplicationObject, q: Query): Promise<{ client: KubeClient; ref: { apiVersion: string; kind: string; name: string; namespace?: string }; obj: KubeObject | undefined }> {
    const r = resourceQuery(q);
    const { client } = this.reader.destination(app);
    // Any resource of the app's tree, as Argo: a managed one, or a descendant of one through
    // ownerReferences (a Deployment's ReplicaSets and Pods); anything else is not the app's.
    let obj: KubeObject;
    try {
      obj = await resolveActionResource({ app: app as unknown as PipelineApp, client }, r);
    } catch (err) {
      if (err instanceof NotInApplicationError) throw notFound(err.message);
      throw err;
    }
    const ref = { apiVersion: obj.apiVersion, kind: r.kind, name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) };
    return { client, ref, obj };
  }

  private async getResource({ params, query, caller }: ApiRequest): Promise<unknown> {
    const app = this.findApp(caller, params.name!, query, "get");
    const { obj, ref } = await this.liveResource(app, query);
    if (!obj) throw notFound(`${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name} not found`);
    return { manifest: JSON.stringify(masked(obj, this.sensitiveAnnotations())) };
  }

  private async patchResource({ params, query, body, caller }: ApiRequest): Promise<unknown> {
    const app = this.findApp(caller, params.name!, query, "get");
    const r = resourceQuery(query);
    this.requireOnResource(caller, "update", app, r);
    const { client, ref } = await this.liveResource(app, query);
    if (typeof body !== "string") throw invalidArgument("the body must be the patch as a JSON string");
    const patchType = one(query, "patchType") ?? "application/merge-patch+json";
    const types: Record<string, "merge" | "json" | "strategic"> = { "application/merge-patch+json": "merge", "application/json-patch+json": "json", "application/strategic-merge-patch+json": "strategic" };
    const type = types[patchType];
    if (!type) throw invalidArgument(`patchType must be one of ${Object.keys(types).join(", ")}, got "${patchType}"`);
    let patch: unknown;
    try { patch = JSON.parse(body); } catch { throw invalidArgument("the patch is not valid JSON"); }
    const patched = await client.patch(ref, patch, { type });
    return { manifest: JSON.stringify(masked(patched, this.sensitiveAnnotations())) };
  }

  /** `update/<group>/<kind>/<ns>/<name>` (or delete/...) on the app, with argocd-cm's inheritance rule. */
  private requireOnResource(caller: Caller, action: "update" | "delete", app: ApplicationObject, r: { group: string; kind: string; namespace?: string; name: string }): void {
    const object = appRbacName(app, this.ns);
    if (this.deps.rbac) {
      const denial = this.deps.rbac.resourceDenial(caller.claims, action, object, r.group, r.kind, r.namespace ?? "", r.name);
      if (denial) throw denial;
      return;
    }
    caller.require(RESOURCE, `${action}/${r.group}/${r.kind}/${r.namespace ?? ""}/${r.name}`, object);
  }

  private async deleteResource({ params, query, caller }: ApiRequest): Promise<unknown> {
    const app = this.findApp(caller, params.name!, query, "get");
    const r = resourceQuery(query);
    this.requireOnResource(caller, "delete", app, r);
    const { client, ref } = await this.liveResource(app, query);
    const orphan = bool(query, "orphan", false);
    await client.delete(ref, orphan ? { propagationPolicy: "Orphan" } : {});
    return {};
  }

  // ---- lookup with Argo's existence hiding ----

  /** The namespace an app name refers to: appNamespace, else the control namespace; refused when not enabled. */
  private appNamespace(q: Query, body?: Record<string, unknown>): string {
    const ns = one(q, "appNamespace") ?? (typeof body?.appNamespace === "string" && body.appNamespace ? body.appNamespace : undefined) ?? this.ns;
    if (!isNamespaceEnabled(ns, this.ns, this.deps.cache.applicationNamespaces)) {
      throw PERMISSION_DENIED();
    }
    return ns;
  }

  /**
   * The stored app the caller may `action`, following argo-cd-server.md §1.1: without `project`
   * a missing app and a forbidden one are both 403; with it, a forbidden project is 403, and a
   * missing app, one in another project or one whose real project is forbidden is 404.
   */
  findApp(caller: Caller, name: string, q: Query, action: string, body?: Record<string, unknown>): ApplicationObject {
    const ns = this.appNamespace(q, body);
    const project = one(q, "project") ?? (typeof body?.project === "string" && body.project ? body.project : undefined);
    const app = this.deps.cache.app(ns, name);
    if (project !== undefined) {
      const claimed = ns === this.ns ? `${project}/${name}` : `${project}/${ns}/${name}`;
      if (!caller.can(RESOURCE, action, claimed)) throw PERMISSION_DENIED();
      if (!app || (app.spec?.project || DEFAULT_PROJECT) !== project) throw appNotFound(name);
      if (!caller.can(RESOURCE, action, appRbacName(app, this.ns))) throw appNotFound(name);
      return app;
    }
    if (!app || !caller.can(RESOURCE, action, appRbacName(app, this.ns))) throw PERMISSION_DENIED();
    return app;
  }

  private ref(app: Pick<Application, "metadata">): { apiVersion: string; kind: string; name: string; namespace: string } {
    return { apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name ?? "", namespace: app.metadata.namespace ?? this.ns };
  }

  // ---- list and get ----

  private matcher(q: Query): (app: ApplicationObject) => boolean {
    const projects = [...many(q, "projects"), ...many(q, "project")];
    let selector: LabelSelector = [];
    const rawSelector = one(q, "selector");
    if (rawSelector) {
      try { selector = parseLabelSelector(rawSelector); } catch (err) { throw invalidArgument(err instanceof Error ? err.message : String(err)); }
    }
    const repo = one(q, "repo");
    const name = one(q, "name");
    const appNs = one(q, "appNamespace");
    return (app) => {
      if (name !== undefined && app.metadata.name !== name) return false;
      if (appNs !== undefined && (app.metadata.namespace ?? this.ns) !== appNs) return false;
      if (projects.length > 0 && !projects.includes(app.spec?.project || DEFAULT_PROJECT)) return false;
      if (selector.length > 0 && !labelsMatch(selector, app.metadata.labels)) return false;
      if (repo !== undefined && !appRepos(app).some((u) => sameRepo(u, repo))) return false;
      return true;
    };
  }

  private list({ query, caller }: ApiRequest): unknown {
    const matches = this.matcher(query);
    const items = this.deps.cache.apps.list()
      .filter((app) => matches(app) && caller.can(RESOURCE, "get", appRbacName(app, this.ns)))
      .sort(byQualifiedName);
    // Serialised item by item (with `fields` applied while writing, not by copying the apps first)
    // and sent in pieces as they are made.
    const fields = parseFields(query.fields);
    return new JsonPieces(listJsonChunks({ resourceVersion: this.deps.cache.apps.lastResourceVersion }, items.map(withTypeMeta), fields, [["metadata", "resourceVersion"]]));
  }

  private async get({ params, query, caller }: ApiRequest): Promise<unknown> {
    const app = this.findApp(caller, params.name!, query, "get");
    const refresh = one(query, "refresh");
    if (refresh === undefined) return withTypeMeta(app);
    if (refresh !== "normal" && refresh !== "hard") throw invalidArgument(`refresh must be normal or hard, got "${refresh}"`);
    const requested = await this.deps.client.patch<ApplicationObject>(this.ref(app), { metadata: { annotations: { [ANNOTATION_REFRESH]: refresh } } });
    // Until the cache shows the request itself, its copy has no annotation and would pass for a
    // refresh already done (the app returned at its old revision): wait for the own write first.
    await this.deps.cache.awaitOwnWrite(requested);
    return withTypeMeta(await this.waitFor(app, (a) => !a.metadata.annotations?.[ANNOTATION_REFRESH]));
  }

  /** Waits (bounded) until the cached app satisfies `done`; returns the latest copy either way. */
  private async waitFor(app: ApplicationObject, done: (a: ApplicationObject) => boolean): Promise<ApplicationObject> {
    const key = `${app.metadata.namespace ?? this.ns}/${app.metadata.name}`;
    const until = Date.now() + (this.deps.refreshWaitMs ?? 60_000);
    for (;;) {
      const latest = this.deps.cache.apps.get(key) ?? app;
      if (done(latest) || Date.now() >= until) return latest;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // ---- create, update, patch ----

  private async create({ query, body, caller }: ApiRequest): Promise<unknown> {
    const app = asApplication(body);
    const ns = app.metadata.namespace || this.ns;
    if (!isNamespaceEnabled(ns, this.ns, this.deps.cache.applicationNamespaces)) throw invalidArgument(`namespace '${ns}' is not permitted`);
    app.metadata.namespace = ns;
    caller.require(RESOURCE, "create", appRbacName(app, this.ns));
    this.requireProject(app);
    const upsert = bool(query, "upsert", false);
    const existing = await this.deps.client.get<ApplicationObject>(ARGO_API_VERSION, "Application", app.metadata.name!, ns);
    await this.validate(app, query, existing);
    if (existing) {
      const same = deepEqual(existing.spec, app.spec) && deepEqual(existing.metadata.labels ?? {}, app.metadata.labels ?? {}) && deepEqual(existing.metadata.annotations ?? {}, app.metadata.annotations ?? {});
      if (same) return withTypeMeta(existing);
      if (!upsert) throw invalidArgument("existing application spec is different, use upsert flag to force update");
      caller.require(RESOURCE, "update", appRbacName(existing, this.ns));
      return withTypeMeta(await this.writeApp(caller, existing, (cur) => ({ ...cur, spec: app.spec, metadata: { ...cur.metadata, labels: app.metadata.labels, annotations: app.metadata.annotations, finalizers: app.metadata.finalizers ?? cur.metadata.finalizers } })));
    }
    const created = await this.deps.client.create({ ...app, apiVersion: ARGO_API_VERSION, kind: "Application" }, { fieldValidation: "Strict" });
    return withTypeMeta(await this.deps.cache.afterWrite(created));
  }

  /**
   * Argo's spec validation (app-validate.ts); validate=false skips its repository checks only;
   * `stored`, the app being updated, spares them too when its sources and project stay.
   */
  private async validate(app: Application, query: Query, stored?: Application): Promise<void> {
    const repositories = bool(query, "validate", true);
    await validateAppForWrite(app, this.ns, { ...(this.deps.reader ? { reader: this.deps.reader } : {}), project: (n) => this.deps.cache.project(n) as AppProjectObject | undefined, ...(stored ? { stored } : {}), repositories });
  }

  /** Fail closed: an app may only be written naming a project that exists and admits its namespace. */
  private requireProject(app: Application): void {
    const name = app.spec?.project || DEFAULT_PROJECT;
    const project = this.deps.cache.project(name);
    if (!project) throw invalidArgument(`application references project ${name} which does not exist`);
    const ns = app.metadata.namespace ?? this.ns;
    if (ns !== this.ns && !(project.spec?.sourceNamespaces ?? []).some((p) => isNamespaceEnabled(ns, this.ns, [p]))) {
      throw invalidArgument(`application '${app.metadata.name}' in namespace '${ns}' is not permitted to use project '${name}'`);
    }
  }

  private async update({ params, query, body, caller }: ApiRequest): Promise<unknown> {
    const incoming = asApplication(body);
    if (incoming.metadata.name !== params.name) throw invalidArgument(`metadata.name "${incoming.metadata.name}" does not match the path's "${params.name}"`);
    const ns = incoming.metadata.namespace || this.ns;
    const stored = this.findApp(caller, params.name!, { ...query, appNamespace: ns }, "update");
    incoming.metadata.namespace = ns;
    this.checkProjectChange(caller, stored, incoming);
    this.requireProject(incoming);
    await this.validate(incoming, query, stored);
    // The body's metadata.resourceVersion is ignored, as Argo's updateApp does: clients (the UI,
    // `app set`) send back the app they read, whose version the controller's status writes move
    // on within seconds, so a precondition on it would refuse most edits.
    return withTypeMeta(await this.writeApp(caller, stored, (cur) => ({ ...cur, spec: incoming.spec, metadata: { ...cur.metadata, labels: incoming.metadata.labels, annotations: incoming.metadata.annotations, finalizers: incoming.metadata.finalizers ?? cur.metadata.finalizers } })));
  }

  /** A project change needs `create` on the new object and `update` on the old (§3.6). */
  private checkProjectChange(caller: Caller, stored: Application, incoming: Application): void {
    if ((stored.spec?.project || DEFAULT_PROJECT) !== (incoming.spec?.project || DEFAULT_PROJECT)) {
      caller.require(RESOURCE, "create", appRbacName(incoming, this.ns));
    }
  }

  private async updateSpec({ params, query, body, caller }: ApiRequest): Promise<unknown> {
    if (!isRecord(body)) throw invalidArgument("the request body must be an ApplicationSpec object");
    const stored = this.findApp(caller, params.name!, query, "update");
    const next = { ...stored, spec: body as unknown as Application["spec"] } as Application;
    this.checkProjectChange(caller, stored, next);
    this.requireProject(next);
    await this.validate(next, query, stored);
    const written = await this.writeApp(caller, stored, (cur) => ({ ...cur, spec: next.spec }));
    return written.spec;
  }

  private async patch({ params, query, body, caller }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, PATCH_REQUEST, "patch");
    // PATCH first needs get (existence hiding), then update.
    const stored = this.findApp(caller, params.name!, query, "get", req);
    caller.require(RESOURCE, "update", appRbacName(stored, this.ns));
    const patchType = (req.patchType as string | undefined) ?? "json";
    if (patchType !== "json" && patchType !== "merge") throw invalidArgument(`patchType must be json or merge, got "${patchType}"`);
    if (typeof req.patch !== "string") throw invalidArgument("patch must be a JSON document as a string");
    let parsed: unknown;
    try { parsed = JSON.parse(req.patch); } catch (err) { throw invalidArgument(`patch is not valid JSON: ${err instanceof Error ? err.message : String(err)}`); }
    if (patchType === "json" && !Array.isArray(parsed)) throw invalidArgument("a json patch must be a list of operations (RFC 6902)");
    // Applied to the object each attempt writes, so a retry after a conflict keeps the changes
    // others made meanwhile instead of writing back the stale copy with the patch on top.
    const apply = (cur: ApplicationObject): ApplicationObject => {
      const base = structuredClone(cur);
      let next: ApplicationObject;
      if (patchType === "json") {
        try { next = jsonPatch.applyPatch(base, parsed as JsonPatchOp[], true, false).newDocument; } catch (err) { throw invalidArgument(`cannot apply the patch: ${err instanceof Error ? err.message : String(err)}`); }
      } else {
        next = mergePatch(base, parsed) as ApplicationObject;
      }
      if (next.metadata?.name !== cur.metadata.name || (next.metadata.namespace ?? this.ns) !== (cur.metadata.namespace ?? this.ns)) {
        throw invalidArgument("a patch may not change metadata.name or metadata.namespace");
      }
      this.checkProjectChange(caller, cur, next);
      this.requireProject(next);
      return next;
    };
    // A patch that sets metadata.resourceVersion asks for optimistic concurrency: its conflict is the caller's.
    const first = apply(stored);
    // Argo validates every patched spec (there is no validate flag on PATCH).
    await this.validate(first, {}, stored);
    // Read from the patch itself: compared with the cached copy alone, a patch carrying the version
    // the cache still shows (the cache behind the apiserver) looked like no version at all, and its
    // conflict was retried until the attempts ran out instead of being the caller's 409.
    const clientVersion = patchedResourceVersion(patchType, parsed)
      ?? (first.metadata.resourceVersion !== stored.metadata.resourceVersion ? first.metadata.resourceVersion : undefined);
    return withTypeMeta(await this.writeApp(caller, stored, apply, clientVersion));
  }

  /**
   * Replaces the app with `build(current)`, re-reading it from the apiserver and building again
   * when the write meets a conflict (conflict-retry.ts). A re-read app that moved to another
   * project is written only if the caller may update it there too.
   */
  private async writeApp(caller: Caller, stored: ApplicationObject, build: (current: ApplicationObject) => Application, clientVersion?: string): Promise<ApplicationObject> {
    const written = await writeRetryingConflicts({
      current: stored,
      clientVersion,
      what: `Application ${stored.metadata.name ?? ""}`,
      log: this.deps.log,
      gone: () => appNotFound(stored.metadata.name ?? ""),
      reread: async () => {
        const fresh = await this.deps.client.get<ApplicationObject>(ARGO_API_VERSION, "Application", stored.metadata.name!, stored.metadata.namespace ?? this.ns);
        if (fresh && appRbacName(fresh, this.ns) !== appRbacName(stored, this.ns)) caller.require(RESOURCE, "update", appRbacName(fresh, this.ns));
        return fresh;
      },
      write: (cur) => {
        const next = build(cur);
        if (clientVersion) next.metadata.resourceVersion = clientVersion;
        return this.deps.client.replace<ApplicationObject>({ ...next, apiVersion: ARGO_API_VERSION, kind: "Application" }, { fieldValidation: "Strict" });
      },
    });
    return this.deps.cache.afterWrite(written);
  }

  // ---- delete ----

  private async delete({ params, query, caller }: ApiRequest): Promise<unknown> {
    const stored = this.findApp(caller, params.name!, query, "get");
    caller.require(RESOURCE, "delete", appRbacName(stored, this.ns));
    const cascade = bool(query, "cascade", true);
    const policy = one(query, "propagationPolicy");
    if (policy !== undefined && policy !== "foreground" && policy !== "background") throw invalidArgument(`propagationPolicy must be foreground or background, got "${policy}"`);
    if (!cascade && policy !== undefined) throw invalidArgument("cannot set propagation policy when cascading is disabled");
    await writeRetryingConflicts({
      current: stored,
      what: `Application ${stored.metadata.name ?? ""}`,
      log: this.deps.log,
      gone: () => appNotFound(stored.metadata.name ?? ""),
      reread: () => this.deps.client.get<ApplicationObject>(ARGO_API_VERSION, "Application", stored.metadata.name!, stored.metadata.namespace ?? this.ns),
      write: async (cur) => {
        const finalizers = cur.metadata.finalizers ?? [];
        const next = deletionFinalizers(finalizers, cascade, policy);
        if (!deepEqual(next, finalizers)) await this.deps.client.patch(this.ref(cur), { metadata: { finalizers: next, resourceVersion: cur.metadata.resourceVersion } });
      },
    });
    const ref = this.ref(stored);
    await this.deps.client.delete(ref);
    await this.deps.cache.afterDelete(ref);
    return {};
  }

  // ---- operations ----

  private async sync({ params, query, body, caller }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, SYNC_REQUEST, "sync");
    const stored = this.findApp(caller, params.name!, query, "get", req);
    const object = appRbacName(stored, this.ns);
    caller.require(RESOURCE, "sync", object);
    const manifests = (req.manifests as string[] | undefined) ?? [];
    if (manifests.length > 0) caller.require(RESOURCE, "override", object);
    // The controller syncs only what it renders from the app's sources (Argo's `--local` sync has
    // no counterpart here), so an operation carrying manifests would be ignored: refuse it.
    if (manifests.length > 0) throw new ApiError(Code.Unimplemented, "manifests: syncing local manifests is not supported by this server; the controller syncs only what it renders from the application's sources (push the manifests to git, or sync a revision)");
    let infos: Array<{ name: string; value: string }> = [];
    try { infos = syncInfos((req.infos as Array<{ name?: unknown; value?: unknown }> | undefined) ?? []); } catch (err) { if (err instanceof RequestRefused) throw invalidArgument(err.message); throw err; }
    const revision = typeof req.revision === "string" && req.revision ? req.revision : undefined;
    const dryRun = req.dryRun === true;
    const requireOverrideForRevision = this.deps.cache.configMap("argocd-cm")?.["application.sync.requireOverridePrivilegeForRevisionSync"] === "true";
    const perSource = this.perSourceRevisions(stored, req, revision);
    if (perSource) {
      // As for a single source: moving a source off its targetRevision needs `override` when
      // argocd-cm asks for it, and is refused while auto-sync would move it back (dry run aside).
      if (perSource.overridden.length > 0 && requireOverrideForRevision) caller.require(RESOURCE, "override", object);
      const first = perSource.overridden[0];
      if (first !== undefined && !dryRun && autoSyncEnabled(stored.spec.syncPolicy)) {
        throw failedPrecondition(`Cannot sync source ${first + 1} to ${perSource.revisions[first]}: auto-sync currently set to ${stored.spec.sources?.[first]?.targetRevision || "HEAD"}`);
      }
    }
    // argocd-cm application.sync.requireOverridePrivilegeForRevisionSync: another revision than the
    // app's targetRevision also needs `override`.
    if (revision && revision !== (stored.spec.source?.targetRevision ?? "HEAD") && requireOverrideForRevision) {
      caller.require(RESOURCE, "override", object);
    }
    if (revision && !dryRun && autoSyncEnabled(stored.spec.syncPolicy) && revision !== (stored.spec.source?.targetRevision ?? "HEAD")) {
      throw failedPrecondition(`Cannot sync to ${revision}: auto-sync currently set to ${stored.spec.source?.targetRevision ?? "HEAD"}`);
    }
    const strategy = req.strategy as { apply?: { force?: boolean }; hook?: { force?: boolean } } | undefined;
    const operation = syncOperation({
      ...(revision ? { revision } : {}),
      ...(perSource ? { revisions: perSource.revisions } : {}),
      prune: req.prune === true,
      dryRun,
      force: strategy?.apply?.force === true || strategy?.hook?.force === true,
      ...(strategy?.apply ? { strategy: "apply" as const } : {}),
      resources: ((req.resources as SyncOperationResource[] | undefined) ?? []).map((r) => ({ group: r.group ?? "", kind: r.kind, name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) })),
      syncOptions: ((req.syncOptions as { items?: string[] } | undefined)?.items) ?? [],
      infos,
      username: caller.username,
    });
    const retry = req.retryStrategy as Operation["retry"] | undefined;
    if (retry) operation.retry = retry;
    return this.startOperation(stored, operation);
  }

  /**
   * The per-source revisions of a sync request (`revisions` with 1-based `sourcePositions`), or
   * undefined when it names none. A multi-source app takes no single `revision`.
   */
  private perSourceRevisions(app: ApplicationObject, req: Record<string, unknown>, revision: string | undefined): PerSourceRevisions | undefined {
    const revisions = ((req.revisions as unknown[] | undefined) ?? []).map((r) => (typeof r === "string" ? r : String(r)));
    const positions = ((req.sourcePositions as unknown[] | undefined) ?? []).map((p, i) => {
      const n = typeof p === "number" ? p : typeof p === "string" && /^-?\d+$/.test(p) ? Number(p) : NaN;
      if (!Number.isInteger(n)) throw invalidArgument(`sourcePositions[${i}] must be an integer (1-based source position), got ${JSON.stringify(p)}`);
      return n;
    });
    const multi = (app.spec.sources?.length ?? 0) > 0;
    if (multi && revision) throw invalidArgument(`revision: application ${app.metadata.name} has several sources; give revisions with sourcePositions instead`);
    if (revisions.length === 0 && positions.length === 0) return undefined;
    try { return perSourceRevisions(app, revisions, positions); } catch (err) { if (err instanceof RequestRefused) throw invalidArgument(err.message); throw err; }
  }

  private async rollback({ params, query, body, caller }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, ROLLBACK_REQUEST, "rollback");
    const stored = this.findApp(caller, params.name!, query, "get", req);
    caller.require(RESOURCE, this.deps.rbac?.rollbackAction() ?? "sync", appRbacName(stored, this.ns));
    const id = req.id === undefined ? undefined : Number(req.id);
    if (id !== undefined && (!Number.isInteger(id) || id < 0)) throw invalidArgument(`id must be a history id, got "${String(req.id)}"`);
    let entry;
    try { entry = chooseRollbackEntry(stored, id); } catch (err) { if (err instanceof RequestRefused) throw failedPrecondition(err.message); throw err; }
    const operation = rollbackOperation(entry, { prune: req.prune === true, dryRun: req.dryRun === true, username: caller.username });
    return this.startOperation(stored, operation);
  }

  private async startOperation(stored: ApplicationObject, operation: Operation): Promise<unknown> {
    // The checks run again on every attempt: after a conflict the re-read app may have started
    // an operation or begun deleting meanwhile (as Argo's SetAppOperation loop does).
    const written = await writeRetryingConflicts({
      current: stored,
      what: `Application ${stored.metadata.name ?? ""}`,
      log: this.deps.log,
      gone: () => appNotFound(stored.metadata.name ?? ""),
      reread: () => this.deps.client.get<ApplicationObject>(ARGO_API_VERSION, "Application", stored.metadata.name!, stored.metadata.namespace ?? this.ns),
      write: (app) => {
        if (app.metadata.deletionTimestamp) throw failedPrecondition(`application ${app.metadata.name} is being deleted`);
        // Argo's exact refusal (FailedPrecondition, 400), which clients match on; the phase is in the app.
        if (operationInProgress(app)) throw failedPrecondition("another operation is already in progress");
        const project = this.project(app.spec.project || DEFAULT_PROJECT);
        if (manualSyncWindowRefusal(app, project?.spec?.syncWindows, this.now())) {
          throw new ApiError(Code.PermissionDenied, "cannot sync: blocked by sync window");
        }
        return this.deps.client.patch<ApplicationObject>(this.ref(app), { metadata: { resourceVersion: app.metadata.resourceVersion }, operation });
      },
    });
    return withTypeMeta(await this.deps.cache.afterWrite(written));
  }

  private async terminate({ params, query, caller }: ApiRequest): Promise<unknown> {
    const stored = this.findApp(caller, params.name!, query, "get");
    caller.require(RESOURCE, "sync", appRbacName(stored, this.ns));
    if (stored.status?.operationState?.phase !== "Running") throw failedPrecondition("Unable to terminate operation. No operation is in progress");
    await this.deps.cache.awaitOwnWrite(await this.deps.client.patch(this.ref(stored), { status: { operationState: { phase: "Terminating" } } }, { type: "merge", subresource: "status" }));
    return {};
  }

  // ---- read-only views ----

  private syncWindows({ params, query, caller }: ApiRequest): unknown {
    const app = this.findApp(caller, params.name!, query, "get");
    const windows = this.project(app.spec.project || DEFAULT_PROJECT)?.spec?.syncWindows ?? [];
    const now = this.now();
    const input = { windows, app: { name: app.metadata.name ?? "", namespace: app.metadata.namespace ?? this.ns }, destination: app.spec.destination, now };
    const assigned = windows.filter((w) => syncWindowVerdict({ ...input, windows: [w], kind: "manual" }).message.includes("window"));
    const active = windowStates(assigned, now).filter((s) => s.active).map((s) => s.window);
    const view = (w: (typeof windows)[number]): Record<string, unknown> => ({ kind: w.kind, schedule: w.schedule, duration: w.duration, ...(w.manualSync ? { manualSync: true } : {}) });
    const canSync = syncWindowVerdict({ ...input, kind: "manual" }).allowed;
    return { ...(active.length ? { activeWindows: active.map(view) } : {}), ...(assigned.length ? { assignedWindows: assigned.map(view) } : {}), ...(canSync ? { canSync: true } : {}) };
  }

  private async events({ params, query, caller }: ApiRequest): Promise<unknown> {
    const app = this.findApp(caller, params.name!, query, "get");
    const ns = app.metadata.namespace ?? this.ns;
    const resourceName = one(query, "resourceName");
    const resourceNamespace = one(query, "resourceNamespace");
    const resourceUID = one(query, "resourceUID");
    let selector: string;
    if (resourceName || resourceUID) {
      // A managed resource's events: only for resources the app manages.
      const managed = (app.status?.resources ?? []).some((r) => r.name === resourceName && (r.namespace ?? "") === (resourceNamespace ?? ""));
      if (!managed) throw PERMISSION_DENIED();
      selector = [resourceName ? `involvedObject.name=${resourceName}` : "", resourceUID ? `involvedObject.uid=${resourceUID}` : ""].filter(Boolean).join(",");
      return this.deps.client.list("v1", "Event", { ...(resourceNamespace ? { namespace: resourceNamespace } : {}), fieldSelector: selector });
    }
    selector = `involvedObject.kind=Application,involvedObject.name=${app.metadata.name},involvedObject.uid=${app.metadata.uid ?? ""}`;
    return this.deps.client.list("v1", "Event", { namespace: ns, fieldSelector: selector });
  }

  // ---- the watch stream ----

  /** The watch streams' messages, serialised once per event (and fields) for all of them. */
  private readonly watchMessages = new WatchMessages();

  private watch({ query, caller, raw, reply }: ApiRequest): unknown {
    const matches = this.matcher(query);
    const fields = parseFields(query.fields);
    const minVersion = Number(one(query, "resourceVersion") ?? "");
    const name = one(query, "name");
    reply.hijack();
    const stream = openStream(reply.raw, raw.headers.accept);
    stream.open();
    const send = appWatcher({
      visible: (app) => matches(app) && caller.can(RESOURCE, "get", appRbacName(app, this.ns)),
      minVersion: Number.isFinite(minVersion) && minVersion > 0 ? minVersion : 0,
      // The stream's fields name the message's `result`; the message is built without it.
      fields: fields && { exclude: fields.exclude, paths: fields.paths.map((p) => (p[0] === "result" ? p.slice(1) : p)) },
      messages: this.watchMessages,
      stream,
    });
    if (!(Number.isFinite(minVersion) && minVersion > 0) || name !== undefined) {
      for (const app of this.deps.cache.apps.list().sort(byQualifiedName)) send("ADDED", app);
    }
    const unsubscribe = this.deps.cache.subscribeApps({
      add: (app) => send("ADDED", app),
      update: (_old, app) => send("MODIFIED", app),
      delete: (app) => send("DELETED", app),
    });
    stream.signal.addEventListener("abort", unsubscribe, { once: true });
    return undefined;
  }
}

// ---- helpers ----

function byQualifiedName(a: KubeObject, b: KubeObject): number {
  return `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`);
}

function asApplication(body: unknown): Application & KubeObject {
  if (!isRecord(body) || !isRecord(body.metadata) || typeof body.metadata.name !== "string" || !body.metadata.name) {
    throw invalidArgument("the request body must be an Application with metadata.name");
  }
  if (!isRecord(body.spec)) throw invalidArgument("the Application has no spec");
  if (body.kind !== undefined && body.kind !== "Application") throw invalidArgument(`kind must be Application, got ${JSON.stringify(body.kind)}`);
  return structuredClone(body) as unknown as Application & KubeObject;
}

function appRepos(app: Application): string[] {
  return [app.spec?.source?.repoURL, ...(app.spec?.sources ?? []).map((s) => s.repoURL)].filter((u): u is string => typeof u === "string");
}

function sameRepo(a: string, b: string): boolean {
  const norm = (u: string): string => u.trim().toLowerCase().replace(/\.git$/, "").replace(/\/+$/, "");
  return norm(a) === norm(b);
}

/** RFC 7396 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * The revisions the controller last compared (status.sync), so managed-resources shows the diff
 * behind the sync status the user sees (as Argo's, served from the controller's cache), not a
 * render of whatever the branch points to on this server a moment later or earlier.
 */
export function comparedRevisions(app: ApplicationObject): { revision?: string; revisions?: string[] } {
  const sync = app.status?.sync;
  if (app.spec?.sources?.length) {
    const revs = sync?.revisions ?? [];
    return revs.length === app.spec.sources.length && revs.every(Boolean) ? { revisions: revs } : {};
  }
  return sync?.revision ? { revision: sync.revision } : {};
}

/** The metadata.resourceVersion a PATCH document sets (a merge patch's field, a json patch's add or replace), if any. */
export function patchedResourceVersion(patchType: "json" | "merge", patch: unknown): string | undefined {
  if (patchType === "merge") {
    const meta = isRecord(patch) ? patch.metadata : undefined;
    const rv = isRecord(meta) ? meta.resourceVersion : undefined;
    return typeof rv === "string" && rv ? rv : undefined;
  }
  if (!Array.isArray(patch)) return undefined;
  let rv: string | undefined;
  for (const op of patch as Array<Record<string, unknown>>) {
    if (!isRecord(op) || op.path !== "/metadata/resourceVersion") continue;
    if ((op.op === "add" || op.op === "replace") && typeof op.value === "string" && op.value) rv = op.value;
    else if (op.op === "remove") rv = undefined;
  }
  return rv;
}
