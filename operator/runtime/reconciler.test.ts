import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyOutcome, GenericError, StallingError, TerminalError, typedReconcileError, WaitingError, type ReconcileOutcome } from "./reconciler.js";

describe("classifyOutcome: what the queue does after a reconcile", () => {
  const cases: Array<[string, { result?: { requeueAfterMs?: number }; error?: unknown }, ReconcileOutcome]> = [
    ["nothing returned", {}, { kind: "success" }],
    ["a requeue asked for", { result: { requeueAfterMs: 2000 } }, { kind: "success", requeueAfterMs: 2000 }],
    ["a zero requeue is none", { result: { requeueAfterMs: 0 } }, { kind: "success" }],
    ["a plain error backs off", { error: new Error("boom") }, { kind: "retry" }],
    ["a thrown string backs off", { error: "boom" }, { kind: "retry" }],
    ["a GenericError backs off with its reason", { error: new GenericError("Conflict", "object changed") }, { kind: "retry", reason: "Conflict" }],
    ["a WaitingError waits its delay", { error: new WaitingError("ProjectMissing", "no project", 30_000) }, { kind: "wait", reason: "ProjectMissing", requeueAfterMs: 30_000 }],
    ["a StallingError stalls", { error: new StallingError("InvalidSpec", "bad spec") }, { kind: "stalled", reason: "InvalidSpec" }],
    ["a TerminalError stops", { error: new TerminalError("cannot ever work") }, { kind: "terminal" }],
    ["an error wins over a returned requeue", { result: { requeueAfterMs: 5 }, error: new Error("boom") }, { kind: "retry" }],
    ["a typed error found through causes", { error: new Error("render failed", { cause: new Error("git", { cause: new WaitingError("RepoNotReady", "no repo", 1000) }) }) }, { kind: "wait", reason: "RepoNotReady", requeueAfterMs: 1000 }],
    ["the outermost typed error wins", { error: new TerminalError("give up", { cause: new WaitingError("X", "wait", 1000) }) }, { kind: "terminal" }],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      assert.deepEqual(classifyOutcome(input.result, input.error), want, name);
    });
  }
});

describe("typedReconcileError", () => {
  it("stops at a cycle of causes", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.equal(typedReconcileError(a), undefined, "no typed error, and no endless loop");
  });
  it("returns the typed error itself, causes included", () => {
    const stall = new StallingError("InvalidSpec", "bad", { cause: new Error("detail") });
    assert.equal(typedReconcileError(new Error("outer", { cause: stall })), stall, "found through the wrapper");
  });
});

describe("WaitingError", () => {
  it("refuses a delay that would busy-loop or never fire", () => {
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new WaitingError("Dep", "wait", bad), { name: "RangeError", message: /WaitingError\(Dep\): requeueAfterMs must be a finite number/ }, String(bad));
    }
    assert.equal(new WaitingError("Dep", "wait", 0).requeueAfterMs, 0, "zero means at once");
  });
});
