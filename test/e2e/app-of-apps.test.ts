// Issue 5's App of Apps acceptance on the real control plane: seed 001/app-root-app-of-apps.yaml
// (repoURL and namespaces renamed, the resources finalizer added) syncs a path holding child
// Application manifests listed by a kustomization (the shape of seed 003's
// repo-applications-kustomization.yaml). The children appear and sync themselves; the parent's
// health aggregates theirs; a child removed from git is pruned together with its resources; deleting
// the parent deletes the children and theirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { seedsDir } from "../crds/seeds.js";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

const FINALIZER = "resources-finalizer.argocd.argoproj.io";

interface AppStatus {
  sync?: { status?: string; revision?: string };
  health?: { status?: string; message?: string };
  resources?: Array<{ group?: string; kind?: string; name?: string; health?: { status?: string } }>;
  operationState?: { phase?: string; message?: string };
  conditions?: Array<{ type: string; message: string }>;
}

function seedPath(file: string): string {
  const dir = seedsDir();
  if (!dir) throw new Error("seed fixtures not found");
  return join(dir, file);
}

test("seed 001 app of apps: children created and synced, health aggregated, a child pruned, cascade delete", async (t) => {
  // The repository holds child Applications in the world's namespace: written before the operator starts.
  const w = await createWorld(t, { name: "aoa", startOperator: false });
  const { client, git, ns } = w;
  const children = ["web", "api", "worker"] as const;
  const destOf = (c: string): string => w.dest(c);

  const repoURL = git.baseUrl("helm-charts");
  const child = (name: string): string => stringify({
    apiVersion: API, kind: "Application",
    metadata: { name, namespace: ns, finalizers: [FINALIZER] },
    spec: {
      project: "default",
      source: { repoURL, path: `services/${name}`, targetRevision: "main" },
      destination: { server: "https://kubernetes.default.svc", namespace: destOf(name) },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
    },
  });
  const deployment = (name: string, paused: boolean): string => stringify({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name },
    spec: {
      replicas: 1, ...(paused ? { paused: true } : {}),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `registry.invalid/${name}:1` }] } },
    },
  });
  const config = (name: string): string => stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-config` }, data: { service: name } });
  const kustomization = (names: readonly string[]): string => stringify({ resources: names.map((n) => `${n}.yaml`) });
  const files: Record<string, string> = { "apps/kustomization.yaml": kustomization(children) };
  for (const c of children) {
    files[`apps/${c}.yaml`] = child(c);
    files[`services/${c}/config.yaml`] = config(c);
    // The worker's Deployment starts paused (Suspended), so the parent's health has something to show.
    files[`services/${c}/deployment.yaml`] = deployment(c, c === "worker");
  }
  await git.createRepo("helm-charts", files);

  await w.startOperator();

  // The seed's root Application as written, but for the URL, the namespaces and the finalizer.
  const root = parse(await readFile(seedPath("001/app-root-app-of-apps.yaml"), "utf8")) as KubeObject;
  root.metadata.namespace = ns;
  root.metadata.finalizers = [FINALIZER];
  const spec = root.spec as { source: { repoURL: string; path: string }; destination: { namespace: string } };
  assert.equal(spec.source.path, "apps", "the seed's root syncs the apps/ path");
  spec.source.repoURL = repoURL;
  spec.destination.namespace = ns;
  await client.create(root);

  const status = (name: string): Promise<AppStatus | undefined> => w.status<AppStatus>(name);
  const show = (s: AppStatus | undefined): string => JSON.stringify({ sync: s?.sync?.status, health: s?.health, op: s?.operationState?.phase, msg: s?.operationState?.message, conditions: s?.conditions });

  // Children are created by the parent's sync and sync themselves.
  await eventually(async () => {
    for (const c of children) {
      const s = await status(c);
      assert.equal(s?.sync?.status, "Synced", `child ${c} synced: ${show(s)}`);
      assert.ok(await client.get("v1", "ConfigMap", `${c}-config`, destOf(c)), `child ${c}'s ConfigMap exists`);
    }
  }, { timeoutMs: 180_000, intervalMs: 1000, message: "children created and synced" });
  for (const c of ["web", "api"]) {
    await eventually(async () => assert.equal((await status(c))?.health?.status, "Healthy", `child ${c} healthy`), { timeoutMs: 90_000, message: `child ${c} healthy` });
  }

  // The parent's health aggregates the children's: the worker is Suspended (paused Deployment).
  await eventually(async () => {
    const w = await status("worker");
    assert.equal(w?.health?.status, "Suspended", `the worker child is Suspended: ${show(w)}`);
    const r = await status("root-app");
    assert.equal(r?.sync?.status, "Synced", `the parent is synced: ${show(r)}`);
    const entry = r?.resources?.find((x) => x.kind === "Application" && x.name === "worker");
    assert.equal(entry?.health?.status, "Suspended", `the parent's resource entry for the worker carries its health: ${JSON.stringify(r?.resources)}`);
    assert.equal(r?.health?.status, "Suspended", `the parent's health is its worst child's: ${show(r)}`);
  }, { timeoutMs: 90_000, intervalMs: 1000, message: "parent aggregates a Suspended child" });

  // The parent moves the worker to a path whose Deployment runs: the child's spec change comes
  // through the parent's sync, and the worker, then the parent, become Healthy. (A new Deployment
  // rather than dropping `paused` from the old one: a field removed from git is not seen as drift.)
  const refresh = (name: string): Promise<void> => w.refresh(name);
  await git.commitFiles("helm-charts", {
    "apps/worker.yaml": child("worker").replace("path: services/worker\n", "path: services/worker-v2\n"),
    "services/worker-v2/config.yaml": config("worker"),
    "services/worker-v2/deployment.yaml": deployment("worker2", false),
  }, "move the worker to a running Deployment");
  await refresh("root-app");
  await eventually(async () => {
    const w = await client.get(API, "Application", "worker", ns);
    assert.equal((w?.spec as { source?: { path?: string } } | undefined)?.source?.path, "services/worker-v2", "the parent synced the child's new spec");
  }, { timeoutMs: 90_000, intervalMs: 1000, message: "child spec updated by the parent" });
  await eventually(async () => {
    assert.equal((await status("worker"))?.health?.status, "Healthy", "the worker child is Healthy");
    const r = await status("root-app");
    assert.equal(r?.health?.status, "Healthy", `the parent is Healthy once every child is: ${show(r)}`);
  }, { timeoutMs: 120_000, intervalMs: 1000, message: "parent Healthy with healthy children" });

  // A child removed from git is pruned by the parent, and its finalizer deletes its resources.
  await git.commitFiles("helm-charts", { "apps/kustomization.yaml": kustomization(["web", "worker"]) }, "drop the api child", { delete: ["apps/api.yaml"] });
  await refresh("root-app");
  await eventually(async () => {
    assert.equal(await client.get(API, "Application", "api", ns), undefined, "the api child Application is pruned");
    assert.equal(await client.get("v1", "ConfigMap", "api-config", destOf("api")), undefined, "the api child's ConfigMap is deleted with it");
    assert.equal(await client.get("apps/v1", "Deployment", "api", destOf("api")), undefined, "the api child's Deployment is deleted with it");
  }, { timeoutMs: 120_000, intervalMs: 1000, message: "child pruned with its resources" });
  assert.ok(await client.get(API, "Application", "web", ns), "the other children stay");

  // Deleting the parent deletes the children and, through their finalizers, their resources.
  await client.delete({ apiVersion: API, kind: "Application", name: "root-app", namespace: ns });
  await eventually(async () => {
    assert.equal(await client.get(API, "Application", "root-app", ns), undefined, "the parent is gone");
  }, { timeoutMs: 180_000, intervalMs: 1000, message: "parent deleted" });
  for (const c of ["web", "worker"]) {
    assert.equal(await client.get(API, "Application", c, ns), undefined, `child ${c} was deleted before the parent went`);
    assert.equal(await client.get("v1", "ConfigMap", `${c}-config`, destOf(c)), undefined, `child ${c}'s ConfigMap was deleted`);
    assert.equal(await client.get("apps/v1", "Deployment", c === "worker" ? "worker2" : c, destOf(c)), undefined, `child ${c}'s Deployment was deleted`);
  }
});
