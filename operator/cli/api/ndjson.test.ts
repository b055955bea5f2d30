import { test } from "node:test";
import assert from "node:assert/strict";
import { NdjsonReader, StreamError } from "./ndjson.js";

test("messages split across chunks come out whole; keep-alive blank lines are skipped", () => {
  const r = new NdjsonReader<{ n: number }>();
  assert.deepEqual(r.push('{"result":{"n":1}}\n{"resu'), [{ n: 1 }], "a whole line is delivered at once");
  assert.deepEqual(r.push('lt":{"n":2}}'), [], "half a line waits");
  assert.deepEqual(r.push("\n\n\n"), [{ n: 2 }], "the rest completes it; blank keep-alives give nothing");
  assert.deepEqual(r.push('{"result":{"n":3}}'), [], "a line without its newline waits");
  assert.deepEqual(r.end(), [{ n: 3 }], "the end of the stream delivers it");
});

test("an error frame ends the stream with the server's message and codes", () => {
  const r = new NdjsonReader();
  assert.throws(() => r.push('{"error":{"grpc_code":7,"http_code":403,"message":"permission denied: applications, get, default/x","http_status":"Forbidden"}}\n'),
    (e: unknown) => e instanceof StreamError && e.message === "permission denied: applications, get, default/x" && e.httpCode === 403 && e.grpcCode === 7, "the error object");
  assert.throws(() => new NdjsonReader().push("<html>\n"), (e: unknown) => e instanceof StreamError && e.message.includes("not JSON"), "a line that is not JSON");
  assert.throws(() => new NdjsonReader().push('{"other":1}\n'), (e: unknown) => e instanceof StreamError && e.message.includes("neither result nor error"), "a frame of another shape");
  assert.throws(() => new NdjsonReader().push('{"error":"boom"}\n'), (e: unknown) => e instanceof StreamError && e.message === "boom", "an error given as a bare string");
});
