import { test } from "node:test";
import assert from "node:assert/strict";
import { planApplications, type CurrentApplication } from "./apply-policy.js";
import type { GeneratedApplication } from "./render.js";

const app = (name: string, path: string, annotations?: Record<string, string>): GeneratedApplication => ({
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Application",
  metadata: { name, namespace: "argocd", finalizers: ["resources-finalizer.argocd.argoproj.io"], ...(annotations ? { annotations } : {}) },
  spec: { project: "default", source: { path } },
});
const cur = (a: GeneratedApplication, extraAnnotations?: Record<string, string>): CurrentApplication => ({
  metadata: { ...a.metadata, ...(extraAnnotations ? { annotations: { ...(a.metadata.annotations ?? {}), ...extraAnnotations } } : {}) },
  spec: a.spec,
});

test("applicationsSync policies decide creates, updates and deletes", () => {
  const desired = [app("a", "new"), app("b", "same"), app("c", "c")];
  const current = [cur(app("a", "old")), cur(app("b", "same")), cur(app("z", "z"))];
  const table: [Parameters<typeof planApplications>[2], string[], string[], string[]][] = [
    ["sync", ["c"], ["a"], ["z"]],
    ["create-only", ["c"], [], []],
    ["create-update", ["c"], ["a"], []],
    ["create-delete", ["c"], [], ["z"]],
  ];
  for (const [policy, create, update, del] of table) {
    const plan = planApplications(desired, current, policy);
    assert.deepEqual([plan.create.map((x) => x.metadata.name), plan.update.map((x) => x.metadata.name), plan.delete], [create, update, del], policy);
  }
});

test("preserved annotations (notifications, refresh, preservedFields) neither cause nor lose updates", () => {
  const desired = [app("a", "p")];
  const current = [cur(app("a", "p"), { "notified.notifications.argoproj.io": "{}", "team/owner": "x" })];
  assert.deepEqual(planApplications(desired, current, "sync", ["team/owner"]).update, []);
  const plan = planApplications(desired, current, "sync");
  assert.deepEqual(plan.update[0]?.metadata.annotations, { "notified.notifications.argoproj.io": "{}" });
});
