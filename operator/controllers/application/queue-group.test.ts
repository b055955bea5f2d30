import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationObject } from "../../appstate/types.js";
import { AdaptiveLimiter } from "../../kube/adaptive.js";
import type { AppClient } from "./context.js";
import { limitedAppClient } from "./context.js";
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

test("Application writes wait in the write limiter in their app's group: another project's status write goes ahead of a burst's", async () => {
  const apps = new Map<string, ApplicationObject>();
  for (let i = 0; i < 200; i++) apps.set(`argocd/burst-${i}`, app("default"));
  apps.set("argocd/probe", app("probe"));
  const sent: string[] = [];
  let openFirst!: () => void;
  const first = new Promise<void>((r) => { openFirst = r; });
  const client = {
    get: () => Promise.resolve(undefined),
    patch: async (ref: { name: string }) => {
      sent.push(ref.name);
      if (sent.length === 1) await first;
      return { apiVersion: "v1", kind: "x", metadata: { name: ref.name } };
    },
  } as unknown as AppClient;
  const limited = limitedAppClient(client, new AdaptiveLimiter({ initial: 1, max: 1 }), (key) => appQueueGroup(apps.get(key)));
  const ref = (name: string) => ({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", name, namespace: "argocd" });
  const writes = Array.from({ length: 200 }, (_, i) => limited.patch(ref(`burst-${i}`), { status: {} }, { subresource: "status" }));
  writes.push(limited.patch(ref("probe"), { status: {} }, { subresource: "status" }));
  await new Promise((r) => setTimeout(r, 1));
  assert.deepEqual(sent, ["burst-0"], "one slot, taken by the burst");
  openFirst();
  await Promise.all(writes);
  assert.deepEqual(sent.slice(0, 3), ["burst-0", "burst-1", "probe"], "the probe's write waited one turn of the burst's project, not the burst");
  assert.equal(sent.length, 201);
});
