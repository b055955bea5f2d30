// The Application controller's scrape-time gauges over a fixture cache (testdata/metrics/apps.yaml):
// exact label values of argocd_app_info, the Argo 1.x status gauges, the conditions filter, the
// app-labels mapping, and the cluster gauges over registered clusters and connected destinations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { ApplicationObject } from "../../appstate/types.js";
import type { ClusterEntry } from "../../cluster/clusters.js";
import { promLabelName, type Series } from "../../runtime/argo-metrics.js";
import {
  appConditionSeries, appHealthStatusSeries, appInfoSeries, appLabelSeries, appOrphanSeries, appSyncStatusSeries,
  clusterLabelSeries, clusterSeries, parseAppMetricsSettings,
} from "./metrics.js";

const apps = parse(readFileSync(new URL("./testdata/metrics/apps.yaml", import.meta.url), "utf8")) as ApplicationObject[];
const [guestbook, legacy, leaving] = apps.map((a) => [a]) as [ApplicationObject[], ApplicationObject[], ApplicationObject[]];

test("argocd_app_info: Argo's labels, the repo normalised and without credentials, Unknown for a missing status", () => {
  assert.deepEqual([...appInfoSeries(apps)], [
    {
      labels: {
        namespace: "argocd", name: "guestbook", project: "web", autosync_enabled: "true", repo: "https://github.com/example/guestbook",
        dest_server: "https://kubernetes.default.svc", dest_namespace: "guestbook", sync_status: "Synced", health_status: "Healthy", operation: "",
      },
      value: 1,
    },
    {
      labels: {
        namespace: "team-a", name: "legacy", project: "default", autosync_enabled: "false", repo: "git@gitlab.example.com/infra/legacy",
        dest_server: "", dest_namespace: "legacy", sync_status: "Unknown", health_status: "Unknown", operation: "sync",
      },
      value: 1,
    },
    {
      labels: {
        namespace: "argocd", name: "leaving", project: "default", autosync_enabled: "false", repo: "https://example.com/leaving",
        dest_server: "https://10.0.0.1:6443", dest_namespace: "leaving", sync_status: "OutOfSync", health_status: "Degraded", operation: "delete",
      },
      value: 1,
    },
  ]);
});

test("argocd_app_sync_status and argocd_app_health_status: one series per status, 1 only for the current one", () => {
  const sync = [...appSyncStatusSeries(leaving)];
  assert.deepEqual(sync.map((s) => [s.labels.sync_status, s.value]), [["Synced", 0], ["OutOfSync", 1], ["Unknown", 0]]);
  assert.deepEqual(sync[0]!.labels, { namespace: "argocd", name: "leaving", project: "default", sync_status: "Synced" }, "Argo's default labels plus the status");
  const health = [...appHealthStatusSeries(legacy)];
  assert.deepEqual(health.map((s) => [s.labels.health_status, s.value]),
    [["Unknown", 1], ["Progressing", 0], ["Suspended", 0], ["Healthy", 0], ["Degraded", 0], ["Missing", 0]]);
});

test("argocd_app_condition: only the configured types, counted per app; nothing when none is configured", () => {
  assert.deepEqual([...appConditionSeries(apps, [])], [], "off by default, as in Argo");
  assert.deepEqual([...appConditionSeries(apps, ["SyncError", "ComparisonError"])], [
    { labels: { namespace: "argocd", name: "guestbook", project: "web", condition: "SyncError" }, value: 2 },
  ]);
  assert.deepEqual([...appConditionSeries(guestbook, ["OrphanedResourceWarning", "SyncError"])].map((s) => [s.labels.condition, s.value]),
    [["OrphanedResourceWarning", 1], ["SyncError", 2]]);
});

test("argocd_app_labels: each configured key as label_<key> with invalid characters as _, empty when the app lacks it", () => {
  const series = [...appLabelSeries(apps, ["team", "app.kubernetes.io/part-of"])];
  assert.deepEqual(series[0], {
    labels: { namespace: "argocd", name: "guestbook", project: "web", label_team: "payments", label_app_kubernetes_io_part_of: "shop" },
    value: 1,
  });
  assert.deepEqual(series[1]?.labels, { namespace: "team-a", name: "legacy", project: "default", label_team: "", label_app_kubernetes_io_part_of: "" });
  assert.equal(series.length, 3, "one series per app");
  assert.deepEqual([...appLabelSeries(apps, [])], [], "off when no label is configured");
  assert.equal(promLabelName("label", "a-b.c/d_e"), "label_a_b_c_d_e");
});

test("metrics.application.labels / .conditions: comma, newline and YAML-list forms, duplicates dropped", () => {
  assert.deepEqual(parseAppMetricsSettings(undefined), { labels: [], conditions: [] });
  assert.deepEqual(parseAppMetricsSettings({
    "metrics.application.labels": "team, env\nteam",
    "metrics.application.conditions": "- SyncError\n- OrphanedResourceWarning\n",
  }), { labels: ["team", "env"], conditions: ["SyncError", "OrphanedResourceWarning"] });
});

test("argocd_app_orphaned_resources_count: the last refresh's count with the app's current labels; apps never counted are left out", () => {
  const counts = new Map([["argocd/guestbook", 2], ["argocd/leaving", 0]]);
  assert.deepEqual([...appOrphanSeries(apps, (k) => counts.get(k))], [
    { labels: { namespace: "argocd", name: "guestbook", project: "web" }, value: 2 },
    { labels: { namespace: "argocd", name: "leaving", project: "default" }, value: 0 },
  ]);
});

test("argocd_cluster_*: every registered cluster; a connected one with its version and cache, another with connection 0", () => {
  const clusters: ClusterEntry[] = [
    { name: "in-cluster", server: "https://kubernetes.default.svc", namespaces: [], clusterResources: true, config: {} },
    { secretName: "prod", name: "prod", server: "https://10.0.0.1:6443", namespaces: [], clusterResources: true, config: {} },
  ];
  const now = Date.parse("2026-12-06T12:00:00Z");
  const out = clusterSeries(clusters, [{
    server: "https://kubernetes.default.svc", k8sVersion: "1.36.3", connected: true, versionRead: true,
    cache: { apiResources: 4, objects: 57, oldestListAt: now - 90_000, healthy: true },
  }], now);
  const byServer = (list: Series[]): Array<[string | undefined, number]> => list.map((s) => [s.labels.server, s.value]);
  assert.deepEqual(out.info.map((s) => s.labels), [
    { server: "https://kubernetes.default.svc", k8s_version: "1.36.3", name: "in-cluster" },
    { server: "https://10.0.0.1:6443", k8s_version: "", name: "prod" },
  ]);
  assert.deepEqual(out.connection, [
    { labels: { server: "https://kubernetes.default.svc", k8s_version: "1.36.3" }, value: 1 },
    { labels: { server: "https://10.0.0.1:6443", k8s_version: "" }, value: 0 },
  ]);
  assert.deepEqual(byServer(out.objects), [["https://kubernetes.default.svc", 57], ["https://10.0.0.1:6443", 0]]);
  assert.deepEqual(byServer(out.resources), [["https://kubernetes.default.svc", 4], ["https://10.0.0.1:6443", 0]]);
  assert.deepEqual(byServer(out.cacheAge), [["https://kubernetes.default.svc", 90]], "age only where a list has happened");
});

test("argocd_cluster_labels: each configured key of the cluster Secret as label_<key>, empty when unset; off without keys", () => {
  const clusters: ClusterEntry[] = [
    { name: "in-cluster", server: "https://kubernetes.default.svc", namespaces: [], clusterResources: true, config: {} },
    { secretName: "prod", name: "prod", server: "https://10.0.0.1:6443", namespaces: [], clusterResources: true, config: {}, labels: { env: "prod", "team.example.com/owner": "web" } },
  ];
  assert.deepEqual([...clusterLabelSeries(clusters, ["env", "team.example.com/owner"])], [
    { labels: { server: "https://kubernetes.default.svc", name: "in-cluster", label_env: "", label_team_example_com_owner: "" }, value: 1 },
    { labels: { server: "https://10.0.0.1:6443", name: "prod", label_env: "prod", label_team_example_com_owner: "web" }, value: 1 },
  ]);
  assert.deepEqual([...clusterLabelSeries(clusters, [])], [], "no configured label: no series (opt-in, as Argo)");
});

test("argocd_app_info: an automated sync running without `.operation` (its Running operationState) is labelled sync, a finished one is not", () => {
  const withState = (phase: string): ApplicationObject => {
    const app = structuredClone(guestbook[0]!);
    app.status = { ...app.status, operationState: { phase, startedAt: "2026-01-01T00:00:00Z", operation: { initiatedBy: { automated: true }, sync: { revision: "abc" } } } };
    return app;
  };
  const [running, finished] = [withState("Running"), withState("Succeeded")];
  assert.deepEqual([...appInfoSeries([running, finished])].map((s) => s.labels.operation), ["sync", ""]);
});
