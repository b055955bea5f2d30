// Lease-based leader election (coordination.k8s.io/v1), with client-go's rules: a lease is free
// when its holder has not renewed it within leaseDuration as observed by *this* process's clock
// (so clock skew between machines does not matter), the leader renews every retryPeriod and
// gives up leadership if it cannot renew within renewDeadline, and a graceful stop releases the
// lease so the next leader takes over at once instead of waiting out the duration.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import type { Logger } from "./logger.js";
import { errorMessage } from "../util/index.js";

interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

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

const microTime = (d = new Date()): string => d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

export class LeaderElector {
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed?: { holder: string; renewTime: string; at: number };
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
    let lastRenew = Date.now();
    while (!this.stopped && this.leading) {
      await this.pause(this.retryPeriodMs);
      if (this.stopped) break;
      if (await this.tryAcquireOrRenew(log)) {
        lastRenew = Date.now();
        continue;
      }
      if (Date.now() - lastRenew > this.renewDeadlineMs || this.observed?.holder !== this.identity) {
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

  private leasePath(name?: string): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.opts.namespace}/leases${name ? `/${name}` : ""}`;
  }

  private async tryAcquireOrRenew(log: Logger): Promise<boolean> {
    const now = new Date();
    const spec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    let lease: Lease | undefined;
    try {
      lease = await this.opts.client.request<Lease>("GET", this.leasePath(this.opts.name), { timeoutMs: this.renewDeadlineMs });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isNotFound)) {
        log.warn("cannot read the lease", { error: errorMessage(err) });
        return false;
      }
    }
    try {
      if (!lease) {
        const created: Lease = {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        };
        await this.opts.client.request("POST", this.leasePath(), { body: created, timeoutMs: this.renewDeadlineMs });
        this.observed = { holder: this.identity, renewTime: spec.renewTime, at: Date.now() };
        return true;
      }
      const holder = lease.spec.holderIdentity ?? "";
      const renewTime = lease.spec.renewTime ?? "";
      if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) {
        this.observed = { holder, renewTime, at: Date.now() };
      }
      const durationMs = (lease.spec.leaseDurationSeconds ?? 15) * 1000;
      const heldByOther = holder !== "" && holder !== this.identity;
      if (heldByOther && this.observed.at + durationMs > Date.now()) return false;
      const next: Lease = {
        ...lease,
        spec: {
          ...lease.spec,
          ...spec,
          acquireTime: holder === this.identity ? lease.spec.acquireTime : microTime(now),
          leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1),
        },
      };
      // PUT with the resourceVersion we read: a concurrent candidate makes this fail with 409.
      await this.opts.client.request("PUT", this.leasePath(this.opts.name), { body: next, timeoutMs: this.renewDeadlineMs });
      this.observed = { holder: this.identity, renewTime: spec.renewTime, at: Date.now() };
      return true;
    } catch (err) {
      if (!(err instanceof KubeApiError && (err.isConflict || err.statusCode === 409))) {
        log.warn("cannot update the lease", { error: errorMessage(err) });
      }
      return false;
    }
  }

  private async release(): Promise<void> {
    const lease = await this.opts.client.request<Lease>("GET", this.leasePath(this.opts.name));
    if (lease.spec.holderIdentity !== this.identity) return;
    lease.spec = { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime() };
    await this.opts.client.request("PUT", this.leasePath(this.opts.name), { body: lease });
    this.opts.log.info("released the lease");
  }
}
