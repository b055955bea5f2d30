// The webhook endpoint (`POST /api/webhook`, as Argo CD's): authenticates and parses deliveries
// and hands push events to the controllers, which refresh what they concern.
//
// Anyone who can reach the port can send to it, so the body is the last thing read: the number of
// requests in progress, the provider and its credentials, and the declared size are all checked
// from the headers first, and refused requests are answered without reading the body
// ("Connection: close" makes Node drop the socket rather than drain it). Bodies are read up to
// Argo's `webhook.maxPayloadSizeMB` and cut off there. Across all requests, at most two
// maximum-size bodies are held at once, so many concurrent large posts cannot exhaust memory.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../runtime/logger.js";
import { checkHeaders, verifyBody, type Provider, type Rejection, type WebhookSecrets } from "./auth.js";
import { DEFAULT_MAX_PAYLOAD_MB, parsePayload, type PushEvent } from "./parse.js";

export interface WebhookServer {
  readonly port: number;
  /** Requests in progress and body bytes they hold (for tests and diagnostics). */
  stats(): { inFlight: number; bufferedBytes: number };
  close(): Promise<void>;
}

/** Argo's `server.webhook.parallelism.limit` default. */
export const DEFAULT_WEBHOOK_PARALLELISM = 50;

/** The body bytes held at once across requests, in multiples of the payload limit. */
const BUFFER_BUDGET_PAYLOADS = 2;

interface Admitted {
  kind: "admitted";
  provider: Provider;
  secrets: WebhookSecrets;
  limit: number;
  /** The declared Content-Length, already reserved; undefined for a chunked body. */
  length?: number;
}

export interface WebhookServerOptions {
  host: string;
  port: number;
  /** The current secrets; undefined while they are not yet known, when requests are refused (503). */
  secrets: () => WebhookSecrets | undefined;
  /** The current payload limit in bytes (argocd-cm `webhook.maxPayloadSizeMB`); default 50 MB. */
  maxPayloadBytes?: () => number;
  /** Requests read or processed at once; more are refused with 503 (default 50). */
  parallelism?: number;
  onPush: (event: PushEvent) => void;
  log: Logger;
}

/**
 * argocd-cm `webhook.maxPayloadSizeMB` in bytes. A value that is not a positive whole number
 * falls back to the default (still a bound) with an error for the log.
 */
export function maxPayloadBytesFrom(data: Record<string, string> | undefined): { bytes: number; error?: string } {
  const fallback = DEFAULT_MAX_PAYLOAD_MB * 1024 * 1024;
  const raw = data?.["webhook.maxPayloadSizeMB"];
  if (raw === undefined || raw.trim() === "") return { bytes: fallback };
  const mb = Number(raw.trim());
  if (!Number.isSafeInteger(mb) || mb < 1) {
    return { bytes: fallback, error: `argocd-cm webhook.maxPayloadSizeMB must be a positive whole number of megabytes, got "${raw}"; using ${DEFAULT_MAX_PAYLOAD_MB}` };
  }
  return { bytes: mb * 1024 * 1024 };
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const parallelism = opts.parallelism ?? DEFAULT_WEBHOOK_PARALLELISM;
  const maxPayloadBytes = opts.maxPayloadBytes ?? (() => DEFAULT_MAX_PAYLOAD_MB * 1024 * 1024);
  let inFlight = 0;
  let bufferedBytes = 0;

  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, status: number, reason: string, fields: Record<string, unknown> = {}): void => {
    if (res.headersSent) return;
    opts.log.warn("webhook rejected", { reason, status, remote: req.socket.remoteAddress, ...fields });
    res.writeHead(status, { "Content-Type": "text/plain", Connection: "close", ...(status === 503 ? { "Retry-After": "1" } : {}) }).end(`${reason}\n`);
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if ((req.url ?? "").split("?")[0] !== "/api/webhook") {
      res.writeHead(404, { Connection: "close" }).end();
      return;
    }
    if (req.method !== "POST") {
      res.writeHead(405, { Allow: "POST", Connection: "close" }).end();
      return;
    }
    if (inFlight >= parallelism) {
      refuse(req, res, 503, "too many webhook requests in progress");
      return;
    }
    // The slot and the body bytes this request holds are given back once, however it ends.
    inFlight++;
    let reserved = 0;
    res.once("close", () => {
      inFlight--;
      bufferedBytes -= reserved;
      reserved = 0;
    });
    const reserve = (n: number): boolean => {
      if (bufferedBytes + n > BUFFER_BUDGET_PAYLOADS * maxPayloadBytes()) return false;
      bufferedBytes += n;
      reserved += n;
      return true;
    };

    const admitted = admit(req, reserve);
    if (admitted.kind === "rejected") {
      refuse(req, res, admitted.status, admitted.reason, admitted.fields);
      return;
    }
    readBody(req, res, admitted, reserve);
  };

  /** Everything decided from the request line and headers, before any body byte is read. */
  const admit = (req: http.IncomingMessage, reserve: (n: number) => boolean): Admitted | (Rejection & { fields?: Record<string, unknown> }) => {
    const secrets = opts.secrets();
    if (!secrets) return { kind: "rejected", status: 503, reason: "webhook secrets are not loaded yet" };
    const checked = checkHeaders(req.headers, secrets);
    if (checked.kind === "rejected") return checked;
    const limit = maxPayloadBytes();
    const declared = req.headers["content-length"];
    if (declared === undefined) return { kind: "admitted", provider: checked.provider, secrets, limit };
    const length = Number(declared);
    if (!Number.isSafeInteger(length)) return { kind: "rejected", status: 400, reason: "invalid Content-Length" };
    if (length > limit) return { kind: "rejected", status: 413, reason: `payload larger than ${limit} bytes (webhook.maxPayloadSizeMB)`, fields: { contentLength: length } };
    if (!reserve(length)) return { kind: "rejected", status: 503, reason: "too many webhook bytes in progress" };
    return { kind: "admitted", provider: checked.provider, secrets, limit, length };
  };

  /**
   * Reads the body up to its declared length or the limit, whichever is smaller, and stops
   * buffering at once past it. A declared length was reserved by admit and gets one buffer;
   * chunked bodies reserve as they arrive (Buffer.concat briefly holds a second copy of one body).
   */
  const readBody = (req: http.IncomingMessage, res: http.ServerResponse, a: Admitted, reserve: (n: number) => boolean): void => {
    const max = a.length ?? a.limit;
    const fixed = a.length !== undefined ? Buffer.allocUnsafe(a.length) : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let stopped = false;
    req.on("data", (chunk: Buffer) => {
      if (stopped) return;
      if (received + chunk.length > max) {
        stopped = true;
        refuse(req, res, 413, `payload larger than ${max} bytes`, { bytesRead: received });
        return;
      }
      if (fixed) {
        chunk.copy(fixed, received);
      } else if (reserve(chunk.length)) {
        chunks.push(chunk);
      } else {
        stopped = true;
        refuse(req, res, 503, "too many webhook bytes in progress", { bytesRead: received });
        return;
      }
      received += chunk.length;
    });
    req.on("error", () => { stopped = true; });
    req.on("end", () => {
      if (stopped) return;
      try {
        respond(req, res, a.provider, fixed ? fixed.subarray(0, received) : Buffer.concat(chunks, received), a.secrets);
      } catch (err) {
        // Parsing never throws by design; this keeps a bug from taking the process down.
        opts.log.error("webhook handler failed", { error: err });
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain", Connection: "close" }).end("internal error\n");
      }
    });
  };

  const respond = (req: http.IncomingMessage, res: http.ServerResponse, provider: Provider, body: Buffer, secrets: WebhookSecrets): void => {
    const denied = verifyBody(provider, req.headers, body, secrets);
    if (denied) {
      refuse(req, res, denied.status, denied.reason);
      return;
    }
    const result = parsePayload(provider, req.headers, body);
    if (result.kind === "rejected") {
      refuse(req, res, result.status, result.reason);
      return;
    }
    if (result.kind === "ignored") {
      res.writeHead(200, { "Content-Type": "text/plain" }).end(`ignored: ${result.reason}\n`);
      return;
    }
    opts.log.info("webhook push received", { provider: result.event.provider, repo: result.event.repoURLs[0], revision: result.event.revision });
    try {
      opts.onPush(result.event);
    } catch (err) {
      opts.log.error("webhook handler failed", { error: err });
    }
    res.writeHead(200, { "Content-Type": "text/plain" }).end("ok\n");
  };

  const server = http.createServer(handle);
  // Slow senders hold a slot; these bound how long (Node's defaults are minutes).
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stats: () => ({ inFlight, bufferedBytes }),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
