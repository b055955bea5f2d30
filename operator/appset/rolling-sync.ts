// Progressive sync, `strategy.type: RollingSync` (Argo's applicationset_controller.go): generated
// Applications are grouped into steps by label matchExpressions (an Application belongs to the
// first step it matches; one matching no step is never synced). Autosync is off on them; the
// ApplicationSet controller syncs them itself, step after step: a step starts once every
// Application of the earlier steps is Healthy, and at most `maxUpdate` of a step are Pending or
// Progressing at a time. Per Application the rollout state moves
//   Waiting (has changes) → Pending (sync requested) → Progressing (sync running) → Healthy.
// Pure: the controller feeds in the Applications' live state and carries out the syncs.
import type { ApplicationSetApplicationStatus, ApplicationSetRolloutStep } from "../api/generated/applicationset.js";
import { isRecord } from "../util/index.js";

export type RolloutState = ApplicationSetApplicationStatus["status"];
export type AppRolloutStatus = ApplicationSetApplicationStatus;

export interface RolloutStep {
  matchExpressions: { key: string; operator: string; values: string[] }[];
  maxUpdate?: number | string;
}

/** What the planner needs of each live Application. */
export interface RolloutApp {
  name: string;
  labels: Record<string, string>;
  /** status.sync.status: Synced, OutOfSync, Unknown, or undefined before the first comparison. */
  syncStatus?: string;
  /** status.health.status. */
  healthStatus?: string;
  /** status.operationState.phase of the latest operation. */
  operationPhase?: string;
  /** status.operationState.startedAt. */
  operationStartedAt?: string;
  /** An `.operation` is already requested and not yet picked up. */
  operationRequested?: boolean;
}

export interface RolloutCondition {
  type: "RolloutProgressing";
  status: "True" | "False";
  reason: "ApplicationSetModified" | "ApplicationSetRolloutComplete";
  message: string;
}

export interface RolloutPlan {
  statuses: AppRolloutStatus[];
  /** Applications to sync now (Pending, and no sync requested or started since). */
  toSync: string[];
  condition: RolloutCondition;
  /** Step index (0-based) per Application; absent when it matches no step. */
  stepOf: Map<string, number>;
}

export class RolloutConfigError extends Error {}

/** The steps of a RollingSync strategy, or undefined for AllAtOnce. Throws on an invalid config. */
export function parseRollingSync(spec: Record<string, unknown>): RolloutStep[] | undefined {
  const strategy = isRecord(spec.strategy) ? spec.strategy : undefined;
  if (!strategy || strategy.type !== "RollingSync") return undefined;
  const rolling = isRecord(strategy.rollingSync) ? strategy.rollingSync : {};
  const steps = Array.isArray(rolling.steps) ? (rolling.steps as unknown[]) : [];
  return steps.map((raw, i): RolloutStep => {
    const step = (isRecord(raw) ? raw : {}) as ApplicationSetRolloutStep;
    const exprs = (Array.isArray(step.matchExpressions) ? step.matchExpressions : []).map((e, j) => {
      if (!isRecord(e) || typeof e.key !== "string" || (e.operator !== "In" && e.operator !== "NotIn")) {
        throw new RolloutConfigError(`strategy.rollingSync.steps[${i}].matchExpressions[${j}]: needs a key and the operator In or NotIn`);
      }
      return { key: e.key, operator: e.operator, values: Array.isArray(e.values) ? e.values.filter((v): v is string => typeof v === "string") : [] };
    });
    const maxUpdate = step.maxUpdate;
    if (maxUpdate !== undefined && maxUpdate !== null) {
      const ok = typeof maxUpdate === "number" ? Number.isInteger(maxUpdate) && maxUpdate >= 0 : /^\d+%$/.test(maxUpdate);
      if (!ok) throw new RolloutConfigError(`strategy.rollingSync.steps[${i}].maxUpdate: must be a non-negative integer or a percentage, got ${JSON.stringify(maxUpdate)}`);
      return { matchExpressions: exprs, maxUpdate };
    }
    return { matchExpressions: exprs };
  });
}

/** Argo's step selection: every expression must hold; a missing label fails In and NotIn alike. */
export function stepMatches(step: RolloutStep, labels: Record<string, string>): boolean {
  return step.matchExpressions.every((e) => {
    const v = labels[e.key];
    if (v === undefined) return false;
    return e.operator === "In" ? e.values.includes(v) : !e.values.includes(v);
  });
}

/**
 * How many of a step's `total` Applications may be updating at once: all when unset; a percentage
 * rounds down but is at least 1 unless it is 0% (Argo's GetScaledValueFromIntOrPercent plus its
 * floor); 0 lets none sync (they wait for a manual sync).
 */
export function maxUpdateOf(maxUpdate: number | string | undefined, total: number): number {
  if (maxUpdate === undefined) return total;
  if (typeof maxUpdate === "number") return maxUpdate;
  const pct = Number(maxUpdate.slice(0, -1));
  const n = Math.floor((pct * total) / 100);
  return pct > 0 && n < 1 ? 1 : n;
}

/** Argo's isApplicationHealthy: Healthy, not OutOfSync, and no operation unfinished or failed. */
export function isAppHealthy(app: RolloutApp): boolean {
  return app.healthStatus === "Healthy" && app.syncStatus !== "OutOfSync" && (app.operationPhase === undefined || app.operationPhase === "" || app.operationPhase === "Succeeded") && !app.operationRequested;
}

const after = (a: string | undefined, b: string | undefined): boolean => a !== undefined && (b === undefined || Date.parse(a) >= Date.parse(b));

/** One round of the rollout over the live Applications and the previous applicationStatus. */
export function planRollout(steps: RolloutStep[], apps: RolloutApp[], previous: AppRolloutStatus[] | undefined, now: string): RolloutPlan {
  const stepOf = new Map<string, number>();
  for (const app of apps) {
    const i = steps.findIndex((s) => stepMatches(s, app.labels));
    if (i >= 0) stepOf.set(app.name, i);
  }
  const prevByName = new Map((previous ?? []).map((s) => [s.application, s]));
  const set = (s: AppRolloutStatus, status: RolloutState, message: string): AppRolloutStatus => ({ ...s, status, message, lastTransitionTime: now });

  // 1. Each Application's state from its live state (updateApplicationSetApplicationStatus).
  const statuses: AppRolloutStatus[] = [];
  const appByName = new Map(apps.map((a) => [a.name, a]));
  for (const app of apps) {
    const step = stepOf.get(app.name);
    if (step === undefined) continue;
    let s: AppRolloutStatus = prevByName.get(app.name) ?? { application: app.name, status: "Waiting", message: "No Application status found, defaulting status to Waiting.", lastTransitionTime: now };
    s = { ...s, step: String(step + 1) };
    const outdated = app.syncStatus === "OutOfSync";
    if (outdated && s.status !== "Waiting" && s.status !== "Pending") s = set(s, "Waiting", "Application has pending changes, setting status to Waiting.");
    if (s.status === "Pending") {
      const sinceRequest = after(app.operationStartedAt, s.lastTransitionTime);
      if (!outdated && sinceRequest && app.operationPhase === "Succeeded") s = set(s, "Progressing", "Application resource completed a sync successfully, updating status from Pending to Progressing.");
      else if ((sinceRequest && app.operationPhase === "Running") || app.healthStatus === "Progressing") s = set(s, "Progressing", "Application resource became Progressing, updating status from Pending to Progressing.");
    }
    if (s.status === "Waiting" && isAppHealthy(app)) s = set(s, "Healthy", "Application resource is already Healthy, updating status from Waiting to Healthy.");
    if (s.status === "Progressing" && isAppHealthy(app)) s = set(s, "Healthy", "Application resource became Healthy, updating status from Progressing to Healthy.");
    statuses.push(s);
  }
  const byName = new Map(statuses.map((s) => [s.application, s]));

  // 2. Which steps may sync (buildAppSyncMap): every step up to and including the first one that
  // is not all Healthy.
  let enabledThrough = -1;
  for (let i = 0; i < steps.length; i++) {
    enabledThrough = i;
    const members = apps.filter((a) => stepOf.get(a.name) === i);
    const done = members.every((a) => byName.get(a.name)?.status === "Healthy" && isAppHealthy(appByName.get(a.name) as RolloutApp));
    if (!done) break;
  }

  // 3. Waiting → Pending within maxUpdate (updateApplicationSetApplicationStatusProgress).
  const total = new Map<number, number>();
  const updating = new Map<number, number>();
  for (const s of statuses) {
    const i = stepOf.get(s.application) as number;
    total.set(i, (total.get(i) ?? 0) + 1);
    if (s.status === "Pending" || s.status === "Progressing") updating.set(i, (updating.get(i) ?? 0) + 1);
  }
  for (const [k, s] of statuses.entries()) {
    const i = stepOf.get(s.application) as number;
    if (s.status !== "Waiting" || i > enabledThrough) continue;
    if ((updating.get(i) ?? 0) >= maxUpdateOf(steps[i]?.maxUpdate, total.get(i) ?? 0)) continue;
    statuses[k] = set(s, "Pending", "Application moved to Pending status, watching for the Application resource to start Progressing.");
    updating.set(i, (updating.get(i) ?? 0) + 1);
  }
  // Sync every Pending Application whose sync has neither been requested nor started since it
  // became Pending: the ones that just did, and any whose request was lost (a failed write).
  const toSync = statuses
    .filter((s) => {
      const app = appByName.get(s.application) as RolloutApp;
      return s.status === "Pending" && !app.operationRequested && !after(app.operationStartedAt, s.lastTransitionTime);
    })
    .map((s) => s.application);

  // 4. RolloutProgressing: the first step with an Application not yet Healthy.
  let progressing: number | undefined;
  for (let i = 0; i < steps.length && progressing === undefined; i++) {
    if (statuses.some((s) => stepOf.get(s.application) === i && s.status !== "Healthy")) progressing = i;
  }
  const condition: RolloutCondition = progressing !== undefined
    ? { type: "RolloutProgressing", status: "True", reason: "ApplicationSetModified", message: `ApplicationSet is performing rollout of step ${progressing + 1}` }
    : { type: "RolloutProgressing", status: "False", reason: "ApplicationSetRolloutComplete", message: "ApplicationSet Rollout has completed" };
  return { statuses, toSync, condition, stepOf };
}

/** The `.operation` Argo writes to sync an Application of a rollout (syncApplication). */
export function rolloutSyncOperation(spec: Record<string, unknown>, prune: boolean): Record<string, unknown> {
  const sync: Record<string, unknown> = {};
  const sources = Array.isArray(spec.sources) ? spec.sources.filter(isRecord) : [];
  if (sources.length > 0) sync.revisions = sources.map((s) => (typeof s.targetRevision === "string" ? s.targetRevision : ""));
  else if (isRecord(spec.source) && typeof spec.source.targetRevision === "string") sync.revision = spec.source.targetRevision;
  const policy = isRecord(spec.syncPolicy) ? spec.syncPolicy : undefined;
  const op: Record<string, unknown> = {
    initiatedBy: { username: "applicationset-controller", automated: true },
    info: [{ name: "Reason", value: "ApplicationSet RollingSync triggered a sync of this Application resource." }],
    sync,
  };
  if (policy) {
    if (Array.isArray(policy.syncOptions)) sync.syncOptions = policy.syncOptions;
    if (isRecord(policy.retry)) op.retry = policy.retry;
    sync.prune = prune;
  }
  return op;
}

/**
 * Turns autosync off on a desired Application of a rollout (the controller syncs it instead) and
 * returns whether its automated policy asked for pruning, which the rollout's syncs then use.
 */
export function disableAutoSync(spec: Record<string, unknown>): boolean {
  const policy = isRecord(spec.syncPolicy) ? spec.syncPolicy : undefined;
  if (!policy || !isRecord(policy.automated)) return false;
  const prune = policy.automated.prune === true;
  delete policy.automated;
  return prune;
}
