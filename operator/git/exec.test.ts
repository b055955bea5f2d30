import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerSecret } from "../runtime/redact.js";
import { cliAuthEnv } from "./cli-auth.js";
import type { RepoCredentials } from "./credentials.js";
import { describeFailure, runGit } from "./exec.js";
import { GitError } from "./types.js";

test("failure messages are redacted and name the repository without userinfo", () => {
  registerSecret("hunter2-very-secret");
  const msg = describeFailure(
    "fetch",
    "https://bob:hunter2-very-secret@git.example.com/org/repo.git",
    "remote: Invalid username or password.\nfatal: Authentication failed for 'https://bob:hunter2-very-secret@git.example.com/org/repo.git/'\n",
    128,
    null,
  );
  assert.doesNotMatch(msg, /hunter2/);
  assert.doesNotMatch(msg, /bob:/);
  assert.match(msg, /git fetch failed for repository https:\/\/git\.example\.com\/org\/repo\.git: authentication failed/);
});

test("runGit rejects with a GitError for a failing command, with timeout and output cap", async () => {
  await assert.rejects(runGit(["rev-parse", "--verify", "nope-not-a-ref"], { repoURL: "https://u:p4ssw0rd-x@h/r", cwd: tmpdir() }), (err: unknown) => {
    assert.ok(err instanceof GitError);
    assert.equal(err.repoURL, "https://h/r");
    assert.doesNotMatch(err.message, /p4ssw0rd/);
    return true;
  });
  await assert.rejects(runGit(["version"], { repoURL: "r", maxOutputBytes: 3 }), /more than 3 bytes/);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(runGit(["version"], { repoURL: "r", signal: ac.signal }), /cancelled/);
  const ok = await runGit(["version"], { repoURL: "r" });
  assert.match(ok.stdout.toString(), /^git version/);
});

test("cliAuthEnv keeps secrets out of argv: askpass for passwords, files for keys, config via env", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-auth-"));
  try {
    const base: RepoCredentials = { url: "x", source: { kind: "repository", secret: "a/b" }, insecure: false, insecureIgnoreHostKey: false, forceHttpBasicAuth: false, enableLfs: false };
    const https = await cliAuthEnv("https://h/r", { ...base, username: "u", password: "pw-123456", insecure: true }, {}, { stateDir: dir, acceptNewKnownHosts: join(dir, "kh") });
    assert.equal(https.env.HAWSER_GIT_PASSWORD, "pw-123456");
    assert.ok(https.env.GIT_ASKPASS);
    assert.equal((await stat(https.env.GIT_ASKPASS)).mode & 0o777, 0o700);
    const cfg = new Map<string | undefined, string | undefined>();
    for (let i = 0; i < Number(https.env.GIT_CONFIG_COUNT); i++) cfg.set(https.env[`GIT_CONFIG_KEY_${i}`], https.env[`GIT_CONFIG_VALUE_${i}`]);
    assert.equal(cfg.get("http.sslVerify"), "false");
    assert.equal(cfg.get("credential.helper"), "");

    const bearer = await cliAuthEnv("https://h/r", { ...base, bearerToken: "tok-abcdef" }, {}, { stateDir: dir, acceptNewKnownHosts: join(dir, "kh") });
    assert.equal(bearer.env.GIT_CONFIG_VALUE_1, "Authorization: Bearer tok-abcdef");
    assert.equal(bearer.env.GIT_ASKPASS, undefined);

    const ssh = await cliAuthEnv("git@h:org/r.git", { ...base, sshPrivateKey: "KEYDATA" }, {}, { stateDir: dir, acceptNewKnownHosts: join(dir, "kh") });
    const keyPath = /-i '([^']+)'/.exec(ssh.env.GIT_SSH_COMMAND ?? "")?.[1];
    assert.ok(keyPath);
    assert.equal((await stat(keyPath)).mode & 0o777, 0o600);
    assert.equal(await readFile(keyPath, "utf8"), "KEYDATA\n");
    assert.match(ssh.env.GIT_SSH_COMMAND ?? "", /StrictHostKeyChecking=accept-new/);
    assert.doesNotMatch(ssh.env.GIT_SSH_COMMAND ?? "", /KEYDATA/);
    await ssh.cleanup();
    await assert.rejects(stat(keyPath), "temp key removed by cleanup");

    const insecureSsh = await cliAuthEnv("ssh://git@h/r", { ...base, insecure: true }, {}, { stateDir: dir, acceptNewKnownHosts: join(dir, "kh") });
    assert.match(insecureSsh.env.GIT_SSH_COMMAND ?? "", /StrictHostKeyChecking=no/);
    const strict = await cliAuthEnv("ssh://git@h/r", undefined, {}, { stateDir: dir, knownHostsFile: join(dir, "known"), acceptNewKnownHosts: join(dir, "kh") });
    assert.match(strict.env.GIT_SSH_COMMAND ?? "", /StrictHostKeyChecking=yes/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("describeFailure: a missing Git LFS object is said to be missing on the server, not a missing repository", () => {
  const msg = describeFailure("lfs", "https://git.example.com/r.git", "[0000000000000000000000000000000000000000000000000000000000000000] object not found: [404] object not found\nerror: failed to fetch some objects from 'https://git.example.com/r.git/info/lfs'\n", 2, null);
  assert.match(msg, /^git lfs failed for repository https:\/\/git\.example\.com\/r\.git: Git LFS objects missing on the server: \[0{64}\] object not found/);
  assert.doesNotMatch(msg, /repository not found/);
});

test("describeFailure: only a missing repository is called one (a missing ref, object or program is not)", () => {
  const url = "https://git.example.com/r.git";
  for (const stderr of ["remote: Repository not found.\nfatal: repository 'https://git.example.com/r.git/' not found\n", "fatal: 'r' does not appear to be a git repository\n", "fatal: unable to access 'https://git.example.com/r.git/': The requested URL returned error: 404\n"]) {
    assert.match(describeFailure("fetch", url, stderr, 128, null), /: repository not found: /, stderr);
  }
  for (const stderr of ["fatal: couldn't find remote ref refs/heads/nope\nfatal: ref not found\n", "error: git-upload-pack: command not found\n", "fatal: path 'x' does not exist in 'HEAD' (not found)\n"]) {
    assert.doesNotMatch(describeFailure("fetch", url, stderr, 128, null), /repository not found/, stderr);
  }
});
