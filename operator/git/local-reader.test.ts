import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathspecMatch } from "../util/glob.js";
import { LocalRepoReader } from "./local-reader.js";

test("pathspecMatch: git ls-files pathspec semantics (Argo's default for git files)", () => {
  const cases: [string, string, boolean][] = [
    ["cluster-config/*/config.json", "cluster-config/eu/config.json", true],
    ["cluster-config/*/config.json", "cluster-config/eu/prod/config.json", true],
    ["cluster-config/**/config.json", "cluster-config/eu/prod/config.json", true],
    ["*.json", "a/b/c.json", true],
    ["apps", "apps/x/y.yaml", true],
    ["apps", "apps2/x.yaml", false],
    ["apps/config.json", "apps/config.json", true],
    ["a?c.json", "a/c.json", true],
    ["[ab].json", "b.json", true],
    ["[!ab].json", "b.json", false],
  ];
  for (const [pattern, path, want] of cases) assert.equal(pathspecMatch(pattern, path), want, `${pattern} ~ ${path}`);
});

test("LocalRepoReader: revisions, directories, files; symlinks and unmapped repos refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hawser-local-reader-"));
  try {
    mkdirSync(join(dir, "apps", "a"), { recursive: true });
    writeFileSync(join(dir, "apps", "a", "config.json"), '{"x": 1}');
    writeFileSync(join(dir, "secret.txt"), "outside");
    symlinkSync("/etc/hostname", join(dir, "apps", "a", "link.json"));
    const git = (...a: string[]): string => execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@e", ...a], { encoding: "utf8" }).trim();
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "one");
    git("tag", "v1");
    const head = git("rev-parse", "HEAD");
    const reader = new LocalRepoReader([["https://git.example/Repo.git/", dir]]);
    const url = "https://git.example/repo";
    assert.equal(await reader.resolveRevision(url, "main"), head);
    assert.equal(await reader.resolveRevision(url, "v1"), head);
    assert.equal(await reader.resolveRevision(url, undefined), head);
    await assert.rejects(reader.resolveRevision(url, "nope"), /cannot resolve revision "nope"/);
    await assert.rejects(reader.resolveRevision(url, "--upload-pack=x"), /invalid revision/);
    assert.deepEqual((await reader.listDirectories(url, head)).sort(), ["apps", "apps/a"]);
    assert.deepEqual(await reader.listFiles(url, head, "apps/*.json"), ["apps/a/config.json"]);
    assert.equal((await reader.readFile(url, head, "apps/a/config.json")).toString(), '{"x": 1}');
    await assert.rejects(reader.readFile(url, head, "apps/a/link.json"), /no file apps\/a\/link.json/);
    await assert.rejects(reader.readFile(url, head, "apps/a/config.json", { maxBytes: 3 }), /file "apps\/a\/config.json" is 8 bytes, larger than the 3-byte limit/);
    await assert.rejects(reader.readFile(url, head, "../etc/passwd"), /no file/);
    await assert.rejects(reader.resolveRevision("https://other.example/x", "main"), /not mapped to a local path/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
