// The destination clusters Applications deploy to, as the controller holds them: per cluster a
// connection, a live-state cache (informers indexed by tracking data) and a write limiter. A
// cluster's entry is made on first use and replaced when its credentials or the tracking settings
// change (the cache indexes by tracking data, so new tracking rules need a new cache).
import { CachedLiveView, type LiveCache, type LiveView } from "../../appstate/live.js";
import { ClusterCache, type ClusterCacheStats } from "../../cluster/cluster-cache.js";
import type { ClusterEntry, ClusterRegistry } from "../../cluster/clusters.js";
import type { ArgoSettings } from "../../engine/settings.js";
import { AdaptiveLimiter } from "../../kube/adaptive.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import type { Logger } from "../../runtime/logger.js";
import type { OperatorMetrics } from "../../runtime/metrics.js";
import { errorMessage } from "../../util/index.js";
import type { ApplicationObject } from "../../appstate/types.js";

/**
 * The calls the reconcilers and the executor make to a destination's API server: writes, a fresh
 * read, discovery and its version. A KubeClient in production.
 */
export type DestinationClient = Pick<KubeClient, "apply" | "create" | "replace" | "delete" | "patch" | "get" | "resourceInfo" | "serverVersion">;

/** A destination's watch cache as the reconcilers read it: a ClusterCache in production. */
export interface DestinationCache extends LiveCache {
  isWatched(apiVersion: string, kind: string): boolean;
  /** Every loaded object in a namespace (orphan detection). */
  inNamespace(namespace: string): KubeObject[];
  /**
   * An object as the operator's own (real, not dry-run) write returned it: lookups give it until
   * the watch shows that version, so what a sync just applied is what the next comparison sees.
   * Optional: a cache that is never behind (the unit tests' fake) needs none.
   */
  observeWrite?(obj: KubeObject): void;
  /** An object a sync pruned: the app's comparison leaves it out until the watch shows it gone (optional as observeWrite). */
  observeDelete?(ref: { apiVersion: string; kind: string; namespace?: string; name: string }): void;
}

/** A destination's write budget: an AdaptiveLimiter in production. */
export type WriteLimiter = Pick<AdaptiveLimiter, "run">;

/** Where an Application's resources live: the resolved cluster, its connection, live cache and write budget. */
export interface Destination {
  cluster: ClusterEntry;
  client: DestinationClient;
  cache: DestinationCache;
  view: LiveView;
  limiter: WriteLimiter;
  /**
   * The same cluster's writes sent as another Kubernetes user (sync impersonation): the apiserver
   * authorizes them as that user. Reads through `cache`, `view` and discovery stay on the
   * controller's identity.
   */
  clientAs(user: string): DestinationClient;
}

/** Resolves an app's destination (DestinationError when it cannot): the DestinationPool in production. */
export interface DestinationProvider {
  resolve(app: ApplicationObject, settings: ArgoSettings): Destination;
}

/** The destination could not be resolved (no such cluster, bad credentials config). */
export class DestinationError extends Error {}

interface Held {
  client: KubeClient; cache: ClusterCache; limiter: AdaptiveLimiter; tracking: string; impersonated: Map<string, KubeClient>;
  /** The server's Kubernetes version as last read, and whether that read succeeded (metrics, cluster info). */
  version?: string; versionOk?: boolean;
  /** Why the last version read failed. */
  versionError?: string;
}

/** What argocd_cluster_* report of a connected destination, read at scrape time. */
export interface DestinationState {
  server: string;
  k8sVersion: string;
  /** The last version read succeeded and every watch is synced and not failing. */
  connected: boolean;
  /** Why the last version read failed; undefined when it succeeded or none has finished. */
  versionError?: string;
  /** Whether a version read has finished (either way). */
  versionRead: boolean;
  cache: ClusterCacheStats;
}

export interface DestinationPoolOptions {
  clusters: ClusterRegistry;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Called with the tracking key of a managed object that changed in some cluster. */
  onManagedChange: (trackingKey: string) => void;
}

export class DestinationPool implements DestinationProvider {
  private readonly held = new Map<string, Held>();

  constructor(private readonly opts: DestinationPoolOptions) {}

  /** The app's destination; DestinationError when it cannot be resolved. */
  resolve(app: ApplicationObject, settings: ArgoSettings): Destination {
    const resolved = this.opts.clusters.resolve(app.spec.destination);
    if (!resolved.ok) throw new DestinationError(resolved.message);
    let client: KubeClient;
    try {
      client = this.opts.clusters.client(resolved.cluster);
    } catch (err) {
      throw new DestinationError(errorMessage(err));
    }
    const tracking = JSON.stringify([settings.trackingMethod, settings.instanceLabelKey, settings.installationID ?? ""]);
    let held = this.held.get(resolved.cluster.server);
    if (!held || held.client !== client || held.tracking !== tracking) {
      if (held) void held.cache.stop();
      const cache = new ClusterCache({
        client, log: this.opts.log, metrics: this.opts.metrics, server: resolved.cluster.server,
        trackingMethod: settings.trackingMethod, instanceLabelKey: settings.instanceLabelKey, installationID: settings.installationID,
        onManagedChange: (key) => this.opts.onManagedChange(key),
      });
      // Each cluster has its own write budget: one slow apiserver must not throttle the others.
      held = { client, cache, limiter: held?.limiter ?? new AdaptiveLimiter({ initial: 16, max: 64, ...(this.opts.metrics ? { onWait: this.opts.metrics.limiterWait("destination") } : {}) }), tracking, impersonated: new Map() };
      this.held.set(resolved.cluster.server, held);
      if (this.opts.metrics) void this.readVersion(held);
    }
    const cluster = resolved.cluster;
    const impersonated = held.impersonated;
    // One client per (cluster, user), dropped with the cluster's connection when its credentials change.
    const clientAs = (user: string): DestinationClient => {
      let c = impersonated.get(user);
      if (!c) impersonated.set(user, (c = client.asUser(user)));
      return c;
    };
    return { cluster, client, cache: held.cache, limiter: held.limiter, view: new CachedLiveView({ server: cluster.server, name: cluster.name }, client, held.cache), clientAs };
  }

  /**
   * Every connected destination's state for the cluster metrics. The version is the one last read;
   * a new read starts in the background (the client caches it for minutes), so a scrape never waits.
   */
  states(): DestinationState[] {
    for (const held of this.held.values()) void this.readVersion(held);
    return this.currentStates();
  }

  /**
   * The states once each connection's version has been read again (the client caches a good
   * answer for minutes, so this dials only clusters whose last read failed), waiting at most
   * `timeoutMs` for a slow cluster: the cluster info publisher's view, taken once per cycle.
   */
  async probeStates(timeoutMs: number): Promise<DestinationState[]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    await Promise.race([Promise.all([...this.held.values()].map((h) => this.readVersion(h))), deadline]);
    clearTimeout(timer);
    return this.currentStates();
  }

  private currentStates(): DestinationState[] {
    const out: DestinationState[] = [];
    for (const [server, held] of this.held) {
      const cache = held.cache.stats();
      out.push({
        server, k8sVersion: held.version ?? "", connected: held.versionOk === true && cache.healthy, cache,
        versionRead: held.versionOk !== undefined, ...(held.versionError !== undefined ? { versionError: held.versionError } : {}),
      });
    }
    return out;
  }

  private readVersion(held: Held): Promise<void> {
    return held.client.serverVersion().then(
      (v) => { held.version = v; held.versionOk = true; held.versionError = undefined; },
      (err: unknown) => { held.versionOk = false; held.versionError = errorMessage(err); },
    );
  }

  /** New credentials or limits for a cluster: its old connection's cache goes. */
  forget(server: string): void {
    const held = this.held.get(server);
    if (!held) return;
    this.held.delete(server);
    void held.cache.stop();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.held.values()].map((h) => h.cache.stop()));
    this.held.clear();
  }
}
