// A destination cluster registered by an Argo cluster Secret, and Application deletion with its
// hooks. The operator runs against cluster A; a second real control plane B is registered as
// `remote` with its CA and client certificate in the Secret's config. The Application deploys to
// B only; deleting it runs the PreDelete hook, deletes the resources (Delete=false stays), runs
// the PostDelete hook and lets the Application go, in that order as observed by watches on B.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { Informer } from "../../operator/runtime/informer.js";
import { createLogger } from "../../operator/runtime/logger.js";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

interface AppStatus {
  sync?: { status?: string };
  health?: { status?: string };
  conditions?: Array<{ type: string; message: string }>;
}

function job(name: string, hook: string): Record<string, unknown> {
  return {
    apiVersion: "batch/v1", kind: "Job",
    metadata: { name, annotations: { "argocd.argoproj.io/hook": hook } },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "run", image: "registry.invalid/hook:1" }] } } },
  };
}

test("cluster Secret destination; deletion runs PreDelete, deletes in reverse waves, keeps Delete=false, runs PostDelete", async (t) => {
  // Cluster A is the shared one the operator runs against; B is the world's private remote cluster.
  const w = await createWorld(t, {
    name: "mc",
    remoteCluster: { name: "remote" },
    repos: {
      apps: {
        "app/config.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "1" } }),
        "app/keep.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "keep", annotations: { "argocd.argoproj.io/sync-options": "Delete=false" } }, data: { b: "2" } }),
        "app/deploy.yaml": stringify({
          apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", annotations: { "argocd.argoproj.io/sync-wave": "1" } },
          spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "registry.invalid/web:1" }] } } },
        }),
        "app/pre.yaml": stringify(job("before-delete", "PreDelete")),
        "app/post.yaml": stringify(job("after-delete", "PostDelete")),
      },
    },
  });
  const { client: clientA, git, ns } = w;
  const clientB = w.remote!.client;
  const dest = `remote-${w.id}`;

  const app = (name: string, destination: Record<string, string>): KubeObject => ({
    apiVersion: API, kind: "Application",
    metadata: { name, namespace: ns, finalizers: ["resources-finalizer.argocd.argoproj.io"] },
    spec: {
      project: "default",
      source: { repoURL: git.baseUrl("apps"), path: "app", targetRevision: "HEAD" },
      destination,
      syncPolicy: { automated: { prune: true }, syncOptions: ["CreateNamespace=true"] },
    },
  });
  await clientA.create(app("unknown", { name: "nope", namespace: dest }));
  await clientA.create(app("remote", { name: "remote", namespace: dest }));
  const status = (name: string): Promise<AppStatus | undefined> => w.status<AppStatus>(name);

  await eventually(async () => {
    const s = await status("unknown");
    const c = s?.conditions?.find((x) => x.type === "InvalidSpecError");
    assert.ok(c?.message.includes("there are no clusters with this name: nope"), `unknown cluster named in a condition: ${JSON.stringify(s?.conditions)}`);
  }, { timeoutMs: 60_000 });

  await eventually(async () => {
    const s = await status("remote");
    assert.equal(s?.sync?.status, "Synced", `synced: ${JSON.stringify(s)}`);
    assert.equal(s?.health?.status, "Healthy", "healthy");
  }, { timeoutMs: 120_000 });
  assert.ok(await clientB.get("apps/v1", "Deployment", "web", dest), "the Deployment is in cluster B");
  assert.equal(await clientA.get("v1", "Namespace", dest), undefined, "nothing was created in cluster A");
  assert.equal(await clientB.get("batch/v1", "Job", "before-delete", dest), undefined, "delete hooks do not run during a sync");
  const finalizers = (await clientA.get(API, "Application", "remote", ns))?.metadata.finalizers ?? [];
  assert.ok(finalizers.includes("pre-delete-finalizer.argocd.argoproj.io") && finalizers.includes("post-delete-finalizer.argocd.argoproj.io"), `hook finalizers added: ${finalizers.join(",")}`);

  // Watch B to see the order of what the deletion does.
  const log = createLogger({ level: "error" });
  const seen: string[] = [];
  const watchers = [
    new Informer(clientB, { apiVersion: "batch/v1", kind: "Job", namespace: dest, log }),
    new Informer(clientB, { apiVersion: "apps/v1", kind: "Deployment", namespace: dest, log }),
    new Informer(clientB, { apiVersion: "v1", kind: "ConfigMap", namespace: dest, log }),
  ];
  for (const w of watchers) {
    w.addHandler({
      add: (o) => seen.push(`add ${o.kind}/${o.metadata.name}`),
      update: (_o, n) => { if (n.metadata.deletionTimestamp) seen.push(`deleting ${n.kind}/${n.metadata.name}`); },
      delete: (o) => seen.push(`delete ${o.kind}/${o.metadata.name}`),
    });
    w.start();
    await w.waitForSync();
  }
  t.after(async () => { await Promise.all(watchers.map((w) => w.stop())); });
  const initial = seen.length;

  await clientA.delete({ apiVersion: API, kind: "Application", name: "remote", namespace: ns });
  await eventually(async () => {
    assert.equal(await clientA.get(API, "Application", "remote", ns), undefined, "the Application is gone");
  }, { timeoutMs: 180_000, intervalMs: 1000 });
  const events = seen.slice(initial);
  t.diagnostic(`observed on B: ${events.join(" | ")}`);
  const first = (e: string): number => events.findIndex((x) => x === e);
  const firstOf = (prefix: string): number => events.findIndex((x) => x.startsWith(prefix));
  assert.ok(first("add Job/before-delete") >= 0, "the PreDelete hook ran");
  assert.ok(firstOf("delete Deployment/web") > first("add Job/before-delete"), "resources deleted after the PreDelete hook started");
  assert.ok(first("delete ConfigMap/settings") > first("delete Deployment/web"), "wave 0 deleted after wave 1 was gone");
  assert.ok(first("add Job/after-delete") > first("delete ConfigMap/settings"), "PostDelete hook after the resources");
  assert.ok(await clientB.get("v1", "ConfigMap", "keep", dest), "Delete=false resource left in place");
  assert.equal(await clientB.get("v1", "ConfigMap", "settings", dest), undefined, "other resources deleted");
  await eventually(async () => {
    assert.equal(await clientB.get("batch/v1", "Job", "after-delete", dest), undefined, "the PostDelete hook is cleaned up");
  }, { timeoutMs: 30_000 });
});
