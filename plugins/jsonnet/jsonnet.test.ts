import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { resolveTool } from "../../operator/tools/index.js";
import { memoryLogger } from "../../operator/runtime/logger.js";
import { directoryPlugin } from "../directory/index.js";
import { baseToolEnv, runTool } from "../exec.js";
import { parseJsonManifests } from "../manifests.js";
import type { RenderRequest, SourceSpec } from "../types.js";
import { checkJsonnetImports, jsonnetArgs, scanJsonnetImports } from "./index.js";

const testdata = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const ctx = { log: memoryLogger().logger };

function request(root: string, source: SourceSpec): RenderRequest {
  return {
    appName: "my-app", appNamespace: "argocd", project: "default", repoRoot: root, appDir: join(root, source.path ?? "."),
    source, revision: "0".repeat(40), destinationNamespace: "default", env: { ARGOCD_APP_NAME: "my-app" },
  };
}

test("jsonnetArgs: table", () => {
  assert.deepEqual(jsonnetArgs("/r/a.jsonnet", { jpaths: ["/r/lib"], extVars: [{ name: "a", value: "$X" }, { name: "b", value: "1+1", code: true }], tlas: [{ name: "t", value: "v" }] }, { X: "x" }),
    ["-J", "/r/lib", "--ext-str", "a=x", "--ext-code", "b=1+1", "--tla-str", "t=v", "--", "/r/a.jsonnet"]);
});

test("scanJsonnetImports skips comments and strings and refuses non-literal operands", () => {
  const src = `// import 'c1'\n/* importstr "c2" */\n# import 'c3'\nlocal a = import 'x.libsonnet';\nlocal b = importstr @"y\\z.txt";\nlocal s = "import 'nope'";\nlocal t = 'it''s';\nimportbin "b.bin"`;
  assert.deepEqual(scanJsonnetImports(src), [{ kind: "import", path: "x.libsonnet" }, { kind: "importstr", path: "y\\z.txt" }, { kind: "importbin", path: "b.bin" }]);
  assert.throws(() => scanJsonnetImports("importstr |||\n  /etc/passwd\n|||"), /plain string literal/);
});

test("golden: directory app with jsonnet equals the jsonnet CLI (extVars, TLAs, libs)", async () => {
  const root = await mkdtemp(join(tmpdir(), "hawser-jsonnet-"));
  await cp(join(testdata, "tla", "repo"), root, { recursive: true });
  const c = parseYaml(await readFile(join(testdata, "tla", "case.yaml"), "utf8")) as { source: SourceSpec; direct: string[] };
  const ours = await directoryPlugin.generate(request(root, c.source), ctx);
  const direct = await runTool(await resolveTool("jsonnet"), c.direct, { env: baseToolEnv(), cwd: root });
  assert.deepEqual(ours.manifests, parseJsonManifests(direct.stdout, { source: "direct" }));
  assert.deepEqual(ours.manifests.map((m) => m.metadata.name), ["cfg-local", "from-code"]);
  assert.deepEqual(ours.manifests[1]!.data, { sum: "42", app: "my-app" });
  await rm(root, { recursive: true, force: true });
});

test("jsonnet imports escaping the repository are refused", async () => {
  const top = await mkdtemp(join(tmpdir(), "hawser-jsonnet-escape-"));
  const root = join(top, "repo");
  await mkdir(join(root, "app"), { recursive: true });
  await writeFile(join(top, "secret.txt"), "s3cret");
  await writeFile(join(top, "evil.libsonnet"), "{}");
  const render = async (src: string, extra: Record<string, unknown> = {}) => {
    await writeFile(join(root, "app", "main.jsonnet"), src);
    return directoryPlugin.generate(request(root, { path: "app", directory: extra }), ctx);
  };
  await assert.rejects(render(`{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}, data: {s: importstr '../../secret.txt'} }`), /resolves outside the repository/);
  await assert.rejects(render(`{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}, data: {s: importstr '/etc/hostname'} }`), /absolute path/);
  await assert.rejects(render(`(import '../../evil.libsonnet') + {}`), /resolves outside the repository/);
  await symlink(join(top, "secret.txt"), join(root, "app", "link.txt"));
  await assert.rejects(render(`{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}, data: {s: importstr 'link.txt'} }`), /symlink pointing outside/);
  // An import reached through another file is checked too.
  await writeFile(join(root, "app", "inner.libsonnet"), "importstr '../../secret.txt'");
  await rm(join(root, "app", "link.txt"));
  await assert.rejects(render(`{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}, data: {s: import 'inner.libsonnet'} }`), /inner\.libsonnet: importstr "\.\.\/\.\.\/secret\.txt" resolves outside/);
  await assert.rejects(render(`{}`, { jsonnet: { libs: ["../.."] } }), /jsonnet library path "\.\.\/\.\." resolves outside/);
  await rm(join(root, "app", "inner.libsonnet"));
  const ok = await render(`{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'fine'} }`);
  assert.deepEqual(ok.manifests.map((m) => m.metadata.name), ["fine"]);
  await rm(top, { recursive: true, force: true });
});

test("checkJsonnetImports resolves from where the CLI found a file (a symlinked library), in the CLI's order", async () => {
  const top = await mkdtemp(join(tmpdir(), "hawser-jsonnet-lexical-"));
  const root = join(top, "repo");
  await mkdir(join(root, "deep", "er", "lib"), { recursive: true });
  await writeFile(join(top, "secret.txt"), "s3cret");
  // lib -> deep/er/lib: `../../secret.txt` from the link is beside the repository; from the
  // target it would be deep/secret.txt, inside.
  await symlink("deep/er/lib", join(root, "lib"));
  await writeFile(join(root, "deep", "er", "lib", "x.libsonnet"), "importstr '../../secret.txt'");
  await writeFile(join(root, "main.jsonnet"), "import 'lib/x.libsonnet'");
  try {
    await assert.rejects(checkJsonnetImports(root, join(root, "main.jsonnet"), []), /lib\/x\.libsonnet: importstr "\.\.\/\.\.\/secret\.txt" resolves outside the repository/);
    // Found next to the importing file, a -J candidate that would climb out is never opened.
    await writeFile(join(root, "deep", "er", "lib", "x.libsonnet"), "importstr 'ok.txt'");
    await writeFile(join(root, "ok.txt"), "fine");
    await writeFile(join(root, "main.jsonnet"), "importstr 'ok.txt'");
    await checkJsonnetImports(root, join(root, "main.jsonnet"), [join(root, "deep")]);
    // A library importing itself through two looping links makes paths multiply; the walk is
    // bounded instead of running until the path length limit.
    await symlink(".", join(root, "deep", "er", "lib", "a"));
    await symlink(".", join(root, "deep", "er", "lib", "b"));
    await writeFile(join(root, "deep", "er", "lib", "x.libsonnet"), "import 'a/x.libsonnet' + import 'b/x.libsonnet'");
    await writeFile(join(root, "main.jsonnet"), "import 'lib/x.libsonnet'");
    await assert.rejects(checkJsonnetImports(root, join(root, "main.jsonnet"), []), /more than 5000 imported files/);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
