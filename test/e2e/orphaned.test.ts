// AppProject orphanedResources.warn (issue 4): an object in the destination namespace that no
// Application tracks gives the app an OrphanedResourceWarning; ignored names and namespace
// furniture (kube-root-ca.crt) do not count, and the condition goes when the stray object goes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";

const API = "argoproj.io/v1alpha1";

test("orphaned resources in the destination namespace are warned about when the project asks", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-orphan-${id}`;
  const dest = `orphan-${id}`;
  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("o", { "app/cm.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "managed" }, data: { a: "1" } }) });
  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "watched", namespace: ns },
    spec: {
      sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }],
      orphanedResources: { warn: true, ignore: [{ kind: "ConfigMap", name: "ignored-*" }] },
    },
  });
  await client.create({
    apiVersion: API, kind: "Application", metadata: { name: "o", namespace: ns },
    spec: {
      project: "watched",
      source: { repoURL: git.baseUrl("o"), path: "app", targetRevision: "HEAD" },
      destination: { server: "https://kubernetes.default.svc", namespace: dest },
      syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] },
    },
  });
  const conditions = async (): Promise<Array<{ type: string; message: string }>> => {
    const app = await client.get(API, "Application", "o", ns);
    return (app?.status as { conditions?: Array<{ type: string; message: string }> } | undefined)?.conditions ?? [];
  };
  const status = async (): Promise<string | undefined> => ((await client.get(API, "Application", "o", ns))?.status as { sync?: { status?: string } } | undefined)?.sync?.status;
  await eventually(async () => { assert.equal(await status(), "Synced", "synced"); }, { timeoutMs: 90_000 });
  assert.ok(!(await conditions()).some((c) => c.type === "OrphanedResourceWarning"), "no orphans yet (kube-root-ca.crt does not count)");

  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "stray", namespace: dest }, data: {} });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ignored-one", namespace: dest }, data: {} });
  const refresh = (): Promise<unknown> => client.patch({ apiVersion: API, kind: "Application", name: "o", namespace: ns }, { metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } });
  await refresh();
  await eventually(async () => {
    const c = (await conditions()).find((x) => x.type === "OrphanedResourceWarning");
    assert.equal(c?.message, "Application has 1 orphaned resources", `one orphan (the ignored one does not count): ${JSON.stringify(await conditions())}`);
  }, { timeoutMs: 60_000 });
  assert.equal(await status(), "Synced", "an orphan does not make the app OutOfSync");

  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "stray", namespace: dest });
  await refresh();
  await eventually(async () => {
    assert.ok(!(await conditions()).some((x) => x.type === "OrphanedResourceWarning"), "the warning goes with the orphan");
  }, { timeoutMs: 60_000 });
});
