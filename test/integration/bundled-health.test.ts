// Hawser's bundled Lua health checks in the controller, on a real control plane: an Application
// syncs a KEDA ScaledObject and a Velero Schedule from git (their CRDs are installed without a
// status subresource, so the status in git is applied with the object and the test controls it).
// With no customization the bundled scripts decide each resource's health and so the app's; an
// argocd-cm script for one kind takes precedence over the bundled one, as in Argo CD.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KubeApiError, KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";

const CRDS = [
  { group: "keda.sh", version: "v1alpha1", kind: "ScaledObject", plural: "scaledobjects" },
  { group: "velero.io", version: "v1", kind: "Schedule", plural: "schedules" },
];

const SCALED_OBJECT = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
spec:
  scaleTargetRef: {name: worker}
  triggers: [{type: cpu, metricType: Utilization, metadata: {value: "60"}}]
status:
  conditions:
  - {type: Ready, status: "False", reason: ScaledObjectCheckFailed, message: "ScaledObject doesn't have correct scaleTargetRef specification"}
`;
const SCHEDULE = `apiVersion: velero.io/v1
kind: Schedule
metadata:
  name: nightly
spec:
  paused: true
  schedule: "0 2 * * *"
  template: {includedNamespaces: [shop]}
`;

interface ResourceStatus { kind: string; name: string; health?: { status: string; message?: string } }
interface AppStatus { health?: { status: string; message?: string }; resources?: ResourceStatus[] }

test("bundled health scripts assess CRD kinds in the controller; an argocd-cm script overrides one", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  for (const c of CRDS) {
    try {
      await client.create({
        apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: `${c.plural}.${c.group}` },
        spec: {
          group: c.group, scope: "Namespaced", names: { plural: c.plural, kind: c.kind },
          versions: [{ name: c.version, served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
        },
      });
    } catch (err) {
      // Another run on this shared cluster may have installed it already.
      if (!(err instanceof KubeApiError && err.statusCode === 409)) throw err;
    }
    await eventually(async () => assert.ok(await client.list(`${c.group}/${c.version}`, c.kind, { namespace: "default" }), `the ${c.kind} kind is served`), { timeoutMs: 30_000 });
  }

  const ns = `hawser-bundled-health-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined); });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: {} });

  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("platform", { "platform/scaledobject.yaml": SCALED_OBJECT, "platform/schedule.yaml": SCHEDULE });
  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0", "--webhook-addr", ""] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controller settings");
  await eventually(async () => assert.ok(await client.get("argoproj.io/v1alpha1", "AppProject", "default", ns), "the default project exists"), { timeoutMs: 60_000 });

  await client.create({
    apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "platform", namespace: ns },
    spec: {
      project: "default",
      source: { repoURL: git.baseUrl("platform"), path: "platform", targetRevision: "HEAD" },
      destination: { server: "https://kubernetes.default.svc", namespace: ns },
      syncPolicy: { automated: {} },
    },
  });
  const healthOf = async (kind: string): Promise<{ app: AppStatus; resource?: ResourceStatus }> => {
    const app = ((await client.get("argoproj.io/v1alpha1", "Application", "platform", ns))?.status ?? {}) as AppStatus;
    return { app, resource: (app.resources ?? []).find((r) => r.kind === kind) };
  };

  const first = await eventually(async () => {
    const scaled = await healthOf("ScaledObject");
    const schedule = await healthOf("Schedule");
    assert.ok(scaled.resource?.health && schedule.resource?.health, `both resources have a health: ${JSON.stringify(scaled.app.resources)}`);
    assert.equal(scaled.app.health?.status, "Degraded", `the app's health follows its worst resource: ${JSON.stringify(scaled.app.health)}`);
    return { scaled: scaled.resource.health, schedule: schedule.resource.health, app: scaled.app.health };
  }, { timeoutMs: 90_000 });
  assert.deepEqual(first.scaled, { status: "Degraded", message: "ScaledObject doesn't have correct scaleTargetRef specification" });
  assert.deepEqual(first.schedule, { status: "Suspended", message: "Schedule is paused" });
  assert.match(first.app?.message ?? "", /ScaledObject/, "the app's health message names the degraded ScaledObject");

  // The user's argocd-cm script for the kind replaces the bundled one.
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, {
    data: { "resource.customizations.health.keda.sh_ScaledObject": `return { status = "Healthy", message = "accepted by the platform team" }` },
  });
  await client.patch({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", name: "platform", namespace: ns }, {
    metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } },
  });
  await eventually(async () => {
    const scaled = await healthOf("ScaledObject");
    assert.deepEqual(scaled.resource?.health, { status: "Healthy", message: "accepted by the platform team" });
    // With the ScaledObject healthy the paused Schedule is the worst left.
    assert.equal(scaled.app.health?.status, "Suspended", JSON.stringify(scaled.app.health));
  }, { timeoutMs: 90_000 });
});
