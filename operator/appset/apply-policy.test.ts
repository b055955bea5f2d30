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

test("applicationsSync policies decide creates, updates and deletes", async () => {
  const desired = [app("a", "new"), app("b", "same"), app("c", "c")];
  const current = [cur(app("a", "old")), cur(app("b", "same")), cur(app("z", "z"))];
  const table: [Parameters<typeof planApplications>[2], string[], string[], string[]][] = [
    ["sync", ["c"], ["a"], ["z"]],
    ["create-only", ["c"], [], []],
    ["create-update", ["c"], ["a"], []],
    ["create-delete", ["c"], [], ["z"]],
  ];
  for (const [policy, create, update, del] of table) {
    const plan = await planApplications(desired, current, policy);
    assert.deepEqual([plan.create.map((x) => x.metadata.name), plan.update.map((x) => x.metadata.name), plan.delete], [create, update, del], policy);
  }
});

test("preserved annotations (notifications, refresh, preservedFields) neither cause nor lose updates", async () => {
  const desired = [app("a", "p")];
  const current = [cur(app("a", "p"), { "notified.notifications.argoproj.io": "{}", "team/owner": "x" })];
  assert.deepEqual((await planApplications(desired, current, "sync", { preservedAnnotations: ["team/owner"] })).update, []);
  const plan = await planApplications(desired, current, "sync");
  assert.deepEqual(plan.update[0]?.metadata.annotations, { "notified.notifications.argoproj.io": "{}" });
});

test("preservedFields.labels keep a label the template does not set", async () => {
  const desired = [app("a", "p")];
  const current: CurrentApplication[] = [{ metadata: { ...desired[0]!.metadata, labels: { "team": "x", "other": "y" } }, spec: desired[0]!.spec }];
  const plan = await planApplications(desired, current, "sync", { preservedLabels: ["team"] });
  assert.deepEqual(plan.update[0]?.metadata.labels, { team: "x" }, "the preserved label stays, the other goes");
});
