// ArgoMetrics through a real prom-client registry and its text exposition: scrape-time gauges show
// exactly what their sources give at that scrape (dynamic label names included) and nothing after
// unregistering; Argo's histogram buckets; the git and Kubernetes-client observers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { ArgoMetrics } from "./argo-metrics.js";
import type { RequestObserver } from "../kube/client.js";

const lines = (text: string, prefix: string): string[] => text.split("\n").filter((l) => l.startsWith(prefix));

test("a scrape-time gauge is built from its sources at each scrape, with whatever label names they give", async () => {
  const registry = new Registry();
  const argo = new ArgoMetrics(registry);
  let team = "payments";
  const unregister = argo.appLabels.addSource(() => [{ labels: { namespace: "argocd", name: "a", project: "p", label_team: team }, value: 1 }]);
  argo.appLabels.addSource(() => undefined);
  let text = await registry.metrics();
  assert.ok(text.includes("# TYPE argocd_app_labels gauge"), "typed as a gauge");
  assert.deepEqual(lines(text, "argocd_app_labels{"), ['argocd_app_labels{namespace="argocd",name="a",project="p",label_team="payments"} 1']);
  team = "search";
  text = await registry.metrics();
  assert.deepEqual(lines(text, "argocd_app_labels{"), ['argocd_app_labels{namespace="argocd",name="a",project="p",label_team="search"} 1'], "nothing kept from the previous scrape");
  unregister();
  assert.deepEqual(lines(await registry.metrics(), "argocd_app_labels{"), [], "an unregistered source is gone");
});

test("argocd_app_reconcile uses Argo's buckets 0.25 … 16 s with labels namespace and dest_server", async () => {
  const registry = new Registry();
  const argo = new ArgoMetrics(registry);
  argo.appReconcile.observe({ namespace: "argocd", dest_server: "https://kubernetes.default.svc" }, 0.3);
  const buckets = lines(await registry.metrics(), "argocd_app_reconcile_bucket").map((l) => /le="([^"]+)"/.exec(l)?.[1]);
  assert.deepEqual(buckets, ["0.25", "0.5", "1", "2", "4", "8", "16", "+Inf"]);
  assert.ok((await registry.metrics()).includes('argocd_app_reconcile_bucket{le="0.5",namespace="argocd",dest_server="https://kubernetes.default.svc"} 1'), "0.3 s falls in the 0.5 bucket");
});

test("git operations: ls-remote and fetch counted by repo and type, failures by revision; other operations ignored", async () => {
  const registry = new Registry();
  const argo = new ArgoMetrics(registry);
  argo.observeGitOperation({ op: "ls-remote", repoURL: "https://git.example/r", durationMs: 120, ok: true, revision: "main" });
  argo.observeGitOperation({ op: "fetch", repoURL: "https://git.example/r", durationMs: 80, ok: false, revision: "abc" });
  argo.observeGitOperation({ op: "ls-remote", repoURL: "https://git.example/r", durationMs: 5, ok: false, revision: "v1" });
  argo.observeGitOperation({ op: "checkout", repoURL: "https://git.example/r", durationMs: 5, ok: true });
  const text = await registry.metrics();
  assert.deepEqual(lines(text, "argocd_git_request_total{"), [
    'argocd_git_request_total{repo="https://git.example/r",request_type="ls-remote"} 2',
    'argocd_git_request_total{repo="https://git.example/r",request_type="fetch"} 1',
  ]);
  assert.deepEqual(lines(text, "argocd_git_fetch_fail_total{"), ['argocd_git_fetch_fail_total{repo="https://git.example/r",revision="abc"} 1']);
  assert.deepEqual(lines(text, "argocd_git_lsremote_fail_total{"), ['argocd_git_lsremote_fail_total{repo="https://git.example/r",revision="v1"} 1']);
  assert.ok(text.includes('argocd_git_request_duration_seconds_bucket{le="0.25",repo="https://git.example/r",request_type="ls-remote"} 2'), "both ls-remotes under 0.25 s");
});

test("a Kubernetes client's requests: argocd_kubectl_requests_total by host, method and code, and their latency", async () => {
  const registry = new Registry();
  const argo = new ArgoMetrics(registry);
  const observers: RequestObserver[] = [];
  const client = { server: "https://10.0.0.1:6443/", onRequest: (o: RequestObserver) => { observers.push(o); return () => undefined; } };
  argo.observeKubeClient(client);
  for (const o of observers) { o("GET", "/api/v1/pods", 200, 12); o("GET", "/api/v1/pods", 200, 8); o("PATCH", "/apis/apps/v1/x", 409, 30); }
  const text = await registry.metrics();
  assert.deepEqual(lines(text, "argocd_kubectl_requests_total{"), [
    'argocd_kubectl_requests_total{host="10.0.0.1:6443",method="GET",code="200"} 2',
    'argocd_kubectl_requests_total{host="10.0.0.1:6443",method="PATCH",code="409"} 1',
  ]);
  assert.ok(text.includes('argocd_kubectl_request_duration_seconds_count{host="10.0.0.1:6443",verb="GET"} 2'), "latency per verb");
});

test("orphan counts are kept per app key until the app is forgotten", () => {
  const argo = new ArgoMetrics(new Registry());
  argo.setOrphans("argocd/a", 3);
  assert.equal(argo.orphansOf("argocd/a"), 3);
  argo.forgetApp("argocd/a");
  assert.equal(argo.orphansOf("argocd/a"), undefined);
});

test("resetExpiringSeries (controller.metrics.cache.expiration) clears the per-app counters and the reconcile histogram, not the gauges", async () => {
  const registry = new Registry();
  const argo = new ArgoMetrics(registry);
  argo.appSyncTotal.inc({ namespace: "argocd", name: "gone", project: "p", dest_server: "https://x", phase: "Succeeded", dry_run: "false" });
  argo.appReconcile.observe({ namespace: "argocd", dest_server: "https://x" }, 0.3);
  argo.clusterEvents.inc({ server: "https://x", group: "", kind: "ConfigMap" });
  argo.appInfo.addSource(() => [{ labels: { namespace: "argocd", name: "live" }, value: 1 }]);
  let text = await registry.metrics();
  assert.equal(lines(text, "argocd_app_sync_total{").length, 1, "a sync counted before the reset");
  argo.resetExpiringSeries();
  text = await registry.metrics();
  assert.deepEqual(lines(text, "argocd_app_sync_total{"), [], "the gone app's sync counter is no longer exported");
  assert.deepEqual(lines(text, "argocd_cluster_events_total{"), [], "cluster events reset");
  assert.deepEqual(lines(text, "argocd_app_reconcile_count{"), [], "reconcile histogram reset");
  assert.deepEqual(lines(text, "argocd_app_info{"), ['argocd_app_info{namespace="argocd",name="live"} 1'], "scrape-time gauges unaffected");
});
