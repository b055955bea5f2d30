// Logging in with a local account and out again (argo-cd-server.md §2.2, §2.5, §2.6 logout).
//
// Login: an enabled account with the `login` capability and the right bcrypt password gets a
// `<user>:login` token lasting `users.session.duration`. Guessing is made slow and unrewarding the
// way Argo does it: failures are counted per username and lock the name out for a window (and,
// beyond Argo, per source address, so spraying guesses over many names is braked too), the
// number of logins in progress is capped, an unknown user still costs one bcrypt comparison, and
// every check takes a random 500–1000 ms so the answer's timing says nothing.
import { createHash } from "node:crypto";
import { isIP, isIPv4 } from "node:net";
import bcrypt from "bcryptjs";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { KubeApiError } from "../../kube/client.js";
import type { Logger } from "../../runtime/logger.js";
import { ApiError, Code, invalidArgument, unauthenticated } from "../http/errors.js";
import type { Claims, ServerState } from "../types.js";
import { ADMIN, ARGOCD_CM, ARGOCD_SECRET, getAccount, serverSecretKey, sessionDurationSeconds } from "./accounts.js";
import { ARGOCD_ISSUER, issueToken, verifyArgoToken } from "./tokens.js";

export const INVALID_LOGIN = "Invalid username or password";
export const BLANK_PASSWORD = "Blank passwords are not allowed";
export const MAX_USERNAME_BYTES = 32;

export interface RateLimitSettings {
  /** Failures before a username is locked out; 0 disables the lock-out. */
  maxFailCount: number;
  /** Failures from one source address before it is locked out; 0 disables it. */
  sourceMaxFailCount: number;
  /** How long a failure counts, in seconds; 0 = until attemptsExpirationSeconds. */
  windowSeconds: number;
  /**
   * server.login.attempts.expiration (Argo's default 24h): how long Argo's cache keeps the failed
   * attempts at all, so a failure never counts longer than this, whatever the window; 0 = forever.
   */
  attemptsExpirationSeconds?: number;
  /** Usernames tracked at most (and, separately, source addresses). */
  maxCacheSize: number;
  /** Logins in progress at once on this replica; 0 = no cap. */
  maxConcurrentLogins: number;
}

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: "${raw}" is not an integer ≥ ${min}`);
  return n;
}

/** With Argo's default of 5 per user, 20 per source: a user may mistype on a few accounts from one office. */
export const SOURCE_FAIL_COUNT_FACTOR = 4;

/**
 * Argo's environment variables with Argo's defaults. A malformed value stops the server with an
 * error naming the variable rather than silently weakening the protection.
 *
 * Argo counts failures per username only, so one client can try a few passwords against each of
 * many names without ever being locked out. Hawser also counts them per source address, with
 * HAWSER_SESSION_SOURCE_MAX_FAIL_COUNT (default 4 × ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT, so
 * turning Argo's lock-out off turns this one off too) and Argo's window and cache size.
 */
export const DEFAULT_LOGIN_ATTEMPTS_EXPIRATION_MS = 24 * 3600_000;

export function rateLimitSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, attemptsExpirationMs = DEFAULT_LOGIN_ATTEMPTS_EXPIRATION_MS): RateLimitSettings {
  const replicas = envInt(env, "ARGOCD_API_SERVER_REPLICAS", 1, 1);
  const total = envInt(env, "ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT", 50, 0);
  const maxFailCount = envInt(env, "ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT", 5, 0);
  return {
    maxFailCount,
    sourceMaxFailCount: envInt(env, "HAWSER_SESSION_SOURCE_MAX_FAIL_COUNT", maxFailCount * SOURCE_FAIL_COUNT_FACTOR, 0),
    windowSeconds: envInt(env, "ARGOCD_SESSION_FAILURE_WINDOW_SECONDS", 300, 0),
    attemptsExpirationSeconds: attemptsExpirationMs / 1000,
    maxCacheSize: envInt(env, "ARGOCD_SESSION_MAX_CACHE_SIZE", 10_000, 1),
    // The cap is for the whole installation, so each replica takes its share (at least one).
    maxConcurrentLogins: total === 0 ? 0 : Math.max(1, Math.floor(total / replicas)),
  };
}

/**
 * The key a client address is counted under. The TCP peer's address, never X-Forwarded-For:
 * neither Argo nor the spec trusts that header for sessions, and a client that may name its own
 * source would pick a fresh one for every guess. IPv4-mapped IPv6 is the IPv4 address; other IPv6
 * addresses count by their /64, since one host usually holds a whole /64 and could rotate
 * through it.
 */
export function sourceKey(remoteAddress: string | undefined): string | undefined {
  if (!remoteAddress) return undefined;
  const addr = remoteAddress.trim().toLowerCase().replace(/%.*$/, "");
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(addr);
  if (mapped) return mapped[1];
  if (!isIP(addr)) return addr;
  if (isIPv4(addr)) return addr;
  return `${expandIPv6(addr).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(addr: string): string[] {
  const [head = "", tail] = addr.split("::");
  const part = (s: string): string[] => (s === "" ? [] : s.split(":"));
  let left = part(head);
  let right = tail === undefined ? [] : part(tail);
  // An embedded IPv4 tail (::1.2.3.4) is two groups.
  const v4 = (xs: string[]): string[] => xs.flatMap((g) => {
    if (!g.includes(".")) return [g];
    const [a = 0, b = 0, c = 0, d = 0] = g.split(".").map(Number);
    return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  });
  left = v4(left);
  right = v4(right);
  const zeros = Array.from({ length: Math.max(0, 8 - left.length - right.length) }, () => "0");
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}

/**
 * Failures per key within a window, at most `maxSize` keys. Kept in the replica's memory as
 * Argo keeps it (Argo's is per replica too unless Redis is shared): a lock-out is a brake on
 * guessing, not an account state.
 */
class FailureCounter {
  private readonly failures = new Map<string, { count: number; lastFailedMs: number }>();

  constructor(
    private readonly maxFailCount: number,
    private readonly windowSeconds: number,
    private readonly maxSize: number,
    private readonly random: () => number,
    /** A key eviction never drops, so flooding random names cannot unlock it (admin). */
    private readonly keep?: string,
  ) {}

  get size(): number { return this.failures.size; }

  count(key: string, nowMs: number): number {
    const entry = this.failures.get(key);
    if (!entry) return 0;
    if (this.windowSeconds > 0 && nowMs - entry.lastFailedMs > this.windowSeconds * 1000) {
      this.failures.delete(key);
      return 0;
    }
    return entry.count;
  }

  isLockedOut(key: string, nowMs: number): boolean {
    return this.maxFailCount > 0 && this.count(key, nowMs) >= this.maxFailCount;
  }

  record(key: string, nowMs: number): void {
    const count = this.count(key, nowMs);
    if (count === 0 && this.failures.size >= this.maxSize) this.evictOne();
    this.failures.set(key, { count: count + 1, lastFailedMs: nowMs });
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private evictOne(): void {
    const candidates = [...this.failures.keys()].filter((k) => k !== this.keep);
    if (candidates.length === 0) return;
    this.failures.delete(candidates[Math.floor(this.random() * candidates.length)]!);
  }
}

/**
 * How long one failure counts: the failure window, cut to the attempts' expiration (Argo forgets
 * the whole record then); 0 = forever, only when both are 0.
 */
export function effectiveWindowSeconds(s: Pick<RateLimitSettings, "windowSeconds" | "attemptsExpirationSeconds">): number {
  const limits = [s.windowSeconds, s.attemptsExpirationSeconds ?? 0].filter((x) => x > 0);
  return limits.length === 0 ? 0 : Math.min(...limits);
}

/**
 * Failed logins per username (Argo's rule) and per source address (Hawser's addition, see
 * rateLimitSettingsFromEnv). Either lock-out refuses the login, the right password included.
 */
export class LoginRateLimiter {
  private readonly users: FailureCounter;
  private readonly sources: FailureCounter;

  constructor(settings: RateLimitSettings, random: () => number = Math.random) {
    const window = effectiveWindowSeconds(settings);
    this.users = new FailureCounter(settings.maxFailCount, window, settings.maxCacheSize, random, ADMIN);
    this.sources = new FailureCounter(settings.sourceMaxFailCount, window, settings.maxCacheSize, random);
  }

  /** Usernames tracked. */
  get size(): number { return this.users.size; }
  /** Source addresses tracked. */
  get sourceCount(): number { return this.sources.size; }

  /** The failures that still count for `username` at `nowMs` (an expired entry is dropped). */
  failureCount(username: string, nowMs: number): number {
    return this.users.count(username, nowMs);
  }

  /** The failures that still count for the source `remoteAddress` at `nowMs`. */
  sourceFailureCount(remoteAddress: string | undefined, nowMs: number): number {
    const key = sourceKey(remoteAddress);
    return key === undefined ? 0 : this.sources.count(key, nowMs);
  }

  /** Which lock-out refuses this login, if any. */
  lockOut(username: string, nowMs: number, remoteAddress?: string): "user" | "source" | undefined {
    if (this.users.isLockedOut(username, nowMs)) return "user";
    const key = sourceKey(remoteAddress);
    if (key !== undefined && this.sources.isLockedOut(key, nowMs)) return "source";
    return undefined;
  }

  isLockedOut(username: string, nowMs: number, remoteAddress?: string): boolean {
    return this.lockOut(username, nowMs, remoteAddress) !== undefined;
  }

  recordFailure(username: string, nowMs: number, remoteAddress?: string): void {
    this.users.record(username, nowMs);
    const key = sourceKey(remoteAddress);
    if (key !== undefined) this.sources.record(key, nowMs);
  }

  /**
   * Resets the user's count only: a source's failures keep counting until they age out, or an
   * attacker holding one valid account could clear its source's count between guesses at others.
   */
  recordSuccess(username: string): void {
    this.users.reset(username);
  }
}

/** Where revoked token ids live; see RevokedTokens. */
export interface RevocationList {
  isRevoked(jti: string, nowSeconds: number): boolean;
  /** Revokes `jti` until `exp` (seconds; undefined = the token never expires, so neither does this). */
  revoke(jti: string, exp: number | undefined, nowSeconds: number): Promise<void>;
}

export const REVOKED_TOKENS_SECRET = "hawser-revoked-tokens";

/**
 * Revoked token ids, in a Secret of the control namespace (`hawser-revoked-tokens`: key =
 * SHA-256 of the id, value = its expiry in seconds, "0" for never).
 *
 * Why a Secret: Argo keeps revocations in Redis; Hawser's server has no state besides Kubernetes and
 * may run as several replicas, and a logout on one must be refused by all. The server already
 * watches the control namespace's Secrets (ServerState), so every replica sees a revocation
 * within a watch event, and the replica that revoked sees it at once (its own memory). Ids are
 * hashed because a Secret key allows only [-._a-zA-Z0-9] and SSO ids may hold anything; entries are
 * pruned once their token has expired, which bounds the Secret to the tokens still alive.
 */
export class RevokedTokens implements RevocationList {
  private readonly local = new Map<string, number>();

  constructor(private readonly client: KubeClient, private readonly namespace: string, private readonly state: ServerState) {}

  static keyOf(jti: string): string {
    return createHash("sha256").update(jti).digest("hex");
  }

  isRevoked(jti: string, nowSeconds: number): boolean {
    const key = RevokedTokens.keyOf(jti);
    const until = this.local.get(key) ?? expiryOf(this.state.secret(REVOKED_TOKENS_SECRET)?.[key]);
    return until !== undefined && (until === 0 || until > nowSeconds);
  }

  async revoke(jti: string, exp: number | undefined, nowSeconds: number): Promise<void> {
    const key = RevokedTokens.keyOf(jti);
    const until = exp ?? 0;
    if (until !== 0 && until <= nowSeconds) return; // already expired: nothing left to refuse
    this.local.set(key, until);
    const value = Buffer.from(String(until)).toString("base64");
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.client.get<KubeObject & { data?: Record<string, string> }>("v1", "Secret", REVOKED_TOKENS_SECRET, this.namespace);
      if (!current) {
        try {
          await this.client.create({
            apiVersion: "v1", kind: "Secret", type: "Opaque",
            metadata: { name: REVOKED_TOKENS_SECRET, namespace: this.namespace, labels: { "app.kubernetes.io/part-of": "argocd" } },
            data: { [key]: value },
          });
          return;
        } catch (err) {
          if (err instanceof KubeApiError && err.isConflict) continue; // another replica created it: patch instead
          throw err;
        }
      }
      // A merge patch adds our key and drops expired ones without touching other replicas' keys.
      const data: Record<string, string | null> = { [key]: value };
      for (const [k, v] of Object.entries(current.data ?? {})) {
        const e = expiryOf(Buffer.from(v, "base64").toString("utf8"));
        if (k !== key && e !== undefined && e !== 0 && e <= nowSeconds) data[k] = null;
      }
      await this.client.patch({ apiVersion: "v1", kind: "Secret", name: REVOKED_TOKENS_SECRET, namespace: this.namespace }, { data });
      return;
    }
    throw new Error(`could not record the revocation in Secret ${REVOKED_TOKENS_SECRET}`);
  }
}

/** The id a token is revoked by: jti, else uti, else at_hash, else (SSO only) the raw token's digest. */
export function revocationIdOf(claims: Claims, raw: string | undefined): string | undefined {
  const id = [claims.jti, claims.uti, claims.at_hash].find((v): v is string => typeof v === "string" && v !== "");
  if (id) return id;
  return raw && claims.iss !== ARGOCD_ISSUER ? `sha256:${createHash("sha256").update(raw).digest("hex")}` : undefined;
}

function expiryOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export interface SessionDeps {
  state: ServerState;
  revocations: RevocationList;
  limiter: LoginRateLimiter;
  /** Logins in progress at once; 0 = no cap (rateLimitSettingsFromEnv().maxConcurrentLogins). */
  maxConcurrentLogins: number;
  log?: Logger;
  /** Milliseconds since the epoch (tests pass a fake clock). */
  now?: () => number;
  /** Waits the padding out; tests pass one that records and returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1), for the padding. */
  random?: () => number;
  /** Counts logins by outcome: a prom-client Counter named argocd_login_request_total fits. */
  loginRequests?: { inc(labels: { status: "success" | "failure" }): void };
}

/** The bcrypt hash an unknown user's password is compared with, so the miss costs one hash too. */
let timingHash: Promise<string> | undefined;

export class SessionManager {
  private inFlight = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly deps: SessionDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = deps.random ?? Math.random;
  }

  /**
   * `POST /api/v1/session`: checks the credentials and returns a login token. Throws ApiError
   * Unauthenticated `Invalid username or password` for every wrong credential or a lock-out,
   * InvalidArgument for a username over 32 bytes.
   */
  async login(username: string, password: string, remoteAddress?: string): Promise<{ token: string; claims: Claims }> {
    if (Buffer.byteLength(username, "utf8") > MAX_USERNAME_BYTES) throw invalidArgument(`username is too long (${MAX_USERNAME_BYTES} bytes max)`);
    if (password === "") throw unauthenticated(BLANK_PASSWORD);
    const cap = this.deps.maxConcurrentLogins;
    if (cap > 0 && this.inFlight >= cap) {
      this.deps.log?.warn("login refused: too many concurrent login requests", { remoteAddress });
      throw unauthenticated("Failed to process login request: too many concurrent login requests");
    }
    this.inFlight++;
    const started = this.now();
    try {
      let account: string;
      try {
        account = await this.verifyCredentials(username, password, remoteAddress);
        this.deps.loginRequests?.inc({ status: "success" });
      } catch (err) {
        this.deps.loginRequests?.inc({ status: "failure" });
        throw err;
      }
      const key = serverSecretKey(this.deps.state.secret(ARGOCD_SECRET));
      if (!key) throw new ApiError(Code.Unavailable, "the server's signature key is not configured yet");
      const duration = sessionDurationSeconds(this.deps.state.configMap(ARGOCD_CM));
      return await issueToken(key, { subject: `${account}:login`, expiresInSeconds: duration, now: Math.floor(this.now() / 1000) });
    } finally {
      // Pad every answer, right or wrong, to a random 500–1000 ms from the start; the login
      // counts as in progress until it is answered.
      try {
        const target = 500 + Math.floor(this.random() * 500);
        const left = target - (this.now() - started);
        if (left > 0) await this.sleep(left);
      } finally {
        this.inFlight--;
      }
    }
  }

  /** Returns the account name when the credentials are right; throws otherwise. */
  private async verifyCredentials(username: string, password: string, remoteAddress?: string): Promise<string> {
    const { limiter, state, log } = this.deps;
    const lockOut = limiter.lockOut(username, this.now(), remoteAddress);
    if (lockOut) {
      const why = lockOut === "user" ? "user is locked out after repeated failures" : "source address is locked out after repeated failures";
      log?.warn(`login refused: ${why}`, { username, remoteAddress });
      throw unauthenticated(INVALID_LOGIN);
    }
    const account = getAccount(state.configMap(ARGOCD_CM), state.secret(ARGOCD_SECRET), username);
    if (!account || !account.passwordHash) {
      timingHash ??= bcrypt.hash("for timing purposes only", 10);
      await bcrypt.compare(password, await timingHash);
      limiter.recordFailure(username, this.now(), remoteAddress);
      log?.info("login failed", { username, remoteAddress });
      throw unauthenticated(INVALID_LOGIN);
    }
    // bcrypt's own comparison of the digests is constant-time.
    const valid = await bcrypt.compare(password, account.passwordHash);
    if (!valid) {
      limiter.recordFailure(username, this.now(), remoteAddress);
      log?.info("login failed", { username, remoteAddress });
      throw unauthenticated(INVALID_LOGIN);
    }
    // Only a caller who knows the password learns why the account may not log in, as in Argo.
    if (!account.enabled) throw unauthenticated(`Account ${username} is disabled`);
    if (!account.capabilities.includes("login")) throw unauthenticated(`Account ${username} does not have login capability`);
    limiter.recordSuccess(username);
    return account.name;
  }

  /** Verifies an Argo-issued token (see tokens.ts), including revocation. */
  verify(raw: string): Promise<Claims> {
    const now = Math.floor(this.now() / 1000);
    return verifyArgoToken(raw, { state: this.deps.state, now, isRevoked: (jti) => this.deps.revocations.isRevoked(jti, now) });
  }

  /**
   * `GET /auth/logout`: revokes the caller's token id until it expires (SSO tokens use `jti`,
   * else `uti`, else `at_hash`, as Argo). An SSO token with none of them (common for ID tokens
   * from the code flow) is revoked by the digest of `raw` itself, where Argo revokes nothing.
   */
  async logout(claims: Claims | undefined, raw?: string): Promise<void> {
    if (!claims) return;
    const id = revocationIdOf(claims, raw);
    if (!id) return;
    await this.deps.revocations.revoke(id, typeof claims.exp === "number" ? claims.exp : undefined, Math.floor(this.now() / 1000));
  }
}
