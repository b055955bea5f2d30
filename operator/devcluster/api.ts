// A minimal HTTPS client for the few apiserver calls the dev cluster itself needs (readiness, creating
// Nodes, checking ServiceAccounts). Deliberately not @kubernetes/client-node: `dev-cluster up` should
// not pay for loading the full client, and these calls need nothing beyond a client certificate.
import { readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";

export interface ApiCredentials {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export async function loadCredentials(caFile: string, certFile: string, keyFile: string): Promise<ApiCredentials> {
  const [ca, cert, key] = await Promise.all([readFile(caFile), readFile(certFile), readFile(keyFile)]);
  return { ca, cert, key };
}

export interface ApiResponse {
  status: number;
  body: string;
}

/** One HTTP(S) request with a timeout; network errors reject, HTTP errors resolve with their status. */
export function rawRequest(
  url: string,
  opts: { method?: string; body?: unknown; creds?: ApiCredentials; insecure?: boolean; timeoutMs?: number } = {},
): Promise<ApiResponse> {
  const u = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const options: RequestOptions = {
    method: opts.method ?? "GET",
    headers: {
      accept: "application/json",
      ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
    },
    timeout: opts.timeoutMs ?? 5000,
    // Component health ports (controller-manager, scheduler) serve self-signed certificates.
    rejectUnauthorized: !opts.insecure,
    ...(opts.creds ? { ca: opts.creds.ca, cert: opts.creds.cert, key: opts.creds.key } : {}),
  };
  const send = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timeout: ${options.method} ${url}`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Resolves true when a GET returns 200 within the request timeout, false on anything else. */
export async function probe(url: string, opts: { creds?: ApiCredentials; insecure?: boolean } = {}): Promise<boolean> {
  try {
    const res = await rawRequest(url, { ...opts, timeoutMs: 2000 });
    return res.status === 200;
  } catch {
    return false;
  }
}
