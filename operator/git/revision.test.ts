import { test } from "node:test";
import assert from "node:assert/strict";
import { parseLsRemote, parseLooseVersion, resolveFromRefs, type RemoteRefs } from "./revision.js";

const sha = (c: string): string => c.repeat(40);

const lsRemote = [
  `ref: refs/heads/main\tHEAD`,
  `${sha("a")}\tHEAD`,
  `${sha("b")}\trefs/heads/feature`,
  `${sha("a")}\trefs/heads/main`,
  `${sha("e")}\trefs/heads/v9.9.9`,
  `${sha("1")}\trefs/tags/v1.0.0`,
  `${sha("2")}\trefs/tags/v1.2.0`,
  `${sha("f")}\trefs/tags/v1.2.5`,
  `${sha("3")}\trefs/tags/v1.2.5^{}`,
  `${sha("4")}\trefs/tags/1.3.0`,
  `${sha("5")}\trefs/tags/v2.0.0`,
  `${sha("6")}\trefs/tags/v2.1.0-rc.1`,
  `${sha("7")}\trefs/tags/app-1.5.0`,
  `${sha("8")}\trefs/tags/app-1.6.0`,
  `${sha("9")}\trefs/tags/app-2.0.0`,
  `${sha("c")}\trefs/tags/1.2.*`,
  `${sha("d")}\trefs/pull/1/head`,
  ``,
].join("\n");

const refs: RemoteRefs = parseLsRemote(lsRemote);

test("parseLsRemote: HEAD symref, peeled annotated tags", () => {
  assert.equal(refs.head, sha("a"));
  assert.equal(refs.headRef, "refs/heads/main");
  assert.equal(refs.refs.get("refs/tags/v1.2.5"), sha("3"), "annotated tag peeled to its commit");
  assert.equal(refs.refs.get("refs/tags/v1.0.0"), sha("1"));
  assert.equal(refs.refs.has("refs/tags/v1.2.5^{}"), false);
});

test("resolveFromRefs: HEAD, empty, names, full refs, shas", () => {
  const commit = (target: string | undefined, opts = {}): string | undefined => {
    const r = resolveFromRefs(refs, target, opts);
    return r.kind === "commit" || r.kind === "sha" ? r.sha : undefined;
  };
  assert.equal(commit(undefined), sha("a"));
  assert.equal(commit(""), sha("a"));
  assert.equal(commit("HEAD"), sha("a"));
  assert.equal(commit("feature"), sha("b"));
  assert.equal(commit("v1.0.0"), sha("1"));
  assert.equal(commit("refs/pull/1/head"), sha("d"));
  assert.equal(commit("refs/heads/feature"), sha("b"));
  assert.equal(commit(sha("F")), sha("f"), "full SHA passes through lower-cased");
  assert.deepEqual(resolveFromRefs(refs, "abcdef1"), { kind: "short-sha", prefix: "abcdef1" });
  assert.deepEqual(resolveFromRefs(refs, "nope"), { kind: "unresolved" });
  assert.deepEqual(resolveFromRefs(refs, "abc"), { kind: "unresolved" }, "fewer than 7 hex digits is not a SHA");
});

test("semver constraints pick the highest matching tag; prereleases excluded", () => {
  const table: [string, string][] = [
    ["1.2.x", sha("3")],
    [">=1.0.0 <2.0.0", sha("4")],
    [">=1.0.0, <2.0.0", sha("4")],
    ["~1.2", sha("3")],
    ["^1", sha("4")],
    ["*", sha("5")],
    [">=2.0.0", sha("5")],
  ];
  for (const [constraint, want] of table) {
    const r = resolveFromRefs(refs, constraint);
    assert.equal(r.kind === "commit" ? r.sha : r.kind, want, constraint);
  }
  assert.deepEqual(resolveFromRefs(refs, "^3"), { kind: "unresolved" });
});

test("an exact tag name wins over a constraint; a version is a pin, not a constraint", () => {
  const literal = resolveFromRefs(refs, "1.2.*");
  assert.deepEqual(literal, { kind: "commit", sha: sha("c"), ref: "refs/tags/1.2.*" }, "a tag literally named like the constraint");
  const r = resolveFromRefs(refs, "v9.9.9");
  assert.deepEqual(r, { kind: "commit", sha: sha("e"), ref: "refs/heads/v9.9.9" }, "a version string is resolved by name");
  const pinned = resolveFromRefs(refs, "1.3.0");
  assert.equal(pinned.kind === "commit" ? pinned.sha : "", sha("4"));
  assert.deepEqual(resolveFromRefs(refs, "1.4.0"), { kind: "unresolved" }, "a version with no such tag does not fall back to a range");
});

test("tagPrefix filters tags and is stripped before comparison", () => {
  const r = resolveFromRefs(refs, "^1", { tagPrefix: "app-" });
  assert.equal(r.kind === "commit" ? r.sha : "", sha("8"));
  const all = resolveFromRefs(refs, ">=1", { tagPrefix: "app-" });
  assert.equal(all.kind === "commit" ? all.sha : "", sha("9"));
  const prefixedConstraint = resolveFromRefs(refs, "app-~1.5", { tagPrefix: "app-" });
  assert.equal(prefixedConstraint.kind === "commit" ? prefixedConstraint.sha : "", sha("7"));
  const exact = resolveFromRefs(refs, "1.6.0", { tagPrefix: "app-" });
  assert.equal(exact.kind === "commit" ? exact.sha : "", sha("8"), "a version is looked up with the prefix too");
});

test("parseLooseVersion accepts Masterminds-style versions", () => {
  assert.equal(parseLooseVersion("v1.2.3")?.version, "1.2.3");
  assert.equal(parseLooseVersion("1.2")?.version, "1.2.0");
  assert.equal(parseLooseVersion("2")?.version, "2.0.0");
  assert.equal(parseLooseVersion("1.2.3-rc.1")?.version, "1.2.3-rc.1");
  assert.equal(parseLooseVersion("main"), null);
  assert.equal(parseLooseVersion("1.2.*"), null);
});
