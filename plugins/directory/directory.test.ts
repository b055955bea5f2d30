import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../../operator/runtime/logger.js";
import { directoryPlugin } from "./index.js";
import type { RenderRequest } from "../types.js";

async function repo(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "hawser-dir-"));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

function request(root: string, path: string, directory: Record<string, unknown> = {}): RenderRequest {
  return {
    appName: "app", appNamespace: "argocd", project: "default", repoRoot: root, appDir: join(root, path),
    source: { path, directory }, revision: "0".repeat(40), destinationNamespace: "default", env: {},
  };
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
const ctx = { log: memoryLogger().logger };

test("reads YAML and JSON, multi-document files and List kinds, in file-name order", async () => {
  const root = await repo({
    "app/b.yaml": `${cm("b1")}---\n---\n${cm("b2")}`,
    "app/a.json": JSON.stringify({ apiVersion: "v1", kind: "List", items: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "s" } }] }),
    "app/notes.txt": "ignored",
    "app/sub/c.yml": cm("c"),
  });
  const out = await directoryPlugin.generate(request(root, "app"), ctx);
  assert.deepEqual(out.manifests.map((m) => m.metadata.name), ["s", "b1", "b2"], "sub/ is skipped without recurse");
  const rec = await directoryPlugin.generate(request(root, "app", { recurse: true }), ctx);
  assert.deepEqual(rec.manifests.map((m) => m.metadata.name), ["s", "b1", "b2", "c"]);
});

test("parameter override files (.argocd-source.yaml, .argocd-source-<app>.yaml) are never read as manifests, at any depth, even when included by name", async () => {
  const override = "directory:\n  recurse: true\nhelm:\n  parameters:\n  - {name: a, value: b}\n";
  const root = await repo({
    "app/cm.yaml": cm("cm"),
    "app/.argocd-source.yaml": override,
    "app/.argocd-source-app.yaml": override,
    "app/.argocd-source-argocd_app.yaml": override,
    // An override file that looks like a manifest is still an override file.
    "app/.argocd-source-other.yaml": cm("smuggled"),
    "app/sub/.argocd-source.yaml": cm("smuggled-deep"),
    "app/sub/deep.yaml": cm("deep"),
    // Not an override name (Argo reads only the .yaml spelling): an ordinary manifest file.
    "app/.argocd-source.yml": cm("yml-spelling"),
  });
  const out = await directoryPlugin.generate(request(root, "app", { recurse: true }), ctx);
  assert.deepEqual(out.manifests.map((m) => m.metadata.name), ["yml-spelling", "cm", "deep"]);
  const named = await directoryPlugin.generate(request(root, "app", { recurse: true, include: "{.argocd-source*.yaml,sub/.argocd-source.yaml}" }), ctx);
  assert.deepEqual(named.manifests, []);
});

test("include and exclude globs; exclude wins", async () => {
  const root = await repo({ "app/keep.yaml": cm("keep"), "app/drop.yaml": cm("drop"), "app/x/deep.yaml": cm("deep") });
  const out = await directoryPlugin.generate(request(root, "app", { recurse: true, include: "*.yaml", exclude: "{drop.yaml,x/*}" }), ctx);
  assert.deepEqual(out.manifests.map((m) => m.metadata.name), ["keep"]);
});

test("a symlink pointing outside the repository is refused", async () => {
  const outside = await repo({ "secret.yaml": cm("stolen") });
  const root = await repo({ "app/ok.yaml": cm("ok") });
  await symlink(join(outside, "secret.yaml"), join(root, "app", "link.yaml"));
  await assert.rejects(directoryPlugin.generate(request(root, "app"), ctx), /symlink pointing outside the repository/);
});

test("a source path escaping the repository is refused", async () => {
  const root = await repo({ "app/ok.yaml": cm("ok") });
  await assert.rejects(directoryPlugin.generate(request(root, "../.."), ctx), /outside the repository/);
});

test("YAML alias bombs and invalid documents give clear errors", async () => {
  const bomb = ["a: &a [x,x,x,x,x,x,x,x,x,x]"];
  for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(",")}]`);
  const root = await repo({ "bomb/x.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n${bomb.map((l) => "  " + l).join("\n")}\n`, "bad/y.yaml": "kind: [unclosed" });
  await assert.rejects(directoryPlugin.generate(request(root, "bomb"), ctx), /bomb\/x\.yaml: .*alias/i);
  await assert.rejects(directoryPlugin.generate(request(root, "bad"), ctx), /bad\/y\.yaml: invalid YAML/);
});
