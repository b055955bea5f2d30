import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCommitObject, tagNames } from "./commit-metadata.js";

const signed = [
  "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
  "parent 1111111111111111111111111111111111111111",
  "author Ada Lovelace <ada@example.com> 1765054800 +0100",
  "committer Bot <bot@example.com> 1765058400 +0000",
  "gpgsig -----BEGIN PGP SIGNATURE-----",
  " ",
  " author Not Me <evil@example.com> 1 +0000",
  " -----END PGP SIGNATURE-----",
  "",
  "Add the web Deployment",
  "",
  "It serves the demo page.",
  "",
].join("\n");

test("parseCommitObject: author, author date in UTC, whole message trimmed; a signature's body is not a header", () => {
  assert.deepEqual(parseCommitObject(signed), {
    author: "Ada Lovelace <ada@example.com>",
    date: "2025-12-06T21:00:00Z",
    message: "Add the web Deployment\n\nIt serves the demo page.",
  });
});

test("parseCommitObject: a commit with an empty message; an object without an author is refused", () => {
  assert.equal(parseCommitObject("tree abc\nauthor A <a@b> 0 +0000\ncommitter A <a@b> 0 +0000\n\n").message, "");
  assert.equal(parseCommitObject("tree abc\nauthor A <a@b> 0 +0000\ncommitter A <a@b> 0 +0000\n\n").date, "1970-01-01T00:00:00Z");
  assert.throws(() => parseCommitObject("tree abc\n\nmessage"), /no author line/);
});

test("tagNames: only tags, short names, sorted", () => {
  assert.deepEqual(tagNames(["refs/heads/main", "refs/tags/v2", "refs/tags/release/v1"]), ["release/v1", "v2"]);
});
