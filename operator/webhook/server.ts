// The webhook endpoint (`POST /api/webhook`, as Argo CD's): authenticates and parses deliveries
// and hands push events to the controllers, which refresh what they concern.
//
// Anyone who can reach the port can send to it, so the body is the last thing read: the number of
// requests in progress, the provider and its credentials, and the declared size are all checked
// from the headers first, and refused requests are answered without reading the body
// ("Connection: close" makes Node drop the socket rather than drain it). Bodies are read up to
// Argo's `webhook.maxPayloadSizeMB` and cut off there. Across all requests, at most a fixed
// budget of body bytes is held at once, so many concurrent large posts cannot exhaust memory.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../runtime/logger.js";
import { checkHeaders, verifyBody, type Provider, type WebhookSecrets } from "./auth.js";
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
    inFlight++;
    // Bytes this request holds against the shared budget, returned once when it ends either way.
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

    const secrets = opts.secrets();
    if (!secrets) {
      refuse(req, res, 503, "webhook secrets are not loaded yet");
      return;
    }
    const checked = checkHeaders(req.headers, secrets);
    if (checked.kind === "rejected") {
      refuse(req, res, checked.status, checked.reason);
      return;
    }
    const provider = checked.provider;
    const limit = maxPayloadBytes();
    const declared = req.headers["content-length"];
    const length = declared === undefined ? undefined : Number(declared);
    if (length !== undefined && !Number.isSafeInteger(length)) {
      refuse(req, res, 400, "invalid Content-Length");
      return;
    }
    if (length !== undefined && length > limit) {
      refuse(req, res, 413, `payload larger than ${limit} bytes (webhook.maxPayloadSizeMB)`, { contentLength: length });
      return;
    }
    if (length !== undefined && !reserve(length)) {
      refuse(req, res, 503, "too many webhook bytes in progress");
      return;
    }

    // With a declared length the buffer is allocated once (it is already reserved); otherwise
    // chunks are reserved as they come.
    const fixed = length !== undefined ? Buffer.allocUnsafe(length) : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let stopped = false;
    req.on("data", (chunk: Buffer) => {
      if (stopped) return;
      if (received + chunk.length > (length ?? limit)) {
        stopped = true;
        refuse(req, res, 413, `payload larger than ${length ?? limit} bytes`, { bytesRead: received });
        return;
      }
      if (fixed) {
        chunk.copy(fixed, received);
      } else {
        if (!reserve(chunk.length)) {
          stopped = true;
          refuse(req, res, 503, "too many webhook bytes in progress", { bytesRead: received });
          return;
        }
        chunks.push(chunk);
      }
      received += chunk.length;
    });
    req.on("end", () => {
      if (stopped) return;
      try {
        const body = fixed ? fixed.subarray(0, received) : Buffer.concat(chunks, received);
        chunks.length = 0;
        respond(req, res, provider, body, secrets);
      } catch (err) {
        // Parsing never throws by design; this keeps a bug from taking the process down.
        opts.log.error("webhook handler failed", { error: err });
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain", Connection: "close" }).end("internal error\n");
      }
    });
    req.on("error", () => { stopped = true; });
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
