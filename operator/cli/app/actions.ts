// `hawser app actions list|run`: a resource's Lua actions, as `argocd app actions`. Through the
// API server (which checks RBAC `action/<group>/<Kind>/<action>`), or with --core straight
// against Kubernetes with the same runner the server uses (operator/appstate/resource-actions.ts),
// where the kubeconfig's own rights decide. As in argocd, --namespace is the resource's namespace
// here; with --core the controller's namespace is --control-namespace (default argocd).
import { stringify } from "yaml";
import { ARGO_API_VERSION } from "../../api/annotations.js";
import { DEFAULT_PROJECT, type Application } from "../../api/index.js";
import {
  actionWriter, listResourceActions, recordActionEvent, runResourceAction, type ActionContext, type ActionTarget, type ResourceAction,
} from "../../appstate/resource-actions.js";
import type { ApplicationObject } from "../../appstate/types.js";
import { IN_CLUSTER_SERVER, kubeConfigForCluster } from "../../cluster/clusters.js";
import type { ProjectPolicySpec } from "../../engine/project.js";
import { parseArgoSettings } from "../../engine/settings.js";
import { FlagError, flagValue, type ParsedFlags } from "../../flags.js";
import { KubeClient, type KubeObject } from "../../kube/client.js";
import { createResourceActions } from "../../lua/load.js";
import { createLogger } from "../../runtime/logger.js";
import { isRecord } from "../../util/index.js";
import type { ApiClient } from "../api/client.js";
import { virtualProject } from "../project.js";
import { appPath } from "./api-backend.js";
import { appLocation } from "./kube-backend.js";
import { destinationCluster } from "./live-diff.js";

export const ACTIONS_USAGE = `  actions list NAME --kind KIND [--group GROUP] [--resource-name N] [--namespace RESOURCE_NS]
               [--version V] [-o json|yaml]
                       the actions the app's resource offers (its Lua discovery)
  actions run NAME ACTION --kind KIND [--group GROUP] [--resource-name N] [--namespace RESOURCE_NS]
              [--version V] [--param NAME=VALUE]...
                       runs the action on the resource (which must be one of the app's or
                       a descendant of one); --namespace is the resource's namespace here,
                       and with --core the controller's is --control-namespace (default argocd);
                       without --group or --namespace the app's resource of that kind and
                       name decides them
`;

/** The flags `app actions` takes beyond the common ones. */
export const ACTIONS_FLAGS = { values: ["kind", "group", "resource-name", "version", "output", "control-namespace"], repeatable: ["param"] };

/** The resource as the flags name it: without --group the app's resources decide the group. */
export type GivenTarget = Omit<ActionTarget, "group"> & { group?: string };

export interface ActionsBackend {
  list(app: string, target: GivenTarget): Promise<ResourceAction[]>;
  /** Runs the action; resolves to the resource it ran on (with its group and namespace filled in). */
  run(app: string, target: GivenTarget, action: string, params: Record<string, string>): Promise<ActionTarget>;
  close(): void;
}

const ridQuery = (t: ActionTarget): Record<string, string | undefined> => ({ namespace: t.namespace, resourceName: t.name, version: t.version, group: t.group, kind: t.kind });

export class ApiActionsBackend implements ActionsBackend {
  constructor(private readonly api: ApiClient) {}

  close(): void { /* the command's client is closed by its owner */ }

  /** Fills in the group, namespace (and version) from the app's resources when the flags leave them out. */
  private async complete(app: string, target: GivenTarget): Promise<ActionTarget> {
    if (target.namespace !== undefined && target.group !== undefined) return { ...target, group: target.group };
    const { path, query } = appPath(app);
    return inferTarget(await this.api.request<Application>("GET", path, { query }), target);
  }

  async list(app: string, given: GivenTarget): Promise<ResourceAction[]> {
    const target = await this.complete(app, given);
    const { path, query } = appPath(app);
    const res = await this.api.request<{ actions?: ResourceAction[] | null }>("GET", `${path}/resource/actions`, { query: { ...query, ...ridQuery(target) } });
    return res.actions ?? [];
  }

  async run(app: string, given: GivenTarget, action: string, params: Record<string, string>): Promise<ActionTarget> {
    const target = await this.complete(app, given);
    const { path, query } = appPath(app);
    const short = app.includes("/") ? app.slice(app.indexOf("/") + 1) : app;
    const body: Record<string, unknown> = {
      name: short, ...ridQuery(target), action,
      ...(Object.keys(params).length > 0 ? { resourceActionParameters: Object.entries(params).map(([name, value]) => ({ name, value })) } : {}),
      ...(query.appNamespace ? { appNamespace: query.appNamespace } : {}),
    };
    await this.api.request("POST", `${path}/resource/actions/v2`, { body });
    return target;
  }
}

export class KubeActionsBackend implements ActionsBackend {
  private readonly remotes: KubeClient[] = [];

  /** `ns` is the controller's namespace: argocd-cm, the projects, cluster Secrets, bare app names. */
  constructor(private readonly client: KubeClient, private readonly ns: string, private readonly username: string) {}

  close(): void {
    for (const r of this.remotes) r.close();
    this.client.close();
  }

  private async context(name: string): Promise<ActionContext> {
    const at = appLocation(this.ns, name);
    const app = await this.client.get<Application>(ARGO_API_VERSION, "Application", at.name, at.namespace);
    if (!app) throw new FlagError(`application ${at.namespace}/${at.name} not found`);
    const cm = await this.client.get("v1", "ConfigMap", "argocd-cm", this.ns);
    const data = cm && isRecord(cm.data) ? Object.fromEntries(Object.entries(cm.data).filter((e): e is [string, string] => typeof e[1] === "string")) : undefined;
    const settings = parseArgoSettings(data);
    const projectName = app.spec.project || DEFAULT_PROJECT;
    const project = await virtualProject<KubeObject & { spec?: ProjectPolicySpec }>(this.client, this.ns, projectName, cm);
    const cluster = await destinationCluster(this.client, this.ns, app);
    let client = this.client;
    if (cluster.server !== IN_CLUSTER_SERVER || Object.keys(cluster.config ?? {}).length > 0) {
      client = new KubeClient(kubeConfigForCluster(cluster));
      this.remotes.push(client);
    }
    const pipelineApp = app as unknown as ApplicationObject;
    const writer = actionWriter(client, pipelineApp, project?.spec, settings, cluster.server, this.ns);
    return {
      app: pipelineApp, project: project?.spec, projectName, client, writer,
      cluster: { server: cluster.server, name: cluster.name }, actions: createResourceActions({ resourceOverrides: settings.resourceOverrides }),
    };
  }

  async list(app: string, target: GivenTarget): Promise<ResourceAction[]> {
    const ctx = await this.context(app);
    return listResourceActions(ctx, inferTarget(ctx.app as unknown as Application, target));
  }

  async run(app: string, given: GivenTarget, action: string, params: Record<string, string>): Promise<ActionTarget> {
    const ctx = await this.context(app);
    const target = inferTarget(ctx.app as unknown as Application, given);
    await runResourceAction(ctx, target, action, params);
    await recordActionEvent(this.client, ctx.app, this.username, action, target, createLogger({ level: "warn" }), "hawser-cli");
    return target;
  }
}

/**
 * What --group or --namespace leave out, the one resource of the app with that kind and name (and
 * the group or namespace given) decides, as argocd filters the app's resources: `actions run APP
 * restart --kind Deployment --resource-name web` means the app's apps/Deployment. Several matches
 * are an error naming the choices. A resource that is not the app's (a descendant, or none) is
 * passed on as given, in the core group without --group, for the server or runner to judge.
 */
export function inferTarget(app: Application, given: GivenTarget): ActionTarget {
  const target: ActionTarget = { ...given, group: given.group ?? "" };
  if (given.namespace !== undefined && given.group !== undefined) return target;
  const hits = (app.status?.resources ?? []).filter((r) => r.kind === given.kind && r.name === given.name
    && (given.group === undefined || (r.group ?? "") === given.group)
    && (given.namespace === undefined || (r.namespace ?? "") === given.namespace));
  const groups = [...new Set(hits.map((h) => h.group ?? ""))];
  if (groups.length > 1) throw new FlagError(`${given.kind} ${given.name} of application ${app.metadata.name ?? ""} exists in several API groups (${groups.map((g) => g || "core").join(", ")}); give --group`);
  if (hits.length > 1) throw new FlagError(`${given.kind} ${given.name} exists in several namespaces of application ${app.metadata.name ?? ""} (${hits.map((h) => h.namespace ?? "").join(", ")}); give --namespace`);
  const hit = hits[0];
  if (!hit) return target;
  const version = given.version ?? hit.version;
  return { ...target, group: hit.group ?? "", ...(given.namespace === undefined && hit.namespace ? { namespace: hit.namespace } : {}), ...(version ? { version } : {}) };
}

function targetFrom(flags: ParsedFlags): GivenTarget {
  const kind = flagValue(flags, "kind");
  if (!kind) throw new FlagError("--kind is required (the resource's Kind, e.g. Deployment)");
  const name = flagValue(flags, "resource-name");
  if (!name) throw new FlagError("--resource-name is required");
  const namespace = flagValue(flags, "namespace");
  const version = flagValue(flags, "version");
  const group = flagValue(flags, "group");
  return { kind, ...(group !== undefined ? { group } : {}), name, ...(namespace ? { namespace } : {}), ...(version ? { version } : {}) };
}

function paramsFrom(flags: ParsedFlags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of flags.values.get("param") ?? []) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new FlagError(`--param wants NAME=VALUE, got "${p}"`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/** The table `argocd app actions list` prints. */
export function actionsTable(actions: ResourceAction[]): string {
  const rows = [["NAME", "DISABLED"], ...actions.map((a) => [a.name, a.disabled ? "true" : "false"])];
  const width = Math.max(...rows.map((r) => r[0]!.length)) + 2;
  return rows.map((r) => r[0]!.padEnd(width) + r[1]).join("\n") + "\n";
}

/** `app actions list|run`; positional: [list|run, NAME, ACTION?]. */
export async function runActionsCommand(backend: ActionsBackend, flags: ParsedFlags, print: (s: string) => void): Promise<number> {
  const [verb, app, action, ...extra] = flags.positional;
  if (verb === "list") {
    if (!app || action !== undefined) throw new FlagError("actions list wants exactly one application name");
    const output = flagValue(flags, "output");
    if (output !== undefined && output !== "json" && output !== "yaml") throw new FlagError(`-o must be json or yaml; got "${output}"`);
    const actions = await backend.list(app, targetFrom(flags));
    if (output === "json") print(JSON.stringify(actions, null, 2) + "\n");
    else if (output === "yaml") print(stringify(actions));
    else print(actionsTable(actions));
    return 0;
  }
  if (verb === "run") {
    if (!app || !action || extra.length > 0) throw new FlagError("actions run wants an application name and an action");
    const target = await backend.run(app, targetFrom(flags), action, paramsFrom(flags));
    print(`action ${action} ran on ${target.group ? `${target.group}/` : ""}${target.kind} ${target.namespace ? `${target.namespace}/` : ""}${target.name}\n`);
    return 0;
  }
  throw new FlagError(`actions wants list or run, got ${verb === undefined ? "nothing" : `"${verb}"`}`);
}
