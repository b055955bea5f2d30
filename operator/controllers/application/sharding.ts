// Which Applications this controller replica may work on, when the controller is sharded
// (ARGOCD_CONTROLLER_REPLICAS > 1). An app belongs to the shard of its destination cluster
// (engine/sharding.ts assigns clusters to shards); this replica works on a shard while it holds the
// shard's Lease (runtime/shard-leases.ts) *and* has caught up with what the previous owner wrote.
//
// Why no two replicas run an operation on the same Application, step by step:
//  1. The Leases fence ownership in time: the old owner's window closes before the new owner's
//     opens (runtime/shard-leases.ts has the argument). A voluntary hand-over drains first.
//  2. Every pass (refresh, operation, deletion) starts only if the app's shard is owned, and every
//     write of an Application by the reconcilers goes through a client that checks ownership again
//     right before sending (fencedClient below), so a pass that outlives the window writes nothing.
//  3. An operation lives in the Application: `.operation` and `status.operationState`, persisted
//     after every step. A new owner resumes from the last persisted step, never from scratch. To
//     be sure it reads that step and not an older cached one, it catches up before starting: a
//     quorum LIST of the Applications, then a wait until the informer cache holds each of the
//     shard's apps at least at the listed resourceVersion (catchUp). Everything the old owner wrote
//     landed before its window closed, so before the LIST.
//  4. A cluster that moves between shards because the assignment changed (a Secret added, a `shard`
//     pin edited) is left alone by its new shard for one lease duration, so the old owner, which
//     sees the same Secret change, has stopped (MOVE_GRACE below; this one relies on both
//     replicas' watches delivering the change within that time).
// A step's applies repeated after a crash mid-step are idempotent (server-side apply of the same
// target); the operation is the unit that runs once, and its history entry is written once.
import { assignShards, type ShardAssignment, type ShardingAlgorithm } from "../../engine/sharding.js";
import type { ApplicationObject } from "../../appstate/types.js";
import type { ClusterEntry } from "../../cluster/clusters.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { objectKey } from "../../runtime/informer.js";
import type { Logger } from "../../runtime/logger.js";
import { errorMessage } from "../../util/index.js";
import { ARGO_API_VERSION } from "../../api/annotations.js";

/** The reconcilers' Application client (context.ts AppClient; repeated here so the two files import one way). */
type AppClient = Pick<KubeClient, "get" | "patch">;

/** How the controller is sharded, and the Lease-held shards it may work on. */
export interface ShardingOptions {
  replicas: number;
  algorithm: ShardingAlgorithm;
  /** Whether this replica holds the shard's Lease now (ShardLeases.owns). */
  holds(shard: number): boolean;
  /** How long a cluster whose shard changed waits before its new shard works on it. */
  moveGraceMs: number;
}

/**
 * Every cluster's shard as the controller computes it; `hawser admin cluster shards` calls this
 * too, so what it prints is what the replicas do.
 */
export function assignClusterShards(clusters: readonly ClusterEntry[], replicas: number, algorithm: ShardingAlgorithm): ShardAssignment {
  return assignShards(clusters.map((c) => ({ id: c.uid ?? "", server: c.server, ...(c.secretName ? { secretName: c.secretName } : {}), ...(c.shard !== undefined ? { shard: c.shard } : {}) })), replicas, algorithm);
}

/** An app's shard: its destination cluster's; a destination that does not resolve is shard 0's, which reports the error. */
export function shardOfDestination(r: { ok: true; cluster: { server: string } } | { ok: false }, shards: ReadonlyMap<string, number>): number {
  return r.ok ? (shards.get(r.cluster.server) ?? 0) : 0;
}

/** A write refused because this replica does not own the app's shard (any more). */
export class ShardNotOwnedError extends Error {}

export class AppSharding {
  private assignment?: ShardAssignment;
  private readonly movedAt = new Map<string, number>();
  /** Shards held and caught up: work may run. */
  private readonly ready = new Set<number>();
  /** Passes running per shard, so a hand-over can wait for them. */
  private readonly inflight = new Map<number, number>();
  private lastProblems = "";

  constructor(
    readonly opts: ShardingOptions,
    private readonly deps: {
      clusters: () => ClusterEntry[];
      resolve: (dest: ApplicationObject["spec"]["destination"]) => { ok: true; cluster: ClusterEntry } | { ok: false };
      log: Logger;
      /** Whether the cluster Secrets have been listed: before that, additions are not moves. */
      synced: () => boolean;
      /** Clusters that moved to a shard this replica may hold, once their grace is over. */
      onMovedIn?: (servers: string[]) => void;
      /** Bad `shard` fields: said where users look (the log; the Secret's Event by the caller). */
      onProblems?: (problems: string[]) => void;
    },
  ) {}

  /** The cluster Secrets changed: recompute, and hold back clusters that moved (point 4 above). */
  invalidate(): void {
    const before = this.assignment;
    this.assignment = undefined;
    if (!before || !this.deps.synced()) return;
    const after = this.current();
    const now = performance.now();
    const moved: string[] = [];
    for (const [server, shard] of after.shards) {
      const was = before.shards.get(server);
      if (was !== undefined && was !== shard) {
        this.movedAt.set(server, now);
        moved.push(server);
        this.deps.log.info("cluster moved to another controller shard", { server, from: was, to: shard });
      }
    }
    if (moved.length > 0 && this.deps.onMovedIn) {
      const notify = this.deps.onMovedIn;
      setTimeout(() => notify(moved.filter((server) => this.ownsServer(server))), this.opts.moveGraceMs + 100).unref();
    }
  }

  /** How long an app waits because its cluster just moved to a shard held here; 0 when it need not. */
  private graceLeft(app: ApplicationObject): number {
    const r = this.deps.resolve(app.spec.destination);
    const moved = r.ok ? this.movedAt.get(r.cluster.server) : undefined;
    return moved === undefined ? 0 : Math.max(0, moved + this.opts.moveGraceMs - performance.now());
  }

  private current(): ShardAssignment {
    if (!this.assignment) {
      this.assignment = assignClusterShards(this.deps.clusters(), this.opts.replicas, this.opts.algorithm);
      const problems = this.assignment.problems.join("\n");
      if (problems !== this.lastProblems) {
        this.lastProblems = problems;
        for (const p of this.assignment.problems) this.deps.log.warn(p);
        this.deps.onProblems?.(this.assignment.problems);
      }
    }
    return this.assignment;
  }

  /** server → shard for every known cluster. */
  shards(): Map<string, number> {
    return this.current().shards;
  }

  /** The shard of a cluster; an unknown server (no such cluster) is shard 0's to report. */
  shardOfServer(server: string): number {
    return this.current().shards.get(server) ?? 0;
  }

  /** The shard of an app's destination; one that does not resolve is shard 0's (it reports the error). */
  shardOfApp(app: ApplicationObject): number {
    return shardOfDestination(this.deps.resolve(app.spec.destination), this.current().shards);
  }

  ownsServer(server: string): boolean {
    const shard = this.shardOfServer(server);
    if (!this.ready.has(shard) || !this.opts.holds(shard)) return false;
    const moved = this.movedAt.get(server);
    if (moved === undefined) return true;
    if (performance.now() < moved + this.opts.moveGraceMs) return false;
    this.movedAt.delete(server);
    return true;
  }

  ownsApp(app: ApplicationObject): boolean {
    const r = this.deps.resolve(app.spec.destination);
    return r.ok ? this.ownsServer(r.cluster.server) : this.ready.has(0) && this.opts.holds(0);
  }

  /**
   * Runs a pass if the app's shard is owned now, counted as in flight meanwhile; an app of a
   * cluster that just moved here is looked at again when its grace is over.
   */
  async run<T extends { requeueAfterMs?: number }>(app: ApplicationObject, pass: () => Promise<T>, otherwise: T): Promise<T> {
    if (!this.ownsApp(app)) {
      // Still ours but not usable this instant (a renewal running late, a cluster that just moved
      // here): look again shortly. A shard really lost leaves `ready`, and its apps are dropped.
      if (!this.ready.has(this.shardOfApp(app))) return otherwise;
      return { ...otherwise, requeueAfterMs: Math.max(Math.ceil(this.graceLeft(app)) + 50, 1000) };
    }
    const shard = this.shardOfApp(app);
    this.inflight.set(shard, (this.inflight.get(shard) ?? 0) + 1);
    try {
      return await pass();
    } finally {
      this.inflight.set(shard, (this.inflight.get(shard) ?? 1) - 1);
    }
  }

  markReady(shard: number): void {
    this.ready.add(shard);
  }

  /** Stop starting passes on the shard and wait for those in flight. */
  async drain(shard: number): Promise<void> {
    this.ready.delete(shard);
    while ((this.inflight.get(shard) ?? 0) > 0) await new Promise((r) => setTimeout(r, 50));
  }

  /** Lost without a drain: stop starting passes (the fence already refuses their writes). */
  forgetShard(shard: number): void {
    this.ready.delete(shard);
  }

  readyShards(): number[] {
    return [...this.ready].sort((a, b) => a - b);
  }

  /**
   * Waits until the informer cache holds every listed app of the shard at least at the
   * resourceVersion a quorum LIST returned (point 3 above). Retries until it does or `signal` ends.
   */
  async catchUp(shard: number, list: () => Promise<KubeObject[]>, cached: (key: string) => KubeObject | undefined, signal?: AbortSignal): Promise<void> {
    let listed: KubeObject[] = [];
    for (;;) {
      try {
        listed = await list();
        break;
      } catch (err) {
        this.deps.log.warn("cannot list Applications to take over a shard; retrying", { shard, error: errorMessage(err) });
        if (signal?.aborted) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const mine = listed.filter((a) => this.shardOfApp(a as ApplicationObject) === shard);
    const behind = (): KubeObject[] => mine.filter((a) => !isAtLeast(cached(objectKey(a))?.metadata.resourceVersion, a.metadata.resourceVersion));
    let waiting = behind();
    const started = performance.now();
    while (waiting.length > 0 && !signal?.aborted) {
      await new Promise((r) => setTimeout(r, 50));
      waiting = behind();
      if (waiting.length > 0 && performance.now() - started > 10_000) {
        this.deps.log.warn("the Application cache is behind the apiserver; waiting before taking the shard's work", { shard, behind: waiting.length });
        // A deleted app never catches up: list again.
        return this.catchUp(shard, list, cached, signal);
      }
    }
  }
}

/** resourceVersions are etcd revisions; compared as numbers when they are, else only equality counts. */
function isAtLeast(have: string | undefined, want: string | undefined): boolean {
  if (want === undefined) return true;
  if (have === undefined) return false;
  if (/^\d+$/.test(have) && /^\d+$/.test(want)) return BigInt(have) >= BigInt(want);
  return have === want;
}

/**
 * The reconcilers' Application client with the fence: a patch of an Application is sent only while
 * this replica owns the app's shard (its cached copy says which); otherwise ShardNotOwnedError.
 */
export function fencedClient(client: AppClient, owns: (key: string) => boolean): AppClient {
  return {
    get: (...args: Parameters<AppClient["get"]>) => client.get(...args),
    patch: ((ref: { apiVersion: string; kind: string; name: string; namespace?: string }, ...rest: unknown[]) => {
      if (ref.apiVersion === ARGO_API_VERSION && ref.kind === "Application" && !owns(`${ref.namespace ?? ""}/${ref.name}`)) {
        return Promise.reject(new ShardNotOwnedError(`not writing Application ${ref.namespace ?? ""}/${ref.name}: this replica does not own its destination's controller shard now`));
      }
      return (client.patch as (...a: unknown[]) => ReturnType<AppClient["patch"]>)(ref, ...rest);
    }) as AppClient["patch"],
  };
}
