// Which Applications keep a deleted AppProject, and the finalizer write once none does.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationObject, AppProjectObject } from "../../appstate/types.js";
import { memoryLogger } from "../../runtime/logger.js";
import { ProjectFinalizer, finalizersToKeep, projectUsers } from "./project-finalizer.js";

const NS = "argocd";
const FINALIZER = "resources-finalizer.argocd.argoproj.io";

function project(meta: Partial<AppProjectObject["metadata"]> = {}, spec: Record<string, unknown> = {}): AppProjectObject {
  return { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "team", namespace: NS, resourceVersion: "7", ...meta }, spec };
}

function app(name: string, projectName: string | undefined, namespace = NS): ApplicationObject {
  return { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace }, spec: { ...(projectName !== undefined ? { project: projectName } : {}), destination: {} } };
}

test("projectUsers: the apps naming the project whose namespace it admits; an empty project is default", () => {
  const apps = [app("a", "team"), app("b", "other"), app("c", "team", "team-ns"), app("d", "")];
  assert.deepEqual(projectUsers(project(), apps, NS).map((a) => a.metadata.name), ["a"], "team-ns is not among the project's sourceNamespaces");
  assert.deepEqual(projectUsers(project({}, { sourceNamespaces: ["team-*"] }), apps, NS).map((a) => a.metadata.name), ["a", "c"]);
  assert.deepEqual(projectUsers(project({ name: "default" }), apps, NS).map((a) => a.metadata.name), ["d"]);
});

test("finalizersToKeep: only for a project being deleted, with Argo's finalizer, used by no app; other finalizers stay", () => {
  const deleting = { deletionTimestamp: "2026-12-07T00:00:00Z", finalizers: ["example.com/keep", FINALIZER] };
  assert.deepEqual(finalizersToKeep(project(deleting), 0), ["example.com/keep"]);
  assert.equal(finalizersToKeep(project(deleting), 1), undefined, "still used");
  assert.equal(finalizersToKeep(project({ finalizers: [FINALIZER] }), 0), undefined, "not being deleted");
  assert.equal(finalizersToKeep(project({ deletionTimestamp: "2026-12-07T00:00:00Z", finalizers: ["example.com/keep"] }), 0), undefined, "not Argo's finalizer");
});

test("ProjectFinalizer: removes the finalizer on the cached version once the last app is gone, and not before", async () => {
  const patches: unknown[] = [];
  let apps = [app("a", "team")];
  const proj = project({ deletionTimestamp: "2026-12-07T00:00:00Z", finalizers: [FINALIZER] });
  const reconciler = new ProjectFinalizer({
    project: (key) => (key === `${NS}/team` ? proj : undefined),
    appsOf: (name) => apps.filter((a) => a.spec.project === name),
    client: { patch: async (ref, patch) => { patches.push({ ref, patch }); return proj; } },
    controlNamespace: NS,
  });
  const { logger, lines } = memoryLogger();
  const ctx = { key: `${NS}/team`, log: logger, signal: new AbortController().signal, retries: 0 };
  assert.deepEqual(await reconciler.reconcile(ctx), {});
  assert.deepEqual(patches, [], "an app still uses it");
  assert.ok(lines.some((l) => String(l.msg).includes("Applications use it")), "says why it waits");
  apps = [];
  await reconciler.reconcile(ctx);
  assert.deepEqual(patches, [{ ref: { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", name: "team", namespace: NS }, patch: { metadata: { finalizers: [], resourceVersion: "7" } } }]);
  assert.deepEqual(await reconciler.reconcile({ ...ctx, key: `${NS}/gone` }), {}, "a project no longer cached: nothing to do");
  assert.equal(patches.length, 1);
});
