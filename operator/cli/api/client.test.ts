// The REST client against real loopback HTTP and HTTPS servers: what it sends (bearer token,
// content type, query), how errors read (Argo's JSON message, plain-text routing errors, TLS
// trouble with the remedy), and the NDJSON stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { selfSignedCertificate } from "../../server/http/tls.js";
import { ApiClient, ApiRequestError, baseUrl } from "./client.js";
import { StreamError } from "./ndjson.js";

interface Seen { method: string; url: string; auth?: string; type?: string; body: string }

async function serve(t: { after: (fn: () => unknown) => void }, handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void, tls?: { key: string; cert: string }): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    let body = "";
    req.on("data", (c: Buffer) => { body += c.toString(); });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), ...(req.headers["content-type"] ? { type: req.headers["content-type"] } : {}), body });
      handler(req, res, body);
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => { server.closeAllConnections(); server.close(); });
  return { port: (server.address() as AddressInfo).port, seen };
}

test("the base URL: host:port is https unless --plaintext; an explicit scheme wins", () => {
  assert.equal(baseUrl({ server: "argo.example:8080" }).href, "https://argo.example:8080/", "https by default, as argocd");
  assert.equal(baseUrl({ server: "argo.example:8080", plainText: true }).href, "http://argo.example:8080/", "--plaintext");
  assert.equal(baseUrl({ server: "http://h:1/argo-cd/" }).pathname, "/argo-cd", "a path prefix (rootpath) is kept");
  assert.throws(() => baseUrl({ server: "https://h:1", plainText: true }), /--plaintext contradicts/, "https:// with --plaintext is refused");
  assert.throws(() => baseUrl({ server: "https://u:p@h:1" }), /must not carry/, "credentials in the URL are refused");
});

test("requests carry the bearer token, JSON content type on writes, and the query; errors read as the server's message", async (t) => {
  const { port, seen } = await serve(t, (req, res) => {
    if (req.url?.startsWith("/api/v1/applications/forbidden")) {
      res.writeHead(403, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "permission denied: applications, sync, default/forbidden, sub: alice", code: 7, message: "permission denied: applications, sync, default/forbidden, sub: alice" }));
    } else if (req.url === "/nowhere") {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
    } else if (req.url === "/garbage") {
      res.writeHead(200, { "Content-Type": "application/json" }).end("<html>");
    } else if (req.method === "DELETE") {
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    } else {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ items: [{ metadata: { name: "a" } }] }));
    }
  });
  const api = new ApiClient({ server: `127.0.0.1:${port}`, plainText: true, authToken: "tok.en.x" });
  t.after(() => api.close());
  const list = await api.request<{ items: unknown[] }>("GET", "/api/v1/applications", { query: { selector: "team=a", projects: ["p1", "p2"], appNamespace: undefined } });
  assert.equal(list.items.length, 1, "the JSON body is returned");
  assert.equal(seen[0]?.url, "/api/v1/applications?selector=team%3Da&projects=p1&projects=p2", "lists are repeated keys; undefined values are left out");
  assert.equal(seen[0]?.auth, "Bearer tok.en.x", "the bearer token");
  assert.equal(seen[0]?.type, undefined, "no content type on a GET");
  await api.request("DELETE", "/api/v1/applications/a", { query: { cascade: "false" } });
  assert.equal(seen[1]?.type, "application/json", "a write without a body still says JSON (Argo's CSRF guard)");
  await assert.rejects(api.request("POST", "/api/v1/applications/forbidden/sync", { body: { prune: true } }),
    (e: unknown) => e instanceof ApiRequestError && e.httpStatus === 403 && e.code === 7 && e.message === "permission denied: applications, sync, default/forbidden, sub: alice", "Argo's error JSON becomes the message");
  assert.equal(seen[2]?.body, '{"prune":true}', "the body is JSON");
  await assert.rejects(api.request("GET", "/nowhere"), (e: unknown) => e instanceof ApiRequestError && e.httpStatus === 404 && e.message === "404 Not Found", "a plain-text routing error");
  await assert.rejects(api.request("GET", "/garbage"), (e: unknown) => e instanceof ApiRequestError && e.message.includes("not JSON"), "a success that is not JSON");
});

test("TLS: a self-signed certificate is refused unless --insecure; TLS against plain HTTP says --plaintext", async (t) => {
  const tls = selfSignedCertificate(["127.0.0.1"]);
  const secure = await serve(t, (_req, res) => { res.writeHead(200, { "Content-Type": "application/json" }).end('{"Version":"v1"}'); }, tls);
  const strict = new ApiClient({ server: `127.0.0.1:${secure.port}` });
  t.after(() => strict.close());
  await assert.rejects(strict.request("GET", "/api/version"), (e: unknown) => e instanceof Error && e.message.includes("not trusted") && e.message.includes("--insecure"), "the remedy is named");
  const insecure = new ApiClient({ server: `127.0.0.1:${secure.port}`, insecure: true });
  t.after(() => insecure.close());
  assert.deepEqual(await insecure.request("GET", "/api/version"), { Version: "v1" }, "--insecure skips verification");
  const plain = await serve(t, (_req, res) => { res.writeHead(200).end("{}"); });
  const wrong = new ApiClient({ server: `127.0.0.1:${plain.port}` });
  t.after(() => wrong.close());
  await assert.rejects(wrong.request("GET", "/api/version"), (e: unknown) => e instanceof Error && e.message.includes("--plaintext"), "TLS to a plain server names --plaintext");
  const closed = new ApiClient({ server: "127.0.0.1:1", plainText: true });
  t.after(() => closed.close());
  await assert.rejects(closed.request("GET", "/api/version"), (e: unknown) => e instanceof Error && e.message.includes("connection refused"), "nobody listening");
});

test("streams: results in order across chunks, stop on request, error frames and refused streams", async (t) => {
  const { port, seen } = await serve(t, (req, res) => {
    if (req.url?.includes("name=denied")) {
      res.writeHead(403, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { grpc_code: 7, http_code: 403, message: "permission denied", http_status: "Forbidden" } }) + "\n");
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    if (req.url?.includes("name=fails")) {
      res.write('{"result":{"n":1}}\n');
      res.end('{"error":{"grpc_code":14,"http_code":503,"message":"the cache is gone","http_status":"Service Unavailable"}}\n');
      return;
    }
    // Split a message over two writes and put keep-alives in between; never end by itself.
    res.write('{"result":{"n":1}}\n\n{"result":');
    setImmediate(() => res.write('{"n":2}}\n{"result":{"n":3}}\n'));
  });
  const api = new ApiClient({ server: `http://127.0.0.1:${port}` });
  t.after(() => api.close());
  const got: number[] = [];
  await api.stream<{ n: number }>("/api/v1/stream/applications", { name: "ok" }, (m) => { got.push(m.n); return m.n === 2; });
  assert.deepEqual(got, [1, 2], "messages in order, and nothing after the callback says stop");
  assert.ok(seen[0]?.url.includes("name=ok"), `the query is sent: ${seen[0]?.url}`);
  const failed: number[] = [];
  await assert.rejects(api.stream<{ n: number }>("/s", { name: "fails" }, (m) => { failed.push(m.n); return false; }),
    (e: unknown) => e instanceof StreamError && e.message === "the cache is gone" && e.httpCode === 503, "an error frame after results");
  assert.deepEqual(failed, [1], "the results before the error were delivered");
  await assert.rejects(api.stream("/s", { name: "denied" }, () => false), (e: unknown) => e instanceof ApiRequestError && e.httpStatus === 403 && e.message === "permission denied", "a stream refused before it starts");
  const abort = new AbortController();
  const pending = api.stream("/s", { name: "ok" }, () => { abort.abort(new Error("enough")); return false; }, abort.signal);
  await assert.rejects(pending, /enough/, "the abort signal ends the stream with its reason");
});
