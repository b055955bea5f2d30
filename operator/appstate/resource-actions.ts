// Resource actions against a cluster, for the API server and `hawser app actions --core` alike:
// find the resource (one the app manages, or a descendant of one through ownerReferences, as
// Argo's resource tree allows), run its Lua discovery or action (operator/lua/actions.ts), check
// every object the action touches against the app's project, and write: creations dry-run first
// (so a bad one fails before anything changes), then merge patches of what the script changed,
// `status` through the status subresource when the kind has one. Writes go through the caller's
// writer (the project's destination service account under sync impersonation); reads use the
// reader's own identity.
import { ARGO_API_VERSION } from "../api/annotations.js";
import type { ResourceStatus } from "../api/index.js";
import { isDestinationPermitted, isResourcePermitted, type ProjectPolicySpec } from "../engine/project.js";
import type { ArgoSettings } from "../engine/settings.js";
import { KubeApiError, type KubeClient, type KubeObject } from "../kube/client.js";
import { mergePatchBetween, ResourceActionError, sameObject, type ImpactedResource, type LuaResourceActions, type ResourceAction } from "../lua/actions.js";
import { EventRecorder } from "../runtime/events.js";
import type { Logger } from "../runtime/logger.js";
import { isRecord, splitApiVersion } from "../util/index.js";
import { syncImpersonation } from "./pipeline.js";
import type { ApplicationObject } from "./types.js";

export { ResourceActionError, type ResourceAction } from "../lua/actions.js";

/** A resource named by the API's RID (namespace, resourceName, version, group, kind). */
export interface ActionTarget {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
  version?: string;
}

/** The resource is neither managed by the app nor a descendant of a resource it manages. */
export class NotInApplicationError extends Error {
  override name = "NotInApplicationError";
}

/** The acted-on object kept changing between the read and the write; nothing was written. */
export class ActionConflictError extends Error {
  override name = "ActionConflictError";
}

/** An object the action would touch that the app's project does not permit. */
export class ActionNotPermittedError extends Error {
  override name = "ActionNotPermittedError";
}

export interface ActionContext {
  app: ApplicationObject;
  /** The app's project, with its global projects' lists (the controller's view). */
  project: ProjectPolicySpec | undefined;
  projectName: string;
  /** Reads the destination (the server's or CLI user's identity). */
  client: KubeClient;
  /** Writes to the destination: `client`, or `client.asUser(sa)` under sync impersonation. */
  writer: KubeClient;
  cluster: { server: string; name: string };
  actions: LuaResourceActions;
}

/** Owner chains are short (Pod → ReplicaSet → Deployment); bound the walk anyway. */
const MAX_OWNER_HOPS = 6;

const refText = (t: { group?: string; kind: string; namespace?: string; name: string }): string =>
  `${t.group ? `${t.group}/` : ""}${t.kind} ${t.namespace ? `${t.namespace}/` : ""}${t.name}`;

function managedEntry(app: ApplicationObject, t: { group: string; kind: string; namespace?: string; name: string }): ResourceStatus | undefined {
  const resources = (app.status as { resources?: ResourceStatus[] } | undefined)?.resources ?? [];
  return resources.find((r) => !r.hook && r.name === t.name && r.kind === t.kind && (r.group ?? "") === t.group && (r.namespace ?? "") === (t.namespace ?? ""));
}

/** The group's preferred version, as discovery states it (core: v1). */
async function preferredVersion(client: KubeClient, group: string): Promise<string> {
  if (!group) return "v1";
  const g = await client.request<{ preferredVersion?: { version?: string } }>("GET", `/apis/${group}`).catch((err: unknown) => {
    if (err instanceof KubeApiError && err.isNotFound) return undefined;
    throw err;
  });
  const v = g?.preferredVersion?.version;
  if (!v) throw new NotInApplicationError(`the server does not serve the API group ${group}`);
  return v;
}

/**
 * The live object of the target, refused unless the app manages it or it descends (by
 * ownerReferences with matching uids) from an object the app manages.
 */
export async function resolveActionResource(ctx: Pick<ActionContext, "app" | "client">, target: ActionTarget): Promise<KubeObject> {
  const appName = ctx.app.metadata.name ?? "";
  const notPart = (): NotInApplicationError => new NotInApplicationError(`${refText(target)} not found as part of application ${appName}`);
  const managed = managedEntry(ctx.app, target);
  const version = target.version ?? managed?.version ?? (await preferredVersion(ctx.client, target.group));
  const apiVersion = target.group ? `${target.group}/${version}` : version;
  const live = await ctx.client.get(apiVersion, target.kind, target.name, target.namespace).catch((err: unknown) => {
    // A kind the server does not know is no part of any app.
    if (err instanceof Error && err.name === "UnknownKindError") return undefined;
    throw err;
  });
  if (!live) throw notPart();
  const obj: KubeObject = { ...live, apiVersion, kind: target.kind };
  if (managed) return obj;
  let frontier: KubeObject[] = [obj];
  for (let hop = 0; hop < MAX_OWNER_HOPS && frontier.length > 0; hop++) {
    const next: KubeObject[] = [];
    for (const child of frontier) {
      for (const ref of child.metadata.ownerReferences ?? []) {
        const { group } = splitApiVersion(ref.apiVersion);
        const info = await ctx.client.resourceInfo(ref.apiVersion, ref.kind).catch(() => undefined);
        if (!info) continue;
        const ns = info.namespaced ? child.metadata.namespace : undefined;
        const owner = await ctx.client.get(ref.apiVersion, ref.kind, ref.name, ns);
        // The uid check keeps a namesake created after the child from adopting it.
        if (!owner || owner.metadata.uid !== ref.uid) continue;
        if (managedEntry(ctx.app, { group, kind: ref.kind, name: ref.name, ...(ns ? { namespace: ns } : {}) })) return obj;
        next.push({ ...owner, apiVersion: ref.apiVersion, kind: ref.kind });
      }
    }
    frontier = next;
  }
  throw notPart();
}

/** The actions the resource offers (Argo's ListResourceActions). */
export async function listResourceActions(ctx: ActionContext, target: ActionTarget): Promise<ResourceAction[]> {
  const live = await resolveActionResource(ctx, target);
  return ctx.actions.discover(live);
}

export interface ActionOutcome {
  /** The acted-on resource as it was read. */
  resource: KubeObject;
  /** What was written, e.g. "patched apps/Deployment shop/web", "created batch/Job ops/x". */
  changes: string[];
  /** How many times the action ran: more than 1 when another writer changed the object between a read and the write. */
  attempts: number;
}

/** The object the app's project must permit for the action to touch it. */
async function checkPermitted(ctx: ActionContext, obj: KubeObject, action: string): Promise<void> {
  const { group } = splitApiVersion(obj.apiVersion);
  const info = await ctx.client.resourceInfo(obj.apiVersion, obj.kind);
  const what = `action "${action}": ${refText({ group, kind: obj.kind, name: obj.metadata.name ?? "", ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) })}`;
  // Fail closed: without its project the app may touch nothing.
  if (!ctx.project) throw new ActionNotPermittedError(`${what}: project ${ctx.projectName} not found`);
  if (!isResourcePermitted(ctx.project, { group, kind: obj.kind, name: obj.metadata.name ?? "" }, info.namespaced)) {
    throw new ActionNotPermittedError(`${what} is not permitted in project ${ctx.projectName}`);
  }
  const namespace = info.namespaced ? obj.metadata.namespace ?? "" : "";
  if (info.namespaced && !isDestinationPermitted(ctx.project, { server: ctx.cluster.server, name: ctx.cluster.name, namespace })) {
    throw new ActionNotPermittedError(`${what}: namespace ${namespace} of ${ctx.cluster.server} is not a permitted destination of project ${ctx.projectName}`);
  }
}

function withoutStatus(patch: Record<string, unknown>): Record<string, unknown> {
  const { status: _status, ...rest } = patch;
  return rest;
}

/** `wrote` is called after each write that succeeded (a later failure must not re-run the action). */
async function patchObject(ctx: ActionContext, before: KubeObject, after: Record<string, unknown>, wrote: () => void): Promise<boolean> {
  const patch = mergePatchBetween(before, after);
  if (!isRecord(patch)) return false;
  const ref = { apiVersion: before.apiVersion, kind: before.kind, name: before.metadata.name ?? "", ...(before.metadata.namespace ? { namespace: before.metadata.namespace } : {}) };
  // The resourceVersion makes the patch fail rather than undo a change made since the read.
  const precondition = { metadata: { ...(isRecord(patch.metadata) ? patch.metadata : {}), resourceVersion: before.metadata.resourceVersion } };
  const main = withoutStatus(patch);
  if (Object.keys(main).length > 0) {
    await ctx.writer.patch(ref, { ...main, ...precondition });
    wrote();
  }
  if (patch.status !== undefined) {
    try {
      await ctx.writer.patch(ref, { status: patch.status }, { subresource: "status" });
    } catch (err) {
      // No status subresource: status is an ordinary field of the object.
      if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
      await ctx.writer.patch(ref, { status: patch.status });
    }
    wrote();
  }
  return true;
}

/**
 * Runs the action (Argo's RunResourceActionV2): every touched object is checked against the
 * project and every creation dry-run before anything is written.
 */
export async function runResourceAction(ctx: ActionContext, target: ActionTarget, action: string, params: Record<string, string> = {}): Promise<ActionOutcome> {
  // A controller updating the object between the read and the patch (a Deployment's status) makes
  // the guarded patch conflict: read, run and patch again, as long as nothing was written yet.
  for (let attempt = 1; ; attempt++) {
    try {
      return { ...(await runResourceActionOnce(ctx, target, action, params)), attempts: attempt };
    } catch (err) {
      if (!(err instanceof ConflictBeforeWrite)) throw err;
      if (attempt >= MAX_ACTION_ATTEMPTS) {
        throw new ActionConflictError(`action "${action}": ${err.resource} changed during each of ${MAX_ACTION_ATTEMPTS} attempts (the write conflicted every time); nothing was changed, try again`, { cause: err.cause });
      }
    }
  }
}

/** How many times an action is run when its first write conflicts. */
export const MAX_ACTION_ATTEMPTS = 5;

/** A 409 on the first write of an action: nothing was changed, so the whole action can run again. */
class ConflictBeforeWrite extends Error {
  constructor(readonly resource: string, override readonly cause: unknown) {
    super(`conflict writing ${resource} before any write`);
  }
}

async function runResourceActionOnce(ctx: ActionContext, target: ActionTarget, action: string, params: Record<string, string>): Promise<Omit<ActionOutcome, "attempts">> {
  const live = await resolveActionResource(ctx, target);
  const impacted: ImpactedResource[] = ctx.actions.execute(structuredClone(live), action, params);
  const plans: Array<{ op: ImpactedResource["operation"]; obj: KubeObject; before?: KubeObject }> = [];
  for (const { operation, resource } of impacted) {
    const obj = resource as unknown as KubeObject;
    const info = await ctx.client.resourceInfo(obj.apiVersion, obj.kind);
    // A namespaced object the script left without a namespace goes beside the acted-on one.
    if (info.namespaced && !obj.metadata.namespace && live.metadata.namespace) obj.metadata.namespace = live.metadata.namespace;
    await checkPermitted(ctx, obj, action);
    if (operation === "create") {
      await ctx.writer.create(obj, { dryRun: true });
      plans.push({ op: operation, obj });
    } else {
      const before = sameObject(resource, live) ? live : await ctx.client.get(obj.apiVersion, obj.kind, obj.metadata.name ?? "", obj.metadata.namespace);
      if (!before) throw new ResourceActionError(`action "${action}": ${refText({ kind: obj.kind, name: obj.metadata.name ?? "", ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) })} to patch does not exist`);
      plans.push({ op: operation, obj, before: { ...before, apiVersion: obj.apiVersion, kind: obj.kind } });
    }
  }
  const changes: string[] = [];
  let written = false;
  const wrote = (): void => { written = true; };
  for (const p of plans) {
    const { group } = splitApiVersion(p.obj.apiVersion);
    const id = refText({ group, kind: p.obj.kind, name: p.obj.metadata.name ?? "", ...(p.obj.metadata.namespace ? { namespace: p.obj.metadata.namespace } : {}) });
    try {
      if (p.op === "create") {
        await ctx.writer.create(p.obj);
        wrote();
        changes.push(`created ${id}`);
      } else if (await patchObject(ctx, p.before!, p.obj, wrote)) {
        changes.push(`patched ${id}`);
      } else changes.push(`unchanged ${id}`);
    } catch (err) {
      if (!written && err instanceof KubeApiError && err.statusCode === 409 && p.op !== "create") throw new ConflictBeforeWrite(id, err);
      throw err;
    }
  }
  return { resource: live, changes };
}

/** Argo's Event message for a run action: "<user> ran action <a> on resource <group>/<Kind>/<name>". */
export function actionEventMessage(user: string, action: string, target: Pick<ActionTarget, "group" | "kind" | "name">): string {
  return `${user || "Unknown user"} ran action ${action} on resource ${target.group}/${target.kind}/${target.name}`;
}

/** Argo's Event reason for it. */
export const RESOURCE_ACTION_RAN_REASON = "ResourceActionRan";

/** The ArgoSettings fields the runner's callers need to build its context. */
export type ActionSettings = Pick<ArgoSettings, "resourceOverrides" | "syncImpersonationEnabled">;

/**
 * The client an action writes with: under sync impersonation (argocd-cm
 * `application.sync.impersonation.enabled`) the project's destination service account, as syncs
 * write; else `client` itself. No matching service account refuses the action.
 */
export function actionWriter(client: KubeClient, app: ApplicationObject, project: ProjectPolicySpec | undefined, settings: Pick<ArgoSettings, "syncImpersonationEnabled">, server: string, controllerNamespace: string): KubeClient {
  const picked = syncImpersonation(app, project, settings, server, controllerNamespace);
  if (!picked) return client;
  if (!picked.ok) throw new ResourceActionError(picked.message);
  return client.asUser(picked.user);
}

/** Records the Event Argo emits on the Application after an action ran (best effort). */
export async function recordActionEvent(client: KubeClient, app: ApplicationObject, user: string, action: string, target: ActionTarget, log: Logger, component = "hawser-server"): Promise<void> {
  const recorder = new EventRecorder(client, component, log);
  await recorder.record({ ...app, apiVersion: ARGO_API_VERSION, kind: "Application" }, "Normal", RESOURCE_ACTION_RAN_REASON, actionEventMessage(user, action, target));
}
