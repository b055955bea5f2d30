import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryLogger } from "../operator/runtime/logger.js";
import { listGenerator } from "./list.js";

const ctx = (goTemplate: boolean) => ({ appSet: { metadata: { name: "s", namespace: "argocd" }, spec: { goTemplate } }, log: memoryLogger().logger });

test("one parameter set per element", async () => {
  const params = await listGenerator.generate({ elements: [{ env: "dev", url: "https://a" }, { env: "prod", url: "https://b" }] }, ctx(false));
  assert.deepEqual(params, [{ env: "dev", url: "https://a" }, { env: "prod", url: "https://b" }]);
});

test("fasttemplate mode: legacy values map flattens; non-strings are an error naming the key", async () => {
  assert.deepEqual(await listGenerator.generate({ elements: [{ cluster: "a", values: { tier: "1" } }] }, ctx(false)), [{ cluster: "a", "values.tier": "1" }]);
  await assert.rejects(listGenerator.generate({ elements: [{ replicas: 3 }] }, ctx(false)), /element 0: "replicas" must be a string/);
});

test("goTemplate mode keeps structure; elementsYaml is appended", async () => {
  const params = await listGenerator.generate({ elements: [{ a: { b: 1 } }], elementsYaml: "- {c: [1, 2]}\n" }, ctx(true));
  assert.deepEqual(params, [{ a: { b: 1 } }, { c: [1, 2] }]);
  await assert.rejects(listGenerator.generate({ elementsYaml: "a: b" }, ctx(true)), /must be a YAML list/);
});

test("a per-generator template override is returned", () => {
  assert.deepEqual(listGenerator.template({ elements: [], template: { metadata: { name: "x" } } }), { metadata: { name: "x" } });
  assert.equal(listGenerator.requeueAfterMs(), undefined);
});
