import { test } from "node:test";
import assert from "node:assert/strict";
import { isSSHURL, normalizeGitURL, repoCacheKey, resolveSubmoduleURL, splitUserinfo } from "./url.js";

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

test("resolveSubmoduleURL: absolute network URLs as written, ./ and ../ relative to the parent as git computes them", () => {
  const table: [string, string, string][] = [
    ["https://git.example.com/org/parent.git", "https://other.example.com/lib.git", "https://other.example.com/lib.git"],
    ["https://git.example.com/org/parent.git", "git@github.com:org/lib.git", "git@github.com:org/lib.git"],
    ["https://git.example.com/org/parent.git", "../lib.git", "https://git.example.com/org/lib.git"],
    ["https://git.example.com/org/parent.git/", "../../team/lib.git", "https://git.example.com/team/lib.git"],
    ["https://git.example.com/org/parent.git", "./nested", "https://git.example.com/org/parent.git/nested"],
    ["http://127.0.0.1:8080/parent.git", "../sub.git", "http://127.0.0.1:8080/sub.git"],
    ["git@github.com:org/parent.git", "../lib.git", "git@github.com:org/lib.git"],
    ["git@github.com:parent.git", "../lib.git", "git@github.com:lib.git"],
    ["ssh://git@host:2222/org/parent.git", "../lib.git", "ssh://git@host:2222/org/lib.git"],
  ];
  for (const [parent, url, want] of table) assert.equal(resolveSubmoduleURL(parent, url), want, `${parent} + ${url}`);
});

test("resolveSubmoduleURL refuses local paths, file:// and other schemes, and climbing above the host", () => {
  const bad: [string, string, RegExp][] = [
    ["https://git.example.com/parent.git", "file:///etc", /not allowed/],
    ["https://git.example.com/parent.git", "/srv/git/lib.git", /not allowed/],
    ["https://git.example.com/parent.git", "ext::sh -c touch% /tmp/x", /not allowed/],
    ["https://git.example.com/parent.git", "lib.git", /not allowed/],
    ["https://git.example.com/parent.git", "../../lib.git", /climbs above the host/],
    ["/srv/git/parent.git", "../lib.git", /parent repository URL is not a network URL/],
    ["https://git.example.com/org/parent.git", "../", /does not name a repository/],
  ];
  for (const [parent, url, want] of bad) assert.throws(() => resolveSubmoduleURL(parent, url), want, `${parent} + ${url}`);
});
