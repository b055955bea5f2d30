// A field removed from git must be seen as drift and removed from the cluster, as Argo CD's
// three-way diff (against what was last applied) does. Found by the app-of-apps acceptance: a
// Deployment's `paused: true` dropped from git left the app Synced and the Deployment paused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { eventually } from "../support/eventually.js";
import { createWorld } from "../support/world.js";

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
  const w = await createWorld(t, { name: "rmf", repos: { app: { "app/deploy.yaml": deployment(true) } } });
  const { client, git } = w;
  const dest = w.dest("rmf");
  await client.create(w.application("web", {
    repo: "app", path: "app", targetRevision: "main", dest,
    syncPolicy: { automated: { prune: true }, syncOptions: ["CreateNamespace=true"] },
  }));
  const paused = async (): Promise<unknown> => ((await client.get("apps/v1", "Deployment", "web", dest))?.spec as { paused?: boolean } | undefined)?.paused;
  await eventually(async () => assert.equal(await paused(), true, "git's paused Deployment applied"), { timeoutMs: 90_000, message: "initial sync" });

  const sha = await git.commitFiles("app", { "app/deploy.yaml": deployment(false) }, "drop paused");
  // `hawser app diff` must see the same drift the controller will (issue 11): the field git no
  // longer declares is a difference. The controller has not looked at the new commit yet (no resync,
  // no refresh), so nothing has been synced away.
  const diff = await w.hawserApp("diff", "web", "--revision", sha);
  assert.equal(diff.code, 1, `hawser app diff reports the removed field as a difference (exit 1): ${diff.stdout}${diff.stderr}`);
  assert.match(diff.stdout, /^-\s+paused: true$/m, `the diff shows paused going away: ${diff.stdout}`);
  assert.equal(await paused(), true, "nothing was synced while diffing");
  await w.refresh("web");
  await eventually(async () => {
    const s = await w.status<{ sync?: { revision?: string } }>("web");
    assert.equal(s?.sync?.revision, sha, "the new commit is compared");
    assert.notEqual(await paused(), true, "the field removed from git is removed from the Deployment");
  }, { timeoutMs: 90_000, message: "removed field synced" });
});
