// AppProject role policies (argo-cd-server.md §3.4, §4): the implicit projects get, the role's
// policies, group bindings, and a role with any invalid part dropped whole and reported.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AppProject, ProjectRole } from "../../api/index.js";
import { parseProjectSubject, projectRules } from "./project.js";
import { RbacEnforcer } from "./enforcer.js";

function project(roles: ProjectRole[]): AppProject {
  return { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "team-a" }, spec: { roles } };
}

describe("projectRules", () => {
  it("a valid role: implicit projects get, its policies, its groups", () => {
    const { rules, problems } = projectRules(project([{ name: "dev", policies: ["p, proj:team-a:dev, applications, sync, team-a/*, allow"], groups: ["devs", '"a,b"'] }]));
    assert.deepEqual(problems, [], "valid");
    assert.deepEqual(rules, [
      { type: "p", subject: "proj:team-a:dev", resource: "projects", action: "get", object: "team-a", effect: "allow" },
      { type: "p", subject: "proj:team-a:dev", resource: "applications", action: "sync", object: "team-a/*", effect: "allow" },
      { type: "g", member: "devs", role: "proj:team-a:dev" },
      { type: "g", member: "a,b", role: "proj:team-a:dev" },
    ], "rules in order, the quoted group unquoted");
  });

  const invalid: [string, ProjectRole, RegExp][] = [
    ["a subject of another role", { name: "dev", policies: ["p, proj:team-a:admin, applications, get, team-a/*, allow"] }, /subject must be 'proj:team-a:dev'/],
    ["a resource outside the project's", { name: "dev", policies: ["p, proj:team-a:dev, projects, update, team-a/*, allow"] }, /resource must be one of applications, applicationsets, repositories, clusters, logs, exec, not 'projects'/],
    ["an object in another project", { name: "dev", policies: ["p, proj:team-a:dev, applications, get, team-b/*, allow"] }, /object must be 'team-a\/\*'/],
    ["an object of four parts", { name: "dev", policies: ["p, proj:team-a:dev, applications, get, team-a/a/b/c, allow"] }, /object must be/],
    ["an unknown effect", { name: "dev", policies: ["p, proj:team-a:dev, applications, get, team-a/*, permit"] }, /allow or deny/],
    ["a g line as a policy", { name: "dev", policies: ["g, proj:team-a:dev, role:admin"] }, /must be of the form 'p, sub, res, act, obj, eft'/],
    ["an empty action", { name: "dev", policies: ["p, proj:team-a:dev, applications, , team-a/*, allow"] }, /action must not be empty/],
    ["a bad role name", { name: "-dev", policies: [] }, /role name "-dev" must match/],
    ["an unquoted comma in a group", { name: "dev", groups: ["a,b"] }, /has a comma, so it must be wrapped in double quotes/],
    ["an empty group", { name: "dev", groups: [" "] }, /group name is empty/],
  ];
  for (const [what, role, message] of invalid) {
    it(`drops a role with ${what} and reports it`, async () => {
      const good = "p, proj:team-a:dev, applications, sync, team-a/*, allow";
      const withGood = { ...role, policies: [...(role.policies ?? []), ...(role.name === "dev" ? [good] : [])], groups: [...(role.groups ?? []), "devs"] };
      const { rules, problems } = projectRules(project([withGood]));
      assert.deepEqual(rules, [], "nothing of the role applies");
      assert.ok(problems.some((p) => message.test(p.message)), `a problem matching ${message}: ${JSON.stringify(problems)}`);
      assert.ok(problems.every((p) => p.source.startsWith("AppProject team-a spec.roles[0]")), "located at the role");
      const e = await RbacEnforcer.build({ projects: [project([withGood])] });
      assert.equal(e.enforce({ sub: "x", groups: ["devs"] }, "applications", "sync", "team-a/web"), false, "the group is not bound");
      assert.equal(e.enforce({ sub: "proj:team-a:dev" }, "projects", "get", "team-a"), false, "not even the implicit get");
      assert.equal(e.problems.length, problems.length, "the enforcer reports the same problems");
    });
  }

  it("keeps the other roles of the project", () => {
    const { rules, problems } = projectRules(project([
      { name: "bad", policies: ["p, proj:team-a:bad, clusters, get, team-b/*, allow"] },
      { name: "ok", policies: ["p, proj:team-a:ok, applications, get, team-a/*, allow"] },
      { name: "ok", policies: [] },
    ]));
    assert.equal(problems.length, 2, "the bad role and the duplicate");
    assert.match(problems[1]!.message, /defined twice/, "duplicate name");
    assert.ok(rules.some((r) => r.type === "p" && r.subject === "proj:team-a:ok" && r.resource === "applications"), "the good role applies");
  });
});

it("parseProjectSubject", () => {
  assert.deepEqual(parseProjectSubject("proj:team-a:dev"), { project: "team-a", role: "dev" }, "a project subject");
  assert.equal(parseProjectSubject("alice"), undefined, "a user");
  assert.equal(parseProjectSubject("proj:a:b:c"), undefined, "too many parts");
});
