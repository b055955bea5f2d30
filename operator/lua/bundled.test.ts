// Runs every health_test.yaml under the bundled customization tree: each case's input goes through
// the full lookup (so the directory, including "_" wildcard directories, must resolve to its own
// script) and must produce exactly the expected status and message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { LuaHealthOverride } from "./customizations.js";
import { bundledCustomizationsDir, findScriptDirs, loadCustomizationTree } from "./load.js";

interface HealthTestFile {
  tests: { healthStatus: { status: string; message?: string }; inputPath: string }[];
}

const root = bundledCustomizationsDir();
const tree = loadCustomizationTree(root);
const override = new LuaHealthOverride({ trees: [tree] });
const dirs = findScriptDirs(root, "health_test.yaml");

test("the bundled tree has tests for every script and the required kinds", () => {
  assert.deepEqual(dirs.map((d) => relative(root, d)).sort(), [...tree.health.keys()].sort());
  for (const key of ["cert-manager.io/Certificate", "cert-manager.io/Issuer", "cert-manager.io/ClusterIssuer", "argoproj.io/Rollout", "_.crossplane.io/_", "_.toolkit.fluxcd.io/_", "bitnami.com/SealedSecret", "external-secrets.io/ExternalSecret"]) {
    assert.ok(tree.health.has(key), key);
  }
});

for (const dir of dirs) {
  const file = parse(readFileSync(join(dir, "health_test.yaml"), "utf8")) as HealthTestFile;
  for (const tc of file.tests) {
    test(`${relative(root, dir)}: ${tc.inputPath}`, () => {
      const obj = parse(readFileSync(join(dir, tc.inputPath), "utf8"), { version: "1.1" }) as Record<string, unknown>;
      const script = override.findHealthScript(String(obj.apiVersion).split("/")[0] ?? "", String(obj.kind));
      assert.equal(script?.origin, `${root}/${relative(root, dir)}/health.lua`);
      assert.deepEqual(override.getResourceHealth(obj), { status: tc.healthStatus.status, message: tc.healthStatus.message ?? "" });
    });
  }
}
