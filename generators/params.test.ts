import { test } from "node:test";
import assert from "node:assert/strict";
import { filterParamsBySelector, flattenParams, goPathMatch, pathBase, pathDir, sanitizeName, selectorMatches } from "./params.js";

test("sanitizeName follows Argo's SanitizeName", () => {
  const cases: [string, string][] = [["My_Cluster", "my-cluster"], ["--a.b--", "a.b"], ["prod/eu 1", "prod-eu-1"], ["x".repeat(300), "x".repeat(253)]];
  for (const [input, want] of cases) assert.equal(sanitizeName(input), want);
});

test("flattenParams: DotStyle keys, list indexes, Go %v leaves", () => {
  assert.deepEqual(flattenParams({ a: { b: "c", n: 2, t: true }, l: ["x", { y: null }], e: {} }), { "a.b": "c", "a.n": "2", "a.t": "true", "l.0": "x", "l.1.y": "<nil>", e: "map[]" });
});

test("label selectors: matchLabels and every operator", () => {
  const labels = { env: "prod", tier: "web" };
  const cases: [Parameters<typeof selectorMatches>[0], boolean][] = [
    [{ matchLabels: { env: "prod" } }, true],
    [{ matchLabels: { env: "dev" } }, false],
    [{ matchExpressions: [{ key: "env", operator: "In", values: ["dev", "prod"] }] }, true],
    [{ matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] }, false],
    [{ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }, true],
    [{ matchExpressions: [{ key: "tier", operator: "Exists" }] }, true],
    [{ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, false],
    [{ matchLabels: { env: "prod" }, matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }] }, false],
  ];
  for (const [sel, want] of cases) assert.equal(selectorMatches(sel, labels), want, JSON.stringify(sel));
  assert.throws(() => selectorMatches({ matchExpressions: [{ key: "x", operator: "Gt" }] }, labels), /unknown operator "Gt"/);
});

test("a generator selector filters flattened parameter sets (nested goTemplate params too)", () => {
  const sets = [{ cluster: "a", metadata: { labels: { env: "prod" } } }, { cluster: "b", metadata: { labels: { env: "dev" } } }];
  assert.deepEqual(filterParamsBySelector(sets, { matchLabels: { "metadata.labels.env": "prod" } }).map((p) => p.cluster), ["a"]);
  assert.equal(filterParamsBySelector(sets, {}).length, 2);
});

test("goPathMatch has Go path.Match semantics", () => {
  const cases: [string, string, boolean][] = [
    ["apps/*", "apps/x", true],
    ["apps/*", "apps/x/y", false],
    ["apps/*/overlays/production", "apps/my-api/overlays/production", true],
    ["apps/?", "apps/a", true],
    ["apps/[a-c]*", "apps/beta", true],
    ["apps/[^a-c]*", "apps/beta", false],
    ["apps/\\*", "apps/*", true],
    ["apps/{a,b}", "apps/a", false],
    ["*", ".hidden", true],
  ];
  for (const [pattern, name, want] of cases) assert.equal(goPathMatch(pattern, name), want, `${pattern} ~ ${name}`);
  assert.throws(() => goPathMatch("apps/[", "apps/x"), /syntax error in pattern/);
});

test("path.Dir and path.Base", () => {
  assert.equal(pathDir("a/b/c.json"), "a/b");
  assert.equal(pathDir("c.json"), ".");
  assert.equal(pathBase("a/b"), "b");
  assert.equal(pathBase("."), ".");
});
