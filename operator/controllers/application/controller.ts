// The Application controller. Two queues, as Argo has: `application-refresh` (statusProcessors
// workers) compares each Application with git and the cluster and writes its status, and
// `application-operation` (operationProcessors workers) runs sync operations one resumable step at
// a time, persisting status.operationState after every step. A slow sync never blocks refreshes.
// Refreshes happen when an Application or its project changes, when a managed object changes in
// the cluster (drift is seen within the watch latency), on git webhooks, per the app's own refresh
// interval (`timeout.reconcile=<d>` sync option) and on the periodic resync. Status is written
// only when it changed.
import type { Manifest } from "../../../plugins/types.js";
import type { PluginRegistry } from "../../../plugins/index.js";
import {
  ANNOTATION_COMPARE_OPTIONS,
  ANNOTATION_DELETION_APPROVED,
  ANNOTATION_REFRESH,
  ANNOTATION_SKIP_RECONCILE,
  ANNOTATION_TRACKING_ID,
  ARGO_API_VERSION,
  FINALIZER_RESOURCES,
  FINALIZER_RESOURCES_BACKGROUND,
} from "../../api/annotations.js";
import { ApplicationConditionType, setConditions, type ApplicationCondition } from "../../api/conditions.js";
import type { Application, ApplicationSource, AppProjectSpec, Operation, OperationState, RevisionHistory } from "../../api/index.js";
import { evaluateResourceHealth, type HealthOverride } from "../../engine/health/index.js";
import { defaultSettings, parseArgoSettings, type ArgoSettings } from "../../engine/settings.js";
import { parseSyncOptions } from "../../engine/sync/annotations.js";
import { autoSyncEnabled, nextRetry, shouldAutoSync, DEFAULT_SELF_HEAL_BACKOFF, type SelfHealBackoff } from "../../engine/sync/autosync.js";
import { buildSyncPlan } from "../../engine/sync/plan.js";
import { nextSyncStep, recordActionOutcomes, recordValidationFailure, type Observation } from "../../engine/sync/step.js";
import { deleteHookFinalizers, deleteHooks, FINALIZER_POST_DELETE, FINALIZER_PRE_DELETE, nextDeletionStep } from "../../engine/sync/deletion.js";
import { csv, deletionApproved, hookTypes } from "../../engine/sync/annotations.js";
import { findOrphans, orphanedMessage } from "../../engine/orphans.js";
import type { JsonObject } from "../../engine/diff/index.js";
import { invalidSyncTasks, isLiveResourcePermitted, missingProjectMessage } from "../../engine/sync/validate.js";
import { resourceRefKey } from "../../engine/sync/types.js";
import type { RepoSource } from "../../git/types.js";
import { AdaptiveLimiter } from "../../kube/adaptive.js";
import { KubeApiError, type KubeClient, type KubeObject } from "../../kube/client.js";
import { ClusterCache, managingApp, trackingKey as makeTrackingKey } from "../../cluster/cluster-cache.js";
import { clusterAdmits, ClusterRegistry, type ClusterEntry } from "../../cluster/clusters.js";
import { UnknownKindError } from "../../kube/discovery.js";
import { patchStatus } from "../../kube/status-writer.js";
import { LuaHealthOverride, type CustomizationTree } from "../../lua/customizations.js";
import { renderApplication, RenderCache, type RenderOutput, type RenderSettings } from "../../render/index.js";
import { renderSettingsFromArgoCm } from "../../render/settings.js";
import { Controller } from "../../runtime/controller.js";
import type { EventRecorder } from "../../runtime/events.js";
import { Informer, objectKey } from "../../runtime/informer.js";
import type { Logger } from "../../runtime/logger.js";
import type { OperatorMetrics } from "../../runtime/metrics.js";
import type { ReconcileContext, ReconcileResult } from "../../runtime/reconciler.js";
import { redact } from "../../runtime/redact.js";
import { pushConcerns, repoIdentity } from "../../webhook/match.js";
import type { PushEvent } from "../../webhook/parse.js";
import { compareAppState, prepareTarget, type CompareResult } from "./compare.js";
import { executeActions, FIELD_MANAGER } from "./executor.js";
import { validateApplication, validateSpec } from "./refresh.js";
import type { ApplicationObject, AppProjectObject } from "./types.js";
import { deepEqual, errorMessage, splitApiVersion } from "../../util/index.js";

export interface ApplicationControllerOptions {
  client: KubeClient;
  namespace: string;
  statusProcessors: number;
  operationProcessors?: number;
  resyncMs: number;
  resyncJitterMs: number;
  log: Logger;
  metrics?: OperatorMetrics;
  events?: EventRecorder;
  /** Git access; without it Applications are validated but not compared. */
  repos?: RepoSource;
  plugins?: PluginRegistry;
  renderCache?: RenderCache;
  selfHealBackoff?: SelfHealBackoff;
  /** Pause between sync waves (Argo: 2 s). */
  waveDelayMs?: number;
  /** Bundled and user Lua health customizations directories (already loaded). */
  healthTrees?: CustomizationTree[];
  /** Default installation id when argocd-cm sets none. */
  installationID?: string;
  /** Diff every app with a server-side apply dry run unless it opts out. */
  serverSideDiff?: boolean;
  /** reposerver.allow.oob.symlinks: render trees holding symlinks that leave them (dangerous). */
  allowOutOfBoundsSymlinks?: boolean;
}

const PROJECT_INDEX = "project";
const REPO_INDEX = "repo";
const ERROR_REQUEUE_MS = 30_000;
/** After this long, a deletion still waiting on something says so in a DeletionError condition. */
const STUCK_DELETION_MS = 60_000;

/** A delete hook written with generateName gets a stable name, so every step finds the same object. */
function nameDeleteHook(m: Manifest, appUid: string): Manifest {
  if (m.metadata.name) return m;
  const types = hookTypes(m);
  const stage = types.includes("PreDelete") ? "predelete" : types.includes("PostDelete") ? "postdelete" : undefined;
  if (!stage) return m;
  const { generateName, ...meta } = m.metadata;
  if (typeof generateName !== "string") return m;
  return { ...m, metadata: { ...meta, name: `${generateName}${appUid.replace(/-/g, "").slice(0, 7)}-${stage}`.toLowerCase() } };
}

/** The kinds of the resources the app's status lists (what it managed at the last refresh). */
function statusKinds(app: ApplicationObject): Array<{ apiVersion: string; kind: string }> {
  return ((app.status as AppStatus | undefined)?.resources ?? []).map((r) => ({ apiVersion: r.group ? `${r.group}/${r.version ?? ""}` : (r.version ?? "v1"), kind: r.kind ?? "" }));
}

function liveNamespaceExists(cache: ClusterCache, name: string): boolean {
  return cache.isWatched("v1", "Namespace") && cache.get("v1", "Namespace", undefined, name) !== undefined;
}

function appSources(app: ApplicationObject): Array<{ repoURL?: string; targetRevision?: string; path?: string }> {
  return app.spec?.sources && app.spec.sources.length > 0 ? app.spec.sources : app.spec?.source ? [app.spec.source] : [];
}

type AppStatus = NonNullable<Application["status"]>;

/** Where an Application's resources live: the resolved cluster, its connection and its live cache. */
interface Destination {
  cluster: ClusterEntry;
  client: KubeClient;
  cache: ClusterCache;
}

/** The destination could not be resolved (no such cluster, bad credentials config). */
class DestinationError extends Error {}

export class ApplicationController {
  readonly apps: Informer<ApplicationObject>;
  readonly projects: Informer<AppProjectObject>;
  readonly argocdCm: Informer;
  readonly refresh: Controller;
  readonly operations: Controller;
  /** Registered destination clusters (cluster Secrets) and their connections. */
  readonly clusters: ClusterRegistry;
  /** One live-state cache per destination server, created on first use. */
  private readonly caches = new Map<string, { client: KubeClient; cache: ClusterCache; limiter: AdaptiveLimiter; tracking: string }>();
  private readonly reconciledGeneration = new Map<string, number>();
  private readonly renderCache: RenderCache;
  /** The refresh-owned status this controller last wrote, by app uid (see writeStatus). */
  private readonly lastRefreshStatus = new Map<string, Record<string, unknown>>();
  /** Finalizers this controller removed, by app uid, until the deletion is seen (stale-cache guard). */
  private readonly removedFinalizers = new Map<string, Set<string>>();
  /** Tracking key → app key, for drift notifications from the cluster cache. */
  private readonly appByTrackingKey = new Map<string, string>();

  constructor(private readonly opts: ApplicationControllerOptions) {
    const log = opts.log;
    this.renderCache = opts.renderCache ?? new RenderCache();
    this.apps = new Informer<ApplicationObject>(opts.client, { apiVersion: ARGO_API_VERSION, kind: "Application", namespace: opts.namespace, log, metrics: opts.metrics });
    this.projects = new Informer<AppProjectObject>(opts.client, { apiVersion: ARGO_API_VERSION, kind: "AppProject", namespace: opts.namespace, log, metrics: opts.metrics });
    this.argocdCm = new Informer(opts.client, { apiVersion: "v1", kind: "ConfigMap", namespace: opts.namespace, fieldSelector: "metadata.name=argocd-cm", log, metrics: opts.metrics });
    this.apps.addIndex(PROJECT_INDEX, (app) => [app.spec?.project || "default"]);
    this.apps.addIndex(REPO_INDEX, (app) => [...new Set(appSources(app).filter((s) => s.repoURL).map((s) => repoIdentity(s.repoURL!)))]);
    this.clusters = new ClusterRegistry({
      client: opts.client, namespace: opts.namespace, log, metrics: opts.metrics,
      onChange: (server) => {
        // New credentials or limits: drop the old connection's cache and look at every app again.
        const held = this.caches.get(server);
        if (held) {
          this.caches.delete(server);
          void held.cache.stop();
        }
        for (const k of this.apps.keys()) this.refresh.enqueue(k);
      },
    });
    this.refresh = new Controller({ name: "application-refresh", workers: opts.statusProcessors, log, metrics: opts.metrics, reconciler: { reconcile: (ctx) => this.reconcileRefresh(ctx) } });
    this.operations = new Controller({ name: "application-operation", workers: opts.operationProcessors ?? 10, log, metrics: opts.metrics, reconciler: { reconcile: (ctx) => this.reconcileOperation(ctx) } });

    this.apps.addHandler({
      add: (app) => {
        this.track(app);
        this.refresh.enqueue(objectKey(app));
        const phase = (app.status as AppStatus | undefined)?.operationState?.phase;
        if (app.operation || phase === "Running" || phase === "Terminating") this.operations.enqueue(objectKey(app));
      },
      update: (oldApp, newApp) => {
        this.track(newApp);
        const key = objectKey(newApp);
        // Our own status writes come back as updates; only spec, metadata or operation changes
        // are worth a refresh.
        if (oldApp.metadata.generation !== newApp.metadata.generation
          || !deepEqual(oldApp.metadata.annotations, newApp.metadata.annotations)
          || !deepEqual(oldApp.metadata.labels, newApp.metadata.labels)
          || oldApp.metadata.deletionTimestamp !== newApp.metadata.deletionTimestamp) {
          this.refresh.enqueue(key);
        }
        if (!deepEqual(oldApp.operation, newApp.operation) && newApp.operation) this.operations.enqueue(key);
      },
      delete: (app) => {
        if (app.metadata.uid) {
          this.reconciledGeneration.delete(app.metadata.uid);
          this.removedFinalizers.delete(app.metadata.uid);
          this.lastRefreshStatus.delete(app.metadata.uid);
        }
        this.appByTrackingKey.delete(this.trackingKeyOf(app));
      },
    });
    const requeueProjectApps = (project: AppProjectObject): void => {
      for (const app of this.apps.byIndex(PROJECT_INDEX, project.metadata.name ?? "")) this.refresh.enqueue(objectKey(app));
    };
    this.projects.addHandler({ add: requeueProjectApps, update: (_o, n) => requeueProjectApps(n), delete: requeueProjectApps });
    // Settings changes (health scripts, ignore rules, exclusions) can change every app's status.
    const refreshAll = (): void => { for (const k of this.apps.keys()) this.refresh.enqueue(k); };
    this.argocdCm.addHandler({ add: refreshAll, update: refreshAll, delete: refreshAll });
  }

  get hasSynced(): boolean { return this.apps.hasSynced && this.projects.hasSynced && this.argocdCm.hasSynced && this.clusters.hasSynced; }

  async start(signal?: AbortSignal): Promise<void> {
    this.projects.start();
    this.argocdCm.start();
    this.apps.start();
    await Promise.all([this.projects.waitForSync(signal), this.apps.waitForSync(signal), this.argocdCm.waitForSync(signal), this.clusters.start(signal)]);
    this.refresh.start();
    this.operations.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.refresh.stop(), this.operations.stop()]);
    await Promise.all([this.apps.stop(), this.projects.stop(), this.argocdCm.stop(), this.clusters.stop(), ...[...this.caches.values()].map((c) => c.cache.stop())]);
    this.caches.clear();
  }

  /** Refreshes every Application a git push concerns (webhook); returns their keys. */
  refreshForPush(event: PushEvent): string[] {
    const keys = new Set<string>();
    for (const id of new Set(event.repoURLs.map(repoIdentity))) {
      for (const app of this.apps.byIndex(REPO_INDEX, id)) {
        if (pushConcerns(appSources(app), app.metadata.annotations, event)) keys.add(objectKey(app));
      }
    }
    for (const key of keys) this.refresh.enqueue(key);
    return [...keys];
  }

  // ---- helpers ----

  private trackingKeyOf(app: ApplicationObject): string {
    return makeTrackingKey(app.metadata.name ?? "", app.metadata.namespace ?? "", this.opts.namespace);
  }

  private track(app: ApplicationObject): void {
    this.appByTrackingKey.set(this.trackingKeyOf(app), objectKey(app));
  }

  private parsedSettings?: { resourceVersion: string; settings: ArgoSettings; render: RenderSettings; plugins?: PluginRegistry };

  /** argocd-cm, parsed once per version of the ConfigMap (every reconcile reads it). */
  private settings(): ArgoSettings {
    const cm = this.argocdCm.get(`${this.opts.namespace}/argocd-cm`);
    const rv = cm?.metadata.resourceVersion ?? "";
    if (this.parsedSettings?.resourceVersion !== rv) {
      const settings = cm ? parseArgoSettings((cm as { data?: Record<string, string> }).data) : defaultSettings();
      settings.installationID ??= this.opts.installationID;
      const render: RenderSettings = {
        ...renderSettingsFromArgoCm((cm as { data?: Record<string, string> } | undefined)?.data),
        ...(this.opts.allowOutOfBoundsSymlinks ? { allowOutOfBoundsSymlinks: true } : {}),
      };
      // Built-in plugins read tool settings when made: new settings, new built-ins (user plugins kept).
      this.parsedSettings = { resourceVersion: rv, settings, render, plugins: this.opts.plugins?.withBuiltinSettings(render) };
    }
    return this.parsedSettings.settings;
  }

  private healthOverride(settings: ArgoSettings): HealthOverride {
    return new LuaHealthOverride({ resourceOverrides: settings.resourceOverrides, trees: this.opts.healthTrees });
  }

  private resyncDelay(app: ApplicationObject): number | undefined {
    const perApp = parseSyncOptions(app.spec.syncPolicy?.syncOptions).options.refreshIntervalMs;
    // argocd-cm timeout.reconciliation(.jitter), when set, take precedence over --app-resync(-jitter).
    const cm = this.settings();
    const [resyncMs, jitterMs] = [cm.reconciliationTimeoutMs ?? this.opts.resyncMs, cm.reconciliationJitterMs ?? this.opts.resyncJitterMs];
    const periodic = resyncMs > 0 ? resyncMs + Math.floor(Math.random() * jitterMs) : undefined;
    if (perApp !== undefined && perApp > 0) return periodic === undefined ? perApp : Math.min(perApp, periodic);
    return periodic;
  }

  /** The app's destination cluster, connection and live cache; DestinationError when unresolvable. */
  private destination(app: ApplicationObject): Destination {
    const resolved = this.clusters.resolve(app.spec.destination);
    if (!resolved.ok) throw new DestinationError(resolved.message);
    let client: KubeClient;
    try {
      client = this.clusters.client(resolved.cluster);
    } catch (err) {
      throw new DestinationError(errorMessage(err));
    }
    // The cache indexes objects by tracking data, so a tracking setting change means a new cache.
    const settings = this.settings();
    const tracking = JSON.stringify([settings.trackingMethod, settings.instanceLabelKey, settings.installationID ?? ""]);
    let held = this.caches.get(resolved.cluster.server);
    if (!held || held.client !== client || held.tracking !== tracking) {
      if (held) void held.cache.stop();
      const cache = new ClusterCache({
        client, log: this.opts.log, metrics: this.opts.metrics,
        trackingMethod: settings.trackingMethod, instanceLabelKey: settings.instanceLabelKey, installationID: settings.installationID,
        onManagedChange: (key) => {
          const appKey = this.appByTrackingKey.get(key);
          if (appKey) this.refresh.enqueue(appKey);
        },
      });
      // Each cluster has its own write budget: one slow apiserver must not throttle the others.
      held = { client, cache, limiter: held?.limiter ?? new AdaptiveLimiter({ initial: 16, max: 64 }), tracking };
      this.caches.set(resolved.cluster.server, held);
    }
    return { cluster: resolved.cluster, client, cache: held.cache };
  }

  private limiterFor(dest: Destination): AdaptiveLimiter {
    return this.caches.get(dest.cluster.server)?.limiter ?? new AdaptiveLimiter({ initial: 16, max: 64 });
  }

  /**
   * How many orphaned resources the app's destination namespace holds, when its project asks for
   * warnings (`orphanedResources.warn`). Only kinds Hawser already watches on that cluster are
   * looked at; anything carrying tracking data (any app's, any instance's) is not an orphan.
   */
  private orphans(app: ApplicationObject, dest: Destination): number {
    const project = this.projects.get(`${this.opts.namespace}/${app.spec.project || "default"}`);
    const monitor = (project?.spec as AppProjectSpec | undefined)?.orphanedResources;
    const ns = app.spec.destination?.namespace;
    if (!monitor?.warn || !ns) return 0;
    const s = this.settings();
    const tracked = (o: KubeObject): boolean => !!o.metadata.annotations?.[ANNOTATION_TRACKING_ID] || !!o.metadata.labels?.[s.instanceLabelKey];
    return findOrphans(dest.cache.inNamespace(ns), tracked, monitor.ignore ?? []).length;
  }

  /**
   * Server-side diff for this app: the app's `compare-options: ServerSideDiff=true|false` wins,
   * else the operator's --server-side-diff-enabled (Argo's controller.diff.server.side).
   */
  private serverSideDiff(app: ApplicationObject): boolean {
    const opts = csv(app.metadata.annotations?.[ANNOTATION_COMPARE_OPTIONS]);
    if (opts.includes("ServerSideDiff=true")) return true;
    if (opts.includes("ServerSideDiff=false")) return false;
    return this.opts.serverSideDiff === true;
  }

  /** Discovery for the kinds involved: is each namespaced? Unknown kinds stay undefined. */
  private async namespacedLookup(dest: Destination, objs: ReadonlyArray<{ apiVersion: string; kind: string }>): Promise<(apiVersion: string, kind: string) => boolean | undefined> {
    const known = new Map<string, boolean>();
    for (const o of objs) {
      const id = `${o.apiVersion}/${o.kind}`;
      if (known.has(id)) continue;
      try {
        known.set(id, (await dest.client.resourceInfo(o.apiVersion, o.kind)).namespaced);
      } catch (err) {
        if (!(err instanceof UnknownKindError)) throw err;
      }
    }
    return (apiVersion, kind) => known.get(`${apiVersion}/${kind}`);
  }

  /** Starts watching every kind in play and returns the app's live objects. */
  private async liveObjects(dest: Destination, app: ApplicationObject, kinds: ReadonlyArray<{ apiVersion: string; kind: string }>, signal: AbortSignal): Promise<KubeObject[]> {
    const seen = new Set<string>();
    const previous = statusKinds(app);
    for (const k of [...kinds, ...previous]) {
      const id = `${k.apiVersion}/${k.kind}`;
      if (seen.has(id) || !k.kind) continue;
      seen.add(id);
      try {
        await dest.cache.ensureKind(k.apiVersion, k.kind, signal);
      } catch (err) {
        // A kind whose CRD is not installed yet has no live objects; the sync will create it.
        if (!(err instanceof UnknownKindError)) throw err;
      }
    }
    // Tracking data can be forged by anyone who can write objects; what lies outside the project's
    // kinds and destinations is never the app's to prune or delete (Argo's getPermittedAppLiveObjects).
    const project = this.projectOf(app)?.spec;
    const where = { server: dest.cluster.server, name: dest.cluster.name };
    return dest.cache.managedBy(this.trackingKeyOf(app)).filter((o) => isLiveResourcePermitted(project, o, where));
  }

  private projectOf(app: ApplicationObject): AppProjectObject | undefined {
    return this.projects.get(`${this.opts.namespace}/${app.spec.project || "default"}`);
  }

  private async render(app: ApplicationObject, dest: Destination, revisions?: Array<string | undefined>, refresh?: "normal" | "hard"): Promise<RenderOutput> {
    this.settings();
    const plugins = this.parsedSettings?.plugins;
    if (!this.opts.repos || !plugins) throw new Error("no git access configured");
    // Helm's Capabilities are the destination's, as in Argo; an unreachable cluster fails here.
    const kubeVersion = await dest.client.serverVersion();
    return renderApplication(app as unknown as Application, {
      repos: this.opts.repos, plugins, settings: this.parsedSettings?.render, cache: this.renderCache, log: this.opts.log, kubeVersion,
    }, { ...(revisions ? { revisions } : {}), refresh: refresh !== undefined, hard: refresh === "hard" });
  }

  private async compare(app: ApplicationObject, dest: Destination, rendered: RenderOutput, signal: AbortSignal): Promise<CompareResult> {
    const settings = this.settings();
    const isNamespaced = await this.namespacedLookup(dest, rendered.manifests);
    const live = await this.liveObjects(dest, app, rendered.manifests, signal);
    return compareAppState({
      appName: app.metadata.name ?? "",
      trackingKey: this.trackingKeyOf(app),
      trackingMethod: settings.trackingMethod,
      instanceLabelKey: settings.instanceLabelKey,
      installationID: settings.installationID,
      destinationNamespace: app.spec.destination?.namespace ?? "",
      clusterServer: dest.cluster.server,
      target: rendered.manifests,
      live,
      isNamespaced,
      ignoreDifferences: app.spec.ignoreDifferences as Parameters<typeof compareAppState>[0]["ignoreDifferences"],
      settings,
      healthOverride: this.healthOverride(settings),
      fieldManager: FIELD_MANAGER,
      ...(this.serverSideDiff(app) ? { serverSideDryRun: { dryRunApply: async (desired) => (await dest.client.apply(desired as KubeObject, { fieldManager: FIELD_MANAGER, force: true, dryRun: true })) as JsonObject } } : {}),
      lookupLive: (apiVersion, kind, namespace, name) => dest.cache.get(apiVersion, kind, namespace, name),
    });
  }

  /**
   * Writes the refresh-owned part of the status when it changed. The operation loop owns
   * `operationState` and `history`; they are never part of these patches (the cached copy may be
   * older than what that loop wrote). Changes are measured against what this loop last wrote,
   * not against the cache: a cache that has not seen our last write yet would otherwise make a
   * needed write look like a no-op and leave a stale status on the server.
   */
  private async writeStatus(ctx: ReconcileContext, app: ApplicationObject, status: AppStatus): Promise<void> {
    const uid = app.metadata.uid ?? "";
    const generation = app.metadata.generation ?? 0;
    const refreshOwned = (s: AppStatus | undefined): Record<string, unknown> => {
      const { operationState: _op, history: _h, reconciledAt: _r, ...rest } = (s ?? {});
      return rest;
    };
    const base = this.lastRefreshStatus.get(uid) ?? refreshOwned(app.status);
    const next = refreshOwned(status);
    const changed = !deepEqual(base, next);
    const newGeneration = this.reconciledGeneration.get(uid) !== generation || !app.status?.reconciledAt;
    if (changed || newGeneration) {
      await patchStatus(this.opts.client, { ...app, status: base }, { ...next, reconciledAt: new Date().toISOString() });
      ctx.log.debug("status updated", { application: app.metadata.name });
    }
    this.lastRefreshStatus.set(uid, next);
    this.reconciledGeneration.set(uid, generation);
  }

  // ---- refresh ----

  private async reconcileRefresh(ctx: ReconcileContext): Promise<ReconcileResult> {
    const app = this.apps.get(ctx.key);
    if (!app) return {};
    if (app.metadata.annotations?.[ANNOTATION_SKIP_RECONCILE] === "true") return {};
    if (app.metadata.deletionTimestamp) return this.finalizeDeletion(ctx, app);
    const requested = app.metadata.annotations?.[ANNOTATION_REFRESH];
    const refreshKind = requested === "hard" ? "hard" : requested ? "normal" : undefined;
    if (requested) {
      // A refresh request is served by this very reconcile; clear it as Argo does.
      await this.opts.client.patch({ apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace }, { metadata: { annotations: { [ANNOTATION_REFRESH]: null } } });
      // An asked-for refresh must see a commit pushed just now, not a ref listing cached seconds ago.
      for (const s of app.spec.sources?.length ? app.spec.sources : app.spec.source ? [app.spec.source] : []) {
        if (s.repoURL) this.opts.repos?.invalidate?.(s.repoURL);
      }
    }

    const now = new Date().toISOString();
    const validated = validateApplication({
      app, project: (name) => this.projects.get(`${this.opts.namespace}/${name}`), controllerNamespace: this.opts.namespace, now: () => now,
      resolveDestination: (d) => this.clusters.resolve(d),
    });
    for (const c of validated.newErrors) void this.opts.events?.record(app, "Warning", c.type, c.message);
    const status: AppStatus = { ...(validated.status as AppStatus) };
    const invalid = (validated.status.conditions ?? []).some((c) => c.type === ApplicationConditionType.InvalidSpecError);
    const evaluated = [ApplicationConditionType.OrphanedResourceWarning, ApplicationConditionType.ComparisonError, ApplicationConditionType.SyncOptionWarning, "RepeatedResourceWarning", ApplicationConditionType.ExcludedResourceWarning, ApplicationConditionType.SyncError, ApplicationConditionType.SharedResourceWarning];
    const conditions: ApplicationCondition[] = [];
    const requeue = this.resyncDelay(app);
    const done = async (extra: Partial<AppStatus>, requeueAfterMs = requeue): Promise<ReconcileResult> => {
      const merged: AppStatus = { ...status, ...extra };
      const next = setConditions(status.conditions, conditions, evaluated, () => now);
      if (next.length > 0) merged.conditions = next;
      else delete merged.conditions;
      await this.writeStatus(ctx, app, merged);
      return requeueAfterMs === undefined ? {} : { requeueAfterMs };
    };

    const optionWarnings = parseSyncOptions(app.spec.syncPolicy?.syncOptions).warnings;
    for (const w of optionWarnings) conditions.push({ type: ApplicationConditionType.SyncOptionWarning, message: w });
    if (invalid) return done({ sync: { status: "Unknown" } });
    if (!this.opts.repos) return done({});

    let dest: Destination;
    let rendered: RenderOutput;
    let cmp: CompareResult;
    let stage = "Failed to reach the destination cluster";
    try {
      dest = this.destination(app);
      stage = "Failed to load target state";
      rendered = await this.render(app, dest, undefined, refreshKind);
      stage = "Failed to load live state";
      cmp = await this.compare(app, dest, rendered, ctx.signal);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      // Nothing is pruned or changed when git, rendering or the cluster fails: the previous
      // resources stay, the sync status becomes Unknown and the condition says why.
      const message = redact(errorMessage(err));
      conditions.push({ type: ApplicationConditionType.ComparisonError, message: `${stage}: ${message}` });
      ctx.log.warn("comparison failed", { application: app.metadata.name, stage, error: message });
      const prevSync = (app.status as AppStatus | undefined)?.sync;
      return done({ sync: { ...(prevSync ?? {}), status: "Unknown" } }, Math.min(requeue ?? ERROR_REQUEUE_MS, ERROR_REQUEUE_MS));
    }
    for (const w of rendered.repeatedResourceWarnings) conditions.push({ type: "RepeatedResourceWarning", message: w });
    // PreDelete/PostDelete hooks in git: the finalizers that will run them on deletion (Argo adds them too).
    const hookFinalizers = deleteHookFinalizers(cmp.prepared).filter((f) => !(app.metadata.finalizers ?? []).includes(f));
    if (hookFinalizers.length > 0) {
      await this.opts.client.patch(
        { apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace },
        { metadata: { finalizers: [...(app.metadata.finalizers ?? []), ...hookFinalizers], resourceVersion: app.metadata.resourceVersion } },
      );
    }
    const orphans = this.orphans(app, dest);
    if (orphans > 0) conditions.push({ type: ApplicationConditionType.OrphanedResourceWarning, message: orphanedMessage(orphans) });
    for (const message of cmp.shared) conditions.push({ type: ApplicationConditionType.SharedResourceWarning, message });
    if (cmp.excluded.length > 0) conditions.push({ type: ApplicationConditionType.ExcludedResourceWarning, message: `Resources of excluded kinds are not managed: ${cmp.excluded.join(", ")}` });
    const multi = (app.spec.sources?.length ?? 0) > 0;
    const sync: Record<string, unknown> = {
      status: cmp.syncStatus,
      comparedTo: {
        ...(multi ? { sources: app.spec.sources } : { source: app.spec.source }),
        destination: app.spec.destination,
        ...(app.spec.ignoreDifferences ? { ignoreDifferences: app.spec.ignoreDifferences } : {}),
      },
    };
    if (multi) sync.revisions = rendered.revisions;
    else sync.revision = rendered.revisions[0];
    const prevHealth = (app.status as AppStatus | undefined)?.health;
    const health: Record<string, unknown> = { ...cmp.health };
    health.lastTransitionTime = prevHealth?.status === cmp.health.status && prevHealth.lastTransitionTime ? prevHealth.lastTransitionTime : now;
    const extra: Partial<AppStatus> = {
      sync: sync as unknown as AppStatus["sync"],
      health: health,
      resources: cmp.statuses as AppStatus["resources"],
      summary: (cmp.images.length > 0 ? { images: cmp.images } : {}),
    };
    if (multi) extra.sourceTypes = rendered.sourceTypes.filter((t): t is NonNullable<typeof t> => !!t);
    else if (rendered.sourceTypes[0]) extra.sourceType = rendered.sourceTypes[0];
    const prevSyncStatus = (app.status as AppStatus | undefined)?.sync?.status;
    if (prevSyncStatus && prevSyncStatus !== cmp.syncStatus) void this.opts.events?.record(app, "Normal", "ResourceUpdated", `Updated sync status: ${prevSyncStatus} -> ${cmp.syncStatus}`);
    if (prevHealth?.status && prevHealth.status !== cmp.health.status) void this.opts.events?.record(app, "Normal", "ResourceUpdated", `Updated health status: ${prevHealth.status} -> ${cmp.health.status}`);

    // Auto-sync: start an operation through the CR, as Argo does, so it is visible and resumable.
    let requeueAfterMs = requeue;
    if (autoSyncEnabled(app.spec.syncPolicy)) {
      const opState = (app.status as AppStatus | undefined)?.operationState;
      const decision = shouldAutoSync({
        syncPolicy: app.spec.syncPolicy,
        operationInProgress: !!app.operation || opState?.phase === "Running" || opState?.phase === "Terminating",
        deleting: false,
        syncStatus: cmp.syncStatus,
        revisions: rendered.revisions,
        source: app.spec.source as ApplicationSource | undefined,
        sources: app.spec.sources as ApplicationSource[] | undefined,
        resources: cmp.statuses,
        targetCount: rendered.manifests.length,
        lastOperation: opState,
        now: Date.now(),
        selfHealBackoff: this.opts.selfHealBackoff ?? DEFAULT_SELF_HEAL_BACKOFF,
      });
      if (decision.condition) conditions.push(decision.condition);
      if (decision.sync && decision.operation) {
        ctx.log.info("starting automated sync", { application: app.metadata.name, reason: decision.reason });
        await this.opts.client.patch({ apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace }, { operation: decision.operation });
      }
      if (decision.requeueAfterMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, decision.requeueAfterMs);
    }
    return done(extra, requeueAfterMs);
  }

  // ---- deletion ----

  private async finalizeDeletion(ctx: ReconcileContext, app: ApplicationObject): Promise<ReconcileResult> {
    // The cache may not have seen our last finalizer removal yet; acting on that stale copy
    // would re-run a finished stage (e.g. re-create a PostDelete hook just cleaned up).
    const removed = this.removedFinalizers.get(app.metadata.uid ?? "");
    const finalizers = (app.metadata.finalizers ?? []).filter((f) => !removed?.has(f));
    const ours = new Set([FINALIZER_PRE_DELETE, FINALIZER_RESOURCES, `${FINALIZER_RESOURCES}/foreground`, FINALIZER_RESOURCES_BACKGROUND, FINALIZER_POST_DELETE]);
    if (!finalizers.some((f) => ours.has(f))) return {};
    const ref = { apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace };
    let dest: Destination;
    try {
      dest = this.destination(app);
    } catch (err) {
      if (!(err instanceof DestinationError)) throw err;
      // As Argo: with the destination cluster gone there is nothing to delete or run; let it go.
      void this.opts.events?.record(app, "Warning", "DeletionError", `${err.message}; skipping resource deletion`);
      await this.opts.client.patch(ref, { metadata: { finalizers: finalizers.filter((f) => !ours.has(f)), resourceVersion: app.metadata.resourceVersion } });
      return {};
    }

    if (!this.projectOf(app)) {
      // Fail closed: without the project nothing says which live objects are the app's to delete.
      const message = `${missingProjectMessage(app.spec.project || "default")}; resources are not deleted until it exists (or the finalizer is removed)`;
      const prev = (app.status as AppStatus | undefined)?.conditions ?? [];
      const conditions = setConditions(prev, [{ type: ApplicationConditionType.DeletionError, message }], [ApplicationConditionType.DeletionError]);
      if (!deepEqual(prev, conditions)) {
        await patchStatus(this.opts.client, app, { ...(app.status as AppStatus), conditions });
        void this.opts.events?.record(app, "Warning", "DeletionError", message);
      }
      return { requeueAfterMs: ERROR_REQUEUE_MS };
    }

    // Delete hooks come from the current render; plain cascade deletion needs only the live state.
    const settings = this.settings();
    let hooks: ReturnType<typeof deleteHooks> | undefined;
    let renderError: string | undefined;
    if (finalizers.includes(FINALIZER_PRE_DELETE) || finalizers.includes(FINALIZER_POST_DELETE)) {
      try {
        const rendered = await this.render(app, dest);
        const isNamespaced = await this.namespacedLookup(dest, rendered.manifests);
        const prepared = rendered.manifests.map((m) => prepareTarget(nameDeleteHook(m, app.metadata.uid ?? ""), {
          destinationNamespace: app.spec.destination?.namespace ?? "", isNamespaced, trackingKey: this.trackingKeyOf(app),
          trackingMethod: settings.trackingMethod, instanceLabelKey: settings.instanceLabelKey, installationID: settings.installationID,
        }));
        const found = deleteHooks(prepared);
        // Delete hooks are created like sync tasks, so they pass the same project checks first.
        const invalid = invalidSyncTasks({
          targets: [...found.preDelete, ...found.postDelete], isNamespaced, projectName: app.spec.project || "default",
          project: this.projectOf(app)?.spec, destination: { server: dest.cluster.server, name: dest.cluster.name },
          clusterAdmits: (ns) => clusterAdmits(dest.cluster, ns),
        });
        if (invalid.length > 0) renderError = `one or more synchronization tasks are not valid: ${invalid.join("; ")}`;
        else hooks = found;
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        renderError = redact(errorMessage(err));
      }
    }
    const kinds = [
      ...statusKinds(app),
      ...[...(hooks?.preDelete ?? []), ...(hooks?.postDelete ?? [])].map((h) => ({ apiVersion: h.apiVersion, kind: h.kind })),
    ];
    const live = await this.liveObjects(dest, app, kinds, ctx.signal);
    const override = this.healthOverride(settings);
    const step = nextDeletionStep({
      finalizers, hooks, renderError, live,
      appSyncOptions: parseSyncOptions(app.spec.syncPolicy?.syncOptions).options,
      approvedAt: app.metadata.annotations?.[ANNOTATION_DELETION_APPROVED],
      deletionRequestedAt: app.metadata.deletionTimestamp ?? "",
      health: (o) => evaluateResourceHealth(o, override).health,
    });
    const limiter = this.limiterFor(dest);
    await Promise.all([
      ...step.create.map((o) => limiter.run(() => dest.client.apply(o, { fieldManager: FIELD_MANAGER, force: true }))),
      ...step.delete.map(({ obj, propagationPolicy }) => limiter.run(async () => {
        try {
          await dest.client.delete({ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name!, namespace: obj.metadata.namespace }, { propagationPolicy });
        } catch (err) {
          if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
        }
      })),
    ]);

    // A failure, or a wait that has gone on for a while, is said on the Application.
    const waitedMs = Date.now() - Date.parse(app.metadata.deletionTimestamp ?? new Date().toISOString());
    const stuck = step.error ?? (step.waitingFor.length > 0 && waitedMs > STUCK_DELETION_MS
      ? `Application deletion is waiting for ${step.waitingFor.slice(0, 5).join("; ")}${step.waitingFor.length > 5 ? ` and ${step.waitingFor.length - 5} more` : ""}`
      : undefined);
    const prev = (app.status as AppStatus | undefined)?.conditions ?? [];
    const conditions = setConditions(prev, stuck ? [{ type: ApplicationConditionType.DeletionError, message: stuck }] : [], [ApplicationConditionType.DeletionError]);
    if (!deepEqual(prev, conditions)) {
      await patchStatus(this.opts.client, app, { ...(app.status as AppStatus), conditions });
      if (step.error) void this.opts.events?.record(app, "Warning", "DeletionError", step.error);
    }
    if (step.removeFinalizer) {
      // A JSON patch that tests the list first: a concurrent change to finalizers fails it cleanly.
      const current = app.metadata.finalizers ?? [];
      await this.opts.client.patch(ref, [
        { op: "test", path: "/metadata/finalizers", value: current },
        { op: "replace", path: "/metadata/finalizers", value: current.filter((f) => f !== step.removeFinalizer) },
      ], { type: "json" });
      const uid = app.metadata.uid ?? "";
      this.removedFinalizers.set(uid, new Set([...(this.removedFinalizers.get(uid) ?? []), step.removeFinalizer]));
      ctx.log.info("deletion stage complete; finalizer removed", { application: app.metadata.name, stage: step.stage, finalizer: step.removeFinalizer });
      return {};
    }
    if (step.stage === undefined) return {};
    ctx.log.info("deleting the Application", { application: app.metadata.name, stage: step.stage, created: step.create.length, deleted: step.delete.length, waiting: step.waitingFor.length, error: step.error });
    return { requeueAfterMs: step.error ? 10_000 : 2_000 };
  }

  // ---- operations ----

  private async persistOperationState(app: ApplicationObject, state: OperationState, extra: Partial<AppStatus> = {}): Promise<void> {
    if (state.phase === "Running") {
      // A terminate request (status phase Terminating) may have arrived since this step read the
      // cache; writing Running over it would lose it, so look at the stored phase first.
      const fresh = await this.opts.client.get(ARGO_API_VERSION, "Application", app.metadata.name!, app.metadata.namespace);
      if ((fresh?.status as AppStatus | undefined)?.operationState?.phase === "Terminating") state = { ...state, phase: "Terminating" };
    }
    const ref = { apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace };
    if (app.status) {
      // Written whole: a merge patch keeps keys the new state no longer has (an earlier operation's
      // retryCount or sync.resources subset, a failed attempt's results that make a retry fail at once).
      const ops = Object.entries({ operationState: state, ...extra })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => ({ op: "add", path: `/status/${k}`, value: v }));
      await this.opts.client.patch(ref, ops, { type: "json", subresource: "status" });
      return;
    }
    await this.opts.client.patch(ref, { status: { operationState: state, ...extra } }, { type: "merge", subresource: "status" });
  }

  /**
   * Ends an operation: `.operation` is cleared first, then the final state is written. A crash in
   * between leaves a Running state without `.operation`, which the next reconcile resumes and
   * finishes; the other order would leave a finished state beside a `.operation` that looks
   * exactly like a user asking for the same sync again.
   */
  private async finishOperation(app: ApplicationObject, state: OperationState, extra: Partial<AppStatus> = {}): Promise<void> {
    await this.opts.client.patch({ apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace }, { operation: null });
    await this.persistOperationState(app, state, extra);
  }

  private async reconcileOperation(ctx: ReconcileContext): Promise<ReconcileResult> {
    const app = this.apps.get(ctx.key);
    if (!app || app.metadata.deletionTimestamp) return {};
    const status = (app.status ?? {}) as AppStatus;
    let state = status.operationState;
    const operation = app.operation as Operation | undefined;
    const now = new Date().toISOString();
    const running = state?.phase === "Running" || state?.phase === "Terminating";
    if (!operation && !running) return {};
    if (operation && !running) {
      state = { operation, phase: "Running", message: "", startedAt: now };
      void this.opts.events?.record(app, "Normal", "OperationStarted", `Initiated ${operation.initiatedBy?.automated ? "automated " : ""}sync to ${operation.sync?.revision ?? "HEAD"}`);
    }
    if (!state?.operation.sync) return {};
    const syncOp = state.operation.sync;

    // The commit is fixed at the start of the operation, so every step syncs the same revision.
    const isSha = (r: string | undefined): r is string => !!r && /^[0-9a-f]{40}$/.test(r);
    const pinned = state.syncResult?.revision || (isSha(syncOp.revision) ? syncOp.revision : undefined);
    // A rollback (or any sync naming its own source) renders that source instead of the spec's.
    const opApp: ApplicationObject = syncOp.sources && syncOp.sources.length > 0
      ? { ...app, spec: { ...app.spec, source: undefined, sources: syncOp.sources } }
      : syncOp.source ? { ...app, spec: { ...app.spec, source: syncOp.source, sources: undefined } } : app;
    const multiOp = (opApp.spec.sources?.length ?? 0) > 0;
    const pinnedRevisions: Array<string | undefined> | undefined = multiOp
      ? (state.syncResult?.revisions ?? syncOp.revisions?.map((r) => (isSha(r) ? r : undefined)))
      : pinned ? [pinned] : syncOp.revision ? [syncOp.revision] : undefined;
    // Every pass re-checks the spec and the operation's own sources against the project as it is
    // now: a missing project, a source or destination it does not allow, ends the operation
    // before anything is rendered or written (a rollback or a RollingSync step included).
    const refused = this.operationRefusal(opApp);
    if (refused) {
      const failed: OperationState = { ...state, phase: "Error", message: refused, finishedAt: now };
      await this.finishOperation(app, failed);
      void this.opts.events?.record(app, "Warning", "OperationCompleted", `Sync operation failed: ${refused}`);
      ctx.log.warn("operation refused", { application: app.metadata.name, reason: refused });
      this.refresh.enqueue(ctx.key);
      return {};
    }
    let dest: Destination;
    let rendered: RenderOutput;
    let cmp: CompareResult;
    try {
      dest = this.destination(app);
      rendered = await this.render(opApp, dest, pinnedRevisions);
      cmp = await this.compare(app, dest, rendered, ctx.signal);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      // Nothing was applied in this step; the operation ends with the reason, as Argo's does.
      const message = redact(errorMessage(err));
      const failed: OperationState = { ...state, phase: "Error", message: `ComparisonError: ${message}`, finishedAt: now };
      await this.finishOperation(app, failed);
      return {};
    }
    const cache = dest.cache;
    const target = cmp.prepared.filter((o) => !o.metadata.deletionTimestamp);
    const live = cmp.resources.filter((r) => r.live).map((r) => r.live!);
    const destNs = app.spec.destination?.namespace ?? "";
    let liveNamespace: KubeObject | undefined;
    if (destNs) {
      await cache.ensureKind("v1", "Namespace", ctx.signal);
      liveNamespace = cache.get("v1", "Namespace", undefined, destNs);
    }
    const isNamespaced = await this.namespacedLookup(dest, [...target, ...live]);
    const projectName = app.spec.project || "default";
    const invalid = invalidSyncTasks({
      targets: target, isNamespaced, projectName,
      project: this.projectOf(app)?.spec,
      destination: { server: dest.cluster.server, name: dest.cluster.name },
      clusterAdmits: (ns) => clusterAdmits(dest.cluster, ns),
      failOnSharedResource: parseSyncOptions(app.spec.syncPolicy?.syncOptions).options.failOnSharedResource === true
        || parseSyncOptions(syncOp.syncOptions).options.failOnSharedResource === true,
      trackingKey: this.trackingKeyOf(app),
      trackedByOther: (o) => {
        const liveObj = cache.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name ?? "");
        const s = this.settings();
        return liveObj ? managingApp(liveObj, s.trackingMethod, s.instanceLabelKey, s.installationID) : undefined;
      },
    });
    if (invalid.length > 0) {
      // Argo's wording; nothing has been applied by this step.
      const failed: OperationState = { ...state, phase: "Failed", message: `one or more synchronization tasks are not valid: ${invalid.join("; ")}`, finishedAt: now };
      await this.finishOperation(app, failed);
      void this.opts.events?.record(app, "Warning", "OperationCompleted", failed.message ?? "");
      this.refresh.enqueue(ctx.key);
      return {};
    }
    const outOfSync = new Set(cmp.statuses.filter((s) => s.status !== "Synced").map((s) => `${s.group}/${s.kind}/${s.namespace ?? ""}/${s.name}`));
    let plan;
    try {
      plan = buildSyncPlan({
        target, live,
        appSyncOptions: app.spec.syncPolicy?.syncOptions,
        operation: syncOp,
        revision: rendered.revisions[0] ?? "",
        startedAt: state.startedAt,
        destinationNamespace: destNs,
        liveNamespace,
        managedNamespaceMetadata: (app.spec.syncPolicy as Application["spec"]["syncPolicy"])?.managedNamespaceMetadata,
        isNamespaced: (group, kind) => {
          const o = [...target, ...live].find((x) => splitApiVersion(x.apiVersion).group === group && x.kind === kind);
          return o ? isNamespaced(o.apiVersion, o.kind) : undefined;
        },
        isOutOfSync: (ref) => outOfSync.has(resourceRefKey(ref)),
      });
    } catch (err) {
      const failed: OperationState = { ...state, phase: "Failed", message: redact(errorMessage(err)), finishedAt: now };
      await this.finishOperation(app, failed);
      return {};
    }
    state.syncResult ??= multiOp
      ? { revision: plan.revision, revisions: rendered.revisions, sources: opApp.spec.sources as ApplicationSource[] }
      : { revision: plan.revision, source: opApp.spec.source as ApplicationSource };
    state.syncResult.revision ||= plan.revision;

    // What is running now, as the health engine sees it in the live cache.
    const settings = this.settings();
    const override = this.healthOverride(settings);
    const observations = new Map<string, Observation>();
    // Observe what the plan touches and what earlier steps started (a task can leave the plan
    // once done, e.g. the managed namespace once it exists, while its result still waits).
    const refs = [
      ...plan.tasks.map((t) => ({ ref: t.ref, version: t.version })),
      ...(state.syncResult?.resources ?? []).map((r) => ({ ref: { group: r.group ?? "", kind: r.kind ?? "", namespace: r.namespace ?? "", name: r.name ?? "" }, version: r.version ?? "v1" })),
    ];
    for (const { ref, version } of refs) {
      const key = resourceRefKey(ref);
      if (observations.has(key)) continue;
      const apiVersion = ref.group ? `${ref.group}/${version}` : version;
      if (!cache.isWatched(apiVersion, ref.kind)) {
        try {
          await cache.ensureKind(apiVersion, ref.kind, ctx.signal);
        } catch (err) {
          if (!(err instanceof UnknownKindError)) throw err;
        }
      }
      const obj = cache.get(apiVersion, ref.kind, ref.namespace || undefined, ref.name);
      if (!obj) {
        observations.set(key, { exists: false });
        continue;
      }
      const h = evaluateResourceHealth(obj, override).health;
      observations.set(key, h ? { exists: true, health: h.status, message: h.message } : { exists: true });
    }
    // Only an approval given since this operation started confirms its prunes: a stale one does not.
    const pruneConfirmed = deletionApproved(app.metadata.annotations?.[ANNOTATION_DELETION_APPROVED], state.startedAt);
    const step = nextSyncStep(plan, state, observations, { now, waveDelayMs: this.opts.waveDelayMs, pruneConfirmed });
    if (step.validation && step.validation.length > 0) {
      // First pass: a dry run of every task before anything is applied (Argo's rule). Objects in
      // a namespace this sync creates cannot be dry-run yet; the apply reports their errors.
      const created = new Set(plan.tasks.filter((t) => t.ref.kind === "Namespace" && !t.live && (t.managedNamespace || !liveNamespaceExists(cache, t.ref.name))).map((t) => t.ref.name));
      const checks = step.validation.filter((a) => !(a.ref.namespace && created.has(a.ref.namespace)));
      const results = await executeActions(dest.client, checks, this.limiterFor(dest), () => undefined);
      const failures = results.filter((o) => !o.ok).map((o) => ({ taskId: o.taskId, message: o.message ?? "dry run failed" }));
      if (failures.length > 0) {
        const failed = recordValidationFailure(plan, state, failures, now);
        ctx.log.info("sync dry run failed", { application: app.metadata.name, failures: failures.length });
        // A failed dry run is a failed attempt like any other: Argo retries it too.
        const retrying = await this.retryLater(app, failed);
        if (retrying) return retrying;
        await this.finishOperation(app, failed);
        void this.opts.events?.record(app, "Warning", "OperationCompleted", `Sync operation failed: ${failed.message ?? ""}`);
        this.refresh.enqueue(ctx.key);
        return {};
      }
    }
    const outcomes = step.actions.length > 0
      ? await executeActions(dest.client, step.actions, this.limiterFor(dest), (a) => cache.get(a.ref.group ? `${a.ref.group}/${a.version}` : a.version, a.ref.kind, a.ref.namespace || undefined, a.ref.name))
      : [];
    const next = recordActionOutcomes(step.state, outcomes);
    // Which (phase, wave) steps this pass acted on: crash-recovery tests read these lines.
    const taskSteps = new Map(plan.tasks.map((t) => [t.id, `${t.phase}/${t.wave}`]));
    const steps = [...new Set(step.actions.map((a) => taskSteps.get(a.taskId)).filter((x): x is string => !!x))];
    ctx.log.info("sync step", {
      application: app.metadata.name, revision: next.syncResult?.revision, startedAt: next.startedAt, decision: step.decision,
      steps, actions: step.actions.length, failed: outcomes.filter((o) => !o.ok).length, phase: next.phase,
    });

    const finished = next.phase === "Succeeded" || next.phase === "Failed" || next.phase === "Error";
    if (!finished) {
      await this.persistOperationState(app, next);
      return { requeueAfterMs: step.requeueAfterMs ?? 1000 };
    }
    const extra: Partial<AppStatus> = {};
    if (next.phase === "Succeeded" && !syncOp.dryRun) {
      const history = [...(status.history ?? [])] as RevisionHistory[];
      const id = history.reduce((m, h) => Math.max(m, h.id), -1) + 1;
      const entry: RevisionHistory = { id, deployedAt: now, deployStartedAt: next.startedAt, initiatedBy: next.operation.initiatedBy };
      if (multiOp) {
        entry.revisions = rendered.revisions;
        entry.sources = opApp.spec.sources as ApplicationSource[];
      } else {
        entry.revision = rendered.revisions[0];
        entry.source = opApp.spec.source as ApplicationSource;
      }
      history.push(entry);
      const limit = typeof app.spec.revisionHistoryLimit === "number" ? app.spec.revisionHistoryLimit : 10;
      extra.history = history.slice(Math.max(0, history.length - limit));
    }
    const retrying = await this.retryLater(app, next);
    if (retrying) return retrying;
    await this.finishOperation(app, next, extra);
    void this.opts.events?.record(app, next.phase === "Succeeded" ? "Normal" : "Warning", "OperationCompleted", `Sync operation to ${next.syncResult?.revision ?? ""} ${next.phase === "Succeeded" ? "succeeded" : `failed: ${next.message ?? ""}`}`);
    this.refresh.enqueue(ctx.key);
    return {};
  }

  /**
   * Why an operation may not run now, in Argo's words (its sync's "Failed to load application
   * project" and the InvalidSpecError conditions it refuses on), or undefined when it may.
   */
  private operationRefusal(opApp: ApplicationObject): string | undefined {
    const projectName = opApp.spec.project || "default";
    if (!this.projectOf(opApp)) return missingProjectMessage(projectName);
    const problems = validateSpec(opApp, (name) => this.projects.get(`${this.opts.namespace}/${name}`), (d) => this.clusters.resolve(d));
    return problems.length > 0 ? problems.map((p) => `${ApplicationConditionType.InvalidSpecError}: ${p}`).join(";") : undefined;
  }

  /** A failed attempt with retries left: keep `.operation` and start again after the backoff, counting the attempt. */
  private async retryLater(app: ApplicationObject, failed: OperationState): Promise<ReconcileResult | undefined> {
    const retry = nextRetry(failed);
    if (!retry.retry) return undefined;
    const next: OperationState = { ...failed, phase: "Running", retryCount: retry.retryCount, message: `${failed.message ?? ""} (${retry.reason} in ${Math.max(0, Math.round((retry.retryAtMs! - Date.now()) / 1000))} s)` };
    delete next.finishedAt;
    if (next.syncResult) {
      const { resources: _dropped, ...pinnedResult } = next.syncResult;
      next.syncResult = pinnedResult;
    }
    await this.persistOperationState(app, next);
    return { requeueAfterMs: Math.max(0, retry.retryAtMs! - Date.now()) };
  }

  /** The rendered manifests, for tests and the CLI. */
  static manifestsOf(r: RenderOutput): Manifest[] { return r.manifests; }
}
