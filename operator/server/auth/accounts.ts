// Local accounts as Argo CD keeps them: who exists and may do what comes from argocd-cm, the
// secrets (password hash, password change time, API key ids) from argocd-secret. Everything here is
// a pure function over the two data maps, so the server's caches, the bootstrap and the tests all
// read accounts the same way (argo-cd-server.md §2.2).
import { parseGoDuration } from "../../engine/sync/duration.js";

export const ARGOCD_CM = "argocd-cm";
export const ARGOCD_SECRET = "argocd-secret";
export const INITIAL_ADMIN_SECRET = "argocd-initial-admin-secret";
export const ADMIN = "admin";
export const SECRET_KEY = "server.secretkey";

export type Capability = "login" | "apiKey";

/** An API key as argocd-secret records it (`*.tokens`): seconds since the epoch, exp 0/absent = none. */
export interface AccountToken {
  id: string;
  iat: number;
  exp?: number;
}

export interface Account {
  name: string;
  enabled: boolean;
  capabilities: Capability[];
  /** bcrypt hash, absent when no password was ever set. */
  passwordHash?: string;
  /** Seconds since the epoch; tokens issued before it are rejected. */
  passwordMtime?: number;
  tokens: AccountToken[];
}

/** A setting that cannot be used as written; the message names the key. */
export class AccountSettingsError extends Error {}

type Data = Record<string, string> | undefined;

const CAPABILITIES: readonly string[] = ["login", "apiKey"];

/** The argocd-secret key prefix of an account: admin's keys are `admin.*`, others' `accounts.<name>.*`. */
export function secretPrefix(name: string): string {
  return name === ADMIN ? ADMIN : `accounts.${name}`;
}

function parseCapabilities(key: string, value: string): Capability[] {
  const out: Capability[] = [];
  for (const raw of value.split(",")) {
    const c = raw.trim();
    if (c === "") continue;
    if (!CAPABILITIES.includes(c)) throw new AccountSettingsError(`argocd-cm ${key}: unknown capability "${c}" (allowed: login, apiKey)`);
    if (!out.includes(c as Capability)) out.push(c as Capability);
  }
  return out;
}

/** Argo treats anything but "false" as enabled; an explicit "true"/"false" is what users write. */
function parseEnabled(key: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.trim().toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  throw new AccountSettingsError(`argocd-cm ${key}: "${value}" is not a boolean (true or false)`);
}

/** RFC 3339 → seconds since the epoch; a malformed value is an error naming the key. */
function parseMtime(key: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const ms = Date.parse(value.trim());
  if (Number.isNaN(ms)) throw new AccountSettingsError(`argocd-secret ${key}: "${value}" is not an RFC 3339 time`);
  return Math.floor(ms / 1000);
}

/** Parses a `*.tokens` JSON list; entries without an id are kept with id "" (they can never verify). */
export function parseTokens(key: string, value: string | undefined): AccountToken[] {
  if (value === undefined || value.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new AccountSettingsError(`argocd-secret ${key}: not valid JSON (expected a list of {id, iat, exp})`);
  }
  if (!Array.isArray(parsed)) throw new AccountSettingsError(`argocd-secret ${key}: expected a JSON list of {id, iat, exp}`);
  return parsed.map((t: unknown, i): AccountToken => {
    const rec = t as Record<string, unknown> | null;
    if (!rec || typeof rec !== "object" || typeof rec.iat !== "number") {
      throw new AccountSettingsError(`argocd-secret ${key}[${i}]: expected {id, iat, exp} with a numeric iat`);
    }
    const token: AccountToken = { id: typeof rec.id === "string" ? rec.id : "", iat: rec.iat };
    if (typeof rec.exp === "number" && rec.exp > 0) token.exp = rec.exp;
    return token;
  });
}

export function formatTokens(tokens: AccountToken[]): string {
  return JSON.stringify(tokens.map((t) => (t.exp ? { id: t.id, iat: t.iat, exp: t.exp } : { id: t.id, iat: t.iat })));
}

function account(name: string, enabled: boolean, capabilities: Capability[], secret: Data): Account {
  const prefix = secretPrefix(name);
  const out: Account = {
    name,
    enabled,
    capabilities,
    tokens: parseTokens(`${prefix}.tokens`, secret?.[`${prefix}.tokens`]),
  };
  const hash = secret?.[`${prefix}.password`];
  if (hash) out.passwordHash = hash;
  const mtime = parseMtime(`${prefix}.passwordMtime`, secret?.[`${prefix}.passwordMtime`]);
  if (mtime !== undefined) out.passwordMtime = mtime;
  return out;
}

/**
 * Every local account, sorted by name. Admin always exists (with `login`, plus what
 * `accounts.admin` lists); any other account exists because its `accounts.<name>` key does.
 */
export function parseAccounts(cm: Data, secret: Data): Account[] {
  const out = new Map<string, Account>();
  const adminCaps: Capability[] = ["login"];
  if (cm?.["accounts.admin"] !== undefined) {
    for (const c of parseCapabilities("accounts.admin", cm["accounts.admin"])) if (!adminCaps.includes(c)) adminCaps.push(c);
  }
  out.set(ADMIN, account(ADMIN, parseEnabled("admin.enabled", cm?.["admin.enabled"]), adminCaps, secret));
  for (const [key, value] of Object.entries(cm ?? {})) {
    const m = /^accounts\.([^.]+)$/.exec(key);
    if (!m || m[1] === ADMIN) continue;
    const name = m[1]!;
    out.set(name, account(name, parseEnabled(`accounts.${name}.enabled`, cm?.[`accounts.${name}.enabled`]), parseCapabilities(key, value), secret));
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** One account, or undefined when it does not exist. */
export function getAccount(cm: Data, secret: Data, name: string): Account | undefined {
  return parseAccounts(cm, secret).find((a) => a.name === name);
}

export const DEFAULT_PASSWORD_PATTERN = "^.{8,32}$";

/** argocd-cm `passwordPattern` as a RegExp (Go's regexp and JavaScript's agree on the usual patterns). */
export function passwordPattern(cm: Data): { source: string; regexp: RegExp } {
  const source = cm?.passwordPattern?.trim() || DEFAULT_PASSWORD_PATTERN;
  try {
    return { source, regexp: new RegExp(source, "u") };
  } catch (err) {
    throw new AccountSettingsError(`argocd-cm passwordPattern: invalid regular expression: ${(err as Error).message}`);
  }
}

/** argocd-cm `users.session.duration` (Go duration, default 24h) in whole seconds. */
export function sessionDurationSeconds(cm: Data): number {
  const raw = cm?.["users.session.duration"]?.trim();
  if (!raw) return 24 * 3600;
  let ms: number;
  try {
    ms = parseGoDuration(raw);
  } catch {
    throw new AccountSettingsError(`argocd-cm users.session.duration: "${raw}" is not a duration (e.g. 24h, 30m)`);
  }
  if (ms <= 0) throw new AccountSettingsError(`argocd-cm users.session.duration: "${raw}" must be positive`);
  return Math.max(1, Math.floor(ms / 1000));
}

/** argocd-cm `users.anonymous.enabled` (default false). */
export function anonymousEnabled(cm: Data): boolean {
  return cm?.["users.anonymous.enabled"]?.trim().toLowerCase() === "true";
}

/** The HS256 key from argocd-secret, or undefined before the bootstrap made one. */
export function serverSecretKey(secret: Data): Uint8Array | undefined {
  const key = secret?.[SECRET_KEY];
  return key ? new TextEncoder().encode(key) : undefined;
}

/** RFC 3339 at second precision, as Argo writes passwordMtime. */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
