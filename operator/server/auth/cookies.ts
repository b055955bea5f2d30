// The `argocd.token` session cookie (argo-cd-server.md §2.4). Browsers keep cookies of at most
// about 4 KB, and SSO ID tokens can be larger, so a long token is split: the first cookie holds
// `<N>:<part 1>`, then `argocd.token-1` … `argocd.token-<N-1>` hold the rest. Every cookie,
// name and attributes included, stays within 4093 bytes, as Argo's.
export const TOKEN_COOKIE = "argocd.token";
export const MAX_COOKIE_LENGTH = 4093;
export const DEFAULT_MAX_COOKIE_NUMBER = 20;

export interface CookieOptions {
  /** `--basehref` (default "/"); the cookie's path is `/` + it without slashes at either end. */
  basehref?: string;
  /** `--insecure`: plain HTTP, so no `Secure` attribute. */
  insecure?: boolean;
  /** `ARGOCD_MAX_COOKIE_NUMBER`; see maxCookieNumber(). */
  maxParts?: number;
}

export class CookieError extends Error {}

/** `ARGOCD_MAX_COOKIE_NUMBER` (default 20); a value that is not a positive integer is an error naming it. */
export function maxCookieNumber(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ARGOCD_MAX_COOKIE_NUMBER;
  if (raw === undefined || raw.trim() === "") return DEFAULT_MAX_COOKIE_NUMBER;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CookieError(`ARGOCD_MAX_COOKIE_NUMBER: "${raw}" is not a positive integer`);
  return n;
}

function cookieAttributes(opts: CookieOptions): string[] {
  const path = `/${(opts.basehref ?? "/").replace(/^\/+|\/+$/g, "")}`;
  const attrs = [`path=${path}`, "SameSite=lax", "httpOnly"];
  if (!opts.insecure) attrs.push("Secure");
  return attrs;
}

const byteLength = (s: string): number => Buffer.byteLength(s, "utf8");

function partName(i: number): string {
  return i === 0 ? TOKEN_COOKIE : `${TOKEN_COOKIE}-${i}`;
}

/** What a cookie of `n` parts can hold in part `i`, after its name, prefix and attributes. */
function partCapacity(i: number, n: number, attributes: string): number {
  const prefix = i === 0 && n > 1 ? `${n}:` : "";
  return MAX_COOKIE_LENGTH - byteLength(`${partName(i)}=${prefix}`) - byteLength(`; ${attributes}`);
}

/**
 * The Set-Cookie header values carrying `token`. Throws when it would take more than the allowed
 * number of cookies (the token itself is never part of the message).
 */
export function tokenCookies(token: string, opts: CookieOptions = {}): string[] {
  // JWTs are ASCII (base64url and dots); a value outside it would break the byte arithmetic below.
  if (!/^[\x21-\x7e]*$/.test(token) || token.includes(";") || token.includes(",")) throw new CookieError("the session token holds characters a cookie cannot carry");
  const attributes = cookieAttributes(opts).join("; ");
  const max = opts.maxParts ?? DEFAULT_MAX_COOKIE_NUMBER;
  for (let n = 1; n <= max; n++) {
    let room = 0;
    for (let i = 0; i < n; i++) room += partCapacity(i, n, attributes);
    if (room < token.length) continue;
    const out: string[] = [];
    let offset = 0;
    for (let i = 0; i < n; i++) {
      const part = token.slice(offset, offset + partCapacity(i, n, attributes));
      offset += part.length;
      const prefix = i === 0 && n > 1 ? `${n}:` : "";
      out.push(`${partName(i)}=${prefix}${part}; ${attributes}`);
    }
    return out;
  }
  throw new CookieError(
    `the authentication token is ${token.length} characters long and needs more than ${max} cookies; raise argocd-cmd-params-cm server.http.cookie.maxnumber (ARGOCD_MAX_COOKIE_NUMBER) to allow more`,
  );
}

/** Set-Cookie values that delete the token cookie and `count - 1` continuation cookies (logout). */
export function clearTokenCookies(count: number, opts: CookieOptions = {}): string[] {
  const attributes = cookieAttributes(opts).join("; ");
  const out: string[] = [];
  for (let i = 0; i < Math.max(1, count); i++) out.push(`${partName(i)}=; Max-Age=0; ${attributes}`);
  return out;
}

/** Parses a Cookie request header into name → value (the first value of a repeated name wins). */
export function parseCookieHeader(header: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const lines = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const line of lines) {
    for (const pair of line.split(";")) {
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      if (name !== "" && !out.has(name)) out.set(name, pair.slice(eq + 1).trim());
    }
  }
  return out;
}

/**
 * The token carried by the request's cookies, joined back from its parts; undefined when there is
 * no `argocd.token`. A missing continuation part is an error.
 */
export function tokenFromCookies(cookies: Map<string, string>, maxParts = DEFAULT_MAX_COOKIE_NUMBER): string | undefined {
  const first = cookies.get(TOKEN_COOKIE);
  if (first === undefined || first === "") return undefined;
  const m = /^(\d+):(.*)$/s.exec(first);
  if (!m) return first;
  const n = Number(m[1]);
  if (n < 1 || n > maxParts) throw new CookieError(`the ${TOKEN_COOKIE} cookie claims ${n} parts; at most ${maxParts} are allowed`);
  let token = m[2]!;
  for (let i = 1; i < n; i++) {
    const part = cookies.get(partName(i));
    if (part === undefined) throw new CookieError(`the ${TOKEN_COOKIE} cookie has ${n} parts but ${partName(i)} is missing`);
    token += part;
  }
  return token;
}

/** How many token cookies the request carries (to clear them all on logout). */
export function tokenCookieCount(cookies: Map<string, string>): number {
  let n = 0;
  while (cookies.has(partName(n))) n++;
  return n;
}
