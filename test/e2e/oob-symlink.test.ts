// Issue 10, finding 2 on the real control plane: a repository whose Helm chart has
// `files/x -> <a file outside the repository>` and renders it with `.Files.Get`. The operator
// must refuse the render with a ComparisonError naming the link, never show the file's content
// (status, Events, logs) and create nothing, even with automated sync. Argo's opt-out,
// argocd-cmd-params-cm `reposerver.allow.oob.symlinks: "true"`, turns the check off.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { fromDir, startGitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";

const API = "argoproj.io/v1alpha1";

interface AppStatus { conditions?: Array<{ type: string; message: string }>; sync?: { status?: string } }

test("an out-of-bounds symlink in a chart is a ComparisonError and nothing is synced; argocd-cmd-params-cm can opt out", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-oob-${id}`;
  const dest = `oob-dest-${id}`;
  for (const n of [ns, dest]) await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: n } });
  t.after(async () => {
    for (const n of [ns, dest]) await client.delete({ apiVersion: "v1", kind: "Namespace", name: n }).catch(() => undefined);
  });

  // The "secret" the link points at: a file of the operator's machine, outside every checkout.
  const work = await mkdtemp(join(tmpdir(), "hawser-oob-e2e-"));
  t.after(() => rm(work, { recursive: true, force: true }));
  const marker = `hawser-oob-sentinel-${randomBytes(8).toString("hex")}`;
  const secret = join(work, "token");
  await writeFile(secret, `${marker}\n`);
  const src = join(work, "src");
  await mkdir(join(src, "chart", "templates"), { recursive: true });
  await mkdir(join(src, "chart", "files"), { recursive: true });
  await writeFile(join(src, "chart", "Chart.yaml"), "apiVersion: v2\nname: leak\nversion: 0.1.0\n");
  await writeFile(join(src, "chart", "templates", "cm.yaml"), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  x: {{ .Files.Get "files/x" | quote }}\n');
  // An absolute link survives the copy into the git server's work tree unchanged.
  await symlink(secret, join(src, "chart", "files", "x"));

  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("oob", fromDir(src));

  let op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0", "--leader-elect=false"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);

  const app: KubeObject = {
    apiVersion: API, kind: "Application", metadata: { name: "leak", namespace: ns },
    spec: {
      project: "default", source: { repoURL: git.baseUrl("oob"), targetRevision: "HEAD", path: "chart" },
      destination: { server: "https://kubernetes.default.svc", namespace: dest }, syncPolicy: { automated: {} },
    },
  };
  await client.create(app);
  const appNow = async (): Promise<KubeObject | undefined> => client.get(API, "Application", "leak", ns);

  await eventually(async () => {
    const s = (await appNow())?.status as AppStatus | undefined;
    const err = s?.conditions?.find((c) => c.type === "ComparisonError");
    assert.ok(err, `a ComparisonError is shown: ${JSON.stringify(s?.conditions)}`);
    assert.match(err.message, /repository contains out-of-bounds symlinks\. file: chart\/files\/x/);
  }, { timeoutMs: 60_000 });
  // Once the refusal is in status, the render has run and failed: nothing can have been synced.
  assert.equal(await client.get("v1", "ConfigMap", "leak", dest), undefined, "nothing was created");
  assert.ok(!JSON.stringify(await appNow()).includes(marker), "the Application never holds the file's content");
  const events = await client.list("v1", "Event", { namespace: ns });
  assert.ok(!JSON.stringify(events).includes(marker), "no Event holds it");
  assert.ok(!JSON.stringify(op.logs).includes(marker), "no log line holds it");

  // The documented (dangerous) opt-out, read at start-up like Argo's repo-server flag.
  await op.stop();
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: ns }, data: { "reposerver.allow.oob.symlinks": "true" } });
  op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0", "--leader-elect=false"] });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);
  // A refresh, so the app is compared again by the new process.
  await client.patch({ apiVersion: API, kind: "Application", name: "leak", namespace: ns }, { metadata: { annotations: { "argocd.argoproj.io/refresh": "hard" } } });
  await eventually(async () => {
    const cm = await client.get("v1", "ConfigMap", "leak", dest);
    assert.ok(cm, "with the opt-out the chart renders and syncs");
    assert.equal((cm.data as Record<string, string>).x, `${marker}\n`, "…and the link is followed, which is why it is off by default");
  }, { timeoutMs: 90_000 });
  assert.ok(op.logs.some((l) => typeof l.msg === "string" && l.msg.startsWith("out-of-bounds symlink check is off")), "the operator warns that the check is off");
});
