import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationObject } from "../../appstate/types.js";
import { appQueueGroup } from "./queue-group.js";

const app = (project: string | undefined, owners: ApplicationObject["metadata"]["ownerReferences"] = undefined, namespace = "argocd"): ApplicationObject => ({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application",
  metadata: { name: "a", namespace, ...(owners ? { ownerReferences: owners } : {}) },
  spec: { ...(project !== undefined ? { project } : {}) },
});
const appSetOwner = (name: string) => ({ apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", name, uid: `uid-${name}`, controller: true });

test("an app's queue group: its owning ApplicationSet, else its project", () => {
  assert.equal(appQueueGroup(app("team-a", [appSetOwner("burst")])), "ApplicationSet/argocd/burst", "the ApplicationSet, whatever the project");
  assert.equal(appQueueGroup(app("team-a", [appSetOwner("burst")], "apps")), "ApplicationSet/apps/burst", "owners are in the app's namespace");
  assert.notEqual(appQueueGroup(app("team-a", [appSetOwner("one")])), appQueueGroup(app("team-a", [appSetOwner("two")])), "two ApplicationSets of one project take separate turns");
  assert.equal(appQueueGroup(app("team-a")), "AppProject/team-a", "created by hand: the project");
  assert.notEqual(appQueueGroup(app("team-a")), appQueueGroup(app("team-a", [appSetOwner("burst")])), "a hand-made app does not wait in its project's ApplicationSet's turn");
  assert.equal(appQueueGroup(app(undefined)), "AppProject/default", "no project is the default project");
  assert.equal(appQueueGroup(app("")), "AppProject/default");
  assert.equal(appQueueGroup(app("p", [{ apiVersion: "example.com/v1", kind: "ApplicationSet", name: "x", uid: "u" }])), "AppProject/p", "only Argo's ApplicationSet kind counts as the owner");
  assert.equal(appQueueGroup(app("p", [{ apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "u" }])), "AppProject/p", "other owners do not");
  assert.equal(appQueueGroup(undefined), "", "an app gone from the cache");
});
