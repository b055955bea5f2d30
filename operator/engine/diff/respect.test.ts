// RespectIgnoreDifferences fixtures (testdata/respect/*.yaml): ignoreDifferences rules (and
// argocd-cm's), a target, a live object, and the object a sync must apply.
import { test } from "node:test";
import assert from "node:assert/strict";
// eslint-disable-next-line no-restricted-imports -- tests read their YAML fixtures; the code under test does not
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { parseArgoSettings } from "../settings.js";
import { respectIgnoreDifferences, type IgnoreDifferencesEntry, type JsonObject } from "./index.js";

interface Fixture {
  ignoreDifferences?: IgnoreDifferencesEntry[];
  argocdCm?: Record<string, string>;
  target: JsonObject;
  live: JsonObject | null;
  expect: JsonObject;
}

const dir = new URL("./testdata/respect/", import.meta.url);
const files = readdirSync(fileURLToPath(dir)).filter((f) => f.endsWith(".yaml")).sort();

test("there are RespectIgnoreDifferences fixtures", () => {
  assert.ok(files.length >= 5, `found only ${files.length} fixtures in testdata/respect`);
});

for (const file of files) {
  test(`respectIgnoreDifferences: ${file}`, async () => {
    const fx = parse(readFileSync(fileURLToPath(new URL(file, dir)), "utf8")) as Fixture;
    const target = structuredClone(fx.target);
    const live = structuredClone(fx.live);
    const settings = fx.argocdCm ? parseArgoSettings(fx.argocdCm) : undefined;
    const r = await respectIgnoreDifferences(fx.target, fx.live, { ignoreDifferences: fx.ignoreDifferences, ...(settings ? { settings } : {}) });
    assert.deepEqual(r.obj, fx.expect);
    assert.deepEqual(r.warnings, [], "no normaliser warnings");
    assert.deepEqual(fx.target, target, "the target is not modified");
    assert.deepEqual(fx.live, live, "the live object is not modified");
  });
}

test("respectIgnoreDifferences reports a failing jq expression and leaves the target to git", async () => {
  const target: JsonObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "git" } };
  const live: JsonObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "live" } };
  const r = await respectIgnoreDifferences(target, live, { ignoreDifferences: [{ kind: "ConfigMap", jqPathExpressions: [".data.a |||"] }] });
  assert.deepEqual(r.obj, target);
  assert.equal(r.warnings.length, 1, `one warning: ${JSON.stringify(r.warnings)}`);
  assert.match(r.warnings[0] ?? "", /jq path expression \.data\.a \|\|\|/);
});
