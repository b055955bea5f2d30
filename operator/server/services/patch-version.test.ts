// Which resourceVersion a PATCH of an Application asks for (optimistic concurrency): read from the
// patch document itself, never inferred from a cache that may be behind the apiserver.
import { test } from "node:test";
import assert from "node:assert/strict";
import { patchedResourceVersion } from "./applications.js";

test("a merge patch's metadata.resourceVersion is the caller's; none, null or empty is not", () => {
  assert.equal(patchedResourceVersion("merge", { metadata: { resourceVersion: "41", labels: { a: "b" } } }), "41");
  assert.equal(patchedResourceVersion("merge", { metadata: { labels: { a: "b" } } }), undefined);
  assert.equal(patchedResourceVersion("merge", { metadata: { resourceVersion: null } }), undefined);
  assert.equal(patchedResourceVersion("merge", { metadata: { resourceVersion: "" } }), undefined);
  assert.equal(patchedResourceVersion("merge", { spec: { project: "x" } }), undefined);
  assert.equal(patchedResourceVersion("merge", "not an object"), undefined);
});

test("a json patch's add or replace of /metadata/resourceVersion is the caller's; a later remove undoes it", () => {
  assert.equal(patchedResourceVersion("json", [{ op: "replace", path: "/metadata/resourceVersion", value: "7" }, { op: "add", path: "/metadata/labels/x", value: "y" }]), "7");
  assert.equal(patchedResourceVersion("json", [{ op: "add", path: "/metadata/resourceVersion", value: "8" }]), "8");
  assert.equal(patchedResourceVersion("json", [{ op: "replace", path: "/metadata/resourceVersion", value: "8" }, { op: "remove", path: "/metadata/resourceVersion" }]), undefined);
  assert.equal(patchedResourceVersion("json", [{ op: "test", path: "/metadata/resourceVersion", value: "9" }]), undefined, "a test op is checked by the patch itself");
  assert.equal(patchedResourceVersion("json", [{ op: "replace", path: "/metadata/resourceVersionX", value: "9" }]), undefined);
  assert.equal(patchedResourceVersion("json", { op: "replace" }), undefined);
});
