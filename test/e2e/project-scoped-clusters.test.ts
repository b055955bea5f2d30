// Project-scoped clusters on the real control plane. The shared cluster is registered twice more
// by cluster Secrets under other names and addresses (https://127.0.0.1:<port> and
// https://localhost:<port>; the apiserver certificate covers both), one scoped to the project
// `team-<id>`, one to another project. The project sets permitOnlyProjectScopedClusters: its app on
// its own cluster syncs, its apps on the other project's cluster and on the unscoped in-cluster
// entry get InvalidSpecError naming why and create nothing; re-scoping the other Secret to the
// project lets that app sync, as a cluster Secret change is seen without a restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";

const API = "argoproj.io/v1alpha1";

interface AppStatus {
  sync?: { status?: string };
  conditions?: Array<{ type: string; message: string }>;
}

test("permitOnlyProjectScopedClusters: only the project's own cluster Secrets are destinations", async (t) => {
  const a = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(a.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-scoped-${id}`;
  const project = `team-${id}`;
  const targets = { own: `scoped-own-${id}`, foreign: `scoped-foreign-${id}`, local: `scoped-local-${id}` };

  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("apps", { "app/cm.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "1" } }) });

  const kc = loadKubeConfig(a.kubeconfigPath);
  const user = kc.getCurrentUser()!;
  const cluster = kc.getCurrentCluster()!;
  const port = new URL(cluster.server).port;
  const config = JSON.stringify({ tlsClientConfig: { caData: cluster.caData, certData: user.certData, keyData: user.keyData } });
  const clusterSecret = (name: string, server: string, scope: string): KubeObject => ({
    apiVersion: "v1", kind: "Secret",
    metadata: { name, namespace: ns, labels: { "argocd.argoproj.io/secret-type": "cluster" } },
    stringData: { name, server, project: scope, config },
  });
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(async () => {
    for (const n of [ns, ...Object.values(targets)]) await client.delete({ apiVersion: "v1", kind: "Namespace", name: n }).catch(() => undefined);
  });
  await client.create(clusterSecret("own", `https://127.0.0.1:${port}`, project));
  await client.create(clusterSecret("foreign", `https://localhost:${port}`, `other-${id}`));

  const op = startOperatorProcess({ kubeconfig: a.kubeconfigPath, namespace: ns, args: ["--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);
  // After the start: the operator installs the CRDs.
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: project, namespace: ns },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }], permitOnlyProjectScopedClusters: true },
  });

  const app = (name: string, destination: Record<string, string>): KubeObject => ({
    apiVersion: API, kind: "Application", metadata: { name, namespace: ns },
    spec: {
      project,
      source: { repoURL: git.baseUrl("apps"), path: "app", targetRevision: "HEAD" },
      destination,
      syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] },
    },
  });
  await client.create(app("own", { name: "own", namespace: targets.own }));
  await client.create(app("foreign", { name: "foreign", namespace: targets.foreign }));
  await client.create(app("local", { server: "https://kubernetes.default.svc", namespace: targets.local }));
  const status = async (name: string): Promise<AppStatus | undefined> => (await client.get(API, "Application", name, ns))?.status as AppStatus | undefined;
  const invalidSpec = async (name: string): Promise<string | undefined> => (await status(name))?.conditions?.find((c) => c.type === "InvalidSpecError")?.message;

  await eventually(async () => {
    const s = await status("own");
    assert.equal(s?.sync?.status, "Synced", `the project's own cluster syncs: ${JSON.stringify(s)}`);
  }, { timeoutMs: 120_000 });
  assert.ok(await client.get("v1", "ConfigMap", "settings", targets.own), "the ConfigMap was applied through the scoped cluster");

  await eventually(async () => {
    const m = await invalidSpec("foreign");
    assert.ok(m?.includes(`cluster 'foreign' (https://localhost:${port}) is scoped to project 'other-${id}'`), `another project's cluster is refused: ${m}`);
  }, { timeoutMs: 60_000 });
  await eventually(async () => {
    const m = await invalidSpec("local");
    assert.ok(m?.includes("cluster 'in-cluster' (https://kubernetes.default.svc) is not scoped to any project"), `the unscoped in-cluster entry is refused: ${m}`);
  }, { timeoutMs: 60_000 });
  assert.equal(await client.get("v1", "Namespace", targets.foreign), undefined, "nothing created for the refused app on the other project's cluster");
  assert.equal(await client.get("v1", "Namespace", targets.local), undefined, "nothing created for the refused app in-cluster");

  // The other project hands its cluster over: the refused app is now valid and syncs.
  await client.patch({ apiVersion: "v1", kind: "Secret", name: "foreign", namespace: ns }, { stringData: { project } });
  await eventually(async () => {
    const s = await status("foreign");
    assert.equal(s?.sync?.status, "Synced", `re-scoped cluster syncs: ${JSON.stringify(s)}`);
    assert.equal(s?.conditions?.find((c) => c.type === "InvalidSpecError"), undefined, "the condition is gone");
  }, { timeoutMs: 120_000 });
  assert.ok(await client.get("v1", "ConfigMap", "settings", targets.foreign), "applied once the cluster is the project's");
  assert.ok(await invalidSpec("local"), "the in-cluster app stays refused");
});
