// argocd-cm `cluster.inClusterEnabled: "false"` against a real control plane: the operator refuses
// Applications aimed at the implicit in-cluster destination with Argo's InvalidSpecError, and an
// ApplicationSet's cluster generator leaves that entry out; both follow the ConfigMap when it
// allows it again, and a cluster Secret that registers the in-cluster server counts while disabled.
// A compared app refused again has sync and health Unknown and keeps its resources listed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";

const API = "argoproj.io/v1alpha1";

interface Condition { type: string; message: string }

test("cluster.inClusterEnabled=false refuses the in-cluster destination until re-enabled or registered by a Secret", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `hawser-incluster-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => {}); });
  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("app", { "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: in-cluster-probe\ndata:\n  k: v\n" });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { "cluster.inClusterEnabled": "false" } });

  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0", "--webhook-addr", ""] });
  t.after(async () => { await op.stop("SIGKILL"); });

  const app = (name: string, destination: Record<string, string>): KubeObject => ({
    apiVersion: API, kind: "Application", metadata: { name, namespace: ns },
    spec: { project: "default", source: { repoURL: git.baseUrl("app"), path: "app", targetRevision: "HEAD" }, destination: { ...destination, namespace: ns } },
  });
  const state = async (name: string): Promise<{ conditions: string[]; sync?: string; health?: string; resources: string[] }> => {
    const a = await client.get(API, "Application", name, ns);
    const status = a?.status as { conditions?: Condition[]; sync?: { status?: string }; health?: { status?: string; message?: string }; resources?: Array<{ kind: string; name: string }> } | undefined;
    return {
      conditions: (status?.conditions ?? []).map((c) => `${c.type}: ${c.message}`),
      ...(status?.sync?.status ? { sync: status.sync.status } : {}),
      // The message too: an invalid spec's Unknown has none (nothing was assessed).
      ...(status?.health ? { health: [status.health.status, status.health.message].filter(Boolean).join(": ") } : {}),
      resources: (status?.resources ?? []).map((r) => `${r.kind}/${r.name}`),
    };
  };
  const probe = ["ConfigMap/in-cluster-probe"];
  await op.waitForLog((l) => l.msg === "controllers started");
  await client.create(app("by-server", { server: "https://kubernetes.default.svc" }));
  await client.create(app("by-name", { name: "in-cluster" }));
  // One Application per cluster the generator sees; `project` is a placeholder (never synced).
  await client.create({
    apiVersion: API, kind: "ApplicationSet", metadata: { name: "per-cluster", namespace: ns },
    spec: {
      generators: [{ clusters: {} }],
      template: {
        metadata: { name: "gen-{{name}}" },
        spec: { project: "default", source: { repoURL: git.baseUrl("app"), path: "app", targetRevision: "HEAD" }, destination: { server: "{{server}}", namespace: ns } },
      },
    },
  });
  const generated = async (): Promise<string[]> => (await client.list(API, "Application", { namespace: ns })).items
    .filter((a) => a.metadata.ownerReferences?.some((r) => r.kind === "ApplicationSet")).map((a) => a.metadata.name!);

  await eventually(async () => {
    assert.deepEqual((await state("by-server")).conditions, ["InvalidSpecError: cluster 'https://kubernetes.default.svc' has not been configured"]);
    assert.deepEqual((await state("by-name")).conditions, ["InvalidSpecError: there are no clusters with this name: in-cluster"]);
    const set = await client.get(API, "ApplicationSet", "per-cluster", ns);
    const conditions = (set?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
    assert.ok(conditions.some((c) => c.type === "ParametersGenerated" && c.status === "True"), `the set was generated: ${JSON.stringify(conditions)}`);
  }, { timeoutMs: 60_000 });
  assert.deepEqual(await generated(), [], "no in-cluster entry for the cluster generator while disabled");

  // Enabled again: the ConfigMap change alone gets both apps compared (Missing until synced).
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: { "cluster.inClusterEnabled": "true" } });
  const compared = { conditions: [], sync: "OutOfSync", health: "Missing: None of the 1 target resources exist", resources: probe };
  await eventually(async () => {
    for (const name of ["by-server", "by-name"]) assert.deepEqual(await state(name), compared, name);
    assert.deepEqual(await generated(), ["gen-in-cluster"], "the cluster generator's implicit entry is back");
  }, { timeoutMs: 60_000 });

  // Disabled again: as in Argo, sync and health turn Unknown and the resources stay listed. Then
  // a cluster Secret registers the in-cluster server: Argo takes the Secret.
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: { "cluster.inClusterEnabled": "false" } });
  await eventually(async () => {
    assert.deepEqual(await state("by-server"), {
      conditions: ["InvalidSpecError: cluster 'https://kubernetes.default.svc' has not been configured"], sync: "Unknown", health: "Unknown", resources: probe,
    });
  }, { timeoutMs: 60_000 });
  await client.create({
    apiVersion: "v1", kind: "Secret", metadata: { name: "local", namespace: ns, labels: { "argocd.argoproj.io/secret-type": "cluster" } },
    stringData: { name: "in-cluster", server: "https://kubernetes.default.svc", config: "{}" },
  });
  // Valid again: compared, and its health assessed again.
  await eventually(async () => {
    for (const name of ["by-server", "by-name"]) assert.deepEqual(await state(name), compared, name);
  }, { timeoutMs: 60_000 });
});
