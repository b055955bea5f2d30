import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationObject } from "../cache.js";
import { comparedRevisions } from "./applications.js";

const app = (spec: unknown, sync: unknown): ApplicationObject => ({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "a" }, spec, status: { sync } } as unknown as ApplicationObject);

test("managed-resources renders the revisions the controller compared", () => {
  assert.deepEqual(comparedRevisions(app({ source: { repoURL: "r", targetRevision: "main" } }, { status: "OutOfSync", revision: "abc" })), { revision: "abc" }, "a single source: status.sync.revision");
  assert.deepEqual(comparedRevisions(app({ source: { repoURL: "r" } }, undefined)), {}, "never compared: the target as it is now");
  assert.deepEqual(comparedRevisions(app({ sources: [{ repoURL: "r" }, { repoURL: "s" }] }, { revisions: ["a1", "b2"] })), { revisions: ["a1", "b2"] }, "one per source");
  assert.deepEqual(comparedRevisions(app({ sources: [{ repoURL: "r" }, { repoURL: "s" }] }, { revisions: ["a1"] })), {}, "a partial list (sources changed since) is not used");
});
