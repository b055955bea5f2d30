import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinPlugins } from "../../plugins/index.js";
import { containerImages, flattenValues, kustomizeImages, sourceDetails } from "./app-details.js";

test("flattenValues: Helm --set names for maps and lists, scalars as text, sorted", () => {
  assert.deepEqual(flattenValues({ b: { c: 1, d: [true, { e: null }] }, a: "x", empty: {}, none: [] }), [
    { name: "a", value: "x" }, { name: "b.c", value: "1" }, { name: "b.d[0]", value: "true" }, { name: "b.d[1].e", value: "" },
    { name: "empty", value: "{}" }, { name: "none", value: "[]" },
  ]);
});

test("kustomizeImages: Argo's image override strings", () => {
  assert.deepEqual(kustomizeImages({ images: [{ name: "nginx", newName: "my/nginx", newTag: "2" }, { name: "redis", digest: "sha256:ab" }, { name: "x", newTag: "1" }, { bogus: 1 }] }), ["nginx=my/nginx:2", "redis@sha256:ab", "x:1"]);
  assert.deepEqual(kustomizeImages(undefined), []);
});

test("sourceDetails: the tool Argo would pick and its parameters; a path out of the repository refused", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "hawser-details-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, "chart/templates"), { recursive: true });
  await writeFile(join(root, "chart/Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n");
  await writeFile(join(root, "chart/values.yaml"), "a: 1\nb: {c: x}\n");
  await writeFile(join(root, "chart/values-dev.yaml"), "a: 2\n");
  await mkdir(join(root, "k"));
  await writeFile(join(root, "k/kustomization.yaml"), "images: [{name: a, newTag: '3'}]\n");
  await mkdir(join(root, "d"));
  await writeFile(join(root, "d/cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  const plugins = builtinPlugins();
  const helm = await sourceDetails(root, { path: "chart", helm: { valueFiles: ["values-dev.yaml"], parameters: [{ name: "b.c", value: "y" }] } }, plugins);
  assert.deepEqual(helm, { type: "Helm", helm: { name: "c", valueFiles: ["values-dev.yaml", "values.yaml"], parameters: [{ name: "a", value: "2" }, { name: "b.c", value: "y" }], values: "a: 1\nb: {c: x}\n" } });
  assert.deepEqual(await sourceDetails(root, { path: "k", kustomize: { images: ["b:4"] } }, plugins), { type: "Kustomize", kustomize: { images: ["a:3", "b:4"] } });
  assert.deepEqual(await sourceDetails(root, { path: "d" }, plugins), { type: "Directory", directory: {} });
  await assert.rejects(sourceDetails(root, { path: "../" }, plugins), /outside the repository/);
});

test("sourceDetails: $ref value files resolve into the ref sources given; without them they are left out; an escape or unknown ref is refused", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "hawser-details-"));
  const values = await mkdtemp(join(tmpdir(), "hawser-details-values-"));
  t.after(() => Promise.all([rm(root, { recursive: true, force: true }), rm(values, { recursive: true, force: true })]));
  await mkdir(join(root, "chart"), { recursive: true });
  await writeFile(join(root, "chart/Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n");
  await writeFile(join(root, "chart/values.yaml"), "replicas: 1\nimage: {tag: base}\n");
  await mkdir(join(values, "env/prod"), { recursive: true });
  await writeFile(join(values, "env/prod/values.yaml"), "replicas: 4\n");
  await writeFile(join(values, "env/prod/extra-a.yaml"), "image: {tag: from-glob-a}\n");
  await writeFile(join(values, "env/prod/extra-b.yaml"), "image: {tag: from-glob-b}\n");
  const plugins = builtinPlugins();
  const params = async (valueFiles: string[], refSources?: Record<string, string>): Promise<unknown> =>
    (await sourceDetails(root, { path: "chart", helm: { valueFiles } }, plugins, refSources ? { refSources } : {})).helm?.parameters;

  // A file, a glob (lexical order: b wins) and a missing file (left out, as in-repo ones are).
  assert.deepEqual(await params(["$values/env/prod/values.yaml", "$values/env/prod/extra-*.yaml", "$values/env/prod/missing.yaml"], { values }), [
    { name: "image.tag", value: "from-glob-b" }, { name: "replicas", value: "4" },
  ]);
  // No app named: which repository $values is, is unknown; the chart's own values only.
  assert.deepEqual(await params(["$values/env/prod/values.yaml"]), [{ name: "image.tag", value: "base" }, { name: "replicas", value: "1" }]);
  await assert.rejects(params(["$values/../hawser-details-outside.yaml"], { values }), /outside/);
  await assert.rejects(params(["$other/env/prod/values.yaml"], { values }), /no source with ref "other"/);
});

test("containerImages: images of every container list at any depth, once each, in order", () => {
  const deploy = { kind: "Deployment", spec: { template: { spec: { initContainers: [{ name: "i", image: "busybox" }], containers: [{ name: "a", image: "nginx:1" }, { name: "b" }] } } } };
  const cron = { kind: "CronJob", spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: "nginx:1" }, { image: "job:2" }] } } } } } };
  assert.deepEqual(containerImages([deploy, cron, { kind: "ConfigMap", data: { containers: "x" } }]), ["busybox", "nginx:1", "job:2"]);
});
