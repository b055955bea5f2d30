// A server on 127.0.0.1 for one test: a plain HTTP handler written in the test (a hostile
// registry, a hand-made Helm index) or a server the test built itself (HTTPS). It listens on a
// free port and is closed after the test, open keep-alive connections included, so a client that
// is still waiting on an endless answer does not keep the test process alive.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { Server as TlsServer } from "node:tls";

export interface LoopbackServer {
  /** "127.0.0.1:PORT", as a registry host is written. */
  host: string;
  /** "http://127.0.0.1:PORT", or https:// for an HTTPS server. */
  url: string;
  port: number;
}

/** The part of node:test's TestContext this needs. */
export interface AfterHook { after(fn: () => Promise<void>): void }

export async function serveLoopback(
  t: AfterHook,
  serve: ((req: IncomingMessage, res: ServerResponse) => void) | Server | HttpsServer,
): Promise<LoopbackServer> {
  const server = typeof serve === "function" ? createServer(serve) : serve;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const a = server.address();
  if (typeof a !== "object" || a === null) throw new Error("the loopback server has no address");
  const scheme = server instanceof TlsServer ? "https" : "http";
  return { host: `127.0.0.1:${a.port}`, url: `${scheme}://127.0.0.1:${a.port}`, port: a.port };
}
