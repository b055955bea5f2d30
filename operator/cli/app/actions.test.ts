import { test } from "node:test";
import assert from "node:assert/strict";
import type { Application } from "../../api/index.js";
import { FlagError } from "../../flags.js";
import { actionsTable, inferTarget } from "./actions.js";

const app = (resources: Array<{ group?: string; kind: string; name: string; namespace?: string; version?: string }>): Application =>
  ({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "web" }, spec: {}, status: { resources } }) as unknown as Application;

test("without --namespace the app's one resource of that group, kind and name decides it", () => {
  const a = app([{ group: "apps", kind: "Deployment", name: "web", namespace: "shop", version: "v1" }, { kind: "Service", name: "web", namespace: "shop", version: "v1" }]);
  assert.deepEqual(inferTarget(a, { group: "apps", kind: "Deployment", name: "web" }), { group: "apps", kind: "Deployment", name: "web", namespace: "shop", version: "v1" });
  // Given: kept as it is, even when the app has the resource elsewhere.
  assert.deepEqual(inferTarget(a, { group: "apps", kind: "Deployment", name: "web", namespace: "other" }), { group: "apps", kind: "Deployment", name: "web", namespace: "other" });
  // Not the app's: passed on unchanged, for the server (or runner) to refuse with its message.
  assert.deepEqual(inferTarget(a, { group: "apps", kind: "Deployment", name: "nope" }), { group: "apps", kind: "Deployment", name: "nope" });
});

test("without --group the app's resource of that kind and name gives the group (the acceptance's `--kind Deployment --resource-name web`)", () => {
  const a = app([{ group: "apps", kind: "Deployment", name: "web", namespace: "shop", version: "v1" }, { kind: "Service", name: "web", namespace: "shop", version: "v1" }]);
  assert.deepEqual(inferTarget(a, { kind: "Deployment", name: "web" }), { group: "apps", kind: "Deployment", name: "web", namespace: "shop", version: "v1" });
  assert.deepEqual(inferTarget(a, { kind: "Deployment", name: "web", namespace: "shop" }), { group: "apps", kind: "Deployment", name: "web", namespace: "shop", version: "v1" }, "with --namespace too");
  assert.deepEqual(inferTarget(a, { kind: "Service", name: "web" }), { group: "", kind: "Service", name: "web", namespace: "shop", version: "v1" }, "the core group");
  // A --namespace that is not the resource's, or a resource that is not the app's: as given, core group.
  assert.deepEqual(inferTarget(a, { kind: "Deployment", name: "web", namespace: "other" }), { group: "", kind: "Deployment", name: "web", namespace: "other" });
  assert.deepEqual(inferTarget(a, { kind: "ReplicaSet", name: "web-5d9c" }), { group: "", kind: "ReplicaSet", name: "web-5d9c" });
  // --group given and wrong: not filled in from another group's resource.
  assert.deepEqual(inferTarget(a, { group: "example.com", kind: "Deployment", name: "web" }), { group: "example.com", kind: "Deployment", name: "web" });
});

test("a kind and name in several API groups needs --group", () => {
  const a = app([{ group: "apps", kind: "Deployment", name: "web", namespace: "shop" }, { group: "example.com", kind: "Deployment", name: "web", namespace: "shop" }]);
  assert.throws(() => inferTarget(a, { kind: "Deployment", name: "web" }), (e: unknown) => e instanceof FlagError && /exists in several API groups \(apps, example\.com\); give --group/.test(e.message));
  assert.equal(inferTarget(a, { group: "example.com", kind: "Deployment", name: "web" }).namespace, "shop", "--group picks one");
});

test("a name in several namespaces needs --namespace", () => {
  const a = app([{ kind: "ConfigMap", name: "c", namespace: "a" }, { kind: "ConfigMap", name: "c", namespace: "b" }]);
  assert.throws(() => inferTarget(a, { group: "", kind: "ConfigMap", name: "c" }), (e: unknown) => e instanceof FlagError && /exists in several namespaces of application web \(a, b\); give --namespace/.test(e.message));
});

test("the list is a NAME/DISABLED table", () => {
  assert.equal(actionsTable([{ name: "restart" }, { name: "resume", disabled: true }]), "NAME     DISABLED\nrestart  false\nresume   true\n");
});
