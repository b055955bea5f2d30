// The API server's settings that Argo reads from argocd-server's flags and argocd-cmd-params-cm
// (through ARGOCD_SERVER_* variables): their names, Argo's defaults, and the parsing of each into
// what the server's parts take. Pure, so every value and every refusal is unit-tested; `hawser
// server` (operator/cli/server.ts) supplies the lookup: the flag, else the ConfigMap key, else the
// variable. A bad value is an error naming where it came from, and the server does not start.
import { parseGoDuration } from "../engine/sync/duration.js";
import { parseLogFormat, parseLogLevel, type LogFormat, type LogLevel } from "../runtime/logger.js";
import { DEFAULT_MAX_COOKIE_NUMBER } from "./auth/cookies.js";
import { tlsPolicy, type TlsPolicy } from "./http/tls.js";

/** One setting: Argo's flag, argocd-cmd-params-cm key and environment variable. */
export interface ServerParam {
  flag?: string;
  key: string;
  env: string;
}

export const SERVER_PARAMS = {
  disableAuth: { flag: "disable-auth", key: "server.disable.auth", env: "ARGOCD_SERVER_DISABLE_AUTH" },
  enableGzip: { flag: "enable-gzip", key: "server.enable.gzip", env: "ARGOCD_SERVER_ENABLE_GZIP" },
  xFrameOptions: { flag: "x-frame-options", key: "server.x.frame.options", env: "ARGOCD_SERVER_X_FRAME_OPTIONS" },
  contentSecurityPolicy: { flag: "content-security-policy", key: "server.content.security.policy", env: "ARGOCD_SERVER_CONTENT_SECURITY_POLICY" },
  tlsMinVersion: { flag: "tlsminversion", key: "server.tls.minversion", env: "ARGOCD_SERVER_TLS_MIN_VERSION" },
  tlsMaxVersion: { flag: "tlsmaxversion", key: "server.tls.maxversion", env: "ARGOCD_SERVER_TLS_MAX_VERSION" },
  tlsCiphers: { flag: "tlsciphers", key: "server.tls.ciphers", env: "ARGOCD_SERVER_TLS_CIPHERS" },
  logLevel: { flag: "loglevel", key: "server.log.level", env: "ARGOCD_SERVER_LOGLEVEL" },
  logFormat: { flag: "logformat", key: "server.log.format", env: "ARGOCD_SERVER_LOGFORMAT" },
  loginAttemptsExpiration: { flag: "login-attempts-expiration", key: "server.login.attempts.expiration", env: "ARGOCD_SERVER_LOGIN_ATTEMPTS_EXPIRATION" },
  // Argo has no flag for this one: the variable only.
  cookieMaxNumber: { key: "server.http.cookie.maxnumber", env: "ARGOCD_MAX_COOKIE_NUMBER" },
  oidcCacheExpiration: { flag: "oidc-cache-expiration", key: "server.oidc.cache.expiration", env: "ARGOCD_SERVER_OIDC_CACHE_EXPIRATION" },
  connectionStatusCacheExpiration: { flag: "connection-status-cache-expiration", key: "server.connection.status.cache.expiration", env: "ARGOCD_SERVER_CONNECTION_STATUS_CACHE_EXPIRATION" },
} as const satisfies Record<string, ServerParam>;

export type ServerParamName = keyof typeof SERVER_PARAMS;

/** A setting's raw value and where it was found ("--tlsminversion", "argocd-cmd-params-cm server.tls.minversion", …). */
export interface FoundValue {
  value: string;
  from: string;
}

export type ParamLookup = (param: ServerParam) => FoundValue | undefined;

export class ServerParamError extends Error {}

export interface ServerParams {
  disableAuth: boolean;
  enableGzip: boolean;
  /** "" sends no header. */
  xFrameOptions: string;
  /** "" sends no header. */
  contentSecurityPolicy: string;
  tls: TlsPolicy;
  logLevel: LogLevel;
  logFormat: LogFormat;
  loginAttemptsExpirationMs: number;
  cookieMaxNumber: number;
  /** How long an SSO login's state is accepted back from the IdP (SsoClientOptions.stateMaxAgeSeconds). */
  oidcCacheExpirationMs: number;
  /** How long a cluster's or repository's connection state is reused before it is probed again. */
  connectionStatusTtlMs: number;
}

export const DEFAULT_X_FRAME_OPTIONS = "sameorigin";
export const DEFAULT_CONTENT_SECURITY_POLICY = "frame-ancestors 'self';";
// Argo's documented defaults (argocd-cmd-params-cm.yaml; argocd-server's cache flags).
export const DEFAULT_LOGIN_ATTEMPTS_EXPIRATION = "24h";
export const DEFAULT_OIDC_CACHE_EXPIRATION = "3m";
/** "Cache expiration for cluster/repo connection status": one setting for both. */
export const DEFAULT_CONNECTION_STATUS_EXPIRATION = "1h";

/** Where a setting would be read, for messages: "--flag / argocd-cmd-params-cm key". */
export function describeParam(p: ServerParam): string {
  return `${p.flag ? `--${p.flag} / ` : ""}argocd-cmd-params-cm ${p.key}`;
}

/**
 * Reads every setting through `lookup` and parses it. `ciphersAvailable` is the TLS library's list
 * (tls.getCiphers()). Throws ServerParamError naming the setting and its source.
 */
export function parseServerParams(lookup: ParamLookup, ciphersAvailable: readonly string[]): ServerParams {
  const get = (p: ServerParam): FoundValue | undefined => lookup(p);
  const fail = (found: FoundValue, why: string): never => {
    throw new ServerParamError(`${found.from}: ${why}`);
  };
  const bool = (p: ServerParam, fallback: boolean): boolean => {
    const found = get(p);
    const v = found?.value.trim().toLowerCase() ?? "";
    if (!found || v === "") return fallback;
    // Go's strconv.ParseBool, which Argo's env parsing uses.
    if (["1", "t", "true"].includes(v)) return true;
    if (["0", "f", "false"].includes(v)) return false;
    return fail(found, `"${found.value}" is not a boolean (true or false)`);
  };
  const duration = (p: ServerParam, fallback: string): number => {
    const found = get(p);
    const raw = found?.value.trim() || fallback;
    let ms: number;
    try {
      ms = parseGoDuration(raw);
    } catch (err) {
      return fail(found!, `"${raw}" is not a duration such as 30s, 5m or 1h (${(err as Error).message})`);
    }
    if (ms < 0) return fail(found!, `"${raw}" is negative`);
    return ms;
  };
  const text = (p: ServerParam, fallback: string): string => get(p)?.value.trim() ?? fallback;

  const p = SERVER_PARAMS;
  const tlsFound = { min: get(p.tlsMinVersion), max: get(p.tlsMaxVersion), ciphers: get(p.tlsCiphers) };
  let tls: TlsPolicy;
  try {
    tls = tlsPolicy(
      { ...(tlsFound.min ? { minVersion: tlsFound.min.value } : {}), ...(tlsFound.max ? { maxVersion: tlsFound.max.value } : {}), ...(tlsFound.ciphers ? { ciphers: tlsFound.ciphers.value } : {}) },
      {
        minVersion: tlsFound.min?.from ?? describeParam(p.tlsMinVersion),
        maxVersion: tlsFound.max?.from ?? describeParam(p.tlsMaxVersion),
        ciphers: tlsFound.ciphers?.from ?? describeParam(p.tlsCiphers),
      },
      ciphersAvailable,
    );
  } catch (err) {
    throw new ServerParamError((err as Error).message);
  }

  const level = get(p.logLevel);
  let logLevel: LogLevel;
  try {
    // logrus also names warn "warning".
    const v = level?.value.trim().toLowerCase() || undefined;
    logLevel = parseLogLevel(v === "warning" ? "warn" : v);
  } catch (err) {
    return fail(level!, (err as Error).message);
  }
  const format = get(p.logFormat);
  let logFormat: LogFormat;
  try {
    logFormat = parseLogFormat(format?.value.trim().toLowerCase() || undefined);
  } catch (err) {
    return fail(format!, (err as Error).message);
  }

  const cookies = get(p.cookieMaxNumber);
  let cookieMaxNumber = DEFAULT_MAX_COOKIE_NUMBER;
  if (cookies && cookies.value.trim() !== "") {
    const n = Number(cookies.value.trim());
    if (!Number.isInteger(n) || n < 1) fail(cookies, `"${cookies.value}" is not a positive whole number (the most cookies a session token may be split over)`);
    cookieMaxNumber = n;
  }

  return {
    disableAuth: bool(p.disableAuth, false),
    enableGzip: bool(p.enableGzip, true),
    xFrameOptions: text(p.xFrameOptions, DEFAULT_X_FRAME_OPTIONS),
    contentSecurityPolicy: text(p.contentSecurityPolicy, DEFAULT_CONTENT_SECURITY_POLICY),
    tls,
    logLevel,
    logFormat,
    loginAttemptsExpirationMs: duration(p.loginAttemptsExpiration, DEFAULT_LOGIN_ATTEMPTS_EXPIRATION),
    cookieMaxNumber,
    oidcCacheExpirationMs: duration(p.oidcCacheExpiration, DEFAULT_OIDC_CACHE_EXPIRATION),
    connectionStatusTtlMs: duration(p.connectionStatusCacheExpiration, DEFAULT_CONNECTION_STATUS_EXPIRATION),
  };
}

/**
 * The lookup `hawser server` uses: the flag (given on the command line), else the ConfigMap key,
 * else the environment variable, each reported by name. An empty ConfigMap value counts as set
 * (Argo turns the headers off with "").
 */
export function paramLookup(flagValue: (flag: string) => string | undefined, params: Record<string, string>, env: NodeJS.ProcessEnv): ParamLookup {
  return (p) => {
    const flag = p.flag ? flagValue(p.flag) : undefined;
    if (flag !== undefined) return { value: flag, from: `--${p.flag}` };
    if (params[p.key] !== undefined) return { value: params[p.key]!, from: `argocd-cmd-params-cm ${p.key}` };
    if (env[p.env] !== undefined) return { value: env[p.env]!, from: `$${p.env}` };
    return undefined;
  };
}
