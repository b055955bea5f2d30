// Controller sharding, Argo CD's model: the Application controller runs as N replicas, and each
// destination cluster belongs to exactly one shard (0..N-1), so a replica reconciles only the
// Applications whose destination is one of its clusters. Sharding is per cluster, never per app.
//
// Which shard a cluster gets (argocd-cmd-params-cm `controller.sharding.algorithm`):
//   - a cluster Secret's `shard` field pins it, when it is a whole number below the replica count;
//   - `legacy` (the default): FNV-1a 32 of the cluster Secret's UID, modulo the replica count; the
//     implicit in-cluster destination (no Secret, no UID) is shard 0;
//   - `round-robin`: clusters sorted by UID (the in-cluster's empty one first), the i-th on shard
//     i mod replicas;
//   - `consistent-hashing`: a hash ring of the shards with bounded loads (no shard takes more than
//     ceil(1.25 · clusters / replicas)), so adding a replica moves few clusters.
// Which replica holds which shard, and the hand-over rules, are in planShardClaims below and in
// runtime/shard-leases.ts. Pure: no I/O.

export const SHARDING_ALGORITHMS = ["legacy", "round-robin", "consistent-hashing"] as const;
export type ShardingAlgorithm = (typeof SHARDING_ALGORITHMS)[number];
export const DEFAULT_SHARDING_ALGORITHM: ShardingAlgorithm = "legacy";

/** A cluster as sharding sees it. */
export interface ShardCluster {
  /** The cluster Secret's UID; "" for the implicit in-cluster destination. */
  id: string;
  /** Normalised server URL: the key of the result. */
  server: string;
  /** The Secret's name, for messages. */
  secretName?: string;
  /** The Secret's `shard` field as written, if any. */
  shard?: string;
}

export interface ShardAssignment {
  /** server → shard. */
  shards: Map<string, number>;
  /** Bad `shard` fields, each naming the Secret and the value. */
  problems: string[];
}

/** The algorithm named in argocd-cmd-params-cm, or an error naming the key and the choices. */
export function parseShardingAlgorithm(raw: string | undefined): ShardingAlgorithm | { error: string } {
  const v = (raw ?? "").trim();
  if (v === "") return DEFAULT_SHARDING_ALGORITHM;
  if ((SHARDING_ALGORITHMS as readonly string[]).includes(v)) return v as ShardingAlgorithm;
  return { error: `argocd-cmd-params-cm controller.sharding.algorithm must be one of ${SHARDING_ALGORITHMS.join(", ")}, got "${raw}"` };
}

/** FNV-1a, 32 bits, over the UTF-8 bytes: Go's hash/fnv New32a, which Argo's legacy algorithm uses. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** murmur3's finaliser: spreads FNV's similar outputs for similar keys round the ring. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The `shard` field when it pins: a whole number below the replica count; otherwise why not. */
function pinnedShard(c: ShardCluster, replicas: number): { shard?: number; problem?: string } {
  if (c.shard === undefined || c.shard.trim() === "") return {};
  const who = `cluster Secret ${c.secretName ?? c.server}`;
  const raw = c.shard.trim();
  if (!/^\d+$/.test(raw)) return { problem: `${who}: shard "${c.shard}" is not a whole number; the algorithm assigns the cluster instead` };
  const n = Number(raw);
  if (n >= replicas) return { problem: `${who}: shard ${n} is not below the replica count ${replicas}; the algorithm assigns the cluster instead` };
  return { shard: n };
}

const byId = (a: ShardCluster, b: ShardCluster): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.server < b.server ? -1 : a.server > b.server ? 1 : 0);

/** Every cluster's shard under the algorithm, for `replicas` shards (at least 1). */
export function assignShards(clusters: readonly ShardCluster[], replicas: number, algorithm: ShardingAlgorithm): ShardAssignment {
  const shards = new Map<string, number>();
  const problems: string[] = [];
  const n = Math.max(1, Math.floor(replicas));
  const pins = new Map<string, number>();
  for (const c of clusters) {
    const p = pinnedShard(c, n);
    if (p.problem) problems.push(p.problem);
    if (p.shard !== undefined) pins.set(c.server, p.shard);
  }
  const sorted = [...clusters].sort(byId);
  if (algorithm === "legacy") {
    for (const c of sorted) shards.set(c.server, pins.get(c.server) ?? (c.id === "" ? 0 : fnv32a(c.id) % n));
  } else if (algorithm === "round-robin") {
    // As Argo: the index counts every cluster, pinned ones included, so a pin does not shift the others.
    sorted.forEach((c, i) => shards.set(c.server, pins.get(c.server) ?? i % n));
  } else {
    const load = new Array<number>(n).fill(0);
    for (const [server, s] of pins) {
      shards.set(server, s);
      load[s]! += 1;
    }
    const maxLoad = Math.max(1, Math.ceil((clusters.length * 1.25) / n));
    const ring = hashRing(n);
    for (const c of sorted) {
      if (shards.has(c.server)) continue;
      const s = leastLoadedOnRing(ring, mix(fnv32a(c.id === "" ? c.server : c.id)), load, maxLoad);
      shards.set(c.server, s);
      load[s]! += 1;
    }
  }
  return { shards, problems };
}

/** Points per shard on the ring: enough that shards own similar arcs. */
const VIRTUAL_NODES = 64;

function hashRing(shards: number): Array<{ at: number; shard: number }> {
  const ring: Array<{ at: number; shard: number }> = [];
  for (let s = 0; s < shards; s++) {
    for (let v = 0; v < VIRTUAL_NODES; v++) ring.push({ at: mix(fnv32a(`shard-${s}-${v}`)), shard: s });
  }
  return ring.sort((a, b) => a.at - b.at || a.shard - b.shard);
}

/** The first shard clockwise from `at` whose load is below the bound (bounded-load consistent hashing). */
function leastLoadedOnRing(ring: Array<{ at: number; shard: number }>, at: number, load: number[], maxLoad: number): number {
  let i = ring.findIndex((p) => p.at >= at);
  if (i < 0) i = 0;
  for (let k = 0; k < ring.length; k++) {
    const p = ring[(i + k) % ring.length]!;
    if (load[p.shard]! < maxLoad) return p.shard;
  }
  // Every shard at the bound (only when pins overload them): the least loaded.
  return load.indexOf(Math.min(...load));
}

/**
 * A replica's shard from its StatefulSet hostname (`…-<ordinal>`), as Argo derives it when
 * ARGOCD_CONTROLLER_SHARD is unset; undefined for a hostname without one.
 */
export function hostnameOrdinal(hostname: string): number | undefined {
  const m = /-(\d+)$/.exec(hostname);
  return m ? Number(m[1]) : undefined;
}

/** A shard Lease as the claim planner sees it. */
export interface ShardLeaseView {
  shard: number;
  /** The live holder; undefined when free or expired (not renewed within the lease duration). */
  holder?: string;
  /** A replica that asked for this shard back (its home). */
  wantedBy?: string;
  /**
   * Nobody holds it, but it has not been free for a lease duration yet (a Lease never created, or
   * just released): only its home replica takes it now, so replicas starting one after another do
   * not first take each other's shards.
   */
  pending?: boolean;
}

export interface ShardClaimPlan {
  /** A free shard to take now. */
  claim?: number;
  /** Held shards to stop working on and hand back (wanted by their home replica). */
  release: number[];
  /** A held shard to ask its holder for. */
  want?: number;
}

/**
 * What a replica does next about shard Leases. Each replica has a home shard (its ordinal, or
 * the first it took): it takes its home when free, or asks for it back when another replica
 * holds it. Free shards (their replica died) are taken by whoever holds the fewest, so a dead
 * replica's clusters are taken over, and handed back when their home replica asks. A replica
 * never holds a shard another live replica holds: the Lease decides, this only says what to try.
 */
export function planShardClaims(input: { identity: string; home?: number; leases: readonly ShardLeaseView[] }): ShardClaimPlan {
  const { identity, home, leases } = input;
  const mine = leases.filter((l) => l.holder === identity).map((l) => l.shard);
  const release = leases
    .filter((l) => l.holder === identity && l.shard !== home && l.wantedBy !== undefined && l.wantedBy !== identity)
    .map((l) => l.shard);
  const free = leases.filter((l) => l.holder === undefined && !l.pending);
  const homeLease = home === undefined ? undefined : leases.find((l) => l.shard === home);
  if (homeLease && homeLease.holder === undefined) return { claim: home, release };
  if (homeLease && homeLease.holder !== identity) {
    // Someone else holds my home: ask for it back (once), and meanwhile help with free shards.
    const want = homeLease.wantedBy === identity ? undefined : home;
    const claim = free.length > 0 && mine.length === 0 ? free[0]!.shard : undefined;
    return { release, ...(want !== undefined ? { want } : {}), ...(claim !== undefined ? { claim } : {}) };
  }
  if (free.length === 0) {
    if (mine.length === 0 && home === undefined) {
      // No home yet and nothing free: ask the busiest holder for one of its extra shards.
      const counts = new Map<string, number>();
      for (const l of leases) if (l.holder) counts.set(l.holder, (counts.get(l.holder) ?? 0) + 1);
      const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
      if (busiest && busiest[1] > 1) {
        const pick = leases.filter((l) => l.holder === busiest[0]).map((l) => l.shard).sort((a, b) => b - a)[0];
        if (pick !== undefined && leases.find((l) => l.shard === pick)?.wantedBy === undefined) return { release, want: pick };
      }
    }
    return { release };
  }
  // Free shards go to the replicas holding the fewest, so load spreads after a loss.
  const counts = new Map<string, number>();
  for (const l of leases) if (l.holder) counts.set(l.holder, (counts.get(l.holder) ?? 0) + 1);
  const fewest = Math.min(mine.length, ...counts.values());
  if (mine.length > fewest) return { release };
  return { claim: free[0]!.shard, release };
}
