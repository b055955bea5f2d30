// The contract between the runtime and each controller's reconcile logic. A reconciler returns a
// result and never schedules timers itself; errors carry the reaction they want (Flux's typed
// errors): a stalled spec is not retried, a missing dependency waits, anything else backs off.
import type { Logger } from "./logger.js";

export interface ReconcileResult {
  /** Reconcile the key again after this many milliseconds (ignored when an error is thrown). */
  requeueAfterMs?: number;
}

export interface ReconcileContext {
  key: string;
  log: Logger;
  /** Aborted when the controller shuts down or loses leadership. */
  signal: AbortSignal;
  /** How many times this key has failed in a row before this attempt. */
  retries: number;
}

export interface Reconciler {
  reconcile(ctx: ReconcileContext): Promise<ReconcileResult | void>;
}

/**
 * The user must change something; retrying will not help. The key is not retried until something
 * new happens to it (the object or what it depends on changes), and the same stall is logged once.
 */
export class StallingError extends Error {
  constructor(readonly reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StallingError";
  }
}

/**
 * A dependency is not ready yet: reconcile again after `requeueAfterMs` without counting a failure
 * (the key's backoff is reset, as after a success that asks for a requeue).
 */
export class WaitingError extends Error {
  constructor(readonly reason: string, message: string, readonly requeueAfterMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WaitingError";
    // NaN or a negative delay would requeue in a busy loop or never; say so where it is thrown.
    if (!Number.isFinite(requeueAfterMs) || requeueAfterMs < 0) {
      throw new RangeError(`WaitingError(${reason}): requeueAfterMs must be a finite number ≥ 0, got ${requeueAfterMs}`);
    }
  }
}

/** A transient failure: retry with per-key exponential backoff; `reason` is logged with it. */
export class GenericError extends Error {
  constructor(readonly reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GenericError";
  }
}

/** Don't retry this error; the key is forgotten until something new happens to it. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TerminalError";
  }
}

export type TypedReconcileError = StallingError | WaitingError | GenericError | TerminalError;

/** How deep a chain of `cause`s is searched (a guard against cycles). */
const MAX_CAUSE_DEPTH = 16;

/**
 * The first typed reconcile error in `error`'s chain of causes (as Go's errors.As), so a
 * StallingError wrapped by a helper's `new Error(…, { cause })` still stalls. Undefined when
 * there is none: a plain error is a transient failure.
 */
export function typedReconcileError(error: unknown): TypedReconcileError | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && e instanceof Error; depth++) {
    if (e instanceof StallingError || e instanceof WaitingError || e instanceof GenericError || e instanceof TerminalError) return e;
    e = e.cause;
  }
  return undefined;
}

export type ReconcileOutcome =
  | { kind: "success"; requeueAfterMs?: number }
  | { kind: "retry"; reason?: string }
  | { kind: "wait"; reason: string; requeueAfterMs: number }
  | { kind: "stalled"; reason: string }
  | { kind: "terminal" };

/**
 * Maps what a reconcile returned or threw to what the queue does next (controller.ts). An error
 * wins over a returned result, as in controller-runtime.
 */
export function classifyOutcome(result: ReconcileResult | void, error: unknown): ReconcileOutcome {
  if (error === undefined) {
    const after = result?.requeueAfterMs;
    return after !== undefined && after > 0 ? { kind: "success", requeueAfterMs: after } : { kind: "success" };
  }
  const typed = typedReconcileError(error);
  if (typed instanceof WaitingError) return { kind: "wait", reason: typed.reason, requeueAfterMs: typed.requeueAfterMs };
  if (typed instanceof StallingError) return { kind: "stalled", reason: typed.reason };
  if (typed instanceof TerminalError) return { kind: "terminal" };
  if (typed instanceof GenericError) return { kind: "retry", reason: typed.reason };
  return { kind: "retry" };
}
