import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { resolveTool } from "../../operator/tools/index.js";
import { memoryLogger } from "../../operator/runtime/logger.js";
import { seedsDir } from "../../test/crds/seeds.js";
import { startHelmRepo } from "../../test/support/helm-repo.js";
import { baseToolEnv, runTool } from "../exec.js";
import { parseManifests } from "../manifests.js";
import type { Manifest, RenderRequest, SourceSpec } from "../types.js";
import { createChartCache, createHelmPlugin, expandValueFileGlobs, missingDependencies } from "./index.js";
import { pickChartVersion, resolveChartVersion } from "./repo.js";

const testdata = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const ctx = { log: memoryLogger().logger };
const helm = createHelmPlugin();

async function copyCase(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `hawser-helm-${name}-`));
  await cp(join(testdata, name, "repo"), dir, { recursive: true });
  return dir;
}

function request(root: string, source: SourceSpec, extra: Partial<RenderRequest> = {}): RenderRequest {
  return {
    appName: "app", appNamespace: "argocd", project: "default", repoRoot: root, appDir: join(root, source.path ?? "."),
    source, revision: "0".repeat(40), destinationNamespace: "default", env: {}, ...extra,
  };
}

const byKey = (ms: Manifest[]) => Object.fromEntries(ms.map((m) => [`${m.kind}/${m.metadata.name}`, m]));
const helmHome = (dir: string) => ({ HELM_CACHE_HOME: join(dir, "c"), HELM_CONFIG_HOME: join(dir, "g"), HELM_DATA_HOME: join(dir, "d") });

test("golden: basic case renders exactly like helm template run directly", async () => {
  const root = await copyCase("basic");
  const c = parseYaml(await readFile(join(testdata, "basic", "case.yaml"), "utf8")) as {
    appName: string; destinationNamespace: string; kubeVersion: string; apiVersions: string[]; source: SourceSpec; inline: string; direct: string[];
  };
  const ours = await helm.generate(request(root, c.source, { appName: c.appName, destinationNamespace: c.destinationNamespace, kubeVersion: c.kubeVersion, apiVersions: c.apiVersions }), ctx);
  await writeFile(join(root, "inline.yaml"), c.inline);
  const args = c.direct.map((a) => (a === "{inline}" ? join(root, "inline.yaml") : a));
  const direct = await runTool(await resolveTool("helm"), args, { env: baseToolEnv(helmHome(root)), cwd: root });
  assert.deepEqual(ours.manifests, parseManifests(direct.stdout, { source: "direct" }));
  // And the values came out in Argo's precedence: parameters > values > valueFiles > chart values.
  const cm = byKey(ours.manifests)["ConfigMap/rel-cfg"]!;
  assert.deepEqual(cm.data, {
    color: "param", size: "large", list: '["x","y"]', nested: '{"fromChart":"chart","overridden":"prod-file"}',
    kube: "v1.30.0", hasFoo: "true", greeting: "hello, world", file: "greeting-from-file\n", strType: "string",
  });
  assert.equal(cm.metadata.namespace, "dest-ns");
  assert.ok(byKey(ours.manifests)["CustomResourceDefinition/widgets.example.com"], "CRDs included");
  assert.ok(!byKey(ours.manifests)["Pod/rel-test"], "test hooks skipped");
  await rm(root, { recursive: true, force: true });
});

test("valuesObject wins over values; release name and namespace default to the app's", async () => {
  const root = await copyCase("basic");
  const out = await helm.generate(request(root, { path: "chart", helm: { values: "color: fromValues\nsize: s2", valuesObject: { color: "fromObject" }, skipCrds: true } }, { appName: "myapp", destinationNamespace: "prod" }), ctx);
  const cm = byKey(out.manifests)["ConfigMap/myapp-cfg"]!;
  assert.equal((cm.data as Record<string, string>).color, "fromObject");
  assert.equal((cm.data as Record<string, string>).size, "small", "values is ignored entirely when valuesObject is set");
  assert.equal(cm.metadata.namespace, "prod");
  assert.ok(!out.manifests.some((m) => m.kind === "CustomResourceDefinition"), "skipCrds");
  await rm(root, { recursive: true, force: true });
});

test("seed 000/app-my-api-helm.yaml renders with Helm's precedence, equal to helm template", async (t) => {
  const seeds = seedsDir();
  if (!seeds) return t.skip("seeds not found");
  const app = parseYaml(await readFile(join(seeds, "000", "app-my-api-helm.yaml"), "utf8")) as { metadata: { name: string }; spec: { source: SourceSpec; destination: { namespace: string } } };
  const root = await copyCase("seed-my-api");
  const src = app.spec.source;
  const ours = await helm.generate(request(root, src, { appName: app.metadata.name, destinationNamespace: app.spec.destination.namespace }), ctx);
  const h = src.helm as { values: string; parameters: Array<{ name: string; value: string }> };
  await writeFile(join(root, "inline.yaml"), h.values);
  const chart = join(root, "charts/my-api");
  const direct = await runTool(await resolveTool("helm"), ["template", chart, "--name-template", "my-api", "--namespace", "production",
    "--values", join(chart, "values.yaml"), "--values", join(chart, "values-prod.yaml"), "--values", join(root, "inline.yaml"),
    "--set", "image.tag=v1.5.2", "--set", "replicaCount=4", "--include-crds"], { env: baseToolEnv(helmHome(root)) });
  assert.deepEqual(ours.manifests, parseManifests(direct.stdout, { source: "direct" }));
  const m = byKey(ours.manifests);
  const dep = m["Deployment/my-api"] as unknown as { spec: { replicas: number; template: { spec: { containers: Array<{ image: string; resources: unknown }> } } } };
  assert.equal(dep.spec.replicas, 4, "parameter beats values-prod.yaml");
  assert.equal(dep.spec.template.spec.containers[0]!.image, "myorg/my-api:v1.5.2", "parameter beats value files");
  assert.deepEqual(dep.spec.template.spec.containers[0]!.resources, { limits: { cpu: "500m" } }, "later value file wins");
  assert.ok(m["Ingress/my-api"], "inline values enable the ingress");
  await rm(root, { recursive: true, force: true });
});

test("chart dependencies missing from charts/ are built on a private copy", async () => {
  const root = await copyCase("deps");
  const appDir = join(root, "charts/app");
  assert.equal((await missingDependencies(appDir)).length, 1);
  const out = await helm.generate(request(root, { path: "charts/app" }), ctx);
  assert.deepEqual(out.manifests.map((m) => m.metadata.name).sort(), ["from-dependency", "parent"]);
  assert.deepEqual(byKey(out.manifests)["ConfigMap/from-dependency"]!.data, { parent: "yes-from-parent" });
  assert.equal((await missingDependencies(appDir)).length, 1, "the shared checkout was not modified");
  await rm(root, { recursive: true, force: true });
});

test("value files: traversal, absolute paths, symlinks out, URL schemes and missing files", async () => {
  const root = await copyCase("basic");
  const outside = await mkdtemp(join(tmpdir(), "hawser-outside-"));
  await writeFile(join(outside, "secret.yaml"), "color: stolen\n");
  await symlink(join(outside, "secret.yaml"), join(root, "chart", "link.yaml"));
  await symlink(outside, join(root, "chart", "linkdir"));
  const gen = (helmOpts: Record<string, unknown>) => helm.generate(request(root, { path: "chart", helm: helmOpts }), ctx);
  await assert.rejects(gen({ valueFiles: ["../../etc/passwd"] }), /resolves outside the repository/);
  await assert.rejects(gen({ valueFiles: ["../../../../../../etc/passwd"] }), /resolves outside the repository/);
  await assert.rejects(gen({ valueFiles: ["/etc/passwd"] }), /absolute path/);
  await assert.rejects(gen({ valueFiles: ["link.yaml"] }), /symlink pointing outside/);
  await assert.rejects(gen({ valueFiles: ["linkdir/missing.yaml"], ignoreMissingValueFiles: true }), /outside the repository/);
  await assert.rejects(gen({ valueFiles: ["file:///etc/passwd"] }), /scheme "file" is not allowed/);
  await assert.rejects(gen({ fileParameters: [{ name: "x", path: "../../../etc/passwd" }] }), /outside the repository/);
  await assert.rejects(gen({ valueFiles: ["nope.yaml"] }), /does not exist/);
  const ok = await gen({ valueFiles: ["nope.yaml", "values-prod.yaml"], ignoreMissingValueFiles: true });
  assert.equal((byKey(ok.manifests)["ConfigMap/app-cfg"]!.data as Record<string, string>).color, "green");
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

test("$ref value files resolve from the ref source's root and stay inside it", async () => {
  const root = await copyCase("basic");
  const refRoot = await mkdtemp(join(tmpdir(), "hawser-ref-"));
  await mkdir(join(refRoot, "env"), { recursive: true });
  await writeFile(join(refRoot, "env", "prod.yaml"), "color: from-ref\n");
  const out = await helm.generate(request(root, { path: "chart", helm: { valueFiles: ["$values/env/prod.yaml"] } }, { refSources: { values: refRoot } }), ctx);
  assert.equal((byKey(out.manifests)["ConfigMap/app-cfg"]!.data as Record<string, string>).color, "from-ref");
  await assert.rejects(helm.generate(request(root, { path: "chart", helm: { valueFiles: ["$values/../etc/passwd"] } }, { refSources: { values: refRoot } }), ctx), /outside the repository/);
  await assert.rejects(helm.generate(request(root, { path: "chart", helm: { valueFiles: ["$other/x.yaml"] } }, { refSources: { values: refRoot } }), ctx), /no source with ref "other"/);
  await rm(root, { recursive: true, force: true });
  await rm(refRoot, { recursive: true, force: true });
});

test("repository charts: version constraints, pull once into the cache, then render", async () => {
  const repo = await startHelmRepo({ chartDirs: [join(testdata, "basic", "repo", "chart")], auth: { username: "u", password: "pw-123456" } });
  const cacheDir = await mkdtemp(join(tmpdir(), "hawser-chart-cache-"));
  try {
    assert.equal(pickChartVersion(["0.1.0", "0.2.0", "1.0.0-rc1"], "^0.1"), "0.1.0");
    assert.equal(pickChartVersion(["0.1.0", "0.2.0", "1.0.0-rc1"], ""), "0.2.0");
    const auth = { username: "u", password: "pw-123456" };
    assert.equal(await resolveChartVersion(repo.url, "basic", ">=0.1.0 <1", auth), "0.1.0");
    const indexFetches = repo.requests.filter((r) => r === "/index.yaml").length;
    assert.equal(await resolveChartVersion(repo.url, "basic", "*", auth), "0.1.0");
    assert.equal(repo.requests.filter((r) => r === "/index.yaml").length, indexFetches, "index.yaml is cached briefly");
    await assert.rejects(resolveChartVersion(repo.url, "basic", "^2", auth), /no version of chart "basic"/);
    await assert.rejects(resolveChartVersion(repo.url, "basic", "^0.1", {}), /HTTP 401/);
    const cache = createChartCache({ dir: cacheDir });
    const dir = await cache.pull({ repoURL: repo.url, chart: "basic", version: "0.1.0", ...auth });
    const again = await cache.pull({ repoURL: repo.url, chart: "basic", version: "0.1.0", ...auth });
    assert.equal(dir, again);
    assert.equal(cache.pulls(), 1, "second pull served from the cache");
    const out = await helm.generate(request(dir, { repoURL: repo.url, chart: "basic", targetRevision: "0.1.0", helm: { valueFiles: ["values-prod.yaml"] } }, { appDir: dir }), ctx);
    assert.equal((byKey(out.manifests)["ConfigMap/app-cfg"]!.data as Record<string, string>).color, "green");
    await assert.rejects(cache.pull({ repoURL: repo.url, chart: "basic", version: "0.1.0", username: "u", password: "wrong-pass" }).then(() => cache.pull({ repoURL: repo.url, chart: "nope", version: "9.9.9", username: "u", password: "wrong-pass" })), (e: unknown) => e instanceof Error && !e.message.includes("wrong-pass"));
  } finally {
    await repo.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("value file patterns expand in lexical order and stay contained", async () => {
  const root = await copyCase("basic");
  await mkdir(join(root, "chart", "env", "b"), { recursive: true });
  await writeFile(join(root, "chart", "env", "a.yaml"), "color: from-a\nsize: a\n");
  await writeFile(join(root, "chart", "env", "b", "z.yaml"), "color: from-b-z\n");
  await writeFile(join(root, "chart", "env", "notes.txt"), "color: nope\n");
  const gen = (helmOpts: Record<string, unknown>) => helm.generate(request(root, { path: "chart", helm: helmOpts }), ctx);
  const data = async (helmOpts: Record<string, unknown>) => byKey((await gen(helmOpts)).manifests)["ConfigMap/app-cfg"]!.data as Record<string, string>;
  assert.deepEqual(await expandValueFileGlobs({ repoRoot: root, appDir: join(root, "chart") }, ["values.yaml", "env/**/*.yaml", "https://x/*.yaml"]),
    ["values.yaml", "env/a.yaml", "env/b/z.yaml", "https://x/*.yaml"]);
  const d = await data({ valueFiles: ["env/**/*.yaml"] });
  assert.equal(d.color, "from-b-z", "later matches win");
  assert.equal(d.size, "a");
  assert.equal((await data({ valueFiles: ["env/*.yaml"] })).color, "from-a", "* does not cross directories");
  await assert.rejects(gen({ valueFiles: ["nomatch/*.yaml"] }), /"nomatch\/\*\.yaml" does not exist/);
  await assert.rejects(gen({ valueFiles: ["env/*.json"] }), /"env\/\*\.json" does not exist/);
  assert.equal((await data({ valueFiles: ["nomatch/*.yaml", "env/*.json"], ignoreMissingValueFiles: true })).color, "red");
  await assert.rejects(gen({ valueFiles: ["../../*/passwd"] }), /outside the repository/);
  await rm(root, { recursive: true, force: true });
});

test("dependencies from an http(s) chart repository are fetched by helm dependency build", async () => {
  const repo = await startHelmRepo({ chartDirs: [join(testdata, "deps", "repo", "charts", "lib")] });
  const root = await mkdtemp(join(tmpdir(), "hawser-helm-httpdep-"));
  try {
    await mkdir(join(root, "app", "templates"), { recursive: true });
    await writeFile(join(root, "app", "Chart.yaml"), `apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - {name: lib, version: "0.2.0", repository: "${repo.url}"}\n`);
    await writeFile(join(root, "app", "values.yaml"), "lib: {fromParent: over-http}\n");
    const out = await helm.generate(request(root, { path: "app" }), ctx);
    assert.deepEqual(byKey(out.manifests)["ConfigMap/from-dependency"]!.data, { parent: "over-http" });
    assert.ok(repo.requests.some((r) => r.endsWith(".tgz")), "the dependency came from the repository");
  } finally {
    await repo.close();
    await rm(root, { recursive: true, force: true });
  }
});

test("oversized output and slow renders are stopped", async () => {
  const root = await copyCase("basic");
  const small = createHelmPlugin({ settings: { execMaxOutputBytes: 200 } });
  await assert.rejects(small.generate(request(root, { path: "chart" }), ctx), /helm template: output larger than the 200 byte limit/);
  const slow = createHelmPlugin({ settings: { execTimeoutMs: 1 } });
  await assert.rejects(slow.generate(request(root, { path: "chart" }), ctx), /helm template: timed out/);
  await rm(root, { recursive: true, force: true });
});
