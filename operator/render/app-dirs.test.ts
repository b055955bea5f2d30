import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinPlugins } from "../../plugins/index.js";
import { discoverApps } from "./app-dirs.js";

test("discoverApps: a directory holding only parameter override files is not an application, even one shaped like a manifest", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "hawser-app-dirs-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
  const files: Record<string, string> = {
    "plain/cm.yaml": cm,
    "plain/.argocd-source.yaml": "directory: {recurse: true}\n",
    "overrides-only/.argocd-source.yaml": cm,
    "overrides-only/.argocd-source-web.yaml": cm,
    "kust/kustomization.yaml": "resources: []\n",
    "kust/.argocd-source.yaml": "kustomize: {namePrefix: p-}\n",
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), content);
  }
  assert.deepEqual(await discoverApps(root, builtinPlugins()), [{ path: "kust", tool: "Kustomize" }, { path: "plain", tool: "Directory" }]);
});
