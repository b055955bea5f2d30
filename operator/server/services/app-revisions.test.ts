import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationObject } from "../cache.js";
import { chartDetails, isSourceInHistory, sourceFor } from "./app-revisions.js";

const git = { repoURL: "https://git.example/a.git", path: "web", targetRevision: "main" };
const chart = { repoURL: "https://charts.example", chart: "redis", targetRevision: "1.2.3" };

function app(spec: Record<string, unknown>, history: unknown[] = []): ApplicationObject {
  return { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "a" }, spec, status: { history } } as unknown as ApplicationObject;
}

test("sourceFor: the single source, a multi-source app's sourceIndex, a history entry's sources", () => {
  assert.deepEqual(sourceFor(app({ source: git }), undefined, undefined), git);
  assert.deepEqual(sourceFor(app({ sources: [git, chart] }), 1, undefined), chart);
  const old = { ...git, path: "old" };
  assert.deepEqual(sourceFor(app({ sources: [git, chart] }, [{ id: 3, sources: [old, chart] }]), 0, 3), old);
  assert.deepEqual(sourceFor(app({ source: git }, [{ id: 1, source: old }]), undefined, 1), old);
});

test("sourceFor: an unknown versionId or sourceIndex is refused by name", () => {
  assert.throws(() => sourceFor(app({ source: git }), undefined, 9), /versionId 9: no such entry/);
  assert.throws(() => sourceFor(app({ source: git }), 1, undefined), /sourceIndex 1 not found because there is only 1 source/);
  assert.throws(() => sourceFor(app({ sources: [git, chart] }), 5, undefined), /there are only 2 sources/);
});

test("chartDetails: description, home, maintainers as Name <email>; empty fields left out; bad YAML named", () => {
  const yaml = "apiVersion: v2\nname: web\nversion: 1.0.0\ndescription: A web app\nhome: https://example.com\nmaintainers:\n  - name: Ada\n    email: ada@example.com\n  - name: Bob\n";
  assert.deepEqual(chartDetails(yaml), { description: "A web app", home: "https://example.com", maintainers: ["Ada <ada@example.com>", "Bob"] });
  assert.deepEqual(chartDetails("name: bare\nversion: 0.1.0\n"), {});
  assert.throws(() => chartDetails("a: [unclosed"), /Chart.yaml is not valid YAML/);
  assert.throws(() => chartDetails("- a list"), /not a YAML mapping/);
});

test("isSourceInHistory: the current source, or a deployed one at the revision it synced; anything else is refused", () => {
  const sha = "0123456789abcdef0123456789abcdef01234567";
  const single = app({ source: git }, [{ id: 1, source: { ...git, path: "old", targetRevision: "HEAD" }, revision: sha }]);
  assert.equal(isSourceInHistory(single, git, undefined, undefined), true, "the current source");
  assert.equal(isSourceInHistory(single, { ...git, directory: {}, helm: { parameters: [] } }, undefined, undefined), true, "empty fields are absent fields");
  assert.equal(isSourceInHistory(single, { ...git, path: "old", targetRevision: sha }, undefined, undefined), true, "a deployed source at its synced revision");
  // Attacks: what `applications, get` on this app must not let a caller read with its project's credentials.
  for (const [what, source] of [
    ["another repository", { ...git, repoURL: "https://git.example/secret.git" }],
    ["another path", { ...git, path: "../other" }],
    ["another revision", { ...git, targetRevision: "other-branch" }],
    ["a deployed source at its ambiguous targetRevision", { ...git, path: "old", targetRevision: "HEAD" }],
    ["extra tool options", { ...git, helm: { valueFiles: ["/etc/passwd"] } }],
    ["a chart", chart],
  ] as const) {
    assert.equal(isSourceInHistory(single, source as typeof git, undefined, undefined), false, what);
  }

  const old = { ...chart, targetRevision: "1.x" };
  const multi = app({ sources: [git, chart] }, [{ id: 7, sources: [git, old], revisions: [sha, "1.0.0"] }]);
  assert.equal(isSourceInHistory(multi, chart, 1, undefined), true, "source 2 of a multi-source app");
  assert.equal(isSourceInHistory(multi, chart, 0, undefined), false, "named by the wrong index");
  assert.equal(isSourceInHistory(multi, { ...old, targetRevision: "1.0.0" }, 1, 7), true, "history entry 7's source 2 at the version it deployed");
  assert.equal(isSourceInHistory(multi, { ...old, targetRevision: "1.0.0" }, 1, undefined), false, "a multi-source entry counts only when versionId names it");
  assert.equal(isSourceInHistory(multi, { ...old, targetRevision: "1.0.0" }, 1, 8), false, "nor under another versionId");
  assert.equal(isSourceInHistory(app({}), git, undefined, undefined), false, "an app without sources has none to match");
});
