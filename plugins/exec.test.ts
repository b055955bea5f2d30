import { test } from "node:test";
import assert from "node:assert/strict";
import { ExecError, baseToolEnv, runTool } from "./exec.js";

const env = baseToolEnv();

test("runs argv without a shell and returns stdout", async () => {
  // A shell would expand $HOME and the glob; argv passes them through verbatim.
  const r = await runTool("/bin/echo", ["$HOME", "*", "a;b"], { env });
  assert.equal(r.stdout, "$HOME * a;b\n");
});

test("the environment is exactly what is passed", async () => {
  const r = await runTool("/usr/bin/env", [], { env: { ONLY: "this" } });
  assert.equal(r.stdout.trim(), "ONLY=this");
});

test("a non-zero exit gives an ExecError with redacted stderr", async () => {
  const err = await runTool("/bin/sh", ["-c", "echo 'fetch https://user:s3cr3tpw@example.com/x failed' >&2; exit 3"], { env, label: "tool" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ExecError);
  assert.equal(err.reason, "exit");
  assert.equal(err.exitCode, 3);
  assert.match(err.message, /^tool failed \(exit code 3\): fetch https:\/\/\[REDACTED\]@example.com\/x failed$/);
  assert.doesNotMatch(err.message, /s3cr3tpw/);
});

test("a timeout stops the whole process group", async () => {
  // The child shell starts a grandchild; both must die, or the pipe would stay open.
  await assert.rejects(
    runTool("/bin/sh", ["-c", "sleep 30 & sleep 30; wait"], { env, timeoutMs: 200, killGraceMs: 100 }),
    (e: unknown) => e instanceof ExecError && e.reason === "timeout" && /timed out/.test(e.message),
  );
});

test("SIGKILL follows when SIGTERM is ignored", async () => {
  await assert.rejects(
    runTool("/bin/sh", ["-c", "trap '' TERM; while :; do sleep 0.05; done"], { env, timeoutMs: 100, killGraceMs: 100 }),
    (e: unknown) => e instanceof ExecError && e.reason === "timeout",
  );
});

test("output beyond the cap is refused", async () => {
  await assert.rejects(
    runTool("/bin/sh", ["-c", "yes manifest | head -c 200000"], { env, maxStdoutBytes: 50_000 }),
    (e: unknown) => e instanceof ExecError && e.reason === "output-limit",
  );
});

test("an AbortSignal cancels the run", async () => {
  const ac = new AbortController();
  const p = runTool("/bin/sleep", ["30"], { env, signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(p, (e: unknown) => e instanceof ExecError && e.reason === "aborted");
  const already = new AbortController();
  already.abort();
  await assert.rejects(runTool("/bin/true", [], { env, signal: already.signal }), /cancelled/);
});

test("stdin input is passed and a missing binary is a clear error", async () => {
  assert.equal((await runTool("/bin/cat", [], { env, input: "hello" })).stdout, "hello");
  await assert.rejects(runTool("/nonexistent/tool", [], { env }), (e: unknown) => e instanceof ExecError && e.reason === "spawn");
});
