// Resource actions of the Application service (argo-cd-server.md §1.3, §3.6): list the Lua
// actions a resource of an app offers, and run one (the deprecated v1 route with the action name
// as the body, and v2 with parameters). Listing needs `applications, get`; running needs
// `applications, action/<group>/<Kind>/<action>` on the app, checked before the resource is even
// looked up, so a denied caller changes nothing and learns nothing. The resource must belong to
// the app (managed, or a descendant of a managed one); the work is operator/appstate's, shared
// with `hawser app actions --core`.
import { DEFAULT_PROJECT } from "../../api/index.js";
import {
  actionWriter, ActionConflictError, ActionNotPermittedError, listResourceActions, NotInApplicationError, recordActionEvent, ResourceActionError,
  runResourceAction, type ActionContext, type ActionTarget,
} from "../../appstate/resource-actions.js";
import { isNamespaceEnabled } from "../../engine/namespaces.js";
import type { ArgoSettings } from "../../engine/settings.js";
import type { KubeClient } from "../../kube/client.js";
import type { LuaResourceActions } from "../../lua/actions.js";
import { createResourceActions } from "../../lua/load.js";
import type { Logger } from "../../runtime/logger.js";
import type { AppStateReader } from "../app-state.js";
import type { ApplicationObject as PipelineApp } from "../../appstate/types.js";
import type { ApplicationObject, ServerCache } from "../cache.js";
import { queryValue, type ApiRequest, type ApiRouter, type Caller, type Query } from "../http/api.js";
import { checkBody, type Shape } from "../http/body.js";
import { ApiError, Code, invalidArgument, notFound } from "../http/errors.js";
import { appRbacName } from "./applications.js";
import { resourceQuery } from "./app-resources.js";

export interface ApplicationActionServiceDeps {
  cache: ServerCache;
  /** The control plane (Events on the Application). */
  client: KubeClient;
  reader: AppStateReader;
  log: Logger;
}

const RESOURCE = "applications";

const RUN_V2_REQUEST: Shape = {
  name: "scalar", namespace: "scalar", resourceName: "scalar", version: "scalar", group: "scalar", kind: "scalar",
  action: "scalar", resourceActionParameters: [{ name: "scalar", value: "scalar" }], appNamespace: "scalar", project: "scalar",
};

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
/** A scalar field of the body (checkBody admits strings, numbers and booleans) as text. */
const text = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : "");

export class ApplicationActionService {
  /** One runner per parsed argocd-cm (the reader re-parses it when it changes). */
  private readonly runners = new WeakMap<ArgoSettings, LuaResourceActions>();

  constructor(private readonly deps: ApplicationActionServiceDeps) {}

  private get ns(): string { return this.deps.cache.namespace; }

  register(r: ApiRouter): void {
    r.get("/api/v1/applications/:name/resource/actions", (req) => this.list(req));
    r.post("/api/v1/applications/:name/resource/actions", (req) => this.runV1(req));
    r.post("/api/v1/applications/:name/resource/actions/v2", (req) => this.runV2(req));
  }

  /**
   * The stored app the caller may `action` on, with Argo's existence hiding (§1.1): without
   * `project` a missing app and a forbidden one are both 403; with it, a forbidden claimed
   * project is 403 and a missing app or one in another project is 404.
   */
  private findApp(caller: Caller, name: string, appNamespace: string | undefined, project: string | undefined, action: string): ApplicationObject {
    const denied = new ApiError(Code.PermissionDenied, "permission denied");
    const ns = appNamespace ?? this.ns;
    if (!isNamespaceEnabled(ns, this.ns, this.deps.cache.applicationNamespaces)) throw denied;
    const app = this.deps.cache.app(ns, name);
    if (project !== undefined) {
      const claimed = ns === this.ns ? `${project}/${name}` : `${project}/${ns}/${name}`;
      if (!caller.can(RESOURCE, action, claimed)) throw denied;
      if (!app || (app.spec?.project || DEFAULT_PROJECT) !== project || !caller.can(RESOURCE, action, appRbacName(app, this.ns))) {
        throw notFound(`applications.argoproj.io "${name}" not found`);
      }
      return app;
    }
    if (!app || !caller.can(RESOURCE, action, appRbacName(app, this.ns))) throw denied;
    return app;
  }

  private context(stored: ApplicationObject): ActionContext {
    const { reader } = this.deps;
    const app = stored as unknown as PipelineApp;
    const argo = reader.settings().argo;
    let actions = this.runners.get(argo);
    if (!actions) this.runners.set(argo, (actions = createResourceActions({ resourceOverrides: argo.resourceOverrides })));
    const projectName = app.spec.project || DEFAULT_PROJECT;
    const project = reader.effectiveProject(projectName)?.spec;
    const { cluster, client } = reader.destination(stored);
    const writer = actionWriter(client, app, project, argo, cluster.server, this.ns);
    return { app, project, projectName, client, writer, cluster: { server: cluster.server, name: cluster.name }, actions };
  }

  private async list({ params, query, caller }: ApiRequest): Promise<unknown> {
    const app = this.findApp(caller, params.name!, queryValue(query, "appNamespace"), queryValue(query, "project"), "get");
    const actions = await translated(() => listResourceActions(this.context(app), resourceQuery(query)));
    return actions.length > 0 ? { actions } : {};
  }

  /** v1: the resource in the query, the action name as the JSON string body. */
  private async runV1({ params, query, body, caller }: ApiRequest): Promise<unknown> {
    if (typeof body !== "string" || !body) throw invalidArgument("the body must be the action name as a JSON string");
    const target = resourceQuery(query);
    return this.run(caller, params.name!, queryValue(query, "appNamespace"), queryValue(query, "project"), target, body, {});
  }

  private async runV2({ params, body, caller }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, RUN_V2_REQUEST, "resource action");
    if (req.name !== undefined && req.name !== "" && req.name !== params.name) throw invalidArgument(`name "${text(req.name)}" does not match the path's "${params.name}"`);
    const action = str(req.action);
    if (!action) throw invalidArgument("action is required");
    const q: Query = {};
    for (const k of ["namespace", "resourceName", "version", "group", "kind"]) {
      const v = req[k];
      if (v !== undefined && v !== null) q[k] = text(v);
    }
    const target = resourceQuery(q);
    const parameters: Record<string, string> = {};
    for (const p of (req.resourceActionParameters as Array<{ name?: unknown; value?: unknown }> | undefined) ?? []) {
      const name = str(p.name);
      if (!name) throw invalidArgument("every resourceActionParameters entry needs a name");
      parameters[name] = text(p.value);
    }
    return this.run(caller, params.name!, str(req.appNamespace), str(req.project), target, action, parameters);
  }

  private async run(caller: Caller, name: string, appNamespace: string | undefined, project: string | undefined, target: ActionTarget, action: string, parameters: Record<string, string>): Promise<unknown> {
    // An empty group is an empty segment: action//Pod/restart.
    const app = this.findApp(caller, name, appNamespace, project, `action/${target.group}/${target.kind}/${action}`);
    const outcome = await translated(() => runResourceAction(this.context(app), target, action, parameters));
    this.deps.log.info("resource action ran", { application: name, action, resource: `${target.group}/${target.kind}/${target.namespace ?? ""}/${target.name}`, user: caller.username, changes: outcome.changes, attempts: outcome.attempts });
    await recordActionEvent(this.deps.client, app as unknown as PipelineApp, caller.username, action, target, this.deps.log);
    return {};
  }
}

/** The runner's refusals in the API's codes: not the app's or a bad action 400, a project refusal 403. */
async function translated<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof NotInApplicationError || err instanceof ResourceActionError) throw invalidArgument(err.message);
    if (err instanceof ActionNotPermittedError) throw new ApiError(Code.PermissionDenied, err.message);
    // A conflict the retries could not get past: 409 Aborted, as for other concurrent writes.
    if (err instanceof ActionConflictError) throw new ApiError(Code.Aborted, err.message);
    throw err;
  }
}
