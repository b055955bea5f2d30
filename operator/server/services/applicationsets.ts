// Argo CD's ApplicationSet service over REST (argo-cd-server.md §1.4, §3.6): list, get, create
// (upsert, dryRun), delete, and generate (the Applications a set would make, nothing written).
// RBAC objects are `<template project>/<name>` (or `<project>/<ns>/<name>` outside the control
// namespace); a create needs the template's project to exist, as in Argo. Generation runs the
// controller's own generator code.
import type { GeneratorRegistry } from "../../../generators/index.js";
import { ARGO_API_VERSION } from "../../api/annotations.js";
import { DEFAULT_PROJECT } from "../../api/index.js";
import { generateApplications } from "../../appset/generate.js";
import { goTemplateEngine } from "../../appset/gotemplate-wasm.js";
import { clusterLookups } from "../../appset/lookups.js";
import { isNamespaceEnabled } from "../../engine/namespaces.js";
import type { RepoReader } from "../../git/types.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import type { Logger } from "../../runtime/logger.js";
import { deepEqual, isRecord } from "../../util/index.js";
import type { ServerCache } from "../cache.js";
import { writeRetryingConflicts } from "../conflict-retry.js";
import { queryValue, type ApiRequest, type ApiRouter, type Caller, type Query } from "../http/api.js";
import { checkBody } from "../http/body.js";
import { invalidArgument, notFound } from "../http/errors.js";

export interface ApplicationSetServiceDeps {
  cache: ServerCache;
  client: KubeClient;
  generators: GeneratorRegistry;
  /** Git access for the git generator (the server's repository cache). */
  repos?: RepoReader;
  /** A project's git access (its scoped repository Secrets, then unscoped): see gitCredentialsProject. */
  reposForProject?: (project: string) => RepoReader;
  namespaces: string[];
  log: Logger;
}

const RESOURCE = "applicationsets";
export type AppSetObject = KubeObject & { spec?: { template?: { spec?: { project?: string } } } & Record<string, unknown> };


export class ApplicationSetService {
  constructor(private readonly deps: ApplicationSetServiceDeps) {}

  private get ns(): string { return this.deps.cache.namespace; }

  register(r: ApiRouter): void {
    r.get("/api/v1/applicationsets", (req) => this.list(req));
    r.post("/api/v1/applicationsets", (req) => this.create(req));
    r.post("/api/v1/applicationsets/generate", (req) => this.generate(req));
    r.get("/api/v1/applicationsets/:name", (req) => this.get(req));
    r.delete("/api/v1/applicationsets/:name", (req) => this.delete(req));
  }

  rbacName(set: AppSetObject): string {
    const project = set.spec?.template?.spec?.project || DEFAULT_PROJECT;
    const ns = set.metadata.namespace ?? this.ns;
    return ns === this.ns ? `${project}/${set.metadata.name}` : `${project}/${ns}/${set.metadata.name}`;
  }

  find(caller: Caller, name: string, q: Query, action: string): AppSetObject {
    const ns = queryValue(q, "appsetNamespace") ?? this.ns;
    const set = this.deps.cache.appSets.get(`${ns}/${name}`);
    // Existence is not revealed to a caller who may not see the set.
    if (!set || !caller.can(RESOURCE, action, this.rbacName(set))) {
      if (set) caller.require(RESOURCE, action, this.rbacName(set));
      throw notFound(`applicationsets.argoproj.io "${name}" not found`);
    }
    return set;
  }

  private list({ caller, query }: ApiRequest): unknown {
    const projects = [query.projects, query.project].flat().filter((p): p is string => typeof p === "string" && p !== "");
    const ns = queryValue(query, "appsetNamespace");
    const items = (this.deps.cache.appSets.list() as AppSetObject[])
      .filter((s) => (ns === undefined || (s.metadata.namespace ?? this.ns) === ns)
        && (projects.length === 0 || projects.includes(s.spec?.template?.spec?.project || DEFAULT_PROJECT))
        && caller.can(RESOURCE, "get", this.rbacName(s)))
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
      .map((s) => ({ ...s, apiVersion: ARGO_API_VERSION, kind: "ApplicationSet" }));
    return { metadata: { resourceVersion: this.deps.cache.appSets.lastResourceVersion }, items };
  }

  private get({ caller, params, query }: ApiRequest): unknown {
    return { ...this.find(caller, params.name!, query, "get"), apiVersion: ARGO_API_VERSION, kind: "ApplicationSet" };
  }

  private asAppSet(body: unknown): AppSetObject {
    if (!isRecord(body) || !isRecord(body.metadata) || typeof body.metadata.name !== "string" || !body.metadata.name || !isRecord(body.spec)) {
      throw invalidArgument("the request body must be an ApplicationSet with metadata.name and spec");
    }
    const set = structuredClone(body) as unknown as AppSetObject;
    set.metadata.namespace ||= this.ns;
    if (!isNamespaceEnabled(set.metadata.namespace, this.ns, this.deps.namespaces)) throw invalidArgument(`namespace '${set.metadata.namespace}' is not permitted`);
    const project = set.spec?.template?.spec?.project;
    if (project && !project.includes("{{") && !this.deps.cache.project(project)) throw invalidArgument(`ApplicationSet template project '${project}' does not exist`);
    return set;
  }

  private async create({ caller, query, body }: ApiRequest): Promise<unknown> {
    const set = this.asAppSet(body);
    caller.require(RESOURCE, "create", this.rbacName(set));
    const upsert = queryValue(query, "upsert") === "true";
    if (queryValue(query, "dryRun") === "true") {
      const result = await this.run(set);
      return { ...set, apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", status: { resources: result.map((a) => ({ group: "argoproj.io", version: "v1alpha1", kind: "Application", name: a.metadata.name, namespace: a.metadata.namespace })) } };
    }
    const existing = await this.deps.client.get<AppSetObject>(ARGO_API_VERSION, "ApplicationSet", set.metadata.name!, set.metadata.namespace);
    if (existing) {
      if (deepEqual(existing.spec, set.spec)) return existing;
      if (!upsert) throw invalidArgument("existing ApplicationSet spec is different, use upsert flag to force update");
      caller.require(RESOURCE, "update", this.rbacName(existing));
      if (this.rbacName(existing) !== this.rbacName(set)) caller.require(RESOURCE, "update", this.rbacName(existing));
      // A conflict (the controller wrote the set's status meanwhile) re-reads it and writes again.
      return this.deps.cache.afterWrite(await writeRetryingConflicts({
        current: existing,
        what: `ApplicationSet ${set.metadata.name!}`,
        gone: () => notFound(`applicationsets.argoproj.io "${set.metadata.name!}" not found`),
        reread: () => this.deps.client.get<AppSetObject>(ARGO_API_VERSION, "ApplicationSet", set.metadata.name!, set.metadata.namespace),
        write: (cur) => this.deps.client.replace({ ...cur, spec: set.spec, metadata: { ...cur.metadata, labels: set.metadata.labels, annotations: set.metadata.annotations } }, { fieldValidation: "Strict" }),
      }));
    }
    return this.deps.cache.afterWrite(await this.deps.client.create({ ...set, apiVersion: ARGO_API_VERSION, kind: "ApplicationSet" }, { fieldValidation: "Strict" }));
  }

  private async delete({ caller, params, query }: ApiRequest): Promise<unknown> {
    const set = this.find(caller, params.name!, query, "get");
    caller.require(RESOURCE, "delete", this.rbacName(set));
    const ref = { apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", name: set.metadata.name!, namespace: set.metadata.namespace ?? this.ns };
    await this.deps.client.delete(ref);
    await this.deps.cache.afterDelete(ref);
    return {};
  }

  private async generate({ caller, body }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, { applicationSet: "any" }, "generate");
    const set = this.asAppSet(req.applicationSet);
    caller.require(RESOURCE, "create", this.rbacName(set));
    const apps = await this.run(set);
    return { applications: apps.map((a) => ({ apiVersion: ARGO_API_VERSION, kind: "Application", ...a })) };
  }

  private async run(set: AppSetObject): Promise<Array<{ metadata: { name: string; namespace?: string } } & Record<string, unknown>>> {
    const result = await generateApplications({ metadata: { name: set.metadata.name ?? "", namespace: set.metadata.namespace ?? this.ns }, spec: set.spec ?? {} }, {
      ...clusterLookups(this.deps.client, this.ns),
      registry: this.deps.generators,
      loadEngine: goTemplateEngine,
      log: this.deps.log,
      ...(this.deps.repos ? { repos: this.deps.repos } : {}),
      ...(this.deps.reposForProject ? { reposForProject: this.deps.reposForProject } : {}),
    });
    if (result.errors.length > 0) throw invalidArgument(result.errors.map((e) => `${e.reason}: ${e.message}`).join("; "));
    return result.applications as unknown as Array<{ metadata: { name: string; namespace?: string } } & Record<string, unknown>>;
  }
}
