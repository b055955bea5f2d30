// The resource panel's manifests: JSON strings from the API shown as YAML, and unified diffs
// of live against desired with their lines classified for colouring.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diffLines, manifestDiff, toYaml, withoutManagedFields } from "./manifests";

const live = JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "demo" }, spec: { replicas: 3, template: { spec: { containers: [{ name: "web", image: "demo:1" }] } } } });
const desired = JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "demo" }, spec: { replicas: 1, template: { spec: { containers: [{ name: "web", image: "demo:1" }] } } } });

test("toYaml: a JSON string as YAML; none, null and the empty string are empty", () => {
  assert.equal(toYaml(JSON.stringify({ kind: "ConfigMap", data: { a: "1" } })), "kind: ConfigMap\ndata:\n  a: \"1\"\n");
  assert.equal(toYaml(undefined), "", "undefined");
  assert.equal(toYaml(null), "", "null (targetState of a resource not in Git)");
  assert.equal(toYaml("null"), "", "a JSON null");
  assert.equal(toYaml("not json"), "not json", "anything else is shown as it came");
});

test("manifestDiff: the changed field as a removed and an added line; equal manifests give no diff", () => {
  const patch = manifestDiff("Deployment/demo", toYaml(live), toYaml(desired));
  const lines = diffLines(patch);
  assert.deepEqual(lines.filter((l) => l.kind === "del" || l.kind === "add").map((l) => l.text), ["-  replicas: 3", "+  replicas: 1"], patch);
  assert.deepEqual(lines.filter((l) => l.kind === "file").map((l) => l.text.split("\t")[0]), ["--- Deployment/demo (live)", "+++ Deployment/demo (desired)"], "the two sides are named");
  assert.equal(lines.filter((l) => l.kind === "hunk").length, 1, "one hunk");
  assert.ok(lines.some((l) => l.kind === "context" && l.text === " spec:"), "with context lines");
  assert.ok(!lines.some((l) => l.text.startsWith("Index:") || l.text.startsWith("===")), "without the banner");
  assert.equal(manifestDiff("x", toYaml(live), toYaml(live)), "", "no differences");
});

test("Hide Managed Fields drops metadata.managedFields and keeps everything else", () => {
  const obj = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", labels: { a: "b" }, managedFields: [{ manager: "kubectl", operation: "Apply" }] }, data: { k: "v" } };
  const shown = toYaml(withoutManagedFields(JSON.stringify(obj)));
  assert.doesNotMatch(shown, /managedFields|manager: kubectl/, "no managed fields");
  assert.match(shown, /labels:\n {4}a: b/, "the labels stay");
  assert.match(shown, /data:\n {2}k: v/, "the data stays");
  const plain = JSON.stringify({ kind: "X", metadata: { name: "n" } });
  assert.equal(withoutManagedFields(plain), plain, "an object without managed fields is unchanged");
  assert.equal(withoutManagedFields("not json"), "not json", "not JSON: shown as it came");
  assert.equal(withoutManagedFields(undefined), undefined);
});
