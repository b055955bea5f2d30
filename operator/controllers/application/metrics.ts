// The Application controller's scrape-time gauges (argocd_app_*, argocd_cluster_*), built from the
// informer caches at each scrape as Argo's collectors are. Pure: controller.ts hands these
// functions the cached objects and registers them as sources of runtime/argo-metrics.ts.
import type { ApplicationObject } from "../../appstate/types.js";
import type { ClusterEntry } from "../../cluster/clusters.js";
import { autoSyncEnabled } from "../../engine/sync/autosync.js";
import { normalizeGitURL } from "../../git/url.js";
import { promLabelName, type Series } from "../../runtime/argo-metrics.js";
import { redactUrl } from "../../runtime/redact.js";
import type { DestinationState } from "./destinations.js";

/** argocd-cm `metrics.application.labels` and `metrics.application.conditions`. */
export interface AppMetricsSettings {
  /** Application labels copied into argocd_app_labels as `label_<key>`. */
  labels: string[];
  /** Condition types counted in argocd_app_condition; empty: the metric is off. */
  conditions: string[];
}

/**
 * Reads the two argocd-cm keys. Argo takes them as repeated controller flags; in argocd-cm a value
 * is a list separated by commas or newlines (a YAML list's `- ` markers are allowed).
 */
export function parseAppMetricsSettings(data: Record<string, string> | undefined): AppMetricsSettings {
  const list = (v: string | undefined): string[] => [...new Set((v ?? "").split(/[,\n]/).map((s) => s.trim().replace(/^-\s*/, "").trim()).filter(Boolean))];
  return { labels: list(data?.["metrics.application.labels"]), conditions: list(data?.["metrics.application.conditions"]) };
}


/** What the metrics read of an app's status. */
interface MetricStatus {
  sync?: { status?: string };
  health?: { status?: string };
  conditions?: Array<{ type: string }>;
  operationState?: { phase?: string; operation?: { sync?: unknown } };
}

function statusOf(app: ApplicationObject): MetricStatus | undefined {
  const status: unknown = app.status;
  return status as MetricStatus | undefined;
}

/** Argo's default labels of every per-app series. */
function appLabels(app: ApplicationObject): Record<string, string> {
  return { namespace: app.metadata.namespace ?? "", name: app.metadata.name ?? "", project: app.spec?.project || "default" };
}

/** The repository Argo's argocd_app_info names: the first source's, normalised, without credentials. */
export function appRepo(app: ApplicationObject): string {
  const url = app.spec?.source?.repoURL ?? app.spec?.sources?.[0]?.repoURL ?? "";
  return url ? normalizeGitURL(redactUrl(url)) : "";
}

function syncStatus(app: ApplicationObject): string {
  return statusOf(app)?.sync?.status || "Unknown";
}

function healthStatus(app: ApplicationObject): string {
  return statusOf(app)?.health?.status || "Unknown";
}

/**
 * A sync requested (`.operation`) or running: Argo keeps `.operation` set until its sync ends, so
 * its label says "sync" for the whole sync; Hawser's automated syncs run without one.
 */
function syncInProgress(app: ApplicationObject): boolean {
  if ((app.operation as { sync?: unknown } | undefined)?.sync) return true;
  const state = statusOf(app)?.operationState;
  return (state?.phase === "Running" || state?.phase === "Terminating") && !!state.operation?.sync;
}

/** argocd_app_info: one series per app, value 1. */
export function* appInfoSeries(apps: Iterable<ApplicationObject>): Generator<Series> {
  for (const app of apps) {
    const operation = app.metadata.deletionTimestamp ? "delete" : syncInProgress(app) ? "sync" : "";
    yield {
      labels: {
        ...appLabels(app),
        autosync_enabled: String(autoSyncEnabled(app.spec?.syncPolicy)),
        repo: appRepo(app),
        dest_server: app.spec?.destination?.server ?? "",
        dest_namespace: app.spec?.destination?.namespace ?? "",
        sync_status: syncStatus(app),
        health_status: healthStatus(app),
        operation,
      },
      value: 1,
    };
  }
}

const SYNC_STATUSES = ["Synced", "OutOfSync", "Unknown"];
const HEALTH_STATUSES = ["Unknown", "Progressing", "Suspended", "Healthy", "Degraded", "Missing"];

/** argocd_app_sync_status (Argo 1.x): per app one series per sync status, 1 for the current one. */
export function* appSyncStatusSeries(apps: Iterable<ApplicationObject>): Generator<Series> {
  for (const app of apps) {
    const current = syncStatus(app);
    for (const s of SYNC_STATUSES) yield { labels: { ...appLabels(app), sync_status: s }, value: s === current ? 1 : 0 };
  }
}

/** argocd_app_health_status (Argo 1.x): per app one series per health status, 1 for the current one. */
export function* appHealthStatusSeries(apps: Iterable<ApplicationObject>): Generator<Series> {
  for (const app of apps) {
    const current = healthStatus(app);
    for (const s of HEALTH_STATUSES) yield { labels: { ...appLabels(app), health_status: s }, value: s === current ? 1 : 0 };
  }
}

/** argocd_app_condition: per app and configured condition type it has, how many conditions of it. */
export function* appConditionSeries(apps: Iterable<ApplicationObject>, types: readonly string[]): Generator<Series> {
  if (types.length === 0) return;
  for (const app of apps) {
    const counts = new Map<string, number>();
    for (const c of statusOf(app)?.conditions ?? []) {
      if (types.includes(c.type)) counts.set(c.type, (counts.get(c.type) ?? 0) + 1);
    }
    for (const [condition, n] of counts) yield { labels: { ...appLabels(app), condition }, value: n };
  }
}

/** argocd_app_labels: per app, value 1, with each configured label as `label_<key>` ("" when unset). */
export function* appLabelSeries(apps: Iterable<ApplicationObject>, keys: readonly string[]): Generator<Series> {
  if (keys.length === 0) return;
  const names = keys.map((k) => promLabelName("label", k));
  for (const app of apps) {
    const labels = appLabels(app);
    keys.forEach((k, i) => { labels[names[i]!] = app.metadata.labels?.[k] ?? ""; });
    yield { labels, value: 1 };
  }
}

/**
 * argocd_cluster_labels: per registered cluster, value 1, with each configured label of its Secret
 * as `label_<key>` ("" when unset); off (no series) when no label is configured, as in Argo.
 */
export function* clusterLabelSeries(clusters: readonly ClusterEntry[], keys: readonly string[]): Generator<Series> {
  if (keys.length === 0) return;
  const names = keys.map((k) => promLabelName("label", k));
  for (const c of clusters) {
    const labels: Record<string, string> = { server: c.server, name: c.name };
    keys.forEach((k, i) => { labels[names[i]!] = c.labels?.[k] ?? ""; });
    yield { labels, value: 1 };
  }
}

/** argocd_app_orphaned_resources_count: the count of each app's last refresh, if it had one. */
export function* appOrphanSeries(apps: Iterable<ApplicationObject>, orphansOf: (appKey: string) => number | undefined): Generator<Series> {
  for (const app of apps) {
    const n = orphansOf(`${app.metadata.namespace ?? ""}/${app.metadata.name ?? ""}`);
    if (n !== undefined) yield { labels: appLabels(app), value: n };
  }
}

/** The argocd_cluster_* gauges of every registered cluster. */
export interface ClusterSeries {
  info: Series[];
  connection: Series[];
  objects: Series[];
  resources: Series[];
  cacheAge: Series[];
}

/**
 * Every registered cluster (the in-cluster entry included): connected ones with their version and
 * cache, the others (no app has used them yet, or their connection failed) with an empty version
 * and connection status 0, as Argo reports a cluster it has not reached.
 */
export function clusterSeries(clusters: readonly ClusterEntry[], states: readonly DestinationState[], nowMs: number): ClusterSeries {
  const byServer = new Map(states.map((s) => [s.server, s]));
  const out: ClusterSeries = { info: [], connection: [], objects: [], resources: [], cacheAge: [] };
  for (const c of clusters) {
    const st = byServer.get(c.server);
    const server = c.server;
    const k8sVersion = st?.k8sVersion ?? "";
    out.info.push({ labels: { server, k8s_version: k8sVersion, name: c.name }, value: 1 });
    out.connection.push({ labels: { server, k8s_version: k8sVersion }, value: st?.connected ? 1 : 0 });
    out.objects.push({ labels: { server }, value: st?.cache.objects ?? 0 });
    out.resources.push({ labels: { server }, value: st?.cache.apiResources ?? 0 });
    if (st?.cache.oldestListAt !== undefined) out.cacheAge.push({ labels: { server }, value: Math.max(0, (nowMs - st.cache.oldestListAt) / 1000) });
  }
  return out;
}
