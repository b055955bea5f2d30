import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalDirSource } from "./live-diff.js";

test("LocalDirSource serves one directory for --local and refuses paths outside it", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "hawser-local-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, "app"));
  await writeFile(join(root, "app", ".argocd-source.yaml"), "kustomize: {}\n");
  const src = new LocalDirSource(root);
  const rev = await src.resolveRevision();
  assert.equal((await src.readFile("any", rev, "app/.argocd-source.yaml")).toString(), "kustomize: {}\n");
  await assert.rejects(src.readFile("any", rev, "../etc/passwd"), /outside/);
  const co = await src.checkout("any");
  assert.equal(co.path, root, "the work tree is the directory itself");
});
