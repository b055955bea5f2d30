// Cluster info: what Argo CD's clusters list shows of each cluster (`info.connectionState`,
// `serverVersion`, `cacheInfo`), as the application controller sees it. The controller owns the
// destination caches, so it is the one that knows; it publishes one ConfigMap per cluster in the
// control namespace (docs/decisions.md, "Cluster info"), which every API server replica already
// watches. This module is the pure part both sides share: what the controller publishes from its
// observation, the ConfigMap's shape, and what the server shows of a record, stale or not.
//
// Writes are kept to real changes: a record holds no time that moves by itself. `attemptedAt` is
// when the connection state last changed (kept while status and message stay the same), and
// `lastCacheSyncTime` is when the cache was last listed in full, in whole seconds.
import { createHash } from "node:crypto";

export type ConnectionStatus = "Successful" | "Failed" | "Unknown";

/** Argo's ConnectionState (`attemptedAt` is its ModifiedAt). */
export interface ConnectionState {
  status: ConnectionStatus;
  message: string;
  attemptedAt: string;
}

/** Argo's ClusterCacheInfo. */
export interface CacheInfo {
  resourcesCount: number;
  apisCount: number;
  lastCacheSyncTime?: string;
}

/** What the controller publishes of one cluster (Argo's ClusterInfo without applicationsCount). */
export interface ClusterInfo {
  connectionState: ConnectionState;
  serverVersion?: string;
  cacheInfo?: CacheInfo;
}

/** The controller's view of one cluster at a cycle. */
export interface ClusterObservation {
  /** How many Applications deploy to it (only for the "not monitored" message). */
  applications: number;
  /** The controller's connection, if it holds one (an app has used the cluster). */
  connection?: {
    /** Whether a version read has finished. */
    versionRead: boolean;
    version?: string;
    versionError?: string;
    /** Kinds watched and objects cached. */
    apis: number;
    objects: number;
    /** When the least recently listed kind was listed (ms since the epoch). */
    oldestListAt?: number;
    /** A failing watch's error. */
    cacheError?: string;
  };
}

/** Argo's message for a cluster whose cache nobody keeps. */
export const NOT_MONITORED_MESSAGE = "Cluster has no applications and is not being monitored.";

/** A time as Kubernetes writes metav1.Time: whole seconds. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The info to publish for an observation. `previous` is what is published now: its attemptedAt
 * is kept while the status and message are the same, so an unchanged cluster gives an equal
 * record and nothing is written.
 */
export function clusterInfoOf(obs: ClusterObservation, previous: ClusterInfo | undefined, nowMs: number): ClusterInfo {
  const c = obs.connection;
  let status: ConnectionStatus;
  let message: string;
  if (!c) {
    status = "Unknown";
    message = obs.applications === 0 ? NOT_MONITORED_MESSAGE : "the application controller has not connected to this cluster yet";
  } else if (c.versionError !== undefined) {
    status = "Failed";
    message = c.versionError;
  } else if (c.cacheError !== undefined) {
    status = "Failed";
    message = c.cacheError;
  } else if (!c.versionRead) {
    status = "Unknown";
    message = "the application controller is connecting to this cluster";
  } else {
    status = "Successful";
    message = "";
  }
  const same = previous?.connectionState.status === status && previous.connectionState.message === message;
  const info: ClusterInfo = { connectionState: { status, message, attemptedAt: same ? previous.connectionState.attemptedAt : kubeTime(nowMs) } };
  if (c?.version) info.serverVersion = c.version;
  if (c && status === "Successful") {
    info.cacheInfo = { resourcesCount: c.objects, apisCount: c.apis, ...(c.oldestListAt !== undefined ? { lastCacheSyncTime: kubeTime(c.oldestListAt) } : {}) };
  }
  return info;
}

/** Label on every cluster info ConfigMap (its value is "true"). */
export const LABEL_CLUSTER_INFO = "hawser.io/cluster-info";

/** The ConfigMap of a cluster's info: one per server URL, a name Kubernetes accepts. */
export function clusterInfoName(server: string): string {
  return `hawser-cluster-info-${createHash("sha256").update(server).digest("hex").slice(0, 16)}`;
}

/** Who published a record, and the Lease that makes it the cluster's publisher. */
export interface Publisher {
  /** The controller replica's identity (its Lease holder identity). */
  identity: string;
  /** The Lease it holds while it publishes: the shard Lease, or the leader Lease; none without leader election. */
  lease?: string;
  /** The controller shard the cluster belongs to (sharded controllers). */
  shard?: number;
}

/** A cluster info ConfigMap as read back. */
export interface ClusterInfoRecord {
  server: string;
  info: ClusterInfo;
  publisher: Publisher;
}

/** The data of a cluster's info ConfigMap: compared as is, so an equal record means no write. */
export function clusterInfoData(server: string, info: ClusterInfo, publisher: Publisher): Record<string, string> {
  return {
    server,
    info: JSON.stringify(info),
    publisher: publisher.identity,
    ...(publisher.lease !== undefined ? { lease: publisher.lease } : {}),
    ...(publisher.shard !== undefined ? { shard: String(publisher.shard) } : {}),
  };
}

/** A cluster info ConfigMap's data as a record; undefined when it is not one (edited by hand, or another version's). */
export function parseClusterInfoData(data: Record<string, string> | undefined): ClusterInfoRecord | undefined {
  if (!data?.server || !data.info || !data.publisher) return undefined;
  let info: unknown;
  try {
    info = JSON.parse(data.info);
  } catch {
    return undefined;
  }
  if (!isInfo(info)) return undefined;
  const shard = data.shard !== undefined && /^\d+$/.test(data.shard) ? Number(data.shard) : undefined;
  return {
    server: data.server, info,
    publisher: { identity: data.publisher, ...(data.lease ? { lease: data.lease } : {}), ...(shard !== undefined ? { shard } : {}) },
  };
}

function isInfo(v: unknown): v is ClusterInfo {
  if (!v || typeof v !== "object") return false;
  const cs = (v as { connectionState?: unknown }).connectionState;
  if (!cs || typeof cs !== "object") return false;
  const { status, message, attemptedAt } = cs as Record<string, unknown>;
  return (status === "Successful" || status === "Failed" || status === "Unknown") && typeof message === "string" && typeof attemptedAt === "string";
}

/** Whether the publisher's Lease is held by it and renewed in time, as the reader observes it. */
export interface LeaseLiveness {
  /** "" when nobody holds it. */
  holder: string;
  expired: boolean;
}

/**
 * What to show of a record: as published while its publisher still holds its Lease; otherwise the
 * state is stale (the replica or shard is gone, nobody keeps the cluster's cache) and shows as
 * Unknown, saying what was last published, without cache figures. A record without a Lease
 * (a controller run without leader election) has nothing to check and is shown as published.
 */
export function shownClusterInfo(record: ClusterInfoRecord, lease: LeaseLiveness | undefined): ClusterInfo & { stale: boolean } {
  const p = record.publisher;
  if (p.lease === undefined) return { ...record.info, stale: false };
  if (lease && lease.holder === p.identity && !lease.expired) return { ...record.info, stale: false };
  const last = record.info.connectionState;
  const who = `the application controller ${p.identity}${p.shard !== undefined ? ` (shard ${p.shard})` : ""}`;
  const why = !lease || lease.holder === "" || lease.expired
    ? `${who} stopped renewing its lease ${p.lease}`
    : `${who} no longer holds its lease ${p.lease} (now held by ${lease.holder}, which has not published this cluster yet)`;
  return {
    connectionState: { status: "Unknown", message: `${why}; last published state: ${last.status} at ${last.attemptedAt}${last.message ? `: ${last.message}` : ""}`, attemptedAt: last.attemptedAt },
    ...(record.info.serverVersion ? { serverVersion: record.info.serverVersion } : {}),
    stale: true,
  };
}
