// Shard membership through Leases (coordination.k8s.io/v1): one Lease per controller shard,
// `<prefix>-shard-<n>`, and holding shard n's Lease is what makes a replica the owner of shard n's
// clusters. Replicas heartbeat by renewing the Leases they hold; a Lease not renewed within its
// duration (as observed on the observer's own clock, client-go's rule: lease.ts) is free, and another replica
// takes it, so a dead replica's clusters are taken over. Which shard to try is
// engine/sharding.ts planShardClaims (home shard first, free shards to the replicas holding the
// fewest, a home shard handed back when its replica asks).
//
// Why two replicas never work on the same shard at once (the fence): a holder owns a shard only
// until `t + renewDeadline`, where t is when it *sent* its last successful renewal (performance.now,
// a monotonic clock). That renewal reached the apiserver after t, so any other replica first
// observes that renewTime after t and may take the Lease only `leaseDuration` later, i.e. after
// `t + leaseDuration`. renewDeadline < leaseDuration, so the old owner's window closes strictly
// before the new owner's opens, with `leaseDuration - renewDeadline` to spare for requests already
// in flight. A voluntary release (hand-back, shutdown) drains first: the caller stops taking work
// for the shard and waits for passes in flight before the Lease is written free. The argument
// assumes, as client-go's leader election does, that clocks run at the same rate and that no
// request stays in flight longer than that margin.
import type { KubeClient } from "../kube/client.js";
import { planShardClaims, type ShardLeaseView } from "../engine/sharding.js";
import type { Logger } from "./logger.js";
import { errorMessage } from "../util/index.js";
import { heldSpec, LeaseObserver, leasePath, newLease, readLease, releasedSpec, writeLease, type Lease } from "./lease.js";

/** Annotation by which a replica asks the holder of its home shard to hand it back. */
export const ANNOTATION_SHARD_WANTED_BY = "hawser.io/shard-wanted-by";
/** Label on every shard Lease: its shard number (for `hawser admin cluster shards`). */
export const LABEL_CONTROLLER_SHARD = "hawser.io/controller-shard";

export interface ShardLeasesOptions {
  client: KubeClient;
  namespace: string;
  /** Lease names are `<prefix>-shard-<n>`. */
  prefix: string;
  /** The number of shards (ARGOCD_CONTROLLER_REPLICAS). */
  replicas: number;
  identity: string;
  /** The shard this replica takes first and keeps (explicit shard or StatefulSet ordinal). */
  home?: number;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  /** A shard was taken: its work may start. */
  onAcquired(shard: number): void;
  /** Before a voluntary release: stop the shard's work and wait for what is in flight. */
  drain(shard: number): Promise<void>;
  /** A shard was lost (not renewed in time, or taken): owns() already says false. */
  onLost(shard: number): void;
}

export function shardLeaseName(prefix: string, shard: number): string {
  return `${prefix}-shard-${shard}`;
}

export class ShardLeases {
  /** shard → performance.now() when the last successful renewal was sent. */
  private readonly held = new Map<number, number>();
  private readonly releasing = new Set<number>();
  /** shard → the expiry rule applied to its Lease as we see it change. */
  private readonly observers = new Map<number, LeaseObserver>();
  private lastView: ShardLeaseView[] = [];
  private home: number | undefined;
  private stopped = false;
  private wake?: () => void;
  private loop?: Promise<void>;

  constructor(private readonly opts: ShardLeasesOptions) {
    if (opts.renewDeadlineMs >= opts.leaseDurationMs) throw new Error("renewDeadline must be shorter than leaseDuration");
    this.home = opts.home;
  }

  /** Whether this replica may work on the shard now (the fence above). */
  owns(shard: number): boolean {
    const sent = this.held.get(shard);
    return sent !== undefined && !this.releasing.has(shard) && performance.now() < sent + this.opts.renewDeadlineMs;
  }

  heldShards(): number[] {
    return [...this.held.keys()].filter((s) => this.owns(s)).sort((a, b) => a - b);
  }

  /** The holders as last observed (undefined: free or expired). */
  view(): ShardLeaseView[] {
    return this.lastView;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops renewing and releases every held shard; the caller has stopped their work first. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    for (const shard of [...this.held.keys()]) {
      this.releasing.add(shard);
      await this.release(shard).catch((err: unknown) => this.opts.log.warn("could not release a shard lease", { shard, error: errorMessage(err) }));
    }
    this.held.clear();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.round();
      } catch (err) {
        this.opts.log.warn("shard lease round failed", { error: errorMessage(err) });
      }
      this.checkDeadlines();
      if (this.stopped) break;
      await this.pause(this.opts.retryPeriodMs * (1 + Math.random() * 0.2));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }

  /** Held shards whose renewal is overdue are lost: their work stops (owns() is already false). */
  private checkDeadlines(): void {
    for (const [shard, sent] of this.held) {
      if (this.releasing.has(shard) || performance.now() < sent + this.opts.renewDeadlineMs) continue;
      this.held.delete(shard);
      this.opts.log.error("lost a controller shard: its lease was not renewed in time", { shard });
      this.opts.onLost(shard);
    }
  }

  private read(shard: number): Promise<Lease | undefined> {
    return readLease(this.opts.client, this.opts.namespace, shardLeaseName(this.opts.prefix, shard), this.opts.renewDeadlineMs);
  }

  /** One heartbeat: read every shard Lease, renew what is held, then act on the plan. */
  private async round(): Promise<void> {
    const { identity, replicas, leaseDurationMs } = this.opts;
    const leases = new Map<number, Lease | undefined>();
    // Read at once: a slow round delays renewals, and a late renewal pauses this replica's work.
    await Promise.all(Array.from({ length: replicas }, async (_, shard) => {
      try {
        leases.set(shard, await this.read(shard));
      } catch (err) {
        this.opts.log.warn("cannot read a shard lease", { shard, error: errorMessage(err) });
      }
    }));
    const view: ShardLeaseView[] = [];
    for (let shard = 0; shard < replicas; shard++) {
      if (!leases.has(shard)) {
        // Unreadable: neither free nor ours to plan with; keep what we believe.
        if (this.held.has(shard)) view.push({ shard, holder: identity });
        else view.push({ shard, holder: "(unknown)" });
        continue;
      }
      const lease = leases.get(shard);
      const observer = this.observers.get(shard) ?? new LeaseObserver();
      this.observers.set(shard, observer);
      const { holder, expired } = observer.observe(lease, leaseDurationMs);
      const live = holder !== "" && (holder === identity || !expired);
      const wantedBy = lease?.metadata.annotations?.[ANNOTATION_SHARD_WANTED_BY];
      view.push({ shard, ...(live ? { holder } : {}), ...(wantedBy ? { wantedBy } : {}), ...(holder === "" && !expired ? { pending: true } : {}) });
    }
    this.lastView = view;

    // Renew (or re-take, after a lost renewal nobody else used) what the Leases say is ours.
    await Promise.all(view.map(async (v) => {
      if (v.holder !== identity || this.releasing.has(v.shard) || !leases.has(v.shard)) return;
      const lease = leases.get(v.shard);
      if (!lease) return;
      const sent = performance.now();
      if (await this.write(lease, v.shard, false)) {
        const fresh = !this.held.has(v.shard);
        this.held.set(v.shard, sent);
        if (fresh) this.acquired(v.shard, "re-took");
      }
    }));
    // A shard we believe held but whose Lease names someone else was taken: lost at once.
    for (const shard of [...this.held.keys()]) {
      const v = view.find((x) => x.shard === shard);
      if (v && leases.has(shard) && v.holder !== identity && !this.releasing.has(shard)) {
        this.held.delete(shard);
        this.opts.log.error("lost a controller shard: another replica holds its lease", { shard, holder: v.holder });
        this.opts.onLost(shard);
      }
    }
    if (this.stopped) return;

    const plan = planShardClaims({ identity, ...(this.home !== undefined ? { home: this.home } : {}), leases: view });
    for (const shard of plan.release) {
      this.releasing.add(shard);
      this.opts.log.info("handing a controller shard back to the replica that asked for it", { shard, wantedBy: view.find((v) => v.shard === shard)?.wantedBy });
      try {
        await this.opts.drain(shard);
        await this.release(shard, view.find((v) => v.shard === shard)?.wantedBy);
      } catch (err) {
        this.opts.log.warn("could not release a shard lease", { shard, error: errorMessage(err) });
      } finally {
        this.held.delete(shard);
        this.releasing.delete(shard);
      }
    }
    if (plan.want !== undefined) {
      try {
        await this.opts.client.request("PATCH", leasePath(this.opts.namespace, shardLeaseName(this.opts.prefix, plan.want)), {
          body: { metadata: { annotations: { [ANNOTATION_SHARD_WANTED_BY]: identity } } }, contentType: "application/merge-patch+json", timeoutMs: this.opts.renewDeadlineMs,
        });
        this.opts.log.info("asked for a controller shard back", { shard: plan.want, holder: view.find((v) => v.shard === plan.want)?.holder });
      } catch (err) {
        this.opts.log.warn("could not ask for a controller shard", { shard: plan.want, error: errorMessage(err) });
      }
    }
    if (plan.claim !== undefined && leases.has(plan.claim)) {
      const sent = performance.now();
      if (await this.write(leases.get(plan.claim), plan.claim, true)) {
        this.held.set(plan.claim, sent);
        this.home ??= plan.claim;
        this.acquired(plan.claim, "took");
      }
    }
  }

  private acquired(shard: number, how: string): void {
    this.opts.log.info(`${how} a controller shard`, { shard, identity: this.opts.identity });
    this.opts.onAcquired(shard);
  }

  /** Renews (claim false) or takes (claim true) a shard's Lease; false when another write won. */
  private async write(lease: Lease | undefined, shard: number, claim: boolean): Promise<boolean> {
    const { client, namespace, identity } = this.opts;
    const spec = heldSpec(lease?.spec, identity, this.opts.leaseDurationMs);
    const labels = { ...lease?.metadata.labels, [LABEL_CONTROLLER_SHARD]: String(shard) };
    try {
      if (!lease) return await writeLease(client, undefined, newLease(namespace, shardLeaseName(this.opts.prefix, shard), spec, labels), this.opts.renewDeadlineMs);
      const annotations = { ...lease.metadata.annotations };
      // Taking a shard answers our own request for it; someone else's request stays for the plan.
      if (annotations[ANNOTATION_SHARD_WANTED_BY] === identity) delete annotations[ANNOTATION_SHARD_WANTED_BY];
      // PUT with the resourceVersion read: a concurrent claim or renewal makes this fail with 409.
      return await writeLease(client, lease, { ...lease, metadata: { ...lease.metadata, labels, annotations }, spec }, this.opts.renewDeadlineMs);
    } catch (err) {
      this.opts.log.warn(claim ? "cannot take a shard lease" : "cannot renew a shard lease", { shard, error: errorMessage(err) });
      return false;
    }
  }

  /**
   * Writes a held shard's Lease free, or straight to the replica that asked for it (so no third
   * replica takes it in between); that replica starts once it has renewed it itself. A recipient
   * that has died meanwhile simply lets it expire, and the shard is taken over as usual.
   */
  private async release(shard: number, to?: string): Promise<void> {
    const lease = await this.read(shard);
    if (!lease || lease.spec.holderIdentity !== this.opts.identity) return;
    const annotations = { ...lease.metadata.annotations };
    delete annotations[ANNOTATION_SHARD_WANTED_BY];
    const next: Lease = { ...lease, metadata: { ...lease.metadata, annotations }, spec: releasedSpec(lease.spec, to) };
    if (!(await writeLease(this.opts.client, lease, next, this.opts.renewDeadlineMs))) throw new Error("the shard lease changed while it was being released");
    this.opts.log.info(to ? "handed a controller shard over" : "released a controller shard", { shard, ...(to ? { to } : {}) });
  }
}
