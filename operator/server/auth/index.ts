// The auth module's front: what the API server's wiring and routes use. `createServerAuth` builds
// the pieces once per process; the routes call them as the comments of each file say.
import type { KubeClient } from "../../kube/client.js";
import type { Logger } from "../../runtime/logger.js";
import type { Claims, IdTokenVerifier, ServerState } from "../types.js";
import { TokenAuthenticator } from "./authenticator.js";
import { maxCookieNumber } from "./cookies.js";
import { LoginRateLimiter, rateLimitSettingsFromEnv, RevokedTokens, SessionManager } from "./session.js";
import { ARGOCD_ISSUER } from "./tokens.js";

export { bootstrapSecrets } from "./bootstrap.js";
export { updatePassword, generateAccountToken, deleteAccountToken, type AccountAdminDeps } from "./account-admin.js";
export { createProjectToken, deleteProjectToken, type ProjectTokenDeps } from "./project-tokens.js";
export { tokenCookies, clearTokenCookies, parseCookieHeader, tokenCookieCount, TOKEN_COOKIE, type CookieOptions } from "./cookies.js";
export { parseAccounts, getAccount, type Account } from "./accounts.js";
export { TokenAuthenticator, tokenOf, DISABLED_AUTH_CLAIMS } from "./authenticator.js";
export { SessionManager, LoginRateLimiter, RevokedTokens } from "./session.js";

export interface ServerAuth {
  authenticator: TokenAuthenticator;
  sessions: SessionManager;
  revocations: RevokedTokens;
  /** The login limiter; pass it to updatePassword so current-password guesses count too. */
  limiter: LoginRateLimiter;
  /** ARGOCD_MAX_COOKIE_NUMBER, for tokenCookies(). */
  maxCookieParts: number;
}

/**
 * Builds the authenticator, the session manager (with Argo's login rate-limit env vars) and the
 * shared revocation list. Throws, naming the variable, when an env var is malformed.
 */
export function createServerAuth(deps: {
  client: KubeClient;
  namespace: string;
  state: ServerState;
  idTokens?: IdTokenVerifier;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** server.disable.auth: every caller is admin (see TokenAuthenticator). */
  disableAuth?: boolean;
  /** server.http.cookie.maxnumber; default ARGOCD_MAX_COOKIE_NUMBER, else 20. */
  maxCookieParts?: number;
  /** server.login.attempts.expiration: how long failed logins are remembered at most. */
  loginAttemptsExpirationMs?: number;
  /** e.g. a prom-client Counter `argocd_login_request_total` with label `status`. */
  loginRequests?: { inc(labels: { status: "success" | "failure" }): void };
}): ServerAuth {
  const env = deps.env ?? process.env;
  const settings = rateLimitSettingsFromEnv(env, deps.loginAttemptsExpirationMs);
  const maxCookieParts = deps.maxCookieParts ?? maxCookieNumber(env);
  const revocations = new RevokedTokens(deps.client, deps.namespace, deps.state);
  const limiter = new LoginRateLimiter(settings);
  const sessions = new SessionManager({
    state: deps.state, revocations, limiter, maxConcurrentLogins: settings.maxConcurrentLogins,
    ...(deps.log ? { log: deps.log } : {}), ...(deps.loginRequests ? { loginRequests: deps.loginRequests } : {}),
  });
  const authenticator = new TokenAuthenticator({
    state: deps.state, sessions, revocations, maxCookieParts, ...(deps.disableAuth ? { disableAuth: true } : {}),
    ...(deps.idTokens ? { idTokens: deps.idTokens } : {}), ...(deps.log ? { log: deps.log } : {}),
  });
  return { authenticator, sessions, revocations, limiter, maxCookieParts };
}

/** `GET /api/v1/session/userinfo`'s body (Go's omitempty: empty fields are left out). */
export interface UserInfo {
  loggedIn?: boolean;
  username?: string;
  iss?: string;
  groups?: string[];
}

/**
 * The userinfo of verified claims: {} when anonymous. Local users are their account name; SSO users
 * `email`, else `federated_claims.user_id`, else `sub`; groups are the values of the claims named
 * by argocd-rbac-cm `scopes` (default ["groups"]), strings or lists.
 */
export function userInfo(claims: Claims | undefined, scopes: string[] = ["groups"]): UserInfo {
  if (!claims) return {};
  const out: UserInfo = { loggedIn: true };
  const username = claims.iss === ARGOCD_ISSUER
    ? claims.sub
    : (typeof claims.email === "string" && claims.email) || claims.federated_claims?.user_id || claims.sub;
  if (username) out.username = username;
  if (claims.iss) out.iss = claims.iss;
  const groups: string[] = [];
  for (const scope of scopes) {
    const value = claims[scope];
    for (const g of Array.isArray(value) ? value : [value]) if (typeof g === "string" && g !== "" && !groups.includes(g)) groups.push(g);
  }
  if (groups.length > 0) out.groups = groups;
  return out;
}
