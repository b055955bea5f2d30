import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invalidSyncTasks, isLiveResourcePermitted, missingProjectMessage, type TaskValidationInput } from "./validate.js";
import type { KubeObject } from "./types.js";

const cm = (name: string, namespace?: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace } });
const ns = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const base: TaskValidationInput = {
  targets: [], projectName: "team", destination: { server: "https://kubernetes.default.svc", name: "in-cluster" },
  isNamespaced: (_a, kind) => (kind === "Namespace" ? false : kind === "ConfigMap" ? true : undefined),
  project: { destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] },
};
const crb: KubeObject = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "pwn" } };
const widget = (namespace?: string): KubeObject => ({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace } });
const widgetCrd = (scope: string): KubeObject => ({
  apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "widgets.example.com" },
  spec: { group: "example.com", names: { kind: "Widget", plural: "widgets" }, scope },
});

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
  it("refuses every task when the project does not exist (attack: a missing project turned the checks off)", () => {
    const problems = invalidSyncTasks({ ...base, project: undefined, targets: [crb, cm("a", "x")] });
    assert.deepEqual(problems, [missingProjectMessage("team")], "one refusal naming the project");
  });
  it("refuses a kind discovery does not know unless both scopes are allowed (attack: unknown kinds skipped the kind check)", () => {
    const namespacedOnly = { destinations: [{ server: "*", namespace: "team-a" }], clusterResourceWhitelist: [] };
    assert.deepEqual(invalidSyncTasks({ ...base, project: namespacedOnly, targets: [widget("team-a")] }),
      ["resource example.com:Widget is not known to the destination cluster and cannot be checked against project team"], "may be cluster-scoped: refused");
    assert.deepEqual(invalidSyncTasks({ ...base, targets: [widget("x")] }), [], "a project allowing both scopes lets it through");
    const open = { destinations: [{ server: "*", namespace: "team-a" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] };
    assert.deepEqual(invalidSyncTasks({ ...base, project: open, targets: [widget("kube-system")] }),
      ["resource example.com:Widget is not known to the destination cluster and cannot be checked against project team"], "its namespace must still be allowed");
  });
  it("classifies an unknown kind from a CRD in the same sync", () => {
    const namespacedOnly = { destinations: [{ server: "*", namespace: "team-a" }], clusterResourceWhitelist: [{ group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" }] };
    assert.deepEqual(invalidSyncTasks({ ...base, project: namespacedOnly, targets: [widgetCrd("Namespaced"), widget("team-a")] }), [], "namespaced per its CRD");
    assert.deepEqual(invalidSyncTasks({ ...base, project: namespacedOnly, targets: [widgetCrd("Cluster"), widget()] }),
      ["resource example.com:Widget is not permitted in project team"], "cluster-scoped per its CRD, which the project forbids");
  });
  it("refuses every task on a cluster not scoped to a project with permitOnlyProjectScopedClusters", () => {
    const project = { ...base.project, permitOnlyProjectScopedClusters: true };
    const scoped = { server: "https://team.example", name: "team-cluster", project: "team" };
    const foreign = { server: "https://other.example", name: "other", project: "elsewhere" };
    assert.deepEqual(invalidSyncTasks({ ...base, project, destination: scoped, targets: [cm("a", "x")] }), [], "the project's own cluster");
    const refused = invalidSyncTasks({ ...base, project, destination: foreign, clusters: [scoped, foreign], targets: [cm("a", "x"), ns("x")] });
    assert.equal(refused.length, 1, "one message for the whole sync");
    assert.match(refused[0] ?? "", /cluster 'other' .* is scoped to project 'elsewhere'/, "names the cluster and its project");
    assert.equal(invalidSyncTasks({ ...base, project, targets: [cm("a", "x")] }).length, 1, "an unscoped cluster is refused too");
  });
  it("decides which live objects an app of the project may touch", () => {
    const dest = { server: "https://kubernetes.default.svc", name: "in-cluster" };
    const project = { destinations: [{ server: "*", namespace: "team-a" }], clusterResourceWhitelist: [] };
    assert.equal(isLiveResourcePermitted(project, cm("a", "team-a"), dest), true, "own namespace");
    assert.equal(isLiveResourcePermitted(project, cm("a", "kube-system"), dest), false, "foreign namespace");
    assert.equal(isLiveResourcePermitted(project, crb, dest), false, "cluster-scoped kind the project forbids");
    assert.equal(isLiveResourcePermitted(undefined, cm("a", "team-a"), dest), false, "no project, nothing");
  });
});
