// Argo CD's Enforce (argo-cd-server.md §3.2–§3.4): policy.default, deny over allow, match modes,
// project tokens, groups and scopes, fine-grained sub-resource actions, rollback.
import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import type { AppProject } from "../../api/index.js";
import { canIRequest, CanIError, RbacConfigError, RbacEnforcer, rbacServerSettings, rollbackAction } from "./index.js";

function project(name: string, roles: NonNullable<AppProject["spec"]>["roles"]): AppProject {
  return { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name }, spec: { roles } };
}

const build = (data: Record<string, string>, projects: AppProject[] = []): Promise<RbacEnforcer> => RbacEnforcer.build({ rbacConfigMap: data, projects });

describe("policy.default", () => {
  it("role:readonly lets anyone get and refuses sync", async () => {
    const e = await build({ "policy.default": "role:readonly" });
    assert.equal(e.enforce(undefined, "applications", "get", "default/guestbook"), true, "anonymous get through the default role");
    assert.equal(e.enforce(undefined, "applications", "sync", "default/guestbook"), false, "anonymous sync refused");
    assert.equal(e.enforce({ sub: "bob" }, "applications", "sync", "default/guestbook"), false, "a user without a role may not sync");
    assert.equal(e.enforce({ sub: "bob" }, "clusters", "get", "https://kubernetes.default.svc"), true, "readonly covers clusters get");
    assert.equal(e.enforce({ sub: "admin" }, "applications", "sync", "default/guestbook"), true, "admin still may");
  });

  it("only an allow from the default role ends the evaluation; its deny does not", async () => {
    const e = await build({
      "policy.default": "role:cautious",
      "policy.csv": "p, role:cautious, applications, sync, */*, deny\np, alice, applications, sync, */*, allow",
    });
    assert.equal(e.enforce({ sub: "alice" }, "applications", "sync", "p/a"), true, "the user's own allow still counts");
    assert.equal(e.enforce({ sub: "bob" }, "applications", "sync", "p/a"), false, "without one, denied");
  });

  it("--default-role overrides policy.default", async () => {
    const e = await RbacEnforcer.build({ rbacConfigMap: { "policy.default": "role:readonly" }, defaultRole: "" });
    assert.equal(e.enforce(undefined, "applications", "get", "p/a"), false, "no default role, no access");
  });
});

describe("effects", () => {
  for (const [order, csv] of [
    ["allow first", "p, role:a, applications, delete, */*, allow\np, role:a, applications, delete, prod/*, deny"],
    ["deny first", "p, role:a, applications, delete, prod/*, deny\np, role:a, applications, delete, */*, allow"],
  ] as const) {
    it(`deny wins over allow, ${order}`, async () => {
      const e = await build({ "policy.csv": `${csv}\ng, alice, role:a` });
      assert.equal(e.enforce({ sub: "alice" }, "applications", "delete", "prod/api"), false, "the deny matches prod/api");
      assert.equal(e.enforce({ sub: "alice" }, "applications", "delete", "dev/api"), true, "the deny does not match dev/api");
    });
  }

  it("a deny through one role beats an allow through another", async () => {
    const e = await build({ "policy.csv": "p, role:ops, clusters, delete, *, allow\np, role:careful, clusters, delete, https://prod*, deny\ng, alice, role:ops\ng, alice, role:careful" });
    assert.equal(e.enforce({ sub: "alice" }, "clusters", "delete", "https://prod.example.com"), false, "deny wins");
    assert.equal(e.enforce({ sub: "alice" }, "clusters", "delete", "https://dev.example.com"), true, "allow elsewhere");
  });

  it("a policy that denies the admin overrides the built-in allow", async () => {
    const e = await build({ "policy.csv": "p, admin, applications, delete, */*, deny" });
    assert.equal(e.enforce({ sub: "admin" }, "applications", "delete", "p/a"), false, "deny beats role:admin");
    assert.equal(e.enforce({ sub: "admin" }, "applications", "sync", "p/a"), true, "other admin rights stay");
  });
});

describe("match modes", () => {
  it("glob: * spans / (no separators), ? one character, {a,b} alternatives (quoted, as the comma separates fields)", async () => {
    const e = await build({ "policy.csv": "p, u, applications, get, team-*, allow\np, u, applications, sync, team-?/*, allow\np, u, applications, delete, \"{dev,qa}/*\", allow" });
    const u = { sub: "u" };
    assert.equal(e.enforce(u, "applications", "get", "team-a/ns/app"), true, "* crosses two slashes");
    assert.equal(e.enforce(u, "applications", "get", "other/app"), false, "prefix required");
    assert.equal(e.enforce(u, "applications", "sync", "team-b/app"), true, "? is one character");
    assert.equal(e.enforce(u, "applications", "sync", "team-bb/app"), false, "? is only one character");
    assert.equal(e.enforce(u, "applications", "delete", "qa/app"), true, "alternatives");
    assert.equal(e.enforce(u, "applications", "delete", "prod/app"), false, "not an alternative");
    assert.equal(e.enforce(u, "applications", "getx", "team-a/app"), false, "actions match whole");
  });

  it("regex: the policy value is an unanchored regular expression", async () => {
    const e = await build({ "policy.matchMode": "regex", "policy.csv": "p, u, applications, get, ^team-(a|b)/.*$, allow\np, u, applications, sync, prod, allow\np, u, applications, (create|update), dev/.*, allow" });
    const u = { sub: "u" };
    assert.equal(e.enforce(u, "applications", "get", "team-a/app"), true, "anchored alternative matches");
    assert.equal(e.enforce(u, "applications", "get", "team-c/app"), false, "anchored alternative refuses team-c");
    assert.equal(e.enforce(u, "applications", "sync", "my-prod-x/app"), true, "unanchored: prod anywhere");
    assert.equal(e.enforce(u, "applications", "sync", "dev/app"), false, "no prod in dev/app");
    assert.equal(e.enforce(u, "applications", "update", "dev/app"), true, "action alternatives");
    assert.equal(e.enforce(u, "applications", "delete", "dev/app"), false, "delete is not among them");
  });

  it("regex: an invalid expression is an error naming its key and line", async () => {
    await assert.rejects(build({ "policy.matchMode": "regex", "policy.csv": "# header\np, u, applications, get, *, allow" }), (err: unknown) => {
      assert.ok(err instanceof RbacConfigError, "an RbacConfigError");
      assert.equal(err.problems.length, 1, "one problem");
      assert.equal(err.problems[0]!.source, "policy.csv", "names the key");
      assert.equal(err.problems[0]!.line, 2, "names the line");
      return true;
    });
  });
});

describe("project roles and tokens", () => {
  const projects = [
    project("team-a", [{ name: "ci", policies: ["p, proj:team-a:ci, applications, sync, team-a/*, allow", "p, proj:team-a:ci, applications, delete, team-a/keep, deny", "p, proj:team-a:ci, applications, delete, team-a/*, allow"], groups: ["ci-bots"] }]),
    project("team-b", [{ name: "ci", policies: ["p, proj:team-b:ci, applications, sync, team-b/*, allow"] }]),
  ];

  it("a project token acts only inside its project", async () => {
    const e = await build({ "policy.csv": "g, proj:team-a:ci, role:readonly" }, projects);
    const token = { sub: "proj:team-a:ci" };
    assert.equal(e.enforce(token, "applications", "sync", "team-a/web"), true, "own project");
    assert.equal(e.enforce(token, "applications", "sync", "team-b/web"), false, "another existing project is refused");
    assert.equal(e.enforce(token, "applications", "get", "team-b/web"), false, "even what a global g line would grant");
    assert.equal(e.enforce(token, "applications", "get", "team-a/web"), true, "inside its project, global g lines count");
    assert.equal(e.enforce(token, "applications", "delete", "team-a/keep"), false, "the role's deny wins inside");
    assert.equal(e.enforce(token, "applications", "delete", "team-a/other"), true, "and its allow elsewhere in the project");
    assert.equal(e.enforce(token, "clusters", "get", "https://kubernetes.default.svc"), true, "objects of no project go through the global policy");
  });

  it("a project role's group members get its rights in that project only", async () => {
    const e = await build({}, projects);
    const member = { sub: "robot", groups: ["ci-bots"] };
    assert.equal(e.enforce(member, "applications", "sync", "team-a/web"), true, "member of ci-bots");
    assert.equal(e.enforce(member, "applications", "sync", "team-b/web"), false, "team-b's role has no groups");
    assert.equal(e.enforce({ sub: "robot" }, "applications", "sync", "team-a/web"), false, "not without the group");
  });

  it("a project that does not exist contributes no policy", async () => {
    const e = await build({}, projects);
    assert.equal(e.enforce({ sub: "proj:team-c:ci" }, "applications", "get", "team-c/web"), false, "no such project");
  });
});

describe("memoised decisions stay exact", () => {
  const roles = (name: string, action: string): AppProject => project(name, [{ name: "ci", policies: [`p, proj:${name}:ci, applications, ${action}, ${name}/*, allow`], groups: ["ci-bots"] }]);

  it("global g lines reaching a project's role or group count in that project only", async () => {
    const e = await build({ "policy.csv": "g, alice, proj:team-a:ci\ng, bob, ci-bots" }, [roles("team-a", "sync"), roles("team-b", "delete")]);
    for (let round = 0; round < 2; round++) {
      assert.equal(e.enforce({ sub: "alice" }, "applications", "sync", "team-a/web"), true, `round ${round}: alice holds proj:team-a:ci`);
      assert.equal(e.enforce({ sub: "alice" }, "applications", "sync", "team-b/web"), false, `round ${round}: not team-b's`);
      assert.equal(e.enforce({ sub: "bob" }, "applications", "sync", "team-a/web"), true, `round ${round}: bob is in ci-bots, bound in team-a`);
      assert.equal(e.enforce({ sub: "bob" }, "applications", "delete", "team-b/web"), true, `round ${round}: and in team-b`);
      assert.equal(e.enforce({ sub: "bob" }, "applications", "delete", "team-a/web"), false, `round ${round}: team-a's role may not delete`);
      assert.equal(e.enforce({ sub: "carol" }, "applications", "sync", "team-a/web"), false, `round ${round}: carol has nothing`);
    }
  });

  it("objects matching different patterns are decided apart", async () => {
    const e = await build({ "policy.csv": "p, u, applications, get, prod/*, allow\np, u, applications, get, prod/secret-*, deny" });
    const answers = ["prod/a", "prod/secret-1", "prod/b", "dev/a", "prod/secret-2"].map((o) => e.enforce({ sub: "u" }, "applications", "get", o));
    assert.deepEqual(answers, [true, false, true, false, false], "each object by the patterns it matches");
  });

  it("agrees with casbin asked every time, over a grid of callers, actions and objects", async () => {
    const data = {
      "policy.default": "role:viewer",
      "policy.csv": [
        "p, role:viewer, applications, get, public/*, allow",
        "p, role:dev, applications, *, team-*, allow",
        "p, role:dev, applications, delete, team-b/prod-*, deny",
        "p, role:dev, applications, update/*/Secret/*/*, */*, deny",
        "p, role:ops, clusters, *, https://*, allow",
        "p, role:ops, applications, sync, *, allow",
        "p, role:ops, applications, sync, team-a/frozen, deny",
        "g, devs, role:dev",
        "g, alice, devs",
        "g, ops, role:ops",
        "g, ops, proj:team-b:ci",
        "g, proj:team-a:ci, role:viewer",
      ].join("\n"),
    };
    const projects = [roles("team-a", "sync"), roles("team-b", "delete"), project("empty", [])];
    const fast = await build(data, projects);
    const reference = await RbacEnforcer.build({ rbacConfigMap: data, projects, noMemo: true });
    const callers = [undefined, { sub: "admin" }, { sub: "alice" }, { sub: "bob", groups: ["ops"] }, { sub: "bot", groups: ["ci-bots", "devs"] }, { sub: "proj:team-a:ci" }, { sub: "proj:team-b:ci" }, { sub: "x", groups: "devs" }];
    const actions = ["get", "sync", "delete", "update", "update/apps/Deployment/ns/web", "update//Secret/ns/s", "override"];
    const objects = ["public/a", "team-a/web", "team-a/frozen", "team-a/ns/web", "team-b/prod-1", "team-b/dev", "empty/x", "nope/y", "https://kubernetes.default.svc"];
    let compared = 0;
    let allowedCount = 0;
    for (let round = 0; round < 2; round++) {
      for (const claims of callers) for (const resource of ["applications", "clusters", "projects"]) for (const action of actions) for (const object of objects) {
        const decision = fast.enforce(claims, resource, action, object);
        assert.equal(decision, reference.enforce(claims, resource, action, object), `${JSON.stringify(claims)} ${resource} ${action} ${object}`);
        compared++;
        if (decision) allowedCount++;
      }
    }
    assert.equal(compared, 2 * callers.length * 3 * actions.length * objects.length, "every combination compared");
    assert.ok(allowedCount > compared / 10 && allowedCount < compared * 0.9, `a mix of allowed and denied (${allowedCount} of ${compared})`);
  });

  it("rebuilding from the previous enforcer reflects changed roles and policy", async () => {
    const first = await build({ "policy.csv": "g, alice, role:readonly" }, [roles("team-a", "sync"), roles("team-b", "sync")]);
    assert.equal(first.enforce({ sub: "x", groups: ["ci-bots"] }, "applications", "sync", "team-b/web"), true, "team-b's role may sync");
    const second = await RbacEnforcer.build({ rbacConfigMap: { "policy.csv": "g, alice, role:readonly" }, projects: [roles("team-a", "sync"), roles("team-b", "get")] }, first);
    assert.equal(second.enforce({ sub: "x", groups: ["ci-bots"] }, "applications", "sync", "team-b/web"), false, "team-b's changed role no longer may");
    assert.equal(second.enforce({ sub: "x", groups: ["ci-bots"] }, "applications", "sync", "team-a/web"), true, "team-a unchanged");
    assert.equal(second.enforce({ sub: "alice" }, "applications", "get", "team-a/web"), true, "global policy unchanged");
    const third = await RbacEnforcer.build({ rbacConfigMap: { "policy.csv": "" }, projects: [roles("team-a", "sync")] }, second);
    assert.equal(third.enforce({ sub: "alice" }, "applications", "get", "team-a/web"), false, "the global change applies");
    assert.equal(third.enforce({ sub: "x", groups: ["ci-bots"] }, "applications", "get", "team-b/web"), false, "a deleted project's role is gone");
  });
});

describe("groups and scopes", () => {
  it("groups come from the groups claim by default, a string or a list", async () => {
    const e = await build({ "policy.csv": "g, platform, role:admin" });
    assert.equal(e.enforce({ sub: "x", groups: ["platform"] }, "applications", "delete", "p/a"), true, "list");
    assert.equal(e.enforce({ sub: "x", groups: "platform" }, "applications", "delete", "p/a"), true, "string");
    assert.equal(e.enforce({ sub: "x", email: "platform" }, "applications", "delete", "p/a"), false, "email is not a scope by default");
  });

  it("a custom scopes list reads other claims as groups", async () => {
    const e = await build({ scopes: "[groups, email]", "policy.csv": "g, ops@example.com, role:admin" });
    assert.equal(e.enforce({ sub: "x", email: "ops@example.com" }, "clusters", "delete", "https://a"), true, "email as a group");
    assert.equal(e.enforce({ sub: "x", email: "dev@example.com" }, "clusters", "delete", "https://a"), false, "another email");
    const narrow = await build({ scopes: "[email]", "policy.csv": "g, platform, role:admin" });
    assert.equal(narrow.enforce({ sub: "x", groups: ["platform"] }, "clusters", "delete", "https://a"), false, "groups is no longer a scope");
  });

  it("only groups bound by some g line are tried", async () => {
    const e = await build({ "policy.csv": "p, my-group, applications, get, */*, allow" });
    assert.equal(e.enforce({ sub: "x", groups: ["my-group"] }, "applications", "get", "p/a"), false, "a group named only in p lines grants nothing, as in Argo");
    assert.equal(e.enforce({ sub: "my-group" }, "applications", "get", "p/a"), true, "the same name as the subject does");
  });
});

describe("sub-resources and rollback", () => {
  const csv = [
    "p, role:ops, applications, update, */*, allow",
    "p, role:ops, applications, delete, */*, allow",
    "p, role:ops, applications, update/apps/Deployment/*/*, */*, deny",
    "p, role:pods, applications, delete/*/Pod/*/*, */*, allow",
    "g, olivia, role:ops",
    "g, paul, role:pods",
  ].join("\n");

  it("inheritance off (Argo's default): only the fine-grained action counts", async () => {
    const e = await build({ "policy.csv": csv });
    const { settings } = rbacServerSettings({});
    assert.equal(settings.fineGrainedInheritance, false, "unset means disabled inheritance");
    assert.equal(e.canOnResource({ sub: "olivia" }, "update", "p/app", "apps", "Deployment", "ns", "web", settings.fineGrainedInheritance), false, "plain update does not cover resources");
    assert.equal(e.canOnResource({ sub: "paul" }, "delete", "p/app", "", "Pod", "ns", "web-1", settings.fineGrainedInheritance), true, "delete/*/Pod/*/* covers a pod");
    assert.equal(e.canOnResource({ sub: "paul" }, "delete", "p/app", "apps", "Deployment", "ns", "web", settings.fineGrainedInheritance), false, "but not a Deployment");
    assert.equal(e.canOnResource({ sub: "admin" }, "update", "p/app", "apps", "Deployment", "ns", "web", settings.fineGrainedInheritance), true, "admin has update/*");
  });

  it("inheritance on: the plain action on the app covers its resources, and a fine-grained deny cannot narrow it", async () => {
    const e = await build({ "policy.csv": csv });
    const { settings } = rbacServerSettings({ "server.rbac.disableApplicationFineGrainedRBACInheritance": "false" });
    assert.equal(settings.fineGrainedInheritance, true, "\"false\" turns inheritance on");
    assert.equal(e.canOnResource({ sub: "olivia" }, "update", "p/app", "apps", "Deployment", "ns", "web", true), true, "plain update allowed first");
    assert.equal(e.canOnResource({ sub: "paul" }, "delete", "p/app", "", "Pod", "ns", "web-1", true), true, "fine-grained still tried");
    assert.equal(e.canOnResource({ sub: "bob" }, "delete", "p/app", "", "Pod", "ns", "web-1", true), false, "nobody else");
  });

  it("rollback is checked as sync unless server.rbac.rollback.enforce.enable", async () => {
    const e = await build({ "policy.csv": "p, syncer, applications, sync, */*, allow" });
    const off = rbacServerSettings({}).settings;
    const on = rbacServerSettings({ "server.rbac.rollback.enforce.enable": "true" }).settings;
    assert.equal(rollbackAction(off.rollbackEnforce), "sync", "default: sync");
    assert.equal(e.enforce({ sub: "syncer" }, "applications", rollbackAction(off.rollbackEnforce), "p/a"), true, "sync right is enough by default");
    assert.equal(rollbackAction(on.rollbackEnforce), "rollback", "enforced: rollback");
    assert.equal(e.enforce({ sub: "syncer" }, "applications", rollbackAction(on.rollbackEnforce), "p/a"), false, "sync right is not enough once enforced");
  });

  it("unreadable argocd-cm flags are reported and the strict reading kept", () => {
    const { settings, problems } = rbacServerSettings({ "server.rbac.disableApplicationFineGrainedRBACInheritance": "nope", "server.rbac.rollback.enforce.enable": "yes" });
    assert.equal(settings.fineGrainedInheritance, false, "inheritance stays off");
    assert.equal(settings.rollbackEnforce, false, "rollback stays Argo's default");
    assert.deepEqual(problems.map((p) => p.source), ["argocd-cm server.rbac.disableApplicationFineGrainedRBACInheritance", "argocd-cm server.rbac.rollback.enforce.enable"], "both keys named");
  });
});

describe("can-i", () => {
  it("accepts only known resources and actions", () => {
    assert.throws(() => canIRequest("widgets", "get", "*", "argocd", false), CanIError, "unknown resource");
    assert.throws(() => canIRequest("clusters", "action/apps/Deployment/restart", "*", "argocd", false), CanIError, "fine-grained actions only for applications");
    assert.throws(() => canIRequest("applications", "action/apps/Deployment", "p/a", "argocd", false), /invalid fine-grained action/, "action/ needs group, kind and action");
    assert.throws(() => canIRequest("applications", "delete/apps/Deployment/ns", "p/a", "argocd", false), /invalid fine-grained action/, "delete/ needs group, kind, namespace and name");
    assert.throws(() => canIRequest("applications", "delete/apps//ns/web", "p/a", "argocd", false), /kind and the name must not be empty/, "an empty kind");
    assert.throws(() => canIRequest("applications", "sync/apps/Deployment/ns/web", "p/a", "argocd", false), /invalid fine-grained action/, "only action, update and delete have fine-grained forms");
    assert.throws(() => canIRequest("applications", "destroy", "*", "argocd", false), /unknown action "destroy"/, "the message names the action");
  });

  it("turns proj/ns/app into the app's RBAC object and rollback into sync", () => {
    assert.deepEqual(canIRequest("applications", "get", "p/argocd/app", "argocd", false), { resource: "applications", action: "get", object: "p/app" }, "control namespace dropped");
    assert.deepEqual(canIRequest("applications", "get", "p/team-ns/app", "argocd", false), { resource: "applications", action: "get", object: "p/team-ns/app" }, "other namespace kept");
    assert.deepEqual(canIRequest("applications", "rollback", "p/app", "argocd", false), { resource: "applications", action: "sync", object: "p/app" }, "rollback as sync");
    assert.deepEqual(canIRequest("applications", "rollback", "p/app", "argocd", true), { resource: "applications", action: "rollback", object: "p/app" }, "rollback enforced");
    assert.deepEqual(canIRequest("clusters", "get", "a/b/c", "argocd", false), { resource: "clusters", action: "get", object: "a/b/c" }, "clusters untouched");
  });

  it("answers the fine-grained application actions the UI asks about", () => {
    assert.deepEqual(canIRequest("applications", "action/apps/Deployment/restart", "p/argocd/app", "argocd", false),
      { resource: "applications", action: "action/apps/Deployment/restart", object: "p/app" }, "a resource action is a plain check");
    assert.deepEqual(canIRequest("applications", "action//Pod/evict", "p/app", "argocd", false),
      { resource: "applications", action: "action//Pod/evict", object: "p/app" }, "the core group is an empty segment");
    assert.deepEqual(canIRequest("applications", "delete//Pod/team/web-1", "p/team/app", "argocd", false),
      { resource: "applications", action: "delete//Pod/team/web-1", object: "p/team/app", onResource: { action: "delete", group: "", kind: "Pod", namespace: "team", name: "web-1" } },
      "a resource delete is checked as the resource route does");
    assert.deepEqual(canIRequest("applications", "update/rbac.authorization.k8s.io/ClusterRole//view", "p/app", "argocd", false).onResource,
      { action: "update", group: "rbac.authorization.k8s.io", kind: "ClusterRole", namespace: "", name: "view" }, "a cluster-scoped resource has an empty namespace");
  });
});

test("listing 10,000 apps: decisions per second, logged (no timing assertion)", async (t) => {
  const projects = Array.from({ length: 20 }, (_, i) => project(`team-${i}`, [{ name: "dev", policies: [`p, proj:team-${i}:dev, applications, get, team-${i}/*, allow`], groups: [`team-${i}-devs`] }]));
  const e = await build({ "policy.default": "role:none", "policy.csv": "p, role:dev, applications, get, team-1*, allow\ng, devs, role:dev" }, projects);
  const callers = [{ sub: "admin" }, { sub: "carol", groups: ["devs", "team-3-devs", "unbound"] }, { sub: "proj:team-5:dev" }];
  for (const claims of callers) {
    const started = performance.now();
    let allowedCount = 0;
    for (let i = 0; i < 10_000; i++) if (e.enforce(claims, "applications", "get", `team-${i % 20}/app-${i}`)) allowedCount++;
    t.diagnostic(`${claims.sub}: 10,000 enforce calls in ${(performance.now() - started).toFixed(1)} ms, ${allowedCount} allowed`);
    const expected = claims.sub === "admin" ? 10_000 : claims.sub === "carol" ? 11 * 500 + 500 : 500;
    assert.equal(allowedCount, expected, `${claims.sub}: the allowed apps`);
  }
});
