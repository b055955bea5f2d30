import { test } from "node:test";
import assert from "node:assert/strict";
import { isSSHURL, normalizeGitURL, repoCacheKey, splitUserinfo } from "./url.js";

test("normalizeGitURL follows Argo CD's NormalizeGitURL", () => {
  const table: [string, string][] = [
    ["https://github.com/argoproj/argo-cd.git", "https://github.com/argoproj/argo-cd"],
    ["https://GitHub.com/ArgoProj/Argo-CD/", "https://github.com/argoproj/argo-cd"],
    ["  https://github.com/argoproj/argo-cd  ", "https://github.com/argoproj/argo-cd"],
    ["git@github.com:argoproj/argo-cd.git", "git@github.com/argoproj/argo-cd"],
    ["ssh://git@github.com/argoproj/argo-cd.git", "git@github.com/argoproj/argo-cd"],
    ["ssh://git@github.com:2222/argoproj/argo-cd", "git@github.com:2222/argoproj/argo-cd"],
    ["http://127.0.0.1:8080/repo.git", "http://127.0.0.1:8080/repo"],
  ];
  for (const [input, want] of table) assert.equal(normalizeGitURL(input), want, input);
});

test("scp-style and ssh:// URLs for the same repo share a cache key; https is different", () => {
  assert.equal(repoCacheKey("git@github.com:org/repo.git"), repoCacheKey("ssh://git@github.com/org/repo"));
  assert.equal(repoCacheKey("https://github.com/org/repo"), repoCacheKey("https://github.com/Org/Repo.git"));
  assert.notEqual(repoCacheKey("https://github.com/org/repo"), repoCacheKey("git@github.com:org/repo"));
  assert.match(repoCacheKey("https://x/y"), /^[0-9a-f]{64}$/);
});

test("isSSHURL", () => {
  assert.equal(isSSHURL("git@github.com:org/repo"), true);
  assert.equal(isSSHURL("deploy@host.example:repo.git"), true);
  assert.equal(isSSHURL("ssh://host/repo"), true);
  assert.equal(isSSHURL("https://host/repo"), false);
  assert.equal(isSSHURL("https://user@host/repo"), false);
});

test("splitUserinfo takes credentials out of http(s) URLs only", () => {
  assert.deepEqual(splitUserinfo("https://alice:s%40cret@host/org/repo.git"), { url: "https://host/org/repo.git", username: "alice", password: "s@cret" });
  assert.deepEqual(splitUserinfo("https://host/org/repo.git"), { url: "https://host/org/repo.git" });
  assert.deepEqual(splitUserinfo("git@host:org/repo.git"), { url: "git@host:org/repo.git" });
  assert.deepEqual(splitUserinfo("http://tok@host:81/r"), { url: "http://host:81/r", username: "tok" });
});
