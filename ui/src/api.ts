// Calls to `hawser server`'s REST API. Every URL is relative, so it resolves against the page's
// `<base href>` (the server writes --basehref there) and works under any path prefix. The session
// is the argocd.token cookie the server sets at login; a 401 sends the user to the login page,
// which brings them back (return_url) afterwards.

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface RequestOptions {
  body?: unknown;
  /** Answer 401 with an error instead of going to the login page (the login form itself). */
  noLoginRedirect?: boolean;
  signal?: AbortSignal;
}

/** The base path of the UI (from `<base href>`), with a trailing slash. */
export function basePath(): string {
  return new URL(document.baseURI).pathname.replace(/\/*$/, "/");
}

export function loginUrl(returnUrl: string = window.location.href): string {
  return `${basePath()}login?return_url=${encodeURIComponent(returnUrl)}`;
}

let redirecting = false;
export function goToLogin(): void {
  if (redirecting || window.location.pathname.startsWith(`${basePath()}login`)) return;
  redirecting = true;
  window.location.assign(loginUrl());
}

export async function request<T>(method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH", path: string, o: RequestOptions = {}): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    // The server refuses any non-GET API request without a JSON Content-Type (its CSRF guard, 415),
    // a body-less DELETE included.
    headers: { Accept: "application/json", ...(method !== "GET" ? { "Content-Type": "application/json" } : {}) },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const text = await res.text();
  if (!res.ok) {
    if (res.status === 401 && !o.noLoginRedirect) goToLogin();
    let message = text || res.statusText;
    try { message = (JSON.parse(text) as { message?: string }).message ?? message; } catch { /* a plain-text error */ }
    throw new HttpError(res.status, message);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

export const get = <T>(path: string, o?: RequestOptions): Promise<T> => request<T>("GET", path, o);
export const post = <T>(path: string, body: unknown, o?: RequestOptions): Promise<T> => request<T>("POST", path, { ...o, body });

export function query(params: Record<string, string | string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === "") continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, one);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export interface UserInfo { loggedIn?: boolean; username?: string; iss?: string; groups?: string[] }
export interface Settings {
  userLoginsDisabled?: boolean;
  uiLoginButtonText?: string;
  oidcConfig?: { name?: string; issuer?: string };
  dexConfig?: { connectors?: Array<{ name: string }> };
  controllerNamespace?: string;
  /** argocd-cm exec.enabled: the pod panel's Terminal tab. */
  execEnabled?: boolean;
  /** argocd-cm ui.view.resources.disabled: no /resources page. */
  uiViewResourcesDisabled?: boolean;
}

/** Whether an error message already says what is wrong (the server's words), else the status. */
export function errorText(err: unknown): string {
  if (err instanceof HttpError) return err.message || `HTTP ${err.status}`;
  return err instanceof Error ? err.message : String(err);
}
