// The ApplicationSet reconciler: generate → render → validate (operator/appset/generate.ts), then
// create, update and delete the Applications it owns (ownerReference with controller: true) as
// `syncPolicy.applicationsSync`, `preservedFields` and `ignoreApplicationDifferences` allow, with
// bounded write concurrency, and report Argo's conditions (ErrorOccurred, ParametersGenerated,
// ResourcesUpToDate, RolloutProgressing), and run RollingSync rollouts step by step. On any generation or validation error, and when a desired name belongs to an
// Application this set does not own, nothing is created, changed or deleted; except that, as in
// Argo, Applications whose project does not exist are held back (left as they are, never deleted)
// while the others are written, and the rollout waits. A Warning Event marks a new error.
// controller.ts runs it.
import { ARGO_API_VERSION } from "../../api/annotations.js";
import type { ApplicationSetCondition } from "../../api/index.js";
import type { GeneratorRegistry } from "../../../generators/index.js";
import { clusterLookups } from "../../appset/lookups.js";
import { jsonEqual, parsePolicy, planApplications, planOptionsFrom, type CurrentApplication } from "../../appset/apply-policy.js";
import { AppSetReason, generateApplications, type AppSetError } from "../../appset/generate.js";
import { goTemplateEngine, type GoTemplateEngine } from "../../appset/gotemplate-wasm.js";
import type { GeneratedApplication } from "../../appset/render.js";
import { disableAutoSync, parseRollingSync, planRollout, rolloutSyncOperation, type AppRolloutStatus, type RolloutApp, type RolloutPlan, type RolloutStep } from "../../appset/rolling-sync.js";
import type { RepoReader } from "../../git/types.js";
import { AdaptiveLimiter } from "../../kube/adaptive.js";
import { KubeApiError, type KubeClient, type KubeObject } from "../../kube/client.js";
import { GenericError, WaitingError, type ReconcileContext, type ReconcileResult, type Reconciler } from "../../runtime/reconciler.js";
import type { EventRecorder } from "../../runtime/events.js";
import { redact } from "../../runtime/redact.js";
import { errorMessage, isRecord } from "../../util/index.js";

export const FIELD_MANAGER = "hawser-applicationset";
/** Argo's applicationsetcontroller.requeue.after and its requeue on validation errors. */
export const DEFAULT_REQUEUE_MS = 180_000;
/**
 * Upper bound of Application writes in flight per reconcile; within it the adaptive limiter finds
 * the apiserver's pace (its limit starts at 32, halves on 429s or slow answers).
 */
export const DEFAULT_WRITE_CONCURRENCY = 128;
/** While a rollout is in progress, look again at least this often. */
export const ROLLOUT_REQUEUE_MS = 10_000;
const RACE_REQUEUE_MS = 1000;

/** The CRD's condition type (generated from crds/), not a copy of it. */
export type { ApplicationSetCondition };

export interface ApplicationSetReconcilerDeps {
  client: KubeClient;
  registry: GeneratorRegistry;
  repos?: RepoReader;
  /** A project's git access (its scoped repository Secrets, then unscoped): see gitCredentialsProject. */
  reposForProject?: (project: string) => RepoReader;
  /** Where cluster Secrets, plugin ConfigMaps/Secrets and AppProjects live (Argo's namespace). */
  controlNamespace: string;
  loadEngine?: () => Promise<GoTemplateEngine>;
  /** argocd-cm `cluster.inClusterEnabled`, read per reconcile; unset means enabled. */
  inClusterEnabled?: () => boolean;
  now?: () => string;
  /**
   * The Applications of a namespace from an informer cache (controller.ts). Without it each reconcile
   * lists them from the apiserver, which for thousands of Applications is the dominant read.
   */
  listApplications?: (namespace: string) => KubeObject[];
  /** Application writes in flight per reconcile at most (default 128). */
  writeConcurrency?: number;
  /**
   * Paces Application writes (default: an AdaptiveLimiter shared by every reconcile of this
   * reconciler, since they all write to the same apiserver).
   */
  writeLimiter?: Pick<AdaptiveLimiter, "run">;
  /** A Warning Event on the set when ErrorOccurred turns True or its message changes. */
  events?: Pick<EventRecorder, "record">;
  /**
   * Told after every reconcile which missing projects held the set back (none: []), so the
   * controller can requeue it when one is created rather than at the next periodic requeue.
   */
  onMissingProjects?: (key: string, projects: string[]) => void;
}

interface AppSetObject extends KubeObject {
  spec: Record<string, unknown>;
  status?: { conditions?: ApplicationSetCondition[]; applicationStatus?: AppRolloutStatus[] };
}

interface AppLiveStatus {
  sync?: { status?: string };
  health?: { status?: string };
  operationState?: { phase?: string; startedAt?: string };
}

/** Argo's reasons for failed writes (applicationset_controller.go). */
export const WriteReason = {
  Create: "CreateApplicationError",
  Update: "UpdateApplicationError",
  Delete: "DeleteApplicationError",
} as const;
export type WriteReason = (typeof WriteReason)[keyof typeof WriteReason];

export interface ReconcileError {
  reason: AppSetError["reason"] | WriteReason;
  message: string;
}

/**
 * Argo's three conditions for an outcome (setApplicationSetStatusCondition): ErrorOccurred carries
 * the first error's reason; ParametersGenerated is False (reason ErrorOccurred) only when generation
 * or rendering failed, as Argo's GenerateApplications fails for both; ResourcesUpToDate is False
 * with the error's reason. lastTransitionTime is kept while status, reason and message stay.
 */
export function appSetConditions(errors: ReconcileError[], existing: ApplicationSetCondition[] | undefined, now: string): ApplicationSetCondition[] {
  const first = errors[0];
  const message = errors.map((e) => e.message).join("; ");
  const generated = !errors.some((e) => e.reason === AppSetReason.GenerationError || e.reason === AppSetReason.RenderError);
  const paramsOk: Omit<ApplicationSetCondition, "lastTransitionTime"> = { type: "ParametersGenerated", status: "True", reason: "ParametersGenerated", message: "Successfully generated parameters for all Applications" };
  const next: Omit<ApplicationSetCondition, "lastTransitionTime">[] = first
    ? [
        { type: "ErrorOccurred", status: "True", reason: first.reason, message },
        generated ? paramsOk : { type: "ParametersGenerated", status: "False", reason: "ErrorOccurred", message },
        { type: "ResourcesUpToDate", status: "False", reason: first.reason, message },
      ]
    : [
        { type: "ErrorOccurred", status: "False", reason: "ApplicationSetUpToDate", message: "All applications have been generated successfully" },
        paramsOk,
        { type: "ResourcesUpToDate", status: "True", reason: "ApplicationSetUpToDate", message: "All applications have been generated successfully" },
      ];
  return next.map((c) => withTransitionTime(c, existing, now));
}

export function withTransitionTime(c: Omit<ApplicationSetCondition, "lastTransitionTime">, existing: ApplicationSetCondition[] | undefined, now: string): ApplicationSetCondition {
  const prev = existing?.find((e) => e.type === c.type);
  const same = prev && prev.status === c.status && prev.message === c.message && prev.reason === c.reason;
  return { ...c, lastTransitionTime: same && prev.lastTransitionTime ? prev.lastTransitionTime : now };
}

/**
 * Runs `fn` over `items` with at most `limit` in flight, each call paced by `limiter` when given;
 * collects failures instead of stopping.
 */
export async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>, limiter?: Pick<AdaptiveLimiter, "run">): Promise<{ item: T; error: unknown }[]> {
  const failures: { item: T; error: unknown }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await (limiter ? limiter.run(() => fn(item)) : fn(item));
      } catch (error) {
        failures.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return failures;
}

/** The Applications of a namespace owned (controller reference) by the ApplicationSet with this uid. */
export function ownedBy(apps: KubeObject[], uid: string): KubeObject[] {
  return apps.filter((a) => a.metadata.ownerReferences?.some((o) => o.uid === uid));
}

export class ApplicationSetReconciler implements Reconciler {
  /**
   * RollingSync syncs this process requested (namespace/app → when), until the Application shows
   * them: a cache that has not seen the `.operation` yet must not make the next round ask again.
   */
  private readonly syncRequests = new Map<string, number>();
  private readonly limiter: Pick<AdaptiveLimiter, "run">;

  constructor(private readonly deps: ApplicationSetReconcilerDeps) {
    this.limiter = deps.writeLimiter ?? new AdaptiveLimiter({ initial: 32, max: deps.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY });
  }

  async reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    const [namespace, name] = ctx.key.includes("/") ? (ctx.key.split("/", 2) as [string, string]) : [this.deps.controlNamespace, ctx.key];
    const { client } = this.deps;
    const appSet = await client.get<AppSetObject>(ARGO_API_VERSION, "ApplicationSet", name, namespace);
    // Deleted: its Applications go with it through their ownerReferences.
    if (!appSet || appSet.metadata.deletionTimestamp) {
      this.deps.onMissingProjects?.(ctx.key, []);
      return {};
    }
    const result = await generateApplications(
      { metadata: { name, namespace }, spec: appSet.spec },
      {
        ...clusterLookups(client, this.deps.controlNamespace),
        registry: this.deps.registry,
        loadEngine: this.deps.loadEngine ?? goTemplateEngine,
        log: ctx.log,
        signal: ctx.signal,
        ...(this.deps.repos ? { repos: this.deps.repos } : {}),
        ...(this.deps.reposForProject ? { reposForProject: this.deps.reposForProject } : {}),
        ...(this.deps.inClusterEnabled !== undefined ? { inClusterEnabled: this.deps.inClusterEnabled() } : {}),
      },
    );
    this.deps.onMissingProjects?.(ctx.key, result.missingProjects);
    const errors: ReconcileError[] = [...result.errors];
    let steps: RolloutStep[] | undefined;
    try {
      steps = parseRollingSync(appSet.spec);
    } catch (err) {
      errors.push({ reason: AppSetReason.ValidationError, message: errorMessage(err) });
    }
    // What may be written: every Application, or, when the only errors are Applications whose
    // project does not exist, the others (as Argo's validApps); those are held back: neither
    // created, updated nor deleted, whatever they were before.
    const partial = errors.length === result.errors.length ? result.partial : undefined;
    const desired = errors.length === 0 ? result.applications : partial?.applications;
    const heldBack = new Set(partial?.heldBack ?? []);
    const current = desired ? (this.deps.listApplications ? { items: this.deps.listApplications(namespace) } : await client.list(ARGO_API_VERSION, "Application", { namespace })) : undefined;
    const uid = appSet.metadata.uid ?? "";
    const owned = ownedBy(current?.items ?? [], uid);
    let conflicts = 0;
    if (current && desired) {
      const ownedNames = new Set(owned.map((a) => a.metadata.name));
      const existing = new Set(current.items.map((a) => a.metadata.name));
      for (const app of desired) {
        if (existing.has(app.metadata.name) && !ownedNames.has(app.metadata.name)) {
          errors.push({ reason: AppSetReason.ValidationError, message: `application "${app.metadata.name}" already exists and is not owned by ApplicationSet ${name}` });
          conflicts++;
        }
      }
    }
    const writable = desired !== undefined && conflicts === 0 ? desired : undefined;
    const now = (this.deps.now ?? (() => new Date().toISOString()))();
    // RollingSync: the controller syncs the Applications itself, so their autosync is off.
    const prunes = new Map<string, boolean>();
    if (steps && writable) for (const app of writable) prunes.set(app.metadata.name, disableAutoSync(app.spec));
    const applied = writable ? await this.apply(appSet, writable, owned.filter((a) => !heldBack.has(a.metadata.name ?? "")), ctx) : { errors: [], raced: 0 };
    const writeErrors = applied.errors;
    const rollout = steps && errors.length === 0 && writeErrors.length === 0 ? await this.rollout(appSet, steps, result.applications, owned, prunes, now, ctx) : undefined;
    if (rollout) writeErrors.push(...rollout.errors);
    const outcome: ReconcileError[] = writeErrors.length > 0 ? writeErrors : errors;
    const conditions = appSetConditions(outcome, appSet.status?.conditions, now);
    // An Event when the set starts failing or fails differently (repeats are the condition's).
    const was = appSet.status?.conditions?.find((c) => c.type === "ErrorOccurred");
    const is = conditions.find((c) => c.type === "ErrorOccurred");
    if (is?.status === "True" && (was?.status !== "True" || was.message !== is.message || was.reason !== is.reason)) void this.deps.events?.record(appSet, "Warning", is.reason, is.message);
    const status: Record<string, unknown> = { conditions };
    if (rollout) {
      conditions.push(withTransitionTime(rollout.plan.condition, appSet.status?.conditions, now));
      status.applicationStatus = rollout.plan.statuses;
    } else if (!steps && appSet.status?.applicationStatus) {
      status.applicationStatus = null;
    }
    if (steps && !rollout) {
      // Keep the rollout state as it was while generation or writes fail.
      const prev = appSet.status?.conditions?.find((c) => c.type === "RolloutProgressing");
      if (prev) conditions.push(prev);
    }
    // Key order differs between what we build and what the apiserver returns: compare as JSON values.
    if (!jsonEqual(conditions, appSet.status?.conditions ?? []) || (status.applicationStatus !== undefined && !jsonEqual(status.applicationStatus, appSet.status?.applicationStatus ?? null))) {
      await client.patch({ apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", name, namespace }, { status }, { type: "merge", subresource: "status", fieldManager: FIELD_MANAGER });
    }
    // A failed write is retried with backoff, as Argo returns the error to controller-runtime.
    if (writeErrors.length > 0) throw new GenericError(writeErrors[0]!.reason, writeErrors.map((e) => e.message).join("; "));
    if (errors.length > 0) {
      const messages = errors.map((e) => redact(e.message));
      if (writable) ctx.log.warn("applications held back: their project does not exist; the set's others were written", { heldBack: [...heldBack], errors: messages });
      else ctx.log.warn("applicationset generation failed; nothing changed", { errors: messages });
      throw new WaitingError(errors[0]!.reason, messages.join("; "), Math.min(result.requeueAfterMs ?? DEFAULT_REQUEUE_MS, DEFAULT_REQUEUE_MS));
    }
    // Application status changes requeue a rolling set (controller.ts); this is the safety net.
    let requeue = rollout?.plan.condition.status === "True" ? Math.min(result.requeueAfterMs ?? ROLLOUT_REQUEUE_MS, ROLLOUT_REQUEUE_MS) : result.requeueAfterMs;
    // A write raced a cache that had not caught up with an earlier one: look again shortly.
    if (applied.raced > 0) requeue = Math.min(requeue ?? RACE_REQUEUE_MS, RACE_REQUEUE_MS);
    return requeue !== undefined ? { requeueAfterMs: requeue } : {};
  }

  /**
   * One round of a RollingSync rollout: plans from the Applications' live state (as listed before
   * this reconcile's writes; ones just created have none yet) and requests the syncs it allows by
   * setting `.operation`, as Argo's controller does.
   */
  private async rollout(appSet: AppSetObject, steps: RolloutStep[], desired: GeneratedApplication[], owned: KubeObject[], prunes: Map<string, boolean>, now: string, ctx: ReconcileContext): Promise<{ plan: RolloutPlan; errors: ReconcileError[] }> {
    const live = new Map(owned.map((a) => [a.metadata.name, a as KubeObject & { status?: AppLiveStatus; operation?: unknown }]));
    const apps: RolloutApp[] = desired.map((d) => {
      const a = live.get(d.metadata.name);
      const st = a?.status;
      const key = `${appSet.metadata.namespace ?? ""}/${d.metadata.name}`;
      const requestedAt = this.syncRequests.get(key);
      const started = st?.operationState?.startedAt ? Date.parse(st.operationState.startedAt) : undefined;
      // Seen once the app's operation started after the request (1 s of clock skew allowed), or stale after a minute.
      const unseen = requestedAt !== undefined && !(started !== undefined && started >= requestedAt - 1000) && Date.now() - requestedAt < 60_000;
      if (requestedAt !== undefined && !unseen) this.syncRequests.delete(key);
      return {
        name: d.metadata.name,
        labels: d.metadata.labels ?? {},
        ...(st?.sync?.status ? { syncStatus: st.sync.status } : {}),
        ...(st?.health?.status ? { healthStatus: st.health.status } : {}),
        ...(st?.operationState?.phase ? { operationPhase: st.operationState.phase } : {}),
        ...(st?.operationState?.startedAt ? { operationStartedAt: st.operationState.startedAt } : {}),
        ...(a?.operation || unseen ? { operationRequested: true } : {}),
      };
    });
    const plan = planRollout(steps, apps, appSet.status?.applicationStatus, now);
    const byName = new Map(desired.map((d) => [d.metadata.name, d]));
    const failures = await forEachLimit(plan.toSync, this.deps.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY, async (appName) => {
      const operation = rolloutSyncOperation(byName.get(appName)?.spec ?? {}, prunes.get(appName) ?? false);
      await this.deps.client.patch({ apiVersion: ARGO_API_VERSION, kind: "Application", name: appName, namespace: appSet.metadata.namespace ?? "" }, { operation }, { type: "merge", fieldManager: FIELD_MANAGER });
      this.syncRequests.set(`${appSet.metadata.namespace ?? ""}/${appName}`, Date.now());
    }, this.limiter);
    if (plan.toSync.length > 0) ctx.log.info("rollout: syncing applications", { applications: plan.toSync.filter((n) => !failures.some((f) => f.item === n)) });
    return { plan, errors: failures.map((f) => ({ reason: WriteReason.Update, message: redact(`failed to sync application "${f.item}": ${errorMessage(f.error)}`) })) };
  }

  /**
   * Carries out the plan: creates and updates with bounded concurrency, then deletes only if every
   * create and update succeeded (as Argo, which returns before deleting on a failed write).
   * Returns the failures, each with Argo's reason for its kind of write.
   */
  private async apply(appSet: AppSetObject, desired: GeneratedApplication[], owned: KubeObject[], ctx: ReconcileContext): Promise<{ errors: ReconcileError[]; raced: number }> {
    const { client } = this.deps;
    const limit = this.deps.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY;
    const policy = parsePolicy(isRecord(appSet.spec.syncPolicy) ? appSet.spec.syncPolicy.applicationsSync : undefined);
    const current: CurrentApplication[] = owned.map((a) => ({ metadata: { ...a.metadata, name: a.metadata.name ?? "" }, spec: isRecord(a.spec) ? a.spec : {} }));
    const plan = await planApplications(desired, current, policy, planOptionsFrom(appSet.spec));
    for (const w of plan.warnings) ctx.log.warn(w);
    const ownerReferences = [{ apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", name: appSet.metadata.name ?? "", uid: appSet.metadata.uid ?? "", controller: true, blockOwnerDeletion: true }];
    const failed = (reason: WriteReason, verb: string) => (f: { item: { metadata: { name: string } } | string; error: unknown }): ReconcileError => ({
      reason,
      message: redact(`failed to ${verb} application "${typeof f.item === "string" ? f.item : f.item.metadata.name}": ${errorMessage(f.error)}`),
    });
    const errors: ReconcileError[] = [];
    // 409s (already exists, stale resourceVersion) come from a cache behind our own writes.
    let raced = 0;
    const tolerateRace = async (write: () => Promise<unknown>): Promise<void> => {
      try {
        await write();
      } catch (err) {
        if (!(err instanceof KubeApiError && err.isConflict)) throw err;
        raced++;
      }
    };
    const created = await forEachLimit(plan.create, limit, async (app) => {
      await tolerateRace(() => client.create({ ...app, metadata: { ...app.metadata, ownerReferences } }, { fieldManager: FIELD_MANAGER }));
      ctx.log.debug("application created", { application: app.metadata.name });
    }, this.limiter);
    errors.push(...created.map(failed(WriteReason.Create, "create")));
    const ownedByName = new Map(owned.map((o) => [o.metadata.name, o]));
    const updated = await forEachLimit(plan.update, limit, async (app) => {
      const cur = ownedByName.get(app.metadata.name);
      if (!cur) return;
      const { labels: _l, annotations: _a, finalizers: _f, ...keep } = cur.metadata;
      const metadata = { ...keep, ...(app.metadata.labels ? { labels: app.metadata.labels } : {}), ...(app.metadata.annotations ? { annotations: app.metadata.annotations } : {}), ...(app.metadata.finalizers ? { finalizers: app.metadata.finalizers } : {}) };
      await tolerateRace(() => client.replace({ ...cur, metadata, spec: app.spec }, { fieldManager: FIELD_MANAGER }));
      ctx.log.debug("application updated", { application: app.metadata.name });
    }, this.limiter);
    errors.push(...updated.map(failed(WriteReason.Update, "update")));
    let deletedCount = 0;
    if (errors.length === 0) {
      const deleted = await forEachLimit(plan.delete, limit, async (appName) => {
        await client.delete({ apiVersion: ARGO_API_VERSION, kind: "Application", name: appName, namespace: appSet.metadata.namespace ?? "" });
        ctx.log.debug("application deleted", { application: appName });
      }, this.limiter);
      errors.push(...deleted.map(failed(WriteReason.Delete, "delete")));
      deletedCount = plan.delete.length - deleted.length;
    }
    const changes = { created: plan.create.length - created.length, updated: plan.update.length - updated.length, deleted: deletedCount };
    if (changes.created + changes.updated + changes.deleted > 0) ctx.log.info("applications written", changes);
    return { errors, raced };
  }
}
