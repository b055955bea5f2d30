import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationObject } from "./cache.js";
import { treeWatchSpecs } from "./tree-cache.js";

const app = {
  apiVersion: "argoproj.io/v1alpha1", kind: "Application",
  metadata: { name: "web", namespace: "argocd" },
  spec: { project: "default", destination: {} },
  status: {
    resources: [
      { group: "apps", version: "v1", kind: "Deployment", namespace: "shop", name: "web" },
      { version: "v1", kind: "Service", namespace: "shop", name: "web" },
      { version: "v1", kind: "Namespace", name: "shop" },
      { group: "batch", version: "v1", kind: "Job", namespace: "shop", name: "migrate", hook: true },
    ],
  },
} as unknown as ApplicationObject;

describe("treeWatchSpecs", () => {
  it("watches each managed kind where it lives and the child kinds in the managed namespaces; hooks are not part of the tree", () => {
    const { specs, managed } = treeWatchSpecs(app);
    const keys = specs.map((s) => `${s.apiVersion} ${s.kind} ${s.namespace || "*"}`);
    assert.ok(keys.includes("apps/v1 Deployment shop"), `the Deployment's kind in its namespace: ${keys.join("; ")}`);
    assert.ok(keys.includes("v1 Namespace *"), "a cluster-scoped kind cluster-wide");
    assert.ok(keys.includes("apps/v1 ReplicaSet shop") && keys.includes("v1 Pod shop"), "child kinds in the managed namespace");
    assert.ok(keys.includes("batch/v1 Job shop"), "Job is a child kind (CronJob → Job)");
    assert.equal(new Set(keys).size, keys.length, "each watch once");
    assert.deepEqual(managed.map((m) => m.name), ["web", "web", "shop"], "the hook is not a managed node");
  });

  it("needs no watch for an app without resources", () => {
    assert.deepEqual(treeWatchSpecs({ ...app, status: {} }).specs, []);
  });
});
