// RepoCache.treeHash: the id of a path at a commit, which the renderer compares between commits
// (manifest-generate-paths) to skip re-rendering apps a commit did not touch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RepoCache } from "../../operator/git/repo-cache.js";
import { startGitServer } from "../support/git-server.js";

test("treeHash changes only for the paths a commit touched", async (t) => {
  const git = await startGitServer();
  t.after(() => git.stop());
  const first = await git.createRepo("mono", { "apps/a/cm.yaml": "a: 1\n", "apps/b/cm.yaml": "b: 1\n" });
  const second = await git.commitFiles("mono", { "apps/b/cm.yaml": "b: 2\n" }, "change b");
  const cache = new RepoCache({ baseDir: await mkdtemp(join(tmpdir(), "hawser-treehash-")) });
  const url = git.baseUrl("mono");
  const [a1, a2, b1, b2] = await Promise.all([
    cache.treeHash(url, first, "apps/a"), cache.treeHash(url, second, "apps/a"),
    cache.treeHash(url, first, "apps/b"), cache.treeHash(url, second, "apps/b"),
  ]);
  assert.ok(a1 && b1, "both paths have ids");
  assert.equal(a1, a2, "apps/a is unchanged");
  assert.notEqual(b1, b2, "apps/b changed");
  assert.equal(await cache.treeHash(url, second, "apps/missing"), undefined);
  assert.ok(await cache.treeHash(url, second, "."), "the root has an id");
  await assert.rejects(cache.treeHash(url, second, "../x"), /inside the repository/);
});
