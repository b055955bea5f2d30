import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateCopy } from "./copy.js";

test("private copies leave out .git, keep symlinks as links, and refuse huge trees", async () => {
  const root = await mkdtemp(join(tmpdir(), "hawser-copy-"));
  await mkdir(join(root, ".git"), { recursive: true });
  await writeFile(join(root, ".git", "HEAD"), "ref");
  await mkdir(join(root, "app"), { recursive: true });
  await writeFile(join(root, "app", "a.yaml"), "a");
  await symlink("a.yaml", join(root, "app", "link.yaml"));
  const copy = await privateCopy(root, join(root, "app"));
  assert.equal(await readFile(join(copy.appDir, "a.yaml"), "utf8"), "a");
  assert.equal(await readFile(join(copy.appDir, "link.yaml"), "utf8"), "a");
  await assert.rejects(stat(join(copy.root, ".git")));
  await writeFile(join(copy.appDir, "a.yaml"), "changed");
  assert.equal(await readFile(join(root, "app", "a.yaml"), "utf8"), "a", "the original is untouched");
  await copy.dispose();
  await assert.rejects(stat(copy.root));
  await assert.rejects(privateCopy(root, join(root, "app"), "hawser-copy-", 2), /too large to copy/);
  await rm(root, { recursive: true, force: true });
});
