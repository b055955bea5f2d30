import { test } from "node:test";
import assert from "node:assert/strict";
import { appSetResources } from "./resources.js";

test("status.resources: sorted by name, sync and health copied, capped with the full count", () => {
  const apps = [
    { metadata: { name: "b", namespace: "argocd" }, status: { sync: { status: "OutOfSync" }, health: { status: "Degraded", message: "crashloop" } } },
    { metadata: { name: "a", namespace: "argocd" } },
    { metadata: { name: "c", namespace: "argocd" }, status: { sync: { status: "Synced" }, health: { status: "Healthy" } } },
  ];
  assert.deepEqual(appSetResources(apps, 2), {
    resources: [
      { group: "argoproj.io", version: "v1alpha1", kind: "Application", namespace: "argocd", name: "a" },
      { group: "argoproj.io", version: "v1alpha1", kind: "Application", namespace: "argocd", name: "b", status: "OutOfSync", health: { status: "Degraded", message: "crashloop" } },
    ],
    resourcesCount: 3,
  });
  assert.equal(appSetResources(apps).resources.length, 3);
});
