import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationObject } from "../cache.js";
import { chartDetails, sourceFor } from "./app-revisions.js";

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
