// maskSecrets for display: Secret data, a Secret's last-applied-configuration, and the annotation
// keys of argocd-cm resource.sensitive.mask.annotations on any kind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { maskSecrets, sensitiveAnnotationKeys, type JsonObject } from "./index.js";

const obj = (kind: string, annotations: Record<string, string>, extra: JsonObject = {}): JsonObject => ({
  apiVersion: kind === "Deployment" ? "apps/v1" : "v1", kind, metadata: { name: "x", namespace: "ns", annotations }, ...extra,
});
const annotations = (o: JsonObject | null): Record<string, unknown> => ((o?.metadata as JsonObject).annotations as Record<string, unknown>);

test("sensitiveAnnotationKeys reads the comma-separated list, blanks dropped", () => {
  assert.deepEqual(sensitiveAnnotationKeys({ "resource.sensitive.mask.annotations": " example.com/token, api-key ,," }), ["example.com/token", "api-key"]);
  assert.deepEqual(sensitiveAnnotationKeys({}), []);
  assert.deepEqual(sensitiveAnnotationKeys(undefined), []);
});

test("listed annotations are masked on every kind; equal values share a mask, changed ones differ; others stay", () => {
  const keys = ["example.com/token", "api-key"];
  const desired = obj("ConfigMap", { "example.com/token": "t-1", "api-key": "k-1", team: "a" });
  const live = obj("ConfigMap", { "example.com/token": "t-1", "api-key": "k-OLD", team: "a" });
  const [d, l] = maskSecrets(desired, live, keys);
  assert.deepEqual(annotations(d), { "example.com/token": "++++++++", "api-key": "++++++++", team: "a" });
  assert.deepEqual(annotations(l), { "example.com/token": "++++++++", "api-key": "+++++++++", team: "a" }, "a changed value shows as changed");
  assert.equal(annotations(desired)["api-key"], "k-1", "the inputs are not modified");
  const [dep] = maskSecrets(obj("Deployment", { "api-key": "k" }), null, keys);
  assert.equal(annotations(dep)["api-key"], "++++++++", "a Deployment too");
  const plain = obj("ConfigMap", { team: "a" });
  assert.equal(maskSecrets(plain, null, keys)[0], plain, "nothing to mask: the object itself");
  assert.equal(JSON.stringify(maskSecrets(desired, live, keys)).includes("k-OLD"), false, "no listed value survives");
});

test("a Secret: data, stringData and its last-applied-configuration are masked, listed annotations too", () => {
  const lastApplied = JSON.stringify({ apiVersion: "v1", kind: "Secret", data: { password: "aHVudGVyMg==" } });
  const secret = obj("Secret", { "kubectl.kubernetes.io/last-applied-configuration": lastApplied, "vault/path": "secret/db", note: "n" }, { data: { password: "aHVudGVyMg==" } });
  const [m] = maskSecrets(secret, null, ["vault/path"]);
  assert.deepEqual(m?.data, { password: "++++++++" });
  assert.deepEqual(annotations(m), { "kubectl.kubernetes.io/last-applied-configuration": "++++++++", "vault/path": "++++++++", note: "n" });
  assert.ok(!JSON.stringify(m).includes("aHVudGVyMg=="), "the data is nowhere in the masked Secret");
});
