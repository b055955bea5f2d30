// gzip (server.enable.gzip): which requests get it, that the decoded body equals the plain one
// for a JSON answer and a list sent in pieces, that event streams are left alone, and that a
// compressed NDJSON watch stream delivers each event while the stream is still open (the
// compressor is flushed, not left holding it). fastify injection, and one loopback server for the
// stream, which injection cannot read while it is open.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync, createGunzip } from "node:zlib";
import { memoryLogger } from "../../runtime/logger.js";
import type { Authenticator, Enforcer } from "../types.js";
import { createApi, JsonPieces } from "./api.js";
import { acceptsGzip } from "./compress.js";
import { listJsonChunks } from "./fields.js";
import { openStream } from "./stream.js";

const authenticator: Authenticator = { authenticate: async () => ({ claims: { iss: "argocd", sub: "admin" } }) };
const enforcer: Enforcer = { enforce: () => true };

function api(enableGzip: boolean) {
  const { app, router } = createApi({ insecure: true, rootPath: "", apiContentTypes: ["application/json"], bodyLimit: 1024, authenticator, enforcer, log: memoryLogger().logger, enableGzip });
  router.get("/api/v1/one", async () => ({ text: "z".repeat(2000) }));
  router.get("/api/v1/pieces", () => new JsonPieces(listJsonChunks({ resourceVersion: "9" }, Array.from({ length: 300 }, (_, i) => ({ metadata: { name: `app-${i}` } })))));
  let release: () => void = () => undefined;
  const second = new Promise<void>((resolve) => { release = resolve; });
  router.get("/api/v1/stream", ({ raw, reply }) => {
    reply.hijack();
    const stream = openStream(reply.raw, raw.headers.accept);
    stream.send({ type: "ADDED", n: 1 });
    // The second event and the end wait for the client to have read the first.
    void second.then(() => { stream.send({ type: "MODIFIED", n: 2 }); stream.end(); });
    return undefined;
  });
  return { app, release: () => release() };
}

test("Accept-Encoding: gzip, x-gzip and * accept it; q=0 refuses it", () => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false], ["", false], ["gzip", true], ["br, gzip;q=0.5", true], ["GZIP", true], ["x-gzip", true],
    ["gzip;q=0", false], ["*", true], ["*;q=0", false], ["br", false], ["identity", false], ["gzip;q=0, *", false],
  ];
  for (const [header, want] of cases) assert.equal(acceptsGzip(header), want, `Accept-Encoding ${JSON.stringify(header)}`);
});

test("with gzip on, a JSON answer and a list in pieces decode to the plain body; without Accept-Encoding nothing changes", async () => {
  const { app } = api(true);
  for (const url of ["/api/v1/one", "/api/v1/pieces"]) {
    const plain = await app.inject({ method: "GET", url });
    assert.equal(plain.headers["content-encoding"], undefined, `${url}: no gzip for a client that did not ask`);
    assert.match(String(plain.headers.vary), /Accept-Encoding/, `${url}: Vary names Accept-Encoding`);
    const zipped = await app.inject({ method: "GET", url, headers: { "accept-encoding": "gzip" } });
    assert.equal(zipped.statusCode, 200, url);
    assert.equal(zipped.headers["content-encoding"], "gzip", `${url}: compressed`);
    const decoded = gunzipSync(zipped.rawPayload).toString("utf8");
    assert.equal(decoded, plain.body, `${url}: the decoded body is the plain one`);
    assert.ok(zipped.rawPayload.length < plain.rawPayload.length, `${url}: smaller (${zipped.rawPayload.length} < ${plain.rawPayload.length})`);
  }
  const err = await app.inject({ method: "GET", url: "/api/v1/missing", headers: { "accept-encoding": "gzip" } });
  assert.equal(gunzipSync(err.rawPayload).toString(), "Not Found", "errors are compressed too and decode");
});

test("with gzip off, nothing is compressed", async () => {
  const res = await api(false).app.inject({ method: "GET", url: "/api/v1/one", headers: { "accept-encoding": "gzip" } });
  assert.equal(res.headers["content-encoding"], undefined, "no Content-Encoding");
  assert.equal(res.json<{ text: string }>().text.length, 2000, "the plain body");
});

async function get(port: number, path: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path, headers }, resolve).on("error", reject);
  });
}

test("a compressed NDJSON stream hands over each event while open; SSE is never compressed", async (t) => {
  const { app, release } = api(true);
  await app.listen({ host: "127.0.0.1", port: 0 });
  t.after(() => app.close());
  const port = (app.server.address() as AddressInfo).port;

  const res = await get(port, "/api/v1/stream", { "accept-encoding": "gzip" });
  assert.equal(res.headers["content-encoding"], "gzip", "the NDJSON stream is gzipped");
  const lines: string[] = [];
  let buffered = "";
  const gunzip = res.pipe(createGunzip());
  const firstLine = new Promise<void>((resolve) => {
    gunzip.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        resolve();
      }
    });
  });
  const ended = new Promise<void>((resolve) => gunzip.on("end", resolve));
  // The server sends the second event only after this: the first must have arrived on its own.
  await firstLine;
  assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [{ result: { type: "ADDED", n: 1 } }], "the first event, decoded, before the stream went on");
  release();
  await ended;
  assert.deepEqual(lines.filter(Boolean).map((l) => JSON.parse(l) as unknown), [{ result: { type: "ADDED", n: 1 } }, { result: { type: "MODIFIED", n: 2 } }], "both events, in order");

  const { app: sseApp, release: sseRelease } = api(true);
  await sseApp.listen({ host: "127.0.0.1", port: 0 });
  t.after(() => sseApp.close());
  const sse = await get((sseApp.server.address() as AddressInfo).port, "/api/v1/stream", { "accept-encoding": "gzip", accept: "text/event-stream" });
  assert.equal(sse.headers["content-encoding"], undefined, "server-sent events are never compressed");
  const first = await new Promise<string>((resolve) => sse.once("data", (c: Buffer) => resolve(c.toString("utf8"))));
  assert.match(first, /^data: \{"result":\{"type":"ADDED","n":1\}\}/, "plain SSE framing");
  sseRelease();
  await new Promise<void>((resolve) => { sse.on("end", resolve); sse.resume(); });
});
