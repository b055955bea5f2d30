// Seed 002 end to end through the operator: the dev Application syncs automatically; deleting its
// Deployment by hand is healed; editing the Deployment by hand is seen (OutOfSync) and healed;
// a commit changing the overlay is synced.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { fromDir } from "../support/git-server.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { createWorld } from "../support/world.js";

const seed = fileURLToPath(new URL("../../hack/demo/seed-002", import.meta.url));

interface AppStatus { sync?: { status?: string; revision?: string }; health?: { status?: string } }

test("seed 002: automated sync, self-heal of a deleted and an edited Deployment, a new commit synced", async (t) => {
  const w = await createWorld(t, { name: "sh", repos: { demo: fromDir(join(seed, "repo-argocd-kustomize-demo")) } });
  const { client, git, ns } = w;
  const dest = w.dest("dev");

  const app = parse(await readFile(join(seed, "app-demo-dev.yaml"), "utf8")) as KubeObject;
  app.metadata.namespace = ns;
  const spec = app.spec as { project: string; source: { repoURL: string }; destination: { namespace: string } };
  spec.project = "default";
  spec.source.repoURL = git.baseUrl("demo");
  spec.destination.namespace = dest;
  await client.create(app);

  const status = (): Promise<AppStatus | undefined> => w.status<AppStatus>("demo-dev");
  await eventually(async () => {
    const s = await status();
    assert.equal(s?.sync?.status, "Synced", "synced");
    assert.equal(s?.health?.status, "Healthy", "healthy");
  }, { timeoutMs: 90_000 });
  assert.ok(await client.get("apps/v1", "Deployment", "dev-demo", dest), "the overlay's Deployment exists");

  // Deleted by hand: self-heal puts it back.
  const before = await client.get("apps/v1", "Deployment", "dev-demo", dest);
  await client.delete({ apiVersion: "apps/v1", kind: "Deployment", name: "dev-demo", namespace: dest });
  await eventually(async () => {
    const d = await client.get("apps/v1", "Deployment", "dev-demo", dest);
    assert.ok(d && d.metadata.uid !== before!.metadata.uid, "re-created with a new uid");
  }, { timeoutMs: 60_000 });

  // Edited by hand: seen as drift, then healed back to git's replicas.
  await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "dev-demo", namespace: dest }, { spec: { replicas: 3 } });
  await eventually(async () => {
    const d = await client.get("apps/v1", "Deployment", "dev-demo", dest);
    assert.equal((d?.spec as { replicas?: number }).replicas, 1, "replicas healed to git's value");
  }, { timeoutMs: 60_000 });

  // A commit changing the overlay is synced.
  const overlay = (await readFile(join(seed, "repo-argocd-kustomize-demo", "overlays", "dev", "kustomization.yaml"), "utf8")).replace('value: "Dev"', 'value: "Dev2"');
  const sha = await git.commitFiles("demo", { "overlays/dev/kustomization.yaml": overlay }, "dev: new APP_NAME");
  await w.refresh("demo-dev");
  await eventually(async () => {
    const s = await status();
    assert.equal(s?.sync?.revision, sha, "the new commit is compared");
    assert.equal(s?.sync?.status, "Synced", "and synced");
    const d = await client.get("apps/v1", "Deployment", "dev-demo", dest);
    const env = ((d?.spec as { template: { spec: { containers: Array<{ env?: Array<{ name: string; value: string }> }> } } }).template.spec.containers[0]!.env ?? []);
    assert.ok(env.some((e) => e.name === "APP_NAME" && e.value === "Dev2"), "the Deployment carries the new value");
  }, { timeoutMs: 90_000 });
});
