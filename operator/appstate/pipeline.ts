// "What is this app's state?", answered in one place. The controller's refresh and operation,
// `hawser app diff` and (later) the API server all call these functions with the same inputs, so
// they cannot disagree about drift:
//
//   settings (argocd-cm, settings.ts) ─┐
//   renderTarget: sources → manifests  ├─► compareApp: prepared targets + permitted live objects
//   LiveView: live objects (live.ts)  ─┘     → per-resource diff, sync status, health (compare.ts)
//
// The compare input is built here and nowhere else: tracking method and key, installation id,
// Hawser's apply field manager (its managedFields stand for the last-applied state, so a field
// removed from git is a difference), ignore rules, health overrides, the server-side diff choice,
// and the project filter on live objects (tracking data can be forged; what lies outside the
// project's kinds and destinations is never the app's).
import type { Manifest } from "../../plugins/types.js";
import { ANNOTATION_COMPARE_OPTIONS } from "../api/annotations.js";
import type { Application } from "../api/index.js";
import type { JsonObject } from "../engine/diff/index.js";
import { serviceAccountToImpersonate, type ImpersonationResult } from "../engine/impersonation.js";
import type { ProjectPolicySpec } from "../engine/project.js";
import type { ArgoSettings } from "../engine/settings.js";
import { csv } from "../engine/sync/annotations.js";
import { isLiveResourcePermitted } from "../engine/sync/validate.js";
import { trackingKey } from "../engine/tracking.js";
import type { RepoSource } from "../git/types.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { LuaHealthOverride, type CustomizationTree } from "../lua/customizations.js";
import { renderApplication, type RenderCache, type RenderInfo, type RenderOutput } from "../render/index.js";
import type { Logger } from "../runtime/logger.js";
import { compareAppState, type CompareResult } from "./compare.js";
import { namespacedLookup, type Kind, type LiveView } from "./live.js";
import type { AppStateSettings } from "./settings.js";
import type { ApplicationObject } from "./types.js";

/** Hawser's server-side apply field manager. */
export const FIELD_MANAGER = "hawser";

type AppStatus = NonNullable<Application["status"]>;

/** The app's sources: `spec.sources` when set, else `spec.source`. */
export function appSources(app: ApplicationObject): Array<{ repoURL?: string; targetRevision?: string; path?: string }> {
  return app.spec?.sources && app.spec.sources.length > 0 ? app.spec.sources : app.spec?.source ? [app.spec.source] : [];
}

/** The kinds of the resources the app's status lists (what it managed at the last refresh). */
export function statusKinds(app: ApplicationObject): Kind[] {
  return ((app.status as AppStatus | undefined)?.resources ?? []).map((r) => ({ apiVersion: r.group ? `${r.group}/${r.version ?? ""}` : (r.version ?? "v1"), kind: r.kind ?? "" }));
}

/** The app's key in tracking data (`name`, or `namespace_name` outside the control namespace). */
export function appTrackingKey(app: ApplicationObject, controllerNamespace: string): string {
  return trackingKey(app.metadata.name ?? "", app.metadata.namespace ?? controllerNamespace, controllerNamespace);
}

/**
 * Server-side diff for this app: the app's `compare-options: ServerSideDiff=true|false` wins,
 * else the operator's default (--server-side-diff-enabled, Argo's controller.diff.server.side).
 */
export function serverSideDiffEnabled(app: ApplicationObject, operatorDefault: boolean): boolean {
  const opts = csv(app.metadata.annotations?.[ANNOTATION_COMPARE_OPTIONS]);
  if (opts.includes("ServerSideDiff=true")) return true;
  if (opts.includes("ServerSideDiff=false")) return false;
  return operatorDefault;
}

/**
 * Whom the app's writes to its destination go as: undefined while argocd-cm
 * `application.sync.impersonation.enabled` is off (the controller itself), else the project's
 * matching destinationServiceAccounts entry or Argo's error. Syncs, prunes, hooks, cascade
 * deletions and the server-side diff's dry runs all ask here, in the controller and the CLI.
 */
export function syncImpersonation(app: ApplicationObject, project: ProjectPolicySpec | undefined, settings: Pick<ArgoSettings, "syncImpersonationEnabled">, server: string, controllerNamespace: string): ImpersonationResult | undefined {
  if (!settings.syncImpersonationEnabled) return undefined;
  return serviceAccountToImpersonate(project?.destinationServiceAccounts, {
    server, destinationNamespace: app.spec.destination?.namespace, appNamespace: app.metadata.namespace ?? controllerNamespace,
  });
}

/** A server-side diff that may not run: impersonation is on and no service account can be used. */
export class ServerSideDiffImpersonationError extends Error {
  constructor(message: string) {
    super(`server-side diff: ${message}`);
    this.name = "ServerSideDiffImpersonationError";
  }
}

export interface RenderDeps {
  repos: RepoSource;
  settings: AppStateSettings;
  cache?: RenderCache;
  log: Logger;
}

/**
 * The app's target manifests. Helm's Capabilities are the destination's, as in Argo, so an
 * unreachable destination fails here. `revisions` pins each source (an operation's commit);
 * `verifyCommit` (signatures.ts signatureCheck) refuses commits before they are rendered.
 */
export async function renderTarget(app: ApplicationObject, view: LiveView, deps: RenderDeps, opts: { revisions?: Array<string | undefined>; refresh?: "normal" | "hard"; verifyCommit?: (repoURL: string, commit: string) => Promise<void>; onRender?: (info: RenderInfo) => void } = {}): Promise<RenderOutput> {
  const plugins = deps.settings.plugins;
  if (!plugins) throw new Error("no config-management plugins loaded");
  const kubeVersion = await view.client.serverVersion();
  return renderApplication(app as unknown as Application, {
    repos: deps.repos, plugins, settings: deps.settings.render, ...(deps.cache ? { cache: deps.cache } : {}), log: deps.log, kubeVersion,
    ...(opts.verifyCommit ? { verifyCommit: opts.verifyCommit } : {}),
    ...(opts.onRender ? { onRender: opts.onRender } : {}),
  }, { ...(opts.revisions ? { revisions: opts.revisions } : {}), refresh: opts.refresh !== undefined, hard: opts.refresh === "hard" });
}

export interface AppStateContext {
  controllerNamespace: string;
  settings: AppStateSettings;
  /** The app's project as it is now; undefined (missing) permits no live object. */
  project: ProjectPolicySpec | undefined;
  /** Bundled and user Lua health customizations. */
  healthTrees?: CustomizationTree[];
  /** The server-side diff default when the app does not choose (see serverSideDiffEnabled). */
  serverSideDiffDefault?: boolean;
  /** Diff server-side whatever the app and the default say (the API's server-side-diff). */
  forceServerSideDiff?: boolean;
  /**
   * The destination's client acting as a user, for the server-side diff's dry runs under sync
   * impersonation (Argo runs them as the sync's service account, so RBAC and admission see the
   * same identity as the sync). Without it such a diff fails closed.
   */
  clientAs?: (user: string) => Pick<KubeClient, "apply">;
  signal?: AbortSignal;
}

/** The live objects the app manages among these kinds (and those its status lists), within its project. */
export async function permittedLiveObjects(app: ApplicationObject, view: LiveView, kinds: readonly Kind[], ctx: Pick<AppStateContext, "controllerNamespace" | "project" | "signal">): Promise<KubeObject[]> {
  const managed = await view.managedObjects(appTrackingKey(app, ctx.controllerNamespace), [...kinds, ...statusKinds(app)], ctx.signal);
  return managed.filter((o) => isLiveResourcePermitted(ctx.project, o, view.cluster));
}

/** Health overrides from argocd-cm and the Lua customization trees. */
export function healthOverrideFor(settings: AppStateSettings, trees: CustomizationTree[] | undefined): LuaHealthOverride {
  return new LuaHealthOverride({ resourceOverrides: settings.argo.resourceOverrides, trees });
}

/** Compares the rendered target with the live state: what the controller writes to status and `hawser app diff` prints. */
export async function compareApp(app: ApplicationObject, target: readonly Manifest[], view: LiveView, ctx: AppStateContext): Promise<CompareResult> {
  const settings = ctx.settings.argo;
  const isNamespaced = await namespacedLookup(view.client, target);
  const live = await permittedLiveObjects(app, view, target, ctx);
  const serverSide = ctx.forceServerSideDiff === true || serverSideDiffEnabled(app, ctx.serverSideDiffDefault === true);
  let dryRunner: Pick<KubeClient, "apply"> = view.client;
  if (serverSide) {
    const as = syncImpersonation(app, ctx.project, settings, view.cluster.server, ctx.controllerNamespace);
    if (as && !as.ok) throw new ServerSideDiffImpersonationError(as.message);
    if (as?.ok) {
      if (!ctx.clientAs) throw new ServerSideDiffImpersonationError(`cannot act as ${as.user} here`);
      dryRunner = ctx.clientAs(as.user);
    }
  }
  return compareAppState({
    appName: app.metadata.name ?? "",
    trackingKey: appTrackingKey(app, ctx.controllerNamespace),
    trackingMethod: settings.trackingMethod,
    instanceLabelKey: settings.instanceLabelKey,
    ...(settings.installationID ? { installationID: settings.installationID } : {}),
    destinationNamespace: app.spec.destination?.namespace ?? "",
    clusterServer: view.cluster.server,
    target,
    live,
    isNamespaced,
    ignoreDifferences: app.spec.ignoreDifferences as Parameters<typeof compareAppState>[0]["ignoreDifferences"],
    settings,
    healthOverride: healthOverrideFor(ctx.settings, ctx.healthTrees),
    fieldManager: FIELD_MANAGER,
    ...(serverSide ? { serverSideDryRun: { dryRunApply: async (desired) => (await dryRunner.apply(desired as KubeObject, { fieldManager: FIELD_MANAGER, force: true, dryRun: true })) as JsonObject } } : {}),
    lookupLive: (apiVersion, kind, namespace, name) => view.get(apiVersion, kind, namespace, name),
  });
}
