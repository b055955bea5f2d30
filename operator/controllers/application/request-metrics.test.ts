// countingClient: each request a sync sends for an app lands in argocd_app_k8s_request_total with
// the app's labels, the verb, the target and the outcome, and the call itself is forwarded unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { KubeApiError, type KubeObject } from "../../kube/client.js";
import { ArgoMetrics } from "../../runtime/argo-metrics.js";
import type { ApplicationObject } from "../../appstate/types.js";
import type { DestinationClient } from "./destinations.js";
import { countingClient } from "./request-metrics.js";

const app: ApplicationObject = { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "web", namespace: "argocd" }, spec: { project: "shop" } };
const cm: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "web" } };

test("requests are forwarded and counted with verb, kind, namespace, dry run and response code", async () => {
  const registry = new Registry();
  const argo = new ArgoMetrics(registry);
  const calls: string[] = [];
  const inner = {
    get: (_v: string, _k: string, name: string) => { calls.push(`get ${name}`); return Promise.resolve(undefined); },
    create: (o: KubeObject, opts?: { dryRun?: boolean }) => { calls.push(`create ${o.metadata.name} ${String(opts?.dryRun)}`); return Promise.resolve(o); },
    apply: (o: KubeObject) => { calls.push(`apply ${o.metadata.name}`); return Promise.reject(new KubeApiError(422, "Invalid", "bad")); },
    delete: () => { calls.push("delete"); return Promise.resolve(true); },
  } as unknown as DestinationClient;
  const client = countingClient(inner, argo, app, "https://kubernetes.default.svc");
  assert.equal(await client.get("v1", "ConfigMap", "c", "web"), undefined);
  assert.deepEqual(await client.create(cm, { dryRun: true }), cm);
  await assert.rejects(client.apply(cm, { fieldManager: "hawser" }), /bad/, "a failure is passed on");
  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "c", namespace: "web" });
  assert.deepEqual(calls, ["get c", "create c true", "apply c", "delete"], "every call reached the real client");
  const text = await registry.metrics();
  const base = 'namespace="argocd",name="web",project="shop",server="https://kubernetes.default.svc"';
  const series = text.split("\n").filter((l) => l.startsWith("argocd_app_k8s_request_total{")).sort();
  assert.deepEqual(series, [
    `argocd_app_k8s_request_total{${base},verb="create",resource_kind="ConfigMap",resource_namespace="web",dry_run="true",response_code="201"} 1`,
    `argocd_app_k8s_request_total{${base},verb="delete",resource_kind="ConfigMap",resource_namespace="web",dry_run="false",response_code="200"} 1`,
    `argocd_app_k8s_request_total{${base},verb="get",resource_kind="ConfigMap",resource_namespace="web",dry_run="false",response_code="404"} 1`,
    `argocd_app_k8s_request_total{${base},verb="patch",resource_kind="ConfigMap",resource_namespace="web",dry_run="false",response_code="422"} 1`,
  ]);
});
