import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { listJsonChunks, parseFields, pruneFields, stringifyFields } from "./fields.js";

// Shapes that exercise every branch: lists of objects and of scalars, nulls, missing members,
// integer-like keys (which objects order first), empty objects and arrays, and a key that names a
// prototype member.
const LIST: { metadata: Record<string, unknown>; items: Array<Record<string, unknown>> } = {
  metadata: { resourceVersion: "42", continue: "" },
  items: [
    { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "a", namespace: "argocd", labels: { team: "x", "10": "ten", "2": "two" } }, spec: { project: "p", source: { repoURL: "u", path: "apps/a" } }, status: { sync: { status: "Synced" }, health: { status: "Healthy" }, resources: [{ kind: "Deployment", name: "d", health: null }, { kind: "Service", name: "s" }], summary: { images: ["nginx", "redis"] } } },
    { metadata: { name: "b" }, spec: null, status: { resources: [] } },
    { metadata: { name: "c", toString: "x" }, status: { sync: {}, history: [1, "two", null, { id: 3 }] } },
  ],
};

const SPECS = [
  "items.metadata.name",
  "items.metadata.name,items.metadata.labels,items.spec,items.status.sync.status,items.status.health,items.status.summary",
  "items.status.resources.name,items.status.history.id",
  "items.metadata.labels.10,items.metadata.labels.team,items.metadata.labels.2",
  "items.spec.source.path,items.nothing.here",
  "items.metadata.toString",
  "items",
  "metadata",
  "-items.status",
  "-items.status.resources,items.metadata.labels",
  "-items.status.history.id,items.spec.source",
  "-metadata,items.status.summary.images",
  "-nothing",
];

describe("stringifyFields", () => {
  for (const raw of SPECS) {
    it(`writes what JSON.stringify(pruneFields(...)) would, for fields=${raw}`, () => {
      const spec = parseFields(raw)!;
      assert.equal(stringifyFields(LIST, spec), JSON.stringify(pruneFields(LIST, spec)));
      const always = [["metadata", "resourceVersion"]];
      assert.equal(stringifyFields(LIST, spec, always), JSON.stringify(pruneFields(LIST, spec, always)), "with an always-kept path");
      for (const item of LIST.items) assert.equal(stringifyFields(item, spec), JSON.stringify(pruneFields(item, spec)), "on one item");
    });
  }

  it("does not change the value it walks", () => {
    const before = JSON.stringify(LIST);
    stringifyFields(LIST, parseFields("-items.status")!);
    stringifyFields(LIST, parseFields("items.metadata.name")!);
    assert.equal(JSON.stringify(LIST), before);
  });
});

describe("listJsonChunks", () => {
  const always = [["metadata", "resourceVersion"]];
  it("without fields, is exactly JSON.stringify of the list", () => {
    assert.equal([...listJsonChunks(LIST.metadata, LIST.items)].join(""), JSON.stringify({ metadata: LIST.metadata, items: LIST.items }));
    assert.equal([...listJsonChunks({ resourceVersion: "1" }, [])].join(""), '{"metadata":{"resourceVersion":"1"},"items":[]}');
  });

  for (const raw of SPECS) {
    it(`with fields=${raw}, is the JSON of pruneFields(list) (metadata first)`, () => {
      const spec = parseFields(raw)!;
      const text = [...listJsonChunks(LIST.metadata, LIST.items, spec, always)].join("");
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(pruneFields(LIST, spec, always))));
      const top = Object.keys(JSON.parse(text) as object);
      if (top.length === 2) assert.deepEqual(top, ["metadata", "items"], "metadata before items");
    });
  }

  it("cuts a large list into pieces of about 64 KiB, each item whole in one piece", () => {
    const items = Array.from({ length: 2000 }, (_, i) => ({ metadata: { name: `app-${i}` }, status: { text: "x".repeat(200) } }));
    const pieces = [...listJsonChunks({ resourceVersion: "9" }, items)];
    assert.ok(pieces.length > 5, `a list of ~450 KB is sent in several pieces, got ${pieces.length}`);
    for (const p of pieces.slice(0, -1)) assert.ok(p.length >= 64 * 1024 && p.length < 64 * 1024 + 300, `a piece ends at the first item past 64 KiB: ${p.length}`);
    assert.equal(pieces.join(""), JSON.stringify({ metadata: { resourceVersion: "9" }, items }));
  });
});
