import { test } from "node:test";
import assert from "node:assert/strict";
// eslint-disable-next-line no-restricted-imports -- tests read the seed fixtures; the code under test does not
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { seedsDir } from "../../test/crds/seeds.js";
import { defaultSettings, isExcluded, parseArgoSettings, settingsIgnoreDifferences } from "./settings.js";

test("seed 003 argocd-cm parses: status ignored for all, Tekton runs excluded, Ingress health script", { skip: !seedsDir() }, () => {
  const cm = parse(readFileSync(join(seedsDir()!, "003", "argocd-cm.yaml"), "utf8")) as { data: Record<string, string> };
  const s = parseArgoSettings(cm.data);
  assert.deepEqual(s.errors, []);
  assert.equal(s.compareOptions.ignoreResourceStatusField, "all");
  assert.match(s.resourceOverrides.get("networking.k8s.io/Ingress")?.healthLua ?? "", /hs.status = "Healthy"/);
  assert.equal(isExcluded("tekton.dev", "PipelineRun", "https://kubernetes.default.svc", s), true);
  assert.equal(isExcluded("tekton.dev", "taskrun", "https://kubernetes.default.svc", s), true, "kinds compare case-insensitively");
  assert.equal(isExcluded("tekton.dev", "Pipeline", "https://kubernetes.default.svc", s), false);
  assert.equal(isExcluded("apps", "Deployment", "https://kubernetes.default.svc", s), false);
});

test("core exclusions always apply", () => {
  const s = parseArgoSettings({});
  for (const [g, k] of [["", "Event"], ["events.k8s.io", "Event"], ["metrics.k8s.io", "PodMetrics"], ["coordination.k8s.io", "Lease"]] as const) {
    assert.equal(isExcluded(g, k, "https://c", s), true, `${g}/${k}`);
  }
  assert.equal(isExcluded("", "ConfigMap", "https://c", s), false);
});

test("inclusions: when any exist, everything else is excluded; exclusions win; cluster globs", () => {
  const s = parseArgoSettings({
    "resource.inclusions": "- apiGroups: ['*.example.com', apps]\n  kinds: ['*']\n  clusters: ['https://prod-*']\n",
    "resource.exclusions": "- apiGroups: [apps]\n  kinds: [ReplicaSet]\n",
  });
  assert.equal(isExcluded("apps", "Deployment", "https://prod-1", s), false);
  assert.equal(isExcluded("db.example.com", "Database", "https://prod-eu", s), false);
  assert.equal(isExcluded("apps", "Deployment", "https://staging", s), true);
  assert.equal(isExcluded("apps", "ReplicaSet", "https://prod-1", s), true);
  assert.equal(isExcluded("", "ConfigMap", "https://prod-1", s), true);
});

test("split keys override the legacy blob; 'all' and core keys; ignoreDifferences YAML", () => {
  const s = parseArgoSettings({
    "resource.customizations": "apps/Deployment:\n  health.lua: return {status='Degraded'}\n  ignoreDifferences: |\n    jsonPointers: [/spec/replicas]\n",
    "resource.customizations.health.apps_Deployment": "return {status='Healthy'}",
    "resource.customizations.ignoreDifferences.all": "managedFieldsManagers: [kube-controller-manager]\n",
    "resource.customizations.ignoreDifferences.Service": "jqPathExpressions: ['.spec.clusterIP']\n",
  });
  assert.deepEqual(s.errors, []);
  assert.equal(s.resourceOverrides.get("apps/Deployment")?.healthLua, "return {status='Healthy'}");
  const rules = settingsIgnoreDifferences(s).sort((a, b) => (a.kind < b.kind ? -1 : 1));
  assert.deepEqual(rules, [
    { group: "*", kind: "*", jsonPointers: [], jqPathExpressions: [], managedFieldsManagers: ["kube-controller-manager"] },
    { group: "apps", kind: "Deployment", jsonPointers: ["/spec/replicas"], jqPathExpressions: [], managedFieldsManagers: [] },
    { group: "", kind: "Service", jsonPointers: [], jqPathExpressions: [".spec.clusterIP"], managedFieldsManagers: [] },
  ]);
});

test("bad values are reported, not thrown", () => {
  const s = parseArgoSettings({
    "resource.compareoptions": "ignoreResourceStatusField: sometimes\n",
    "resource.exclusions": "apiGroups: [x]\n",
    "resource.customizations.health.a_b_c": "return {}",
  });
  assert.equal(s.errors.length, 3);
  assert.equal(s.compareOptions.ignoreResourceStatusField, "all");
  assert.equal(parseArgoSettings({ "resource.compareoptions": "ignoreResourceStatusField: off\n" }).compareOptions.ignoreResourceStatusField, "none");
});

test("timeout.reconciliation and its jitter: Go durations, 0 turns polling off, bad values are errors", () => {
  assert.equal(defaultSettings().reconciliationTimeoutMs, undefined);
  const s = parseArgoSettings({ "timeout.reconciliation": "180s", "timeout.reconciliation.jitter": "1m" });
  assert.equal(s.reconciliationTimeoutMs, 180_000);
  assert.equal(s.reconciliationJitterMs, 60_000);
  assert.deepEqual(s.errors, []);
  assert.equal(parseArgoSettings({ "timeout.reconciliation": "0" }).reconciliationTimeoutMs, 0);
  const bad = parseArgoSettings({ "timeout.reconciliation": "soon", "timeout.reconciliation.jitter": "-5s" });
  assert.equal(bad.reconciliationTimeoutMs, undefined);
  assert.equal(bad.reconciliationJitterMs, undefined);
  assert.equal(bad.errors.length, 2);
});

test("cluster.inClusterEnabled: on unless \"false\"; another value disables it and is an error naming the key", () => {
  assert.equal(defaultSettings().inClusterEnabled, true, "default");
  assert.equal(parseArgoSettings({ "cluster.inClusterEnabled": "true" }).inClusterEnabled, true, "true");
  const off = parseArgoSettings({ "cluster.inClusterEnabled": "false" });
  assert.equal(off.inClusterEnabled, false, "false");
  assert.deepEqual(off.errors, [], "false is valid");
  const bad = parseArgoSettings({ "cluster.inClusterEnabled": "no" });
  assert.equal(bad.inClusterEnabled, false, "fails closed");
  assert.equal(bad.inClusterError, 'cluster.inClusterEnabled must be "true" or "false", got "no"');
  assert.deepEqual(bad.errors, [bad.inClusterError], "reported with the other settings errors");
});

test("timeout.hard.reconciliation: a Go duration, 0 is off, a bad value is an error naming the key", () => {
  assert.equal(defaultSettings().hardReconciliationTimeoutMs, undefined, "unset");
  assert.equal(parseArgoSettings({ "timeout.hard.reconciliation": "1h30m" }).hardReconciliationTimeoutMs, 5_400_000);
  assert.equal(parseArgoSettings({ "timeout.hard.reconciliation": "0" }).hardReconciliationTimeoutMs, 0);
  const bad = parseArgoSettings({ "timeout.hard.reconciliation": "daily" });
  assert.equal(bad.hardReconciliationTimeoutMs, undefined, "not applied");
  assert.equal(bad.errors.length, 1, "one error");
  assert.match(bad.errors[0]!, /^timeout\.hard\.reconciliation: /);
});

test("application.sync.impersonation.enabled: off by default, Go's boolean spellings, and an unknown value fails closed with an error naming the key", () => {
  const on = (v?: string): { enabled: boolean; errors: string[] } => {
    const s = parseArgoSettings(v === undefined ? {} : { "application.sync.impersonation.enabled": v });
    return { enabled: s.syncImpersonationEnabled, errors: s.errors };
  };
  assert.deepEqual(on(), { enabled: false, errors: [] });
  assert.deepEqual(on(""), { enabled: false, errors: [] });
  assert.deepEqual(on("true"), { enabled: true, errors: [] });
  assert.deepEqual(on(" True "), { enabled: true, errors: [] });
  assert.deepEqual(on("false"), { enabled: false, errors: [] });
  assert.deepEqual(on("0"), { enabled: false, errors: [] });
  const bad = on("yes");
  assert.equal(bad.enabled, true, "an unreadable value keeps impersonation on");
  assert.match(bad.errors.join("\n"), /application\.sync\.impersonation\.enabled: "yes" is not true or false/);
});
