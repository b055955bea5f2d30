// gzip for the API server's answers (argocd-cmd-params-cm server.enable.gzip, on by default as in
// Argo): a response is compressed when the client accepts gzip, except server-sent event streams
// (Argo's rule: a browser's EventSource must see each event as it comes). The onRequest hook
// decides once per request and marks it; fastify replies are compressed in onSend (a list sent as
// a stream of pieces is compressed as a stream, never gathered), and the watch streams, which
// write to the socket themselves, ask `gzipWanted` and flush the compressor after every burst of
// events so compression never holds one back.
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { createGzip, gzip } from "node:zlib";
import type { FastifyInstance } from "fastify";

const gzipAsync = promisify(gzip);

type RawRequest = IncomingMessage | Http2ServerRequest;

const marked = new WeakSet<object>();

/** Whether an Accept header asks for server-sent events (the browser's EventSource). */
export function isEventStream(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((a) => a.trim().split(";")[0]!.trim() === "text/event-stream");
}

/** Whether an Accept-Encoding header accepts gzip (a q=0 entry refuses it; `*` accepts it). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(",") : header ?? "";
  let gzipQ: number | undefined;
  let starQ: number | undefined;
  for (const item of value.split(",")) {
    const [name = "", ...params] = item.trim().toLowerCase().split(";").map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (name === "gzip" || name === "x-gzip") gzipQ = Number.isNaN(q) ? 0 : q;
    else if (name === "*") starQ = Number.isNaN(q) ? 0 : q;
  }
  return (gzipQ ?? starQ ?? 0) > 0;
}

/** Whether this request's answer is to be gzipped (set by installGzip's hook). */
export function gzipWanted(req: RawRequest | undefined): boolean {
  return req !== undefined && marked.has(req);
}

/** Statuses and methods that carry no body to compress. */
function bodyless(method: string, status: number): boolean {
  return method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200);
}

/** Adds the gzip hooks to `app` (call before routes are added, so every route gets them). */
export function installGzip(app: FastifyInstance): void {
  app.addHook("onRequest", (req, _reply, done) => {
    if (acceptsGzip(req.headers["accept-encoding"]) && !isEventStream(req.headers.accept)) marked.add(req.raw);
    done();
  });
  app.addHook("onSend", async (req, reply, payload) => {
    // Whatever the answer, a cache must not give a compressed copy to a client that cannot read it.
    void reply.header("Vary", varyWith(reply.getHeader("vary"), "Accept-Encoding"));
    if (!marked.has(req.raw) || payload === null || payload === undefined) return payload;
    if (bodyless(req.method, reply.statusCode) || reply.getHeader("content-encoding") !== undefined) return payload;
    if (isEventStream(String(reply.getHeader("content-type") ?? ""))) return payload;
    void reply.removeHeader("content-length");
    void reply.header("Content-Encoding", "gzip");
    if (typeof payload === "string" || Buffer.isBuffer(payload)) return gzipAsync(payload);
    if (payload instanceof Readable) return payload.pipe(createGzip()).on("error", () => payload.destroy());
    return payload;
  });
}

function varyWith(current: unknown, name: string): string {
  const list = (Array.isArray(current) ? current.join(",") : typeof current === "string" ? current : "").split(",").map((s) => s.trim()).filter(Boolean);
  if (!list.some((v) => v.toLowerCase() === name.toLowerCase() || v === "*")) list.push(name);
  return list.join(", ");
}
