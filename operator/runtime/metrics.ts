// Prometheus metrics. Runtime metrics follow controller-runtime's names so existing dashboards
// for Go controllers read them; Argo CD-compatible domain metrics (argocd_app_*) are registered by
// the controllers on the same registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ArgoMetrics } from "./argo-metrics.js";
import { OciArtifactMetrics, type OciArtifactCounters } from "./oci-metrics.js";
import type { ProcessingNow, WorkQueueMetrics } from "./workqueue.js";

export class OperatorMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<"controller" | "result">;
  readonly reconcileErrors: Counter<"controller">;
  readonly reconcileTime: Histogram<"controller">;
  readonly workqueueDepth: Gauge<"name">;
  readonly workqueueAdds: Counter<"name">;
  readonly workqueueRetries: Counter<"name">;
  readonly workqueueQueueDuration: Histogram<"name">;
  readonly workqueueWorkDuration: Histogram<"name">;
  /** Each queue's work in progress, by queue name, read when the two gauges below are scraped. */
  private readonly processingReaders = new Map<string, () => ProcessingNow>();
  readonly kubeRequests: Counter<"verb" | "code" | "resource">;
  readonly kubeRequestDuration: Histogram<"verb">;
  readonly writeLimiterWait: Histogram<"limiter" | "priority">;
  readonly leader: Gauge;
  readonly informerRestarts: Counter<"resource">;
  readonly manifestRenders: Counter<"plugin">;
  readonly clusterInfoCycles: Counter;
  readonly clusterInfoWrites: Counter<"verb">;
  /** The unpacked OCI artifact cache's (oci-metrics.ts; the API server registers the same). */
  readonly ociArtifacts: OciArtifactMetrics;
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
    // client-go's three other workqueue series (Argo's dashboards and alerts read them): the time a
    // worker holds a key, and, read at scrape time, the work in progress and its longest item.
    this.workqueueWorkDuration = new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "How long processing a key takes, from a worker taking it to done.",
      labelNames: ["name"],
      buckets: [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10],
      registers,
    });
    const processing = this.processingReaders;
    const collectProcessing = (gauge: Gauge, pick: (now: ProcessingNow) => number): void => {
      gauge.reset();
      for (const [name, read] of processing) gauge.set({ name }, pick(read()));
    };
    new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help: "Seconds of work in progress not yet observed by workqueue_work_duration_seconds; large values mean stuck workers.",
      labelNames: ["name"],
      registers,
      collect() { collectProcessing(this, (n) => n.unfinishedSeconds); },
    });
    new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "Seconds the longest-running worker of the queue has held its key.",
      labelNames: ["name"],
      registers,
      collect() { collectProcessing(this, (n) => n.longestSeconds); },
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
    // Where a write waits before it is sent: the control plane's limiter (Application writes and
    // Events) or a destination's (a sync's applies). A slow write with a short wait here is the
    // apiserver's; a long wait is the operator's own pacing.
    this.writeLimiterWait = new Histogram({
      name: "hawser_write_limiter_wait_seconds",
      help: "Time a write waited for a slot in an adaptive write limiter, by limiter (control-plane, destination) and priority (normal, low).",
      labelNames: ["limiter", "priority"],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
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
    this.ociArtifacts = new OciArtifactMetrics(this.registry);
    this.argo = new ArgoMetrics(this.registry);
  }

  /** What the OCI artifact cache reports (OciArtifactMetrics.counters). */
  ociArtifactCacheMetrics(reasons: readonly string[]): OciArtifactCounters {
    return this.ociArtifacts.counters(reasons);
  }

  /** Where the OCI artifact cache's entries and bytes are read at each scrape. */
  watchOciArtifactCache(usage: () => { entries: number; bytes: number }): void {
    this.ociArtifacts.watch(usage);
  }

  /** The `onWait` of an AdaptiveLimiter named `limiter`. */
  limiterWait(limiter: string): (ms: number, priority: string) => void {
    return (ms, priority) => this.writeLimiterWait.observe({ limiter, priority }, ms / 1000);
  }

  queueMetrics(name: string): WorkQueueMetrics {
    // An idle queue hands keys straight to waiting workers and never reports a depth: start at 0
    // so the series exists (dashboards plot workqueue_depth by name).
    this.workqueueDepth.set({ name }, 0);
    return {
      depth: (n) => this.workqueueDepth.set({ name }, n),
      added: () => this.workqueueAdds.inc({ name }),
      queued: (ms) => this.workqueueQueueDuration.observe({ name }, ms / 1000),
      worked: (ms) => this.workqueueWorkDuration.observe({ name }, ms / 1000),
      retried: () => this.workqueueRetries.inc({ name }),
      watchProcessing: (read) => { this.processingReaders.set(name, read); },
    };
  }
}
