import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger, memoryLogger, parseLogFormat } from "./logger.js";
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

test("text format: logrus-style key=value lines, quoted when needed, redacted like JSON", () => {
  const out: string[] = [];
  const log = createLogger({ format: "text", sink: { write: (l) => out.push(l) }, fields: { component: "hawser-server" } }).child({ app: "guest book" });
  log.warn("API server listening", { url: "https://127.0.0.1:8080", count: 3, nested: { a: 1 }, password: "hunter22" });
  assert.equal(out.length, 1, "one line");
  const line = out[0]!;
  assert.match(line, /^time=\d{4}-\d\d-\d\dT[\d:.]+Z level=warn msg="API server listening" /, "time, level and msg first, msg quoted for its spaces");
  assert.match(line, / component=hawser-server app="guest book" /, "fixed fields, quoted only when they hold a space");
  assert.match(line, / url=https:\/\/127\.0\.0\.1:8080 count=3 nested="\{\\"a\\":1\}" password="\[REDACTED\]"\n$/, "plain values bare, objects as quoted JSON, secrets redacted");
  assert.ok(!line.includes("hunter22"), "no secret");
  assert.equal(parseLogFormat(undefined), "json", "json by default");
  assert.throws(() => parseLogFormat("xml"), /unknown log format "xml" \(json, text\)/);
});
