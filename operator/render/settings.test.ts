import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinPlugins } from "../../plugins/index.js";
import type { ConfigManagementPlugin } from "../../plugins/types.js";
import { renderSettingsFromArgoCm } from "./settings.js";

test("argocd-cm tool settings: build options, per-version kustomize, value file schemes, disabled tools", () => {
  const s = renderSettingsFromArgoCm({
    "kustomize.buildOptions": "--enable-helm --load-restrictor LoadRestrictionsNone",
    "kustomize.path.v5.0.0": "/opt/kustomize-5.0.0",
    "kustomize.buildOptions.v5.0.0": "--enable-alpha-plugins",
    "helm.valuesFileSchemes": "https, s3",
    "jsonnet.enable": "false",
    "helm.enable": "true",
  });
  assert.equal(s.kustomizeBuildOptions, "--enable-helm --load-restrictor LoadRestrictionsNone", "build options");
  assert.deepEqual(s.kustomizeVersions, { "v5.0.0": { path: "/opt/kustomize-5.0.0", buildOptions: "--enable-alpha-plugins" } }, "per-version");
  assert.deepEqual(s.helmValuesFileSchemes, ["https", "s3"], "schemes");
  assert.deepEqual(s.disabledTools, ["jsonnet"], "only tools set to false");
  assert.deepEqual(renderSettingsFromArgoCm(undefined), {}, "no ConfigMap, no settings");
});

test("a registry re-made with new settings keeps its user plugins", () => {
  const registry = builtinPlugins();
  const mine: ConfigManagementPlugin = { name: "mine", discover: () => Promise.resolve(false), generate: () => Promise.resolve({ manifests: [] }) };
  registry.registerUser(mine);
  const next = registry.withBuiltinSettings({ kustomizeBuildOptions: "--enable-helm" });
  assert.deepEqual(next.names().sort(), registry.names().sort(), "same plugin names");
  assert.equal(next.get("mine"), mine, "the user plugin carried over");
  assert.notEqual(next.get("kustomize"), registry.get("kustomize"), "built-ins made anew");
});
