import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationObject } from "../cache.js";
import { appSetTree, ownerSetUids } from "./appset-streams.js";

const set = { apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", metadata: { name: "envs", namespace: "argocd", uid: "set-uid" } };
const app = (name: string, health?: string, owners = [{ apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", name: "envs", uid: "set-uid" }]): ApplicationObject => ({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application",
  metadata: { name, namespace: "argocd", uid: `${name}-uid`, resourceVersion: "7", ownerReferences: owners },
  spec: { project: "default", destination: {} },
  ...(health ? { status: { health: { status: health } } } : {}),
}) as unknown as ApplicationObject;

describe("ownerSetUids", () => {
  it("indexes an app by the uid of the ApplicationSet owning it, and nothing else", () => {
    assert.deepEqual(ownerSetUids(app("a")), ["set-uid"]);
    assert.deepEqual(ownerSetUids(app("b", undefined, [{ apiVersion: "apps/v1", kind: "ApplicationSet", name: "x", uid: "other" }])), [], "another group's kind of the same name is not an owner");
  });
});

describe("appSetTree", () => {
  it("has one Application node per owned app, parented by the set, sorted, with the app's health", () => {
    const tree = appSetTree(set, [app("prod", "Degraded"), app("dev", "Healthy"), app("new")]);
    assert.deepEqual(tree.nodes.map((n) => n.name), ["dev", "new", "prod"]);
    const dev = tree.nodes[0]!;
    assert.equal(dev.kind, "Application");
    assert.equal(dev.group, "argoproj.io");
    assert.deepEqual(dev.health, { status: "Healthy" });
    assert.deepEqual(dev.parentRefs, [{ group: "argoproj.io", version: "v1alpha1", kind: "ApplicationSet", namespace: "argocd", name: "envs", uid: "set-uid" }]);
    assert.equal(tree.nodes[1]!.health, undefined, "an app not yet assessed has no health");
  });
});
