// Argo CD's Prometheus metrics (argocd_*), with Argo's names, types, labels and buckets, so the
// dashboards and alerts written for Argo CD read Hawser unchanged (docs/metrics.md lists them).
// Counters and histograms are counted where things happen (sync end, reconcile, git and Kubernetes
// requests); gauges describing state (argocd_app_info, argocd_cluster_info, ...) are built at
// scrape time by sources the controllers register, which walk their informer caches: nothing is
// kept per app between scrapes and nothing runs between them.
import type { KubeClient } from "../kube/client.js";
import { Counter, Gauge, Histogram, type MetricType, type MetricObjectWithValues, type MetricValue, type Registry } from "prom-client";

/** One series of a scrape-time gauge. */
export interface Series {
  labels: Record<string, string>;
  value: number;
}

/** A Kubernetes label key as a Prometheus label name, as Argo's NormalizeLabels writes it. */
export function promLabelName(prefix: string, key: string): string {
  return `${prefix}_${key.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

/** Builds a gauge's series at scrape time; undefined while the owner is not running. */
export type SeriesSource = () => Iterable<Series> | undefined;

/**
 * A gauge whose series come from a callback at scrape time. prom-client's Gauge fixes its label
 * names up front, which `argocd_app_labels` (one `label_<k>` per configured app label) cannot, and
 * would keep every series in its own map between scrapes; this one keeps nothing.
 */
class ScrapeGauge extends Gauge<string> {
  private readonly sources: SeriesSource[] = [];

  constructor(private readonly metricName: string, private readonly metricHelp: string, registry: Registry) {
    super({ name: metricName, help: metricHelp, registers: [registry] });
  }

  addSource(source: SeriesSource): () => void {
    this.sources.push(source);
    return () => {
      const i = this.sources.indexOf(source);
      if (i >= 0) this.sources.splice(i, 1);
    };
  }

  override get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const values: MetricValue<string>[] = [];
    for (const source of this.sources) {
      for (const s of source() ?? []) values.push({ labels: s.labels, value: s.value });
    }
    // prom-client declares MetricType as an enum but exports no value for it at run time.
    return Promise.resolve({ name: this.metricName, help: this.metricHelp, type: "gauge" as unknown as MetricType, aggregator: "sum", values, collect: () => undefined });
  }
}

/** Argo's argocd_app_reconcile buckets (controller/metrics/metrics.go). */
export const APP_RECONCILE_BUCKETS = [0.25, 0.5, 1, 2, 4, 8, 16];
/** Argo's argocd_git_request_duration_seconds buckets (reposerver/metrics/metrics.go). */
export const GIT_REQUEST_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 10, 20];
/** client-go's request latency buckets, which argocd_kubectl_request_duration_seconds uses. */
export const KUBE_REQUEST_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

export type AppK8sRequestLabels =
  "namespace" | "name" | "project" | "server" | "response_code" | "verb" | "resource_kind" | "resource_namespace" | "dry_run";

export class ArgoMetrics {
  // Application controller
  readonly appInfo: ScrapeGauge;
  readonly appHealthStatus: ScrapeGauge;
  readonly appSyncStatus: ScrapeGauge;
  readonly appCondition: ScrapeGauge;
  readonly appLabels: ScrapeGauge;
  readonly appOrphanedResources: ScrapeGauge;
  readonly appSyncTotal: Counter<"namespace" | "name" | "project" | "dest_server" | "phase" | "dry_run">;
  readonly appSyncDuration: Counter<"namespace" | "name" | "project" | "dest_server">;
  readonly appReconcile: Histogram<"namespace" | "dest_server">;
  readonly appK8sRequests: Counter<AppK8sRequestLabels>;
  readonly clusterInfo: ScrapeGauge;
  readonly clusterLabels: ScrapeGauge;
  readonly clusterConnectionStatus: ScrapeGauge;
  readonly clusterApiResourceObjects: ScrapeGauge;
  readonly clusterApiResources: ScrapeGauge;
  readonly clusterCacheAge: ScrapeGauge;
  readonly clusterEvents: Counter<"server" | "group" | "kind">;
  // Kubernetes client (client-go's metrics under Argo's argocd_kubectl_ prefix)
  readonly kubeRequests: Counter<"host" | "method" | "code">;
  readonly kubeRequestDuration: Histogram<"host" | "verb">;
  // Repository access (Argo's repo server; here the operator's own git cache)
  readonly gitRequests: Counter<"repo" | "request_type">;
  readonly gitRequestDuration: Histogram<"repo" | "request_type">;
  readonly gitFetchFail: Counter<"repo" | "revision">;
  readonly gitLsRemoteFail: Counter<"repo" | "revision">;
  readonly repoPendingRequests: ScrapeGauge;
  // ApplicationSet controller
  readonly appsetInfo: ScrapeGauge;
  readonly appsetLabels: ScrapeGauge;
  readonly appsetOwnedApplications: ScrapeGauge;
  readonly appsetReconcile: Histogram<"namespace" | "name">;

  /** Orphaned resources per app key (`namespace/name`), from the last refresh; read at scrape time. */
  private readonly orphans = new Map<string, number>();

  constructor(registry: Registry) {
    const registers = [registry];
    const gauge = (name: string, help: string): ScrapeGauge => new ScrapeGauge(name, help, registry);
    this.appInfo = gauge("argocd_app_info", "Information about application.");
    this.appHealthStatus = gauge("argocd_app_health_status", "The application current health status (Argo CD 1.x; argocd_app_info carries it since 2.0).");
    this.appSyncStatus = gauge("argocd_app_sync_status", "The application current sync status (Argo CD 1.x; argocd_app_info carries it since 2.0).");
    this.appCondition = gauge("argocd_app_condition", "Report application conditions (metrics.application.conditions in argocd-cm).");
    this.appLabels = gauge("argocd_app_labels", "Argo Application labels converted to Prometheus labels (metrics.application.labels in argocd-cm).");
    this.appOrphanedResources = gauge("argocd_app_orphaned_resources_count", "Number of orphaned resources per application.");
    this.appSyncTotal = new Counter({
      name: "argocd_app_sync_total", help: "Number of application syncs.",
      labelNames: ["namespace", "name", "project", "dest_server", "phase", "dry_run"], registers,
    });
    this.appSyncDuration = new Counter({
      name: "argocd_app_sync_duration_seconds_total", help: "Application sync performance in seconds total.",
      labelNames: ["namespace", "name", "project", "dest_server"], registers,
    });
    this.appReconcile = new Histogram({
      name: "argocd_app_reconcile", help: "Application reconciliation performance in seconds.",
      labelNames: ["namespace", "dest_server"], buckets: APP_RECONCILE_BUCKETS, registers,
    });
    this.appK8sRequests = new Counter({
      name: "argocd_app_k8s_request_total", help: "Number of Kubernetes requests executed during application reconciliation.",
      labelNames: ["namespace", "name", "project", "server", "response_code", "verb", "resource_kind", "resource_namespace", "dry_run"], registers,
    });
    this.clusterInfo = gauge("argocd_cluster_info", "Information about cluster.");
    this.clusterLabels = gauge("argocd_cluster_labels", "Argo Cluster labels converted to Prometheus labels (--metrics-cluster-labels).");
    this.clusterConnectionStatus = gauge("argocd_cluster_connection_status", "The k8s cluster current connection status.");
    this.clusterApiResourceObjects = gauge("argocd_cluster_api_resource_objects", "Number of k8s resource objects in the cache.");
    this.clusterApiResources = gauge("argocd_cluster_api_resources", "Number of monitored k8s API resources.");
    this.clusterCacheAge = gauge("argocd_cluster_cache_age_seconds", "Cluster cache age in seconds.");
    this.clusterEvents = new Counter({
      name: "argocd_cluster_events_total", help: "Number of processes k8s resource events.",
      labelNames: ["server", "group", "kind"], registers,
    });
    this.kubeRequests = new Counter({
      name: "argocd_kubectl_requests_total", help: "Number of HTTP requests to the Kubernetes API, by method and response code.",
      labelNames: ["host", "method", "code"], registers,
    });
    this.kubeRequestDuration = new Histogram({
      name: "argocd_kubectl_request_duration_seconds", help: "Latency of requests to the Kubernetes API until response headers, by verb.",
      labelNames: ["host", "verb"], buckets: KUBE_REQUEST_BUCKETS, registers,
    });
    this.gitRequests = new Counter({
      name: "argocd_git_request_total", help: "Number of git requests performed by repo server",
      labelNames: ["repo", "request_type"], registers,
    });
    this.gitRequestDuration = new Histogram({
      name: "argocd_git_request_duration_seconds", help: "Git requests duration seconds.",
      labelNames: ["repo", "request_type"], buckets: GIT_REQUEST_BUCKETS, registers,
    });
    this.gitFetchFail = new Counter({
      name: "argocd_git_fetch_fail_total", help: "Number of git fetch requests failures by repo server",
      labelNames: ["repo", "revision"], registers,
    });
    this.gitLsRemoteFail = new Counter({
      name: "argocd_git_lsremote_fail_total", help: "Number of git ls-remote requests failures by repo server",
      labelNames: ["repo", "revision"], registers,
    });
    this.repoPendingRequests = gauge("argocd_repo_pending_request_total", "Number of pending requests requiring repository lock");
    this.appsetInfo = gauge("argocd_appset_info", "Information about applicationset");
    this.appsetLabels = gauge("argocd_appset_labels", "Applicationset labels translated to Prometheus labels (--metrics-applicationset-labels).");
    this.appsetOwnedApplications = gauge("argocd_appset_owned_applications", "Number of applications owned by the applicationset");
    this.appsetReconcile = new Histogram({
      // Argo leaves this histogram on Prometheus's default buckets, as prom-client's default is.
      name: "argocd_appset_reconcile", help: "Application reconciliation performance in seconds.",
      labelNames: ["namespace", "name"], registers,
    });
  }

  /**
   * argocd-cmd-params-cm `controller.metrics.cache.expiration`: Argo resets these per-app and
   * per-cluster counters and the reconcile histogram on that period, so series of apps and
   * clusters long gone stop being exported (gauges are built at scrape time and need no reset).
   */
  resetExpiringSeries(): void {
    this.appSyncTotal.reset();
    this.appK8sRequests.reset();
    this.clusterEvents.reset();
    this.appReconcile.reset();
  }

  /**
   * Counts every request of a Kubernetes client (and of its impersonating children, which share
   * its observers) in argocd_kubectl_requests_total and argocd_kubectl_request_duration_seconds.
   */
  observeKubeClient(client: Pick<KubeClient, "server" | "onRequest">): () => void {
    const host = new URL(client.server).host;
    return client.onRequest((method, _path, code, ms) => {
      this.kubeRequests.inc({ host, method, code: String(code) });
      this.kubeRequestDuration.observe({ host, verb: method }, ms / 1000);
    });
  }

  /** A remote git operation (RepoCache's onOperation): Argo's repo-server counters for ls-remote and fetch. */
  observeGitOperation(e: { op: string; repoURL: string; durationMs: number; ok: boolean; revision?: string }): void {
    if (e.op !== "ls-remote" && e.op !== "fetch") return;
    const labels = { repo: e.repoURL, request_type: e.op };
    this.gitRequests.inc(labels);
    this.gitRequestDuration.observe(labels, e.durationMs / 1000);
    if (!e.ok) (e.op === "fetch" ? this.gitFetchFail : this.gitLsRemoteFail).inc({ repo: e.repoURL, revision: e.revision ?? "" });
  }

  /** The orphaned-resource count of the app's last refresh (shown with the app's current labels). */
  setOrphans(appKey: string, count: number): void { this.orphans.set(appKey, count); }
  forgetApp(appKey: string): void { this.orphans.delete(appKey); }
  orphansOf(appKey: string): number | undefined { return this.orphans.get(appKey); }
}
