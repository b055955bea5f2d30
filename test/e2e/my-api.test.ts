// Issue 5's acceptance for seed 000/app-my-api.yaml on the real control plane: the seed's
// Application (repoURL, namespaces renamed) syncs its Kustomize overlay automatically into a
// namespace it creates; a file removed from git is pruned; a deleted and an edited Deployment are
// healed; a resource the apiserver rejects is retried up to the seed's limit (3) and the operation
// ends Failed with the apiserver's message; a fixing commit syncs again; deleting the Application
// deletes its resources first (resources finalizer) and then the Application.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { Informer } from "../../operator/runtime/informer.js";
import { createLogger } from "../../operator/runtime/logger.js";
import { seedsDir } from "../crds/seeds.js";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

const OVERLAY = "apps/my-api/overlays/production";
const BASE = "apps/my-api/base";

interface OperationState {
  phase?: string;
  message?: string;
  retryCount?: number;
  syncResult?: { revision?: string; resources?: Array<{ kind?: string; name?: string; status?: string; message?: string }> };
}
interface AppStatus {
  sync?: { status?: string; revision?: string };
  health?: { status?: string };
  operationState?: OperationState;
  conditions?: Array<{ type: string; message: string }>;
}

function seedPath(file: string): string {
  const dir = seedsDir();
  if (!dir) throw new Error("seed fixtures not found");
  return join(dir, file);
}

// The seed shows only the overlay; this is the minimal base its patches and image override fit.
function baseKustomization(extra: string[] = []): string {
  return stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: ["deployment.yaml", "service.yaml", "settings.yaml", ...extra] });
}
const deployment = stringify({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "my-api" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "my-api" } },
    template: { metadata: { labels: { app: "my-api" } }, spec: { containers: [{ name: "my-api", image: "myorg/my-api:latest", ports: [{ containerPort: 8080 }] }] } },
  },
});
const service = stringify({
  apiVersion: "v1", kind: "Service", metadata: { name: "my-api" },
  spec: { selector: { app: "my-api" }, ports: [{ port: 80, targetPort: 8080 }] },
});
const settings = stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "my-api-settings" }, data: { LOG_LEVEL: "info" } });
const replicaPatch = stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "my-api" }, spec: { replicas: 2 } });
const resourcePatch = stringify({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "my-api" },
  spec: { template: { spec: { containers: [{ name: "my-api", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } } }] } } },
});

test("seed 000 my-api: automated sync, prune, self-heal, retry with backoff to Failed, fix, cascade delete", async (t) => {
  let overlay = "";
  let first = "";
  const w = await createWorld(t, {
    name: "myapi",
    // The repository holds the overlay with its namespace renamed like the Application's
    // destination, which takes the world's id.
    beforeOperator: async (world) => {
      overlay = (await readFile(seedPath(`000/repo-k8s-manifests/${OVERLAY}/kustomization.yaml`), "utf8")).replace(/^namespace: production$/m, `namespace: production-${world.id}`);
      first = await world.git.createRepo("k8s-manifests", {
        [`${OVERLAY}/kustomization.yaml`]: overlay,
        [`${OVERLAY}/replica-patch.yaml`]: replicaPatch,
        [`${OVERLAY}/resource-patch.yaml`]: resourcePatch,
        [`${BASE}/kustomization.yaml`]: baseKustomization(),
        [`${BASE}/deployment.yaml`]: deployment,
        [`${BASE}/service.yaml`]: service,
        [`${BASE}/settings.yaml`]: settings,
      });
    },
  });
  const { client, git, ns } = w;
  const dest = w.dest("production");
  assert.ok(overlay.includes(`namespace: ${dest}`), "the overlay's namespace was renamed");
  assert.equal(await git.revParse("k8s-manifests", "main"), first, "the repository has the seed's targetRevision branch main");

  const log = createLogger({ level: "error" });
  const watchers: Informer[] = [];
  t.after(async () => { await Promise.all(watchers.map((x) => x.stop())); });
  // Every operationState the Application went through, and the order objects disappeared in.
  const opStates: OperationState[] = [];
  const gone: string[] = [];
  const apps = new Informer(client, { apiVersion: API, kind: "Application", namespace: ns, log });
  apps.addHandler({
    add: (o) => { const s = (o.status as AppStatus | undefined)?.operationState; if (s) opStates.push(s); },
    update: (_o, n) => { const s = (n.status as AppStatus | undefined)?.operationState; if (s) opStates.push(s); },
    delete: (o) => gone.push(`${o.kind}/${o.metadata.name}`),
  });
  watchers.push(apps);
  for (const [apiVersion, kind] of [["apps/v1", "Deployment"], ["v1", "Service"], ["v1", "ConfigMap"]] as const) {
    const w = new Informer(client, { apiVersion, kind, namespace: dest, log });
    w.addHandler({ delete: (o) => gone.push(`${o.kind}/${o.metadata.name}`) });
    watchers.push(w);
  }
  for (const x of watchers) x.start();
  await Promise.all(watchers.map((x) => x.waitForSync()));

  // The seed's Application as written, but for the repository URL and the namespaces.
  const app = parse(await readFile(seedPath("000/app-my-api.yaml"), "utf8")) as KubeObject;
  app.metadata.namespace = ns;
  const spec = app.spec as { source: { repoURL: string; targetRevision: string }; destination: { namespace: string } };
  assert.equal(spec.source.targetRevision, "main", "the seed tracks main");
  spec.source.repoURL = git.baseUrl("k8s-manifests");
  spec.destination.namespace = dest;
  await client.create(app);

  const status = (): Promise<AppStatus | undefined> => w.status<AppStatus>("my-api");
  const refresh = (): Promise<void> => w.refresh("my-api");
  const syncedAt = async (sha: string, what: string): Promise<void> => {
    await eventually(async () => {
      const s = await status();
      assert.equal(s?.sync?.revision, sha, `${what}: compared at ${sha}: ${JSON.stringify(s?.sync)}`);
      assert.equal(s?.sync?.status, "Synced", `${what}: synced: ${JSON.stringify(s?.sync)} ${JSON.stringify(s?.conditions)}`);
      assert.equal(s?.health?.status, "Healthy", `${what}: healthy: ${JSON.stringify(s?.health)}`);
      assert.equal(s?.operationState?.phase, "Succeeded", `${what}: the last operation succeeded: ${JSON.stringify(s?.operationState?.message)}`);
    }, { timeoutMs: 120_000, message: what });
  };

  // 1. Automated sync into a namespace the sync creates.
  await syncedAt(first, "initial automated sync");
  assert.ok(await client.get("v1", "Namespace", dest), "CreateNamespace=true created the destination namespace");
  const deploy = await client.get("apps/v1", "Deployment", "my-api", dest);
  assert.ok(deploy, "the overlay's Deployment exists");
  const dspec = deploy.spec as { replicas: number; template: { spec: { containers: Array<{ image: string; resources?: { limits?: Record<string, string> } }> } } };
  assert.equal(dspec.replicas, 2, "the overlay's replica patch applied");
  assert.equal(dspec.template.spec.containers[0]!.image, "myorg/my-api:v1.5.2", "the overlay's image tag applied");
  assert.equal(dspec.template.spec.containers[0]!.resources?.limits?.memory, "256Mi", "the overlay's resource patch applied");
  assert.equal(deploy.metadata.labels?.env, "production", "the overlay's commonLabels applied");
  assert.ok(await client.get("v1", "ConfigMap", "my-api-settings", dest), "the base's ConfigMap exists");

  // 2. Prune: a file removed from git goes from the cluster after a refresh.
  const pruned = await git.commitFiles("k8s-manifests", { [`${BASE}/kustomization.yaml`]: stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: ["deployment.yaml", "service.yaml"] }) }, "drop the settings ConfigMap", { delete: [`${BASE}/settings.yaml`] });
  await refresh();
  await eventually(async () => {
    assert.equal(await client.get("v1", "ConfigMap", "my-api-settings", dest), undefined, "the ConfigMap removed from git is pruned");
  }, { timeoutMs: 90_000, message: "prune" });
  await syncedAt(pruned, "after prune");
  assert.ok(await client.get("apps/v1", "Deployment", "my-api", dest), "the Deployment is not pruned");

  // 3. Self-heal of a deleted Deployment.
  const before = await client.get("apps/v1", "Deployment", "my-api", dest);
  await client.delete({ apiVersion: "apps/v1", kind: "Deployment", name: "my-api", namespace: dest });
  await eventually(async () => {
    const d = await client.get("apps/v1", "Deployment", "my-api", dest);
    assert.ok(d && d.metadata.uid !== before!.metadata.uid, "the deleted Deployment is re-created (new uid)");
  }, { timeoutMs: 90_000, message: "self-heal of a deleted Deployment" });

  // 4. Self-heal of an edited Deployment.
  await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "my-api", namespace: dest }, { spec: { replicas: 5 } });
  await eventually(async () => {
    const d = await client.get("apps/v1", "Deployment", "my-api", dest);
    assert.equal((d?.spec as { replicas?: number }).replicas, 2, "replicas healed back to git's value");
  }, { timeoutMs: 90_000, message: "self-heal of an edited Deployment" });
  await syncedAt(pruned, "after self-heal");

  // 5a. A retry applies again: an immutable ConfigMap made by hand blocks the commit's version of
  // it; once it is deleted, a retry of the same operation creates it and the operation succeeds.
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "frozen", namespace: dest }, immutable: true, data: { a: "0" } });
  const frozenFiles = {
    [`${BASE}/kustomization.yaml`]: stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: ["deployment.yaml", "service.yaml", "frozen.yaml"] }),
    [`${BASE}/frozen.yaml`]: stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "frozen" }, data: { a: "1" } }),
  };
  const frozen = await git.commitFiles("k8s-manifests", frozenFiles, "a ConfigMap that is immutable on the cluster");
  await refresh();
  await eventually(async () => {
    const o = (await status())?.operationState;
    assert.equal(o?.syncResult?.revision, frozen, `the operation is for the frozen commit: ${JSON.stringify(o?.syncResult?.revision)}`);
    assert.ok((o?.retryCount ?? 0) >= 1, `the failed attempt is being retried: ${o?.phase} ${o?.retryCount} ${o?.message}`);
    assert.equal(o?.phase, "Running", `the operation is still running between attempts: ${o?.phase} ${o?.message}`);
  }, { timeoutMs: 120_000, intervalMs: 500, message: "first attempt fails and is retried" });
  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "frozen", namespace: dest });
  const recovered = await eventually(async () => {
    const o = (await status())?.operationState;
    assert.equal(o?.phase, "Succeeded", `a retry succeeds once the obstacle is gone: ${o?.phase} ${o?.retryCount} ${o?.message}`);
    return o;
  }, { timeoutMs: 120_000, intervalMs: 1000, message: "a retry succeeds" });
  assert.equal(recovered.syncResult?.revision, frozen, "the same operation (the frozen commit) succeeded");
  assert.ok((recovered.retryCount ?? 0) >= 1, `it succeeded on a retry: ${recovered.retryCount}`);
  assert.equal(((await client.get("v1", "ConfigMap", "frozen", dest))?.data as Record<string, string> | undefined)?.a, "1", `the retry applied git's ConfigMap: ${JSON.stringify(recovered)}`);

  // 5b. Retry with backoff: a ConfigMap whose name the apiserver rejects fails every attempt; the
  // operation is retried up to the seed's limit (3) and ends Failed with the apiserver's message.
  const seenBefore = opStates.length;
  const bad = await git.commitFiles("k8s-manifests", {
    [`${BASE}/kustomization.yaml`]: stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: ["deployment.yaml", "service.yaml", "frozen.yaml", "bad.yaml"] }),
    [`${BASE}/bad.yaml`]: stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "Bad_Name" }, data: { a: "1" } }),
  }, "a ConfigMap with an invalid name");
  await refresh();
  const failed = await eventually(async () => {
    const s = await status();
    const o = s?.operationState;
    assert.equal(o?.syncResult?.revision, bad, `the operation is for the bad commit: ${JSON.stringify({ sync: s?.sync, conditions: s?.conditions, op: o })}`);
    assert.equal(o?.phase, "Failed", `the operation ends Failed: ${o?.phase} retry ${o?.retryCount} ${o?.message}`);
    return o;
  }, { timeoutMs: 180_000, intervalMs: 1000, message: "retries exhausted" });
  assert.equal(failed.retryCount, 3, `retried up to the limit: ${failed.retryCount}`);
  const apiserverSaid = /Bad_Name.*(RFC 1123|is invalid)|invalid.*Bad_Name/i;
  // Argo's wording for a failed first (dry-run) pass leaves the reason to the resource's result.
  assert.ok(apiserverSaid.test(failed.message ?? "") || (failed.syncResult?.resources ?? []).some((r) => r.name === "Bad_Name" && apiserverSaid.test(r.message ?? "")),
    `the apiserver's rejection is reported: ${failed.message} / ${JSON.stringify(failed.syncResult?.resources)}`);
  const counts = opStates.slice(seenBefore).filter((o) => o.syncResult?.revision === bad).map((o) => o.retryCount ?? 0);
  t.diagnostic(`retryCount sequence observed: ${counts.join(",")}`);
  for (let i = 1; i < counts.length; i++) assert.ok(counts[i]! >= counts[i - 1]!, `retryCount never decreases within the operation: ${counts.join(",")}`);
  for (const n of [1, 2, 3]) assert.ok(counts.includes(n), `retryCount ${n} was recorded while retrying: ${counts.join(",")}`);
  // A failed revision is not re-synced automatically: the operation stays Failed.
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal((await status())?.operationState?.phase, "Failed", "the failed revision is not re-synced by itself");

  // 6. A fixing commit (the ConfigMap renamed to a valid name) syncs again.
  const fixed = await git.commitFiles("k8s-manifests", { [`${BASE}/bad.yaml`]: stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "good-name" }, data: { a: "1" } }) }, "give the ConfigMap a valid name");
  await refresh();
  await syncedAt(fixed, "after the fixing commit");
  assert.equal((await status())?.operationState?.retryCount ?? 0, 0, "the new operation starts with no retries");
  assert.ok(await client.get("v1", "ConfigMap", "good-name", dest), "the fixed ConfigMap is applied");

  // 7. Cascade delete: the resources go, then the Application.
  gone.length = 0;
  await client.delete({ apiVersion: API, kind: "Application", name: "my-api", namespace: ns });
  await eventually(async () => {
    assert.equal(await client.get(API, "Application", "my-api", ns), undefined, "the Application is gone");
  }, { timeoutMs: 120_000, intervalMs: 1000, message: "cascade delete" });
  assert.equal(await client.get("apps/v1", "Deployment", "my-api", dest), undefined, "the Deployment was deleted with the Application");
  assert.equal(await client.get("v1", "Service", "my-api", dest), undefined, "the Service was deleted with the Application");
  assert.equal(await client.get("v1", "ConfigMap", "good-name", dest), undefined, "the ConfigMap was deleted with the Application");
  await eventually(() => assert.ok(gone.includes("Application/my-api"), `the Application's deletion was watched: ${gone.join(",")}`), { timeoutMs: 10_000 });
  t.diagnostic(`deleted, in order: ${gone.join(" | ")}`);
  const appAt = gone.indexOf("Application/my-api");
  for (const r of ["Deployment/my-api", "Service/my-api", "ConfigMap/frozen", "ConfigMap/good-name"]) {
    const at = gone.indexOf(r);
    assert.ok(at >= 0 && at < appAt, `${r} was deleted before the Application: ${gone.join(",")}`);
  }
});
