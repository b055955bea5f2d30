// ClientSideApplyMigration on the real control plane: objects created by a real client-side
// `kubectl apply` (manager kubectl-client-side-apply, Update) and labelled by `kubectl label`
// are adopted by an Application; a later commit removes a field from each. With the migration (the
// default) the removed fields are gone from the live objects and nothing else changed: same uid,
// the other manager's label kept, the remaining fields as they were. An Application with
// ClientSideApplyMigration=false over the same kind of objects keeps the removed field, which shows
// the migration is what removes it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { kubectl } from "../support/kubectl.js";
import { startGitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";

const API = "argoproj.io/v1alpha1";

interface ManagedEntry { manager?: string; operation?: string; subresource?: string }

function manifests(withRemovedFields: boolean): string {
  const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "1", ...(withRemovedFields ? { b: "2" } : {}) } };
  const deployment = {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" },
    spec: {
      replicas: 1, selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "registry.invalid/web:1", ...(withRemovedFields ? { env: [{ name: "DEBUG", value: "1" }] } : {}) }] },
      },
    },
  };
  return `${stringify(configMap)}---\n${stringify(deployment)}`;
}

test("objects applied client-side by kubectl, adopted by Hawser: a field removed from git is removed, nothing else changes", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-csa-${id}`;
  const targets = { migrated: `csa-on-${id}`, kept: `csa-off-${id}` };
  const dir = await mkdtemp(join(tmpdir(), "hawser-csa-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "manifests.yaml");
  await writeFile(file, manifests(true));

  // The state an Argo CD user migrating to Hawser has: everything applied by `kubectl apply`.
  const before: Record<string, { cm: KubeObject; deploy: KubeObject }> = {};
  for (const target of Object.values(targets)) {
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: target } });
    await kubectl(cluster.kubeconfigPath, ["apply", "-n", target, "-f", file]);
    await kubectl(cluster.kubeconfigPath, ["label", "-n", target, "configmap", "settings", "owner=platform"]);
    const cm = await client.get("v1", "ConfigMap", "settings", target);
    const deploy = await client.get("apps/v1", "Deployment", "web", target);
    assert.ok(cm && deploy, "kubectl created both objects");
    const managers = (cm.metadata.managedFields as ManagedEntry[]).map((e) => `${e.manager}/${e.operation}`);
    assert.ok(managers.includes("kubectl-client-side-apply/Update"), `a client-side apply owns the fields: ${managers.join(", ")}`);
    before[target] = { cm, deploy };
  }
  t.after(async () => {
    for (const n of [ns, ...Object.values(targets)]) await client.delete({ apiVersion: "v1", kind: "Namespace", name: n }).catch(() => undefined);
  });

  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("apps", { "app/manifests.yaml": manifests(true) });
  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);

  const app = (name: string, target: string, syncOptions: string[]): KubeObject => ({
    apiVersion: API, kind: "Application", metadata: { name, namespace: ns },
    spec: {
      project: "default",
      source: { repoURL: git.baseUrl("apps"), path: "app", targetRevision: "main" },
      destination: { server: "https://kubernetes.default.svc", namespace: target },
      syncPolicy: { automated: {}, syncOptions },
    },
  });
  await client.create(app("migrated", targets.migrated, []));
  await client.create(app("kept", targets.kept, ["ClientSideApplyMigration=false"]));
  const synced = async (name: string, revision?: string): Promise<void> => {
    const s = (await client.get(API, "Application", name, ns))?.status as { sync?: { status?: string; revision?: string }; operationState?: { phase?: string; syncResult?: { revision?: string } } } | undefined;
    assert.equal(s?.operationState?.phase, "Succeeded", `${name}: a sync succeeded: ${JSON.stringify(s?.operationState)}`);
    if (revision) assert.equal(s?.operationState?.syncResult?.revision, revision, `${name}: synced at ${revision}`);
  };
  await eventually(async () => { await synced("migrated"); await synced("kept"); }, { timeoutMs: 120_000, message: "adoption syncs" });

  const migratedCm = await client.get("v1", "ConfigMap", "settings", targets.migrated);
  const entries = (migratedCm?.metadata.managedFields ?? []) as ManagedEntry[];
  assert.ok(!entries.some((e) => e.manager === "kubectl-client-side-apply" && e.operation === "Update"), `no client-side entry left after adoption: ${JSON.stringify(entries)}`);
  assert.ok(entries.some((e) => e.manager === "hawser" && e.operation === "Apply"), "Hawser's Apply entry owns the fields");
  assert.ok(entries.some((e) => e.manager === "kubectl-label"), "the label's manager is untouched");

  const sha = await git.commitFiles("apps", { "app/manifests.yaml": manifests(false) }, "drop b and DEBUG");
  for (const name of ["migrated", "kept"]) {
    await client.patch({ apiVersion: API, kind: "Application", name, namespace: ns }, { metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } });
  }
  await eventually(async () => { await synced("migrated", sha); await synced("kept", sha); }, { timeoutMs: 120_000, message: "syncs of the commit removing fields" });

  const cm = await client.get("v1", "ConfigMap", "settings", targets.migrated);
  const deploy = await client.get("apps/v1", "Deployment", "web", targets.migrated);
  const container = (o: KubeObject | undefined): Record<string, unknown> => ((o?.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0] ?? {});
  const was = before[targets.migrated]!;
  assert.deepEqual(cm?.data, { a: "1" }, "the data key removed from git is gone");
  assert.equal(container(deploy).env, undefined, "the env var removed from git is gone");
  assert.equal(cm?.metadata.uid, was.cm.metadata.uid, "the ConfigMap was updated, not re-created");
  assert.equal(deploy?.metadata.uid, was.deploy.metadata.uid, "the Deployment was updated, not re-created");
  assert.equal(cm?.metadata.labels?.owner, "platform", "another manager's label stays");
  assert.equal(container(deploy).image, container(was.deploy).image, "the image is unchanged");
  assert.equal((deploy?.spec as { replicas?: number }).replicas, 1, "replicas unchanged");
  assert.equal(cm?.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"], undefined, "kubectl's stale last-applied-configuration does not linger");

  // The same commit with the migration turned off: kubectl still owns the removed field, so it stays.
  const keptCm = await client.get("v1", "ConfigMap", "settings", targets.kept);
  assert.deepEqual(keptCm?.data, { a: "1", b: "2" }, "without the migration the removed key stays, owned by kubectl");
  assert.ok(((keptCm?.metadata.managedFields ?? []) as ManagedEntry[]).some((e) => e.manager === "kubectl-client-side-apply" && e.operation === "Update"), "its client-side entry is untouched");
});
