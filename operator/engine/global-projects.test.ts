import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { GLOBAL_PROJECT_FIELDS, globalProjectsFor, parseGlobalProjects, withGlobalProjects } from "./global-projects.js";
import { parseArgoSettings } from "./settings.js";

interface P { metadata: { name: string; labels?: Record<string, string> }; spec: Record<string, unknown> }
const proj = (name: string, labels: Record<string, string>, spec: Record<string, unknown> = {}): P => ({ metadata: { name, labels }, spec });

// argocd-cm's globalProjects as Argo CD's documentation writes it.
const ARGO_EXAMPLE = `
- labelSelector:
    matchExpressions:
      - key: opt
        operator: In
        values:
          - prod
  projectName: proj-global-test
`;

test("globalProjects: Argo's documented form is read; malformed entries are errors naming the field", () => {
  assert.deepEqual(parseGlobalProjects(parse(ARGO_EXAMPLE)), {
    entries: [{ projectName: "proj-global-test", labelSelector: { matchLabels: {}, matchExpressions: [{ key: "opt", operator: "In", values: ["prod"] }] } }],
  });
  assert.deepEqual(parseGlobalProjects(undefined), { entries: [] });
  const errors: Array<[unknown, string]> = [
    [{ projectName: "x" }, "globalProjects: want a list of {projectName, labelSelector}"],
    [[{ labelSelector: {} }], "globalProjects[0].projectName: want the name of an AppProject"],
    [[{ projectName: "g", labelSelector: { matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] } }], 'globalProjects[0].labelSelector.matchExpressions[0].operator: "Gt" is not In, NotIn, Exists or DoesNotExist'],
    [[{ projectName: "g", labelSelector: { matchLabels: { a: 1 } } }], "globalProjects[0].labelSelector.matchLabels.a: want a string"],
    [[{ projectName: "g", labelSelector: "opt=prod" }], "globalProjects[0].labelSelector: want matchLabels and/or matchExpressions"],
  ];
  for (const [value, error] of errors) assert.deepEqual(parseGlobalProjects(value), { entries: [], error }, JSON.stringify(value));
});

test("globalProjects in argocd-cm: parsed into the settings, or an error kept for the apps to show", () => {
  assert.deepEqual(parseArgoSettings({ globalProjects: ARGO_EXAMPLE }).globalProjects.map((g) => g.projectName), ["proj-global-test"]);
  assert.equal(parseArgoSettings({ globalProjects: ARGO_EXAMPLE }).globalProjectsError, undefined);
  const bad = parseArgoSettings({ globalProjects: "- projectName: [" });
  assert.match(bad.globalProjectsError ?? "", /^globalProjects: invalid YAML/, "unparseable YAML");
  assert.deepEqual(bad.globalProjects, [], "no partial list");
  assert.equal(parseArgoSettings({ globalProjects: "- labelSelector: {}" }).globalProjectsError, "globalProjects[0].projectName: want the name of an AppProject");
  assert.deepEqual(parseArgoSettings({}).globalProjects, [], "unset: none");
});

test("globalProjectsFor: selected by the project's labels, in argocd-cm's order, never itself, missing ones skipped", () => {
  const entries = parseGlobalProjects(parse(`
- projectName: g-prod
  labelSelector: { matchExpressions: [{ key: opt, operator: In, values: [prod] }] }
- projectName: g-all
  labelSelector: {}
- projectName: g-missing
  labelSelector: { matchLabels: { opt: prod } }
- projectName: g-team
  labelSelector: { matchLabels: { team: a } }
`)).entries;
  const all = new Map([proj("g-prod", {}), proj("g-all", {}), proj("g-team", {})].map((p) => [p.metadata.name, p]));
  const names = (p: P): string[] => globalProjectsFor(p, entries, (n) => all.get(n)).map((g) => g.metadata.name);
  assert.deepEqual(names(proj("web", { opt: "prod" })), ["g-prod", "g-all"], "prod: its selector and the empty one; g-missing does not exist");
  assert.deepEqual(names(proj("web", { opt: "dev", team: "a" })), ["g-all", "g-team"]);
  assert.deepEqual(names(proj("web", {})), ["g-all"], "an empty selector selects every project");
  assert.deepEqual(names(proj("g-all", { opt: "prod" })), ["g-prod"], "a global project does not lend to itself");
});

test("withGlobalProjects: the eight fields Argo merges are appended after the project's own; nothing else is, and nothing is changed in place", () => {
  const own = proj("web", { opt: "prod" }, {
    sourceRepos: ["https://git.example/web"], destinations: [{ server: "https://kubernetes.default.svc", namespace: "web" }],
    destinationServiceAccounts: [{ server: "*", namespace: "web", defaultServiceAccount: "web-deployer" }],
    sourceNamespaces: ["team-a"], description: "own",
  });
  const global = proj("g", {}, {
    clusterResourceWhitelist: [{ group: "", kind: "Namespace" }], clusterResourceBlacklist: [{ group: "*", kind: "ClusterRole" }],
    namespaceResourceWhitelist: [{ group: "*", kind: "*" }], namespaceResourceBlacklist: [{ group: "", kind: "ResourceQuota" }],
    syncWindows: [{ kind: "deny", schedule: "* * * * *", duration: "1h", applications: ["*"] }],
    sourceRepos: ["https://git.example/shared"], destinations: [{ server: "*", namespace: "shared" }],
    destinationServiceAccounts: [{ server: "*", namespace: "*", defaultServiceAccount: "platform:deployer" }],
    sourceNamespaces: ["everywhere"], signatureKeys: [{ keyID: "4AEE18F83AFDEB23" }], roles: [{ name: "admin" }], description: "global",
  });
  const before = structuredClone(own);
  const merged = withGlobalProjects(own, [global]);
  assert.deepEqual(own, before, "the project itself is untouched");
  for (const field of GLOBAL_PROJECT_FIELDS) {
    assert.deepEqual(merged.spec[field], [...((own.spec[field] as unknown[] | undefined) ?? []), ...(global.spec[field] as unknown[])], `${field} appended`);
  }
  assert.deepEqual(merged.spec.destinationServiceAccounts, [
    { server: "*", namespace: "web", defaultServiceAccount: "web-deployer" },
    { server: "*", namespace: "*", defaultServiceAccount: "platform:deployer" },
  ], "the project's own entries stay first, so they win where both match");
  assert.deepEqual(merged.spec.sourceNamespaces, ["team-a"], "sourceNamespaces are not lent");
  assert.equal(merged.spec.signatureKeys, undefined, "signature keys are not lent");
  assert.equal(merged.spec.roles, undefined, "roles are not lent");
  assert.equal(merged.spec.description, "own");
  assert.equal(withGlobalProjects(own, []), own, "no global project: the same object");
});
