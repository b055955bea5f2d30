import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { perSourceRevisions, RequestRefused, syncInfos, syncOperation } from "./requests.js";

const multi = {
  metadata: { name: "multi" },
  spec: {
    project: "default",
    destination: {},
    sources: [
      { repoURL: "https://git.example/a.git", path: "a", targetRevision: "main" },
      { repoURL: "https://git.example/b.git", path: "b" },
      { repoURL: "https://git.example/c.git", path: "c", targetRevision: "v1" },
    ],
  },
};

describe("perSourceRevisions", () => {
  it("puts each revision at its 1-based source and keeps the others' targetRevision (HEAD when unset)", () => {
    const out = perSourceRevisions(multi, ["release-2", "v1"], [2, 3]);
    assert.deepEqual(out.revisions, ["main", "release-2", "v1"], "source 2 moves, 3 is asked for its own targetRevision, 1 stays");
    assert.deepEqual(out.overridden, [1], "only source 2 differs from its targetRevision");
  });

  const refusals: Array<[string, string[], number[], RegExp]> = [
    ["lists of different lengths", ["a"], [1, 2], /revisions \(1\) and sourcePositions \(2\)/],
    ["a position past the last source", ["a"], [4], /sourcePositions\[0\] = 4 is out of range.*3 sources/],
    ["position 0 (positions are 1-based)", ["a"], [0], /sourcePositions\[0\] = 0 is out of range/],
    ["a source given twice", ["a", "b"], [1, 1], /sourcePositions\[1\]: source 1 is given more than once/],
    ["an empty revision", [""], [1], /revisions\[0\] is empty/],
  ];
  for (const [name, revisions, positions, message] of refusals) {
    it(`refuses ${name}, naming the field`, () => {
      assert.throws(() => perSourceRevisions(multi, revisions, positions), (err: unknown) => err instanceof RequestRefused && message.test(err.message));
    });
  }

  it("refuses a single-source app", () => {
    const single = { metadata: { name: "one" }, spec: { project: "default", destination: {}, source: { repoURL: "https://git.example/a.git" } } };
    assert.throws(() => perSourceRevisions(single, ["x"], [1]), /single source: revisions and sourcePositions are for multi-source/);
  });
});

describe("syncOperation", () => {
  it("writes per-source revisions into operation.sync.revisions", () => {
    const op = syncOperation({ revisions: ["main", "release-2"], username: "admin" });
    assert.deepEqual(op.sync?.revisions, ["main", "release-2"]);
    assert.equal(op.sync?.revision, undefined, "no single revision alongside");
  });

  it("keeps a request's infos in operation.info, in order", () => {
    const op = syncOperation({ infos: [{ name: "reason", value: "hotfix" }, { name: "ticket", value: "OPS-12" }], username: "admin" });
    assert.deepEqual(op.info, [{ name: "reason", value: "hotfix" }, { name: "ticket", value: "OPS-12" }], "the infos as given");
    assert.equal(syncOperation({ infos: [], username: "admin" }).info, undefined, "no infos: no info field");
  });
});

describe("syncInfos", () => {
  it("refuses an info without a name or with a non-string value, naming the entry", () => {
    assert.throws(() => syncInfos([{ name: "ok", value: "1" }, { name: " ", value: "x" }]), (e: unknown) => e instanceof RequestRefused && e.message === "infos[1].name must be a non-empty string");
    assert.throws(() => syncInfos([{ name: "n", value: 3 }]), (e: unknown) => e instanceof RequestRefused && e.message === "infos[0].value must be a string");
    assert.deepEqual(syncInfos([{ name: "n" }]), [{ name: "n", value: "" }], "a missing value is empty, as Go's zero string");
  });
});
