import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CatFileBatch, ObjectTooLargeError } from "./batch.js";

async function repoWith(files: Record<string, string | Buffer>): Promise<{ dir: string; sha: string }> {
  const dir = await mkdtemp(join(tmpdir(), "hawser-batch-"));
  const git = (...args: string[]): string => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q");
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  git("add", ".");
  git("commit", "-q", "-m", "c");
  return { dir, sha: git("rev-parse", "HEAD") };
}

test("cat-file batch: pipelined reads, missing and empty objects, and content byte for byte", async (t) => {
  const big = Buffer.alloc(5 * 1024 * 1024, "x");
  const { dir, sha } = await repoWith({ "a.yaml": "a: 1\n", "empty": "", "big": big, "nl": "\n\n" });
  t.after(() => rm(dir, { recursive: true, force: true }));
  const batch = new CatFileBatch(join(dir, ".git"));
  t.after(() => batch.close());
  const [a, missing, empty, b, nl] = await Promise.all([
    batch.read(`${sha}:a.yaml`), batch.read(`${sha}:nope`), batch.read(`${sha}:empty`), batch.read(`${sha}:big`), batch.read(`${sha}:nl`),
  ]);
  assert.equal(a?.content.toString(), "a: 1\n", "small file");
  assert.equal(missing, undefined, "missing path");
  assert.equal(empty?.content.length, 0, "empty file");
  assert.ok(b?.content.equals(big), "5 MiB file intact");
  assert.equal(nl?.content.toString(), "\n\n", "content ending in newlines");
});

test("cat-file batch: an object over maxBytes is refused from its header and the stream stays in step (attack: a huge file was buffered whole)", async (t) => {
  const huge = Buffer.alloc(48 * 1024 * 1024, "y");
  const { dir, sha } = await repoWith({ "huge.yaml": huge, "after.yaml": "after: true\n" });
  t.after(() => rm(dir, { recursive: true, force: true }));
  const batch = new CatFileBatch(join(dir, ".git"));
  t.after(() => batch.close());
  global.gc?.();
  const before = process.memoryUsage().rss;
  const refused = batch.read(`${sha}:huge.yaml`, { maxBytes: 1024 * 1024 });
  const after = batch.read(`${sha}:after.yaml`, { maxBytes: 1024 * 1024 });
  await assert.rejects(refused, (e: unknown) => e instanceof ObjectTooLargeError && e.size === huge.length, "refused with its size");
  assert.equal((await after)?.content.toString(), "after: true\n", "the next answer is read correctly after the skipped content");
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < huge.length, `the skipped content was not held in memory (RSS grew ${Math.round(grown / 1024 / 1024)} MiB for a 48 MiB object)`);
});
