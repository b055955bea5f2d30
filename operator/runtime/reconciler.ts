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

/** The user must change something; retrying will not help. */
export class StallingError extends Error {
  constructor(readonly reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StallingError";
  }
}

/** A dependency is not ready yet: requeue after a delay without counting a failure. */
export class WaitingError extends Error {
  constructor(readonly reason: string, message: string, readonly requeueAfterMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WaitingError";
  }
}

/** A transient failure: retry with per-key exponential backoff. */
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

export type ReconcileOutcome =
  | { kind: "success"; requeueAfterMs?: number }
  | { kind: "retry" }
  | { kind: "wait"; requeueAfterMs: number }
  | { kind: "stop" };

/** Maps what a reconcile returned or threw to what the queue does next. */
export function classifyOutcome(result: ReconcileResult | void, error: unknown): ReconcileOutcome {
  if (error === undefined) {
    const after = result?.requeueAfterMs;
    return after !== undefined && after > 0 ? { kind: "success", requeueAfterMs: after } : { kind: "success" };
  }
  if (error instanceof WaitingError) return { kind: "wait", requeueAfterMs: error.requeueAfterMs };
  if (error instanceof StallingError || error instanceof TerminalError) return { kind: "stop" };
  return { kind: "retry" };
}
