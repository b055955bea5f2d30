// The live cache's shared-field objects (trim.ts) diff and health-check exactly as the objects the
// apiserver sent: every diff fixture of the engine (managedFields three-way, managedFieldsManagers,
// last-applied, server-side) and every health fixture, run on both, with one pool for all cases as
// in a cache (so the field sets of later cases are shared, frozen copies).
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
import { SharedFields, shareFields } from "./trim.js";

const pool = new SharedFields();
const trimmed = <T extends object>(obj: T): T => shareFields(structuredClone(obj) as unknown as KubeObject, pool) as unknown as T;

test("identical field sets are stored once, frozen; strings are pooled; the object still equals the original", () => {
  const own = new SharedFields();
  const pod = (name: string, time: string): KubeObject => ({
    apiVersion: "v1", kind: "Pod", metadata: {
      name, namespace: "n",
      managedFields: [{ manager: "kwok", operation: "Update", apiVersion: "v1", time, fieldsType: "FieldsV1", fieldsV1: { "f:status": { "f:phase": {} } }, subresource: "status" }],
    },
  });
  const a = shareFields(structuredClone(pod("a", "t1")), own);
  const b = shareFields(structuredClone(pod("b", "t2")), own);
  assert.deepEqual(a, pod("a", "t1"), "a equals what was sent");
  assert.deepEqual(b, pod("b", "t2"), "b equals what was sent");
  const setOf = (o: KubeObject): unknown => (o.metadata.managedFields as Array<{ fieldsV1: unknown }>)[0]!.fieldsV1;
  assert.equal(setOf(a), setOf(b), "one field set object for both");
  assert.ok(Object.isFrozen(setOf(a)) && Object.isFrozen((setOf(a) as Record<string, unknown>)["f:status"]), "deep-frozen");
  assert.throws(() => { (setOf(a) as Record<string, unknown>)["f:spec"] = {}; }, TypeError, "a shared set cannot be changed");
  assert.deepEqual(own.size, { sets: 1, strings: 9 }, "one set; the strings v1, Pod, n, kwok, Update, t1, t2, FieldsV1, status once each");
  const full = new SharedFields(0, 0);
  const c = shareFields(structuredClone(pod("c", "t3")), full);
  assert.equal(c.kind, "Pod", "unpooled strings stay as they were");
  const d = shareFields(structuredClone(pod("d", "t3")), full);
  assert.notEqual(setOf(c), setOf(d), "a full pool shares nothing more");
  assert.ok(!Object.isFrozen(setOf(d)), "and leaves the set as it came");
  assert.deepEqual(d, pod("d", "t3"), "still equal to the original");
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
