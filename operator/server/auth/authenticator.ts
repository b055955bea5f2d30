// Who is calling (argo-cd-server.md §2.1): the token from `Authorization: Bearer` (three
// dot-separated parts) or else the `argocd.token` cookie (joined from its parts), routed by its
// `iss`: "argocd" is ours (verified by the SessionManager), anything else is an SSO ID token for
// the IdTokenVerifier, refused when SSO is not configured.
import type { Logger } from "../../runtime/logger.js";
import { ApiError, Code, unauthenticated } from "../http/errors.js";
import type { AuthRequest, Authenticated, Authenticator, Claims, IdTokenVerifier, ServerState } from "../types.js";
import { anonymousEnabled, ARGOCD_CM, ARGOCD_SECRET, serverSecretKey } from "./accounts.js";
import { DEFAULT_MAX_COOKIE_NUMBER, parseCookieHeader, tokenFromCookies } from "./cookies.js";
import { revocationIdOf, type RevocationList, type SessionManager } from "./session.js";
import { ARGOCD_ISSUER, peekClaims, renewedToken, TokenError } from "./tokens.js";

export interface AuthenticatorDeps {
  state: ServerState;
  sessions: SessionManager;
  revocations: RevocationList;
  /** SSO (operator/server/auth's OIDC sibling); without it only Argo-issued tokens are accepted. */
  idTokens?: IdTokenVerifier;
  maxCookieParts?: number;
  /**
   * server.disable.auth: no token is looked at and every caller is the local admin (Argo's
   * --disable-auth; the RBAC enforcer is switched off alongside).
   */
  disableAuth?: boolean;
  log?: Logger;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

function header(request: AuthRequest, name: string): string | undefined {
  const v = request.headers[name] ?? request.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The raw token of a request, or undefined when it carries none. Throws when a cookie is malformed. */
export function tokenOf(request: AuthRequest, maxCookieParts = DEFAULT_MAX_COOKIE_NUMBER): string | undefined {
  const auth = header(request, "authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m && m[1]!.split(".").length === 3) return m[1];
  }
  return tokenFromCookies(parseCookieHeader(request.headers.cookie), maxCookieParts);
}

/** Who every caller is with server.disable.auth: the local admin. */
export const DISABLED_AUTH_CLAIMS: Readonly<Claims> = Object.freeze({ iss: ARGOCD_ISSUER, sub: "admin" });

export class TokenAuthenticator implements Authenticator {
  private readonly now: () => number;

  constructor(private readonly deps: AuthenticatorDeps) {
    this.now = deps.now ?? Date.now;
  }

  async authenticate(request: AuthRequest, options: { optional?: boolean } = {}): Promise<Authenticated> {
    if (this.deps.disableAuth) return { claims: { ...DISABLED_AUTH_CLAIMS } };
    // Anonymous access and optional endpoints both let a caller without a valid token through
    // with no claims; everyone else gets the reason.
    const lenient = options.optional === true || anonymousEnabled(this.deps.state.configMap(ARGOCD_CM));
    let raw: string | undefined;
    try {
      raw = tokenOf(request, this.deps.maxCookieParts);
    } catch (err) {
      if (lenient) return { claims: undefined };
      throw unauthenticated(`invalid session: ${(err as Error).message}`);
    }
    if (raw === undefined) {
      if (lenient) return { claims: undefined };
      throw unauthenticated("no session information");
    }
    try {
      return await this.verify(raw);
    } catch (err) {
      if (lenient) return { claims: undefined };
      // The SSO verifier's refusals already read "invalid session: <reason>": prefixing them again
      // doubled it.
      if (isUnauthenticated(err)) throw err;
      const reason = err instanceof TokenError ? err.message : "token could not be verified";
      if (!(err instanceof TokenError)) this.deps.log?.debug("token verification failed", { error: (err as Error).message });
      throw unauthenticated(`invalid session: ${reason}`);
    }
  }

  /** Verifies a raw token by its issuer; throws TokenError (or the verifier's error) when refused. */
  async verify(raw: string): Promise<Authenticated> {
    const peeked = peekClaims(raw);
    if (!peeked) throw new TokenError("token is malformed");
    if (peeked.iss === ARGOCD_ISSUER) {
      const claims = await this.deps.sessions.verify(raw);
      const key = serverSecretKey(this.deps.state.secret(ARGOCD_SECRET));
      const renewed = key ? await renewedToken(raw, claims, key, Math.floor(this.now() / 1000)) : undefined;
      return renewed ? { claims, renewedToken: renewed } : { claims };
    }
    const verifier = this.deps.idTokens;
    if (!verifier) throw new TokenError("SSO is not configured");
    let claims: Claims;
    try {
      claims = await verifier.verify(raw);
    } catch (err) {
      if (isUnauthenticated(err)) throw err;
      throw new TokenError(err instanceof Error ? err.message : "ID token could not be verified");
    }
    // A logged-out SSO token is refused like ours (its id: jti, else uti, else at_hash, else its digest).
    const id = revocationIdOf(claims, raw);
    if (id && this.deps.revocations.isRevoked(id, Math.floor(this.now() / 1000))) throw new TokenError("token is revoked, please re-login");
    // Near its expiry the IdP's refresh token buys a new ID token, returned like a renewed login
    // token so the HTTP layer sets it as the cookie.
    let renewed: { token: string; claims: Claims } | undefined;
    try {
      renewed = await verifier.refresh?.(raw, claims);
    } catch (err) {
      if (isUnauthenticated(err)) throw err;
      throw new TokenError(err instanceof Error ? err.message : "ID token could not be refreshed");
    }
    return renewed ? { claims: renewed.claims, renewedToken: renewed.token } : { claims };
  }
}

/** A refusal that is already the answer (ApiError Unauthenticated, message "invalid session: …"). */
function isUnauthenticated(err: unknown): err is ApiError {
  return err instanceof ApiError && err.code === Code.Unauthenticated;
}
