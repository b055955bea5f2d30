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

test("a name in several namespaces needs --namespace", () => {
  const a = app([{ kind: "ConfigMap", name: "c", namespace: "a" }, { kind: "ConfigMap", name: "c", namespace: "b" }]);
  assert.throws(() => inferTarget(a, { group: "", kind: "ConfigMap", name: "c" }), (e: unknown) => e instanceof FlagError && /exists in several namespaces of application web \(a, b\); give --namespace/.test(e.message));
});

test("the list is a NAME/DISABLED table", () => {
  assert.equal(actionsTable([{ name: "restart" }, { name: "resume", disabled: true }]), "NAME     DISABLED\nrestart  false\nresume   true\n");
});
