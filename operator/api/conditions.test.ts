import { test } from "node:test";
import assert from "node:assert/strict";
import { setConditions } from "./conditions.js";

const at = (t: string) => () => t;

test("only evaluated types are replaced; unchanged messages keep their transition time", () => {
  const existing = [
    { type: "InvalidSpecError", message: "project x not found", lastTransitionTime: "T1" },
    { type: "SyncError", message: "boom", lastTransitionTime: "T0" },
  ];
  const same = setConditions(existing, [{ type: "InvalidSpecError", message: "project x not found" }], ["InvalidSpecError"], at("T2"));
  assert.deepEqual(same, existing.slice().sort((a, b) => a.type.localeCompare(b.type)));
  const changed = setConditions(existing, [{ type: "InvalidSpecError", message: "project y not found" }], ["InvalidSpecError"], at("T2"));
  assert.equal(changed.find((c) => c.type === "InvalidSpecError")!.lastTransitionTime, "T2");
  assert.ok(changed.some((c) => c.type === "SyncError"), "types not evaluated are kept");
  const cleared = setConditions(existing, [], ["InvalidSpecError"], at("T2"));
  assert.deepEqual(cleared.map((c) => c.type), ["SyncError"]);
});
