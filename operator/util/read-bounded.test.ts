import { test } from "node:test";
import assert from "node:assert/strict";
import { get, type IncomingMessage } from "node:http";
import { PassThrough, Readable } from "node:stream";
import { serveLoopback } from "../../test/support/loopback-server.js";
import { readBounded, type BodyStream } from "./read-bounded.js";

class TooLarge extends Error {}
const tooLarge = (): Error => new TooLarge("too large");

/** A stream of `chunks`, with a Content-Length header when `declared` is given. */
function body(chunks: string[], declared?: number): BodyStream {
  const s: BodyStream = Readable.from(chunks.map((c) => Buffer.from(c)), { objectMode: false });
  if (declared !== undefined) s.headers = { "content-length": String(declared) };
  return s;
}

test("readBounded: a body under the bound and one exactly at it are read whole", async () => {
  assert.equal((await readBounded(body(["ab", "cd"]), 10, tooLarge)).toString(), "abcd");
  assert.equal((await readBounded(body(["abc", "de"], 5), 5, tooLarge)).toString(), "abcde");
  assert.equal((await readBounded(body([]), 0, tooLarge)).length, 0);
});

test("readBounded: a body that streams past the bound is cut off with onTooLarge's error and the stream destroyed", async () => {
  const s = body(["abc", "de", "f", "never read"]);
  await assert.rejects(readBounded(s, 5, tooLarge), TooLarge);
  assert.ok(s.destroyed, "the stream is destroyed");
});

test("readBounded: a declared Content-Length over the bound is refused before a byte is read", async () => {
  let reads = 0;
  const s: BodyStream = new Readable({ read() { reads++; this.push(null); } });
  s.headers = { "content-length": "6" };
  await assert.rejects(readBounded(s, 5, tooLarge), TooLarge);
  assert.equal(reads, 0, "nothing was read");
  assert.ok(s.destroyed);
});

test("readBounded: a body that lies with a small Content-Length is still cut off at the bound", async () => {
  await assert.rejects(readBounded(body(["abcdef"], 2), 5, tooLarge), TooLarge);
});

test("readBounded: a stream that errors rejects with its error", async () => {
  const s = new PassThrough();
  const p = readBounded(s, 100, tooLarge);
  s.write("partial");
  s.destroy(new Error("connection reset"));
  await assert.rejects(p, /connection reset/);
});

test("readBounded: a real HTTP answer that never ends is cut off at the bound", async (t) => {
  // The server writes without end; only the bound stops the client.
  const { url } = await serveLoopback(t, (_req, res) => {
    res.writeHead(200);
    const chunk = Buffer.alloc(16 * 1024, 120);
    const pump = (): void => { while (res.write(chunk)); res.once("drain", pump); };
    pump();
  });
  const res = await new Promise<IncomingMessage>((resolve, reject) => get(`${url}/`, { agent: false }, resolve).on("error", reject));
  await assert.rejects(readBounded(res, 1024 * 1024, tooLarge), TooLarge);
});
