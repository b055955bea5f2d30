// Rate limiting for work-queue retries, as client-go's DefaultControllerRateLimiter: the longer of
// a per-key exponential backoff (5 ms doubling up to 1000 s) and a global token bucket
// (10 per second, burst 100) so that many failing keys cannot hammer the apiserver together.

export interface RateLimiter {
  /** How long the key must wait before its next attempt; counts as a failure of that key. */
  when(key: string): number;
  /** Forgets a key's failures (after a success). */
  forget(key: string): void;
  /** How many times the key has failed since it was last forgotten. */
  retries(key: string): number;
}

export class ExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n grows past maxMs long before overflow matters; clamp the exponent anyway.
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(n, 40));
  }

  forget(key: string): void { this.failures.delete(key); }
  retries(key: string): number { return this.failures.get(key) ?? 0; }
}

/** Token bucket: `qps` tokens per second, up to `burst`. Returns the delay until a token is free. */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  when(_key: string): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1; // reserve a token even if it is in the future, as golang.org/x/time/rate does
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_key: string): void {}
  retries(_key: string): number { return 0; }
}

/** The longest delay of several limiters; failures are counted by all of them. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) { this.limiters = limiters; }
  when(key: string): number { return Math.max(...this.limiters.map((l) => l.when(key))); }
  forget(key: string): void { for (const l of this.limiters) l.forget(key); }
  retries(key: string): number { return Math.max(...this.limiters.map((l) => l.retries(key))); }
}

export interface RateLimiterOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  qps?: number;
  burst?: number;
}

export function defaultControllerRateLimiter(opts: RateLimiterOptions = {}): RateLimiter {
  return new MaxOfRateLimiter(
    new ExponentialRateLimiter(opts.baseDelayMs ?? 5, opts.maxDelayMs ?? 1_000_000),
    new BucketRateLimiter(opts.qps ?? 10, opts.burst ?? 100),
  );
}
