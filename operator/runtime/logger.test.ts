import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryLogger } from "./logger.js";
import { redact, redactUrl, registerSecret } from "./redact.js";

test("credentials never reach a log line", () => {
  const { logger, lines } = memoryLogger();
  registerSecret("s3cr3t-password-value");
  const log = logger.child({ app: "guestbook" });
  log.info("fetching https://alice:hunter22@git.example.com/org/repo.git", {
    password: "hunter22",
    repo: { url: "https://bob:tok123456@git.example.com/x.git", sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----" },
    header: "Authorization: Bearer abcdef.123456",
    error: new Error("auth failed using s3cr3t-password-value"),
  });
  assert.equal(lines.length, 1);
  const text = JSON.stringify(lines[0]);
  for (const secret of ["hunter22", "tok123456", "abcdef.123456", "s3cr3t-password-value", "OPENSSH PRIVATE KEY-----\\nabc"]) {
    assert.ok(!text.includes(secret), `log line leaks ${secret}: ${text}`);
  }
  assert.equal(lines[0]!.app, "guestbook");
  assert.equal(lines[0]!.level, "info");
  assert.match(String(lines[0]!.msg), /https:\/\/\[REDACTED\]@git\.example\.com\/org\/repo\.git/);
});

test("levels below the threshold are dropped", () => {
  const { logger, lines } = memoryLogger("warn");
  logger.info("quiet");
  logger.warn("loud");
  assert.deepEqual(lines.map((l) => l.msg), ["loud"]);
});

test("redact leaves ordinary text alone and strips URL userinfo", () => {
  assert.equal(redact("synced app guestbook to revision abc123"), "synced app guestbook to revision abc123");
  assert.equal(redactUrl("https://user:pw@host/repo.git"), "https://host/repo.git");
  assert.equal(redactUrl("ssh://git@host:22/repo.git"), "ssh://host:22/repo.git");
});

test("setLevel reaches children made before the change", () => {
  const { logger, lines } = memoryLogger("info");
  const child = logger.child({ component: "c" });
  child.debug("hidden");
  logger.setLevel("debug");
  child.debug("shown");
  assert.deepEqual(lines.map((l) => l.msg), ["shown"], "the child follows its root's new level");
});
