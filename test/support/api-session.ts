// What tests of `hawser server` share: the initial admin password the server writes on first start,
// and a JSON call against the server that keeps the status, the parsed body and the raw text.
import type { KubeClient } from "../../operator/kube/client.js";
import { eventually } from "./eventually.js";

/** argocd-initial-admin-secret's password, once the server has written it. */
export async function initialAdminPassword(client: KubeClient, namespace: string): Promise<string> {
  const secret = await eventually(async () => client.get("v1", "Secret", "argocd-initial-admin-secret", namespace), { timeoutMs: 30_000 });
  return Buffer.from(String((secret as unknown as { data: Record<string, string> }).data.password), "base64").toString();
}

export interface JsonResponse { status: number; body: unknown; text: string }

/** `call(method, path, body?, token?)` against `base`: JSON in, JSON (or text) out. */
export function jsonCaller(base: string): (method: string, path: string, body?: unknown, token?: string) => Promise<JsonResponse> {
  return async (method, path, body, token) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (method !== "GET") headers["content-type"] = "application/json";
    const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch { parsed = undefined; }
    return { status: res.status, body: parsed, text };
  };
}

/** A response for an assertion message. */
export const showResponse = (r: { status: number; text: string }): string => `HTTP ${r.status}: ${r.text.slice(0, 800)}`;
