import { test } from "node:test";
import assert from "node:assert/strict";
import { planApplications, planOptionsFrom, type CurrentApplication } from "./apply-policy.js";
import { applyIgnoreApplicationDifferences, parseIgnoreApplicationDifferences, type AppFields } from "./ignore-differences.js";
import type { GeneratedApplication } from "./render.js";

const gen = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>): GeneratedApplication => ({
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Application",
  metadata: { name, namespace: "argocd", ...(labels ? { labels } : {}) },
  spec,
});
const live = (a: GeneratedApplication, spec: Record<string, unknown>, labels?: Record<string, string>): CurrentApplication => ({
  metadata: { name: a.metadata.name, ...(labels ? { labels } : {}) },
  spec,
});

const source = (targetRevision: string, path = "p"): Record<string, unknown> => ({ repoURL: "https://git.example/r.git", path, targetRevision });

test("parse: rules keep name, pointers and jq expressions; junk is dropped", () => {
  assert.deepEqual(parseIgnoreApplicationDifferences([{ name: "a", jsonPointers: ["/spec/x", 3] }, "junk", { jqPathExpressions: [".spec.y"] }]), [
    { name: "a", jsonPointers: ["/spec/x"], jqPathExpressions: [] },
    { jsonPointers: [], jqPathExpressions: [".spec.y"] },
  ]);
  assert.deepEqual(parseIgnoreApplicationDifferences(undefined), []);
});

test("a JSON pointer keeps the live value: a hand-disabled autosync is not re-enabled", async () => {
  const want = gen("a", { project: "default", source: source("main"), syncPolicy: { automated: { prune: true } } });
  const cur = live(want, { project: "default", source: source("main") });
  const opts = planOptionsFrom({ ignoreApplicationDifferences: [{ jsonPointers: ["/spec/syncPolicy"] }] });
  assert.deepEqual((await planApplications([want], [cur], "sync", opts)).update, [], "only the ignored field differs: no update");
  // Another field changes: the update carries it, with the live (absent) syncPolicy.
  const moved = gen("a", { project: "default", source: source("v2"), syncPolicy: { automated: { prune: true } } });
  const plan = await planApplications([moved], [cur], "sync", opts);
  assert.deepEqual(plan.update.map((u) => u.spec), [{ project: "default", source: source("v2") }]);
});

test("the live value of an ignored field is written back, not the generated one", async () => {
  const want = gen("a", { project: "default", source: source("main", "new") });
  const cur = live(want, { project: "default", source: source("pinned", "old") });
  const plan = await planApplications([want], [cur], "sync", { ignore: parseIgnoreApplicationDifferences([{ jsonPointers: ["/spec/source/targetRevision"] }]) });
  assert.deepEqual(plan.update[0]?.spec, { project: "default", source: source("pinned", "new") });
});

test("a jq path expression selects list items; other fields of the item still follow the template", async () => {
  const spec = (rev: string, path: string): Record<string, unknown> => ({ project: "default", sources: [source(rev, path), { repoURL: "https://git.example/other.git", path: "o", targetRevision: "main" }] });
  const want = gen("a", spec("main", "new"));
  const cur = live(want, spec("pinned", "old"));
  const rules = parseIgnoreApplicationDifferences([{ jqPathExpressions: ['.spec.sources[] | select(.repoURL == "https://git.example/r.git") | .targetRevision'] }]);
  const plan = await planApplications([want], [cur], "sync", { ignore: rules });
  assert.deepEqual(plan.update[0]?.spec, spec("pinned", "new"));
  assert.deepEqual(plan.warnings, []);
});

test("name restricts a rule to one Application", async () => {
  const a = gen("a", { project: "default", source: source("main") });
  const b = gen("b", { project: "default", source: source("main") });
  const rules = parseIgnoreApplicationDifferences([{ name: "a", jsonPointers: ["/spec/source/targetRevision"] }]);
  const plan = await planApplications([a, b], [live(a, { project: "default", source: source("x") }), live(b, { project: "default", source: source("x") })], "sync", { ignore: rules });
  assert.deepEqual(plan.update.map((u) => u.metadata.name), ["b"]);
});

test("labels can be ignored; a field absent live is dropped from the desired one", async () => {
  const want = gen("a", { project: "default" }, { env: "prod", tier: "web" });
  const cur = live(want, { project: "default" }, { env: "prod" });
  const rules = parseIgnoreApplicationDifferences([{ jsonPointers: ["/metadata/labels/tier"] }]);
  assert.deepEqual((await planApplications([want], [cur], "sync", { ignore: rules })).update, []);
});

test("bad pointers and failing jq expressions are reported and skipped; other rules still apply", async () => {
  const desired: AppFields = { metadata: {}, spec: { a: 1, b: 2 } };
  const current: AppFields = { metadata: {}, spec: { a: 9, b: 8 } };
  const out = await applyIgnoreApplicationDifferences(desired, current, parseIgnoreApplicationDifferences([{ jsonPointers: ["spec/a", "", "/spec/b"], jqPathExpressions: [".spec | (", ".spec.a"] }]));
  assert.deepEqual(out.desired.spec, { a: 9, b: 8 });
  assert.equal(out.warnings.length, 3, out.warnings.join("\n"));
});

test("a jq expression cannot write computed values into the Application", async () => {
  const desired: AppFields = { metadata: {}, spec: { a: 1 } };
  const current: AppFields = { metadata: {}, spec: { a: 1 } };
  const out = await applyIgnoreApplicationDifferences(desired, current, parseIgnoreApplicationDifferences([{ jqPathExpressions: ['.spec["leak-\\("x")"]', ".spec[$ENV.HOME // \"h\"]"] }]));
  assert.deepEqual(out.desired.spec, { a: 1 });
});
