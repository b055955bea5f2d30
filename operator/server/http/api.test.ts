// The HTTP rules every API request goes through, over fastify's in-process injection: the
// content-type guard, errors in Argo's shape with the gRPC code's HTTP status, authentication and
// RBAC refusals, unknown body fields, fields pruning and the stream framings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryLogger } from "../../runtime/logger.js";
import type { Authenticator, Claims, Enforcer } from "../types.js";
import { createApi, JsonPieces } from "./api.js";
import { checkBody } from "./body.js";
import { ApiError, Code, unauthenticated } from "./errors.js";
import { listJsonChunks, parseFields, pruneFields } from "./fields.js";
import { openStream, SharedMessage } from "./stream.js";

const alice: Claims = { iss: "argocd", sub: "alice", iat: 1_700_000_000 };
const authenticator: Authenticator = {
  async authenticate(req, opts) {
    const h = req.headers.authorization;
    if (h === "Bearer alice.token.x") return { claims: alice };
    if (opts?.optional) return { claims: undefined };
    throw unauthenticated();
  },
};
// alice may get apps of project a only.
const enforcer: Enforcer = { enforce: (claims, res, act, obj) => claims?.sub === "alice" && res === "applications" && act === "get" && obj.startsWith("a/") };

function api(rootPath = "") {
  const { app, router } = createApi({ insecure: true, rootPath, apiContentTypes: ["application/json"], bodyLimit: 1024, authenticator, enforcer, log: memoryLogger().logger });
  router.get("/api/v1/things/:name", async ({ params, caller }) => {
    caller.require("applications", "get", `a/${params.name}`);
    return { name: params.name, user: caller.username };
  });
  router.post("/api/v1/things", async ({ body }) => checkBody(body, { name: "scalar", nested: { ok: "scalar" } }, "thing"));
  router.get("/api/v1/denied", async ({ caller }) => { caller.require("applications", "sync", "a/x"); return {}; });
  router.get("/api/v1/open", async ({ caller }) => ({ anonymous: caller.claims === undefined }), { optionalAuth: true });
  router.get("/api/v1/boom", async () => { throw new ApiError(Code.FailedPrecondition, "not now"); });
  router.get("/api/v1/pieces", () => new JsonPieces(listJsonChunks({ resourceVersion: "5" }, Array.from({ length: 500 }, (_, i) => ({ metadata: { name: `app-${i}` }, spec: { text: "y".repeat(300) } })))));
  return app;
}

const auth = { authorization: "Bearer alice.token.x" };

test("api: a JSON answer for an authorised caller; 401 in Argo's shape without a token; optional auth", async () => {
  const app = api();
  const ok = await app.inject({ method: "GET", url: "/api/v1/things/web", headers: auth });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.deepEqual(ok.json(), { name: "web", user: "alice" });
  const anon = await app.inject({ method: "GET", url: "/api/v1/things/web" });
  assert.equal(anon.statusCode, 401, anon.body);
  assert.deepEqual(anon.json(), { error: "no session information", code: 16, message: "no session information" });
  const open = await app.inject({ method: "GET", url: "/api/v1/open" });
  assert.deepEqual(open.json(), { anonymous: true }, open.body);
});

test("api: a response in pieces arrives as one JSON document, typed application/json", async () => {
  const res = await api().inject({ method: "GET", url: "/api/v1/pieces", headers: auth });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers["content-type"]), /^application\/json/);
  const body = res.json<{ metadata: { resourceVersion: string }; items: Array<{ metadata: { name: string } }> }>();
  assert.equal(body.metadata.resourceVersion, "5");
  assert.deepEqual(body.items.map((i) => i.metadata.name), Array.from({ length: 500 }, (_, i) => `app-${i}`), "every item, in order, across the pieces");
});

test("api: RBAC denial is 403 with Argo's message naming resource, action, object, subject and iat", async () => {
  const res = await api().inject({ method: "GET", url: "/api/v1/denied", headers: auth });
  assert.equal(res.statusCode, 403, res.body);
  assert.equal(res.json<{ message: string }>().message, "permission denied: applications, sync, a/x, sub: alice, iat: 2023-11-14T22:13:20Z");
  assert.equal(res.json<{ code: number }>().code, 7);
});

test("api: gRPC codes map to Argo's HTTP statuses (FailedPrecondition is 400, not 412)", async () => {
  const res = await api().inject({ method: "GET", url: "/api/v1/boom", headers: auth });
  assert.equal(res.statusCode, 400, res.body);
  assert.deepEqual(res.json(), { error: "not now", code: 9, message: "not now" });
});

test("api: non-GET API requests need an allowed Content-Type (415 'Invalid content type'), as Argo's CSRF guard", async () => {
  const app = api();
  const form = await app.inject({ method: "POST", url: "/api/v1/things", headers: { ...auth, "content-type": "application/x-www-form-urlencoded" }, payload: "name=x" });
  assert.equal(form.statusCode, 415, form.body);
  assert.equal(form.body, "Invalid content type");
  const none = await app.inject({ method: "POST", url: "/api/v1/things", headers: auth });
  assert.equal(none.statusCode, 415, "a missing Content-Type is refused too");
  const json = await app.inject({ method: "POST", url: "/api/v1/things", headers: { ...auth, "content-type": "application/json; charset=utf-8" }, payload: { name: "x" } });
  assert.equal(json.statusCode, 200, json.body);
});

test("api: unknown and mistyped body fields are refused with their path; bodies over the limit are refused", async () => {
  const app = api();
  const post = (payload: unknown) => app.inject({ method: "POST", url: "/api/v1/things", headers: { ...auth, "content-type": "application/json" }, payload: JSON.stringify(payload) });
  const unknown = await post({ name: "x", nested: { ok: true, typo: 1 } });
  assert.equal(unknown.statusCode, 400, unknown.body);
  assert.match(unknown.json<{ message: string }>().message, /unknown field "nested\.typo"/);
  const wrong = await post({ name: { not: "scalar" } });
  assert.match(wrong.json<{ message: string }>().message, /field "name" must be a string, number or boolean/);
  const big = await post({ name: "x".repeat(2000) });
  assert.equal(big.statusCode, 413, big.body);
  const bad = await app.inject({ method: "POST", url: "/api/v1/things", headers: { ...auth, "content-type": "application/json" }, payload: "{nope" });
  assert.equal(bad.statusCode, 400, bad.body);
  assert.match(bad.json<{ message: string }>().message, /not valid JSON/);
});

test("api: unknown paths are plain-text 404; --rootpath prefixes every route", async () => {
  const app = api("/argo-cd");
  const miss = await app.inject({ method: "GET", url: "/api/v1/things/web", headers: auth });
  assert.equal(miss.statusCode, 404);
  assert.equal(miss.body, "Not Found");
  const hit = await app.inject({ method: "GET", url: "/argo-cd/api/v1/things/web", headers: auth });
  assert.equal(hit.statusCode, 200, hit.body);
});

test("fields: include paths through lists, always-kept paths, and exclusion", () => {
  const list = { metadata: { resourceVersion: "7" }, items: [{ metadata: { name: "a", labels: { x: "1" } }, spec: { project: "p" }, status: { big: true } }] };
  assert.deepEqual(pruneFields(list, parseFields("items.metadata.name,items.spec.project")!, [["metadata", "resourceVersion"]]),
    { metadata: { resourceVersion: "7" }, items: [{ metadata: { name: "a" }, spec: { project: "p" } }] });
  assert.deepEqual(pruneFields(list, parseFields("-items.status,items.metadata.labels")!),
    { metadata: { resourceVersion: "7" }, items: [{ metadata: { name: "a" }, spec: { project: "p" } }] });
  assert.equal(parseFields(""), undefined);
});

/** A ServerResponse stand-in that records what is written (the framing is pure string building). */
test("streams: the first message of a tick is written at once; the rest of the tick is corked and leaves in one write", async () => {
  const nd = recorder();
  const other = recorder();
  const s = openStream(nd.res, "application/json");
  const t = openStream(other.res, "application/json");
  s.sendJson('{"n":1}');
  t.sendJson('{"n":1}');
  assert.equal(nd.rec.corked, 0, "a lone message is not held back");
  assert.equal(nd.rec.chunks.length, 1, "the first message is written at once");
  s.sendJson('{"n":2}');
  s.sendJson('{"n":3}');
  assert.equal(nd.rec.corked, 1, "corked once for the rest of the tick");
  assert.equal(nd.rec.writtenCorked, 2, "the second and third written while corked");
  assert.equal(other.rec.corked, 0, "another stream with one message this tick is not corked");
  await new Promise((r) => process.nextTick(r));
  assert.equal(nd.rec.corked, 0, "uncorked when the tick ends");
  assert.equal(nd.rec.uncorks, 1);
  s.sendJson('{"n":4}');
  assert.equal(nd.rec.corked, 0, "the next tick's first message is written at once again");
  s.sendJson('{"n":5}');
  assert.equal(nd.rec.corked, 1, "and its second is corked again");
  await new Promise((r) => process.nextTick(r));
  assert.equal(nd.rec.corked, 0);
  assert.deepEqual(nd.rec.chunks, [1, 2, 3, 4, 5].map((n) => `{"result":{"n":${n}}}\n`), "order kept");
  s.end();
  t.end();
});

test("streams: a shared message is framed once per format, and every stream of that format writes the same bytes", () => {
  const message = new SharedMessage('{"type":"ADDED","application":{"metadata":{"name":"a"}}}');
  const [a, b, e] = [recorder(), recorder(), recorder()];
  const streams = [openStream(a.res, "application/json"), openStream(b.res, undefined), openStream(e.res, "text/event-stream")];
  for (const s of streams) s.sendShared(message);
  assert.equal(a.rec.chunks[0], b.rec.chunks[0], "the two NDJSON streams wrote the very same Buffer");
  assert.ok(Buffer.isBuffer(a.rec.chunks[0]), "bytes, not a string each stream encodes again");
  assert.equal(String(a.rec.chunks[0]), '{"result":{"type":"ADDED","application":{"metadata":{"name":"a"}}}}\n', "NDJSON framing as sendJson's");
  assert.equal(String(e.rec.chunks[0]), 'data: {"result":{"type":"ADDED","application":{"metadata":{"name":"a"}}}} \n\n\n', "SSE framing as sendJson's");
  for (const s of streams) s.end();
});

test("streams: open() sends the 200 headers at once; an error after that keeps the 200 and ends with the error object", () => {
  const nd = recorder();
  const s = openStream(nd.res, "text/event-stream");
  s.open();
  assert.equal(nd.rec.status, 200);
  assert.equal(nd.rec.headers["Content-Type"], "text/event-stream");
  assert.ok(nd.rec.flushed, "headers flushed before any event");
  s.fail(new ApiError(Code.PermissionDenied, "permission denied"));
  assert.equal(nd.rec.status, 200, "the status was already sent");
  assert.ok(nd.rec.ended, "the stream ended");
});

function recorder() {
  const rec = { status: 0, headers: {} as Record<string, unknown>, chunks: [] as Array<string | Buffer>, ended: false, listeners: [] as Array<() => void>, corked: 0, uncorks: 0, writtenCorked: 0, flushed: false };
  const res = {
    writeHead(status: number, headers: Record<string, unknown>) { rec.status = status; rec.headers = headers; return res; },
    write(chunk: string | Buffer) { rec.chunks.push(chunk); if (rec.corked > 0) rec.writtenCorked++; return true; },
    end() { rec.ended = true; },
    cork() { rec.corked++; },
    flushHeaders() { rec.flushed = true; },
    uncork() { rec.corked--; rec.uncorks++; },
    on(_event: string, fn: () => void) { rec.listeners.push(fn); return res; },
  };
  return { rec, res: res as unknown as import("node:http").ServerResponse };
}

test("streams: NDJSON frames {result} per line; SSE frames data: lines; an error before any message keeps its status", () => {
  const nd = recorder();
  const s = openStream(nd.res, "application/json");
  s.send({ type: "ADDED", application: { metadata: { name: "a" } } });
  s.sendJson('{"type":"DELETED"}');
  s.end();
  assert.equal(nd.rec.status, 200);
  assert.equal(nd.rec.headers["Content-Type"], "application/json");
  assert.deepEqual(nd.rec.chunks, ['{"result":{"type":"ADDED","application":{"metadata":{"name":"a"}}}}\n', '{"result":{"type":"DELETED"}}\n'], "an already-serialised message is framed the same way");
  assert.ok(nd.rec.ended, "the stream ended");

  const sse = recorder();
  const e = openStream(sse.res, "text/event-stream");
  e.send({ type: "MODIFIED" });
  assert.equal(sse.rec.headers["Content-Type"], "text/event-stream");
  assert.deepEqual(sse.rec.chunks, ['data: {"result":{"type":"MODIFIED"}} \n\n\n']);
  e.end();

  const err = recorder();
  openStream(err.res, undefined).fail(new ApiError(Code.PermissionDenied, "permission denied"));
  assert.equal(err.rec.status, 403, "nothing sent yet: the error's status");
  assert.deepEqual(JSON.parse(String(err.rec.chunks[0])), { error: { grpc_code: 7, http_code: 403, message: "permission denied", http_status: "Forbidden" } });
});
