import { test } from "node:test";
import assert from "node:assert/strict";
import { commitReference, parseCommitObject, tagNames } from "./commit-metadata.js";

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

test("commitReference: Argo's Argocd-reference-commit-* trailers of the last paragraph", () => {
  const sha = "0123456789abcdef0123456789abcdef01234567";
  const message = [
    "Hydrate manifests", "", "Rendered by the hydrator.", "",
    "Argocd-reference-commit-repourl: https://git.example/app.git",
    "Argocd-reference-commit-author: Dev One <dev@example.com>",
    "Argocd-reference-commit-date: 2026-12-01T10:00:00Z",
    "Argocd-reference-commit-subject: Bump the image",
    `Argocd-reference-commit-body: ${JSON.stringify("Line one\nLine two")}`,
    `Argocd-reference-commit-sha: ${sha}`,
    "Signed-off-by: Dev One <dev@example.com>",
  ].join("\n");
  assert.deepEqual(commitReference(message), {
    repoUrl: "https://git.example/app.git", author: "Dev One <dev@example.com>", date: "2026-12-01T10:00:00Z",
    subject: "Bump the image", body: "Line one\nLine two", sha,
  }, "every trailer, the body decoded from its JSON string");
});

test("commitReference: unparsable values are left out; no trailer block, no reference", () => {
  const bad = "Subject\n\nArgocd-reference-commit-author: nobody\nArgocd-reference-commit-date: yesterday\nArgocd-reference-commit-body: not json\nArgocd-reference-commit-sha: xyz\nArgocd-reference-commit-subject: kept";
  assert.deepEqual(commitReference(bad), { subject: "kept" }, "only the valid subject remains");
  assert.equal(commitReference("Subject only\nArgocd-reference-commit-subject: x"), undefined, "a trailer in the subject paragraph is not a trailer");
  assert.equal(commitReference("Subject\n\nArgocd-reference-commit-sha: nothex"), undefined, "nothing valid: no reference");
  assert.equal(commitReference("Subject\n\nArgocd-reference-commit-subject: early\n\nLater paragraph"), undefined, "trailers are only read from the last paragraph");
});
