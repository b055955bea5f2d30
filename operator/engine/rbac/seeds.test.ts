// The seeds' RBAC as Argo CD would decide it: seed 004's rbac-policy.csv with seed 000's and 004's
// AppProject roles (table in testdata/seed-decisions.yaml), and seed 003's argocd-rbac-cm.
import { test } from "node:test";
import assert from "node:assert/strict";
// eslint-disable-next-line no-restricted-imports -- tests read their YAML fixtures; the code under test does not
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { seedsDir } from "../../../test/crds/seeds.js";
import type { AppProject } from "../../api/index.js";
import { RbacEnforcer, type RbacClaims } from "./index.js";

const ACTIONS = ["get", "sync", "delete", "override"] as const;
const seeds = seedsDir();
const skip = seeds ? false : "seed fixtures not found";

interface Case {
  name: string;
  claims?: RbacClaims;
  anonymous?: boolean;
  allowed: Record<string, string[]>;
}

const table = parse(readFileSync(fileURLToPath(new URL("./testdata/seed-decisions.yaml", import.meta.url)), "utf8")) as { bindings: string; apps: string[]; cases: Case[] };

function seedFile(path: string): string {
  return readFileSync(join(seeds!, path), "utf8");
}

test("seed 004 policy.csv and seed 000/004 project roles: get/sync/delete/override per caller and project", { skip }, async () => {
  const projects = ["000/appproject-backend-team.yaml", "004/appproject-production.yaml"].map((f) => parse(seedFile(f)) as AppProject);
  const enforcer = await RbacEnforcer.build({ rbacConfigMap: { "policy.csv": `${seedFile("004/rbac-policy.csv")}\n${table.bindings}` }, projects });
  assert.deepEqual(enforcer.problems, [], "the seeds' project roles are valid");
  assert.ok(table.cases.length >= 15, "the table has its cases");
  for (const c of table.cases) {
    assert.deepEqual(Object.keys(c.allowed).sort(), [...table.apps].sort(), `${c.name}: a row for every app`);
    for (const app of table.apps) {
      for (const action of ACTIONS) {
        const want = c.allowed[app]!.includes(action);
        const got = enforcer.enforce(c.anonymous ? undefined : c.claims, "applications", action, app);
        assert.equal(got, want, `${c.name}: ${action} ${app} should be ${want ? "allowed" : "denied"}`);
      }
    }
  }
});

test("seed 000/004 project roles also cover the projects themselves and apps in other namespaces", { skip }, async () => {
  const projects = ["000/appproject-backend-team.yaml", "004/appproject-production.yaml"].map((f) => parse(seedFile(f)) as AppProject);
  const enforcer = await RbacEnforcer.build({ projects });
  const token = { sub: "proj:backend-team:developer" };
  assert.equal(enforcer.enforce(token, "projects", "get", "backend-team"), true, "a role may get its own project (implicit rule)");
  assert.equal(enforcer.enforce(token, "projects", "get", "production"), false, "but not another project");
  assert.equal(enforcer.enforce(token, "projects", "update", "backend-team"), false, "nor update its own");
  assert.equal(enforcer.enforce({ sub: "u", groups: ["backend-developers"] }, "applications", "sync", "backend-team/team-ns/my-api"), true, "backend-team/* spans the namespace segment");
  assert.equal(enforcer.enforce({ sub: "u", groups: ["backend-developers"] }, "projects", "get", "backend-team"), true, "group members hold the role's implicit projects get");
});

test("seed 003 argocd-rbac-cm: anonymous users are admins (g, , role:admin and policy.default: role:admin)", { skip }, async () => {
  const cm = parse(seedFile("003/argocd-rbac-cm.yaml")) as { data: Record<string, string> };
  const enforcer = await RbacEnforcer.build({ rbacConfigMap: cm.data });
  for (const [resource, action, object] of [["applications", "sync", "default/guestbook"], ["applications", "delete", "prod/api"], ["clusters", "create", "https://kubernetes.default.svc"], ["projects", "update", "default"]] as const) {
    assert.equal(enforcer.enforce(undefined, resource, action, object), true, `anonymous may ${action} ${resource} ${object}`);
    assert.equal(enforcer.enforce({ sub: "someone" }, resource, action, object), true, `a logged-in user may ${action} ${resource} ${object} too`);
  }
  assert.equal(enforcer.enforce(undefined, "extensions", "invoke", "metrics"), false, "role:admin does not include extensions");
});

test("seed 003's g, , role:admin alone (no policy.default) still grants anonymous callers admin", { skip }, async () => {
  const cm = parse(seedFile("003/argocd-rbac-cm.yaml")) as { data: Record<string, string> };
  const enforcer = await RbacEnforcer.build({ rbacConfigMap: { "policy.csv": cm.data["policy.csv"]! } });
  assert.equal(enforcer.enforce(undefined, "applications", "sync", "default/guestbook"), true, "the empty subject holds role:admin");
  assert.equal(enforcer.enforce(undefined, "applications", "get", "default/guestbook"), true, "and role:readonly through it");
});
