import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultSettings, parseArgoSettings } from "../engine/settings.js";
import type { KubeObject } from "../kube/client.js";
import { trackingId } from "../engine/tracking.js";
import { compareAppState, type CompareInput } from "./compare.js";

const deployment = (name: string): KubeObject => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: "nginx:1.27" }] } } },
});
const configMap = (name: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { a: "1" } });

/** What the apiserver would return: namespace set, server fields, a ready status for Deployments. */
function live(obj: KubeObject, trackedByApp?: string): KubeObject {
  const out = structuredClone(obj);
  out.metadata.namespace = "dest";
  out.metadata.uid = `uid-${obj.metadata.name}`;
  out.metadata.resourceVersion = "1";
  if (trackedByApp) out.metadata.annotations = { ...(out.metadata.annotations ?? {}), "argocd.argoproj.io/tracking-id": trackingId(trackedByApp, out) };
  if (obj.kind === "Deployment") {
    out.metadata.generation = 1;
    out.status = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };
  }
  return out;
}

function input(target: KubeObject[], liveObjs: KubeObject[], extra: Partial<CompareInput> = {}): CompareInput {
  return {
    appName: "web", trackingKey: "web", trackingMethod: "annotation", destinationNamespace: "dest",
    clusterServer: "https://kubernetes.default.svc", target, live: liveObjs,
    isNamespaced: () => true, settings: defaultSettings(), ...extra,
  };
}

test("objects applied by hand with the app's tracking compare Synced and Healthy", async () => {
  const r = await compareAppState(input([configMap("cfg"), deployment("web")], [live(configMap("cfg"), "web"), live(deployment("web"), "web")]));
  assert.equal(r.syncStatus, "Synced");
  assert.equal(r.health.status, "Healthy");
  assert.deepEqual(r.statuses.map((s) => `${s.kind}/${s.name}:${s.status}:${s.health?.status ?? "-"}`), ["ConfigMap/cfg:Synced:-", "Deployment/web:Synced:Healthy"]);
  assert.deepEqual(r.shared, []);
});

test("nothing live: OutOfSync and Missing", async () => {
  const r = await compareAppState(input([deployment("web")], []));
  assert.equal(r.syncStatus, "OutOfSync");
  assert.equal(r.health.status, "Missing");
});

test("an untracked object with the target's identity is compared (Argo): OutOfSync on the tracking, its real health", async () => {
  const untracked = live(deployment("web"));
  const lookups: string[] = [];
  const r = await compareAppState(input([deployment("web")], [], {
    lookupLive: (apiVersion, kind, namespace, name) => {
      lookups.push(`${apiVersion}/${kind}/${namespace ?? ""}/${name}`);
      return kind === "Deployment" && name === "web" && namespace === "dest" ? untracked : undefined;
    },
  }));
  assert.deepEqual(lookups, ["apps/v1/Deployment/dest/web"]);
  assert.equal(r.syncStatus, "OutOfSync");
  assert.equal(r.health.status, "Healthy", "the live object's health, not Missing");
  const s = r.statuses[0]!;
  assert.equal(s.status, "OutOfSync");
  assert.equal(s.requiresPruning, undefined);
  assert.equal(r.resources[0]!.live, untracked);
  assert.deepEqual(r.shared, [], "an untracked object is not shared");
});

test("a target object tracked by another app raises SharedResourceWarning", async () => {
  const other = live(configMap("cfg"), "other");
  const r = await compareAppState(input([configMap("cfg")], [], { lookupLive: () => other }));
  assert.deepEqual(r.shared, ["ConfigMap/cfg is part of applications web and other"]);
  assert.equal(r.syncStatus, "OutOfSync");
});

test("tracked extraneous objects require pruning; IgnoreExtraneous keeps the app Synced", async () => {
  const extra = live(configMap("old"), "web");
  let r = await compareAppState(input([], [extra]));
  assert.equal(r.syncStatus, "OutOfSync");
  assert.equal(r.statuses[0]!.requiresPruning, true);
  extra.metadata.annotations = { ...extra.metadata.annotations, "argocd.argoproj.io/compare-options": "IgnoreExtraneous" };
  r = await compareAppState(input([], [extra]));
  assert.equal(r.syncStatus, "Synced");
  assert.equal(r.statuses[0]!.requiresPruning, undefined);
});

test("hooks are Synced, marked, and do not count in the app's health", async () => {
  const hook: KubeObject = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "check", annotations: { "argocd.argoproj.io/hook": "PreSync" } }, spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } };
  const failed = live(hook, "web");
  failed.status = { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }] };
  const r = await compareAppState(input([hook, configMap("cfg")], [failed, live(configMap("cfg"), "web")], { lookupLive: () => undefined }));
  assert.equal(r.syncStatus, "Synced");
  assert.equal(r.health.status, "Healthy");
  const h = r.statuses.find((s) => s.kind === "Job")!;
  assert.equal(h.hook, true);
  assert.equal(h.status, "Synced");
});

test("excluded kinds (seed 003's Tekton exclusion) are reported and not managed", async () => {
  const settings = parseArgoSettings({ "resource.exclusions": "- apiGroups: [tekton.dev]\n  kinds: [PipelineRun, TaskRun]\n" });
  const run: KubeObject = { apiVersion: "tekton.dev/v1", kind: "PipelineRun", metadata: { name: "build" }, spec: {} };
  const r = await compareAppState(input([run, configMap("cfg")], [live(configMap("cfg"), "web")], { settings }));
  assert.deepEqual(r.excluded, ["tekton.dev/PipelineRun"]);
  assert.deepEqual(r.statuses.map((s) => s.kind), ["ConfigMap"]);
  assert.equal(r.syncStatus, "Synced");
});
