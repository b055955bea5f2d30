import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkOutOfBoundsSymlinks, OutOfBoundsSymlinkError, SymlinkVerdicts } from "./containment.js";

/** A repository at <tmp>/repo with a sentinel file beside it, outside. */
async function tree(links: Record<string, string>, files: string[] = ["a/b/c/file.yaml", "x/y.yaml"]): Promise<{ root: string; dispose: () => Promise<void> }> {
  const base = await mkdtemp(join(tmpdir(), "hawser-oob-"));
  const root = join(base, "repo");
  await writeFile(join(base, "sentinel"), "SECRET");
  for (const f of files) {
    await mkdir(join(root, f, ".."), { recursive: true });
    await writeFile(join(root, f), "kind: ConfigMap\n");
  }
  for (const [path, target] of Object.entries(links)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await symlink(target, join(root, path));
  }
  return { root, dispose: () => rm(base, { recursive: true, force: true }) };
}

async function refused(links: Record<string, string>, file: string): Promise<void> {
  const t = await tree(links);
  try {
    await assert.rejects(checkOutOfBoundsSymlinks(t.root), (err: unknown) => {
      assert.ok(err instanceof OutOfBoundsSymlinkError, `expected an OutOfBoundsSymlinkError for ${JSON.stringify(links)}, got ${String(err)}`);
      assert.equal(err.file, file);
      assert.equal(err.message, `repository contains out-of-bounds symlinks. file: ${file}`);
      assert.ok(!err.message.includes("sentinel"), "the message never names the target");
      return true;
    });
  } finally {
    await t.dispose();
  }
}

async function allowed(links: Record<string, string>): Promise<void> {
  const t = await tree(links);
  try {
    await checkOutOfBoundsSymlinks(t.root);
  } finally {
    await t.dispose();
  }
}

test("links leaving the root are refused, at any depth, naming the link", async () => {
  await refused({ "files/x": "../../sentinel" }, "files/x");
  await refused({ "deep/er/still/x": "../../../../sentinel" }, "deep/er/still/x");
  await refused({ "abs": "/etc/hostname" }, "abs");
  // Argo refuses absolute targets even when they would land inside (the root's path is arbitrary).
  await refused({ "abs-in": "/tmp" }, "abs-in");
  // A prefix that climbs out and comes back is refused (Argo's per-component rule).
  await refused({ "back": "../repo/x/y.yaml" }, "back");
  // Pointing at the root's parent directory.
  await refused({ "up": ".." }, "up");
});

test("chains are followed the way the kernel follows them", async () => {
  // x/s -> .. is the root itself (allowed), so `x/s/../sentinel` reads the file beside the root,
  // while the lexical rule sees `x/sentinel`, inside. Only the physical walk catches it.
  await refused({ "x/s": "..", "l": "x/s/../sentinel" }, "l");
  // A link to a link that leaves: the first one is refused because its resolution leaves.
  await refused({ "a1": "a2", "a2": "../sentinel" }, "a1");
  // Through a directory link deeper down.
  await refused({ "lib": "a/b/c", "a/b/c/up": "../../../../sentinel" }, "a/b/c/up");
});

test("links inside the root, loops and dangling links are allowed and do not hang", async () => {
  await allowed({ "link.yaml": "x/y.yaml", "dir": "a/b", "a/b/c/back": "../../../x", "chain1": "chain2", "chain2": "dir/c/file.yaml" });
  await allowed({ "loop1": "loop2", "loop2": "loop1", "self": "self", "dirloop": "." , "a/up": ".." });
  await allowed({ "dangling": "missing/file", "dangling-dir/x": "../nothing/here" });
  // A dangling link whose remaining path climbs out is still refused (it could be created later).
  await refused({ "d": "missing/../../sentinel" }, "d");
});

test("verdicts are cached per key; a tree without a key walks every time", async () => {
  const t = await tree({});
  const verdicts = new SymlinkVerdicts();
  try {
    await verdicts.check(t.root, "repo@1");
    // The tree changes under the same key (a real checkout never does): the cached verdict stands,
    // which proves the second call did not walk.
    await symlink("../sentinel", join(t.root, "late"));
    await verdicts.check(t.root, "repo@1");
    await assert.rejects(verdicts.check(t.root, "repo@2"), OutOfBoundsSymlinkError);
    await assert.rejects(verdicts.check(t.root), OutOfBoundsSymlinkError);
    assert.equal(verdicts.size, 2, "both keyed verdicts are kept");
  } finally {
    await t.dispose();
  }
});
