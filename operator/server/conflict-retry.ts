// Server-side retries of updates that meet a resourceVersion conflict, as Argo's API server does
// (its updateApp loop). A service builds the next object from what it read, usually this
// replica's informer cache; when the cache is behind the apiserver (the controller wrote status
// a moment ago, another replica wrote, the watch is slow) the write is refused with 409 although
// the caller did nothing wrong. The service then re-reads the object from the apiserver and
// applies the caller's change again, a bounded number of times.
//
// A caller that sent a resourceVersion of its own asked for optimistic concurrency: a conflict
// then is its answer (409 Aborted), never retried. The loop is auth/conflict.ts's retryOnConflict.
import { KubeApiError } from "../kube/client.js";
import type { Logger } from "../runtime/logger.js";
import { MAX_CONFLICT_ATTEMPTS, retryOnConflict } from "./auth/conflict.js";
import { ApiError, Code } from "./http/errors.js";

export interface ConflictRetry<S, R> {
  /** What the request read first (the cached object). */
  current: S;
  /** Builds and sends the write from `current`; throws the apiserver's error. */
  write: (current: S) => Promise<R>;
  /** The object as the apiserver holds it now; undefined when it was deleted meanwhile. */
  reread: () => Promise<S | undefined>;
  /** The resourceVersion the caller sent, if any: then a conflict is not retried. */
  clientVersion?: string | undefined;
  /** The error when the object is gone on a re-read (NotFound as the service words it). */
  gone: () => Error;
  /** What the object is, for the message after the last attempt ("application web"). */
  what: string;
  /** Hears each conflict that is retried, at debug level (how often writers collide). */
  log?: Logger;
}

/**
 * Runs `write` on `current`; on a conflict re-reads and runs it again on the fresh object, up to
 * auth/conflict.ts's MAX_CONFLICT_ATTEMPTS in all (then 409 Aborted). Any conflict when the
 * caller sent its own resourceVersion is 409 Aborted at once; other errors pass through.
 */
export async function writeRetryingConflicts<S, R>(r: ConflictRetry<S, R>): Promise<R> {
  let current = r.current;
  let first = true;
  return retryOnConflict(r.what, async () => {
    if (!first) {
      const fresh = await r.reread();
      if (fresh === undefined) throw r.gone();
      current = fresh;
    }
    first = false;
    try {
      return await r.write(current);
    } catch (err) {
      if (r.clientVersion && err instanceof KubeApiError && err.isConflict) throw new ApiError(Code.Aborted, err.message);
      throw err;
    }
  }, (attempt) => r.log?.debug("write conflict", { object: r.what, attempt, retrying: attempt < MAX_CONFLICT_ATTEMPTS }));
}
