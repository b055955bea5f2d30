// Adaptive concurrency for writes to the apiserver (AIMD, as TCP congestion control): the number
// of requests in flight doubles per window of successes until the first sign of overload (slow
// start), then grows by one per window while latency stays under target, and halves on a 429 or
// when latency exceeds the target (at most once per window, so one burst of slow answers that
// were all in flight together counts once). This finds the apiserver's ceiling on
// any machine instead of a fixed QPS that is too slow on big clusters and too fast on small ones.
//
// Two priorities: `low` is for writes that may wait (Events), so that they yield to the writes a
// sync or a status depends on. A free slot goes to a waiting normal call first; low calls take a
// slot only when no normal call waits, and hold at most a share of the limit (`lowShare`, a
// quarter by default) at once, so a burst of Events never fills the slots a status write would
// need next. Low calls are never dropped: they wait, FIFO, and run as soon as the rule allows.
//
// Fair turns in the normal lane: a call may name its group (the tenant the work queues take turns
// by: for Applications the owning ApplicationSet, else the project, controllers/application/
// queue-group.ts). Waiting normal calls sit in their group's FIFO and a free slot goes to the
// groups in turn, one call each, so a burst of one group's writes delays another group's write by
// at most one call per group with calls waiting, not by the burst: an app another team creates
// during a 10,000-app rollout gets its status written in its turn. Calls without a group share one.
// Every operation is O(1) and a group takes memory only while it has calls waiting.
import { KubeApiError } from "./client.js";
import { Fifo } from "../util/fifo.js";

export interface AdaptiveLimiterOptions {
  initial?: number;
  min?: number;
  max?: number;
  /** Latency above which the limit decreases. */
  targetLatencyMs?: number;
  /** The share of the limit low-priority calls may hold at once (at least one slot); default 0.25. */
  lowShare?: number;
  /** Told how long each call waited for its slot (0 when it started at once): a metric. */
  onWait?: (ms: number, priority: WritePriority) => void;
}

export type WritePriority = "normal" | "low";

export interface RunOptions {
  priority?: WritePriority;
  /** The normal lane's fair-turn group (see the header); ignored for low calls. */
  group?: string;
}

export class AdaptiveLimiter {
  private limit: number;
  private inFlight = 0;
  private successesInWindow = 0;
  private slowStart = true;
  /** Completions to ignore for latency after a cut: they were sent at the old limit. */
  private cooldown = 0;
  /** The normal lane: each group's waiting calls, and the groups in turn (a group is in `turns` iff it has a FIFO here). */
  private readonly groups = new Map<string, Fifo<() => void>>();
  private readonly turns = new Fifo<string>();
  private normalWaiting = 0;
  private readonly lowWaiting = new Fifo<() => void>();
  private lowInFlight = 0;
  private readonly lowShare: number;
  private readonly min: number;
  private readonly max: number;
  private readonly target: number;
  private readonly onWait: ((ms: number, priority: WritePriority) => void) | undefined;
  /** Number of times the limit was cut (exposed for metrics and tests). */
  decreases = 0;

  constructor(opts: AdaptiveLimiterOptions = {}) {
    this.min = opts.min ?? 1;
    this.max = opts.max ?? 64;
    this.limit = Math.min(this.max, Math.max(this.min, opts.initial ?? 8));
    this.target = opts.targetLatencyMs ?? 1000;
    this.lowShare = opts.lowShare ?? 0.25;
    this.onWait = opts.onWait;
  }

  get currentLimit(): number { return Math.floor(this.limit); }
  get active(): number { return this.inFlight; }
  /** Low-priority calls waiting for a slot (see the header). */
  get lowWaitingCount(): number { return this.lowWaiting.size; }
  /** Normal calls waiting for a slot, and the groups they belong to. */
  get normalWaitingCount(): number { return this.normalWaiting; }
  get waitingGroupCount(): number { return this.groups.size; }

  /** Runs `fn` when a slot is free for its priority; 429 answers are retried after the limit is cut. */
  async run<T>(fn: () => Promise<T>, opts: RunOptions = {}): Promise<T> {
    const low = opts.priority === "low";
    const group = opts.group ?? "";
    for (let attempt = 0; ; attempt++) {
      const asked = this.onWait ? performance.now() : 0;
      await this.acquire(low, group);
      const started = performance.now();
      this.onWait?.(started - asked, low ? "low" : "normal");
      try {
        const result = await fn();
        this.onSuccess(performance.now() - started, low);
        return result;
      } catch (err) {
        if (err instanceof KubeApiError && err.isTooManyRequests && attempt < 10) {
          this.decrease();
          this.release(low);
          await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
          continue;
        }
        this.release(low);
        throw err;
      }
    }
  }

  /** Slots low-priority calls may hold at once. */
  private get lowLimit(): number { return Math.max(1, Math.floor(this.currentLimit * this.lowShare)); }

  private lowMayStart(): boolean {
    return this.inFlight < this.currentLimit && this.normalWaiting === 0 && this.lowInFlight < this.lowLimit;
  }

  private acquire(low: boolean, group: string): Promise<void> {
    if (low) {
      // Behind low calls already waiting, too: FIFO within the lane.
      if (this.lowWaiting.size === 0 && this.lowMayStart()) {
        this.inFlight++;
        this.lowInFlight++;
        return Promise.resolve();
      }
      return new Promise((resolve) => this.lowWaiting.push(() => { this.inFlight++; this.lowInFlight++; resolve(); }));
    }
    // Behind normal calls already waiting (the slot may be free only until release() hands it on).
    if (this.normalWaiting === 0 && this.inFlight < this.currentLimit) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.enqueueNormal(group, () => { this.inFlight++; resolve(); }));
  }

  /** Queues a normal call at the back of its group; a group with no call waiting takes its turn after those waiting. */
  private enqueueNormal(group: string, start: () => void): void {
    let calls = this.groups.get(group);
    if (!calls) {
      calls = new Fifo<() => void>();
      this.groups.set(group, calls);
      this.turns.push(group);
    }
    calls.push(start);
    this.normalWaiting++;
  }

  /** The next waiting normal call: the first of the group whose turn it is; that group goes to the back if it has more. */
  private nextNormal(): (() => void) | undefined {
    const group = this.turns.shift();
    if (group === undefined) return undefined;
    const calls = this.groups.get(group)!;
    const start = calls.shift()!;
    if (calls.size > 0) this.turns.push(group);
    else this.groups.delete(group);
    this.normalWaiting--;
    return start;
  }

  private release(low: boolean): void {
    this.inFlight--;
    if (low) this.lowInFlight--;
    while (this.inFlight < this.currentLimit && this.normalWaiting > 0) this.nextNormal()!();
    while (this.lowWaiting.size > 0 && this.lowMayStart()) this.lowWaiting.shift()!();
  }

  private onSuccess(latencyMs: number, low: boolean): void {
    if (this.cooldown > 0) this.cooldown--;
    if (latencyMs > this.target) {
      if (this.cooldown === 0) this.decrease();
    } else if (++this.successesInWindow >= this.currentLimit) {
      this.successesInWindow = 0;
      this.limit = Math.min(this.max, this.slowStart ? this.limit * 2 : this.limit + 1);
    }
    this.release(low);
  }

  private decrease(): void {
    this.decreases++;
    this.slowStart = false;
    this.successesInWindow = 0;
    this.cooldown = this.inFlight;
    this.limit = Math.max(this.min, this.limit / 2);
  }
}
