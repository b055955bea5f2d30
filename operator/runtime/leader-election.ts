// Lease-based leader election (coordination.k8s.io/v1), with client-go's rules: a lease is free
// when its holder has not renewed it within leaseDuration as observed by *this* process's clock
// (lease.ts has the rule, shared with the controller shard Leases), the leader renews every
// retryPeriod and gives up leadership if it cannot renew within renewDeadline, and a graceful stop
// releases the lease so the next leader takes over at once instead of waiting out the duration.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { KubeClient } from "../kube/client.js";
import type { Logger } from "./logger.js";
import { errorMessage } from "../util/index.js";
import { heldSpec, LeaseObserver, newLease, readLease, releasedSpec, writeLease, type Lease } from "./lease.js";

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
  onStartedLeading(): void | Promise<void>;
  /** Called once when leadership is lost (not on a graceful release). */
  onStoppedLeading(): void;
}

export function defaultIdentity(): string {
  return `${hostname()}_${process.pid}_${randomBytes(4).toString("hex")}`;
}

export class LeaderElector {
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly observer = new LeaseObserver();
  /** Who held the lease at our last look (ourselves after a successful write). */
  private lastHolder = "";
  private leading = false;
  private stopped = false;
  private wake?: () => void;
  private loop?: Promise<void>;

  constructor(private readonly opts: LeaderElectionOptions) {
    this.identity = opts.identity ?? defaultIdentity();
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) throw new Error("renewDeadline must be shorter than leaseDuration");
  }

  get isLeader(): boolean { return this.leading; }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; a leader releases its lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.release().catch((err: unknown) => this.opts.log.warn("could not release the lease", { error: err }));
    }
  }

  private async run(): Promise<void> {
    const log = this.opts.log.child({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.identity });
    // Acquire.
    while (!this.stopped && !this.leading) {
      if (await this.tryAcquireOrRenew(log)) {
        this.leading = true;
        log.info("became leader");
        try {
          await this.opts.onStartedLeading();
        } catch (err) {
          // A leader that cannot start its work must not keep the lease.
          log.error("failed to start as leader", { error: err });
          this.leading = false;
          this.opts.onStoppedLeading();
          return;
        }
        break;
      }
      await this.pause(this.retryPeriodMs * (1 + Math.random() * 0.2));
    }
    // Renew.
    let lastRenew = performance.now();
    while (!this.stopped && this.leading) {
      await this.pause(this.retryPeriodMs);
      if (this.stopped) break;
      if (await this.tryAcquireOrRenew(log)) {
        lastRenew = performance.now();
        continue;
      }
      if (performance.now() - lastRenew > this.renewDeadlineMs || this.lastHolder !== this.identity) {
        this.leading = false;
        log.error("lost leadership");
        this.opts.onStoppedLeading();
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }

  private async tryAcquireOrRenew(log: Logger): Promise<boolean> {
    const { client, namespace, name } = this.opts;
    let lease: Lease | undefined;
    try {
      lease = await readLease(client, namespace, name, this.renewDeadlineMs);
    } catch (err) {
      log.warn("cannot read the lease", { error: errorMessage(err) });
      return false;
    }
    try {
      if (lease) {
        const seen = this.observer.observe(lease, 15_000);
        this.lastHolder = seen.holder;
        if (seen.holder !== "" && seen.holder !== this.identity && !seen.expired) return false;
      }
      const spec = heldSpec(lease?.spec, this.identity, this.leaseDurationMs);
      // PUT with the resourceVersion we read: a concurrent candidate makes this fail with 409.
      if (!(await writeLease(client, lease, lease ? { ...lease, spec } : newLease(namespace, name, spec), this.renewDeadlineMs))) return false;
      this.observer.wrote(spec);
      this.lastHolder = this.identity;
      return true;
    } catch (err) {
      log.warn("cannot update the lease", { error: errorMessage(err) });
      return false;
    }
  }

  private async release(): Promise<void> {
    const { client, namespace, name } = this.opts;
    const lease = await readLease(client, namespace, name);
    if (!lease || lease.spec.holderIdentity !== this.identity) return;
    if (await writeLease(client, lease, { ...lease, spec: releasedSpec(lease.spec) })) this.opts.log.info("released the lease");
  }
}
