import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinGenerators } from "../../generators/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import { memoryLogger } from "../runtime/logger.js";
import { loadUserModules } from "./loader.js";

async function fixtureDirs() {
  const root = await mkdtemp(join(tmpdir(), "hawser-modules-"));
  const plugins = join(root, "plugins");
  const generators = join(root, "generators");
  await mkdir(plugins);
  await mkdir(generators);
  await writeFile(join(plugins, "good.mjs"), `
    export default {
      name: "echo-configmap",
      discover: async (dir) => dir.endsWith("echo"),
      generate: async (req) => ({ manifests: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: req.appName }, data: { rev: req.revision } }] }),
    };`);
  await writeFile(join(plugins, "broken-syntax.js"), `export default { name: "broken", discover() { return true }, generate() { return {{ } };`);
  await writeFile(join(plugins, "no-generate.mjs"), `export const plugin = { name: "half", discover: async () => false };`);
  await writeFile(join(plugins, "typed.ts"), `
    interface Req { appName: string }
    export const plugins = [{
      name: "typed-plugin",
      discover: async (_dir: string): Promise<boolean> => false,
      generate: async (req: Req) => ({ manifests: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: req.appName } }] }),
    }];`);
  await writeFile(join(plugins, "README.md"), "not code, ignored");
  await writeFile(join(generators, "envs.mjs"), `
    export const generator = {
      name: "environments",
      generate: async (spec) => (spec.names ?? []).map((n) => ({ env: n })),
      requeueAfterMs: () => 60000,
    };`);
  await writeFile(join(generators, "nameless.mjs"), `export default { generate: async () => [] };`);
  return { plugins, generators };
}

test("user modules load at start-up; broken ones are reported by file and reason while the rest work", async () => {
  const dirs = await fixtureDirs();
  const plugins = builtinPlugins();
  const generators = builtinGenerators();
  const { logger, lines } = memoryLogger();
  const reports = await loadUserModules({ pluginDirs: [dirs.plugins], generatorDirs: [dirs.generators], plugins, generators, log: logger });

  const byFile = (suffix: string) => reports.find((r) => r.source.endsWith(suffix))!;
  assert.deepEqual(byFile("good.mjs").loaded, ["echo-configmap"]);
  assert.deepEqual(byFile("typed.ts").loaded, ["typed-plugin"]);
  assert.match(byFile("broken-syntax.js").errors[0]!, /failed to load: (SyntaxError|TransformError)\b.*(broken-syntax\.js:1|Unexpected)/);
  assert.match(byFile("no-generate.mjs").errors[0]!, /plugin half: missing a `generate\(request, context\)` function/);
  assert.match(byFile("nameless.mjs").errors[0]!, /missing a non-empty string `name`/);
  assert.equal(reports.some((r) => r.source.endsWith("README.md")), false);

  // Rejections are logged at error level naming the file.
  const rejected = lines.filter((l) => l.level === "error").map((l) => String(l.source));
  assert.ok(rejected.some((s) => s.endsWith("broken-syntax.js")));
  assert.ok(rejected.some((s) => s.endsWith("no-generate.mjs")));

  assert.deepEqual(plugins.names().sort(), ["directory", "echo-configmap", "helm", "kustomize", "typed-plugin"]);
  assert.equal(plugins.get("half"), undefined);

  // The loaded modules are usable through the registries.
  const selected = await plugins.select("/repo/apps/echo", {});
  assert.equal(selected.name, "echo-configmap");
  assert.equal((await plugins.select("/repo/apps/other", {})).name, "directory", "directory is the fallback");
  const out = await selected.generate({
    appName: "demo", appNamespace: "argocd", project: "default", repoRoot: "/repo", appDir: "/repo/apps/echo",
    source: {}, revision: "abc123", destinationNamespace: "default", env: {},
  }, { log: logger });
  assert.equal(out.manifests[0]!.kind, "ConfigMap");

  const { generator, spec } = generators.forEntry({ environments: { names: ["dev", "prod"] } });
  assert.deepEqual(await generator.generate(spec, { appSet: { metadata: {}, spec: {} }, log: logger }), [{ env: "dev" }, { env: "prod" }]);
  assert.equal(generator.requeueAfterMs?.(spec), 60000);
});

test("an unreadable module directory is reported, not fatal", async () => {
  const { logger } = memoryLogger();
  const reports = await loadUserModules({ pluginDirs: ["/nonexistent/hawser-plugins"], plugins: builtinPlugins(), generators: builtinGenerators(), log: logger });
  assert.equal(reports.length, 1);
  assert.match(reports[0]!.errors[0]!, /cannot read the plugin directory/);
});

test("an npm package can provide a generator", async () => {
  const { logger } = memoryLogger();
  const generators = builtinGenerators();
  const reports = await loadUserModules({ generatorPackages: ["hawser-no-such-package"], plugins: builtinPlugins(), generators, log: logger });
  assert.match(reports[0]!.errors[0]!, /failed to load: Error: Cannot find module 'hawser-no-such-package'/);
});

test("ConfigManagementPlugin YAML in a plugin directory becomes a plugin the registry selects", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-modules-cmp-"));
  await writeFile(join(dir, "cmp.yaml"), [
    "apiVersion: argoproj.io/v1alpha1", "kind: ConfigManagementPlugin", "metadata: {name: yaml-plugin}",
    "spec:", "  generate: {command: [cat, out.yaml]}", "  discover: {fileName: \"*.marker\"}", "",
  ].join("\n"));
  await mkdir(join(dir, "sidecar"));
  await writeFile(join(dir, "sidecar", "plugin.yaml"), "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: sidecar-plugin}\nspec:\n  version: v2\n  generate: {command: [cat, out.yaml]}\n");
  await writeFile(join(dir, "broken.yaml"), "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: broken}\nspec: {}\n");
  const plugins = builtinPlugins();
  const { logger } = memoryLogger();
  const reports = await loadUserModules({ pluginDirs: [dir], plugins, generators: builtinGenerators(), log: logger });
  const cmp = reports.find((r) => r.source.endsWith("(ConfigManagementPlugin YAML)"));
  assert.ok(cmp, `a report for the YAML: ${JSON.stringify(reports)}`);
  assert.deepEqual(cmp.loaded, ["yaml-plugin", "sidecar-plugin-v2"], "in file name order");
  assert.match(cmp.errors.join("\n"), /broken\.yaml: spec\.generate is required/);
  assert.deepEqual(plugins.names().sort(), ["directory", "helm", "kustomize", "sidecar-plugin-v2", "yaml-plugin"]);

  const app = await mkdtemp(join(tmpdir(), "hawser-modules-cmp-app-"));
  await writeFile(join(app, "x.marker"), "");
  await writeFile(join(app, "out.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-yaml-plugin}\n");
  const selected = await plugins.select(app, {});
  assert.equal(selected.name, "yaml-plugin");
  const out = await selected.generate({ appName: "a", appNamespace: "argocd", project: "default", repoRoot: app, appDir: app, source: {}, revision: "r", destinationNamespace: "d", env: {} }, { log: logger });
  assert.deepEqual(out.manifests.map((m) => m.metadata.name), ["from-yaml-plugin"]);
});
