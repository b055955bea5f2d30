import { test } from "node:test";
import assert from "node:assert/strict";
// eslint-disable-next-line no-restricted-imports -- tests read their YAML fixtures; the code under test does not
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { evaluateResourceHealth, getResourceHealth, isWorse, type HealthStatus, type KubeObj } from "./index.js";

const testdata = fileURLToPath(new URL("./testdata/", import.meta.url));
const load = (file: string): KubeObj => parse(readFileSync(join(testdata, file), "utf8"), { version: "1.1" }) as KubeObj;

// file → expected health; null means "no health check applies". Every testdata file must be listed.
const cases: Record<string, HealthStatus | null> = {
  "deployment-healthy.yaml": { status: "Healthy" },
  "deployment-paused.yaml": { status: "Suspended", message: "Deployment is paused" },
  "deployment-generation.yaml": { status: "Progressing", message: "Waiting for rollout to finish: observed deployment generation less than desired generation" },
  "deployment-deadline.yaml": { status: "Degraded", message: 'Deployment "web" exceeded its progress deadline' },
  "deployment-updating.yaml": { status: "Progressing", message: "Waiting for rollout to finish: 1 out of 3 new replicas have been updated..." },
  "deployment-old-replicas.yaml": { status: "Progressing", message: "Waiting for rollout to finish: 1 old replicas are pending termination..." },
  "deployment-unavailable.yaml": { status: "Progressing", message: "Waiting for rollout to finish: 1 of 2 updated replicas are available..." },
  "deployment-deleting.yaml": { status: "Progressing", message: "Pending deletion" },
  "job-hook-deleting.yaml": { status: "Healthy", message: "done" },
  "statefulset-unobserved.yaml": { status: "Progressing", message: "Waiting for statefulset spec update to be observed..." },
  "statefulset-not-ready.yaml": { status: "Progressing", message: "Waiting for 2 pods to be ready..." },
  "statefulset-partition-progressing.yaml": { status: "Progressing", message: "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated..." },
  "statefulset-partition-done.yaml": { status: "Healthy", message: "partitioned roll out complete: 2 new pods have been updated..." },
  "statefulset-ondelete.yaml": { status: "Healthy", message: "statefulset has 2 ready pods" },
  "statefulset-rolling.yaml": { status: "Progressing", message: "waiting for statefulset rolling update to complete 1 pods at revision db-2..." },
  "statefulset-healthy.yaml": { status: "Healthy", message: "statefulset rolling update complete 2 pods at revision db-2..." },
  "daemonset-generation.yaml": { status: "Progressing", message: "Waiting for rollout to finish: observed daemon set generation less than desired generation" },
  "daemonset-ondelete.yaml": { status: "Healthy", message: "daemon set 1 out of 3 new pods have been updated" },
  "daemonset-updating.yaml": { status: "Progressing", message: 'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...' },
  "daemonset-unavailable.yaml": { status: "Progressing", message: 'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...' },
  "daemonset-healthy.yaml": { status: "Healthy" },
  "replicaset-healthy.yaml": { status: "Healthy" },
  "replicaset-failure.yaml": { status: "Degraded", message: 'pods "web-abc-" is forbidden: exceeded quota' },
  "replicaset-progressing.yaml": { status: "Progressing", message: "Waiting for rollout to finish: 1 out of 2 new replicas are available..." },
  "replicaset-generation.yaml": { status: "Progressing", message: "Waiting for rollout to finish: observed replica set generation less than desired generation" },
  "pod-pending.yaml": { status: "Progressing", message: "0/2 nodes are available" },
  "pod-succeeded.yaml": { status: "Healthy", message: "" },
  "pod-failed-message.yaml": { status: "Degraded", message: "Pod was evicted" },
  "pod-failed-exit-code.yaml": { status: "Degraded", message: 'container "main" failed with exit code 3' },
  "pod-failed-oom.yaml": { status: "Degraded", message: "OOMKilled" },
  "pod-running-ready.yaml": { status: "Healthy", message: "" },
  "pod-running-not-ready.yaml": { status: "Progressing", message: "" },
  "pod-crashloop.yaml": { status: "Degraded", message: "back-off 40s restarting failed container" },
  "pod-image-pull.yaml": { status: "Degraded", message: 'rpc error: image not found, secret "x" not found' },
  "pod-terminated-before.yaml": { status: "Degraded", message: "restarting" },
  "pod-never-running.yaml": { status: "Progressing", message: "" },
  "pod-never-image-pull.yaml": { status: "Progressing", message: "" },
  "pod-ignore-restart-policy.yaml": { status: "Healthy", message: "" },
  "pod-ignore-restart-policy-hook.yaml": { status: "Progressing", message: "" },
  "pod-unknown.yaml": { status: "Unknown", message: "node lost" },
  "job-running.yaml": { status: "Progressing", message: "" },
  "job-complete.yaml": { status: "Healthy", message: "" },
  "job-failed.yaml": { status: "Degraded", message: "Job has reached the specified backoff limit" },
  "job-suspended.yaml": { status: "Suspended", message: "" },
  "pvc-bound.yaml": { status: "Healthy" },
  "pvc-pending.yaml": { status: "Progressing" },
  "pvc-lost.yaml": { status: "Degraded" },
  "pvc-unknown.yaml": { status: "Unknown" },
  "service-clusterip.yaml": { status: "Healthy" },
  "service-lb-pending.yaml": { status: "Progressing" },
  "service-lb-ready.yaml": { status: "Healthy" },
  "ingress-pending.yaml": { status: "Progressing" },
  "ingress-ready.yaml": { status: "Healthy" },
  "ingress-extensions-ready.yaml": { status: "Healthy" },
  "hpa-v2-healthy.yaml": { status: "Healthy", message: "recommended size matches current size" },
  "hpa-v2-degraded.yaml": { status: "Degraded", message: 'deployments/scale.apps "web" not found' },
  "hpa-v2-metric-failed.yaml": { status: "Degraded", message: "unable to get metrics for resource cpu" },
  "hpa-v2-waiting.yaml": { status: "Progressing", message: "Waiting to Autoscale" },
  "hpa-v1-annotation.yaml": { status: "Healthy", message: "the HPA controller was able to update the target scale to 4" },
  "hpa-v1-no-annotation.yaml": { status: "Progressing", message: "Waiting to Autoscale" },
  // v1 keeps AbleToScale (True) ahead of ScalingActive: the failure must still win.
  "hpa-v1-metric-failed.yaml": { status: "Degraded", message: "the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container web of Pod web-7d4b9c-x2x9k" },
  "hpa-v1-invalid-selector.yaml": { status: "Degraded", message: "the HPA target's scale is missing a selector" },
  "hpa-v1-limited.yaml": { status: "Healthy", message: "recommended size matches current size" },
  "hpa-v2-external-metric-failed.yaml": { status: "Degraded", message: "the HPA was unable to compute the replica count: unable to get external metric shop/queue_depth/nil: no metrics returned from external metrics API" },
  "apiservice-available.yaml": { status: "Healthy", message: "Passed: all checks passed" },
  "apiservice-unavailable.yaml": { status: "Progressing", message: 'MissingEndpoints: endpoints for service/metrics-server in "kube-system" have no addresses' },
  "apiservice-unprocessed.yaml": { status: "Progressing", message: "Waiting to be processed" },
  "workflow-running.yaml": { status: "Progressing", message: "wf running" },
  "workflow-succeeded.yaml": { status: "Healthy", message: "wf succeeded" },
  "workflow-failed.yaml": { status: "Degraded", message: "wf failed" },
  "application-healthy.yaml": { status: "Healthy", message: "" },
  "application-degraded.yaml": { status: "Degraded", message: "Deployment web is Degraded" },
  "application-new.yaml": { status: "Progressing", message: "" },
  "application-progressing.yaml": { status: "Progressing", message: "Deployment web is Progressing" },
  "application-suspended.yaml": { status: "Suspended", message: "" },
  "application-missing.yaml": { status: "Missing", message: "None of the 2 target resources exist" },
  "service-lb-hostname.yaml": { status: "Healthy" },
  "ingress-ip.yaml": { status: "Healthy" },
  "job-deadline.yaml": { status: "Degraded", message: "Job was active longer than specified deadline" },
  "deployment-scaled-zero.yaml": { status: "Healthy" },
  "statefulset-scaled-zero.yaml": { status: "Healthy", message: "statefulset rolling update complete 0 pods at revision db-1..." },
  "pvc-no-status.yaml": { status: "Unknown" },
  "configmap.yaml": null,
};

test("every testdata file has an expectation", () => {
  const files = readdirSync(testdata).filter((f) => f.endsWith(".yaml")).sort();
  const special = new Set(["hpa-v1-bad-annotation.yaml"]);
  assert.deepEqual(files.filter((f) => !special.has(f)), Object.keys(cases).sort());
});

for (const [file, expected] of Object.entries(cases)) {
  test(`health of ${file}`, () => {
    assert.deepEqual(getResourceHealth(load(file)) ?? null, expected);
  });
}

test("a failing check reports Unknown with the error", () => {
  const res = evaluateResourceHealth(load("hpa-v1-bad-annotation.yaml"));
  assert.equal(res.health?.status, "Unknown");
  assert.match(res.health?.message ?? "", /^failed to convert conditions annotation to typed/);
  assert.ok(res.error);
});

test("an override wins over the built-in check and falls back when it has no answer", () => {
  const obj = load("ingress-pending.yaml");
  assert.deepEqual(getResourceHealth(obj, { getResourceHealth: () => ({ status: "Healthy", message: "lua" }) }), { status: "Healthy", message: "lua" });
  assert.deepEqual(getResourceHealth(obj, { getResourceHealth: () => undefined }), { status: "Progressing" });
  const failing = evaluateResourceHealth(obj, { getResourceHealth: () => { throw new Error("boom"); } });
  assert.deepEqual(failing.health, { status: "Unknown", message: "boom" });
});

test("deletion shortcut applies before overrides", () => {
  const obj = load("deployment-deleting.yaml");
  assert.deepEqual(getResourceHealth(obj, { getResourceHealth: () => ({ status: "Degraded" }) }), { status: "Progressing", message: "Pending deletion" });
});

test("isWorse follows Healthy < Suspended < Progressing < Missing < Degraded < Unknown", () => {
  const order = ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"] as const;
  for (let i = 0; i < order.length; i++) {
    for (let j = 0; j < order.length; j++) assert.equal(isWorse(order[i]!, order[j]!), j > i, `${order[i]} vs ${order[j]}`);
  }
});
