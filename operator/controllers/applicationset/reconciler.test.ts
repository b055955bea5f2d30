import { test } from "node:test";
import assert from "node:assert/strict";
import { AdaptiveLimiter } from "../../kube/adaptive.js";
import { appSetConditions, forEachLimit, WriteReason, type ApplicationSetCondition } from "./reconciler.js";

const summary = (cs: ApplicationSetCondition[]): string[][] => cs.map((c) => [c.type, c.status, c.reason]);

test("conditions: success, generation, render, validation and write errors carry Argo's reasons", () => {
  const now = "2026-01-01T00:00:00Z";
  assert.deepEqual(summary(appSetConditions([], undefined, now)), [
    ["ErrorOccurred", "False", "ApplicationSetUpToDate"],
    ["ParametersGenerated", "True", "ParametersGenerated"],
    ["ResourcesUpToDate", "True", "ApplicationSetUpToDate"],
  ]);
  const table: [string, string][] = [
    ["ApplicationGenerationFromParamsError", "False"],
    ["RenderTemplateParamsError", "False"],
    ["ApplicationValidationError", "True"],
    [WriteReason.Create, "True"],
    [WriteReason.Update, "True"],
    [WriteReason.Delete, "True"],
  ];
  for (const [reason, paramsGenerated] of table) {
    const cs = appSetConditions([{ reason: reason as WriteReason, message: "boom" }, { reason: reason as WriteReason, message: "bang" }], undefined, now);
    assert.deepEqual(summary(cs), [
      ["ErrorOccurred", "True", reason],
      ["ParametersGenerated", paramsGenerated, paramsGenerated === "True" ? "ParametersGenerated" : "ErrorOccurred"],
      ["ResourcesUpToDate", "False", reason],
    ], reason);
    assert.equal(cs[0]?.message, "boom; bang");
  }
});

test("conditions keep lastTransitionTime while unchanged and move it on a change", () => {
  const first = appSetConditions([], undefined, "t1");
  assert.deepEqual(appSetConditions([], first, "t2").map((c) => c.lastTransitionTime), ["t1", "t1", "t1"]);
  const failed = appSetConditions([{ reason: WriteReason.Update, message: "x" }], first, "t3");
  assert.deepEqual(failed.map((c) => c.lastTransitionTime), ["t3", "t1", "t3"]);
});

test("forEachLimit runs everything, at most `limit` at once, and collects failures", async () => {
  let inFlight = 0;
  let peak = 0;
  const seen: number[] = [];
  const failures = await forEachLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    seen.push(n);
    if (n % 3 === 0) throw new Error(`no ${n}`);
  });
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(peak, 3);
  assert.deepEqual(failures.map((f) => f.item), [3, 6]);
});

test("forEachLimit paces every call through the limiter: its limit, not the worker count, bounds the writes in flight", async () => {
  const limiter = new AdaptiveLimiter({ initial: 2, max: 2 });
  let inFlight = 0;
  let peak = 0;
  const seen: number[] = [];
  const failures = await forEachLimit(Array.from({ length: 20 }, (_, i) => i), 16, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    seen.push(n);
  }, limiter);
  assert.equal(failures.length, 0, "no call failed");
  assert.equal(seen.length, 20, "every item ran once");
  assert.equal(peak, 2, "at most the limiter's 2 in flight, though 16 workers ran");
});
