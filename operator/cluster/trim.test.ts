// The live cache's trimmed objects (trim.ts) diff and health-check exactly as the objects the
// apiserver sent: every diff fixture of the engine (managedFields three-way, managedFieldsManagers,
// last-applied, server-side) and every health fixture, run on both.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { diff, type JsonObject } from "../engine/diff/index.js";
import { evaluateResourceHealth, type KubeObj } from "../engine/health/index.js";
import type { KubeObject } from "../kube/client.js";
import { fixtureFiles, load, optionsOf } from "../../test/support/diff-fixtures.js";
import { compactManagedFields } from "./trim.js";

const trimmed = <T extends object>(obj: T): T => compactManagedFields(structuredClone(obj) as unknown as KubeObject) as unknown as T;

test("a compacted object reads, serialises and copies as the original", () => {
  const pod: KubeObject = {
    apiVersion: "v1", kind: "Pod", metadata: {
      name: "p", namespace: "n",
      managedFields: [{ manager: "kwok", operation: "Update", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:status": { "f:phase": {} } }, subresource: "status" }],
    },
  };
  const c = trimmed(pod);
  assert.deepEqual(c, pod, "deep-equal to the original");
  assert.equal(JSON.stringify(c), JSON.stringify(pod), "same JSON, same key order");
  assert.deepEqual(structuredClone(c), pod, "a structured clone holds plain managedFields");
  assert.deepEqual({ ...c.metadata }, pod.metadata, "a spread reads them too");
  const read = c.metadata.managedFields as Array<{ manager: string }>;
  read[0]!.manager = "changed";
  assert.equal((c.metadata.managedFields as Array<{ manager: string }>)[0]!.manager, "kwok", "changing a read copy changes nothing cached");
  c.metadata.managedFields = [];
  assert.deepEqual(c.metadata.managedFields, [], "assignment replaces the value");
  const none = trimmed({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } });
  assert.equal(Object.getOwnPropertyDescriptor(none.metadata, "managedFields"), undefined, "no managedFields: nothing added");
});

const diffFiles = fixtureFiles();
test("diff fixtures exist with managedFields among them", () => {
  const withFields = diffFiles.filter((f) => JSON.stringify(load(f).live ?? {}).includes("managedFields"));
  assert.ok(withFields.length >= 5, `cases whose live object has managedFields: ${withFields.join(", ")}`);
});

for (const file of diffFiles) {
  const fx = load(file);
  if (fx.gap || !fx.live) continue;
  test(`diff fixture ${file}: the trimmed live object diffs the same`, async () => {
    const original = await diff(fx.desired ?? null, structuredClone(fx.live) as JsonObject, optionsOf(fx));
    const compact = await diff(fx.desired ?? null, trimmed(fx.live as JsonObject), optionsOf(fx));
    assert.deepEqual(compact, original, "same DiffResult");
  });
}

const healthDir = fileURLToPath(new URL("../engine/health/testdata/", import.meta.url));
const healthFiles = readdirSync(healthDir).filter((f) => f.endsWith(".yaml")).sort();
test("health fixtures: the trimmed object has the same health", () => {
  assert.ok(healthFiles.length >= 50, `health cases in ${healthDir}: ${healthFiles.length}`);
  for (const file of healthFiles) {
    const obj = parse(readFileSync(join(healthDir, file), "utf8"), { version: "1.1" }) as KubeObj;
    const withFields = { ...obj, metadata: { ...(obj.metadata as object), managedFields: [{ manager: "m", operation: "Update", fieldsType: "FieldsV1", fieldsV1: { "f:status": {} } }] } } as KubeObj;
    assert.deepEqual(evaluateResourceHealth(trimmed(withFields)), evaluateResourceHealth(structuredClone(withFields)), file);
  }
});
