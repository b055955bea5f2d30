// The webhook endpoint (`POST /api/webhook`, as Argo CD's): reads at most 50 MB, authenticates and
// parses the delivery, and hands push events to the controllers, which refresh what they concern.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../runtime/logger.js";
import { MAX_PAYLOAD_BYTES, parseWebhook, type PushEvent, type WebhookSecrets } from "./parse.js";

export interface WebhookServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface WebhookServerOptions {
  host: string;
  port: number;
  secrets: () => WebhookSecrets;
  onPush: (event: PushEvent) => void;
  log: Logger;
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const server = http.createServer((req, res) => {
    if ((req.url ?? "").split("?")[0] !== "/api/webhook") {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== "POST") {
      res.writeHead(405, { Allow: "POST" }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_PAYLOAD_BYTES) {
        res.writeHead(413).end("payload too large\n");
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      const result = parseWebhook(req.headers, Buffer.concat(chunks), opts.secrets());
      if (result.kind === "rejected") {
        opts.log.warn("webhook rejected", { reason: result.reason, status: result.status, remote: req.socket.remoteAddress });
        res.writeHead(result.status, { "Content-Type": "text/plain" }).end(`${result.reason}\n`);
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
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
