// The refresh reconciler (`application-refresh` queue, statusProcessors workers): validates an
// Application, renders its target, compares it with the live state through the app-state pipeline
// and writes the refresh-owned part of its status when that changed. It starts an automated sync
// in that same status write, as a Running operationState the operation reconciler then runs, and
// hands apps being deleted to the deletion reconciler. At a sync's end the operation reconciler
// runs this same refresh (refreshWith), whose one write then also records the operation's end. Nothing is pruned or changed when git,
// rendering or the cluster fails: the status says why and the previous resources stay.
import {
  ANNOTATION_REFRESH,
  ANNOTATION_SKIP_RECONCILE,
  ANNOTATION_TRACKING_ID,
  ARGO_API_VERSION,
} from "../../api/annotations.js";
import { ApplicationConditionType, setConditions, type ApplicationCondition } from "../../api/conditions.js";
import type { Application, ApplicationSource, AppProjectSpec, OperationState } from "../../api/index.js";
import type { CompareResult } from "../../appstate/compare.js";
import { SignatureVerificationError } from "../../appstate/signatures.js";
import type { ApplicationObject } from "../../appstate/types.js";
import { validateApplication } from "../../appstate/validate.js";
import { findOrphans, orphanedMessage } from "../../engine/orphans.js";
import { syncWindowVerdict } from "../../engine/syncwindows.js";
import { describeObject, parseSyncOptions, resourceSyncOptions } from "../../engine/sync/annotations.js";
import { autoSyncEnabled, shouldAutoSync, DEFAULT_SELF_HEAL_BACKOFF } from "../../engine/sync/autosync.js";
import { deleteHookFinalizers } from "../../engine/sync/deletion.js";
import { startOperation } from "../../engine/sync/operation.js";
import { KubeApiError, type KubeObject } from "../../kube/client.js";
import { patchStatus } from "../../kube/status-writer.js";
import type { RenderOutput } from "../../render/index.js";
import { WaitingError, type ReconcileContext, type ReconcileResult } from "../../runtime/reconciler.js";
import { redact } from "../../runtime/redact.js";
import { deepEqual, errorMessage } from "../../util/index.js";
import type { AppContext } from "./context.js";
import type { DeletionReconciler } from "./deletion.js";
import type { Destination } from "./destinations.js";

/** How many resource sync-option warnings one condition lists. */
const MAX_LISTED_WARNINGS = 10;

type AppStatus = NonNullable<Application["status"]>;

/** How soon a failed comparison is tried again, at most. */
const ERROR_REQUEUE_MS = 30_000;
/** How soon a refresh whose sync start met a newer Application (409) looks again, once its cache has it. */
const CONFLICT_REQUEUE_MS = 250;

/**
 * Whether this refresh is the periodic hard one (argocd-cm timeout.hard.reconciliation), and how
 * soon the next is due. `lastHardMs` is undefined for an app not seen since start-up: that first
 * refresh starts the clock, since its render cache and ref listings are empty anyway.
 */
export function periodicHardRefresh(lastHardMs: number | undefined, nowMs: number, intervalMs: number): { hard: boolean; dueInMs?: number } {
  if (intervalMs <= 0) return { hard: false };
  if (lastHardMs === undefined) return { hard: false, dueInMs: intervalMs };
  const elapsed = nowMs - lastHardMs;
  return elapsed >= intervalMs ? { hard: true, dueInMs: intervalMs } : { hard: false, dueInMs: intervalMs - elapsed };
}

/** An operation's end, written by the refresh of its last pass (RefreshReconciler.refreshWith). */
export interface FinishingOperation {
  operationState: OperationState;
  /** The history with this operation's entry, when it adds one. */
  history?: AppStatus["history"];
  /** Set once the status write carrying it was made. */
  written?: boolean;
}

type StatusPatch = [body: unknown, opts: { type: "json" | "merge"; subresource: "status" }];

/**
 * The one status write of an operation's end and the comparison after it. `stored` is the status
 * as cached, `base` the refresh-owned part as last written, `next` what it becomes. A JSON patch:
 * the operation's state is replaced whole (a merge would keep keys of an earlier attempt, see
 * operation.ts), the history gets the new entry appended (or is replaced when entries were
 * dropped), and of the refresh-owned part only the fields that changed are sent. Without a status
 * at all it is a merge patch of everything.
 */
export function foldedStatusPatch(stored: AppStatus | undefined, base: Record<string, unknown>, next: Record<string, unknown>, finishing: FinishingOperation): StatusPatch {
  if (!stored) {
    return [{ status: { ...next, operationState: finishing.operationState, ...(finishing.history ? { history: finishing.history } : {}) } }, { type: "merge", subresource: "status" }];
  }
  const ops: Array<{ op: "add" | "remove"; path: string; value?: unknown }> = [];
  for (const key of new Set([...Object.keys(base), ...Object.keys(next)])) {
    if (next[key] === undefined) {
      if (base[key] !== undefined) ops.push({ op: "remove", path: `/status/${key}` });
    } else if (!deepEqual(base[key], next[key])) {
      ops.push({ op: "add", path: `/status/${key}`, value: next[key] });
    }
  }
  ops.push({ op: "add", path: "/status/operationState", value: finishing.operationState });
  const history = finishing.history;
  if (history) {
    const before = stored.history ?? [];
    const appended = before.length > 0 && history.length === before.length + 1 && deepEqual(history.slice(0, -1), before);
    ops.push(appended ? { op: "add", path: "/status/history/-", value: history[history.length - 1] } : { op: "add", path: "/status/history", value: history });
  }
  return [ops, { type: "json", subresource: "status" }];
}

/**
 * The Events of a status write, in Argo's words (persistAppStatus): one per change of the sync
 * status and of the health status, the first sight of an app included (from nothing: "Updated
 * sync status:  -> OutOfSync", with Argo's two spaces). A health this write does not set is no
 * transition.
 */
export function statusTransitionMessages(previous: AppStatus | undefined, next: AppStatus): string[] {
  const messages: string[] = [];
  const [syncBefore, syncAfter] = [previous?.sync?.status ?? "", next.sync?.status ?? ""];
  if (syncAfter && syncBefore !== syncAfter) messages.push(`Updated sync status: ${syncBefore} -> ${syncAfter}`);
  const [healthBefore, healthAfter] = [previous?.health?.status ?? "", next.health?.status ?? ""];
  if (healthAfter && healthBefore !== healthAfter) messages.push(`Updated health status: ${healthBefore} -> ${healthAfter}`);
  return messages;
}

export class RefreshReconciler {
  private readonly reconciledGeneration = new Map<string, number>();
  /** The refresh-owned status this reconciler last wrote, by app uid (see writeStatus). */
  private readonly lastRefreshStatus = new Map<string, Record<string, unknown>>();
  /** When each app's last hard refresh (or first refresh since start-up) began, by uid. */
  private readonly lastHardRefresh = new Map<string, number>();

  constructor(private readonly env: AppContext, private readonly deletion: DeletionReconciler, private readonly clock: () => number = Date.now) {}

  /** The app is gone: drop what was remembered about it. */
  forget(uid: string): void {
    this.reconciledGeneration.delete(uid);
    this.lastRefreshStatus.delete(uid);
    this.lastHardRefresh.delete(uid);
  }

  async reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    // While an operation pass runs on the app, its refresh waits: that pass ends by refreshing
    // the app itself (refreshWith) or by asking for this refresh again (context.ts AppPasses).
    const release = this.env.passes.startRefresh(ctx.key);
    if (!release) {
      ctx.log.debug("refresh deferred until the operation's pass ends", { application: ctx.key });
      return {};
    }
    try {
      const app = this.env.apps.get(ctx.key);
      if (!app) return {};
      if (app.metadata.annotations?.[ANNOTATION_SKIP_RECONCILE] === "true") return {};
      if (app.metadata.deletionTimestamp) return await this.deletion.reconcile(ctx, app);
      return await this.refreshApp(ctx, app);
    } finally {
      release();
    }
  }

  /**
   * The refresh of an operation's last pass: the comparison after the sync is written in the same
   * status write as the operation's end (`finishing`: its final state and history), so a sync
   * costs one write at its start and one at its end. Called by the operation reconciler within its
   * pass, with `app` as it last wrote it. Returns whether that write was made; when not (the app
   * is not to be refreshed now, or the comparison or the write failed before it), the caller
   * writes the operation's end alone and the next refresh compares.
   */
  async refreshWith(ctx: ReconcileContext, app: ApplicationObject, finishing: FinishingOperation): Promise<boolean> {
    if (app.metadata.annotations?.[ANNOTATION_SKIP_RECONCILE] === "true" || app.metadata.deletionTimestamp) return false;
    try {
      await this.refreshApp(ctx, app, finishing);
    } catch (err) {
      if (ctx.signal.aborted && !finishing.written) throw err;
      // Written before it threw (a comparison error is written, then retried): the end is recorded.
      if (!finishing.written) ctx.log.warn("the status after the sync could not be written with the operation's end; writing the end alone", { application: app.metadata.name, error: redact(errorMessage(err)) });
    }
    return finishing.written === true;
  }

  private async refreshApp(ctx: ReconcileContext, app: ApplicationObject, finishing?: FinishingOperation): Promise<ReconcileResult> {
    const requested = app.metadata.annotations?.[ANNOTATION_REFRESH];
    const uid = app.metadata.uid ?? "";
    const nowMs = this.clock();
    // The operation's own refresh is never the periodic hard one (that is the refresh loop's clock).
    const periodicHard = finishing ? { hard: false } : periodicHardRefresh(this.lastHardRefresh.get(uid), nowMs, this.hardResyncMs());
    const refreshKind = requested === "hard" || periodicHard.hard ? "hard" : requested ? "normal" : undefined;
    if (!finishing && (refreshKind === "hard" || !this.lastHardRefresh.has(uid))) this.lastHardRefresh.set(uid, nowMs);
    if (periodicHard.hard) ctx.log.debug("hard refresh: timeout.hard.reconciliation expired", { application: app.metadata.name });
    // The version an automated sync's start is conditional on (writeStatus): the cached one, moved
    // past this pass's own metadata writes when they show the operation and status as cached.
    let startVersion = app.metadata.resourceVersion;
    const ownWrite = (written: KubeObject): void => {
      if (deepEqual(written.operation, app.operation) && deepEqual(written.status, app.status)) startVersion = written.metadata.resourceVersion;
    };
    if (requested) {
      // An asked-for refresh must see a commit pushed just now, not a ref listing cached seconds ago.
      for (const s of app.spec.sources?.length ? app.spec.sources : app.spec.source ? [app.spec.source] : []) {
        if (s.repoURL) this.env.reposOf(app)?.invalidate?.(s.repoURL);
      }
    }

    const now = new Date().toISOString();
    const validated = validateApplication({
      app, project: (name) => this.env.project(name), controllerNamespace: this.env.opts.namespace, now: () => now,
      resolveDestination: (d) => this.env.clusters.resolve(d),
      clusters: () => this.env.clusters.list(),
      trackingMethod: this.env.settings.get().argo.trackingMethod,
      globalProjectsError: this.env.settings.get().argo.globalProjectsError,
    });
    for (const c of validated.newErrors) void this.env.opts.events?.record(app, "Warning", c.type, c.message);
    const status: AppStatus = { ...(validated.status as AppStatus) };
    const invalid = (validated.status.conditions ?? []).some((c) => c.type === ApplicationConditionType.InvalidSpecError);
    const evaluated = [ApplicationConditionType.OrphanedResourceWarning, ApplicationConditionType.ComparisonError, ApplicationConditionType.SyncOptionWarning, "RepeatedResourceWarning", ApplicationConditionType.ExcludedResourceWarning, ApplicationConditionType.SyncError, ApplicationConditionType.SharedResourceWarning];
    const conditions: ApplicationCondition[] = [];
    // The next periodic hard refresh must come even when the normal resync is off or longer.
    const resync = this.resyncDelay(app);
    const hardDue = refreshKind === "hard" ? this.hardResyncMs() || undefined : periodicHard.dueInMs;
    const requeue = hardDue === undefined ? resync : Math.min(resync ?? Infinity, hardDue);
    let startConflict = false;
    // What this loop last wrote, when it wrote since start-up: the cache may not show that write yet,
    // and a health transition (or an Event) measured against the cache would then be counted twice.
    const previous = (this.lastRefreshStatus.get(uid) ?? app.status) as AppStatus | undefined;
    const done = async (extra: Partial<AppStatus>, requeueAfterMs = requeue, start?: OperationState): Promise<ReconcileResult> => {
      const merged: AppStatus = { ...status, ...extra };
      const next = setConditions(status.conditions, conditions, evaluated, () => now);
      if (next.length > 0) merged.conditions = next;
      else delete merged.conditions;
      if (!(await this.writeStatus(ctx, app, merged, start && { state: start, resourceVersion: startVersion }, finishing))) {
        startConflict = true;
        return { requeueAfterMs: CONFLICT_REQUEUE_MS };
      }
      // After the write: a refused write is retried, and its transitions told then, once.
      for (const message of statusTransitionMessages(previous, merged)) void this.env.opts.events?.record(app, "Normal", "ResourceUpdated", message);
      // The request is cleared only once its answer is in the status, as Argo does: the API's
      // GET ?refresh= waits for the annotation to go and must then return the refreshed app.
      if (requested) await this.env.opts.client.patch({ apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace }, { metadata: { annotations: { [ANNOTATION_REFRESH]: null } } });
      return requeueAfterMs === undefined ? {} : { requeueAfterMs };
    };

    const optionWarnings = parseSyncOptions(app.spec.syncPolicy?.syncOptions).warnings;
    for (const w of optionWarnings) conditions.push({ type: ApplicationConditionType.SyncOptionWarning, message: w });
    if (invalid) {
      // Argo (processAppRefreshQueueItem) does not compare an app whose spec has errors: its sync
      // and health become Unknown, the rest (resources, last revision) stays and nothing is
      // applied or pruned. A health message would describe a comparison that did not happen.
      const prevSync = (app.status as AppStatus | undefined)?.sync;
      const since = previous?.health?.status === "Unknown" && previous.health.lastTransitionTime ? previous.health.lastTransitionTime : now;
      return done({ sync: { ...(prevSync ?? {}), status: "Unknown" }, health: { status: "Unknown", lastTransitionTime: since } });
    }
    if (!this.env.opts.repos) return done({});

    let dest: Destination;
    let rendered: RenderOutput;
    let cmp: CompareResult;
    let stage = "Failed to reach the destination cluster";
    try {
      dest = this.env.destination(app);
      stage = "Failed to load target state";
      rendered = await this.env.render(app, dest, undefined, refreshKind);
      stage = "Failed to load live state";
      cmp = await this.env.compare(app, dest, rendered, ctx.signal);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      // Nothing is pruned or changed when git, rendering or the cluster fails: the previous
      // resources stay, the sync status becomes Unknown and the condition says why.
      // A signature refusal is the whole story (Argo's own wording), not a loading failure.
      const message = err instanceof SignatureVerificationError ? err.message : `${stage}: ${redact(errorMessage(err))}`;
      conditions.push({ type: ApplicationConditionType.ComparisonError, message });
      ctx.log.warn("comparison failed", { application: app.metadata.name, stage, error: message });
      const prevSync = (app.status as AppStatus | undefined)?.sync;
      await done({ sync: { ...(prevSync ?? {}), status: "Unknown" } });
      throw new WaitingError(ApplicationConditionType.ComparisonError, message, Math.min(requeue ?? ERROR_REQUEUE_MS, ERROR_REQUEUE_MS));
    }
    for (const w of rendered.repeatedResourceWarnings) conditions.push({ type: "RepeatedResourceWarning", message: w });
    // A resource's sync-options annotation with an unknown or invalid entry: said before any sync.
    const resourceOptionWarnings = cmp.prepared.flatMap((obj) => resourceSyncOptions(obj).warnings.map((w) => `${describeObject(obj)}: ${w}`));
    if (resourceOptionWarnings.length > 0) {
      const shown = resourceOptionWarnings.slice(0, MAX_LISTED_WARNINGS);
      const more = resourceOptionWarnings.length - shown.length;
      conditions.push({ type: ApplicationConditionType.SyncOptionWarning, message: shown.join("; ") + (more > 0 ? `; and ${more} more` : "") });
    }
    // PreDelete/PostDelete hooks in git: the finalizers that will run them on deletion (Argo adds them too).
    const hookFinalizers = deleteHookFinalizers(cmp.prepared).filter((f) => !(app.metadata.finalizers ?? []).includes(f));
    if (hookFinalizers.length > 0) {
      ownWrite(await this.env.opts.client.patch(
        { apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace },
        { metadata: { finalizers: [...(app.metadata.finalizers ?? []), ...hookFinalizers], resourceVersion: app.metadata.resourceVersion } },
      ));
    }
    const orphans = this.orphans(app, dest);
    this.env.opts.metrics?.argo.setOrphans(ctx.key, orphans);
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
    const prevHealth = previous?.health;
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

    // Auto-sync: start an operation through the CR, so it is visible and resumable.
    let requeueAfterMs = requeue;
    let start: ReturnType<typeof startOperation> = {};
    if (autoSyncEnabled(app.spec.syncPolicy)) {
      // At an operation's end the decision reads the finished state (its SyncError condition is
      // then right in the same write); starting the next sync is left to the refresh that follows.
      const opState = finishing ? finishing.operationState : (app.status as AppStatus | undefined)?.operationState;
      const decision = shouldAutoSync({
        syncPolicy: app.spec.syncPolicy,
        operationInProgress: !finishing && (!!app.operation || opState?.phase === "Running" || opState?.phase === "Terminating"),
        deleting: false,
        syncStatus: cmp.syncStatus,
        revisions: rendered.revisions,
        source: app.spec.source as ApplicationSource | undefined,
        sources: app.spec.sources as ApplicationSource[] | undefined,
        resources: cmp.statuses,
        targetCount: rendered.manifests.length,
        lastOperation: opState,
        now: Date.now(),
        selfHealBackoff: this.env.opts.selfHealBackoff ?? DEFAULT_SELF_HEAL_BACKOFF,
        // The project's sync windows: an automated sync waits outside them (requeued when they open).
        syncWindow: syncWindowVerdict({
          windows: (this.env.projectOf(app)?.spec as AppProjectSpec | undefined)?.syncWindows,
          app: { name: app.metadata.name ?? "", namespace: app.metadata.namespace },
          destination: app.spec.destination ?? {},
          now: new Date(),
          kind: "automated",
        }),
      });
      if (decision.condition) conditions.push(decision.condition);
      if (decision.reason === "sync window" && decision.condition && !(app.status?.conditions ?? []).some((c) => c.message === decision.condition!.message)) {
        void this.env.opts.events?.record(app, "Normal", "SyncBlocked", decision.condition.message);
      }
      if (decision.sync && decision.operation && !finishing) {
        // Argo writes `.operation`, its controller copies it into a Running operationState and
        // clears it at the end: writes of their own, each also moving the generation (so another
        // status write). The Running state is what every reader (UI, CLI, metrics, the next
        // refresh) takes for "in progress" and what a restarted operator resumes, so it is
        // written here, with the comparison, before anything is applied.
        start = startOperation(decision.operation, undefined, now);
        ctx.log.info("starting automated sync", { application: app.metadata.name, reason: decision.reason });
      }
      if (decision.requeueAfterMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, decision.requeueAfterMs);
    }
    const result = await done(extra, requeueAfterMs, start.state);
    if (start.state && start.startedEvent && !startConflict) void this.env.opts.events?.record(app, "Normal", "OperationStarted", start.startedEvent);
    return result;
  }

  /** argocd-cm timeout.hard.reconciliation when set, else --app-hard-resync; 0 is off. */
  private hardResyncMs(): number {
    return this.env.settings.get().argo.hardReconciliationTimeoutMs ?? this.env.opts.hardResyncMs ?? 0;
  }

  private resyncDelay(app: ApplicationObject): number | undefined {
    const perApp = parseSyncOptions(app.spec.syncPolicy?.syncOptions).options.refreshIntervalMs;
    // argocd-cm timeout.reconciliation(.jitter), when set, take precedence over --app-resync(-jitter).
    const cm = this.env.settings.get().argo;
    const [resyncMs, jitterMs] = [cm.reconciliationTimeoutMs ?? this.env.opts.resyncMs, cm.reconciliationJitterMs ?? this.env.opts.resyncJitterMs];
    const periodic = resyncMs > 0 ? resyncMs + Math.floor(Math.random() * jitterMs) : undefined;
    if (perApp !== undefined && perApp > 0) return periodic === undefined ? perApp : Math.min(perApp, periodic);
    return periodic;
  }

  /**
   * How many orphaned resources the app's destination namespace holds, when its project asks for
   * warnings (`orphanedResources.warn`). Only kinds Hawser already watches on that cluster are
   * looked at; anything carrying tracking data (any app's, any instance's) is not an orphan.
   */
  private orphans(app: ApplicationObject, dest: Destination): number {
    const project = this.env.projectOf(app);
    const monitor = (project?.spec as AppProjectSpec | undefined)?.orphanedResources;
    const ns = app.spec.destination?.namespace;
    if (!monitor?.warn || !ns) return 0;
    const s = this.env.settings.get().argo;
    const tracked = (o: KubeObject): boolean => !!o.metadata.annotations?.[ANNOTATION_TRACKING_ID] || !!o.metadata.labels?.[s.instanceLabelKey];
    return findOrphans(dest.cache.inNamespace(ns), tracked, monitor.ignore ?? []).length;
  }

  /**
   * Writes the refresh-owned part of the status when it changed. The operation loop owns
   * `operationState` and `history`; they are never part of these patches (the cached copy may be
   * older than what that loop wrote). Changes are measured against what this loop last wrote,
   * not against the cache: a cache that has not seen our last write yet would otherwise make a
   * needed write look like a no-op and leave a stale status on the server.
   *
   * With `start` (an automated sync to begin), the same write also sets operationState, on the
   * condition that the Application is still the cached one (its resourceVersion, or the one this
   * pass's own metadata write left): only then is "no operation in progress", which the decision
   * read from the cache, true on the server too.
   * Returns false when it was not (409): nothing was written, and the caller looks again soon.
   */
  private async writeStatus(ctx: ReconcileContext, app: ApplicationObject, status: AppStatus, start?: { state: OperationState; resourceVersion: string | undefined }, finishing?: FinishingOperation): Promise<boolean> {
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
    if (finishing) {
      await this.env.opts.client.patch(
        { apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace },
        ...foldedStatusPatch(app.status as AppStatus | undefined, base, { ...next, reconciledAt: new Date().toISOString() }, finishing),
      );
      finishing.written = true;
      ctx.log.debug("status updated with the operation's end", { application: app.metadata.name });
    } else if (start) {
      // The precondition makes the cached status the server's, so the patch is taken from it:
      // the previous operation's state is replaced whole (a merge would keep its syncResult).
      const cached = (app.status ?? {}) as AppStatus;
      const target: Record<string, unknown> = { ...next, reconciledAt: new Date().toISOString(), operationState: start.state };
      if (cached.history !== undefined) target.history = cached.history;
      try {
        await patchStatus(this.env.opts.client, app, target, { resourceVersion: start.resourceVersion });
      } catch (err) {
        if (!(err instanceof KubeApiError && err.isConflict)) throw err;
        ctx.log.debug("the Application changed since it was read; the automated sync waits for the next look", { application: app.metadata.name });
        return false;
      }
      ctx.log.debug("status updated, automated sync started", { application: app.metadata.name });
    } else if (changed || newGeneration) {
      await patchStatus(this.env.opts.client, { ...app, status: base }, { ...next, reconciledAt: new Date().toISOString() });
      ctx.log.debug("status updated", { application: app.metadata.name });
    }
    this.lastRefreshStatus.set(uid, next);
    this.reconciledGeneration.set(uid, generation);
    return true;
  }
}
