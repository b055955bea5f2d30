// A keyed, deduplicating work queue with client-go's semantics: a key waits in the queue at most
// once (`dirty`), is never handed to two workers at once (`processing`), and a key added while it
// is being processed is queued again when the worker calls done(). A burst of events for one key
// therefore becomes one reconcile. Delayed adds keep only the earliest deadline per key.
//
// Fair queueing: with `groupOf`, each waiting key sits in its group's FIFO (a tenant: for
// Applications the owning ApplicationSet, else the project), and get() takes the groups in turn,
// one key each, round-robin over the groups that have keys waiting. A burst of 10,000 keys in one
// group then delays a key of another group by at most one turn per group with waiting keys, not by
// the burst: an app a user creates by hand, or another team's, is refreshed while a big
// ApplicationSet is still being processed. Within a group the order is FIFO, and without `groupOf`
// all keys share one group, i.e. the queue is a plain FIFO. The group is asked for when a key is
// queued (the caller answers from its informer cache, never with a GET); every operation is O(1)
// amortised whatever the number of keys or groups, and a group takes memory only while it has keys
// waiting.
//
// Two lanes: `expedite` puts a key ahead of everything waiting in the normal lane, whatever its
// group. It is for the follow-up of work already under way (the refresh after an app's sync), so
// that one app goes through refresh → sync → refresh in seconds even while a burst of thousands of
// first refreshes waits, instead of joining the back of that burst at every stage. A key can sit in
// both lanes; whichever copy comes first is handed out and the other is skipped (it is no longer
// dirty).
import { defaultControllerRateLimiter, type RateLimiter } from "./rate-limiter.js";
import { Fifo } from "../util/fifo.js";

export interface WorkQueueMetrics {
  depth(n: number): void;
  added(): void;
  /** Time a key waited in the queue before a worker took it. */
  queued(ms: number): void;
  /** Time a worker spent on a key, from get() to done(). */
  worked(ms: number): void;
  retried(): void;
  /** Where the work in progress is read at scrape time (client-go's unfinished and longest-running gauges). */
  watchProcessing(read: () => ProcessingNow): void;
}

/** The keys being processed right now, as seconds: their sum and the oldest one's. */
export interface ProcessingNow {
  unfinishedSeconds: number;
  longestSeconds: number;
}

export interface WorkQueueOptions {
  name: string;
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
  /** The key's group for fair queueing (see the header); called when the key is queued. */
  groupOf?: (key: string) => string;
}

export class WorkQueue {
  readonly name: string;
  /** The normal lane: each group's waiting keys, and the groups in turn (a group is in `turns` iff it has a FIFO here). */
  private readonly groups = new Map<string, Fifo<string>>();
  private readonly turns = new Fifo<string>();
  private readonly urgent = new Fifo<string>();
  /** Keys to go into the urgent lane when their current processing ends. */
  private readonly expediteOnDone = new Set<string>();
  private readonly dirty = new Set<string>();
  /** Keys handed to workers and not done yet, with when each was handed out (performance.now()). */
  private readonly processing = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  private readonly waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly getters: Array<(key: string | undefined) => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private shuttingDown = false;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics | undefined;
  private readonly groupOf: ((key: string) => string) | undefined;

  constructor(opts: WorkQueueOptions) {
    this.name = opts.name;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter();
    this.metrics = opts.metrics;
    this.groupOf = opts.groupOf;
    this.metrics?.watchProcessing(() => this.processingNow());
  }

  /** The work in progress (at most one entry per worker, so a scrape's loop is short). */
  processingNow(now = performance.now()): ProcessingNow {
    let unfinished = 0;
    let longest = 0;
    for (const started of this.processing.values()) {
      const ms = Math.max(0, now - started);
      unfinished += ms;
      if (ms > longest) longest = ms;
    }
    return { unfinishedSeconds: unfinished / 1000, longestSeconds: longest / 1000 };
  }

  /** Keys waiting to be handed out (a key re-added while it is processed is not waiting yet). */
  get length(): number {
    let n = this.dirty.size;
    for (const k of this.processing.keys()) if (this.dirty.has(k)) n--;
    return n;
  }
  get processingCount(): number { return this.processing.size; }
  get isShuttingDown(): boolean { return this.shuttingDown; }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics?.added();
    this.dirty.add(key);
    this.addedAt.set(key, performance.now());
    if (this.processing.has(key)) return; // re-queued by done()
    this.push(key);
  }

  /** Adds the key ahead of every key waiting in the normal lane (see the header). */
  expedite(key: string): void {
    if (this.shuttingDown) return;
    const waiting = this.dirty.has(key) && !this.processing.has(key);
    if (!this.dirty.has(key)) {
      this.metrics?.added();
      this.dirty.add(key);
      this.addedAt.set(key, performance.now());
    }
    if (this.processing.has(key)) {
      this.expediteOnDone.add(key);
      return;
    }
    // Already waiting in the normal lane: its copy there is skipped once this one is taken.
    if (waiting || !this.hand(key)) this.urgent.push(key);
    this.metrics?.depth(this.length);
  }

  /** Adds the key after `delayMs`; an earlier pending deadline for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = performance.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.waiting.set(key, { at, timer });
  }

  /** Adds the key after its rate-limited backoff (a failure of that key). */
  addRateLimited(key: string): void {
    this.metrics?.retried();
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Clears the key's failure history (after a success). */
  forget(key: string): void { this.rateLimiter.forget(key); }

  retries(key: string): number { return this.rateLimiter.retries(key); }

  /** Resolves with the next key, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.pop();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks the key's processing as finished; re-queues it if it was added meanwhile. */
  done(key: string): void {
    const started = this.processing.get(key);
    if (started !== undefined) {
      this.processing.delete(key);
      this.metrics?.worked(performance.now() - started);
    }
    const expedited = this.expediteOnDone.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      if (!expedited) this.push(key);
      else if (!this.hand(key)) this.urgent.push(key);
    }
    if (this.processing.size === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Stops handing out keys and resolves when every key being processed is done. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
    if (this.processing.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Queues the key at the back of its group in the normal lane (or hands it to an idle worker). */
  private push(key: string): void {
    if (this.hand(key)) return;
    const group = this.groupOf?.(key) ?? "";
    let keys = this.groups.get(group);
    if (!keys) {
      // The group's first waiting key: the group takes its turn after those already waiting.
      keys = new Fifo<string>();
      this.groups.set(group, keys);
      this.turns.push(group);
    }
    keys.push(key);
    this.metrics?.depth(this.length);
  }

  /** Gives the key straight to a worker waiting in get(), if there is one. */
  private hand(key: string): boolean {
    const getter = this.getters.shift();
    if (!getter) return false;
    this.take(key);
    getter(key);
    return true;
  }

  /** The next copy of the normal lane: the first key of the group whose turn it is. */
  private nextNormal(): string | undefined {
    const group = this.turns.shift();
    if (group === undefined) return undefined;
    const keys = this.groups.get(group)!;
    const key = keys.shift();
    // A group with more keys waits for its next turn behind the other groups.
    if (keys.size > 0) this.turns.push(group);
    else this.groups.delete(group);
    return key;
  }

  private pop(): string | undefined {
    for (;;) {
      const key = this.urgent.size > 0 ? this.urgent.shift() : this.nextNormal();
      if (key === undefined) return undefined;
      // A copy left behind in the other lane: its key was handed out already, or is being processed.
      if (!this.dirty.has(key) || this.processing.has(key)) continue;
      this.take(key);
      this.metrics?.depth(this.length);
      return key;
    }
  }

  private take(key: string): void {
    this.processing.set(key, performance.now());
    this.dirty.delete(key);
    const at = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (at !== undefined) this.metrics?.queued(performance.now() - at);
  }
}
