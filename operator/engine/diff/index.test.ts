import { test } from "node:test";
import assert from "node:assert/strict";
// eslint-disable-next-line no-restricted-imports -- tests read their YAML fixtures; the code under test does not
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { seedsDir } from "../../../test/crds/seeds.js";
import { parseArgoSettings } from "../settings.js";
import { diff, diffServerSide, maskSecrets, quantityNanos, unifiedDiff, type IgnoreDifferencesEntry, type JsonObject } from "./index.js";

interface Case {
  desired: JsonObject | null;
  live: JsonObject | null;
}
const load = (name: string): Case => parse(readFileSync(fileURLToPath(new URL(`./testdata/${name}`, import.meta.url)), "utf8"), { version: "1.1" }) as Case;

test("live-only defaults, status and server metadata are not differences", async () => {
  const c = load("deployment-defaults.yaml");
  const r = await diff(c.desired, c.live);
  assert.equal(r.modified, false);
  assert.equal(r.mode, "two-way");
  assert.equal(r.normalizedLive?.status, undefined);
  assert.equal((r.normalizedLive?.metadata as JsonObject).managedFields, undefined);
});

test("a changed image is a difference, and the predicted object carries it", async () => {
  const c = load("image-changed.yaml");
  const r = await diff(c.desired, c.live);
  assert.equal(r.modified, true);
  const containers = ((r.predictedLive?.spec as JsonObject).template as JsonObject).spec as JsonObject;
  assert.deepEqual(containers.containers, [{ name: "web", image: "nginx:1.28", imagePullPolicy: "IfNotPresent" }]);
});

test("seed 004: ignoreDifferences on Deployment /spec/replicas and Service .spec.clusterIP", { skip: !seedsDir() }, async () => {
  const app = parse(readFileSync(join(seedsDir()!, "004", "app-ignore-differences.yaml"), "utf8")) as { spec: { ignoreDifferences: IgnoreDifferencesEntry[] } };
  const deploy = load("deployment-hpa-replicas.yaml");
  const svc = load("service-clusterip.yaml");
  assert.equal((await diff(deploy.desired, deploy.live)).modified, true);
  assert.equal((await diff(svc.desired, svc.live)).modified, true);
  const opts = { ignoreDifferences: app.spec.ignoreDifferences };
  assert.equal((await diff(deploy.desired, deploy.live, opts)).modified, false);
  const svcResult = await diff(svc.desired, svc.live, opts);
  assert.equal(svcResult.modified, false);
  assert.deepEqual(svcResult.warnings, []);
  assert.equal((svcResult.normalizedLive?.spec as JsonObject).clusterIP, undefined);
  // The rules are scoped by group/kind: the Service rule does not hide a Deployment change.
  const image = load("image-changed.yaml");
  assert.equal((await diff(image.desired, image.live, opts)).modified, true);
});

test("managedFieldsManagers: fields owned by the named manager are ignored", async () => {
  const c = load("deployment-hpa-replicas.yaml");
  const r = await diff(c.desired, c.live, { ignoreDifferences: [{ group: "apps", kind: "Deployment", managedFieldsManagers: ["kube-controller-manager"] }] });
  assert.equal(r.modified, false);
  assert.equal((r.normalizedLive?.spec as JsonObject).replicas, undefined);
});

test("argocd-cm ignoreDifferences.all and per-kind keys apply", async () => {
  const c = load("deployment-hpa-replicas.yaml");
  const all = parseArgoSettings({ "resource.customizations.ignoreDifferences.all": "jsonPointers: [/spec/replicas]\n" });
  assert.equal((await diff(c.desired, c.live, { settings: all })).modified, false);
  const svc = load("service-clusterip.yaml");
  const perKind = parseArgoSettings({ "resource.customizations.ignoreDifferences.Service": "jqPathExpressions: ['.spec.clusterIP']\n" });
  assert.equal((await diff(svc.desired, svc.live, { settings: perKind })).modified, false);
  assert.equal((await diff(c.desired, c.live, { settings: perKind })).modified, true);
});

test("a field we applied before and removed from git is a difference (three-way)", async () => {
  const c = load("removed-field-three-way.yaml");
  const r = await diff(c.desired, c.live);
  assert.equal(r.mode, "three-way");
  assert.equal(r.modified, true);
  assert.deepEqual((r.predictedLive?.metadata as JsonObject).labels, { app: "web", "added-by": "someone-else" });
});

test("injected sidecars and env vars are kept by keyed-list merging", async () => {
  const c = load("sidecar-injected.yaml");
  assert.equal((await diff(c.desired, c.live)).modified, false);
  const changed = structuredClone(c.desired!);
  (((changed.spec as JsonObject).containers as JsonObject[])[0]!.env as JsonObject[])[0]!.value = "slow";
  assert.equal((await diff(changed, c.live)).modified, true);
});

test("Secret stringData compares as data; output masks values", async () => {
  const c = load("secret-stringdata.yaml");
  const r = await diff(c.desired, c.live);
  assert.equal(r.modified, false);
  const changed = structuredClone(c.desired!);
  (changed.stringData as JsonObject).password = "other";
  const r2 = await diff(changed, c.live);
  assert.equal(r2.modified, true);
  const [live, predicted] = maskSecrets(r2.normalizedLive, r2.predictedLive);
  assert.deepEqual(live?.data, { user: "++++++++", password: "++++++++" });
  assert.deepEqual(predicted?.data, { user: "++++++++", password: "+++++++++" });
});

test("ignoreResourceStatusField: all and crd ignore a CRD's status; none compares it", async () => {
  const c = load("crd-status.yaml");
  for (const [field, modified] of [["all", false], ["crd", false], ["none", true]] as const) {
    const settings = parseArgoSettings({ "resource.compareoptions": `ignoreResourceStatusField: ${field}\n` });
    assert.equal((await diff(c.desired, c.live, { settings })).modified, modified, field);
  }
});

test("server-side mode compares live with the dry-run result", async () => {
  const c = load("deployment-hpa-replicas.yaml");
  const runner = {
    calls: 0,
    async dryRunApply(desired: JsonObject): Promise<JsonObject> {
      this.calls++;
      const out = structuredClone(c.live!);
      (out.spec as JsonObject).replicas = (desired.spec as JsonObject).replicas!;
      return out;
    },
  };
  const r = await diffServerSide(c.desired, c.live, runner);
  assert.equal(runner.calls, 1);
  assert.equal(r.mode, "server-side");
  assert.equal(r.modified, true);
  const same = await diffServerSide(c.desired, c.live, { dryRunApply: async () => structuredClone(c.live!) });
  assert.equal(same.modified, false);
});

test("creates, prunes and IgnoreExtraneous", async () => {
  const c = load("image-changed.yaml");
  assert.deepEqual([(await diff(c.desired, null)).mode, (await diff(c.desired, null)).modified], ["create", true]);
  const extraneous = structuredClone(c.live!);
  (extraneous.metadata as JsonObject).annotations = { "argocd.argoproj.io/compare-options": "IgnoreExtraneous" };
  const r = await diff(null, extraneous);
  assert.equal(r.mode, "prune");
  assert.equal(r.ignoreExtraneous, true);
  assert.equal((await diff(null, null)).modified, false);
});

test("a broken jq expression is a warning, not a failure", async () => {
  const c = load("service-clusterip.yaml");
  const r = await diff(c.desired, c.live, { ignoreDifferences: [{ kind: "Service", jqPathExpressions: [".spec.[[[broken"] }] });
  assert.equal(r.modified, true);
  assert.equal(r.warnings.length, 1);
});

test("quantities compare by value", () => {
  assert.equal(quantityNanos("1000m"), quantityNanos("1"));
  assert.equal(quantityNanos("0.5"), quantityNanos("500m"));
  assert.equal(quantityNanos("1Gi"), quantityNanos("1073741824"));
  assert.equal(quantityNanos("1e3"), quantityNanos("1k"));
  assert.notEqual(quantityNanos("1G"), quantityNanos("1Gi"));
  assert.equal(quantityNanos("abc"), undefined);
});

test("unifiedDiff shows changed lines with context", () => {
  const a = "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\ni: 9\n";
  const b = "a: 1\nb: 2\nc: 3\nd: 4\ne: 50\nf: 6\ng: 7\nh: 8\ni: 9\n";
  assert.equal(unifiedDiff(a, b, "live", "target"), "--- live\n+++ target\n@@ -2,7 +2,7 @@\n b: 2\n c: 3\n d: 4\n-e: 5\n+e: 50\n f: 6\n g: 7\n h: 8\n");
  assert.equal(unifiedDiff(a, a, "x", "y"), "");
  assert.equal(unifiedDiff("", "x: 1\n", "x", "y"), "--- x\n+++ y\n@@ -0,0 +1,1 @@\n+x: 1\n");
});

test("seed 003 argocd-cm: status is ignored for every kind", { skip: !seedsDir() }, async () => {
  const cm = parse(readFileSync(join(seedsDir()!, "003", "argocd-cm.yaml"), "utf8")) as { data: Record<string, string> };
  const settings = parseArgoSettings(cm.data);
  const desired = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { size: 1 }, status: { phase: "Ready" } };
  const live = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { size: 1 }, status: { phase: "Pending" } };
  assert.equal((await diff(desired, live, { settings })).modified, false);
  const none = parseArgoSettings({ ...cm.data, "resource.compareoptions": "ignoreResourceStatusField: none\n" });
  assert.equal((await diff(desired, live, { settings: none })).modified, true);
});

test("null fields count as absent (creationTimestamp: null in rendered templates)", async () => {
  const desired = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "w", creationTimestamp: null }, spec: { template: { metadata: { creationTimestamp: null, labels: { a: "b" } } } } };
  const live = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "w", uid: "u" }, spec: { template: { metadata: { labels: { a: "b" } } } } };
  assert.equal((await diff(desired, live)).modified, false);
  assert.equal((await diff(live, desired)).modified, false);
});

test("empty lists and maps in git equal absent fields in live", async () => {
  const desired = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", annotations: {} }, spec: { containers: [{ name: "a", image: "a", env: [], securityContext: {} }] } };
  const live = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "a", image: "a", imagePullPolicy: "Always" }] } };
  assert.equal((await diff(desired, live)).modified, false);
  const withEnv = { ...desired, spec: { containers: [{ name: "a", image: "a", env: [{ name: "X", value: "1" }] }] } };
  assert.equal((await diff(withEnv, live)).modified, true);
});

test("zero values the apiserver omits for built-in kinds are not differences; custom resources keep them", async () => {
  const c = load("omitempty-zero-values.yaml");
  assert.equal((await diff(c.desired, c.live)).modified, false);
  // A real value where live has none is still a difference.
  const set = structuredClone(c.desired!);
  (((set.spec as JsonObject).template as JsonObject).spec as { containers: Array<{ env: Array<{ value: string }> }> }).containers[0]!.env[0]!.value = "x";
  assert.equal((await diff(set, c.live)).modified, true);
  // Custom resources are stored as sent, so a missing "" in live is a real difference.
  const cr = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { suffix: "", enabled: false } };
  assert.equal((await diff(cr, { ...cr, spec: {} })).modified, true);
});

test("without last-applied, the fields our field manager owns stand for what was applied (three-way)", async () => {
  const desired = {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "ns" },
    spec: { replicas: 1, template: { spec: { containers: [{ name: "web", image: "web:1" }] } } },
  } as JsonObject;
  const live = {
    apiVersion: "apps/v1", kind: "Deployment",
    metadata: {
      name: "web", namespace: "ns",
      managedFields: [
        { manager: "hawser", operation: "Apply", fieldsV1: { "f:spec": { "f:paused": {}, "f:replicas": {}, "f:template": { "f:spec": { "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {}, "f:env": {} } } } } } } },
        { manager: "kube-controller-manager", operation: "Update", subresource: "status", fieldsV1: { "f:status": {} } },
        { manager: "kubectl-edit", operation: "Update", fieldsV1: { "f:spec": { "f:minReadySeconds": {} } } },
      ],
    },
    spec: {
      paused: true, replicas: 1, minReadySeconds: 5, progressDeadlineSeconds: 600,
      template: { spec: { containers: [{ name: "web", image: "web:1", env: [{ name: "A", value: "1" }], imagePullPolicy: "IfNotPresent" }] } },
    },
  } as JsonObject;
  const without = await diff(desired, live);
  assert.equal(without.modified, false, "two-way: fields only in live are ignored");
  const withManager = await diff(desired, live, { fieldManager: "hawser" });
  assert.equal(withManager.mode, "three-way", "three-way from managedFields");
  assert.equal(withManager.modified, true, "paused and env, applied by us and gone from git, are drift");
  const pred = withManager.predictedLive as { spec: { paused?: boolean; minReadySeconds?: number; template: { spec: { containers: Array<{ env?: unknown }> } } } };
  assert.equal(pred.spec.paused, undefined, "paused would be removed");
  assert.equal(pred.spec.template.spec.containers[0]!.env, undefined, "env would be removed");
  assert.equal(pred.spec.minReadySeconds, 5, "another manager's field stays");
  // Once git and our fields agree there is no difference, defaults and other managers aside.
  const settled = structuredClone(live) as { spec: Record<string, unknown>; metadata: { managedFields: Array<{ fieldsV1: Record<string, unknown> }> } };
  delete settled.spec.paused;
  (settled.spec.template as { spec: { containers: Array<Record<string, unknown>> } }).spec.containers[0]!.env = undefined;
  settled.metadata.managedFields[0]!.fieldsV1 = { "f:spec": { "f:replicas": {}, "f:template": { "f:spec": { "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {} } } } } } };
  assert.equal((await diff(desired, JSON.parse(JSON.stringify(settled)) as JsonObject, { fieldManager: "hawser" })).modified, false, "in agreement: no diff");
});
