// A small REST client for `hawser server` (and Argo CD's REST API, whose paths and shapes it
// serves): base URL, bearer token, TLS verification that --insecure may skip for the server's
// self-signed certificate, plain HTTP with --plaintext, errors carrying the server's message, and
// the NDJSON watch streams. HTTP/1.1 through node's http/https.
import http from "node:http";
import https from "node:https";
import { NdjsonReader, StreamError } from "./ndjson.js";

export interface ServerConnection {
  /** `host:port` as argocd takes it, or a URL with http:// or https://. */
  server: string;
  authToken?: string;
  /** Skip verifying the server's TLS certificate. */
  insecure?: boolean;
  /** Plain HTTP instead of TLS. */
  plainText?: boolean;
}

/** A failed API call: the server's message (Argo's `{"error","code","message"}`), its HTTP status and gRPC code. */
export class ApiRequestError extends Error {
  constructor(message: string, readonly httpStatus: number, readonly code?: number) {
    super(message);
    this.name = "ApiRequestError";
  }
}

export type QueryValue = string | number | boolean | undefined | string[];
export type QueryParams = Record<string, QueryValue>;

/** The base URL of a server: an explicit scheme wins, else https unless plain text is asked for. */
export function baseUrl(conn: Pick<ServerConnection, "server" | "plainText">): URL {
  const raw = conn.server.trim();
  if (!raw) throw new Error("no server given");
  const explicit = /^https?:\/\//i.test(raw);
  if (explicit && conn.plainText && raw.toLowerCase().startsWith("https://")) throw new Error(`--plaintext contradicts the https:// of server ${raw}`);
  let url: URL;
  try {
    url = new URL(explicit ? raw : `${conn.plainText ? "http" : "https"}://${raw}`);
  } catch {
    throw new Error(`server "${raw}" is not host:port or a URL`);
  }
  if (url.search || url.hash || url.username || url.password) throw new Error(`server "${raw}" must not carry a query, fragment or credentials`);
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}

function withQuery(base: URL, path: string, query: QueryParams | undefined): URL {
  const url = new URL(base.href);
  // An empty path reads back as "/"; the prefix (--rootpath) is joined without a double slash.
  url.pathname = `${base.pathname.replace(/\/+$/, "")}${path}`;
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [String(v)]) url.searchParams.append(k, item);
  }
  return url;
}

/** Turns a transport failure into a message that says what to try. */
function transportError(err: unknown, url: URL): Error {
  const e = err as NodeJS.ErrnoException;
  const where = `${url.protocol}//${url.host}`;
  const code = e.code ?? "";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT/.test(code)) {
    return new Error(`${where}: the server's TLS certificate is not trusted (${code}); use --insecure to skip verification (e.g. for the server's self-signed certificate)`);
  }
  if (code === "EPROTO" || /wrong version number|packet length too long/i.test(e.message ?? "")) {
    return new Error(`${where}: TLS handshake failed (${e.message}); if the server speaks plain HTTP (hawser server --insecure), use --plaintext`);
  }
  if (code === "ECONNREFUSED") return new Error(`${where}: connection refused (is hawser server running there?)`);
  return new Error(`${where}: ${e.message ?? String(err)}`);
}

/** The message of an error response: Argo's JSON `message`, else the body's text. */
export function errorFromResponse(status: number, statusText: string, body: string, contentType: string | undefined): ApiRequestError {
  if ((contentType ?? "").includes("json")) {
    try {
      const parsed = JSON.parse(body) as { message?: unknown; error?: unknown; code?: unknown };
      const message = typeof parsed.message === "string" && parsed.message ? parsed.message : typeof parsed.error === "string" ? parsed.error : undefined;
      if (message) return new ApiRequestError(message, status, typeof parsed.code === "number" ? parsed.code : undefined);
    } catch {
      // Not JSON after all: fall through to the text.
    }
  }
  const text = body.trim().slice(0, 500);
  return new ApiRequestError(`${status} ${statusText}${text && text !== statusText ? `: ${text}` : ""}`, status);
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

export class ApiClient {
  readonly base: URL;
  private readonly agent: http.Agent;

  constructor(private readonly conn: ServerConnection) {
    this.base = baseUrl(conn);
    this.agent = this.base.protocol === "https:"
      ? new https.Agent({ keepAlive: true, rejectUnauthorized: !conn.insecure })
      : new http.Agent({ keepAlive: true });
  }

  get server(): string { return this.conn.server; }

  close(): void { this.agent.destroy(); }

  private open(method: string, url: URL, headers: Record<string, string>): http.ClientRequest {
    const all: Record<string, string> = { Accept: "application/json", ...headers };
    if (this.conn.authToken) all.Authorization = `Bearer ${this.conn.authToken}`;
    const options = { method, headers: all, agent: this.agent };
    return url.protocol === "https:" ? https.request(url, options) : http.request(url, options);
  }

  /** One call; resolves to the parsed JSON body, rejects with ApiRequestError (or a transport error). */
  request<T>(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, opts: { query?: QueryParams; body?: unknown } = {}): Promise<T> {
    const url = withQuery(this.base, path, opts.query);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    // Argo's CSRF guard wants a JSON content type on every non-GET call, body or not.
    const headers: Record<string, string> = method === "GET" ? {} : { "Content-Type": "application/json" };
    return new Promise<T>((resolve, reject) => {
      const req = this.open(method, url, headers);
      req.on("error", (err) => reject(transportError(err, url)));
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => reject(transportError(err, url)));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(errorFromResponse(status, res.statusMessage ?? "", body, res.headers["content-type"]));
            return;
          }
          if (!body.trim()) {
            resolve({} as T);
            return;
          }
          try {
            resolve(JSON.parse(body) as T);
          } catch {
            reject(new ApiRequestError(`${method} ${url.pathname}: the server answered ${status} with a body that is not JSON`, status));
          }
        });
      });
      req.end(payload);
    });
  }

  /**
   * Follows an NDJSON stream, calling `onResult` per message until it returns true (resolves), the
   * server ends the stream (resolves), sends an error (rejects with StreamError) or `signal` aborts.
   */
  stream<T>(path: string, query: QueryParams, onResult: (msg: T) => boolean, signal?: AbortSignal): Promise<void> {
    const url = withQuery(this.base, path, query);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        req.destroy();
        if (err) reject(err);
        else resolve();
      };
      const onAbort = (): void => finish(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      const req = this.open("GET", url, {});
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (err) => finish(transportError(err, url)));
      req.on("response", (res) => {
        const status = res.statusCode ?? 0;
        const reader = new NdjsonReader<T>();
        res.setEncoding("utf8");
        if (status < 200 || status >= 300) {
          // A refused stream still frames its error as a stream error; a plain 404 does not.
          let body = "";
          res.on("data", (c: string) => { body += c; });
          res.on("end", () => {
            try {
              reader.push(body + "\n");
            } catch (err) {
              if (err instanceof StreamError) { finish(new ApiRequestError(err.message, status, err.grpcCode)); return; }
            }
            finish(errorFromResponse(status, res.statusMessage ?? "", body, res.headers["content-type"]));
          });
          return;
        }
        const deliver = (msgs: T[]): void => {
          for (const m of msgs) {
            if (settled) return;
            if (onResult(m)) { finish(); return; }
          }
        };
        res.on("data", (c: string) => {
          try { deliver(reader.push(c)); } catch (err) { finish(asError(err)); }
        });
        res.on("end", () => {
          try { deliver(reader.end()); finish(); } catch (err) { finish(asError(err)); }
        });
        res.on("error", (err) => finish(transportError(err, url)));
      });
      req.end();
    });
  }
}
