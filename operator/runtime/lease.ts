// What leader election (leader-election.ts) and the controller shard Leases (shard-leases.ts)
// share about coordination.k8s.io/v1 Leases: the object's shape, client-go's expiry rule, and how a
// holder writes one when it takes, renews or gives it up.
//
// The expiry rule: a Lease is expired when its renewTime (or holder) has not changed within its
// leaseDuration, as measured on *this* process's monotonic clock from the moment we first saw the
// current value. The renewTime written by another machine is never compared with our own time,
// so clock skew between machines does not matter; only the clocks' rates must agree.
import { KubeApiError, type KubeClient } from "../kube/client.js";

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: LeaseSpec;
}

/** A Kubernetes MicroTime (RFC 3339 with microseconds), as client-go writes renewTime. */
export const microTime = (d = new Date()): string => d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

export function leasePath(namespace: string, name?: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases${name ? `/${name}` : ""}`;
}

/** A new Lease object (for a POST). */
export function newLease(namespace: string, name: string, spec: LeaseSpec, labels?: Record<string, string>): Lease {
  return { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace, ...(labels ? { labels } : {}) }, spec };
}

/**
 * The spec a holder writes to take or renew a Lease: holder, duration and renewTime now;
 * acquireTime and leaseTransitions move only when the holder changes (a take), as client-go does.
 */
export function heldSpec(previous: LeaseSpec | undefined, holder: string, durationMs: number, now = new Date()): LeaseSpec {
  const at = microTime(now);
  const renewal = { holderIdentity: holder, leaseDurationSeconds: Math.ceil(durationMs / 1000), renewTime: at };
  if (!previous) return { ...renewal, acquireTime: at, leaseTransitions: 0 };
  const taken = (previous.holderIdentity ?? "") !== holder;
  return {
    ...previous, ...renewal,
    ...(taken ? { acquireTime: at, leaseTransitions: (previous.leaseTransitions ?? 0) + 1 } : {}),
  };
}

/**
 * The spec a holder writes to give a Lease up: to `to` directly (a hand-over, so nobody else takes
 * it in between), or free with a one-second duration, so the next candidate need not wait out
 * the full duration.
 */
export function releasedSpec(previous: LeaseSpec, to?: string, now = new Date()): LeaseSpec {
  const at = microTime(now);
  return to
    ? { ...previous, holderIdentity: to, acquireTime: at, renewTime: at, leaseTransitions: (previous.leaseTransitions ?? 0) + 1 }
    : { ...previous, holderIdentity: "", leaseDurationSeconds: 1, renewTime: at };
}

/** The Lease, or undefined when it does not exist; other errors are thrown. */
export async function readLease(client: KubeClient, namespace: string, name: string, timeoutMs?: number): Promise<Lease | undefined> {
  try {
    return await client.request<Lease>("GET", leasePath(namespace, name), timeoutMs !== undefined ? { timeoutMs } : {});
  } catch (err) {
    if (err instanceof KubeApiError && err.isNotFound) return undefined;
    throw err;
  }
}

/**
 * Creates the Lease (when `existing` is undefined) or replaces it with the resourceVersion that
 * was read, so a concurrent writer makes this fail: false on that conflict (someone else won),
 * true when written; other errors are thrown.
 */
export async function writeLease(client: KubeClient, existing: Lease | undefined, next: Lease, timeoutMs?: number): Promise<boolean> {
  const opts = { body: next, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
  try {
    if (existing) await client.request("PUT", leasePath(next.metadata.namespace, next.metadata.name), opts);
    else await client.request("POST", leasePath(next.metadata.namespace), opts);
    return true;
  } catch (err) {
    // 409: a concurrent take or renewal (PUT), or a concurrent create (POST).
    if (err instanceof KubeApiError && err.isConflict) return false;
    throw err;
  }
}

/** What one look at a Lease says, under the expiry rule above. */
export interface LeaseObservation {
  /** "" when nobody holds it (never held, or released). */
  holder: string;
  /** Not renewed within its duration since we last saw it change. */
  expired: boolean;
}

/**
 * Applies the expiry rule to one Lease seen over time: call observe() with each read of it.
 * The clock is monotonic (performance.now) unless a test gives its own.
 */
export class LeaseObserver {
  private seen?: { holder: string; renewTime: string; at: number };

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * Records a read of the Lease. `fallbackDurationMs` applies when the Lease has no
   * leaseDurationSeconds (or does not exist: one never created counts as unchanged since first
   * seen, which lets shard-leases.ts leave it to its home replica for a while).
   */
  observe(lease: Lease | undefined, fallbackDurationMs: number): LeaseObservation {
    const holder = lease?.spec.holderIdentity ?? "";
    const renewTime = lease?.spec.renewTime ?? "";
    const now = this.now();
    if (!this.seen || this.seen.holder !== holder || this.seen.renewTime !== renewTime) this.seen = { holder, renewTime, at: now };
    const seconds = lease?.spec.leaseDurationSeconds;
    const durationMs = seconds !== undefined ? seconds * 1000 : fallbackDurationMs;
    return { holder, expired: this.seen.at + durationMs <= now };
  }

  /** Our own write of the Lease succeeded: what we wrote is what we have now seen. */
  wrote(spec: LeaseSpec): void {
    this.seen = { holder: spec.holderIdentity ?? "", renewTime: spec.renewTime ?? "", at: this.now() };
  }
}
