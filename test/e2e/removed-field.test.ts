// A field removed from git must be seen as drift and removed from the cluster, as Argo CD's
// three-way diff (against what was last applied) does. Found by the app-of-apps acceptance: a
// Deployment's `paused: true` dropped from git left the app Synced and the Deployment paused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";

const API = "argoproj.io/v1alpha1";
const root = fileURLToPath(new URL("../..", import.meta.url));

function deployment(paused: boolean): string {
  return stringify({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" },
    spec: {
      replicas: 1, ...(paused ? { paused: true } : {}),
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "registry.invalid/web:1" }] } },
    },
  });
}

test("a field removed from git is drift, and the sync removes it from the live object", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-rmf-${id}`;
  const dest = `rmf-${id}`;
  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("app", { "app/deploy.yaml": deployment(true) });
  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);
  await client.create({
    apiVersion: API, kind: "Application", metadata: { name: "web", namespace: ns },
    spec: {
      project: "default",
      source: { repoURL: git.baseUrl("app"), path: "app", targetRevision: "main" },
      destination: { server: "https://kubernetes.default.svc", namespace: dest },
      syncPolicy: { automated: { prune: true }, syncOptions: ["CreateNamespace=true"] },
    },
  });
  const paused = async (): Promise<unknown> => ((await client.get("apps/v1", "Deployment", "web", dest))?.spec as { paused?: boolean } | undefined)?.paused;
  await eventually(async () => assert.equal(await paused(), true, "git's paused Deployment applied"), { timeoutMs: 90_000, message: "initial sync" });

  const sha = await git.commitFiles("app", { "app/deploy.yaml": deployment(false) }, "drop paused");
  // `hawser app diff` must see the same drift the controller will (issue 11): the field git no
  // longer declares is a difference. The controller has not looked at the new commit yet (no resync,
  // no refresh), so nothing has been synced away.
  const diff = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", "app", "diff", "web", "--revision", sha, "--kubeconfig", cluster.kubeconfigPath, "-n", ns],
      { cwd: root, encoding: "utf8", maxBuffer: 16 << 20, env: { ...process.env, HAWSER_INSTALLATION_ID: ns } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
  });
  assert.equal(diff.code, 1, `hawser app diff reports the removed field as a difference (exit 1): ${diff.stdout}${diff.stderr}`);
  assert.match(diff.stdout, /^-\s+paused: true$/m, `the diff shows paused going away: ${diff.stdout}`);
  assert.equal(await paused(), true, "nothing was synced while diffing");
  await client.patch({ apiVersion: API, kind: "Application", name: "web", namespace: ns }, { metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } });
  await eventually(async () => {
    const s = (await client.get(API, "Application", "web", ns))?.status as { sync?: { revision?: string } } | undefined;
    assert.equal(s?.sync?.revision, sha, "the new commit is compared");
    assert.notEqual(await paused(), true, "the field removed from git is removed from the Deployment");
  }, { timeoutMs: 90_000, message: "removed field synced" });
});
