import { test } from "node:test";
import assert from "node:assert/strict";
import {
  appNamespaceNotPermittedMessage, isAppNamespacePermitted, isNamespaceEnabled, matchesNamespacePatterns,
  namespacePatternProblems, parseNamespaceList,
} from "./namespaces.js";

// [patterns, namespace, expected, why]
const cases: Array<[string[], string, boolean, string]> = [
  [["team-a"], "team-a", true, "a literal entry matches itself"],
  [["team-a"], "team-ab", false, "a literal entry is anchored"],
  [["team-*"], "team-a", true, "* matches any run"],
  [["team-*"], "team-", true, "* matches the empty run"],
  [["team-*"], "other-team-a", false, "a glob is anchored at the start"],
  [["team-?"], "team-b", true, "? matches one character"],
  [["team-?"], "team-bb", false, "? matches exactly one character"],
  [["team-[ab]"], "team-b", true, "character classes"],
  [["team-[!ab]"], "team-a", false, "negated classes"],
  [["{dev,prod}-*"], "prod-web", true, "alternatives"],
  [["*"], "anything", true, "* alone allows every namespace"],
  [["/^team-[0-9]+$/"], "team-42", true, "a /regex/ entry"],
  [["/^team-[0-9]+$/"], "team-x", false, "a /regex/ entry that does not match"],
  [["/team/"], "my-team-ns", true, "a /regex/ is unanchored, as Go's MatchString"],
  [["/[/"], "x", false, "an invalid regex allows nothing"],
  [["a", "/^b/", "c-*"], "c-1", true, "any entry of the list may match"],
  [[], "team-a", false, "an empty list allows nothing"],
  [["/"], "/", true, "a lone slash is a glob, not an empty regex"],
];

for (const [patterns, ns, expected, why] of cases) {
  test(`matchesNamespacePatterns(${JSON.stringify(patterns)}, ${ns}) is ${expected}: ${why}`, () => {
    assert.equal(matchesNamespacePatterns(patterns, ns), expected, why);
  });
}

test("the control namespace is always enabled, others only when a pattern matches", () => {
  assert.equal(isNamespaceEnabled("argocd", "argocd", []), true, "control namespace with no patterns");
  assert.equal(isNamespaceEnabled("team-a", "argocd", []), false, "no patterns: no other namespace");
  assert.equal(isNamespaceEnabled("team-a", "argocd", ["team-*"]), true, "glob match");
  assert.equal(isNamespaceEnabled("kube-system", "argocd", ["team-*"]), false, "glob miss");
});

test("a project allows its sourceNamespaces, and the control namespace always", () => {
  assert.equal(isAppNamespacePermitted(undefined, "argocd", "argocd"), true, "control namespace needs no sourceNamespaces");
  assert.equal(isAppNamespacePermitted(undefined, undefined, "argocd"), true, "no namespace counts as the control namespace");
  assert.equal(isAppNamespacePermitted(undefined, "team-a", "argocd"), false, "no sourceNamespaces: only the control namespace");
  assert.equal(isAppNamespacePermitted(["team-*"], "team-a", "argocd"), true, "glob in sourceNamespaces");
  assert.equal(isAppNamespacePermitted(["/^team-(a|b)$/"], "team-c", "argocd"), false, "regex in sourceNamespaces misses");
});

test("the namespace list is comma-separated, trimmed, empty entries dropped", () => {
  assert.deepEqual(parseNamespaceList(" team-a, /^b-.*$/ ,,c-* "), ["team-a", "/^b-.*$/", "c-*"]);
  assert.deepEqual(parseNamespaceList(""), []);
  assert.deepEqual(parseNamespaceList(undefined), []);
});

test("an invalid /regex/ is reported, globs are not", () => {
  const problems = namespacePatternProblems(["team-*", "/[/", "/ok/"]);
  assert.equal(problems.length, 1, `one problem expected, got ${JSON.stringify(problems)}`);
  assert.match(problems[0]!, /^"\/\[\/" is not a valid regular expression/);
});

test("the refusal message is Argo's", () => {
  assert.equal(appNamespaceNotPermittedMessage("web", "team-c", "default"), "application 'web' in namespace 'team-c' is not allowed to use project default");
});
