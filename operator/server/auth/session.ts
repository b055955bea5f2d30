// Logging in with a local account and out again (argo-cd-server.md §2.2, §2.5, §2.6 logout).
//
// Login: an enabled account with the `login` capability and the right bcrypt password gets a
// `<user>:login` token lasting `users.session.duration`. Guessing is made slow and unrewarding the
// way Argo does it: failures are counted per username and lock the name out for a window, the
// number of logins in progress is capped, an unknown user still costs one bcrypt comparison, and
// every check takes a random 500–1000 ms so the answer's timing says nothing.
import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { KubeApiError } from "../../kube/client.js";
import type { Logger } from "../../runtime/logger.js";
import { ApiError, Code, invalidArgument, unauthenticated } from "../http/errors.js";
import type { Claims, ServerState } from "../types.js";
import { ADMIN, ARGOCD_CM, ARGOCD_SECRET, getAccount, serverSecretKey, sessionDurationSeconds } from "./accounts.js";
import { issueToken, verifyArgoToken } from "./tokens.js";

export const INVALID_LOGIN = "Invalid username or password";
export const BLANK_PASSWORD = "Blank passwords are not allowed";
export const MAX_USERNAME_BYTES = 32;

export interface RateLimitSettings {
  /** Failures before a username is locked out; 0 disables the lock-out. */
  maxFailCount: number;
  /** How long a failure counts, in seconds; 0 = forever. */
  windowSeconds: number;
  /** Usernames tracked at most. */
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

/**
 * Argo's environment variables with Argo's defaults. A malformed value stops the server with an
 * error naming the variable rather than silently weakening the protection.
 */
export function rateLimitSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitSettings {
  const replicas = envInt(env, "ARGOCD_API_SERVER_REPLICAS", 1, 1);
  const total = envInt(env, "ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT", 50, 0);
  return {
    maxFailCount: envInt(env, "ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT", 5, 0),
    windowSeconds: envInt(env, "ARGOCD_SESSION_FAILURE_WINDOW_SECONDS", 300, 0),
    maxCacheSize: envInt(env, "ARGOCD_SESSION_MAX_CACHE_SIZE", 10_000, 1),
    // The cap is for the whole installation, so each replica takes its share (at least one).
    maxConcurrentLogins: total === 0 ? 0 : Math.max(1, Math.floor(total / replicas)),
  };
}

/**
 * Failed logins per username. Kept in the replica's memory as Argo keeps it (Argo's is per
 * replica too unless Redis is shared): a lock-out is a brake on guessing, not an account state.
 */
export class LoginRateLimiter {
  private readonly failures = new Map<string, { count: number; lastFailedMs: number }>();

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number { return this.failures.size; }

  /** The failures that still count for `username` at `nowMs` (an expired entry is dropped). */
  failureCount(username: string, nowMs: number): number {
    const entry = this.failures.get(username);
    if (!entry) return 0;
    if (this.settings.windowSeconds > 0 && nowMs - entry.lastFailedMs > this.settings.windowSeconds * 1000) {
      this.failures.delete(username);
      return 0;
    }
    return entry.count;
  }

  isLockedOut(username: string, nowMs: number): boolean {
    return this.settings.maxFailCount > 0 && this.failureCount(username, nowMs) >= this.settings.maxFailCount;
  }

  recordFailure(username: string, nowMs: number): void {
    const count = this.failureCount(username, nowMs);
    if (count === 0 && this.failures.size >= this.settings.maxCacheSize) this.evictOne();
    this.failures.set(username, { count: count + 1, lastFailedMs: nowMs });
  }

  recordSuccess(username: string): void {
    this.failures.delete(username);
  }

  /** A random non-admin entry goes, so flooding random names cannot unlock admin. */
  private evictOne(): void {
    const candidates = [...this.failures.keys()].filter((k) => k !== ADMIN);
    if (candidates.length === 0) return;
    this.failures.delete(candidates[Math.floor(this.random() * candidates.length)]!);
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
    if (limiter.isLockedOut(username, this.now())) {
      log?.warn("login refused: user is locked out after repeated failures", { username, remoteAddress });
      throw unauthenticated(INVALID_LOGIN);
    }
    const account = getAccount(state.configMap(ARGOCD_CM), state.secret(ARGOCD_SECRET), username);
    if (!account || !account.passwordHash) {
      timingHash ??= bcrypt.hash("for timing purposes only", 10);
      await bcrypt.compare(password, await timingHash);
      limiter.recordFailure(username, this.now());
      log?.info("login failed", { username, remoteAddress });
      throw unauthenticated(INVALID_LOGIN);
    }
    // bcrypt's own comparison of the digests is constant-time.
    const valid = await bcrypt.compare(password, account.passwordHash);
    if (!valid) {
      limiter.recordFailure(username, this.now());
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
   * else `uti`, else `at_hash`, as Argo). Claims without any id revoke nothing.
   */
  async logout(claims: Claims | undefined): Promise<void> {
    if (!claims) return;
    const id = [claims.jti, claims.uti, claims.at_hash].find((v): v is string => typeof v === "string" && v !== "");
    if (!id) return;
    await this.deps.revocations.revoke(id, typeof claims.exp === "number" ? claims.exp : undefined, Math.floor(this.now() / 1000));
  }
}
