// Streams as Argo's gateway writes them (argo-cd-server.md §1.2): newline-delimited
// `{"result": ...}` objects, or server-sent events when the client asks for text/event-stream (the
// browser's EventSource), with a keep-alive comment every 15 s. A failure is one
// `{"error": {...}}` object, after which the stream closes; its HTTP status is used only when
// nothing was sent yet. With gzip on (server.enable.gzip) an NDJSON stream is compressed and the
// compressor flushed at the end of every tick that wrote, so each event leaves as it is sent.
import type { IncomingMessage, ServerResponse } from "node:http";
import { constants as zlibConstants, createGzip, type Gzip } from "node:zlib";
import { gzipWanted, isEventStream } from "./compress.js";
import { ApiError, toApiError } from "./errors.js";

export { isEventStream } from "./compress.js";

export const KEEPALIVE_MS = 15_000;

export interface StreamWriter {
  /** Sends one message; false once the client has gone. */
  send(result: unknown): boolean;
  /** Sends one message already serialised as JSON (shared by many streams: serialised once). */
  sendJson(resultJson: string): boolean;
  /** Sends a message framed once for every stream of the same format (the bytes are shared). */
  sendShared(message: SharedMessage): boolean;
  /**
   * Sends the headers now (200), once the request's checks have passed: a client (the UI's
   * EventSource) then sees the stream open before the first event or keep-alive.
   */
  open(): void;
  /** Ends the stream with Argo's error object. */
  fail(err: unknown): void;
  end(): void;
  /** Aborted when the client disconnects (or end/fail is called). */
  readonly signal: AbortSignal;
}

/**
 * One message for many streams: serialised by the caller once, framed and encoded to bytes at most
 * once per format (NDJSON, SSE), however many streams send it. Writing a shared Buffer costs each
 * stream no string building or UTF-8 encoding of its own.
 */
export class SharedMessage {
  private ndjson: Buffer | undefined;
  private sse: Buffer | undefined;
  /** `resultJson`: the message's `result`, as JSON. */
  constructor(readonly resultJson: string) {}

  framed(sse: boolean): Buffer {
    if (sse) return (this.sse ??= Buffer.from(frameJson(true, `{"result":${this.resultJson}}`)));
    return (this.ndjson ??= Buffer.from(frameJson(false, `{"result":${this.resultJson}}`)));
  }
}

function frameJson(sse: boolean, json: string): string {
  return sse ? `data: ${json} \n\n\n` : `${json}\n`;
}

/** Starts a streaming response on `res` (headers are written with the first message or error). */
export function openStream(res: ServerResponse, accept: string | undefined, keepaliveMs = KEEPALIVE_MS): StreamWriter {
  const sse = isEventStream(accept);
  // `res.req` is the request on HTTP/1.1 and HTTP/2 alike; SSE is never compressed (Argo's rule).
  const gz: Gzip | undefined = !sse && gzipWanted((res as ServerResponse & { req?: IncomingMessage }).req) ? createGzip() : undefined;
  const controller = new AbortController();
  let started = false;
  let closed = false;
  const start = (status: number): void => {
    if (started) return;
    started = true;
    res.writeHead(status, {
      "Content-Type": sse ? "text/event-stream" : "application/json",
      "Cache-Control": "no-cache",
      "X-Content-Type-Options": "nosniff",
      "Vary": "Accept-Encoding",
      ...(gz ? { "Content-Encoding": "gzip" } : {}),
    });
  };
  if (gz) {
    gz.pipe(res);
    gz.on("error", () => res.destroy());
  }
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    controller.abort();
  };
  res.on("close", () => {
    close();
    gz?.destroy();
  });
  /** The end of the response: through the compressor when there is one. */
  const finish = (): void => {
    if (gz) gz.end();
    else res.end();
  };
  // The first message of a tick leaves at once (an informer usually hands over one watch event
  // per read, and 100 streams each holding it until the fan-out ends delays them all); further
  // messages of the same tick (a burst in one read) are corked and leave in one write when the
  // tick ends, so a burst costs two syscalls per client, not one per message. Compressed, every
  // message of the tick goes into the compressor and one sync flush at the tick's end sends them.
  let wroteThisTick = false;
  let corked = false;
  const endOfTick = (): void => {
    wroteThisTick = false;
    if (gz) { if (!gz.destroyed && !gz.writableEnded) gz.flush(zlibConstants.Z_SYNC_FLUSH); return; }
    if (corked) { corked = false; res.uncork(); }
  };
  const write = (data: string | Buffer): void => {
    if (!wroteThisTick) {
      wroteThisTick = true;
      atTickEnd(endOfTick);
    } else if (!corked && !gz) {
      corked = true;
      res.cork();
    }
    if (gz) gz.write(data);
    else res.write(data);
  };
  const timer = setInterval(() => {
    if (closed) return;
    start(200);
    // A comment line for SSE; for NDJSON a bare newline, which JSON-lines readers skip.
    write(sse ? ":\n" : "\n");
  }, keepaliveMs);
  timer.unref();
  const frame = (payload: unknown): string => frameJson(sse, JSON.stringify(payload));
  return {
    signal: controller.signal,
    send(result: unknown): boolean {
      if (closed) return false;
      start(200);
      write(frame({ result }));
      return !closed;
    },
    sendJson(resultJson: string): boolean {
      if (closed) return false;
      start(200);
      write(frameJson(sse, `{"result":${resultJson}}`));
      return !closed;
    },
    sendShared(message: SharedMessage): boolean {
      if (closed) return false;
      start(200);
      write(message.framed(sse));
      return !closed;
    },
    open(): void {
      if (closed || started) return;
      start(200);
      res.flushHeaders();
    },
    fail(err: unknown): void {
      if (closed) return;
      const e: ApiError = toApiError(err);
      start(e.httpStatus);
      write(frame({ error: { grpc_code: e.code, http_code: e.httpStatus, message: e.message, http_status: httpStatusText(e.httpStatus) } }));
      finish();
      close();
    },
    end(): void {
      if (closed) return;
      start(200);
      finish();
      close();
    },
  };
}

// One process.nextTick for all streams written in a tick, not one per stream (100 watchers of
// one event would otherwise queue 100 callbacks).
const tickEnd: Array<() => void> = [];
function atTickEnd(fn: () => void): void {
  if (tickEnd.length === 0) process.nextTick(runTickEnd);
  tickEnd.push(fn);
}
function runTickEnd(): void {
  // Every stream gets its end of tick even if one throws (else it would stay corked for good).
  for (const fn of tickEnd.splice(0)) {
    try { fn(); } catch { /* that stream's socket is gone; its close handler ends it */ }
  }
}

function httpStatusText(status: number): string {
  const texts: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable", 504: "Gateway Timeout", 408: "Request Timeout" };
  return texts[status] ?? "";
}
