import assert from "node:assert/strict";
import { test } from "node:test";
import { reportErrors } from "./cli.js";
import { registerSecret } from "./runtime/redact.js";

async function capture(fn: () => Promise<number>): Promise<{ code: number; err: string }> {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((c: string | Uint8Array) => { chunks.push(String(c)); return true; });
  try {
    return { code: await fn(), err: chunks.join("") };
  } finally {
    process.stderr.write = write;
  }
}

test("reportErrors passes a body's exit code through and prints nothing", async () => {
  assert.deepEqual(await capture(() => reportErrors("x", () => 3)), { code: 3, err: "" }, "the body's own code");
});

test("reportErrors turns a throw into one redacted line and exit status 2", async () => {
  registerSecret("s3cret-value-42");
  const r = await capture(() => reportErrors("repo add", () => { throw new Error("dial https://bob:pw@git.example/x failed with s3cret-value-42"); }));
  assert.equal(r.code, 2, "exit status 2");
  assert.equal(r.err, "hawser repo add: dial https://[REDACTED]@git.example/x failed with [REDACTED]\n", "prefixed, userinfo and the known secret scrubbed");
});

test("reportErrors takes the message and the exit code from its options", async () => {
  class Late extends Error {}
  const r = await capture(() => reportErrors("app wait", () => Promise.reject(new Late("too slow")), { message: (e) => `${(e as Error).message} (hint)`, exitCode: (e) => (e instanceof Late ? 1 : 2) }));
  assert.deepEqual(r, { code: 1, err: "hawser app wait: too slow (hint)\n" }, "custom message and exit code");
});
