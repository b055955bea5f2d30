// SSO with an OpenID Connect provider (argo-cd-server.md §2.6): the login redirect, the OAuth2
// callback, ID token verification, the logout URL and the settings view. The HTTP layer owns the
// routes and cookies; this class owns the protocol. It reads argocd-cm and the Secrets through
// ServerState on every call, so an edited oidc.config takes effect without a restart: the discovery
// document and the JWKS are cached per resolved configuration and rebuilt when it changes.
import { createHash, hkdfSync } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import * as jose from "jose";
import * as client from "openid-client";
import { errorMessage } from "../../../util/index.js";
import { ApiError, Code, invalidArgument, unauthenticated } from "../../http/errors.js";
import { subjectOf, type Claims, type IdTokenVerifier, type ServerState } from "../../types.js";
import {
  ARGOCD_CM, ARGOCD_SECRET, dexConfigured, DEX_UNSUPPORTED, parseSsoSettings, SsoConfigError, type IdTokenClaimRequest, type ParsedSsoSettings,
  type SsoSettings,
} from "./config.js";

export const STATE_COOKIE = "argocd.oauthstate";
/** Argo keeps the login state for 5 minutes. */
export const STATE_COOKIE_MAX_AGE_SECONDS = 5 * 60;
export const SECRET_KEY = "server.secretkey";
export const CALLBACK_PATH = "/auth/callback";
/** An IdP answer larger than this is refused (discovery, JWKS and token responses are a few KB). */
const MAX_IDP_RESPONSE_BYTES = 1024 * 1024;

export interface SsoClientOptions {
  state: ServerState;
  /** `--basehref` (default "/"): the state cookie's path, as for argocd.token. */
  basehref?: string;
  /** `--insecure` (plain HTTP): the state cookie then has no Secure attribute. */
  insecure?: boolean;
  /** The clock for token expiry (ms since the epoch); tests move it instead of waiting. */
  now?: () => number;
  /**
   * server.oidc.cache.expiration: how long a login's state is accepted back from the IdP (Argo's
   * 3m by default; `hawser server` passes the setting). The state cookie itself always lives
   * Argo's 5 minutes, so a longer setting is bounded by it, as in Argo. Unset here: 5 minutes.
   */
  stateMaxAgeSeconds?: number;
}

export interface StateCookie {
  name: typeof STATE_COOKIE;
  value: string;
  maxAgeSeconds: number;
  /** The whole Set-Cookie header value. */
  header: string;
}

export interface LoginRedirect {
  /** The IdP's authorize URL; answer 303 with it. */
  location: string;
  stateCookie: StateCookie;
}

export interface CallbackResult {
  /** The IdP's raw ID token: Argo sets it as argocd.token as it is (no token of its own for SSO). */
  idToken: string;
  /** Where to send the browser (303) once the cookie is set. */
  returnUrl: string;
  /** The verified claims of idToken. */
  claims: Claims;
  /** Set-Cookie header value that removes the state cookie (it is single-use). */
  clearStateCookie: string;
}

/** GET /api/v1/settings `oidcConfig` (Argo's field names; never the client secret). */
export interface OidcSettingsView {
  name?: string;
  issuer: string;
  clientID: string;
  cliClientID?: string;
  scopes?: string[];
  idTokenClaims?: Record<string, IdTokenClaimRequest | null>;
  enablePKCEAuthentication?: boolean;
}

export interface SsoStatus {
  configured: boolean;
  warnings: string[];
  /** Why SSO cannot work with the current settings (names the key); undefined when it can. */
  error?: string;
}

/** What the encrypted state cookie carries from the login to the callback. */
interface LoginState {
  state: string;
  nonce: string;
  returnUrl: string;
  redirectUri: string;
  codeVerifier?: string;
}

/** What the server keeps of an SSO login (memory of this replica; see compatibility.md oidc.config). */
interface SessionTokens {
  accessToken?: string;
  refreshToken?: string;
  /** The ID token's expiry: the entry is useless after it. */
  expiresAtMs: number;
}

/** Sessions whose IdP tokens are kept at most. */
const MAX_SESSIONS = 10_000;

const digest = (raw: string): string => createHash("sha256").update(raw).digest("hex");

/** Argo replaces the `groups` claim with UserInfo's (absent there: no groups). */
function withGroups(claims: Claims, groups: unknown): Claims {
  const out: Claims = { ...claims };
  delete out.groups;
  if (typeof groups === "string") out.groups = groups;
  else if (Array.isArray(groups)) out.groups = groups.filter((g): g is string => typeof g === "string");
  return out;
}

/** Discovery result and key set for one resolved configuration. */
interface Provider {
  configuration: client.Configuration;
  jwks: ReturnType<typeof jose.createRemoteJWKSet>;
  issuer: string;
  algorithms: string[];
}

export class SsoClient implements IdTokenVerifier {
  readonly #state: ServerState;
  readonly #basehref: string;
  readonly #insecure: boolean;
  readonly #now: () => number;
  readonly #stateMaxAge: number;
  #provider: { key: string; promise: Promise<Provider> } | undefined;
  /** The IdP's access and refresh tokens of each session, by the digest of its ID token. */
  readonly #sessions = new Map<string, SessionTokens>();
  /** UserInfo answers, by the digest of the ID token they were fetched for. */
  readonly #userInfo = new Map<string, { groups: unknown; fetchedAtMs: number }>();

  constructor(options: SsoClientOptions) {
    this.#state = options.state;
    this.#basehref = options.basehref ?? "/";
    this.#insecure = options.insecure ?? false;
    this.#now = options.now ?? Date.now;
    // At least a second: a cookie with Max-Age=0 is deleted at once.
    this.#stateMaxAge = Math.max(1, Math.round(options.stateMaxAgeSeconds ?? STATE_COOKIE_MAX_AGE_SECONDS));
  }

  /** The current settings, their warnings and any error, for the server to log when they change. */
  status(): SsoStatus {
    const dex = dexConfigured(this.#state.configMap(ARGOCD_CM)) ? [DEX_UNSUPPORTED] : [];
    try {
      const parsed = this.#parse();
      return { configured: parsed.settings !== undefined, warnings: [...dex, ...parsed.warnings] };
    } catch (err) {
      return { configured: true, warnings: dex, error: errorMessage(err) };
    }
  }

  /** Whether oidc.config is set (the UI then shows "Log in via <name>"). */
  isConfigured(): boolean {
    return this.status().configured;
  }

  /**
   * GET /auth/login?return_url=…: the IdP authorize URL and the state cookie to set.
   * `requestBaseUrl` (scheme://host[:port] the request came to) picks the matching `url` or
   * `additionalUrls` entry for the redirect URI; it defaults to `url`.
   */
  async loginRedirect(returnUrl: string | undefined, requestBaseUrl?: string): Promise<LoginRedirect> {
    const settings = this.#settingsOrThrow();
    const bases = [settings.url, ...settings.additionalUrls];
    const base = (requestBaseUrl && bases.find((b) => sameOrigin(b, requestBaseUrl))) || settings.url;
    if (returnUrl !== undefined && returnUrl !== "" && !isValidReturnUrl(returnUrl, bases)) {
      throw invalidArgument("Invalid return_url: the scheme, host and port must match url or an additionalUrls entry, and the path must be inside it");
    }
    const key = this.#stateKey();
    const provider = await this.#providerOrUnavailable(settings);
    const login: LoginState = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      returnUrl: returnUrl || `${base}/`,
      redirectUri: new URL(`${base}${CALLBACK_PATH}`).href,
    };
    const params: Record<string, string> = {
      redirect_uri: login.redirectUri,
      scope: settings.oidc.scopes.join(" "),
      state: login.state,
      nonce: login.nonce,
    };
    if (settings.oidc.enablePKCEAuthentication) {
      login.codeVerifier = client.randomPKCECodeVerifier();
      params.code_challenge = await client.calculatePKCECodeChallenge(login.codeVerifier);
      params.code_challenge_method = "S256";
    }
    if (settings.oidc.requestedIDTokenClaims) params.claims = JSON.stringify({ id_token: settings.oidc.requestedIDTokenClaims });
    if (settings.oidc.domainHint) params.domain_hint = settings.oidc.domainHint;
    const location = client.buildAuthorizationUrl(provider.configuration, params).href;
    const value = await new jose.EncryptJWT({ ...login })
      .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
      .setIssuedAt(this.#seconds())
      .setExpirationTime(this.#seconds() + this.#stateMaxAge)
      .encrypt(key);
    return {
      location,
      stateCookie: { name: STATE_COOKIE, value, maxAgeSeconds: STATE_COOKIE_MAX_AGE_SECONDS, header: this.#cookieHeader(value, STATE_COOKIE_MAX_AGE_SECONDS) },
    };
  }

  /**
   * GET /auth/callback: checks the IdP's answer against the state cookie, exchanges the code
   * (with the PKCE verifier when enabled) and verifies the ID token (signature, issuer, audience,
   * expiry, nonce). 400 for an `error` answer or a bad state; 500 when the exchange fails, as Argo.
   */
  async callback(query: URLSearchParams | Record<string, string | string[] | undefined>, stateCookieValue: string | undefined): Promise<CallbackResult> {
    const params = toSearchParams(query);
    const error = params.get("error");
    if (error !== null) {
      const description = params.get("error_description");
      throw invalidArgument(`${error}${description ? `: ${description}` : ""}`.slice(0, 500));
    }
    const settings = this.#settingsOrThrow();
    const login = await this.#readState(stateCookieValue);
    if (params.get("state") !== login.state) throw invalidArgument("invalid state: the state parameter does not match the login's");
    if (!params.get("code")) throw invalidArgument("no code in the callback");
    const provider = await this.#providerOrUnavailable(settings);
    const currentUrl = new URL(login.redirectUri);
    currentUrl.search = params.toString();
    let tokens: client.TokenEndpointResponse;
    try {
      tokens = await client.authorizationCodeGrant(provider.configuration, currentUrl, {
        expectedState: login.state,
        expectedNonce: login.nonce,
        pkceCodeVerifier: login.codeVerifier,
        idTokenExpected: true,
      });
    } catch (err) {
      throw new ApiError(Code.Internal, `failed to get token: ${oauthErrorMessage(err)}`);
    }
    const idToken = tokens.id_token;
    if (!idToken) throw new ApiError(Code.Internal, "failed to get token: no id_token in the token response");
    let claims: Claims;
    try {
      claims = await this.#verifyWith(provider, settings, idToken);
    } catch (err) {
      throw new ApiError(Code.Internal, `invalid session token: ${errorMessage(err)}`);
    }
    if (claims.nonce !== login.nonce) throw new ApiError(Code.Internal, "invalid session token: nonce does not match");
    this.#remember(idToken, claims, tokens);
    return { idToken, returnUrl: login.returnUrl, claims, clearStateCookie: this.#cookieHeader("", 0) };
  }

  /**
   * IdTokenVerifier: the claims of a valid ID token from the configured issuer. Throws ApiError
   * Unauthenticated "invalid session: <reason>" otherwise (ready to answer as is).
   */
  async verify(rawIdToken: string): Promise<Claims> {
    let settings: SsoSettings | undefined;
    try {
      settings = this.#parse().settings;
    } catch (err) {
      throw unauthenticated(`invalid session: SSO is misconfigured: ${errorMessage(err)}`);
    }
    if (!settings) throw unauthenticated("invalid session: SSO is not configured");
    let provider: Provider;
    try {
      provider = await this.#providerFor(settings);
    } catch (err) {
      throw unauthenticated(`invalid session: cannot reach the OIDC issuer: ${errorMessage(err)}`);
    }
    let claims: Claims;
    try {
      claims = await this.#verifyWith(provider, settings, rawIdToken);
    } catch (err) {
      throw unauthenticated(`invalid session: ${errorMessage(err)}`);
    }
    if (settings.oidc.userInfo) claims = await this.#withUserInfoGroups(provider, settings, rawIdToken, claims);
    return claims;
  }

  /**
   * refreshTokenThreshold: when a valid ID token has less than the threshold left, a new one from
   * the IdP's token endpoint with the session's refresh token (kept from the login), verified like
   * the first. undefined when no refresh is due or possible: the current token then stays in use
   * until it expires, as in Argo. The caller sets the new token as the session cookie.
   */
  async refresh(rawIdToken: string, claims: Claims): Promise<{ token: string; claims: Claims } | undefined> {
    const settings = this.#parseQuiet();
    const threshold = settings?.oidc.refreshTokenThresholdMs ?? 0;
    if (!settings || threshold <= 0 || typeof claims.exp !== "number") return undefined;
    if (claims.exp * 1000 - this.#now() > threshold) return undefined;
    const key = digest(rawIdToken);
    const session = this.#sessions.get(key);
    if (!session?.refreshToken) return undefined;
    let provider: Provider;
    let tokens: client.TokenEndpointResponse;
    try {
      provider = await this.#providerFor(settings);
      tokens = await client.refreshTokenGrant(provider.configuration, session.refreshToken);
    } catch {
      // An IdP that no longer honours the refresh token ends the session at the ID token's expiry.
      this.#sessions.set(key, { ...session, refreshToken: undefined });
      return undefined;
    }
    const token = tokens.id_token;
    if (!token) return undefined;
    let fresh: Claims;
    try {
      fresh = await this.#verifyWith(provider, settings, token);
    } catch {
      return undefined; // not a token to hand out; the current one stays valid until it expires
    }
    // A refreshed ID token must be the same user's (OpenID Connect Core §12.2).
    if (fresh.sub !== claims.sub || fresh.iss !== claims.iss) return undefined;
    // The old token keeps its access token (requests already on their way still carry it) but
    // gives its refresh token to the new one. Set first: within the same second the IdP may sign
    // the very same token again, and then the new entry is the one that stays.
    this.#sessions.set(key, { ...session, refreshToken: undefined });
    this.#remember(token, fresh, { ...tokens, refresh_token: tokens.refresh_token ?? session.refreshToken });
    return { token, claims: await this.verify(token) };
  }

  /** Keeps the IdP's tokens of a new session; drops sessions whose ID token has expired. */
  #remember(idToken: string, claims: Claims, tokens: { access_token?: string; refresh_token?: string }): void {
    const now = this.#now();
    for (const [k, v] of this.#sessions) if (v.expiresAtMs <= now) this.#sessions.delete(k);
    for (const [k, v] of this.#userInfo) if (!this.#sessions.has(k) && v.fetchedAtMs < now - 24 * 3600_000) this.#userInfo.delete(k);
    // Bounded: the oldest session goes first (its user logs in again once its token lapses).
    while (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    this.#sessions.set(digest(idToken), {
      accessToken: tokens.access_token || undefined,
      refreshToken: tokens.refresh_token || undefined,
      expiresAtMs: typeof claims.exp === "number" ? claims.exp * 1000 : now,
    });
  }

  /**
   * enableUserInfoGroups: the `groups` claim replaced by the UserInfo endpoint's, fetched with the
   * session's access token and reused for userInfoCacheExpiration. Fails closed: without an
   * answer (no access token on this server, the IdP refusing, another subject) the session is
   * refused rather than granted the ID token's groups.
   */
  async #withUserInfoGroups(provider: Provider, settings: SsoSettings, rawIdToken: string, claims: Claims): Promise<Claims> {
    const userInfo = settings.oidc.userInfo!;
    const key = digest(rawIdToken);
    const cached = this.#userInfo.get(key);
    if (cached && this.#now() - cached.fetchedAtMs < userInfo.cacheMs) return withGroups(claims, cached.groups);
    const accessToken = this.#sessions.get(key)?.accessToken;
    if (!accessToken) {
      throw unauthenticated("invalid session: enableUserInfoGroups needs the access token of the login, which this server does not hold (log in again)");
    }
    const res = await idpFetch(settings.oidc.rootCA, settings.insecureSkipVerify)(userInfo.url, {
      method: "GET", headers: { authorization: `Bearer ${accessToken}`, accept: "application/json, application/jwt" },
    }).catch((err: unknown) => {
      throw unauthenticated(`invalid session: the UserInfo endpoint cannot be reached: ${errorMessage(err)}`);
    });
    if (res.status === 401 || res.status === 403) throw unauthenticated("invalid session: the UserInfo endpoint refused the session's access token");
    if (res.status !== 200) throw unauthenticated(`invalid session: invalid userinfo response (HTTP ${res.status})`);
    const body = await res.text();
    let info: Record<string, unknown>;
    try {
      info = (res.headers.get("content-type") ?? "").startsWith("application/jwt")
        ? (await jose.jwtVerify(body.trim(), provider.jwks, { issuer: provider.issuer, algorithms: provider.algorithms })).payload
        : JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw unauthenticated("invalid session: invalid userinfo response");
    }
    if (info === null || typeof info !== "object" || info.sub !== claims.sub) {
      throw unauthenticated("invalid session: subject of claims from user info endpoint didn't match subject of idToken");
    }
    this.#userInfo.set(key, { groups: info.groups, fetchedAtMs: this.#now() });
    return withGroups(claims, info.groups);
  }

  /**
   * GET /auth/logout for an SSO token: the IdP logout URL with {{token}} and {{logoutRedirectURL}}
   * substituted, or undefined when no logoutURL is set (then redirect to `url`).
   */
  logoutUrl(idToken: string, redirect: string): string | undefined {
    const logoutURL = this.#parseQuiet()?.oidc.logoutURL;
    if (!logoutURL) return undefined;
    // The token is base64url and dots; the redirect goes into a query, so it is escaped.
    return logoutURL.replaceAll("{{token}}", idToken).replaceAll("{{logoutRedirectURL}}", encodeURIComponent(redirect));
  }

  /** GET /api/v1/settings `oidcConfig`, or undefined when SSO is not (validly) configured. */
  settingsView(): OidcSettingsView | undefined {
    const oidc = this.#parseQuiet()?.oidc;
    if (!oidc) return undefined;
    const view: OidcSettingsView = { issuer: oidc.issuer, clientID: oidc.clientID };
    // Argo's messages are omitempty: unset and false fields are left out.
    if (oidc.name) view.name = oidc.name;
    if (oidc.cliClientID) view.cliClientID = oidc.cliClientID;
    if (oidc.requestedScopes && oidc.requestedScopes.length > 0) view.scopes = [...oidc.requestedScopes];
    if (oidc.requestedIDTokenClaims && Object.keys(oidc.requestedIDTokenClaims).length > 0) view.idTokenClaims = structuredClone(oidc.requestedIDTokenClaims);
    if (oidc.enablePKCEAuthentication) view.enablePKCEAuthentication = true;
    return view;
  }

  #parse(): ParsedSsoSettings {
    return parseSsoSettings(this.#state.configMap(ARGOCD_CM), this.#state);
  }

  #parseQuiet(): SsoSettings | undefined {
    try {
      return this.#parse().settings;
    } catch {
      return undefined;
    }
  }

  #settingsOrThrow(): SsoSettings {
    let parsed: ParsedSsoSettings;
    try {
      parsed = this.#parse();
    } catch (err) {
      if (err instanceof SsoConfigError) throw new ApiError(Code.FailedPrecondition, `SSO is misconfigured: ${err.message}`);
      throw err;
    }
    if (!parsed.settings) {
      if (dexConfigured(this.#state.configMap(ARGOCD_CM))) throw new ApiError(Code.FailedPrecondition, DEX_UNSUPPORTED);
      throw new ApiError(Code.FailedPrecondition, "SSO is not configured (argocd-cm oidc.config)");
    }
    return parsed.settings;
  }

  async #providerOrUnavailable(settings: SsoSettings): Promise<Provider> {
    try {
      return await this.#providerFor(settings);
    } catch (err) {
      throw new ApiError(Code.Unavailable, `cannot reach the OIDC issuer ${settings.oidc.issuer}: ${errorMessage(err)}`);
    }
  }

  /** Discovery once per resolved configuration; a failure is not kept, so the next call retries. */
  #providerFor(settings: SsoSettings): Promise<Provider> {
    // A digest, so the cache key holds no secret even in a heap dump.
    const key = createHash("sha256").update(JSON.stringify(settings)).digest("hex");
    if (this.#provider?.key === key) return this.#provider.promise;
    const promise = discover(settings);
    const entry = { key, promise };
    this.#provider = entry;
    promise.catch(() => {
      if (this.#provider === entry) this.#provider = undefined;
    });
    return promise;
  }

  async #verifyWith(provider: Provider, settings: SsoSettings, raw: string): Promise<Claims> {
    let unverified: jose.JWTPayload;
    try {
      unverified = jose.decodeJwt(raw);
    } catch {
      throw new Error("not a JWT");
    }
    const aud = unverified.aud;
    const hasAudience = typeof aud === "string" ? aud !== "" : Array.isArray(aud) && aud.length > 0;
    // As Argo: a token without an audience passes only when the config says so; one with an
    // audience must name an allowed one (clientID and cliClientID unless allowedAudiences is set).
    if (!hasAudience && !settings.oidc.skipAudienceCheckWhenTokenHasNoAudience) {
      throw new Error("token has no audience (skipAudienceCheckWhenTokenHasNoAudience is not set)");
    }
    try {
      const { payload } = await jose.jwtVerify(raw, provider.jwks, {
        issuer: provider.issuer,
        audience: hasAudience ? settings.oidc.allowedAudiences : undefined,
        algorithms: provider.algorithms,
        requiredClaims: ["exp"],
        currentDate: new Date(this.#now()),
      });
      return payload;
    } catch (err) {
      throw new Error(describeJoseError(err, provider.issuer));
    }
  }

  async #readState(value: string | undefined): Promise<LoginState> {
    if (!value) throw invalidArgument(`invalid state: no ${STATE_COOKIE} cookie (the login took over 5 minutes, or cookies are blocked)`);
    try {
      const { payload } = await jose.jwtDecrypt(value, this.#stateKey(), {
        keyManagementAlgorithms: ["dir"],
        contentEncryptionAlgorithms: ["A256GCM"],
        currentDate: new Date(this.#now()),
      });
      const { state, nonce, returnUrl, redirectUri, codeVerifier } = payload;
      if (typeof state !== "string" || typeof nonce !== "string" || typeof returnUrl !== "string" || typeof redirectUri !== "string") {
        throw new Error("incomplete");
      }
      return { state, nonce, returnUrl, redirectUri, codeVerifier: typeof codeVerifier === "string" ? codeVerifier : undefined };
    } catch (err) {
      if (err instanceof jose.errors.JWTExpired) throw invalidArgument(`invalid state: the ${STATE_COOKIE} cookie has expired (log in again)`);
      throw invalidArgument(`invalid state: the ${STATE_COOKIE} cookie was not issued by this server`);
    }
  }

  /** AES-256-GCM key for the state cookie, derived from server.secretkey (never used raw here). */
  #stateKey(): Uint8Array {
    const secretKey = this.#state.secret(ARGOCD_SECRET)?.[SECRET_KEY];
    if (!secretKey) throw new ApiError(Code.FailedPrecondition, `SSO needs ${ARGOCD_SECRET} ${SECRET_KEY}, which is missing`);
    return new Uint8Array(hkdfSync("sha256", secretKey, "", `hawser ${STATE_COOKIE}`, 32));
  }

  #cookieHeader(value: string, maxAge: number): string {
    const path = `/${this.#basehref.replace(/^\/+|\/+$/g, "")}`;
    const attrs = [`${STATE_COOKIE}=${value}`, `path=${path}`, `Max-Age=${maxAge}`, "SameSite=lax", "httpOnly"];
    if (!this.#insecure) attrs.push("Secure");
    return attrs.join("; ");
  }

  #seconds(): number {
    return Math.floor(this.#now() / 1000);
  }
}

async function discover(settings: SsoSettings): Promise<Provider> {
  const { oidc } = settings;
  const fetchImpl = idpFetch(oidc.rootCA, settings.insecureSkipVerify);
  const issuerUrl = new URL(oidc.issuer);
  // config.ts allows plain http only for loopback issuers.
  const execute = issuerUrl.protocol === "http:" ? [client.allowInsecureRequests] : [];
  const probe = await client.discovery(issuerUrl, oidc.clientID, undefined, client.None(), { [client.customFetch]: fetchImpl, execute });
  const metadata = probe.serverMetadata();
  // client_secret_basic is the spec's default and what Argo tries first; post when that is all the IdP takes.
  const methods = metadata.token_endpoint_auth_methods_supported;
  const auth = !oidc.clientSecret ? client.None()
    : !methods || methods.includes("client_secret_basic") ? client.ClientSecretBasic(oidc.clientSecret)
    : client.ClientSecretPost(oidc.clientSecret);
  const configuration = new client.Configuration(metadata, oidc.clientID, oidc.clientSecret, auth);
  configuration[client.customFetch] = fetchImpl;
  if (issuerUrl.protocol === "http:") client.allowInsecureRequests(configuration);
  if (!metadata.jwks_uri) throw new Error("the discovery document has no jwks_uri");
  const jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri), { [jose.customFetch]: fetchImpl });
  // Asymmetric algorithms only: an HMAC "signature" would be keyed with something public.
  const offered = (metadata.id_token_signing_alg_values_supported ?? ["RS256"]).filter((a) => a !== "none" && !a.startsWith("HS"));
  return { configuration, jwks, issuer: metadata.issuer, algorithms: offered.length > 0 ? offered : ["RS256"] };
}

/** What both openid-client and jose's remote key set call to fetch. */
export type IdpFetch = (
  url: string,
  options: { body?: unknown; headers: Record<string, string> | Headers; method: string; signal?: AbortSignal },
) => Promise<Response>;

/**
 * fetch for the IdP over node's http/https, so rootCA (replacing the trusted roots, as Argo) and
 * oidc.tls.insecure.skip.verify apply; the global fetch takes neither.
 */
export function idpFetch(rootCA: string | undefined, insecureSkipVerify: boolean): IdpFetch {
  return (url, options) => new Promise<Response>((resolve, reject) => {
    const target = new URL(url);
    let body: string | Buffer | undefined;
    const raw: unknown = options.body;
    if (raw === undefined || raw === null) body = undefined;
    else if (typeof raw === "string") body = raw;
    else if (raw instanceof URLSearchParams) body = raw.toString();
    else if (raw instanceof Uint8Array) body = Buffer.from(raw);
    else if (raw instanceof ArrayBuffer) body = Buffer.from(new Uint8Array(raw));
    else {
      reject(new Error("unsupported request body"));
      return;
    }
    const headers = options.headers instanceof Headers ? Object.fromEntries(options.headers) : options.headers;
    const requestOptions: https.RequestOptions = { method: options.method, headers, signal: options.signal };
    if (target.protocol === "https:") {
      if (rootCA) requestOptions.ca = rootCA;
      if (insecureSkipVerify) requestOptions.rejectUnauthorized = false;
    }
    const send = target.protocol === "https:" ? https.request : http.request;
    const req = send(target, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_IDP_RESPONSE_BYTES) {
          req.destroy(new Error(`the IdP's answer from ${target.origin}${target.pathname} is over ${MAX_IDP_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on("error", reject);
      res.on("end", () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) for (const v of value) headers.append(name, v);
          else if (value !== undefined) headers.set(name, value);
        }
        const status = res.statusCode ?? 502;
        const noBody = status === 204 || status === 205 || status === 304 || (status >= 100 && status < 200);
        resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers }));
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A reason for a refused token that names what failed and never echoes the token. */
function describeJoseError(err: unknown, issuer: string): string {
  if (err instanceof jose.errors.JWTExpired) return "token is expired";
  if (err instanceof jose.errors.JWTClaimValidationFailed) {
    if (err.claim === "aud") return "token audience is not allowed";
    if (err.claim === "iss") return `token issuer is not ${issuer}`;
    return `token claim ${err.claim} is invalid (${err.reason})`;
  }
  if (err instanceof jose.errors.JWSSignatureVerificationFailed || err instanceof jose.errors.JWKSNoMatchingKey) {
    return "token signature is invalid";
  }
  if (err instanceof jose.errors.JOSEAlgNotAllowed) return "token signing algorithm is not allowed";
  if (err instanceof jose.errors.JWSInvalid || err instanceof jose.errors.JWTInvalid) return "token is malformed";
  return errorMessage(err);
}

/** openid-client's errors carry the OAuth error code; that, not the raw body, goes in the message. */
function oauthErrorMessage(err: unknown): string {
  if (err instanceof client.ResponseBodyError) return `${err.error}${err.error_description ? `: ${err.error_description}` : ""}`;
  if (err instanceof client.AuthorizationResponseError) return `${err.error}${err.error_description ? `: ${err.error_description}` : ""}`;
  return errorMessage(err);
}

function toSearchParams(query: URLSearchParams | Record<string, string | string[] | undefined>): URLSearchParams {
  if (query instanceof URLSearchParams) return new URLSearchParams(query);
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (Array.isArray(v)) for (const x of v) out.append(k, x);
    else if (v !== undefined) out.append(k, v);
  }
  return out;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * Argo's return_url rule: the scheme, host and port of `url` or an additionalUrls entry, and a
 * path inside that entry's path. Compared after URL normalisation, so "/a/../b" cannot escape.
 */
export function isValidReturnUrl(returnUrl: string, allowed: string[]): boolean {
  if (/[\r\n\\]/.test(returnUrl)) return false;
  let target: URL;
  try {
    target = new URL(returnUrl);
  } catch {
    return false;
  }
  if (target.username || target.password) return false;
  return allowed.some((base) => {
    let b: URL;
    try {
      b = new URL(base);
    } catch {
      return false;
    }
    if (b.protocol !== target.protocol || b.host !== target.host) return false;
    const basePath = b.pathname.endsWith("/") ? b.pathname : `${b.pathname}/`;
    const path = target.pathname.endsWith("/") ? target.pathname : `${target.pathname}/`;
    return path.startsWith(basePath);
  });
}

/** §2.6 username: email, else federated_claims.user_id, else sub. */
export function ssoUsername(claims: Claims): string {
  if (typeof claims.email === "string" && claims.email !== "") return claims.email;
  return subjectOf(claims);
}

/** §2.6 RBAC subject: federated_claims.user_id, else sub. */
export function ssoSubject(claims: Claims): string {
  return subjectOf(claims);
}

/**
 * §2.6 groups: the values of each claim named in argocd-rbac-cm `scopes` (default [groups]),
 * a string claim counting as one group.
 */
export function ssoGroups(claims: Claims, scopes: string[] = ["groups"]): string[] {
  const groups: string[] = [];
  for (const scope of scopes) {
    const value = claims[scope];
    if (typeof value === "string") groups.push(value);
    else if (Array.isArray(value)) for (const v of value) if (typeof v === "string") groups.push(v);
  }
  return [...new Set(groups)];
}

/** §2.6 revocation id: jti, else uti, else the access-token hash (at_hash). */
export function ssoRevocationId(claims: Claims): string | undefined {
  for (const claim of ["jti", "uti", "at_hash"]) {
    const v = claims[claim];
    if (typeof v === "string" && v !== "") return v;
  }
  return undefined;
}
