// RepoCache.readFile / readFileIfPresent over a real git server: absent files, size limits, and the
// memo of commits already in the object database (renders read three override files each).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RepoCache } from "../../operator/git/repo-cache.js";
import { FileTooLargeError, GitError } from "../../operator/git/types.js";
import { startGitServer } from "../support/git-server.js";

test("readFileIfPresent: content, undefined when absent, the size limit and non-files still refused", async (t) => {
  const git = await startGitServer();
  t.after(() => git.stop());
  const sha = await git.createRepo("r", { "app/cm.yaml": "a: 1\n", "big.txt": "x".repeat(2048) });
  const cache = new RepoCache({ baseDir: await mkdtemp(join(tmpdir(), "hawser-readfile-")) });
  const url = git.baseUrl("r");
  assert.equal((await cache.readFileIfPresent(url, sha, "app/cm.yaml"))?.toString("utf8"), "a: 1\n");
  assert.equal(await cache.readFileIfPresent(url, sha, "app/.argocd-source.yaml"), undefined, "absent is undefined");
  await assert.rejects(cache.readFile(url, sha, "app/.argocd-source.yaml"), (err: unknown) => err instanceof GitError && /not found/.test(err.message), "readFile still rejects");
  await assert.rejects(cache.readFileIfPresent(url, sha, "big.txt", { maxBytes: 1024 }), FileTooLargeError);
  await assert.rejects(cache.readFileIfPresent(url, sha, "app"), /is a tree, not a file/);
  await assert.rejects(cache.readFileIfPresent(url, sha, "../x"), /inside the repository/);
});

test("a commit seen once is not looked up again: its local ref gone, reads fetch nothing", async (t) => {
  const git = await startGitServer();
  t.after(() => git.stop());
  const sha = await git.createRepo("r", { "cm.yaml": "a: 1\n" });
  const baseDir = await mkdtemp(join(tmpdir(), "hawser-readfile-"));
  const cache = new RepoCache({ baseDir });
  const url = git.baseUrl("r");
  assert.equal(await cache.resolveRevision(url, "HEAD"), sha);
  assert.ok(await cache.readFile(url, sha, "cm.yaml"));
  const fetches = cache.stats.fetch;
  assert.ok(fetches >= 1, "the first read fetched");
  // Without the memo, the listing names refs/heads/main at sha, the local ref no longer says so,
  // and the read would fetch again.
  const [repoDir] = await readdir(join(baseDir, "repos"));
  await rm(join(baseDir, "repos", repoDir!, "refs", "heads"), { recursive: true, force: true });
  for (let i = 0; i < 5; i++) assert.equal((await cache.readFile(url, sha, "cm.yaml")).toString("utf8"), "a: 1\n");
  assert.equal(await cache.readFileIfPresent(url, sha, "missing.yaml"), undefined);
  assert.equal(cache.stats.fetch, fetches, "no fetch after the commit was known present");
});

test("a work tree checked out again while its eviction is under way is whole, not moved away under the reader", async (t) => {
  const git = await startGitServer();
  t.after(() => git.stop());
  const a = await git.createRepo("r", { "cm.yaml": "a: 1\n" });
  const b = await git.commitFiles("r", { "cm.yaml": "a: 2\n" }, "second");
  const cache = new RepoCache({ baseDir: await mkdtemp(join(tmpdir(), "hawser-evict-")), maxTrees: 1 });
  t.after(() => cache.close());
  const url = git.baseUrl("r");
  (await cache.checkout(url, a)).release();
  // Checking out b and releasing it evicts a: its entry goes at once, its directory is renamed
  // away a moment later. Checking a out again in that moment must not hand out the doomed path.
  const cb = await cache.checkout(url, b);
  cb.release();
  const again = await cache.checkout(url, a);
  t.after(() => again.release());
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(existsSync(join(again.path, "cm.yaml")), true, "the tree handed out is still there");
  assert.equal(await readFile(join(again.path, "cm.yaml"), "utf8"), "a: 1\n");
});
