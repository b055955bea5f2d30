import { test } from "node:test";
import assert from "node:assert/strict";
import { compileGitPathspec, doublestarMatch } from "./glob.js";

// Cases follow bmatcuk/doublestar v4's Match (the git file generator's dialect).
const table: [pattern: string, path: string, match: boolean][] = [
  ["*.yaml", "a.yaml", true],
  ["*.yaml", "dir/a.yaml", false],
  ["apps/*/config.json", "apps/one/config.json", true],
  ["apps/*/config.json", "apps/one/two/config.json", false],
  ["apps/**/config.json", "apps/config.json", true],
  ["apps/**/config.json", "apps/one/config.json", true],
  ["apps/**/config.json", "apps/one/two/config.json", true],
  ["apps/**/config.json", "other/apps/one/config.json", false],
  ["**/config.json", "config.json", true],
  ["**/config.json", "a/b/c/config.json", true],
  ["**/*.yaml", "a/b/x.yaml", true],
  ["**/*.yaml", "a/b/x.yml", false],
  ["apps/**", "apps/a/b/c", true],
  ["apps/**", "apps", true],
  ["apps/**", "appsX/a", false],
  ["**", "anything/at/all", true],
  ["a/x**y/b", "a/xzzy/b", true],
  ["a/x**y/b", "a/xz/zy/b", false],
  ["cluster-?/config.json", "cluster-a/config.json", true],
  ["cluster-?/config.json", "cluster-ab/config.json", false],
  ["cluster-[abc]/c.json", "cluster-b/c.json", true],
  ["cluster-[!abc]/c.json", "cluster-b/c.json", false],
  ["cluster-[^abc]/c.json", "cluster-d/c.json", true],
  ["cluster-[a-c]/c.json", "cluster-c/c.json", true],
  ["a[/]b", "a/b", false],
  ["{dev,prod}/config.json", "prod/config.json", true],
  ["{dev,prod}/config.json", "stage/config.json", false],
  ["{apps/**,base}/k.yaml", "apps/x/y/k.yaml", true],
  ["env/{a,{b,c}}.json", "env/c.json", true],
  ["literal\\*.json", "literal*.json", true],
  ["literal\\*.json", "literalX.json", false],
  ["a.b", "aXb", false],
  ["(x)+.json", "(x)+.json", true],
  [".hidden/*", ".hidden/f", true],
];

test("doublestar table", () => {
  for (const [pattern, path, want] of table) assert.equal(doublestarMatch(pattern, path), want, `${pattern} vs ${path}`);
});

test("git pathspec dialect (Argo's default file globbing): * crosses /, directories match their content", () => {
  const cases: [string, string, boolean][] = [
    ["apps/*.yaml", "apps/a.yaml", true],
    ["apps/*.yaml", "apps/x/y/a.yaml", true],
    ["*/config.json", "a/b/config.json", true],
    ["apps", "apps/x/a.yaml", true],
    ["apps/", "apps/x/a.yaml", true],
    ["apps", "appsX/a.yaml", false],
    ["cluster-?/c.json", "cluster-a/c.json", true],
    ["cluster-[!a]/c.json", "cluster-a/c.json", false],
    ["{a,b}.json", "a.json", false],
    ["{a,b}.json", "{a,b}.json", true],
  ];
  for (const [pattern, path, want] of cases) assert.equal(compileGitPathspec(pattern).test(path), want, `${pattern} vs ${path}`);
});
