// The operator says at start-up, one warning line per key, which argocd-cm and argocd-cmd-params-cm
// settings it was given that have no effect (operator/api/compatibility.ts drives it), and stays
// quiet about the ones it honours. Against a real control plane, ConfigMaps written before start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startOperatorProcess } from "../support/operator-process.js";

test("start-up warns once per set argocd-cm / argocd-cmd-params-cm key that Hawser does not implement", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `hawser-settings-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => {}); });
  const secretish = "do-not-log-me";
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: {
    "timeout.reconciliation": "0", "resource.respectRBAC": "strict", "timeout.reconcilation": secretish,
    // Honoured by `hawser server` or the controller: no warning.
    "application.allowedNodeLabels": "topology.kubernetes.io/zone", "users.anonymous.enabled": "true", "statusbadge.enabled": "true", "exec.enabled": "true", "resource.customizations.actions.apps_Deployment": secretish,
  } });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: ns }, data: {
    "server.dex.server": "https://argocd-dex-server:5556", "server.insecure": "true", "server.enable.gzip": "true", "controller.self.heal.timeout.seconds": "5",
    // Honoured keys with flags too: the ConfigMap sets the default, the explicit flag wins.
    "controller.status.processors": "3", "controller.operation.processors": "4", "controller.log.level": "debug",
  } });

  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0", "--webhook-addr", "", "--operation-processors", "2"], env: { HAWSER_LOG_LEVEL: "" } });
  t.after(async () => { await op.stop("SIGKILL"); });
  const settings = await op.waitForLog((l) => l.msg === "controller settings");
  assert.deepEqual([settings.statusProcessors, settings.operationProcessors, settings.logLevel], [3, 2, "debug"], "ConfigMap defaults, the explicit flag winning");
  // The level applies from here on: the process logs at debug level now.
  await op.waitForLog((l) => l.level === "debug");
  // The warnings are logged right after the settings are read, before the controllers start.
  await op.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("argocd-cmd-params-cm key server.dex.server"));
  const warnings = op.logs.filter((l) => l.level === "warn" && typeof l.msg === "string" && / key /.test(l.msg)).map((l) => l.msg as string);
  assert.deepEqual(warnings, [
    "argocd-cm key resource.respectRBAC is not implemented by Hawser and has no effect (watching only what the operator may list; no issue filed)",
    "argocd-cm key timeout.reconcilation is not known to Hawser (a typo, or a newer Argo CD setting) and has no effect",
    "argocd-cmd-params-cm key server.dex.server is not implemented by Hawser and has no effect (Hawser runs no Dex (no issue filed): configure SSO with argocd-cm `oidc.config` directly; a Dex of your own works as its issuer)",
  ]);
  assert.ok(!JSON.stringify(op.logs).includes(secretish), "no log line carries a setting's value");
});

test("an invalid argocd-cm value is logged and reported as a Warning Event on argocd-cm, once per version", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `hawser-badsettings-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => {}); });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: {
    "application.resourceTrackingMethod": "bogus", "resource.compareoptions": "ignoreResourceStatusField: sometimes",
  } });
  await client.create({ apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "default", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  await client.create({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "reader", namespace: ns }, spec: {
    project: "default", source: { repoURL: "https://git.invalid/r.git", path: "x" }, destination: { server: "https://kubernetes.default.svc", namespace: ns },
  } });

  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0", "--webhook-addr", ""] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.level === "warn" && typeof l.msg === "string" && l.msg.startsWith("argocd-cm: application.resourceTrackingMethod: unknown method \"bogus\""));
  await op.waitForLog((l) => l.level === "warn" && typeof l.msg === "string" && l.msg.startsWith("argocd-cm: resource.compareoptions: unknown ignoreResourceStatusField \"sometimes\""));
  await eventually(async () => {
    const events = (await client.list("v1", "Event", { namespace: ns, fieldSelector: "involvedObject.kind=ConfigMap,involvedObject.name=argocd-cm" })).items as Array<{ type?: string; reason?: string; message?: string; count?: number }>;
    const e = events.find((x) => x.reason === "InvalidSettings");
    assert.ok(e, `a Warning Event on argocd-cm; events: ${JSON.stringify(events.map((x) => x.reason))}`);
    assert.equal(e.type, "Warning");
    assert.match(e.message ?? "", /application\.resourceTrackingMethod: unknown method "bogus".*resource\.compareoptions/);
  }, { timeoutMs: 30_000 });
  assert.equal(op.logs.filter((l) => typeof l.msg === "string" && l.msg.startsWith("argocd-cm: application.resourceTrackingMethod")).length, 1, "said once for this version of argocd-cm");
});
