// Server-side diff (issue 4): the apiserver canonicalises some values (a quantity `1024Mi` is
// stored as `1Gi`). The client-side prediction cannot know that and reports the synced app as
// OutOfSync; with `compare-options: ServerSideDiff=true` live is compared with an apply dry run
// of the target, so the same app is Synced, and a real edit is still seen.
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

test("ServerSideDiff=true compares with the apiserver's own result; the client-side prediction cannot", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-ssd-${id}`;
  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("ssd", {
    "app/deploy.yaml": stringify({
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "cache" },
      spec: {
        replicas: 1, selector: { matchLabels: { app: "cache" } },
        template: {
          metadata: { labels: { app: "cache" } },
          spec: {
            containers: [{ name: "c", image: "registry.invalid/cache:1", volumeMounts: [{ name: "scratch", mountPath: "/scratch" }] }],
            volumes: [{ name: "scratch", emptyDir: { sizeLimit: "1024Mi" } }],
          },
        },
      },
    }),
  });
  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);
  for (const [name, serverSide] of [["client-side", false], ["server-side", true]] as const) {
    await client.create({
      apiVersion: API, kind: "Application",
      metadata: { name, namespace: ns, ...(serverSide ? { annotations: { "argocd.argoproj.io/compare-options": "ServerSideDiff=true" } } : {}) },
      spec: {
        project: "default",
        source: { repoURL: git.baseUrl("ssd"), path: "app", targetRevision: "HEAD" },
        destination: { server: "https://kubernetes.default.svc", namespace: `${name}-${id}` },
        syncPolicy: { syncOptions: ["CreateNamespace=true"] },
      },
      operation: { sync: {}, initiatedBy: { username: "test" } },
    });
  }
  const sync = async (name: string): Promise<string | undefined> => {
    const app = await client.get(API, "Application", name, ns);
    const s = app?.status as { sync?: { status?: string }; operationState?: { phase?: string } } | undefined;
    return s?.operationState?.phase === "Succeeded" ? s.sync?.status : undefined;
  };
  await eventually(async () => {
    assert.equal(await sync("server-side"), "Synced", "server-side diff: Synced after the sync");
    assert.equal(await sync("client-side"), "OutOfSync", "client-side prediction: 1024Mi vs the stored 1Gi looks different");
  }, { timeoutMs: 120_000, intervalMs: 1000 });
  const stored = await client.get("apps/v1", "Deployment", "cache", `server-side-${id}`);
  const volumes = (stored?.spec as { template: { spec: { volumes: Array<{ emptyDir: { sizeLimit: string } }> } } }).template.spec.volumes;
  assert.equal(volumes[0]?.emptyDir.sizeLimit, "1Gi", "the apiserver stored the canonical quantity");

  // A real edit is still a difference in server-side mode.
  await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "cache", namespace: `server-side-${id}` }, { spec: { replicas: 2 } });
  await eventually(async () => {
    assert.equal(await sync("server-side"), "OutOfSync", "a hand edit is OutOfSync in server-side mode");
  }, { timeoutMs: 60_000, intervalMs: 1000 });
});
