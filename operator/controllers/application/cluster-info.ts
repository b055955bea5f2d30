// Publishes what the controller knows of each destination cluster (connection state, Kubernetes
// version, cache figures) for the API server's clusters list, as Argo's controller publishes its
// ClusterInfo for argocd-server: one ConfigMap per cluster in the control namespace
// (engine/cluster-info.ts has its shape; docs/decisions.md "Cluster info" says why a ConfigMap).
//
// Every cycle (Argo's 10 s) it builds each owned cluster's info from the DestinationPool and
// compares it with the ConfigMap as its own informer holds it; only a difference is written, so an
// idle installation writes nothing. A sharded replica publishes only the clusters of the shards it
// holds, naming the shard's Lease in the record: the server shows a record whose publisher no
// longer holds that Lease as stale. The replica holding shard 0 (or the only controller) deletes
// the records of clusters that are no longer registered.
import { clusterInfoData, clusterInfoName, clusterInfoOf, LABEL_CLUSTER_INFO, parseClusterInfoData, type ClusterInfo, type ClusterObservation, type Publisher } from "../../engine/cluster-info.js";
import { normalizeServer, type ClusterEntry } from "../../cluster/clusters.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { Informer } from "../../runtime/informer.js";
import type { Logger } from "../../runtime/logger.js";
import type { OperatorMetrics } from "../../runtime/metrics.js";
import { redact } from "../../runtime/redact.js";
import { deepEqual, errorMessage } from "../../util/index.js";
import type { ApplicationObject } from "../../appstate/types.js";
import type { DestinationState } from "./destinations.js";

/** Argo's cluster info update period (controller/clusterinfoupdater.go: 10 s). */
export const CLUSTER_INFO_PERIOD_MS = 10_000;
const FIELD_MANAGER = "hawser-cluster-info";

type DataObject = KubeObject & { data?: Record<string, string> };

/** Who this replica is when it publishes, and the Lease that makes it a cluster's publisher. */
export interface ClusterInfoOptions {
  /** This replica's identity: the holder identity of its Leases. */
  identity: string;
  /** The Lease held while publishing a cluster of `shard` (undefined: unsharded); undefined without leader election. */
  leaseOf(shard: number | undefined): string | undefined;
  periodMs?: number;
  /** How often a change of the object count alone is written (default: every 6 cycles, 60 s). */
  countsIntervalMs?: number;
}

export interface ClusterInfoPublisherDeps {
  client: KubeClient;
  namespace: string;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Every registered cluster, once the cluster Secrets are listed (undefined before). */
  clusters(): ClusterEntry[] | undefined;
  apps(): ApplicationObject[];
  /** Whether this replica publishes the cluster now (it holds its shard). */
  owns(server: string): boolean;
  /** The cluster's controller shard when sharded. */
  shardOf(server: string): number | undefined;
  /** Whether this replica deletes the records of clusters that are gone. */
  collectsGarbage(): boolean;
  /** The destinations' states, versions read again (DestinationPool.probeStates). */
  probeStates(timeoutMs: number): Promise<DestinationState[]>;
}

export class ClusterInfoPublisher {
  private readonly records: Informer<DataObject>;
  /** When this replica last wrote each record (performance.now()), for the object-count throttle. */
  private readonly lastWrittenAt = new Map<string, number>();
  private stopped = false;
  private wake?: () => void;
  private loop?: Promise<void>;

  constructor(private readonly opts: ClusterInfoOptions, private readonly deps: ClusterInfoPublisherDeps) {
    this.records = new Informer<DataObject>(deps.client, {
      apiVersion: "v1", kind: "ConfigMap", namespace: deps.namespace, labelSelector: `${LABEL_CLUSTER_INFO}=true`, log: deps.log, metrics: deps.metrics,
    });
  }

  start(): void {
    this.records.start();
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    // The informer first: a loop still waiting for its first list is released by its stop.
    await this.records.stop();
    await this.loop;
  }

  private async run(): Promise<void> {
    await this.records.waitForSync();
    const period = this.opts.periodMs ?? CLUSTER_INFO_PERIOD_MS;
    while (!this.stopped) {
      try {
        await this.publish();
      } catch (err) {
        this.deps.log.warn("cannot publish cluster info", { error: errorMessage(err) });
      }
      this.deps.metrics?.clusterInfoCycles.inc();
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, period);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
    }
  }

  /** One cycle: each owned cluster's info written if it differs from what is published; gone clusters' records deleted. */
  async publish(): Promise<void> {
    const clusters = this.deps.clusters();
    if (!clusters) return;
    const owned = clusters.filter((c) => this.deps.owns(c.server));
    const states = owned.length > 0 ? await this.deps.probeStates(Math.min(this.opts.periodMs ?? CLUSTER_INFO_PERIOD_MS, 5_000)) : [];
    const plan = planClusterInfo({
      clusters, owned: new Set(owned.map((c) => c.server)), states, apps: this.deps.apps(), records: this.records.list(),
      publisher: (server) => {
        const shard = this.deps.shardOf(server);
        const lease = this.opts.leaseOf(shard);
        return { identity: this.opts.identity, ...(lease !== undefined ? { lease } : {}), ...(shard !== undefined ? { shard } : {}) };
      },
      collectGarbage: this.deps.collectsGarbage(), nowMs: Date.now(),
      countsDue: (name) => {
        const at = this.lastWrittenAt.get(name);
        return at === undefined || performance.now() - at >= (this.opts.countsIntervalMs ?? 6 * (this.opts.periodMs ?? CLUSTER_INFO_PERIOD_MS));
      },
    });
    for (const w of plan.apply) {
      if (this.stopped) return;
      await this.deps.client.apply({
        apiVersion: "v1", kind: "ConfigMap",
        metadata: { name: w.name, namespace: this.deps.namespace, labels: { [LABEL_CLUSTER_INFO]: "true" } },
        data: w.data,
      }, { fieldManager: FIELD_MANAGER, force: true });
      this.deps.metrics?.clusterInfoWrites.inc({ verb: "apply" });
      this.lastWrittenAt.set(w.name, performance.now());
      if (w.statusChanged) this.deps.log.info("cluster connection state", { server: w.server, status: w.info.connectionState.status, message: w.info.connectionState.message });
    }
    for (const name of plan.delete) {
      await this.deps.client.delete({ apiVersion: "v1", kind: "ConfigMap", name, namespace: this.deps.namespace });
      this.deps.metrics?.clusterInfoWrites.inc({ verb: "delete" });
      this.lastWrittenAt.delete(name);
    }
  }
}

/** What one cycle sees. */
export interface ClusterInfoInputs {
  /** Every registered cluster. */
  clusters: readonly ClusterEntry[];
  /** The servers this replica publishes now. */
  owned: ReadonlySet<string>;
  states: readonly DestinationState[];
  apps: readonly ApplicationObject[];
  /** The cluster info ConfigMaps as published now. */
  records: readonly DataObject[];
  publisher(server: string): Publisher;
  /** Whether records of clusters that are gone (or foreign data under the label) are deleted. */
  collectGarbage: boolean;
  nowMs: number;
  /**
   * Whether a record whose only change is its object count may be written now. Objects come and
   * go all the time in a busy cluster; the count is written at most this often, every other
   * change at the next cycle.
   */
  countsDue(name: string): boolean;
}

/** What one cycle writes: the records that differ from what is published, and the ConfigMaps to delete. */
export interface ClusterInfoPlan {
  apply: Array<{ server: string; name: string; data: Record<string, string>; info: ClusterInfo; statusChanged: boolean }>;
  delete: string[];
}

/** One cycle's writes, decided without I/O: nothing when every owned cluster's record is as it would be written. */
export function planClusterInfo(input: ClusterInfoInputs): ClusterInfoPlan {
  const byName = new Map(input.records.map((r) => [r.metadata.name ?? "", r]));
  const stateOf = new Map(input.states.map((s) => [s.server, s]));
  const apps = applicationsPerServer(input.apps, input.clusters);
  const plan: ClusterInfoPlan = { apply: [], delete: [] };
  for (const c of input.clusters) {
    if (!input.owned.has(c.server)) continue;
    const name = clusterInfoName(c.server);
    const current = byName.get(name);
    const previous = parseClusterInfoData(current?.data);
    const st = stateOf.get(c.server);
    const obs: ClusterObservation = { applications: apps.get(c.server) ?? 0, ...(st ? { connection: observed(st) } : {}) };
    const info = clusterInfoOf(obs, previous?.server === c.server ? previous.info : undefined, input.nowMs);
    const publisher = input.publisher(c.server);
    const data = clusterInfoData(c.server, info, publisher);
    if (current && deepEqual(current.data ?? {}, data)) continue;
    const countOnly = current && info.cacheInfo && previous?.info.cacheInfo
      && deepEqual(current.data ?? {}, clusterInfoData(c.server, { ...info, cacheInfo: { ...info.cacheInfo, resourcesCount: previous.info.cacheInfo.resourcesCount } }, publisher));
    if (countOnly && !input.countsDue(name)) continue;
    plan.apply.push({ server: c.server, name, data, info, statusChanged: previous?.info.connectionState.status !== info.connectionState.status });
  }
  if (input.collectGarbage) {
    const registered = new Set(input.clusters.map((c) => c.server));
    for (const cm of input.records) {
      const record = parseClusterInfoData(cm.data);
      if (record && registered.has(record.server) && clusterInfoName(record.server) === cm.metadata.name) continue;
      plan.delete.push(cm.metadata.name ?? "");
    }
  }
  return plan;
}

/** A destination's state as the pure observation; error texts scrubbed of credentials. */
function observed(st: DestinationState): NonNullable<ClusterObservation["connection"]> {
  return {
    versionRead: st.versionRead,
    ...(st.k8sVersion ? { version: st.k8sVersion } : {}),
    ...(st.versionError !== undefined ? { versionError: redact(st.versionError) } : {}),
    apis: st.cache.apiResources,
    objects: st.cache.objects,
    ...(st.cache.oldestListAt !== undefined ? { oldestListAt: st.cache.oldestListAt } : {}),
    ...(st.cache.error !== undefined ? { cacheError: redact(st.cache.error) } : {}),
  };
}

/** How many apps deploy to each server (by destination server, or by a name only one cluster has). */
export function applicationsPerServer(apps: readonly ApplicationObject[], clusters: readonly ClusterEntry[]): Map<string, number> {
  const byName = new Map<string, string | null>();
  for (const c of clusters) byName.set(c.name, byName.has(c.name) ? null : c.server);
  const out = new Map<string, number>();
  for (const app of apps) {
    const dest = app.spec.destination;
    const server = dest?.server ? normalizeServer(dest.server) : dest?.name ? byName.get(dest.name) : undefined;
    if (server) out.set(server, (out.get(server) ?? 0) + 1);
  }
  return out;
}
