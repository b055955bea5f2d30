// Argo CD's Project service over REST (argo-cd-server.md §1.4 "Project", §3.6): list, get,
// detailed, create, update, delete, sync windows, events and global projects. Role tokens are
// routed here too but made by the auth module (project role tokens live in the project).
import { ARGO_API_VERSION } from "../../api/annotations.js";
import { DEFAULT_PROJECT, type AppProject } from "../../api/index.js";
import { windowStates } from "../../engine/syncwindows.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { deepEqual, isRecord } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ServerCache } from "../cache.js";
import { writeRetryingConflicts } from "../conflict-retry.js";
import type { ApiRequest, ApiRouter } from "../http/api.js";
import { checkBody } from "../http/body.js";
import { failedPrecondition, invalidArgument, notFound } from "../http/errors.js";
import { parseFields, pruneFields } from "../http/fields.js";

type ProjectObject = AppProject & KubeObject;

export interface ProjectTokenHandlers {
  create(req: ApiRequest): Promise<unknown>;
  delete(req: ApiRequest): Promise<unknown>;
}

export interface ProjectServiceDeps {
  cache: ServerCache;
  client: KubeClient;
  now?: () => Date;
  /** Global projects come from the controller's settings (argocd-cm globalProjects). */
  reader?: Pick<AppStateReader, "globalProjectsOf">;
  /** Role token routes (POST/DELETE .../roles/{role}/token), from the auth module. */
  tokens?: ProjectTokenHandlers;
}

const RESOURCE = "projects";

function projectNotFound(name: string): Error {
  return notFound(`appprojects.argoproj.io "${name}" not found`);
}

function withTypeMeta(p: ProjectObject): ProjectObject {
  return { ...p, apiVersion: ARGO_API_VERSION, kind: "AppProject" };
}

export class ProjectService {
  constructor(private readonly deps: ProjectServiceDeps) {}

  private get ns(): string { return this.deps.cache.namespace; }

  register(r: ApiRouter): void {
    r.get("/api/v1/projects", (req) => this.list(req));
    r.post("/api/v1/projects", (req) => this.create(req));
    r.get("/api/v1/projects/:name", (req) => withTypeMeta(this.find(req, req.params.name!)));
    r.get("/api/v1/projects/:name/detailed", (req) => this.detailed(req));
    r.get("/api/v1/projects/:name/globalprojects", (req) => ({ items: this.globalProjects(this.find(req, req.params.name!)).map(withTypeMeta) }));
    r.get("/api/v1/projects/:name/syncwindows", (req) => this.syncWindows(req));
    r.get("/api/v1/projects/:name/events", (req) => this.events(req));
    r.put("/api/v1/projects/:name", (req) => this.update(req));
    r.delete("/api/v1/projects/:name", (req) => this.delete(req));
    const tokens = this.deps.tokens;
    if (tokens) {
      r.post("/api/v1/projects/:project/roles/:role/token", (req) => tokens.create(req));
      r.delete("/api/v1/projects/:project/roles/:role/token/:iat", (req) => tokens.delete(req));
    }
  }

  private find({ caller }: ApiRequest, name: string): ProjectObject {
    caller.require(RESOURCE, "get", name);
    const p = this.deps.cache.project(name);
    if (!p) throw projectNotFound(name);
    return p;
  }

  private list({ caller, query }: ApiRequest): unknown {
    const items = (this.deps.cache.projects() as ProjectObject[])
      .filter((p) => caller.can(RESOURCE, "get", p.metadata.name ?? ""))
      .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""))
      .map(withTypeMeta);
    const list = { metadata: { resourceVersion: this.deps.cache.projectsInformer.lastResourceVersion }, items };
    const fields = parseFields(query.fields);
    return fields ? pruneFields(list, fields, [["metadata", "resourceVersion"]]) : list;
  }

  private async create({ caller, body }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, { project: "any", upsert: "scalar" }, "project create");
    const project = asProject(req.project);
    const name = project.metadata.name!;
    caller.require(RESOURCE, "create", name);
    project.metadata.namespace = this.ns;
    const existing = await this.deps.client.get<ProjectObject>(ARGO_API_VERSION, "AppProject", name, this.ns);
    if (existing) {
      if (deepEqual(existing.spec, project.spec)) return withTypeMeta(existing);
      if (req.upsert !== true) throw invalidArgument("existing project spec is different, use upsert flag to force update");
      caller.require(RESOURCE, "update", name);
      return withTypeMeta(await this.deps.cache.afterWrite(await this.deps.client.replace({ ...existing, spec: project.spec }, { fieldValidation: "Strict" })));
    }
    return withTypeMeta(await this.deps.cache.afterWrite(await this.deps.client.create({ ...project, apiVersion: ARGO_API_VERSION, kind: "AppProject" }, { fieldValidation: "Strict" })));
  }

  private async update({ caller, params, body }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, { project: "any" }, "project update");
    const project = asProject(req.project);
    if (project.metadata.name !== params.name) throw invalidArgument(`project.metadata.name "${project.metadata.name}" does not match the path's "${params.name}"`);
    caller.require(RESOURCE, "update", params.name!);
    const stored = this.deps.cache.project(params.name!);
    if (!stored) throw projectNotFound(params.name!);
    // Widening a project's reach needs rights over what it reaches (§3.6).
    const dests = (p: AppProject): string[] => (p.spec?.destinations ?? []).map((d) => d.server ?? d.name ?? "");
    for (const d of dests(project)) if (!dests(stored).includes(d)) caller.require("clusters", "update", d);
    for (const repo of project.spec?.sourceRepos ?? []) if (!(stored.spec?.sourceRepos ?? []).includes(repo)) caller.require("repositories", "update", repo);
    const lists = (p: AppProject): unknown => [p.spec?.clusterResourceWhitelist, p.spec?.clusterResourceBlacklist, p.spec?.namespaceResourceWhitelist, p.spec?.namespaceResourceBlacklist];
    if (!deepEqual(lists(project), lists(stored))) for (const d of dests(project)) caller.require("clusters", "update", d);
    // The caller's resourceVersion is a precondition (Argo writes the project it is sent); without
    // one, a conflict with a cache behind the apiserver is retried on the re-read project.
    const clientVersion = project.metadata.resourceVersion || undefined;
    const written = await writeRetryingConflicts({
      current: stored,
      clientVersion,
      what: `AppProject ${params.name!}`,
      gone: () => projectNotFound(params.name!),
      reread: () => this.deps.client.get<ProjectObject>(ARGO_API_VERSION, "AppProject", params.name!, this.ns),
      write: (cur) => this.deps.client.replace<ProjectObject>({ ...cur, spec: project.spec, metadata: { ...cur.metadata, labels: project.metadata.labels, annotations: project.metadata.annotations, resourceVersion: clientVersion ?? cur.metadata.resourceVersion } }, { fieldValidation: "Strict" }),
    });
    return withTypeMeta(await this.deps.cache.afterWrite(written));
  }

  private async delete({ caller, params }: ApiRequest): Promise<unknown> {
    const name = params.name!;
    caller.require(RESOURCE, "delete", name);
    if (name === DEFAULT_PROJECT) throw invalidArgument("name 'default' is reserved and cannot be deleted");
    const users = this.deps.cache.apps.list().filter((a) => (a.spec?.project || DEFAULT_PROJECT) === name);
    if (users.length > 0) throw failedPrecondition(`project is referenced by ${users.length} applications`);
    const ref = { apiVersion: ARGO_API_VERSION, kind: "AppProject", name, namespace: this.ns };
    if (!(await this.deps.client.delete(ref))) throw projectNotFound(name);
    await this.deps.cache.afterDelete(ref);
    return {};
  }

  private detailed(req: ApiRequest): unknown {
    const project = this.find(req, req.params.name!);
    return { project: withTypeMeta(project), globalProjects: this.globalProjects(project).map(withTypeMeta) };
  }

  /** The global projects (argocd-cm globalProjects) lending their fields to this one, as the controller merges them. */
  private globalProjects(project: AppProject): ProjectObject[] {
    return (this.deps.reader?.globalProjectsOf(project) ?? []);
  }

  private syncWindows(req: ApiRequest): unknown {
    const project = this.find(req, req.params.name!);
    const active = windowStates(project.spec?.syncWindows, this.deps.now?.() ?? new Date()).filter((s) => s.active).map((s) => s.window);
    return active.length ? { windows: active } : {};
  }

  private async events(req: ApiRequest): Promise<unknown> {
    const project = this.find(req, req.params.name!);
    return this.deps.client.list("v1", "Event", { namespace: this.ns, fieldSelector: `involvedObject.kind=AppProject,involvedObject.name=${project.metadata.name},involvedObject.uid=${project.metadata.uid ?? ""}` });
  }
}

function asProject(v: unknown): ProjectObject {
  if (!isRecord(v) || !isRecord(v.metadata) || typeof v.metadata.name !== "string" || !v.metadata.name) throw invalidArgument("project: an AppProject with metadata.name is required");
  if (v.kind !== undefined && v.kind !== "AppProject") throw invalidArgument(`project.kind must be AppProject, got ${JSON.stringify(v.kind)}`);
  return structuredClone(v) as unknown as ProjectObject;
}
