// The operation reconciler (`application-operation` queue, operationProcessors workers): runs an
// Application's operation (a manual sync or rollback from `.operation`; an automated sync, which
// the refresh starts as a Running operationState) one resumable step at a time. Each pass
// re-checks the spec and project, renders the pinned revision, plans the sync (engine/sync/plan.ts),
// observes the live state, takes the next step (engine/sync/step.ts), carries out its actions
// (executor.ts) and persists status.operationState, so a crash mid-sync resumes where it stopped. A slow sync never blocks refreshes: they run on their own queue.
import { ARGO_API_VERSION } from "../../api/annotations.js";
import { ApplicationConditionType } from "../../api/conditions.js";
import type { Application, ApplicationSource, AppProjectSpec, Operation, OperationState } from "../../api/index.js";
import type { CompareResult } from "../../appstate/compare.js";
import { namespacedLookup } from "../../appstate/live.js";
import { healthOverrideFor } from "../../appstate/pipeline.js";
import type { ApplicationObject } from "../../appstate/types.js";
import { validateSpec } from "../../appstate/validate.js";
import { clusterAdmits } from "../../cluster/clusters.js";
import { evaluateResourceHealth } from "../../engine/health/index.js";
import { parseSyncOptions } from "../../engine/sync/annotations.js";
import { nextHistory, observationKinds, observationRefs, observeResources, operationSources, pruneConfirmed, retryOperation, retryWait, startOperation, unsupportedSyncFields } from "../../engine/sync/operation.js";
import { buildSyncPlan } from "../../engine/sync/plan.js";
import { respectIgnoreDifferencesInPlan } from "../../engine/sync/respect.js";
import { nextSyncStep, recordActionOutcomes, recordValidationFailure } from "../../engine/sync/step.js";
import { resourceRefKey } from "../../engine/sync/types.js";
import { invalidSyncTasks, missingProjectMessage } from "../../engine/sync/validate.js";
import { runningSyncVerdict, syncWindowVerdict, type SyncWindowVerdict, type SyncWindowVerdictInput } from "../../engine/syncwindows.js";
import { managingApp } from "../../engine/tracking.js";
import type { KubeObject } from "../../kube/client.js";
import { UnknownKindError } from "../../kube/discovery.js";
import type { RenderOutput } from "../../render/index.js";
import type { ReconcileContext, ReconcileResult } from "../../runtime/reconciler.js";
import { redact } from "../../runtime/redact.js";
import { errorMessage, splitApiVersion } from "../../util/index.js";
import type { AppContext } from "./context.js";
import type { Destination, DestinationCache } from "./destinations.js";
import { executeActions } from "./executor.js";
import { appQueueGroup } from "./queue-group.js";
import { countingClient } from "./request-metrics.js";
import { csaMigrationManager } from "../../engine/sync/csa-migration.js";
import type { RefreshReconciler } from "./refresh.js";

type AppStatus = NonNullable<Application["status"]>;

/** How often a sync blocked by a window looks again at most (a project edit may lift the block). */
const WINDOW_RECHECK_MS = 60_000;

function liveNamespaceExists(cache: DestinationCache, name: string): boolean {
  return cache.isWatched("v1", "Namespace") && cache.get("v1", "Namespace", undefined, name) !== undefined;
}

/** Where an operation's last pass writes its end together with the comparison after it (refresh.ts). */
export type StatusFolder = Pick<RefreshReconciler, "refreshWith">;

export class OperationReconciler {
  /** Without `status`, an operation's end is written alone and the refresh after it compares. */
  constructor(private readonly env: AppContext, private readonly status?: StatusFolder) {}

  private async persistOperationState(app: ApplicationObject, state: OperationState, extra: Partial<AppStatus> = {}): Promise<void> {
    if (state.phase === "Running") {
      // A terminate request (status phase Terminating) may have arrived since this step read the
      // cache; writing Running over it would lose it, so look at the stored phase first.
      const fresh = await this.env.opts.client.get(ARGO_API_VERSION, "Application", app.metadata.name!, app.metadata.namespace);
      if ((fresh?.status as AppStatus | undefined)?.operationState?.phase === "Terminating") state = { ...state, phase: "Terminating" };
    }
    const ref = { apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace };
    if (app.status) {
      // Written whole: a merge patch keeps keys the new state no longer has (an earlier operation's
      // retryCount or sync.resources subset, a failed attempt's results that make a retry fail at once).
      const ops = Object.entries({ operationState: state, ...extra })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => ({ op: "add", path: `/status/${k}`, value: v }));
      await this.env.opts.client.patch(ref, ops, { type: "json", subresource: "status" });
      return;
    }
    await this.env.opts.client.patch(ref, { status: { operationState: state, ...extra } }, { type: "merge", subresource: "status" });
  }

  /**
   * Ends an operation: `.operation` is cleared first, then the final state is written. A crash in
   * between leaves a Running state without `.operation`, which the next reconcile resumes and
   * finishes; the other order would leave a finished state beside a `.operation` that looks
   * exactly like a user asking for the same sync again. An automated sync never had one (the
   * refresh starts it as a Running state), so it ends with the one status write. With `fold` (an
   * operation that ran its steps), that write also carries the app's comparison as it is now
   * (refresh.ts refreshWith), so the refresh after the sync has nothing left to write; when that
   * comparison cannot be made, the state goes alone. Returns whether it was folded.
   */
  private async finishOperation(app: ApplicationObject, state: OperationState, extra: Partial<AppStatus> = {}, fold?: ReconcileContext): Promise<boolean> {
    let current = app;
    if (app.operation) {
      const cleared = await this.env.opts.client.patch<ApplicationObject>({ apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace }, { operation: null });
      // The response is the app as it now is (its generation moved): the refresh below reads it.
      if (cleared?.metadata && cleared.spec) current = cleared;
    }
    const folded = fold !== undefined && this.status !== undefined && await this.status.refreshWith(fold, current, { operationState: state, ...(extra.history ? { history: extra.history } : {}) });
    if (!folded) await this.persistOperationState(app, state, extra);
    this.countSync(app, state);
    return folded;
  }

  /** argocd_app_sync_total and argocd_app_sync_duration_seconds_total, once per finished operation, as Argo counts them. */
  private countSync(app: ApplicationObject, state: OperationState): void {
    const argo = this.env.opts.metrics?.argo;
    if (!argo) return;
    const labels = { namespace: app.metadata.namespace ?? "", name: app.metadata.name ?? "", project: app.spec.project || "default", dest_server: app.spec.destination?.server ?? "" };
    argo.appSyncTotal.inc({ ...labels, phase: state.phase, dry_run: String(state.operation.sync?.dryRun === true) });
    const seconds = (Date.parse(state.finishedAt ?? "") - Date.parse(state.startedAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) argo.appSyncDuration.inc(labels, seconds);
  }

  async reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    // No refresh of the app runs during the pass (context.ts AppPasses); one skipped meanwhile runs after it.
    const release = await this.env.passes.startOperation(ctx.key);
    try {
      return await this.runPass(ctx);
    } finally {
      if (release()) this.env.enqueueRefresh(ctx.key);
    }
  }

  private async runPass(ctx: ReconcileContext): Promise<ReconcileResult> {
    const app = this.env.apps.get(ctx.key);
    if (!app || app.metadata.deletionTimestamp) return {};
    const status = (app.status ?? {}) as AppStatus;
    const now = new Date().toISOString();
    // A copy: the step below fills in syncResult, and the informer's cached object must not change.
    const started = startOperation(app.operation as Operation | undefined, structuredClone(status.operationState), now);
    if (started.startedEvent) void this.env.opts.events?.record(app, "Normal", "OperationStarted", started.startedEvent);
    let state = started.state;
    if (!state) return {};
    // A failed attempt waiting for its retry (finishedAt + backoff, kept in the status so a restart
    // keeps the wait); once due, the retry begins by dropping finishedAt.
    const wait = retryWait(state, Date.now());
    if (wait && "waitMs" in wait) return { requeueAfterMs: wait.waitMs };
    if (wait) {
      state = wait.begin as typeof state;
      await this.persistOperationState(app, state);
    }
    const syncOp = state.operation.sync;
    // The commit is fixed at the start of the operation, so every step syncs the same revision; a
    // rollback (or any sync naming its own source) renders that source instead of the spec's.
    const { app: opApp, multiSource: multiOp, revisions: pinnedRevisions } = operationSources(app, state, syncOp);
    // Every pass re-checks the spec and the operation's own sources against the project as it is
    // now: a missing project, a source or destination it does not allow, ends the operation
    // before anything is rendered or written (a rollback or a RollingSync step included).
    const refused = unsupportedSyncFields(syncOp) ?? this.operationRefusal(opApp);
    if (refused) {
      const failed: OperationState = { ...state, phase: "Error", message: refused, finishedAt: now };
      await this.finishOperation(app, failed);
      void this.env.opts.events?.record(app, "Warning", "OperationCompleted", `Sync operation failed: ${refused}`);
      ctx.log.warn("operation refused", { application: app.metadata.name, reason: refused });
      this.env.enqueueRefresh(ctx.key);
      return {};
    }
    const blocked = this.syncWindowBlock(app, state, started.startedEvent !== undefined, now);
    if (blocked) {
      // As Argo: the operation is not cut; it stays Running, says why and goes on when the windows allow it.
      const message = `Sync operation blocked by sync window: ${blocked.message}`;
      if (started.startedEvent !== undefined || state.message !== message) {
        await this.persistOperationState(app, { ...state, message });
        void this.env.opts.events?.record(app, "Normal", "SyncBlocked", message);
        ctx.log.info("operation blocked by sync window", { application: app.metadata.name, reason: blocked.message });
      }
      const untilMs = blocked.nextChangeAt ? Math.max(0, blocked.nextChangeAt.getTime() - Date.parse(now)) : WINDOW_RECHECK_MS;
      // Looked at again at least every minute, so a project edit that removes the window is seen.
      return { requeueAfterMs: Math.min(untilMs, WINDOW_RECHECK_MS) };
    }
    let dest: Destination;
    let rendered: RenderOutput;
    let cmp: CompareResult;
    try {
      dest = this.env.destination(app);
      rendered = await this.env.render(opApp, dest, pinnedRevisions);
      cmp = await this.env.compare(app, dest, rendered, ctx.signal);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      // Nothing was applied in this step; the operation ends with the reason, as Argo's does.
      const message = redact(errorMessage(err));
      const failed: OperationState = { ...state, phase: "Error", message: `ComparisonError: ${message}`, finishedAt: now };
      await this.finishOperation(app, failed);
      return {};
    }
    // With impersonation on, every write of this sync goes as the project's service account; when
    // none matches, the operation ends here, before anything is applied (Argo's Error and message).
    const writer = this.env.syncWriter(app, dest);
    if (!writer.ok) {
      const failed: OperationState = { ...state, phase: "Error", message: writer.message, finishedAt: now };
      await this.finishOperation(app, failed);
      void this.env.opts.events?.record(app, "Warning", "OperationCompleted", `Sync operation failed: ${writer.message}`);
      ctx.log.warn("operation refused", { application: app.metadata.name, reason: writer.message });
      this.env.enqueueRefresh(ctx.key);
      return {};
    }
    // Every request this sync sends for the app is counted in argocd_app_k8s_request_total.
    const argo = this.env.opts.metrics?.argo;
    const syncClient = argo ? countingClient(writer.client, argo, app, dest.cluster.server) : writer.client;
    const cache = dest.cache;
    const target = cmp.prepared.filter((o) => !o.metadata.deletionTimestamp);
    const live = cmp.resources.filter((r) => r.live).map((r) => r.live!);
    const destNs = app.spec.destination?.namespace ?? "";
    let liveNamespace: KubeObject | undefined;
    if (destNs) {
      await cache.ensureKind("v1", "Namespace", ctx.signal);
      liveNamespace = cache.get("v1", "Namespace", undefined, destNs);
    }
    const isNamespaced = await namespacedLookup(dest.client, [...target, ...live]);
    const projectName = app.spec.project || "default";
    const invalid = invalidSyncTasks({
      targets: target, isNamespaced, projectName,
      project: this.env.projectOf(app)?.spec,
      destination: dest.cluster, clusters: this.env.clusters.list(),
      clusterAdmits: (ns) => clusterAdmits(dest.cluster, ns),
      failOnSharedResource: parseSyncOptions(app.spec.syncPolicy?.syncOptions).options.failOnSharedResource === true
        || parseSyncOptions(syncOp.syncOptions).options.failOnSharedResource === true,
      trackingKey: this.env.trackingKeyOf(app),
      trackedByOther: (o) => {
        const liveObj = cache.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name ?? "");
        const s = this.env.settings.get().argo;
        return liveObj ? managingApp(liveObj, s.trackingMethod, s.instanceLabelKey, s.installationID) : undefined;
      },
    });
    if (invalid.length > 0) {
      // Argo's wording; nothing has been applied by this step.
      const failed: OperationState = { ...state, phase: "Failed", message: `one or more synchronization tasks are not valid: ${invalid.join("; ")}`, finishedAt: now };
      await this.finishOperation(app, failed);
      void this.env.opts.events?.record(app, "Warning", "OperationCompleted", failed.message ?? "");
      this.env.enqueueRefresh(ctx.key);
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
    // RespectIgnoreDifferences=true: ignored fields keep their live values (a no-op without it).
    const respectWarnings = await respectIgnoreDifferencesInPlan(plan, {
      // The CRD schema has typed the entries, as for the comparison (appstate/pipeline.ts).
      ignoreDifferences: app.spec.ignoreDifferences as Application["spec"]["ignoreDifferences"],
      settings: this.env.settings.get().argo,
    });
    for (const w of respectWarnings) ctx.log.warn("ignoreDifferences rule skipped for the sync", { application: app.metadata.name, warning: redact(w) });
    state.syncResult ??= multiOp
      ? { revision: plan.revision, revisions: rendered.revisions, sources: opApp.spec.sources as ApplicationSource[] }
      : { revision: plan.revision, source: opApp.spec.source as ApplicationSource };
    state.syncResult.revision ||= plan.revision;

    // What is running now, as the health engine sees it in the live cache: what the plan touches
    // and what earlier steps started.
    const override = healthOverrideFor(this.env.settings.get(), this.env.opts.healthTrees);
    const refs = observationRefs(plan.tasks, state.syncResult.resources);
    for (const k of observationKinds(refs)) {
      if (cache.isWatched(k.apiVersion, k.kind)) continue;
      try {
        await cache.ensureKind(k.apiVersion, k.kind, ctx.signal);
      } catch (err) {
        if (!(err instanceof UnknownKindError)) throw err;
      }
    }
    const observations = observeResources(refs, (apiVersion, kind, ns, name) => cache.get(apiVersion, kind, ns, name), (o) => evaluateResourceHealth(o, override).health);
    // Only an approval given since this operation started confirms its prunes: a stale one does not.
    const step = nextSyncStep(plan, state, observations, { now, waveDelayMs: this.env.opts.waveDelayMs, pruneConfirmed: pruneConfirmed(app.metadata.annotations, state) });
    if (step.validation && step.validation.length > 0) {
      // First pass: a dry run of every task before anything is applied (Argo's rule). Objects in
      // a namespace this sync creates cannot be dry-run yet; the apply reports their errors.
      const created = new Set(plan.tasks.filter((t) => t.ref.kind === "Namespace" && !t.live && (t.managedNamespace || !liveNamespaceExists(cache, t.ref.name))).map((t) => t.ref.name));
      const checks = step.validation.filter((a) => !(a.ref.namespace && created.has(a.ref.namespace)));
      const results = await executeActions(syncClient, checks, dest.limiter, () => undefined, { group: appQueueGroup(app) });
      const failures = results.filter((o) => !o.ok).map((o) => ({ taskId: o.taskId, message: o.message ?? "dry run failed" }));
      if (failures.length > 0) {
        const failed = recordValidationFailure(plan, state, failures, now);
        ctx.log.info("sync dry run failed", { application: app.metadata.name, failures: failures.length });
        // A failed dry run is a failed attempt like any other: Argo retries it too.
        const retrying = await this.retryLater(app, failed);
        if (retrying) return retrying;
        await this.finishOperation(app, failed);
        void this.env.opts.events?.record(app, "Warning", "OperationCompleted", `Sync operation failed: ${failed.message ?? ""}`);
        this.env.enqueueRefresh(ctx.key);
        return {};
      }
    }
    const outcomes = step.actions.length > 0
      ? await executeActions(syncClient, step.actions, dest.limiter, (a) => cache.get(a.ref.group ? `${a.ref.group}/${a.version}` : a.version, a.ref.kind, a.ref.namespace || undefined, a.ref.name),
        { csaMigrationManager: csaMigrationManager(app, syncOp.syncOptions), group: appQueueGroup(app) })
      : [];
    // What was just applied (or pruned) is what this pass and the next refresh compare with, even before the watch shows it.
    for (const o of outcomes) {
      if (o.written) cache.observeWrite?.(o.written);
      if (o.deleted) cache.observeDelete?.(o.deleted);
    }
    const next = recordActionOutcomes(step.state, outcomes);
    // Which (phase, wave) steps this pass acted on: crash-recovery tests read these lines.
    const taskSteps = new Map(plan.tasks.map((t) => [t.id, `${t.phase}/${t.wave}`]));
    const steps = [...new Set(step.actions.map((a) => taskSteps.get(a.taskId)).filter((x): x is string => !!x))];
    ctx.log.info("sync step", {
      application: app.metadata.name, revision: next.syncResult?.revision, startedAt: next.startedAt, decision: step.decision,
      steps, actions: step.actions.length, serviceAccount: writer.user, failed: outcomes.filter((o) => !o.ok).length, phase: next.phase,
    });

    const finished = next.phase === "Succeeded" || next.phase === "Failed" || next.phase === "Error";
    if (!finished) {
      await this.persistOperationState(app, next);
      return { requeueAfterMs: step.requeueAfterMs ?? 1000 };
    }
    const extra: Partial<AppStatus> = {};
    const history = nextHistory({
      history: status.history, state: next, now, multiSource: multiOp, revisions: rendered.revisions,
      source: opApp.spec.source as ApplicationSource | undefined, sources: opApp.spec.sources as ApplicationSource[] | undefined,
      revisionHistoryLimit: app.spec.revisionHistoryLimit,
    });
    if (history) extra.history = history;
    const retrying = await this.retryLater(app, next);
    if (retrying) return retrying;
    // Announced before the write, as Argo orders them: the operation's end, then the sync and
    // health transitions the comparison in the same write records.
    void this.env.opts.events?.record(app, next.phase === "Succeeded" ? "Normal" : "Warning", "OperationCompleted", `Sync operation to ${next.syncResult?.revision ?? ""} ${next.phase === "Succeeded" ? "succeeded" : `failed: ${next.message ?? ""}`}`);
    const folded = await this.finishOperation(app, next, extra, ctx);
    // Already compared in that write; the refresh that decides what comes next follows the write's
    // watch event (controller.ts), when the cache shows the operation ended.
    if (!folded) this.env.enqueueRefresh(ctx.key);
    return {};
  }

  /**
   * Why an operation may not run now, in Argo's words (its sync's "Failed to load application
   * project" and the InvalidSpecError conditions it refuses on), or undefined when it may.
   */
  private operationRefusal(opApp: ApplicationObject): string | undefined {
    const projectName = opApp.spec.project || "default";
    if (!this.env.project(projectName)) return missingProjectMessage(projectName);
    const problems = validateSpec({
      app: opApp, project: (name) => this.env.project(name), controllerNamespace: this.env.namespace,
      resolveDestination: (d) => this.env.clusters.resolve(d), clusters: () => this.env.clusters.list(),
      trackingMethod: this.env.settings.get().argo.trackingMethod,
      globalProjectsError: this.env.settings.get().argo.globalProjectsError,
    });
    return problems.length > 0 ? problems.map((p) => `${ApplicationConditionType.InvalidSpecError}: ${p}`).join(";") : undefined;
  }

  /**
   * The project's sync windows for this operation: a sync about to start must be allowed now (for
   * its kind: automated or manual); one already running is paused at a window edge unless the
   * windows let it overrun. Undefined when the operation may go on.
   */
  private syncWindowBlock(app: ApplicationObject, state: OperationState, starting: boolean, now: string): SyncWindowVerdict | undefined {
    const input: SyncWindowVerdictInput = {
      windows: (this.env.projectOf(app)?.spec as AppProjectSpec | undefined)?.syncWindows,
      app: { name: app.metadata.name ?? "", namespace: app.metadata.namespace },
      destination: app.spec.destination ?? {},
      now: new Date(now),
      kind: (state.operation.initiatedBy?.automated ? "automated" : "manual"),
    };
    const verdict = starting || !state.startedAt ? syncWindowVerdict(input) : runningSyncVerdict({ ...input, startedAt: new Date(state.startedAt) });
    return verdict.allowed ? undefined : verdict;
  }

  /** A failed attempt with retries left: keep `.operation` and start again after the backoff, counting the attempt. */
  private async retryLater(app: ApplicationObject, failed: OperationState): Promise<ReconcileResult | undefined> {
    const retry = retryOperation(failed, Date.now());
    if (!retry) return undefined;
    await this.persistOperationState(app, retry.state);
    return { requeueAfterMs: retry.requeueAfterMs };
  }
}
