// The decisions around a sync that the controller makes without doing anything: whether to start
// an auto-sync (Argo's appcontroller.go autoSync/alreadyAttemptedSync/shouldSelfHeal), how long
// self-heal backs off, and when a failed operation is retried (types.go NextRetryAt).
import type {
  ApplicationSource,
  Operation,
  OperationState,
  ResourceStatus,
  RetryStrategy,
  SyncPolicy,
} from "../../api/index.js";
import type { SyncWindowVerdict } from "../syncwindows.js";
import { DurationError, parseBackoffDuration } from "./duration.js";

export interface SelfHealBackoff {
  durationMs: number;
  factor: number;
  capMs: number;
}

/** controller.self.heal.backoff.{timeout,factor,cap}.seconds: 2 / 3 / 300. */
export const DEFAULT_SELF_HEAL_BACKOFF: SelfHealBackoff = { durationMs: 2000, factor: 3, capMs: 300_000 };

/** Self-heal delay before attempt n+1 after n attempts at the same revision: 0, 2, 6, 18, 54, 162, 300 s… */
export function selfHealDelayMs(attempts: number, backoff: SelfHealBackoff = DEFAULT_SELF_HEAL_BACKOFF): number {
  if (attempts <= 0) return 0;
  return Math.min(backoff.durationMs * backoff.factor ** (attempts - 1), backoff.capMs);
}

export interface AutoSyncInput {
  syncPolicy?: SyncPolicy;
  /** `.operation` is set or the last operation is still Running/Terminating. */
  operationInProgress: boolean;
  /** The Application has a deletionTimestamp. */
  deleting: boolean;
  syncStatus?: "Synced" | "OutOfSync" | "Unknown";
  /** Resolved revision(s) the comparison used (status.sync.revision / revisions). */
  revisions: string[];
  /** spec.source / spec.sources, to notice a spec change at the same revision. */
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  /** status.resources. */
  resources: ReadonlyArray<Pick<ResourceStatus, "group" | "kind" | "namespace" | "name" | "status" | "requiresPruning" | "hook">>;
  /** Number of rendered manifests; 0 is an empty render. */
  targetCount?: number;
  lastOperation?: OperationState;
  /** Epoch milliseconds. */
  now: number;
  selfHealBackoff?: SelfHealBackoff;
  /**
   * The project's sync windows for an automated sync now (`syncWindowVerdict` with kind
   * "automated"); absent when the caller has not evaluated them (no windows).
   */
  syncWindow?: Pick<SyncWindowVerdict, "allowed" | "message" | "nextChangeAt">;
}

export interface AutoSyncDecision {
  sync: boolean;
  /** Why, for logs. */
  reason: string;
  /** The operation to write to `.operation` when sync is true. */
  operation?: Operation;
  /** A SyncError condition to set (failed attempt at this revision, a wipe-out refused, a sync window). */
  condition?: { type: "SyncError"; message: string };
  /** Look again after this long (self-heal backoff, or when the sync windows' verdict can change). */
  requeueAfterMs?: number;
}

/** Whether the policy enables auto-sync: `automated` present and `enabled` not false. */
export function autoSyncEnabled(policy: SyncPolicy | undefined): boolean {
  return policy?.automated !== undefined && policy.automated.enabled !== false;
}

export function shouldAutoSync(input: AutoSyncInput): AutoSyncDecision {
  const policy = input.syncPolicy;
  const automated = policy?.automated;
  if (!policy || !automated || automated.enabled === false) return { sync: false, reason: "auto-sync is not enabled" };
  if (input.operationInProgress) return { sync: false, reason: "another operation is in progress" };
  if (input.deleting) return { sync: false, reason: "the application is being deleted" };
  if (input.syncStatus !== "OutOfSync") return { sync: false, reason: `the application is ${input.syncStatus ?? "not compared yet"}, not OutOfSync` };

  const desired = input.revisions.join(", ");
  const outOfSync = input.resources.filter((r) => r.status !== "Synced" && !r.hook);
  if (!automated.prune && outOfSync.length > 0 && outOfSync.every((r) => r.requiresPruning)) {
    return { sync: false, reason: "need to prune extra resources only but automated prune is disabled" };
  }

  const op: Operation = {
    initiatedBy: { automated: true },
    sync: { prune: automated.prune === true },
  };
  const sync = op.sync!;
  if (input.revisions.length > 1 || input.sources) sync.revisions = [...input.revisions];
  else sync.revision = input.revisions[0] ?? "";
  if (policy.syncOptions) sync.syncOptions = [...policy.syncOptions];
  if (policy.retry) op.retry = structuredClone(policy.retry);

  const last = input.lastOperation;
  const attempted = alreadyAttempted(input);
  if (attempted && (!automated.selfHeal || last?.phase !== "Succeeded")) {
    if (last?.phase !== "Succeeded") {
      return {
        sync: false,
        reason: "the last sync attempt to this revision failed",
        condition: { type: "SyncError", message: `Failed last sync attempt to ${desired}: ${last?.message ?? ""}` },
      };
    }
    return { sync: false, reason: `most recent sync already to ${desired}` };
  }
  if (automated.selfHeal) {
    if (attempted) {
      const attempts = last?.operation.sync?.autoHealAttemptsCount ?? 0;
      const delay = selfHealDelayMs(attempts, input.selfHealBackoff);
      const finished = last?.finishedAt ? Date.parse(last.finishedAt) : undefined;
      const retryAfter = finished === undefined || Number.isNaN(finished) ? delay : delay - (input.now - finished);
      if (retryAfter > 0) return { sync: false, reason: "self-heal backoff", requeueAfterMs: retryAfter };
      sync.autoHealAttemptsCount = attempts + 1;
      // Self-heal re-applies only what drifted (a selective sync, so hooks do not run again).
      sync.resources = outOfSync.map((r) => ({
        group: r.group ?? "", kind: r.kind ?? "", name: r.name ?? "", namespace: r.namespace ?? "",
      }));
    } else {
      sync.autoHealAttemptsCount = 0;
    }
  }

  if (automated.prune && !automated.allowEmpty) {
    const managed = input.resources.filter((r) => !r.hook);
    if ((managed.length > 0 && managed.every((r) => r.requiresPruning)) || (input.targetCount === 0 && managed.length > 0)) {
      return {
        sync: false,
        reason: "the sync would delete every resource",
        condition: { type: "SyncError", message: `Skipping sync attempt to ${desired}: auto-sync will wipe out all resources` },
      };
    }
  }
  const windowBlock = syncWindowBlock(input);
  if (windowBlock) return windowBlock;
  return { sync: true, reason: attempted ? "self-heal" : `new revision or spec: ${desired}`, operation: op };
}

/**
 * The decision when the sync windows hold back a sync that would otherwise start. Checked last, so
 * the condition only ever says "blocked by a window" about a sync that is really due.
 */
function syncWindowBlock(input: AutoSyncInput): AutoSyncDecision | undefined {
  const verdict = input.syncWindow;
  if (!verdict || verdict.allowed) return undefined;
  const decision: AutoSyncDecision = {
    sync: false,
    reason: "sync window",
    condition: { type: "SyncError", message: verdict.message },
  };
  if (verdict.nextChangeAt) decision.requeueAfterMs = Math.max(0, verdict.nextChangeAt.getTime() - input.now);
  return decision;
}

/**
 * Argo's alreadyAttemptedSync: the last operation synced these revisions from the same source(s),
 * target revisions aside (HEAD and main resolving to the same SHA is not a change). When the last
 * result recorded no source, only the revisions are compared.
 */
function alreadyAttempted(input: AutoSyncInput): boolean {
  const result = input.lastOperation?.syncResult;
  if (!input.lastOperation?.operation.sync || !result) return false;
  const multi = input.revisions.length > 1 || input.sources !== undefined;
  if (multi) {
    if (JSON.stringify(result.revisions ?? []) !== JSON.stringify(input.revisions)) return false;
    if (result.sources === undefined) return true;
    return sameSources(result.sources, input.sources ?? []);
  }
  if (result.revision !== (input.revisions[0] ?? "")) return false;
  if (result.source === undefined || input.source === undefined) return true;
  return sameSources([result.source], [input.source]);
}

function sameSources(a: ApplicationSource[], b: ApplicationSource[]): boolean {
  const strip = (s: ApplicationSource): string => canonical({ ...s, targetRevision: undefined });
  return a.length === b.length && a.every((s, i) => strip(s) === strip(b[i] as ApplicationSource));
}

/** JSON with sorted keys and undefined dropped, for deep equality. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Argo's retry defaults (application_defaults.go). */
export const DEFAULT_RETRY_DURATION_MS = 5000;
export const DEFAULT_RETRY_FACTOR = 2;
export const DEFAULT_RETRY_MAX_DURATION_MS = 180_000;
/** Retry limit of an auto-sync operation whose policy sets none. */
export const DEFAULT_AUTO_SYNC_RETRY_LIMIT = 5;

/**
 * Delay before retry number retryCount+1: duration × factor^retryCount, capped at maxDuration.
 * Throws DurationError on an unparsable duration.
 */
export function retryDelayMs(retry: RetryStrategy | undefined, retryCount: number): number {
  const b = retry?.backoff;
  const duration = b?.duration ? parseBackoffDuration(b.duration) : DEFAULT_RETRY_DURATION_MS;
  const max = b?.maxDuration ? parseBackoffDuration(b.maxDuration) : DEFAULT_RETRY_MAX_DURATION_MS;
  const factor = b?.factor ?? DEFAULT_RETRY_FACTOR;
  const wait = duration * factor ** retryCount;
  return max > 0 ? Math.min(max, wait) : wait;
}

export interface RetryDecision {
  retry: boolean;
  reason: string;
  /** Epoch ms at which to start the retry. */
  retryAtMs?: number;
  /** The retry count to record on the retried operation. */
  retryCount?: number;
}

/** Whether and when to retry a finished operation, from its `retry` (or the auto-sync default). */
export function nextRetry(state: OperationState): RetryDecision {
  if (state.phase !== "Failed" && state.phase !== "Error") return { retry: false, reason: `operation ${state.phase}` };
  if (state.message === "Operation terminated") return { retry: false, reason: "terminated operations are not retried" };
  const retry = state.operation.retry;
  const limit = retry?.limit ?? (state.operation.initiatedBy?.automated ? DEFAULT_AUTO_SYNC_RETRY_LIMIT : 0);
  const count = state.retryCount ?? 0;
  if (limit >= 0 && count >= limit) return { retry: false, reason: `retry limit ${limit} reached` };
  let delay: number;
  try {
    delay = retryDelayMs(retry, count);
  } catch (err) {
    if (err instanceof DurationError) return { retry: false, reason: `invalid retry backoff: ${err.message}` };
    throw err;
  }
  const finished = state.finishedAt ? Date.parse(state.finishedAt) : NaN;
  return { retry: true, reason: `retry ${count + 1}${limit >= 0 ? ` of ${limit}` : ""}`, retryAtMs: (Number.isNaN(finished) ? 0 : finished) + delay, retryCount: count + 1 };
}
