// SSO settings from argocd-cm (argo-cd-server.md §2.6): `oidc.config` (a YAML string), `url`,
// `additionalUrls` and `oidc.tls.insecure.skip.verify`. Values in oidc.config may name secrets:
// `$<key>` reads argocd-secret, `$<secret>:<key>` another Secret that carries the label
// app.kubernetes.io/part-of: argocd (so a config author cannot read any Secret of the namespace).
// Unlike Argo, which keeps an unresolvable reference as a literal, an unresolvable reference is an
// error: a client secret of "$oidc-secret:key" would only fail later at the IdP, less clearly.
// Errors name the key; no error or warning ever holds a resolved value.
import { X509Certificate } from "node:crypto";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { parseGoDuration } from "../../../engine/sync/duration.js";
import { errorMessage, isRecord } from "../../../util/index.js";
import type { ServerState } from "../../types.js";

export const ARGOCD_CM = "argocd-cm";
export const ARGOCD_SECRET = "argocd-secret";
export const OIDC_CONFIG_KEY = "oidc.config";
export const OIDC_INSECURE_KEY = "oidc.tls.insecure.skip.verify";
export const PART_OF_LABEL = "app.kubernetes.io/part-of";
export const DEFAULT_SCOPES = ["openid", "profile", "email", "groups"];
export const DEX_CONFIG_KEY = "dex.config";

/**
 * Why dex.config does nothing. Argo runs Dex beside its server and proxies /api/dex to it;
 * Hawser ships no Dex, and quietly ignoring the key would leave a login button that cannot work.
 */
export const DEX_UNSUPPORTED = `argocd-cm ${DEX_CONFIG_KEY}: SSO through Dex is not supported: Hawser runs no Dex server. `
  + `Configure argocd-cm ${OIDC_CONFIG_KEY} with your identity provider (a Dex you run yourself works as an OIDC issuer)`;

/** Whether argocd-cm sets dex.config (to anything but blank). */
export function dexConfigured(cm: Record<string, string> | undefined): boolean {
  return (cm?.[DEX_CONFIG_KEY] ?? "").trim() !== "";
}

/** An entry of requestedIDTokenClaims (the `claims` request parameter's id_token member). */
export interface IdTokenClaimRequest {
  essential?: boolean;
  value?: string;
  values?: string[];
}

/** oidc.config after validation and secret resolution. */
export interface OidcConfig {
  name?: string;
  issuer: string;
  clientID: string;
  clientSecret?: string;
  cliClientID?: string;
  /** What the authorize request asks for: requestedScopes, or the default, always with openid. */
  scopes: string[];
  /** requestedScopes exactly as configured (GET /api/v1/settings shows these, as Argo). */
  requestedScopes?: string[];
  /** null requests the claim with no constraints, as the OIDC claims parameter allows. */
  requestedIDTokenClaims?: Record<string, IdTokenClaimRequest | null>;
  logoutURL?: string;
  rootCA?: string;
  enablePKCEAuthentication: boolean;
  /** Audiences an ID token may carry: allowedAudiences, else clientID and cliClientID. */
  allowedAudiences: string[];
  skipAudienceCheckWhenTokenHasNoAudience: boolean;
  /** Milliseconds before an ID token's expiry from which the server refreshes it (0 = never). */
  refreshTokenThresholdMs: number;
  /** Groups from the UserInfo endpoint (enableUserInfoGroups with userInfoPath), else undefined. */
  userInfo?: UserInfoConfig;
  domainHint?: string;
}

/** enableUserInfoGroups: where the UserInfo endpoint is and how long an answer is reused. */
export interface UserInfoConfig {
  /** userInfoBaseURL (default the issuer) + userInfoPath. */
  url: string;
  /** userInfoCacheExpiration in milliseconds (default 5m, see DEFAULT_USERINFO_CACHE_MS). */
  cacheMs: number;
}

/**
 * Argo leaves userInfoCacheExpiration without a documented default; asking the IdP on every API
 * call would tie each request to its latency, so an unset value means 5 minutes.
 */
export const DEFAULT_USERINFO_CACHE_MS = 5 * 60 * 1000;

/** Everything SSO reads from argocd-cm, resolved. */
export interface SsoSettings {
  oidc: OidcConfig;
  /** argocd-cm `url`: the external base URL (required for SSO: the redirect URI hangs off it). */
  url: string;
  additionalUrls: string[];
  insecureSkipVerify: boolean;
}

export interface ParsedSsoSettings {
  /** undefined: SSO is not configured (no oidc.config). */
  settings: SsoSettings | undefined;
  /** Keys that are set but have no effect, and other things an operator should know. */
  warnings: string[];
}

/** A bad SSO setting; the message names the argocd-cm key (and the oidc.config field). */
export class SsoConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SsoConfigError";
  }
}

export type SecretSource = Pick<ServerState, "secret" | "secretLabels">;

const KNOWN_KEYS = new Set([
  "name", "issuer", "clientID", "clientSecret", "cliClientID", "requestedScopes", "requestedIDTokenClaims",
  "logoutURL", "rootCA", "enablePKCEAuthentication", "allowedAudiences", "skipAudienceCheckWhenTokenHasNoAudience",
  "enableUserInfoGroups", "userInfoBaseURL", "userInfoPath", "userInfoCacheExpiration", "refreshTokenThreshold",
  "domainHint", "azure",
]);

const field = (key: string): string => `argocd-cm ${OIDC_CONFIG_KEY}: ${key}`;

/**
 * Reads SSO settings from argocd-cm's data, resolving secret references through `secrets`.
 * Throws SsoConfigError for anything that would make SSO misbehave.
 */
export function parseSsoSettings(cm: Record<string, string> | undefined, secrets: SecretSource): ParsedSsoSettings {
  const raw = cm?.[OIDC_CONFIG_KEY];
  if (raw === undefined || raw.trim() === "") return { settings: undefined, warnings: [] };
  const warnings: string[] = [];
  const doc = resolveSecrets(parseOidcYaml(raw), secrets, "");
  const oidc = validateOidcConfig(doc as Record<string, unknown>, warnings);
  const url = parseBaseUrl(cm?.url, "argocd-cm url");
  if (url === undefined) throw new SsoConfigError(`argocd-cm url: must be set for SSO (the redirect URI is <url>/auth/callback)`);
  const additionalUrls = parseAdditionalUrls(cm?.additionalUrls);
  const insecureSkipVerify = parseBool(cm?.[OIDC_INSECURE_KEY], `argocd-cm ${OIDC_INSECURE_KEY}`) ?? false;
  if (insecureSkipVerify) warnings.push(`argocd-cm ${OIDC_INSECURE_KEY} is "true": the IdP's TLS certificate is not verified`);
  return { settings: { oidc, url, additionalUrls, insecureSkipVerify }, warnings };
}

function parseOidcYaml(raw: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(raw);
  } catch (err) {
    // The parser's own message quotes the offending line, which may hold a literal client secret.
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : "";
    throw new SsoConfigError(`argocd-cm ${OIDC_CONFIG_KEY}: invalid YAML${where}`);
  }
  if (!isRecord(doc)) throw new SsoConfigError(`argocd-cm ${OIDC_CONFIG_KEY}: must be a YAML mapping of settings`);
  return doc;
}

/** Replaces `$key` / `$secret:key` in every string value (as Argo does for the whole config). */
function resolveSecrets(value: unknown, secrets: SecretSource, path: string): unknown {
  if (typeof value === "string") return value.startsWith("$") ? resolveReference(value, secrets, path) : value;
  if (Array.isArray(value)) return value.map((v, i) => resolveSecrets(v, secrets, `${path}[${i}]`));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveSecrets(v, secrets, path === "" ? k : `${path}.${k}`);
    return out;
  }
  return value;
}

/** Resolves one reference; `path` names the field. The reference itself is not secret, the value is. */
export function resolveReference(reference: string, secrets: SecretSource, path: string): string {
  const body = reference.slice(1);
  const colon = body.indexOf(":");
  const secretName = colon < 0 ? ARGOCD_SECRET : body.slice(0, colon);
  const key = colon < 0 ? body : body.slice(colon + 1);
  if (secretName === "" || key === "") throw new SsoConfigError(`${field(path)}: "${reference}" is not a secret reference ($<key> or $<secret>:<key>)`);
  if (colon >= 0) {
    const labels = secrets.secretLabels(secretName);
    if (labels === undefined) throw new SsoConfigError(`${field(path)}: "${reference}" names Secret ${secretName}, which does not exist`);
    if (labels[PART_OF_LABEL] !== "argocd") {
      throw new SsoConfigError(`${field(path)}: "${reference}" names Secret ${secretName}, which is not labelled ${PART_OF_LABEL}: argocd`);
    }
  }
  const data = secrets.secret(secretName);
  if (data === undefined) throw new SsoConfigError(`${field(path)}: "${reference}" names Secret ${secretName}, which does not exist`);
  const value = data[key];
  if (value === undefined) throw new SsoConfigError(`${field(path)}: "${reference}": Secret ${secretName} has no key ${key}`);
  return value.trim();
}

function validateOidcConfig(doc: Record<string, unknown>, warnings: string[]): OidcConfig {
  for (const key of Object.keys(doc)) {
    if (!KNOWN_KEYS.has(key)) warnings.push(`${field(key)}: unknown key, ignored`);
  }
  const issuer = requiredString(doc, "issuer");
  checkIssuer(issuer);
  const clientID = requiredString(doc, "clientID");
  const clientSecret = optionalString(doc, "clientSecret");
  const cliClientID = optionalString(doc, "cliClientID");
  const requestedScopes = optionalStringList(doc, "requestedScopes");
  const scopes = requestedScopes && requestedScopes.length > 0 ? [...requestedScopes] : [...DEFAULT_SCOPES];
  if (!scopes.includes("openid")) {
    // Without openid the IdP answers with no ID token at all; asking for it is always right.
    scopes.unshift("openid");
    warnings.push(`${field("requestedScopes")}: "openid" is missing; it is requested anyway`);
  }
  const enablePKCEAuthentication = optionalBool(doc, "enablePKCEAuthentication") ?? false;
  if (!clientSecret && !enablePKCEAuthentication) {
    throw new SsoConfigError(`${field("clientSecret")}: required unless enablePKCEAuthentication is true (a public client must use PKCE)`);
  }
  const allowed = optionalStringList(doc, "allowedAudiences");
  const allowedAudiences = allowed && allowed.length > 0 ? allowed : [clientID, ...(cliClientID ? [cliClientID] : [])];
  const logoutURL = optionalString(doc, "logoutURL");
  if (logoutURL !== undefined) checkLogoutUrl(logoutURL);
  const rootCA = optionalString(doc, "rootCA");
  if (rootCA !== undefined) checkRootCA(rootCA);
  const refreshTokenThresholdMs = optionalDuration(doc, "refreshTokenThreshold") ?? 0;
  const userInfo = parseUserInfo(doc, issuer, warnings);
  if (doc.azure !== undefined) warnings.push(`${field("azure")}: not yet supported, ignored`);
  return {
    name: optionalString(doc, "name"),
    issuer,
    clientID,
    clientSecret,
    cliClientID,
    scopes,
    requestedScopes,
    requestedIDTokenClaims: parseClaimRequests(doc.requestedIDTokenClaims),
    logoutURL,
    rootCA,
    enablePKCEAuthentication,
    allowedAudiences,
    skipAudienceCheckWhenTokenHasNoAudience: optionalBool(doc, "skipAudienceCheckWhenTokenHasNoAudience") ?? false,
    refreshTokenThresholdMs,
    userInfo,
    domainHint: optionalString(doc, "domainHint"),
  };
}

function parseUserInfo(doc: Record<string, unknown>, issuer: string, warnings: string[]): UserInfoConfig | undefined {
  const enabled = optionalBool(doc, "enableUserInfoGroups") ?? false;
  const path = optionalString(doc, "userInfoPath");
  const base = optionalString(doc, "userInfoBaseURL");
  const cacheMs = optionalDuration(doc, "userInfoCacheExpiration");
  if (!enabled) {
    for (const key of ["userInfoPath", "userInfoBaseURL", "userInfoCacheExpiration"]) {
      if (doc[key] !== undefined) warnings.push(`${field(key)}: has no effect unless enableUserInfoGroups is true`);
    }
    return undefined;
  }
  // Argo quietly keeps the ID token's groups without a path; that would grant what UserInfo may deny.
  if (!path) throw new SsoConfigError(`${field("userInfoPath")}: required when enableUserInfoGroups is true (e.g. /userinfo)`);
  if (base !== undefined) checkIssuer(base, "userInfoBaseURL");
  const url = `${(base ?? issuer).replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
  return { url, cacheMs: cacheMs ?? DEFAULT_USERINFO_CACHE_MS };
}

function requiredString(doc: Record<string, unknown>, key: string): string {
  const v = optionalString(doc, key);
  if (v === undefined || v === "") throw new SsoConfigError(`${field(key)}: required`);
  return v;
}

function optionalString(doc: Record<string, unknown>, key: string): string | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  // YAML reads an unquoted 12345 as a number; converting could lose digits of a long client id.
  if (typeof v !== "string") throw new SsoConfigError(`${field(key)}: must be a string (quote the value)`);
  return v;
}

function optionalBool(doc: Record<string, unknown>, key: string): boolean | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new SsoConfigError(`${field(key)}: must be true or false`);
  return v;
}

function optionalStringList(doc: Record<string, unknown>, key: string): string[] | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string" || s === "")) {
    throw new SsoConfigError(`${field(key)}: must be a list of non-empty strings`);
  }
  return v as string[];
}

function optionalDuration(doc: Record<string, unknown>, key: string): number | undefined {
  const v = optionalString(doc, key);
  if (v === undefined) return undefined;
  try {
    const ms = parseGoDuration(v);
    if (ms < 0) throw new Error("negative");
    return ms;
  } catch {
    throw new SsoConfigError(`${field(key)}: "${v}" is not a duration such as 5m or 1h30m`);
  }
}

function parseClaimRequests(v: unknown): Record<string, IdTokenClaimRequest | null> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw new SsoConfigError(`${field("requestedIDTokenClaims")}: must be a mapping of claim name to {essential, value, values}`);
  const out: Record<string, IdTokenClaimRequest | null> = {};
  for (const [claim, spec] of Object.entries(v)) {
    const at = `requestedIDTokenClaims.${claim}`;
    if (spec === null) {
      out[claim] = null;
      continue;
    }
    if (!isRecord(spec)) throw new SsoConfigError(`${field(at)}: must be a mapping with essential, value or values`);
    const request: IdTokenClaimRequest = {};
    for (const [k, x] of Object.entries(spec)) {
      if (k === "essential") {
        if (typeof x !== "boolean") throw new SsoConfigError(`${field(`${at}.essential`)}: must be true or false`);
        request.essential = x;
      } else if (k === "value") {
        if (typeof x !== "string") throw new SsoConfigError(`${field(`${at}.value`)}: must be a string`);
        request.value = x;
      } else if (k === "values") {
        if (!Array.isArray(x) || x.some((s) => typeof s !== "string")) throw new SsoConfigError(`${field(`${at}.values`)}: must be a list of strings`);
        request.values = x as string[];
      } else {
        throw new SsoConfigError(`${field(`${at}.${k}`)}: unknown key (essential, value, values)`);
      }
    }
    out[claim] = request;
  }
  return out;
}

/** Loopback hosts, the only ones an issuer may reach over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

function checkIssuer(issuer: string, key = "issuer"): void {
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    throw new SsoConfigError(`${field(key)}: "${issuer}" is not an absolute URL`);
  }
  if (u.search || u.hash) throw new SsoConfigError(`${field(key)}: must have no query or fragment`);
  // Tokens and the client secret travel to the issuer; plain http is allowed only where nothing can listen in.
  if (u.protocol === "http:" && isLoopbackHost(u.hostname)) return;
  if (u.protocol !== "https:") throw new SsoConfigError(`${field(key)}: must be an https URL (http only on loopback)`);
}

function checkLogoutUrl(logoutURL: string): void {
  const sample = logoutURL.replaceAll("{{token}}", "t").replaceAll("{{logoutRedirectURL}}", "r");
  let u: URL | undefined;
  try {
    u = new URL(sample);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== "https:" && u.protocol !== "http:")) throw new SsoConfigError(`${field("logoutURL")}: must be an absolute http(s) URL`);
}

function checkRootCA(pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new SsoConfigError(`${field("rootCA")}: holds no PEM certificate`);
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new SsoConfigError(`${field("rootCA")}: certificate ${i + 1} cannot be read: ${errorMessage(err)}`);
    }
  }
}

function parseBool(v: string | undefined, where: string): boolean | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  const t = v.trim().toLowerCase();
  if (t === "true") return true;
  if (t === "false") return false;
  throw new SsoConfigError(`${where}: "${v}" is not true or false`);
}

function parseBaseUrl(v: string | undefined, where: string): string | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  const s = v.trim();
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new SsoConfigError(`${where}: "${s}" is not an absolute URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new SsoConfigError(`${where}: "${s}" must be an http(s) URL`);
  if (u.search || u.hash || u.username || u.password) throw new SsoConfigError(`${where}: "${s}" must have no query, fragment or user info`);
  return s.replace(/\/+$/, "");
}

function parseAdditionalUrls(v: string | undefined): string[] {
  if (v === undefined || v.trim() === "") return [];
  let list: unknown;
  try {
    list = parseYaml(v);
  } catch {
    throw new SsoConfigError(`argocd-cm additionalUrls: not a YAML list of URLs`);
  }
  if (!Array.isArray(list) || list.some((s) => typeof s !== "string")) throw new SsoConfigError(`argocd-cm additionalUrls: must be a YAML list of URLs`);
  return list.map((s, i) => parseBaseUrl(s as string, `argocd-cm additionalUrls[${i}]`)).filter((s): s is string => s !== undefined);
}
