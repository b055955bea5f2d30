// Prometheus metrics. Runtime metrics follow controller-runtime's names so existing dashboards
// for Go controllers read them; Argo CD-compatible domain metrics (argocd_app_*) are registered by
// the controllers on the same registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ArgoMetrics } from "./argo-metrics.js";
import type { WorkQueueMetrics } from "./workqueue.js";

export class OperatorMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<"controller" | "result">;
  readonly reconcileErrors: Counter<"controller">;
  readonly reconcileTime: Histogram<"controller">;
  readonly workqueueDepth: Gauge<"name">;
  readonly workqueueAdds: Counter<"name">;
  readonly workqueueRetries: Counter<"name">;
  readonly workqueueQueueDuration: Histogram<"name">;
  readonly kubeRequests: Counter<"verb" | "code" | "resource">;
  readonly kubeRequestDuration: Histogram<"verb">;
  readonly leader: Gauge;
  readonly informerRestarts: Counter<"resource">;
  readonly manifestRenders: Counter<"plugin">;
  readonly clusterInfoCycles: Counter;
  readonly clusterInfoWrites: Counter<"verb">;
  readonly ociArtifactCacheRequests: Counter<"result">;
  readonly ociArtifactCacheEvictions: Counter;
  readonly ociArtifactPullFailures: Counter<"reason">;
  readonly ociArtifactCacheEntries: Gauge;
  readonly ociArtifactCacheBytes: Gauge;
  /** The OCI artifact cache's size, read at scrape time (watchOciArtifactCache). */
  private ociArtifactUsage: (() => { entries: number; bytes: number }) | undefined;
  /** Argo CD's argocd_* metrics on the same registry (argo-metrics.ts). */
  readonly argo: ArgoMetrics;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    this.registry = new Registry();
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.reconcileTotal = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Reconciles per controller by result (success, error, requeue_after, stalled).",
      labelNames: ["controller", "result"],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Reconciles that ended in an error, per controller.",
      labelNames: ["controller"],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Time spent in one reconcile, per controller.",
      labelNames: ["controller"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.workqueueDepth = new Gauge({ name: "workqueue_depth", help: "Keys waiting in the queue.", labelNames: ["name"], registers });
    this.workqueueAdds = new Counter({ name: "workqueue_adds_total", help: "Adds handled by the queue.", labelNames: ["name"], registers });
    this.workqueueRetries = new Counter({ name: "workqueue_retries_total", help: "Rate-limited re-adds.", labelNames: ["name"], registers });
    this.workqueueQueueDuration = new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long a key waits in the queue before a worker takes it.",
      labelNames: ["name"],
      buckets: [0.0001, 0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60],
      registers,
    });
    this.kubeRequests = new Counter({
      name: "hawser_kube_requests_total",
      help: "Requests sent to the Kubernetes API, by verb, response code and resource (applications/status: the apiserver's resource/subresource).",
      labelNames: ["verb", "code", "resource"],
      registers,
    });
    this.kubeRequestDuration = new Histogram({
      name: "hawser_kube_request_duration_seconds",
      help: "Latency of requests to the Kubernetes API until response headers, by verb.",
      labelNames: ["verb"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.leader = new Gauge({ name: "hawser_leader", help: "1 while this process holds the leader lease.", registers });
    this.informerRestarts = new Counter({
      name: "hawser_informer_restarts_total",
      help: "Watch restarts (errors, expired resource versions), per resource.",
      labelNames: ["resource"],
      registers,
    });
    // Renders that ran a tool (cache misses): what manifest-generate-paths and the render cache save.
    this.manifestRenders = new Counter({
      name: "hawser_manifest_renders_total",
      help: "Application sources rendered by a config-management tool (not served from the render cache), by plugin.",
      labelNames: ["plugin"],
      registers,
    });
    // The cluster info publisher (controllers/application/cluster-info.ts): an idle installation
    // counts cycles and no writes.
    this.clusterInfoCycles = new Counter({ name: "hawser_cluster_info_cycles_total", help: "Cycles of the cluster info publisher (each compares every owned cluster's info with what is published).", registers });
    this.clusterInfoWrites = new Counter({ name: "hawser_cluster_info_writes_total", help: "Writes of cluster info ConfigMaps, by verb (apply, delete).", labelNames: ["verb"], registers });
    // The unpacked OCI artifact cache (git/oci-artifacts.ts): its size at scrape time, and what
    // it did (hits, pulls, evictions, refused or failed pulls by reason).
    this.ociArtifactCacheRequests = new Counter({
      name: "hawser_oci_artifact_cache_requests_total",
      help: "Checkouts of OCI artifact sources by result: hit (a tree on disk, or a pull under way shared), miss (pulled from the registry).",
      labelNames: ["result"],
      registers,
    });
    this.ociArtifactCacheEvictions = new Counter({ name: "hawser_oci_artifact_cache_evictions_total", help: "Unpacked OCI artifacts removed to keep the cache within its bounds.", registers });
    this.ociArtifactPullFailures = new Counter({
      name: "hawser_oci_artifact_pull_failures_total",
      help: "OCI artifact pulls that failed or were refused, by reason (registry, manifest, digest, limit, content, aborted, disk).",
      labelNames: ["reason"],
      registers,
    });
    const usage = (): { entries: number; bytes: number } => this.ociArtifactUsage?.() ?? { entries: 0, bytes: 0 };
    this.ociArtifactCacheEntries = new Gauge({
      name: "hawser_oci_artifact_cache_entries",
      help: "Unpacked OCI artifacts in the cache (in use or not; pulls under way not counted).",
      registers,
      collect() {
        this.set(usage().entries);
      },
    });
    this.ociArtifactCacheBytes = new Gauge({
      name: "hawser_oci_artifact_cache_bytes",
      help: "Bytes of file content of the unpacked OCI artifacts in the cache.",
      registers,
      collect() {
        this.set(usage().bytes);
      },
    });
    this.argo = new ArgoMetrics(this.registry);
  }

  /**
   * What the OCI artifact cache reports, as counters (structurally the cache's
   * OciArtifactCacheMetrics). Every result and each of `reasons` starts at 0, so the series exist
   * before the first pull.
   */
  ociArtifactCacheMetrics(reasons: readonly string[]): { hit(): void; miss(): void; evicted(): void; pullFailed(reason: string): void } {
    for (const result of ["hit", "miss"]) this.ociArtifactCacheRequests.inc({ result }, 0);
    for (const reason of reasons) this.ociArtifactPullFailures.inc({ reason }, 0);
    this.ociArtifactCacheEvictions.inc(0);
    return {
      hit: () => this.ociArtifactCacheRequests.inc({ result: "hit" }),
      miss: () => this.ociArtifactCacheRequests.inc({ result: "miss" }),
      evicted: () => this.ociArtifactCacheEvictions.inc(),
      pullFailed: (reason) => this.ociArtifactPullFailures.inc({ reason }),
    };
  }

  /** Where the OCI artifact cache's entries and bytes are read at each scrape. */
  watchOciArtifactCache(usage: () => { entries: number; bytes: number }): void {
    this.ociArtifactUsage = usage;
  }

  queueMetrics(name: string): WorkQueueMetrics {
    // An idle queue hands keys straight to waiting workers and never reports a depth: start at 0
    // so the series exists (dashboards plot workqueue_depth by name).
    this.workqueueDepth.set({ name }, 0);
    return {
      depth: (n) => this.workqueueDepth.set({ name }, n),
      added: () => this.workqueueAdds.inc({ name }),
      queued: (ms) => this.workqueueQueueDuration.observe({ name }, ms / 1000),
      retried: () => this.workqueueRetries.inc({ name }),
    };
  }
}
