import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invalidSyncTasks, type TaskValidationInput } from "./validate.js";
import type { KubeObject } from "./types.js";

const cm = (name: string, namespace?: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace } });
const ns = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const base: TaskValidationInput = {
  targets: [], projectName: "team", destination: { server: "https://kubernetes.default.svc", name: "in-cluster" },
  isNamespaced: (_a, kind) => (kind === "Namespace" ? false : kind === "ConfigMap" ? true : undefined),
};

describe("invalidSyncTasks", () => {
  it("enforces the project's resource lists", () => {
    const project = { destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [], namespaceResourceBlacklist: [{ group: "", kind: "ConfigMap" }] };
    const problems = invalidSyncTasks({ ...base, project, targets: [cm("a", "x"), ns("x")] });
    assert.deepEqual(problems, ["resource :ConfigMap is not permitted in project team", "resource :Namespace is not permitted in project team"], "both refused");
  });
  it("enforces the project's destinations per resource namespace", () => {
    const project = { destinations: [{ server: "*", namespace: "team-*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] };
    const problems = invalidSyncTasks({ ...base, project, targets: [cm("ok", "team-a"), cm("bad", "kube-system")] });
    assert.deepEqual(problems, ["namespace kube-system is not permitted in project 'team'"], "only the foreign namespace");
  });
  it("applies the cluster's namespace limit", () => {
    const problems = invalidSyncTasks({ ...base, targets: [cm("a", "x")], clusterAdmits: (n) => (n === "x" ? "namespace x is not managed" : undefined) });
    assert.deepEqual(problems, ["ConfigMap x/a: namespace x is not managed"], "limit reported with the object");
  });
  it("fails on shared resources only when asked", () => {
    const shared = { ...base, targets: [cm("a", "x")], trackingKey: "me", trackedByOther: () => "other" };
    assert.deepEqual(invalidSyncTasks(shared), [], "off by default");
    assert.deepEqual(invalidSyncTasks({ ...shared, failOnSharedResource: true }), ["shared resource found: ConfigMap x/a is part of applications other and me"], "refused with FailOnSharedResource");
    assert.deepEqual(invalidSyncTasks({ ...shared, failOnSharedResource: true, trackedByOther: () => "me" }), [], "its own resource is fine");
  });
});
