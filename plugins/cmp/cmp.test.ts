import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../../operator/runtime/logger.js";
import { buildEnv } from "../buildenv.js";
import { PluginRegistry, builtinPlugins } from "../index.js";
import type { RenderRequest, SourceSpec } from "../types.js";
import { compileLooseDoublestar } from "../../operator/util/glob.js";
import { loadCmpPlugins, parseCmpConfig, pluginEnv } from "./index.js";

const ctx = { log: memoryLogger().logger };

async function tmp(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

const envPlugin = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: envdump}
spec:
  version: v1.0
  init:
    command: [sh, -c]
    args: ["echo touched > init-ran.txt; echo init output that is discarded"]
  generate:
    command: [sh, -c]
    args:
      - |
        cat <<EOF
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: "$ARGOCD_APP_NAME-out"}
        data:
          app: "$ARGOCD_APP_NAME"
          ns: "$ARGOCD_APP_NAMESPACE"
          rev: "$ARGOCD_APP_REVISION"
          path: "$ARGOCD_APP_SOURCE_PATH"
          kube: "$KUBE_VERSION"
          apis: "$KUBE_API_VERSIONS"
          fromEnv: "$ARGOCD_ENV_FOO"
          param: "$PARAM_SIZE"
          arr1: "$PARAM_LIST_1"
          mapKey: "$PARAM_LABELS_TEAM_NAME"
          cwd: "$(basename "$PWD")"
          init: "$(cat init-ran.txt)"
          params: '$ARGOCD_APP_PARAMETERS'
          secretEnv: "\${HAWSER_TEST_SECRET:-unset}"
        EOF
  discover:
    fileName: "*.cmp"
`;
const globPlugin = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: globber}
spec:
  generate: {command: [sh, -c, "echo '{\\"apiVersion\\": \\"v1\\", \\"kind\\": \\"ConfigMap\\", \\"metadata\\": {\\"name\\": \\"globbed\\"}}'"]}
  discover:
    find: {glob: "**/marker.txt"}
`;
const cmdPlugin = `apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: finder}
spec:
  generate: {command: [cat, manifests.txt]}
  discover:
    find: {command: [sh, -c, "ls | grep -x special.flag || true"]}
`;

test("parseCmpConfig validates the YAML", () => {
  assert.throws(() => parseCmpConfig({ apiVersion: "v1", kind: "ConfigMap" }, "x.yaml"), /not a ConfigManagementPlugin/);
  assert.throws(() => parseCmpConfig({ apiVersion: "argoproj.io/v1alpha1", kind: "ConfigManagementPlugin", metadata: { name: "p" }, spec: {} }, "x.yaml"), /spec.generate is required/);
  assert.throws(() => parseCmpConfig({ apiVersion: "argoproj.io/v1alpha1", kind: "ConfigManagementPlugin", metadata: { name: "p" }, spec: { generate: { command: "sh -c x" } } }, "x.yaml"), /non-empty list/);
});

test("pluginEnv: ARGOCD_ENV_*, PARAM_* and ARGOCD_APP_PARAMETERS as Argo builds them", () => {
  const env = pluginEnv({ env: [{ name: "FOO", value: "${ARGOCD_APP_NAME}-x" }], parameters: [{ name: "size", string: "L" }, { name: "list", array: ["a", "b"] }, { name: "labels", map: { "team-name": "t" } }] }, { ARGOCD_APP_NAME: "app" });
  assert.equal(env.ARGOCD_ENV_FOO, "app-x");
  assert.equal(env.PARAM_SIZE, "L");
  assert.equal(env.PARAM_LIST_0, "a");
  assert.equal(env.PARAM_LIST_1, "b");
  assert.equal(env.PARAM_LABELS_TEAM_NAME, "t");
  assert.deepEqual(JSON.parse(env.ARGOCD_APP_PARAMETERS!), [{ name: "size", string: "L" }, { name: "list", array: ["a", "b"] }, { name: "labels", map: { "team-name": "t" } }]);
});

test("doublestar globs", () => {
  const cases: Array<[string, string, boolean]> = [["**/marker.txt", "marker.txt", true], ["**/marker.txt", "a/b/marker.txt", true], ["*.txt", "a/x.txt", false], ["a/**", "a/b/c", true], ["{x,y}.yaml", "y.yaml", true], ["a,b.yaml", "a,b.yaml", true], ["a,b.yaml", "a", false]];
  for (const [p, f, want] of cases) assert.equal(compileLooseDoublestar(p).test(f), want, `${p} ~ ${f}`);
});

test("loaded plugins discover, run init then generate on a private copy with the build environment", async () => {
  const pluginDir = await tmp("hawser-cmp-config-");
  await writeFile(join(pluginDir, "envdump.yaml"), envPlugin);
  await mkdir(join(pluginDir, "globber"));
  await writeFile(join(pluginDir, "globber", "plugin.yaml"), globPlugin);
  await writeFile(join(pluginDir, "finder.yml"), cmdPlugin);
  await writeFile(join(pluginDir, "broken.yaml"), "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: b}\n");
  await writeFile(join(pluginDir, "notes.txt"), "ignored");
  const { plugins, errors } = await loadCmpPlugins(pluginDir);
  assert.deepEqual(plugins.map((p) => p.name).sort(), ["envdump-v1.0", "finder", "globber"]);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /broken\.yaml: spec.generate is required/);

  const registry: PluginRegistry = builtinPlugins();
  for (const p of plugins) registry.registerUser(p);
  const repo = await tmp("hawser-cmp-repo-");
  for (const d of ["a", "b/deep", "c", "d"]) await mkdir(join(repo, d), { recursive: true });
  await writeFile(join(repo, "a", "x.cmp"), "");
  await writeFile(join(repo, "b", "deep", "marker.txt"), "");
  await writeFile(join(repo, "c", "special.flag"), "");
  await writeFile(join(repo, "c", "manifests.txt"), "apiVersion: v1\nkind: Secret\nmetadata: {name: found}\n");
  await writeFile(join(repo, "d", "kustomization.yaml"), "resources: []\n");
  assert.equal((await registry.select(join(repo, "a"), {})).name, "envdump-v1.0");
  assert.equal((await registry.select(join(repo, "b"), {})).name, "globber");
  assert.equal((await registry.select(join(repo, "c"), {})).name, "finder");
  assert.equal((await registry.select(join(repo, "d"), {})).name, "kustomize", "no plugin claims it");
  assert.equal((await registry.select(join(repo, "a"), { directory: { recurse: true } })).name, "directory", "explicit tool options skip plugin discovery");

  const source: SourceSpec = {
    repoURL: "https://git.example.com/r.git", path: "a", targetRevision: "main",
    plugin: { env: [{ name: "FOO", value: "bar-$ARGOCD_APP_NAME" }], parameters: [{ name: "size", string: "XL" }, { name: "list", array: ["p", "q"] }, { name: "labels", map: { "team.name": "core" } }] },
  };
  const rev = "0123456789abcdef0123456789abcdef01234567";
  const env = buildEnv({ appName: "demo", appNamespace: "argocd", project: "default", revision: rev, sourcePath: "a", repoURL: source.repoURL!, targetRevision: "main", kubeVersion: "1.36.3", apiVersions: ["v1", "apps/v1"] });
  const req: RenderRequest = { appName: "demo", appNamespace: "argocd", project: "default", repoRoot: repo, appDir: join(repo, "a"), source, revision: rev, destinationNamespace: "default", env };
  process.env.HAWSER_TEST_SECRET = "operator-env-must-not-leak";
  const out = await registry.get("envdump-v1.0")!.generate(req, ctx);
  delete process.env.HAWSER_TEST_SECRET;
  assert.deepEqual(out.manifests[0]!.data, {
    app: "demo", ns: "argocd", rev, path: "a", kube: "1.36.3", apis: "v1,apps/v1", fromEnv: "bar-demo", param: "XL", arr1: "q", mapKey: "core",
    cwd: "a", init: "touched", params: JSON.stringify(source.plugin!.parameters), secretEnv: "unset",
  });
  await assert.rejects(readFile(join(repo, "a", "init-ran.txt")), "init ran in a private copy");
  assert.deepEqual((await registry.get("finder")!.generate({ ...req, appDir: join(repo, "c"), source: { path: "c" } }, ctx)).manifests.map((m) => m.metadata.name), ["found"]);
  await rm(repo, { recursive: true, force: true });
  await rm(pluginDir, { recursive: true, force: true });
});

test("plugin failures surface stderr; timeouts apply", async () => {
  const dir = await tmp("hawser-cmp-fail-");
  await writeFile(join(dir, "fail.yaml"), `apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: fail}\nspec:\n  generate: {command: [sh, -c, "echo 'token=https://u:hunter22@x.example' >&2; exit 2"]}\n`);
  await writeFile(join(dir, "slow.yaml"), `apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: slow}\nspec:\n  generate: {command: [sleep, "30"]}\n`);
  const { plugins } = await loadCmpPlugins(dir, { timeoutMs: 200 });
  const repo = await tmp("hawser-cmp-r-");
  const req: RenderRequest = { appName: "x", appNamespace: "argocd", project: "default", repoRoot: repo, appDir: repo, source: {}, revision: "r", destinationNamespace: "d", env: {} };
  const fail = plugins.find((p) => p.name === "fail")!;
  await assert.rejects(fail.generate(req, ctx), (e: unknown) => e instanceof Error && /plugin fail generate failed \(exit code 2\)/.test(e.message) && !e.message.includes("hunter22"));
  await assert.rejects(plugins.find((p) => p.name === "slow")!.generate(req, ctx), /timed out/);
  await rm(repo, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});
