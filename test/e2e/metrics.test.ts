// Argo CD's metrics from a running operator on the real control plane: seed 002's dev overlay syncs
// automatically, an ApplicationSet generates one more Application, and a scrape of /metrics then
// has argocd_app_info with Argo's exact labels (Synced, Healthy, autosync_enabled), the finished
// sync in argocd_app_sync_total, argocd_app_reconcile with Argo's buckets, the git requests, the
// in-cluster destination in argocd_cluster_info, the app label argocd-cm asks for, the
// ApplicationSet gauges, every metric and label name the Grafana dashboard's queries use
// (test/fixtures/metrics/argocd-dashboard.promql) and the label values they select (Argo's
// workqueue names), and every metric docs/metrics.md lists for the operator's endpoint with its
// documented type and label names. The set's demo-prod syncs
// automatically as seed 002's does: argocd_app_info shows both apps Synced and Healthy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { normalizeGitURL } from "../../operator/git/url.js";
import { fromDir } from "../support/git-server.js";
import { eventually } from "../support/eventually.js";
import { documentedMetricProblems, documentedMetrics, fixtureQueries, queryNames, queryValueMatchers, scrapeNames, scrapeSamples, scrapeTypes, type Sample } from "../support/promql-names.js";
import { API, createWorld, IN_CLUSTER } from "../support/world.js";

const seed = fileURLToPath(new URL("../../hack/demo/seed-002", import.meta.url));
const dashboard = fileURLToPath(new URL("../fixtures/metrics/argocd-dashboard.promql", import.meta.url));
const metricsDoc = fileURLToPath(new URL("../../docs/metrics.md", import.meta.url));
// Documented metrics with no series in this run: counted only when something fails, or when a
// notification trigger is subscribed (test/e2e/notifications.test.ts scrapes those).
const NO_SERIES_HERE = new Set([
  "argocd_git_fetch_fail_total", "argocd_git_lsremote_fail_total",
  "argocd_notifications_deliveries_total", "argocd_notifications_trigger_eval_total",
]);

interface AppStatus { sync?: { status?: string }; health?: { status?: string } }

const find = (samples: Sample[], name: string, labels: Record<string, string>): Sample[] =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

test("argocd_* metrics of a synced seed-002 app and an ApplicationSet, and the dashboard's names, in a real scrape", async (t) => {
  const w = await createWorld(t, {
    name: "met",
    repos: { demo: fromDir(join(seed, "repo-argocd-kustomize-demo")) },
    argocdCm: { "metrics.application.labels": "team, app.kubernetes.io/part-of", "metrics.application.conditions": "InvalidSpecError, SyncError" },
    operatorArgs: ["--metrics-cluster-labels=env", "--metrics-applicationset-labels", "team,tier"],
  });
  const { client, git, ns } = w;
  const dest = w.dest("dev");
  await client.create(w.application("demo-dev", {
    repo: "demo", path: "overlays/dev", dest,
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
    metadata: { labels: { team: "payments" } },
  }));
  // An app whose project does not exist: its InvalidSpecError is what argocd_app_condition counts.
  await client.create(w.application("broken", { repo: "demo", path: "overlays/dev", dest, project: "no-such-project" }));
  await client.create({
    apiVersion: API, kind: "ApplicationSet", metadata: { name: "envs", namespace: ns, labels: { team: "platform" } },
    spec: {
      generators: [{ list: { elements: [{ env: "prod" }] } }],
      template: {
        metadata: { name: "demo-{{env}}" },
        spec: {
          project: "default", source: { repoURL: git.baseUrl("demo"), path: "overlays/{{env}}", targetRevision: "HEAD" }, destination: { server: IN_CLUSTER, namespace: w.dest("prod") },
          // As seed 002's demo-prod: synced automatically.
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
        },
      },
    },
  });
  await eventually(async () => {
    const s = await w.status<AppStatus>("demo-dev");
    assert.equal(s?.sync?.status, "Synced", "synced");
    assert.equal(s?.health?.status, "Healthy", "healthy");
    const prod = await w.status<AppStatus>("demo-prod");
    assert.deepEqual([prod?.sync?.status, prod?.health?.status], ["Synced", "Healthy"], "the set's demo-prod synced and healthy");
  }, { timeoutMs: 120_000 });

  const url = `${await w.op.probeUrl()}/metrics`;
  const scrape = async (): Promise<string> => {
    const res = await fetch(url);
    assert.equal(res.status, 200, "GET /metrics");
    return res.text();
  };
  const app = { namespace: ns, name: "demo-dev", project: "default" };
  const k8sVersion = await client.serverVersion();
  let text = "";
  await eventually(async () => {
    text = await scrape();
    const samples = scrapeSamples(text);
    assert.deepEqual(find(samples, "argocd_app_info", app).map((s) => [s.labels, s.value]), [[{
      ...app, autosync_enabled: "true", repo: normalizeGitURL(git.baseUrl("demo")), dest_server: IN_CLUSTER, dest_namespace: dest,
      sync_status: "Synced", health_status: "Healthy", operation: "",
    }, 1]], "argocd_app_info with Argo's labels");
    assert.deepEqual(find(samples, "argocd_app_condition", { namespace: ns }).map((s) => [s.labels.name, s.labels.condition, s.value]), [["broken", "InvalidSpecError", 1]], "argocd_app_condition of the types argocd-cm lists");
    // Issue 15's acceptance query, for both of seed 002's apps.
    assert.deepEqual(find(samples, "argocd_app_info", { namespace: ns, sync_status: "Synced", health_status: "Healthy" }).map((s) => s.labels.name).sort(), ["demo-dev", "demo-prod"], "argocd_app_info{sync_status=\"Synced\",health_status=\"Healthy\"} for both apps");
    const syncs = find(samples, "argocd_app_sync_total", { ...app, dest_server: IN_CLUSTER, phase: "Succeeded", dry_run: "false" });
    assert.equal(syncs.length, 1, "argocd_app_sync_total{phase=Succeeded} present");
    assert.ok(syncs[0]!.value >= 1, `at least one succeeded sync counted, got ${syncs[0]!.value}`);
    assert.equal(find(samples, "argocd_app_sync_duration_seconds_total", { ...app, dest_server: IN_CLUSTER }).length, 1, "sync duration counted");
    const buckets = find(samples, "argocd_app_reconcile_bucket", { namespace: ns, dest_server: IN_CLUSTER });
    assert.deepEqual(buckets.map((b) => b.labels.le), ["0.25", "0.5", "1", "2", "4", "8", "16", "+Inf"], "Argo's reconcile buckets");
    assert.ok(buckets.at(-1)!.value >= 1, "reconciles observed");
    const repo = git.baseUrl("demo");
    for (const request_type of ["ls-remote", "fetch"]) {
      const git = find(samples, "argocd_git_request_total", { repo, request_type });
      assert.ok(git.length === 1 && git[0]!.value >= 1, `argocd_git_request_total{request_type="${request_type}"} counted`);
    }
    assert.deepEqual(find(samples, "argocd_cluster_info", { server: IN_CLUSTER }).map((s) => s.labels), [{ server: IN_CLUSTER, k8s_version: k8sVersion, name: "in-cluster" }], "argocd_cluster_info of the in-cluster destination");
    assert.deepEqual(find(samples, "argocd_cluster_connection_status", { server: IN_CLUSTER }).map((s) => s.value), [1], "connected");
    assert.ok(find(samples, "argocd_cluster_api_resource_objects", { server: IN_CLUSTER })[0]!.value > 0, "cached objects counted");
    assert.deepEqual(find(samples, "argocd_app_labels", app).map((s) => s.labels), [{ ...app, label_team: "payments", label_app_kubernetes_io_part_of: "" }], "the labels argocd-cm names");
    assert.ok(find(samples, "argocd_app_k8s_request_total", { ...app, server: IN_CLUSTER, verb: "patch", resource_kind: "Deployment", resource_namespace: dest, dry_run: "false", response_code: "200" }).length === 1, "the sync's apply of the Deployment counted for the app");
    assert.deepEqual(find(samples, "argocd_appset_info", { namespace: ns, name: "envs" }).map((s) => s.labels.resource_update_status), ["ApplicationSetUpToDate"], "argocd_appset_info");
    assert.deepEqual(find(samples, "argocd_appset_owned_applications", { namespace: ns, name: "envs" }).map((s) => s.value), [1], "the set owns one Application");
    assert.ok(find(samples, "argocd_appset_reconcile_count", { namespace: ns, name: "envs" })[0]!.value >= 1, "appset reconciles timed");
    assert.deepEqual(find(samples, "argocd_appset_labels", { namespace: ns, name: "envs" }).map((s) => s.labels), [{ namespace: ns, name: "envs", label_team: "platform", label_tier: "" }], "the set labels --metrics-applicationset-labels names");
    assert.deepEqual(find(samples, "argocd_cluster_labels", { server: IN_CLUSTER }).map((s) => s.labels), [{ server: IN_CLUSTER, name: "in-cluster", label_env: "" }], "argocd_cluster_labels of the in-cluster destination (no Secret, so no labels)");
  }, { timeoutMs: 60_000 });

  // The dashboard's queries: every metric they name has series, carrying every label they use.
  const names = scrapeNames(text);
  const queries = fixtureQueries(await readFile(dashboard, "utf8"));
  assert.ok(queries.length >= 30, `the fixture holds the dashboard's queries (${queries.length})`);
  const problems: string[] = [];
  for (const q of queries) {
    const { metrics, labels } = queryNames(q);
    if (metrics.length === 0) problems.push(`no metric found in: ${q}`);
    for (const m of metrics) {
      const seen = names.get(m);
      if (!seen) {
        problems.push(`${m} has no series (query: ${q})`);
        continue;
      }
      for (const l of labels) if (!seen.has(l)) problems.push(`${m} has no label ${l} (query: ${q})`);
    }
  }
  assert.deepEqual(problems, [], "every dashboard query finds its metrics and labels");
  // And the label values its selectors name (Argo's workqueue names, request types...), but for
  // values only a failure produces (a sync's Error or Failed phase): none failed here.
  const samplesNow = scrapeSamples(text);
  const valueProblems: string[] = [];
  for (const q of queries) {
    for (const { metric, label, values } of queryValueMatchers(q)) {
      if (label === "phase") continue;
      for (const v of values) if (!samplesNow.some((s) => s.name === metric && s.labels[label] === v)) valueProblems.push(`${metric}{${label}="${v}"} has no series (query: ${q})`);
    }
  }
  assert.deepEqual(valueProblems, [], "every label value the dashboard selects on has series");

  // Every metric docs/metrics.md lists for this endpoint: declared with its documented type, each
  // series with exactly the documented label names, and series present (but for NO_SERIES_HERE).
  const documented = documentedMetrics(await readFile(metricsDoc, "utf8"), "## API server");
  assert.ok(documented.length >= 30, `the doc's tables were read (${documented.length} metrics)`);
  const [types, samples] = [scrapeTypes(text), scrapeSamples(text)];
  const docProblems = documented.flatMap((m) => documentedMetricProblems(m, types, samples));
  for (const m of documented) {
    const series = samples.filter((s) => s.name === m.name || (m.type === "histogram" && s.name === `${m.name}_count`));
    if (series.length === 0 && !NO_SERIES_HERE.has(m.name)) docProblems.push(`${m.name}: documented, but no series`);
  }
  assert.deepEqual(docProblems, [], "the scrape matches docs/metrics.md");
});
