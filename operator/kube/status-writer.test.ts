import { test } from "node:test";
import assert from "node:assert/strict";
import { createMergePatch } from "./status-writer.js";

test("merge patch holds only what changed, and nothing when equal", () => {
  const from = { sync: { status: "Synced", revision: "a" }, conditions: [{ type: "X", message: "m" }], health: { status: "Healthy" } };
  assert.equal(createMergePatch(from, structuredClone(from)), undefined);
  assert.deepEqual(createMergePatch(from, { ...from, sync: { status: "OutOfSync", revision: "a" } }), { sync: { status: "OutOfSync" } });
  assert.deepEqual(createMergePatch(from, { sync: from.sync, health: from.health }), { conditions: null }, "removed keys become null");
  assert.deepEqual(createMergePatch(from, { ...from, conditions: [] }), { conditions: [] }, "lists are replaced whole");
});
