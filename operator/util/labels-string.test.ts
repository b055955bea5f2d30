import { test } from "node:test";
import assert from "node:assert/strict";
import { labelsMatch, parseLabelSelector } from "./labels.js";

test("label selectors: equality, inequality, set and existence requirements", () => {
  const labels = { app: "web", env: "prod", team: "a" };
  const cases: Array<[string, boolean]> = [
    ["app=web", true], ["app==web", true], ["app=api", false], ["app!=api", true], ["missing!=x", true],
    ["env in (prod, staging)", true], ["env notin (prod)", false], ["env in (dev)", false],
    ["team", true], ["!team", false], ["!missing", true], ["app=web,env in (prod),!missing", true],
    ["app=web,env=dev", false], ["", true],
  ];
  for (const [sel, want] of cases) assert.equal(labelsMatch(parseLabelSelector(sel), labels), want, `selector "${sel}"`);
});

test("label selectors: an unreadable part is named in the error", () => {
  assert.throws(() => parseLabelSelector("app=web,env in prod"), /at "env in prod"/);
});
