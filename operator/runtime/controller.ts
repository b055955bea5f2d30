// A controller: one work queue, N workers, and the single place where a reconcile's outcome is
// mapped to queue operations (as controller-runtime's reconcileHandler): an error backs off per
// key, a requeueAfter forgets the failures and schedules the key, success forgets the key. Typed
// errors (reconciler.ts) choose their reaction: WaitingError requeues after its delay without
// counting a failure, StallingError and TerminalError are not retried until the key is queued
// again by a change, GenericError and any other error back off.
import { randomUUID } from "node:crypto";
import type { Logger } from "./logger.js";
import type { OperatorMetrics } from "./metrics.js";
import { classifyOutcome, type ReconcileResult, type Reconciler } from "./reconciler.js";
import type { RateLimiter } from "./rate-limiter.js";
import { WorkQueue } from "./workqueue.js";
import { errorMessage } from "../util/index.js";

export interface ControllerOptions {
  name: string;
  reconciler: Reconciler;
  workers: number;
  log: Logger;
  metrics?: OperatorMetrics;
  rateLimiter?: RateLimiter;
  /** A key's tenant for the queue's fair turns (WorkQueue's header); without it the queue is FIFO. */
  groupOf?: (key: string) => string;
  /**
   * The `name` label of the queue's workqueue_* metrics when it is not the controller's name:
   * Argo's own queue names, so its dashboards find the equivalent queues (docs/metrics.md).
   */
  queueName?: string;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private readonly workers: number;
  private readonly log: Logger;
  private readonly metrics: OperatorMetrics | undefined;
  private readonly abort = new AbortController();
  private running: Promise<void>[] = [];
  /** Keys whose last reconcile stalled, with the stall (reason and message) last logged. */
  private readonly stalled = new Map<string, string>();

  constructor(opts: ControllerOptions) {
    if (opts.workers < 1) throw new Error(`controller ${opts.name}: workers must be at least 1`);
    this.name = opts.name;
    this.reconciler = opts.reconciler;
    this.workers = opts.workers;
    this.log = opts.log.child({ controller: opts.name });
    this.metrics = opts.metrics;
    this.queue = new WorkQueue({
      name: opts.name,
      ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
      ...(opts.metrics ? { metrics: opts.metrics.queueMetrics(opts.queueName ?? opts.name) } : {}),
      ...(opts.groupOf ? { groupOf: opts.groupOf } : {}),
    });
  }

  /** Starts the workers; returns at once. */
  start(): void {
    if (this.running.length > 0) return;
    this.log.info("starting workers", { workers: this.workers });
    for (let i = 0; i < this.workers; i++) this.running.push(this.worker());
  }

  /** Stops taking new keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.queue.shutdown();
    await Promise.all(this.running);
    this.running = [];
  }

  enqueue(key: string): void { this.queue.add(key); }
  /** Ahead of everything waiting: the follow-up of work under way (see WorkQueue.expedite). */
  expedite(key: string): void { this.queue.expedite(key); }
  enqueueAfter(key: string, delayMs: number): void { this.queue.addAfter(key, delayMs); }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.process(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async process(key: string): Promise<void> {
    const log = this.log.child({ key, reconcileID: randomUUID() });
    const started = performance.now();
    let result: ReconcileResult | void = undefined;
    let error: unknown = undefined;
    try {
      result = await this.reconciler.reconcile({ key, log, signal: this.abort.signal, retries: this.queue.retries(key) });
    } catch (err) {
      error = err ?? new Error("reconcile threw a nullish value");
    }
    const seconds = (performance.now() - started) / 1000;
    this.metrics?.reconcileTime.observe({ controller: this.name }, seconds);
    const outcome = classifyOutcome(result, error);
    if (log.enabled("debug")) log.debug("reconcile completed", { durationMs: Math.round(seconds * 1000), outcome: outcome.kind });
    // A stall is said once: the same stall again (an unrelated event re-queued the key) is debug.
    if (outcome.kind !== "stalled") this.stalled.delete(key);
    switch (outcome.kind) {
      case "success":
        this.queue.forget(key);
        if (outcome.requeueAfterMs !== undefined) this.queue.addAfter(key, outcome.requeueAfterMs);
        this.metrics?.reconcileTotal.inc({ controller: this.name, result: outcome.requeueAfterMs ? "requeue_after" : "success" });
        break;
      case "wait":
        // Not a failure: the backoff is reset and nothing is logged above debug.
        this.queue.forget(key);
        this.queue.addAfter(key, outcome.requeueAfterMs);
        log.debug("waiting", { reason: outcome.reason, message: errorMessage(error), requeueAfterMs: outcome.requeueAfterMs });
        this.metrics?.reconcileTotal.inc({ controller: this.name, result: "requeue_after" });
        break;
      case "stalled": {
        this.queue.forget(key);
        const said = `${outcome.reason}\n${errorMessage(error)}`;
        if (this.stalled.get(key) !== said) {
          this.stalled.set(key, said);
          log.warn("reconcile stalled; not retrying until the object changes", { reason: outcome.reason, error });
        } else {
          log.debug("reconcile still stalled", { reason: outcome.reason });
        }
        this.metrics?.reconcileTotal.inc({ controller: this.name, result: "stalled" });
        break;
      }
      case "terminal":
        this.queue.forget(key);
        log.error("reconcile failed permanently; not retrying until the object changes", { error });
        this.metrics?.reconcileTotal.inc({ controller: this.name, result: "error" });
        this.metrics?.reconcileErrors.inc({ controller: this.name });
        break;
      case "retry":
        if (this.abort.signal.aborted) break; // shutting down: the next leader picks it up
        this.queue.addRateLimited(key);
        log.error("reconcile failed; retrying with backoff", { error, retries: this.queue.retries(key), ...(outcome.reason ? { reason: outcome.reason } : {}) });
        this.metrics?.reconcileTotal.inc({ controller: this.name, result: "error" });
        this.metrics?.reconcileErrors.inc({ controller: this.name });
        break;
    }
  }
}
