import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { explicitTool } from "./detect.js";
import { builtinPlugins } from "./index.js";

test("explicitTool: options in the source name the tool; two tools are an error; empty objects don't count", () => {
  assert.equal(explicitTool({}), undefined);
  assert.equal(explicitTool({ helm: {} }), undefined);
  assert.equal(explicitTool({ helm: { releaseName: "x" } }), "helm");
  assert.equal(explicitTool({ kustomize: { namePrefix: "p" } }), "kustomize");
  assert.equal(explicitTool({ directory: { recurse: true } }), "directory");
  assert.throws(() => explicitTool({ helm: { releaseName: "x" }, kustomize: { namePrefix: "p" } }), /multiple application sources defined: kustomize,helm/);
});

test("builtin registry follows Argo's detection order", async () => {
  const root = await mkdtemp(join(tmpdir(), "hawser-detect-"));
  for (const d of ["chart", "kust", "kustyml", "kustK", "both", "plain"]) await mkdir(join(root, d));
  await writeFile(join(root, "chart", "Chart.yaml"), "name: x\n");
  await writeFile(join(root, "kust", "kustomization.yaml"), "resources: []\n");
  await writeFile(join(root, "kustyml", "kustomization.yml"), "resources: []\n");
  await writeFile(join(root, "kustK", "Kustomization"), "resources: []\n");
  await writeFile(join(root, "both", "Chart.yaml"), "name: x\n");
  await writeFile(join(root, "both", "kustomization.yaml"), "resources: []\n");
  const reg = builtinPlugins();
  const pick = async (dir: string, source = {}) => (await reg.select(join(root, dir), source)).name;
  assert.equal(await pick("chart"), "helm");
  assert.equal(await pick("kust"), "kustomize");
  assert.equal(await pick("kustyml"), "kustomize");
  assert.equal(await pick("kustK"), "kustomize");
  assert.equal(await pick("both"), "helm", "Chart.yaml comes before kustomization");
  assert.equal(await pick("plain"), "directory");
  assert.equal(await pick("both", { kustomize: { namePrefix: "p" } }), "kustomize", "explicit options win over detection");
  assert.equal(await pick("chart", { directory: { recurse: true } }), "directory");
  assert.equal(await pick("plain", { chart: "redis" }), "helm", "a repository chart is helm");
  assert.equal((await reg.select(join(root, "chart"), {}, { disabled: new Set(["helm"]) })).name, "directory", "disabled tools are skipped in detection");
  await assert.rejects(reg.select(join(root, "chart"), { helm: { releaseName: "r" } }, { disabled: new Set(["helm"]) }), /disabled/);
});

test("plugin options without a name need a discovered plugin", async () => {
  const root = await mkdtemp(join(tmpdir(), "hawser-detect-plugin-"));
  const reg = builtinPlugins();
  await assert.rejects(reg.select(root, { plugin: { env: [{ name: "A", value: "1" }] } }), /no config-management plugin's discovery rules match/);
  reg.registerUser({ name: "claims-all", discover: () => Promise.resolve(true), generate: () => Promise.resolve({ manifests: [] }) });
  assert.equal((await reg.select(root, { plugin: { env: [{ name: "A", value: "1" }] } })).name, "claims-all");
  await assert.rejects(reg.select(root, { plugin: { name: "nope" } }), /"nope" is not installed/);
});
