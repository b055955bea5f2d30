// Polling for tests of eventually-consistent systems (controllers, kwok stages): retry a check until
// it passes, sleeping a little longer after each failure, and fail with the check's last error.
export interface EventuallyOptions {
  /** Give up after this long. Default 30 s. */
  timeoutMs?: number;
  /** First sleep between attempts; grows by 1.5x per attempt up to maxIntervalMs. Default 100 ms. */
  intervalMs?: number;
  /** Default 2 s. */
  maxIntervalMs?: number;
  /** Prefix for the timeout error, e.g. "deployment ready". */
  message?: string;
}

export class EventuallyTimeoutError extends Error {}

/**
 * Calls `fn` until it neither throws nor returns `false`, and resolves to its result. Assertions
 * inside `fn` (node:assert) are the usual way to express the condition.
 */
export async function eventually<T>(fn: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<Exclude<T, false>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxInterval = opts.maxIntervalMs ?? 2_000;
  let interval = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = undefined;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const result = await fn();
      if (result !== false) return result as Exclude<T, false>;
      lastError = new Error("condition returned false");
    } catch (err) {
      lastError = err;
    }
    if (Date.now() + interval > deadline) break;
    await new Promise((r) => setTimeout(r, interval));
    interval = Math.min(maxInterval, Math.ceil(interval * 1.5));
  }
  const detail = lastError instanceof Error ? lastError.message : String(lastError);
  throw new EventuallyTimeoutError(
    `${opts.message ? `${opts.message}: ` : ""}condition not met within ${timeoutMs} ms (${attempts} attempts); last error: ${detail}`,
    { cause: lastError },
  );
}
