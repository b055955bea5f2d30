// What tests of `hawser server` share: the initial admin password the server writes on first start,
// and a JSON call against the server that keeps the status, the parsed body and the raw text.
import type { KubeClient } from "../../operator/kube/client.js";
import { eventually } from "./eventually.js";

/** argocd-initial-admin-secret's password, once the server has written it. */
export async function initialAdminPassword(client: KubeClient, namespace: string): Promise<string> {
  const secret = await eventually(async () => client.get("v1", "Secret", "argocd-initial-admin-secret", namespace), { timeoutMs: 30_000 });
  return Buffer.from(String((secret as unknown as { data: Record<string, string> }).data.password), "base64").toString();
}

export interface JsonResponse { status: number; body: unknown; text: string; headers: Headers }

/** How a call authenticates and what it accepts (a bare string is a bearer token). */
export interface CallOptions {
  token?: string;
  /** A Cookie header (argocd.token=...). */
  cookie?: string;
  accept?: string;
}

export type JsonCall = (method: string, path: string, body?: unknown, auth?: string | CallOptions) => Promise<JsonResponse>;

/**
 * `call(method, path, body?, token | options?)` against `base`: JSON in, JSON (or text) out.
 * `redirect: "manual"` keeps redirects as answers (SSO flows); `onText` sees every response body
 * (tests that check no secret ever leaves the server).
 */
export function jsonCaller(base: string, opts: { redirect?: "follow" | "manual" | "error"; onText?: (text: string) => void } = {}): JsonCall {
  return async (method, path, body, auth) => {
    const o: CallOptions = typeof auth === "string" ? { token: auth } : auth ?? {};
    const headers: Record<string, string> = {};
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.cookie) headers.cookie = o.cookie;
    if (o.accept) headers.accept = o.accept;
    if (method !== "GET") headers["content-type"] = "application/json";
    const res = await fetch(`${base}${path}`, { method, headers, ...(opts.redirect ? { redirect: opts.redirect } : {}), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    opts.onText?.(text);
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch { parsed = undefined; }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
}

/** A local user's session token (POST /api/v1/session); fails with the server's answer otherwise. */
export async function sessionToken(call: JsonCall, username: string, password: string): Promise<string> {
  const r = await call("POST", "/api/v1/session", { username, password });
  const token = (r.body as { token?: unknown } | undefined)?.token;
  if (r.status !== 200 || typeof token !== "string") throw new Error(`login of ${username} failed: ${showResponse(r)}`);
  return token;
}

/** A response for an assertion message. */
export const showResponse = (r: { status: number; text: string }): string => `HTTP ${r.status}: ${r.text.slice(0, 800)}`;
