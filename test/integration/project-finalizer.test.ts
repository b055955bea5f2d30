// An AppProject with Argo's `resources-finalizer.argocd.argoproj.io` (as in Argo's declarative
// example) against a real control plane: deleting it while an Application uses it leaves it in
// place (being deleted), and it goes once its last Application is deleted. The project queue's
// workqueue series carry Argo's name, project_reconciliation_queue.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";
import { scrapeSamples } from "../support/promql-names.js";

const API = "argoproj.io/v1alpha1";
const FINALIZER = "resources-finalizer.argocd.argoproj.io";

test("a project with Argo's finalizer is kept while an Application uses it and deleted after the last one goes", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `hawser-projfin-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => {}); });
  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("app", { "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: project-probe\ndata:\n  k: v\n" });

  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0", "--webhook-addr", ""] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started");

  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "team", namespace: ns, finalizers: [FINALIZER, "example.com/other"] },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] },
  });
  await client.create({
    apiVersion: API, kind: "Application", metadata: { name: "user", namespace: ns },
    spec: { project: "team", source: { repoURL: git.baseUrl("app"), path: "app", targetRevision: "HEAD" }, destination: { server: "https://kubernetes.default.svc", namespace: ns } },
  });
  await eventually(async () => {
    const app = await client.get(API, "Application", "user", ns);
    assert.equal((app?.status as { sync?: { status?: string } } | undefined)?.sync?.status, "OutOfSync", "the app was compared under its project");
  }, { timeoutMs: 60_000 });

  await client.delete({ apiVersion: API, kind: "AppProject", name: "team", namespace: ns });
  // The controller has looked at the deletion and keeps the finalizer for the app.
  await op.waitForLog((l) => String(l.msg).includes("Applications use it") && l.project === "team");
  const kept = await client.get(API, "AppProject", "team", ns);
  assert.ok(kept?.metadata.deletionTimestamp, "the project is being deleted");
  assert.deepEqual(kept.metadata.finalizers, [FINALIZER, "example.com/other"], "both finalizers stay while the app uses the project");

  await client.delete({ apiVersion: API, kind: "Application", name: "user", namespace: ns });
  await eventually(async () => {
    const project = await client.get(API, "AppProject", "team", ns);
    assert.deepEqual(project?.metadata.finalizers, ["example.com/other"], "Argo's finalizer is removed, others are left to their owners");
  }, { timeoutMs: 60_000 });
  await client.patch({ apiVersion: API, kind: "AppProject", name: "team", namespace: ns }, { metadata: { finalizers: null } });
  await eventually(async () => {
    assert.equal(await client.get(API, "AppProject", "team", ns), undefined, "the project is gone");
  }, { timeoutMs: 30_000 });

  const samples = scrapeSamples(await (await fetch(`${await op.probeUrl()}/metrics?name[]=workqueue_adds_total`)).text());
  const adds = samples.find((s) => s.name === "workqueue_adds_total" && s.labels.name === "project_reconciliation_queue");
  assert.ok(adds && adds.value >= 2, `the project queue counts under Argo's name: ${JSON.stringify(adds)}`);
});
