// The server's Enforcer over its cached ConfigMaps and projects: denies before a valid policy,
// keeps the last valid policy when argocd-rbac-cm turns invalid, follows argocd-cm's RBAC flags,
// and answers with Argo's permission-denied errors and can-i values.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AppProject } from "../../api/index.js";
import { Code } from "../http/errors.js";
import type { ServerState } from "../types.js";
import { ServerEnforcer } from "./index.js";

/** The caches as plain maps the test edits between refreshes. */
function state(): ServerState & { maps: Record<string, Record<string, string> | undefined>; list: AppProject[] } {
  const maps: Record<string, Record<string, string> | undefined> = {};
  const list: AppProject[] = [];
  return {
    maps,
    list,
    configMap: (name) => maps[name],
    secret: () => undefined,
    secretLabels: () => undefined,
    project: (name) => list.find((p) => p.metadata?.name === name),
    projects: () => list,
  };
}

describe("ServerEnforcer", () => {
  it("with server.disable.auth allows every question, before and after a policy loads", async () => {
    const s = state();
    s.maps["argocd-rbac-cm"] = { "policy.default": "", "policy.csv": "p, role:none, applications, get, x/*, deny\n" };
    const e = new ServerEnforcer(s, "argocd", { disableAuth: true });
    assert.equal(e.enforce(undefined, "applications", "delete", "p/a"), true, "anonymous may delete with enforcement off");
    await e.refresh();
    assert.equal(e.enforce({ sub: "anyone" }, "clusters", "create", "*"), true, "still allowed after the policy loaded");
  });

  it("denies everything until a policy is loaded, then follows argocd-rbac-cm and the projects", async () => {
    const s = state();
    const e = new ServerEnforcer(s, "argocd");
    assert.equal(e.enforce({ sub: "admin" }, "applications", "get", "p/a"), false, "nothing loaded yet: fail closed");
    s.maps["argocd-rbac-cm"] = { "policy.csv": "g, alice, role:readonly" };
    s.list.push({ apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "team-a" }, spec: { roles: [{ name: "ci", policies: ["p, proj:team-a:ci, applications, sync, team-a/*, allow"] }] } });
    assert.deepEqual(await e.refresh(), { applied: true, problems: [] }, "a valid policy");
    assert.equal(e.enforce({ sub: "alice" }, "applications", "get", "p/a"), true, "alice reads");
    assert.equal(e.enforce({ sub: "proj:team-a:ci" }, "applications", "sync", "team-a/web"), true, "the project role");
  });

  it("keeps the last valid policy when argocd-rbac-cm becomes invalid, and reports why", async () => {
    const s = state();
    const e = new ServerEnforcer(s, "argocd");
    s.maps["argocd-rbac-cm"] = { "policy.csv": "g, alice, role:admin" };
    await e.refresh();
    s.maps["argocd-rbac-cm"] = { "policy.csv": "g, alice, role:admin\np, bob, applications, get" };
    const result = await e.refresh();
    assert.equal(result.applied, false, "not applied");
    assert.deepEqual(result.problems, ["argocd-rbac-cm policy.csv line 2: a p line has exactly 6 fields (p, subject, resource, action, object, effect), this one has 4"], "the problem, located");
    assert.equal(e.enforce({ sub: "alice" }, "applications", "delete", "p/a"), true, "the previous policy stays in force");
    assert.equal(e.enforce({ sub: "bob" }, "applications", "get", "p/a"), false, "none of the new one");
  });

  it("reports invalid project roles and argocd-cm flags while applying the rest", async () => {
    const s = state();
    s.maps["argocd-cm"] = { "server.rbac.rollback.enforce.enable": "maybe" };
    s.list.push({ apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "team-a" }, spec: { roles: [{ name: "ci", policies: ["p, proj:team-a:ci, projects, delete, team-a, allow"] }] } });
    const result = await new ServerEnforcer(s, "argocd").refresh();
    assert.equal(result.applied, true, "applied");
    assert.equal(result.problems.length, 2, `two problems: ${result.problems.join(" | ")}`);
    assert.match(result.problems[0]!, /^argocd-cm server\.rbac\.rollback\.enforce\.enable: must be true or false/, "the flag");
    assert.match(result.problems[1]!, /^AppProject team-a spec\.roles\[0\] \(ci\): policies\[0\]/, "the role");
  });

  it("answers with Argo's permission-denied errors", async () => {
    const s = state();
    s.maps["argocd-rbac-cm"] = { "policy.csv": "p, alice, applications, get, */*, allow\np, alice, applications, delete/*/Pod/*/*, */*, allow" };
    const e = new ServerEnforcer(s, "argocd");
    await e.refresh();
    assert.equal(e.denial({ sub: "alice" }, "applications", "get", "p/a"), undefined, "allowed: no error");
    const denied = e.denial({ sub: "alice", iat: 1767225600 }, "applications", "sync", "p/a");
    assert.equal(denied?.code, Code.PermissionDenied, "PermissionDenied");
    assert.equal(denied?.httpStatus, 403, "403");
    assert.equal(denied?.message, "permission denied: applications, sync, p/a, sub: alice, iat: 2026-01-01T00:00:00Z", "Argo's message");
    assert.equal(e.denial(undefined, "applications", "sync", "p/a")?.message, "permission denied: applications, sync, p/a", "anonymous: no subject");
    assert.equal(e.resourceDenial({ sub: "alice" }, "delete", "p/a", "", "Pod", "ns", "web-1"), undefined, "fine-grained delete allowed");
    assert.equal(e.resourceDenial({ sub: "alice" }, "update", "p/a", "apps", "Deployment", "ns", "web")?.message, "permission denied: applications, update/apps/Deployment/ns/web, p/a, sub: alice", "names the fine-grained action");
  });

  it("follows argocd-cm: inheritance, rollback, and can-i", async () => {
    const s = state();
    s.maps["argocd-rbac-cm"] = { "policy.csv": "p, ops, applications, update, */*, allow\np, ops, applications, sync, */*, allow" };
    const e = new ServerEnforcer(s, "argocd");
    await e.refresh();
    assert.notEqual(e.resourceDenial({ sub: "ops" }, "update", "p/a", "apps", "Deployment", "ns", "web"), undefined, "no inheritance by default");
    assert.equal(e.rollbackAction(), "sync", "rollback as sync");
    assert.equal(e.canI({ sub: "ops" }, "applications", "rollback", "p/argocd/a"), "yes", "can-i rollback = sync");
    s.maps["argocd-cm"] = { "server.rbac.disableApplicationFineGrainedRBACInheritance": "false", "server.rbac.rollback.enforce.enable": "true" };
    await e.refresh();
    assert.equal(e.resourceDenial({ sub: "ops" }, "update", "p/a", "apps", "Deployment", "ns", "web"), undefined, "inherited from update");
    assert.equal(e.rollbackAction(), "rollback", "rollback enforced");
    assert.equal(e.canI({ sub: "ops" }, "applications", "rollback", "p/a"), "no", "ops has no rollback right");
    assert.throws(() => e.canI({ sub: "ops" }, "widgets", "get", "x"), (err: unknown) => (err as { code?: number }).code === Code.InvalidArgument, "400 for an unknown resource");
    assert.equal(e.canI({ sub: "ops" }, "applications", "update/apps/Deployment/ns/web", "p/a"), "yes", "can-i of a resource patch follows inheritance");
    assert.equal(e.canI({ sub: "ops" }, "applications", "delete/apps/Deployment/ns/web", "p/a"), "no", "ops may not delete the app, so not its resources");
    assert.equal(e.canI({ sub: "ops" }, "applications", "action/apps/Deployment/restart", "p/a"), "no", "no action right");
    assert.throws(() => e.canI({ sub: "ops" }, "applications", "delete/apps/Deployment", "p/a"), (err: unknown) => (err as { code?: number }).code === Code.InvalidArgument, "400 for a malformed fine-grained action");
  });
});
