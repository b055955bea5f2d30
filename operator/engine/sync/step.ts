// One pass of a sync operation, as gitops-engine's SyncContext.Sync ("executes next
// synchronization step"), with deciding split from doing: nextSyncStep() looks at the plan, at
// what status.operationState records as done and at the observed health of what is still
// running, and returns the actions for an executor plus the next operation state. Everything it
// needs to resume lives in syncResult.resources[] (keyed by resource and phase, as Argo's result
// keys are), so a restarted operator picks up where the last one stopped without repeating waves.
import type { OperationState, ResourceResult } from "../../api/index.js";
import { FINALIZER_HOOK } from "../../api/annotations.js";
import type { PropagationPolicy } from "./annotations.js";
import type { SyncPlan, SyncTask } from "./plan.js";
import {
  describeRef,
  resourceRefKey,
  type HealthCode,
  type HookDeletePolicy,
  type KubeObject,
  type OperationPhase,
  type ResourceRef,
  type SyncPhase,
} from "./types.js";

/** What the controller sees of a resource now (health from the health engine, existence from the cache). */
export interface Observation {
  /** Undefined: the kind has no health check, so it counts as healthy once it exists. */
  health?: HealthCode;
  message?: string;
  /** False when the object is not in the cluster (yet, or any more). Default true. */
  exists?: boolean;
}

/** Observations keyed by resourceRefKey(ref) (`group/kind/namespace/name`). */
export type Observations = ReadonlyMap<string, Observation>;

export interface StepOptions {
  /** RFC 3339 "now", used for finishedAt. */
  now: string;
  /** Pause after a wave before the next one (Argo's ARGOCD_SYNC_WAVE_DELAY). Default 2000. */
  waveDelayMs?: number;
  /** How soon to look again while something runs. Default 1000. */
  pollIntervalMs?: number;
  /** Prune=confirm: the Application's deletion-approved annotation is later than the op start. */
  pruneConfirmed?: boolean;
}

export const DEFAULT_WAVE_DELAY_MS = 2000;
export const DEFAULT_POLL_INTERVAL_MS = 1000;

export type SyncActionType = "apply" | "prune" | "create-hook" | "delete-hook" | "finalize-hook";

export interface SyncAction {
  type: SyncActionType;
  taskId: string;
  ref: ResourceRef;
  version: string;
  phase: SyncPhase;
  wave: number;
  dryRun: boolean;
  /** apply / create-hook: the object to send. */
  object?: KubeObject;
  /** apply: how to send it. */
  strategy?: "apply" | "server-side-apply" | "replace" | "create";
  force?: boolean;
  validate?: boolean;
  /** prune: the deletion propagation policy. */
  propagationPolicy?: PropagationPolicy;
  /** create-hook: delete the existing live hook first (BeforeHookCreation). */
  deleteBeforeCreate?: boolean;
  /** delete-hook: which rule asked for it. */
  reason?: HookDeletePolicy | "Terminated";
  /**
   * Validation only: an unknown kind is not an error (SkipDryRunOnMissingResource=true, or the
   * kind's CRD is applied in this same sync).
   */
  skipIfKindUnknown?: boolean;
}

export type StepDecision =
  | "done" // the operation had already finished; nothing to do
  | "wait" // something is running: look again later
  | "wait-confirmation" // Prune=confirm without approval
  | "apply" // the next (phase, wave) was started
  | "run-sync-fail" // a task failed: the SyncFail hooks were started
  | "failed"
  | "succeeded"
  | "terminated";

export interface SyncStepResult {
  decision: StepDecision;
  actions: SyncAction[];
  state: OperationState;
  /** Set while the operation is Running. */
  requeueAfterMs?: number;
  /**
   * First pass only: a client-side dry run of every task, to run before `actions`. If any fails,
   * record it with recordValidationFailure() and do not run `actions` (Argo's first-pass dry run).
   */
  validation?: SyncAction[];
}

type Result = ResourceResult;
const COMPLETED: ReadonlySet<string> = new Set<OperationPhase>(["Succeeded", "Failed", "Error"]);

function isCompleted(r: Result): boolean {
  return r.hookPhase !== undefined && COMPLETED.has(r.hookPhase);
}
function isSuccessful(r: Result): boolean {
  return r.status !== "SyncFailed" && r.hookPhase === "Succeeded";
}
function resultId(r: Result): string {
  // Same shape as taskId(); PreDelete/PostDelete results (from deletion) never match a sync task.
  return `${resourceRefKey(r)}:${r.syncPhase ?? "Sync"}`;
}

/** Decides and records the next step of the operation. The input state is not modified. */
export function nextSyncStep(plan: SyncPlan, current: OperationState, observations: Observations, opts: StepOptions): SyncStepResult {
  const state = cloneState(current, plan);
  const poll = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  if (state.phase === "Succeeded" || state.phase === "Failed" || state.phase === "Error") {
    return { decision: "done", actions: [], state };
  }
  const results = state.syncResult!.resources!;
  const byId = new Map(results.map((r) => [resultId(r), r]));
  const tasksById = new Map(plan.tasks.map((t) => [t.id, t]));
  const actions: SyncAction[] = [];

  if (state.phase === "Terminating") return terminate(plan, state, byId, opts);

  if (plan.dryRun) return dryRunStep(plan, state, byId, opts);

  // Refresh what is running from the observations.
  for (const r of results) {
    if (r.hookPhase !== "Running") continue;
    const task = tasksById.get(resultId(r));
    const obs = observations.get(resourceRefKey(r));
    const next = refresh(r, obs);
    if (next === undefined) continue;
    r.hookPhase = next.phase;
    if (next.message !== undefined) r.message = next.message;
    if (r.hookType && task && isCompleted(r)) actions.push(action("finalize-hook", task, false));
  }

  const running = results.filter((r) => r.hookPhase === "Running");
  if (running.length > 0) {
    state.message = runningMessage(running);
    return { decision: "wait", actions, state, requeueAfterMs: poll };
  }

  const regular = plan.tasks.filter((t) => t.phase !== "SyncFail");
  const syncFail = plan.tasks.filter((t) => t.phase === "SyncFail");
  const failed = results.filter((r) => r.syncPhase !== "SyncFail" && isCompleted(r) && !isSuccessful(r));
  if (failed.length > 0) {
    const message = failureMessage(failed);
    const syncFailPending = syncFail.filter((t) => !byId.has(t.id));
    if (syncFailPending.length > 0 && syncFailPending.length === syncFail.length) {
      // Start the SyncFail hooks; the op stays Running so their outcome is awaited.
      for (const t of syncFail) {
        actions.push(hookCreateAction(t, false));
        results.push(resultFor(t, "Synced", "Running", ""));
      }
      state.message = message;
      return { decision: "run-sync-fail", actions, state, requeueAfterMs: poll };
    }
    actions.push(...hookDeletions(plan, byId, "HookFailed"));
    finish(state, "Failed", message, opts.now);
    return { decision: "failed", actions, state };
  }

  const pending = regular.filter((t) => !byId.has(t.id));
  if (pending.length === 0) {
    actions.push(...hookDeletions(plan, byId, "HookSucceeded"));
    finish(state, "Succeeded", "successfully synced (all tasks run)", opts.now);
    return { decision: "succeeded", actions, state };
  }

  // Nothing recorded yet: this is the first pass, so everything is validated before anything runs,
  // unless the whole sync is one apply: that apply is the same check, and its failure leaves
  // nothing half done, so a dry run would only double the apiserver's work.
  const validation = results.length === 0 && !isSingleApply(plan) ? validationActions(plan) : undefined;
  const first = pending[0] as SyncTask;
  const batch = pending.filter((t) => t.phase === first.phase && t.wave === first.wave);
  const unconfirmed = batch.filter((t) => t.requiresConfirmation);
  if (unconfirmed.length > 0 && !opts.pruneConfirmed) {
    state.message = `Waiting for pruning confirmation of ${unconfirmed.map((t) => describeRef(t.ref)).join(", ")}`;
    return { decision: "wait-confirmation", actions, state, requeueAfterMs: poll, validation };
  }
  const finalWave = batch.length === pending.length;
  // In a multi-step sync a wave's resources must become healthy before the next wave; the final
  // wave is not waited for (Argo reports Succeeded at once and leaves health to app health).
  const gate = plan.multiStep && !finalWave;
  for (const t of batch) actions.push(...startTask(t, gate, results));

  const hasHooks = batch.some((t) => t.hookType !== undefined);
  if (finalWave && !hasHooks) {
    actions.push(...hookDeletions(plan, new Map(results.map((r) => [resultId(r), r])), "HookSucceeded"));
    finish(state, "Succeeded", "successfully synced (no more tasks)", opts.now);
    return { decision: "succeeded", actions, state, validation };
  }
  state.message = `running ${first.phase} wave ${first.wave}`;
  const waveDelay = opts.waveDelayMs ?? DEFAULT_WAVE_DELAY_MS;
  return { decision: "apply", actions, state, requeueAfterMs: finalWave ? poll : Math.max(poll, waveDelay), validation };
}

/**
 * Records what the executor reported for the actions of a step. A failed action marks its task
 * SyncFailed; if the step had already declared success (final wave), the operation is reopened
 * so the next step runs the failure handling (SyncFail hooks, HookFailed deletions).
 */
export function recordActionOutcomes(
  current: OperationState,
  outcomes: ReadonlyArray<{ taskId: string; ok: boolean; message?: string }>,
): OperationState {
  const state = structuredClone(current);
  const byId = new Map((state.syncResult?.resources ?? []).map((r) => [resultId(r), r]));
  let anyFailed = false;
  for (const o of outcomes) {
    const r = byId.get(o.taskId);
    if (!r) continue;
    if (o.message !== undefined) r.message = o.message;
    if (!o.ok) {
      r.status = "SyncFailed";
      r.hookPhase = "Failed";
      anyFailed = true;
    }
  }
  if (anyFailed && state.phase === "Succeeded") {
    state.phase = "Running";
    delete state.finishedAt;
  }
  return state;
}

/**
 * Records a failed first-pass validation: the operation fails before anything was applied, with
 * the failed objects' messages in their results.
 */
export function recordValidationFailure(
  plan: SyncPlan,
  current: OperationState,
  failures: ReadonlyArray<{ taskId: string; message: string }>,
  now: string,
): OperationState {
  const state = cloneState(current, plan);
  const tasks = new Map(plan.tasks.map((t) => [t.id, t]));
  state.syncResult!.resources = failures.flatMap((f) => {
    const t = tasks.get(f.taskId);
    return t ? [resultFor(t, "SyncFailed", "Failed", f.message)] : [];
  });
  finish(state, "Failed", "one or more objects failed to apply (dry run)", now);
  return state;
}

function isSingleApply(plan: SyncPlan): boolean {
  const only = plan.tasks.length === 1 ? plan.tasks[0] : undefined;
  return only !== undefined && only.hookType === undefined && only.operation !== "prune" && only.target !== undefined;
}

function validationActions(plan: SyncPlan): SyncAction[] {
  const out: SyncAction[] = [];
  for (const t of plan.tasks) {
    if (t.phase === "SyncFail" || t.operation === "prune" || !t.target) continue;
    const a = t.hookType ? hookCreateAction(t, true) : applyAction(t, true);
    delete a.deleteBeforeCreate;
    if (t.options.skipDryRunOnMissingResource || t.crdInSync) a.skipIfKindUnknown = true;
    out.push(a);
  }
  return out;
}

function cloneState(current: OperationState, plan: SyncPlan): OperationState {
  const state = structuredClone(current);
  state.syncResult ??= { revision: plan.revision };
  state.syncResult.resources ??= [];
  return state;
}

function finish(state: OperationState, phase: OperationPhase, message: string, now: string): void {
  state.phase = phase;
  state.message = message;
  state.finishedAt = now;
}

/** Argo's task refresh: hooks by their health, gated resources by theirs, prunes by their absence. */
function refresh(r: Result, obs: Observation | undefined): { phase: OperationPhase; message?: string } | undefined {
  if (r.status === "Pruned") return obs?.exists === true ? undefined : { phase: "Succeeded" };
  // Not seen yet (the cache may lag behind a create): keep waiting.
  if (!obs || obs.exists === false || obs.health === "Missing") return undefined;
  if (obs.health === undefined || obs.health === "Healthy") return { phase: "Succeeded", message: obs.message ?? "" };
  if (r.hookType) {
    if (obs.health === "Progressing" || obs.health === "Suspended") return { phase: "Running", message: obs.message };
    return { phase: "Failed", message: obs.message ?? `hook ${obs.health}` };
  }
  if (obs.health === "Degraded") return { phase: "Failed", message: obs.message ?? "Degraded" };
  return undefined;
}

function runningMessage(running: Result[]): string {
  const hooks = running.filter((r) => r.hookType);
  const name = (r: Result): string => `${r.group ? `${r.group}/` : ""}${r.kind}/${r.name}`;
  const first = (hooks[0] ?? running[0]) as Result;
  const what = hooks.length > 0 ? "completion of hook" : running.every((r) => r.status === "Pruned") ? "deletion of" : "healthy state of";
  const more = running.length - 1;
  return `waiting for ${what} ${name(first)}${more > 0 ? ` and ${more} more ${hooks.length === running.length ? "hooks" : "resources"}` : ""}`;
}

function failureMessage(failed: Result[]): string {
  const applyFailures = failed.filter((r) => r.status === "SyncFailed");
  if (applyFailures.length > 0) {
    const reasons = applyFailures.map((r) => r.message).filter((m): m is string => !!m);
    return `one or more objects failed to apply${reasons.length > 0 ? `, reason: ${reasons.join(", ")}` : ""}`;
  }
  return "one or more synchronization tasks completed unsuccessfully";
}

function resultFor(t: SyncTask, status: NonNullable<Result["status"]>, hookPhase: OperationPhase, message: string): Result {
  const r: Result = {
    group: t.ref.group, version: t.version, kind: t.ref.kind, namespace: t.ref.namespace, name: t.ref.name,
    status, message, hookPhase, syncPhase: t.phase,
  };
  if (t.hookType) r.hookType = t.hookType;
  return r;
}

function action(type: SyncActionType, t: SyncTask, dryRun: boolean): SyncAction {
  return { type, taskId: t.id, ref: t.ref, version: t.version, phase: t.phase, wave: t.wave, dryRun };
}

function hookCreateAction(t: SyncTask, dryRun: boolean): SyncAction {
  const a = action("create-hook", t, dryRun);
  const target = t.target as KubeObject;
  // The hook finalizer keeps the hook until Hawser has read its outcome.
  const finalizers = [...(target.metadata.finalizers ?? [])];
  if (!finalizers.includes(FINALIZER_HOOK)) finalizers.push(FINALIZER_HOOK);
  a.object = { ...target, metadata: { ...target.metadata, finalizers } };
  a.deleteBeforeCreate = t.live !== undefined && (t.deletePolicies ?? []).includes("BeforeHookCreation");
  if (t.options.validate === false) a.validate = false;
  return a;
}

function applyAction(t: SyncTask, dryRun: boolean): SyncAction {
  const a = action("apply", t, dryRun);
  a.object = t.target;
  a.strategy = t.options.replace ? "replace" : t.options.serverSideApply ? "server-side-apply" : "apply";
  if (t.options.force) a.force = true;
  if (t.options.validate === false) a.validate = false;
  return a;
}

/** Starts one task: the action to run and its optimistic result (an executor failure overrides it). */
function startTask(t: SyncTask, gate: boolean, results: Result[]): SyncAction[] {
  const afterApply: OperationPhase = gate ? "Running" : "Succeeded";
  if (t.operation === "prune") {
    if (t.pruneSkipped) {
      results.push(resultFor(t, "PruneSkipped", "Succeeded", t.pruneSkipped === "no-prune" ? "ignored (no prune)" : "ignored (requires pruning)"));
      return [];
    }
    results.push(resultFor(t, "Pruned", afterApply, "pruned"));
    const a = action("prune", t, false);
    a.propagationPolicy = t.options.prunePropagationPolicy ?? "foreground";
    return [a];
  }
  if (t.hookType) {
    results.push(resultFor(t, "Synced", "Running", ""));
    return [hookCreateAction(t, false)];
  }
  results.push(resultFor(t, "Synced", afterApply, ""));
  return [applyAction(t, false)];
}

/** Completed hooks whose delete policy matches the operation's outcome. */
function hookDeletions(plan: SyncPlan, byId: ReadonlyMap<string, Result>, policy: "HookSucceeded" | "HookFailed"): SyncAction[] {
  const out: SyncAction[] = [];
  for (const t of plan.tasks) {
    const r = byId.get(t.id);
    if (!t.hookType || !r || !isCompleted(r) || !(t.deletePolicies ?? []).includes(policy)) continue;
    const a = action("delete-hook", t, false);
    a.reason = policy;
    out.push(a);
  }
  return out;
}

/** Terminate: delete the hooks still running and fail the operation. */
function terminate(plan: SyncPlan, state: OperationState, byId: ReadonlyMap<string, Result>, opts: StepOptions): SyncStepResult {
  const actions: SyncAction[] = [];
  for (const t of plan.tasks) {
    const r = byId.get(t.id);
    if (!t.hookType || r?.hookPhase !== "Running") continue;
    const a = action("delete-hook", t, plan.dryRun);
    a.reason = "Terminated";
    actions.push(a);
    r.hookPhase = "Failed";
    r.message = "Terminated";
  }
  finish(state, "Failed", "Operation terminated", opts.now);
  return { decision: "terminated", actions, state };
}

/**
 * Dry run: every task at once with client dry-run, nothing waited for; prunes report
 * "pruned (dry run)". A failure reported back reopens the operation and fails it here.
 */
function dryRunStep(plan: SyncPlan, state: OperationState, byId: ReadonlyMap<string, Result>, opts: StepOptions): SyncStepResult {
  const results = state.syncResult!.resources!;
  const failed = results.filter((r) => r.status === "SyncFailed" || r.hookPhase === "Failed");
  if (failed.length > 0) {
    finish(state, "Failed", "one or more objects failed to apply (dry run)", opts.now);
    return { decision: "failed", actions: [], state };
  }
  const actions: SyncAction[] = [];
  for (const t of plan.tasks) {
    if (t.phase === "SyncFail" || byId.has(t.id)) continue;
    if (t.operation === "prune") {
      if (t.pruneSkipped) {
        results.push(resultFor(t, "PruneSkipped", "Succeeded", t.pruneSkipped === "no-prune" ? "ignored (no prune)" : "ignored (requires pruning)"));
        continue;
      }
      results.push(resultFor(t, "Pruned", "Succeeded", "pruned (dry run)"));
      const a = action("prune", t, true);
      a.propagationPolicy = t.options.prunePropagationPolicy ?? "foreground";
      actions.push(a);
    } else if (t.hookType) {
      results.push(resultFor(t, "Synced", "Succeeded", "(dry run)"));
      actions.push(hookCreateAction(t, true));
    } else {
      results.push(resultFor(t, "Synced", "Succeeded", "(dry run)"));
      actions.push(applyAction(t, true));
    }
  }
  finish(state, "Succeeded", "successfully synced (dry run)", opts.now);
  return { decision: "succeeded", actions, state };
}
