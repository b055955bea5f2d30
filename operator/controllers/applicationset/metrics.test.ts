// argocd_appset_info and argocd_appset_owned_applications over fixture caches.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../kube/client.js";
import { appSetInfoSeries, appSetLabelSeries, appSetOwnedSeries } from "./metrics.js";

const set = (name: string, uid: string, conditions?: Array<{ type: string; reason: string }>): KubeObject =>
  ({ apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", metadata: { name, namespace: "argocd", uid }, ...(conditions ? { status: { conditions } } : {}) });
const app = (name: string, owner?: { uid: string; controller?: boolean }): KubeObject => ({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application",
  metadata: { name, namespace: "argocd", ...(owner ? { ownerReferences: [{ apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", name: "x", uid: owner.uid, ...(owner.controller !== undefined ? { controller: owner.controller } : {}) }] } : {}) },
});

test("argocd_appset_info: resource_update_status is the ResourcesUpToDate condition's reason, Unknown without one", () => {
  const sets = [
    set("ok", "u1", [{ type: "ErrorOccurred", reason: "ApplicationSetUpToDate" }, { type: "ResourcesUpToDate", reason: "ApplicationSetUpToDate" }]),
    set("broken", "u2", [{ type: "ResourcesUpToDate", reason: "ApplicationGenerationFromParamsError" }]),
    set("new", "u3"),
  ];
  assert.deepEqual([...appSetInfoSeries(sets)], [
    { labels: { namespace: "argocd", name: "ok", resource_update_status: "ApplicationSetUpToDate" }, value: 1 },
    { labels: { namespace: "argocd", name: "broken", resource_update_status: "ApplicationGenerationFromParamsError" }, value: 1 },
    { labels: { namespace: "argocd", name: "new", resource_update_status: "Unknown" }, value: 1 },
  ]);
});

test("argocd_appset_owned_applications: Applications whose controller owner is the set, by uid; 0 for a set owning none", () => {
  const sets = [set("a", "u1"), set("b", "u2")];
  const apps = [app("a-1", { uid: "u1", controller: true }), app("a-2", { uid: "u1", controller: true }), app("loose", { uid: "u2" }), app("plain")];
  assert.deepEqual([...appSetOwnedSeries(sets, apps)], [
    { labels: { namespace: "argocd", name: "a" }, value: 2 },
    { labels: { namespace: "argocd", name: "b" }, value: 0 },
  ], "an ownerReference without controller: true does not count");
});

test("argocd_appset_labels: each configured key as label_<key>, empty when the set lacks it; off without keys", () => {
  const labelled = set("web", "u1");
  labelled.metadata.labels = { team: "web", "example.com/tier": "front" };
  const sets = [labelled, set("bare", "u2")];
  assert.deepEqual([...appSetLabelSeries(sets, ["team", "example.com/tier"])], [
    { labels: { namespace: "argocd", name: "web", label_team: "web", label_example_com_tier: "front" }, value: 1 },
    { labels: { namespace: "argocd", name: "bare", label_team: "", label_example_com_tier: "" }, value: 1 },
  ]);
  assert.deepEqual([...appSetLabelSeries(sets, [])], [], "no configured label: no series (opt-in, as Argo)");
});
