// Adaptive concurrency for writes to the apiserver (AIMD, as TCP congestion control): the number
// of requests in flight doubles per window of successes until the first sign of overload (slow
// start), then grows by one per window while latency stays under target, and halves on a 429 or
// when latency exceeds the target (at most once per window, so one burst of slow answers that
// were all in flight together counts once). This finds the apiserver's ceiling on
// any machine instead of a fixed QPS that is too slow on big clusters and too fast on small ones.
import { KubeApiError } from "./client.js";

export interface AdaptiveLimiterOptions {
  initial?: number;
  min?: number;
  max?: number;
  /** Latency above which the limit decreases. */
  targetLatencyMs?: number;
}

export class AdaptiveLimiter {
  private limit: number;
  private inFlight = 0;
  private successesInWindow = 0;
  private slowStart = true;
  /** Completions to ignore for latency after a cut: they were sent at the old limit. */
  private cooldown = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly min: number;
  private readonly max: number;
  private readonly target: number;
  /** Number of times the limit was cut (exposed for metrics and tests). */
  decreases = 0;

  constructor(opts: AdaptiveLimiterOptions = {}) {
    this.min = opts.min ?? 1;
    this.max = opts.max ?? 64;
    this.limit = Math.min(this.max, Math.max(this.min, opts.initial ?? 8));
    this.target = opts.targetLatencyMs ?? 1000;
  }

  get currentLimit(): number { return Math.floor(this.limit); }
  get active(): number { return this.inFlight; }

  /** Runs `fn` when a slot is free; 429 answers are retried after the limit is cut. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.acquire();
      const started = performance.now();
      try {
        const result = await fn();
        this.onSuccess(performance.now() - started);
        return result;
      } catch (err) {
        if (err instanceof KubeApiError && err.isTooManyRequests && attempt < 10) {
          this.decrease();
          this.release();
          await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
          continue;
        }
        this.release();
        throw err;
      }
    }
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.currentLimit) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => { this.inFlight++; resolve(); }));
  }

  private release(): void {
    this.inFlight--;
    while (this.inFlight < this.currentLimit && this.waiting.length > 0) this.waiting.shift()!();
  }

  private onSuccess(latencyMs: number): void {
    if (this.cooldown > 0) this.cooldown--;
    if (latencyMs > this.target) {
      if (this.cooldown === 0) this.decrease();
    } else if (++this.successesInWindow >= this.currentLimit) {
      this.successesInWindow = 0;
      this.limit = Math.min(this.max, this.slowStart ? this.limit * 2 : this.limit + 1);
    }
    this.release();
  }

  private decrease(): void {
    this.decreases++;
    this.slowStart = false;
    this.successesInWindow = 0;
    this.cooldown = this.inFlight;
    this.limit = Math.max(this.min, this.limit / 2);
  }
}
