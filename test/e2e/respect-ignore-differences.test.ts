// RespectIgnoreDifferences=true (issue 12, item 6) with the operator against the control plane:
// a Deployment whose spec.replicas the Application ignores was scaled to 3 by someone else (an
// HPA, here a patch under another field manager); a sync that changes its image keeps 3 replicas.
// The same Application without the option puts git's replicas back, as before.
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

interface OpState { phase?: string; message?: string; startedAt?: string }

const deployment = (image: string): string => stringify({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" },
  spec: {
    replicas: 1, selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image }] } },
  },
});

test("RespectIgnoreDifferences=true keeps the live value of an ignored field through a sync; without it git's value is applied", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-respect-${id}`;
  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("r", { "app/web.yaml": deployment("registry.invalid/web:1") });
  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);

  const apps = { respect: `respect-${id}`, plain: `plain-${id}` } as const;
  for (const [name, dest] of Object.entries(apps)) {
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: dest } });
    t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: dest }).catch(() => undefined); });
    await client.create({
      apiVersion: API, kind: "Application", metadata: { name, namespace: ns },
      spec: {
        project: "default",
        source: { repoURL: git.baseUrl("r"), path: "app", targetRevision: "HEAD" },
        destination: { server: "https://kubernetes.default.svc", namespace: dest },
        ignoreDifferences: [{ group: "apps", kind: "Deployment", jsonPointers: ["/spec/replicas"] }],
        syncPolicy: { syncOptions: name === "respect" ? ["RespectIgnoreDifferences=true"] : [] },
      },
    });
  }

  const opState = async (name: string): Promise<OpState | undefined> => ((await client.get(API, "Application", name, ns))?.status as { operationState?: OpState } | undefined)?.operationState;
  const sync = async (name: string, revision?: string): Promise<void> => {
    const before = (await opState(name))?.startedAt;
    await client.patch({ apiVersion: API, kind: "Application", name, namespace: ns }, { operation: { sync: { ...(revision ? { revision } : {}) }, initiatedBy: { username: "test" } } });
    await eventually(async () => {
      const s = await opState(name);
      assert.ok(s?.startedAt && s.startedAt !== before, `a new operation started: ${JSON.stringify(s)}`);
      assert.equal(s.phase, "Succeeded", `operation of ${name} succeeded: ${JSON.stringify(s)}`);
    }, { timeoutMs: 60_000 });
  };
  const web = async (dest: string): Promise<{ replicas: unknown; image: unknown }> => {
    const d = await client.get<KubeObject & { spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } } }>("apps/v1", "Deployment", "web", dest);
    assert.ok(d, `Deployment web exists in ${dest}`);
    return { replicas: d.spec.replicas, image: d.spec.template.spec.containers[0]?.image };
  };

  for (const name of Object.keys(apps)) await sync(name);
  for (const dest of Object.values(apps)) {
    assert.deepEqual(await web(dest), { replicas: 1, image: "registry.invalid/web:1" }, `first sync into ${dest} applies git`);
    // Someone else scales it, as an HPA would.
    await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: dest }, { spec: { replicas: 3 } }, { type: "merge", fieldManager: "e2e-autoscaler" });
  }

  const revision = await git.commitFiles("r", { "app/web.yaml": deployment("registry.invalid/web:2") }, "new image");
  for (const name of Object.keys(apps)) await sync(name, revision);
  assert.deepEqual(await web(apps.respect), { replicas: 3, image: "registry.invalid/web:2" }, "RespectIgnoreDifferences: the image from git, the ignored replicas from live");
  assert.deepEqual(await web(apps.plain), { replicas: 1, image: "registry.invalid/web:2" }, "without the option, the sync applies git's replicas");
});
