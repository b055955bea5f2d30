import { test } from "node:test";
import assert from "node:assert/strict";
import { createMergePatch, patchStatus } from "./status-writer.js";

test("merge patch holds only what changed, and nothing when equal", () => {
  const from = { sync: { status: "Synced", revision: "a" }, conditions: [{ type: "X", message: "m" }], health: { status: "Healthy" } };
  assert.equal(createMergePatch(from, structuredClone(from)), undefined);
  assert.deepEqual(createMergePatch(from, { ...from, sync: { status: "OutOfSync", revision: "a" } }), { sync: { status: "OutOfSync" } });
  assert.deepEqual(createMergePatch(from, { sync: from.sync, health: from.health }), { conditions: null }, "removed keys become null");
  assert.deepEqual(createMergePatch(from, { ...from, conditions: [] }), { conditions: [] }, "lists are replaced whole");
});

test("patchStatus: only the difference, to the status subresource; with a resourceVersion the write is conditional", async () => {
  const sent: Array<{ body: unknown; opts: unknown }> = [];
  const client = { patch: (_ref: unknown, body: unknown, opts: unknown) => { sent.push({ body, opts }); return Promise.resolve({} as never); } };
  const obj = { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "a", namespace: "ns", resourceVersion: "7" }, status: { sync: { status: "OutOfSync" } } };
  assert.equal(await patchStatus(client, obj, { sync: { status: "OutOfSync" } }), undefined, "no change, no request");
  assert.equal(sent.length, 0, "nothing sent for an unchanged status");
  await patchStatus(client, obj, { sync: { status: "Synced" } });
  await patchStatus(client, obj, { sync: { status: "Synced" } }, { resourceVersion: "7" });
  assert.deepEqual(sent, [
    { body: { status: { sync: { status: "Synced" } } }, opts: { type: "merge", subresource: "status" } },
    { body: { metadata: { resourceVersion: "7" }, status: { sync: { status: "Synced" } } }, opts: { type: "merge", subresource: "status" } },
  ]);
});
