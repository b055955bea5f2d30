import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
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
import { checkKustomizationTree, createKustomizePlugin } from "./index.js";

const testdata = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const ctx = { log: memoryLogger().logger };
const kustomize = createKustomizePlugin();

async function tempCopy(...dirs: string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "hawser-kust-"));
  for (const d of dirs) await cp(d, root, { recursive: true });
  return root;
}

function request(root: string, source: SourceSpec, extra: Partial<RenderRequest> = {}): RenderRequest {
  return {
    appName: "my-app", appNamespace: "argocd", project: "default", repoRoot: root, appDir: join(root, source.path ?? "."),
    source, revision: "0".repeat(40), destinationNamespace: "default", env: { ARGOCD_APP_NAME: "my-app" }, ...extra,
  };
}

async function direct(dir: string, extra: string[] = []): Promise<Manifest[]> {
  const { stdout } = await runTool(await resolveTool("kustomize"), ["build", dir, ...extra], { env: baseToolEnv() });
  return parseManifests(stdout, { source: "direct" });
}

const byKey = (ms: Manifest[]) => Object.fromEntries(ms.map((m) => [`${m.kind}/${m.metadata.name}`, m]));
const sorted = (ms: Manifest[]) => [...ms].sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));

test("golden: every Application-level option equals a hand-written kustomization, checkout untouched", async () => {
  const root = await tempCopy(join(testdata, "options", "repo"));
  const c = parseYaml(await readFile(join(testdata, "options", "case.yaml"), "utf8")) as { appName: string; directDir: string; source: SourceSpec };
  const before = await readFile(join(root, "overlay", "kustomization.yaml"), "utf8");
  const ours = await kustomize.generate(request(root, c.source), ctx);
  assert.deepEqual(sorted(ours.manifests), sorted(await direct(join(root, c.directDir))));
  assert.equal(await readFile(join(root, "overlay", "kustomization.yaml"), "utf8"), before, "the shared checkout is not edited");
  const m = byKey(ours.manifests);
  const dep = m["Deployment/pre-web-suf"] as unknown as { metadata: { namespace: string; annotations: Record<string, string> }; spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } };
  assert.equal(dep.spec.replicas, 3);
  assert.deepEqual(dep.spec.template.spec.containers.map((x) => x.image), ["registry.example.com/nginx:1.25", "busybox:1.36"]);
  assert.equal(dep.metadata.annotations.owner, "my-app", "envsubst in annotations");
  assert.equal(dep.metadata.namespace, "team-a");
  assert.ok(m["ConfigMap/pre-extra-suf"], "component added");
  await rm(root, { recursive: true, force: true });
});

test("seed 002: dev and prod overlays equal kustomize build, `../../base` inside the repo works", async (t) => {
  const seeds = seedsDir();
  if (!seeds) return t.skip("seeds not found");
  const root = await tempCopy(join(seeds, "002", "repo-argocd-kustomize-demo"));
  for (const env of ["dev", "prod"]) {
    const ours = await kustomize.generate(request(root, { path: `overlays/${env}` }), ctx);
    assert.deepEqual(ours.manifests, await direct(join(root, "overlays", env)));
    const dep = byKey(ours.manifests)[`Deployment/${env}-demo`] as unknown as { metadata: { labels: Record<string, string> }; spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } } };
    assert.equal(dep.metadata.labels.env, env);
    assert.deepEqual(dep.spec.template.spec.containers[0]!.env.at(-1), { name: "APP_NAME", value: env === "dev" ? "Dev" : "Prod" });
  }
  await rm(root, { recursive: true, force: true });
});

test("seed 000: production overlay (namespace, patches, images, commonLabels) equals kustomize build", async (t) => {
  const seeds = seedsDir();
  if (!seeds) return t.skip("seeds not found");
  const root = await tempCopy(join(seeds, "000", "repo-k8s-manifests"), join(testdata, "seed-my-api-prod", "supplied"));
  const ours = await kustomize.generate(request(root, { path: "apps/my-api/overlays/production" }), ctx);
  assert.deepEqual(ours.manifests, await direct(join(root, "apps/my-api/overlays/production")));
  const dep = byKey(ours.manifests)["Deployment/my-api"] as unknown as { metadata: { namespace: string; labels: Record<string, string> }; spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } };
  assert.equal(dep.metadata.namespace, "production");
  assert.equal(dep.metadata.labels.env, "production");
  assert.equal(dep.spec.replicas, 5);
  assert.equal(dep.spec.template.spec.containers[0]!.image, "myorg/my-api:v1.5.2");
  await rm(root, { recursive: true, force: true });
});

test("seed 004: kustomize options with images in object form equal a hand-written kustomization", async (t) => {
  const seeds = seedsDir();
  if (!seeds) return t.skip("seeds not found");
  const app = parseYaml(await readFile(join(seeds, "004", "app-kustomize-options.yaml"), "utf8")) as { metadata: { name: string }; spec: { source: SourceSpec } };
  const root = await tempCopy(join(testdata, "seed-kustomize-options", "repo"));
  const ours = await kustomize.generate(request(root, app.spec.source, { appName: app.metadata.name }), ctx);
  assert.deepEqual(sorted(ours.manifests), sorted(await direct(join(root, "k8s/overlays/prod-direct"))));
  const dep = byKey(ours.manifests)["Deployment/prod-my-app-v1"] as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
  assert.equal(dep.spec.template.spec.containers[0]!.image, "my-app:v1.2.3");
  await rm(root, { recursive: true, force: true });
});

test("kustomize.buildOptions --enable-helm inflates charts with our helm", async () => {
  const root = await tempCopy(join(testdata, "helm-inflate", "repo"));
  const plugin = createKustomizePlugin({ settings: { kustomizeBuildOptions: "--enable-helm" } });
  const ours = await plugin.generate(request(root, { path: "app" }, { kubeVersion: "1.31.0" }), ctx);
  const cm = byKey(ours.manifests)["ConfigMap/inflated-mini"]!;
  assert.deepEqual(cm.data, { color: "blue", kube: "v1.31.0" });
  const helm = await resolveTool("helm");
  assert.deepEqual(ours.manifests, await direct(join(root, "app"), ["--enable-helm", "--helm-command", helm, "--helm-kube-version", "1.31.0"]));
  await rm(root, { recursive: true, force: true });
});

test("--enable-helm pulls remote charts into a private copy, never into the shared checkout", async (t) => {
  // Attack: one app's render wrote the pulled chart into charts/ of the checkout every render of
  // that commit shares, so the next app at that commit saw (and could be fed) that chart.
  const repo = await startHelmRepo({ chartDirs: [join(testdata, "helm-inflate", "repo", "app", "charts", "mini")] });
  t.after(() => repo.close());
  const root = await mkdtemp(join(tmpdir(), "hawser-kust-pull-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, "app"), { recursive: true });
  await writeFile(join(root, "app", "kustomization.yaml"), `helmCharts:\n  - {name: mini, repo: "${repo.url}", version: "0.1.0", releaseName: pulled, valuesInline: {color: red}}\n`);
  const plugin = createKustomizePlugin({ settings: { kustomizeBuildOptions: "--enable-helm" } });
  const out = await plugin.generate(request(root, { path: "app" }, { kubeVersion: "1.31.0" }), ctx);
  assert.deepEqual(byKey(out.manifests)["ConfigMap/pulled-mini"]?.data, { color: "red", kube: "v1.31.0" }, "the chart was pulled and inflated");
  assert.deepEqual(await readdir(join(root, "app")), ["kustomization.yaml"], "the checkout is untouched");
});

test("resources escaping the repository are refused, directly or through a symlink", async () => {
  const top = await mkdtemp(join(tmpdir(), "hawser-kust-escape-"));
  const root = join(top, "repo");
  await mkdir(join(top, "outside"), { recursive: true });
  await writeFile(join(top, "outside", "kustomization.yaml"), "resources: [secret.yaml]\n");
  await writeFile(join(top, "outside", "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n");
  await mkdir(join(root, "app"), { recursive: true });
  await mkdir(join(root, "base"), { recursive: true });
  await writeFile(join(root, "base", "kustomization.yaml"), "resources: [../../outside]\n");
  await writeFile(join(root, "app", "kustomization.yaml"), "resources: [../base]\n");
  await assert.rejects(kustomize.generate(request(root, { path: "app" }), ctx), /kustomize reference in base\/kustomization\.yaml "\.\.\/\.\.\/outside" resolves outside the repository/);
  // kustomize alone would happily build this: the base is a separate kustomization root.
  assert.ok((await direct(join(root, "app"))).some((m) => m.metadata.name === "stolen"));
  await mkdir(join(root, "app2"), { recursive: true });
  await symlink(join(top, "outside"), join(root, "linked"));
  await writeFile(join(root, "app2", "kustomization.yaml"), "resources: [../linked]\n");
  await assert.rejects(kustomize.generate(request(root, { path: "app2" }), ctx), /symlink pointing outside/);
  await mkdir(join(root, "app3"), { recursive: true });
  await writeFile(join(root, "app3", "kustomization.yaml"), `resources: [${join(top, "outside")}]\n`);
  await assert.rejects(kustomize.generate(request(root, { path: "app3" }), ctx), /absolute path/);
  await rm(top, { recursive: true, force: true });
});

test("a missing component fails unless ignoreMissingComponents; kustomize errors are surfaced", async () => {
  const root = await tempCopy(join(testdata, "options", "repo"));
  await assert.rejects(kustomize.generate(request(root, { path: "overlay", kustomize: { components: ["../nope"] } }), ctx), /component "\.\.\/nope" does not exist/);
  await writeFile(join(root, "overlay", "kustomization.yaml"), "resources: [missing.yaml]\n");
  await assert.rejects(kustomize.generate(request(root, { path: "overlay" }), ctx), /kustomize build failed/);
  await rm(root, { recursive: true, force: true });
});

test("checkKustomizationTree: helmCharts values files, local chart names and generator/transformer config paths are contained", async () => {
  const top = await mkdtemp(join(tmpdir(), "hawser-kust-tree-"));
  const root = join(top, "repo");
  await writeFile(join(top, "outside.yaml"), "leak: 1\n");
  await mkdir(join(top, "outside-chart"), { recursive: true });
  const check = async (files: Record<string, string>): Promise<void> => {
    await rm(root, { recursive: true, force: true });
    for (const [p, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, p)), { recursive: true });
      await writeFile(join(root, p), text);
    }
    await checkKustomizationTree(root, join(root, "app"));
  };
  try {
    await assert.rejects(check({ "app/kustomization.yaml": "helmCharts:\n- name: c\n  valuesFile: ../../outside.yaml\n" }), /kustomize reference in app\/kustomization\.yaml "\.\.\/\.\.\/outside\.yaml" resolves outside/);
    await assert.rejects(check({ "app/kustomization.yaml": "helmCharts:\n- name: c\n  additionalValuesFiles: [ok.yaml, ../../outside.yaml]\n", "app/ok.yaml": "a: 1\n" }), /"\.\.\/\.\.\/outside\.yaml" resolves outside/);
    // A chart with no repo is read from chartHome/name: a name that climbs out is refused.
    await assert.rejects(check({ "app/kustomization.yaml": "helmCharts:\n- name: ../../../outside-chart\n" }), /"charts\/\.\.\/\.\.\/\.\.\/outside-chart" resolves outside/);
    await assert.rejects(check({ "app/kustomization.yaml": "generators:\n- gen.yaml\n", "app/gen.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: g}\nfiles:\n- k=../../outside.yaml\n" }), /app\/kustomization\.yaml → gen\.yaml "\.\.\/\.\.\/outside\.yaml" resolves outside/);
    await assert.rejects(check({ "app/kustomization.yaml": "transformers:\n- t.yaml\n", "app/t.yaml": "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata: {name: h}\nvaluesFile: /etc/hostname\n" }), /"\/etc\/hostname" is an absolute path/);
    // Field paths in transformer configs share the key name `path`; they are not files and pass.
    await check({
      "app/kustomization.yaml": "transformers:\n- labels.yaml\n",
      "app/labels.yaml": "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: l}\nlabels: {a: b}\nfieldSpecs:\n- path: metadata/labels\n  create: true\n- path: /spec/selector\n",
    });
    // Inside the repository is fine, including values files next to the chart.
    await check({ "app/kustomization.yaml": "helmCharts:\n- name: c\n  valuesFile: ../shared/values.yaml\n", "shared/values.yaml": "a: 1\n" });
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
