import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveInside } from "./paths.js";

test("resolveInside: a `..` after a symlink is judged where the kernel takes it, not only after cleaning", async () => {
  const top = await mkdtemp(join(tmpdir(), "hawser-paths-"));
  const root = join(top, "repo");
  try {
    await mkdir(join(root, "a", "b"), { recursive: true });
    await writeFile(join(top, "x"), "secret");
    await writeFile(join(root, "a", "b", "x"), "decoy");
    // a/b/s -> ../.. is the root itself, an allowed link; `a/b/s/../x` cleans to a/b/x (the
    // decoy, inside) but opened as written it is the file beside the repository.
    await symlink("../..", join(root, "a", "b", "s"));
    await assert.rejects(resolveInside(root, root, "a/b/s/../x", "value file"), /value file "a\/b\/s\/\.\.\/x" is a symlink pointing outside the repository/);
    // Through the same link without climbing, and a plain `..` inside, are fine.
    assert.equal(await resolveInside(root, root, "a/b/s/a/b/x", "value file"), join(root, "a", "b", "x"));
    assert.equal(await resolveInside(root, join(root, "a", "b"), "../b/x", "value file"), join(root, "a", "b", "x"));
    await assert.rejects(resolveInside(root, root, "../x", "value file"), /resolves outside the repository/);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
