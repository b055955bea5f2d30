import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { findCycles, findLayerViolations } from "./check-imports.mjs";
import { layerOf, layerViolation, resolveSpecifier, root } from "./layers.mjs";

test("imports point down the layers", () => {
  assert.equal(layerViolation("operator/cluster/clusters.ts", "operator/runtime/informer.ts"), undefined);
  assert.equal(layerViolation("operator/runtime/informer.ts", "operator/kube/client.ts"), undefined);
  assert.match(layerViolation("operator/runtime/informer.ts", "operator/cluster/cluster-cache.ts") ?? "", /a layer above it/);
  assert.match(layerViolation("operator/config.ts", "operator/cli/app.ts") ?? "", /a layer above it/);
  assert.match(layerViolation("plugins/helm/index.ts", "generators/index.ts") ?? "", /beside it on the same layer/);
  assert.match(layerViolation("operator/api/generated/application.ts", "operator/kube/client.ts") ?? "", /a layer above it/);
  assert.equal(layerViolation("operator/cli/app.ts", "operator/cli.ts"), undefined, "cli/ and cli.ts are one unit");
  assert.match(layerViolation("operator/newdir/x.ts", "operator/api/index.ts") ?? "", /in no layer/);
});

test("operator/devcluster only for the dev cluster, its command and tests", () => {
  assert.match(layerViolation("plugins/helm/index.ts", "operator/devcluster/binaries.ts") ?? "", /only the dev cluster/);
  assert.match(layerViolation("operator/appset/gotemplate-wasm.ts", "operator/devcluster/index.ts") ?? "", /only the dev cluster/);
  assert.equal(layerViolation("operator/cli/dev-cluster.ts", "operator/devcluster/cluster.ts"), undefined);
  assert.equal(layerViolation("plugins/helm/helm.test.ts", "operator/devcluster/binaries.ts"), undefined);
  assert.equal(layerViolation("test/support/cluster.ts", "operator/devcluster/cluster.ts"), undefined);
  assert.equal(layerViolation("hack/demo.ts", "operator/devcluster/index.ts"), undefined);
  assert.equal(layerViolation("operator/devcluster/binaries.ts", "operator/tools/index.ts"), undefined);
  assert.match(layerViolation("operator/devcluster/cluster.ts", "operator/runtime/logger.ts") ?? "", /only the foundation/);
});

test("specifiers resolve to repository paths", () => {
  assert.equal(resolveSpecifier("operator/cluster/clusters.ts", "../kube/client.js"), "operator/kube/client.ts");
  assert.equal(resolveSpecifier("plugins/helm/index.ts", "../../operator/tools/index.js"), "operator/tools/index.ts");
  assert.equal(resolveSpecifier("plugins/helm/index.ts", "yaml"), undefined);
  assert.deepEqual(layerOf("operator/api/generated/application.ts"), { index: 0, unit: "operator/api/" });
});

test("findCycles finds circles, self-imports included, and nothing else", () => {
  const graph = new Map([
    ["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts", "d.ts"]], ["d.ts", []], ["e.ts", ["e.ts"]], ["f.ts", ["d.ts"]],
  ]);
  assert.deepEqual(findCycles(graph), [["a.ts", "b.ts", "c.ts"], ["e.ts"]]);
  assert.deepEqual(findCycles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]])), []);
});

test("findLayerViolations reports imports that point up, generated files included", () => {
  const graph = new Map([
    ["operator/api/generated/application.ts", ["operator/kube/client.ts"]],
    ["operator/cluster/clusters.ts", ["operator/runtime/informer.ts"]],
  ]);
  const found = findLayerViolations(graph);
  assert.equal(found.length, 1);
  assert.match(found[0] ?? "", /^operator\/api\/generated\/application.ts -> operator\/kube\/client.ts: .*a layer above it/);
});

test("the tree has no import circle and no import up the layers (hack/check-imports.mjs)", () => {
  const r = spawnSync(process.execPath, [join(root, "hack", "check-imports.mjs")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no import circle, every import points down the layers/);
});
