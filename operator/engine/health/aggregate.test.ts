import { test } from "node:test";
import assert from "node:assert/strict";
// eslint-disable-next-line no-restricted-imports -- tests read their YAML fixtures; the code under test does not
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { aggregateAppHealth, type ManagedResource } from "./aggregate.js";
import type { KubeObj } from "./types.js";

const load = (file: string): KubeObj => parse(readFileSync(fileURLToPath(new URL(`./testdata/${file}`, import.meta.url)), "utf8")) as KubeObj;

function res(file: string, opts: { live?: boolean; target?: boolean; annotations?: Record<string, string> } = {}): ManagedResource {
  const obj = load(file);
  const meta = obj.metadata as Record<string, unknown>;
  if (opts.annotations) meta.annotations = { ...(meta.annotations as Record<string, string> | undefined), ...opts.annotations };
  const [group] = String(obj.apiVersion).includes("/") ? String(obj.apiVersion).split("/") : [""];
  return {
    group: group ?? "",
    kind: String(obj.kind),
    name: String(meta.name),
    namespace: typeof meta.namespace === "string" ? meta.namespace : undefined,
    target: opts.target === false ? undefined : obj,
    live: opts.live === false ? undefined : obj,
  };
}

test("all healthy → Healthy with an empty message", () => {
  const h = aggregateAppHealth([res("deployment-healthy.yaml"), res("service-clusterip.yaml"), res("configmap.yaml")]);
  assert.equal(h.status, "Healthy");
  assert.equal(h.message, "");
  assert.equal(h.resources[2]?.health, undefined);
});

test("worst child wins and the message names the cause", () => {
  const h = aggregateAppHealth([res("deployment-healthy.yaml"), res("pod-running-not-ready.yaml"), res("deployment-deadline.yaml")]);
  assert.equal(h.status, "Degraded");
  assert.equal(h.message, 'Caused by Deployment/default/web is Degraded: Deployment "web" exceeded its progress deadline');
});

test("more than two causes are summarised with 'and N more'", () => {
  const h = aggregateAppHealth([res("pvc-lost.yaml"), res("job-failed.yaml"), res("pod-crashloop.yaml"), res("replicaset-failure.yaml")]);
  assert.equal(h.status, "Degraded");
  assert.equal(h.message, "Caused by PersistentVolumeClaim/data is Degraded, Job/j is Degraded: Job has reached the specified backoff limit and 2 more");
});

test("hooks, Skip hooks and ignore-healthcheck resources do not count", () => {
  const h = aggregateAppHealth([
    res("deployment-healthy.yaml"),
    res("job-failed.yaml", { annotations: { "argocd.argoproj.io/hook": "PreSync" } }),
    res("pod-crashloop.yaml", { annotations: { "helm.sh/hook": "post-install" } }),
    res("pvc-lost.yaml", { annotations: { "argocd.argoproj.io/hook": "Skip" } }),
    res("replicaset-failure.yaml", { annotations: { "argocd.argoproj.io/ignore-healthcheck": "true" } }),
  ]);
  assert.equal(h.status, "Healthy");
});

test("missing children do not lower health; all missing → Missing", () => {
  const some = aggregateAppHealth([res("deployment-healthy.yaml"), res("service-clusterip.yaml", { live: false })]);
  assert.equal(some.status, "Healthy");
  const none = aggregateAppHealth([res("deployment-healthy.yaml", { live: false }), res("service-clusterip.yaml", { live: false })]);
  assert.equal(none.status, "Missing");
});

test("child apps: Missing/Unknown ignored, Degraded counts, self-reference skipped", () => {
  const missing = res("application-healthy.yaml");
  (missing.live as { status: unknown }).status = { health: { status: "Unknown" } };
  assert.equal(aggregateAppHealth([res("deployment-healthy.yaml"), missing]).status, "Healthy");
  assert.equal(aggregateAppHealth([res("deployment-healthy.yaml"), res("application-degraded.yaml")]).status, "Degraded");
  const self = aggregateAppHealth([res("deployment-healthy.yaml"), res("application-degraded.yaml")], { app: { name: "child", namespace: "argocd" } });
  assert.equal(self.status, "Healthy");
});

test("script errors are collected and the resource is Unknown", () => {
  const h = aggregateAppHealth([res("ingress-ready.yaml")], { override: { getResourceHealth: () => { throw new Error("bad script"); } } });
  assert.equal(h.status, "Unknown");
  assert.deepEqual(h.errors, ["Ingress/i: bad script"]);
});
