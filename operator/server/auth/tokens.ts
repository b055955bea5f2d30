// The JWTs Hawser issues, as Argo CD does (argo-cd-server.md §2.3, §4): HS256 signed with
// argocd-secret's server.secretkey, `iss: "argocd"`, `iat = nbf = now`, a `jti`, and `exp` only when
// the token expires. Three kinds by `sub`: `<user>:login` (UI/CLI sessions), `<user>:apiKey`
// (account API keys) and `proj:<project>:<role>` (project role tokens). A valid signature is not
// enough: every request re-checks the account or project, so disabling an account, changing its
// password or deleting a token id takes effect at once.
import { randomUUID } from "node:crypto";
import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { AppProject } from "../../api/index.js";
import type { Claims, ServerState } from "../types.js";
import { ARGOCD_CM, ARGOCD_SECRET, getAccount, serverSecretKey, type Capability } from "./accounts.js";

export const ARGOCD_ISSUER = "argocd";
/** A login token with less than this left is re-minted (Argo's autoRegenerateTokenDuration). */
export const RENEW_BEFORE_SECONDS = 5 * 60;

/** Why a token was refused; the Authenticator answers "invalid session: <message>". */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenError";
  }
}

export interface IssueOptions {
  /** `<user>:login`, `<user>:apiKey` or `proj:<p>:<r>`. */
  subject: string;
  /** The jti; a random UUID when absent or empty. */
  id?: string;
  /** Seconds until exp; 0 or absent = no exp claim. */
  expiresInSeconds?: number;
  /** Seconds since the epoch. */
  now: number;
}

/** Signs a token; returns it with the claims it carries. */
export async function issueToken(key: Uint8Array, opts: IssueOptions): Promise<{ token: string; claims: Claims }> {
  const claims: Claims = { iss: ARGOCD_ISSUER, sub: opts.subject, iat: opts.now, nbf: opts.now, jti: opts.id || randomUUID() };
  if (opts.expiresInSeconds && opts.expiresInSeconds > 0) claims.exp = opts.now + opts.expiresInSeconds;
  const token = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key);
  return { token, claims };
}

/** The claims of a token without checking it, only to route it by `iss`; undefined when it is not a JWT. */
export function peekClaims(raw: string): Claims | undefined {
  try {
    return decodeJwt(raw);
  } catch {
    return undefined;
  }
}

export interface VerifyContext {
  state: ServerState;
  /** Seconds since the epoch. */
  now: number;
  /** Whether a token id was revoked by a logout. */
  isRevoked(jti: string): boolean;
}

/** What a token's `sub` says it is. */
export type Subject =
  | { kind: "account"; account: string; capability: Capability }
  | { kind: "project"; project: string; role: string };

export function parseSubject(sub: string | undefined): Subject | undefined {
  if (!sub) return undefined;
  const proj = /^proj:([^:]+):([^:]+)$/.exec(sub);
  if (proj) return { kind: "project", project: proj[1]!, role: proj[2]! };
  const local = /^([^:]+):(login|apiKey)$/.exec(sub);
  if (local) return { kind: "account", account: local[1]!, capability: local[2] as Capability };
  return undefined;
}

/**
 * Verifies an Argo-issued token and returns its claims, `sub` reduced to the bare account name for
 * account tokens. Throws TokenError with the reason otherwise.
 */
export async function verifyArgoToken(raw: string, ctx: VerifyContext): Promise<Claims> {
  const key = serverSecretKey(ctx.state.secret(ARGOCD_SECRET));
  if (!key) throw new TokenError("server signature key is not configured");
  let claims: Claims;
  try {
    const verified = await jwtVerify(raw, key, { algorithms: ["HS256"], issuer: ARGOCD_ISSUER, currentDate: new Date(ctx.now * 1000) });
    claims = verified.payload;
  } catch (err) {
    throw new TokenError(joseReason(err));
  }
  if (typeof claims.iat !== "number") throw new TokenError("token has no iat claim");
  if (claims.jti && ctx.isRevoked(claims.jti)) throw new TokenError("token is revoked, please re-login");
  const subject = parseSubject(claims.sub);
  if (!subject) throw new TokenError(`token subject "${claims.sub ?? ""}" is not recognised`);
  if (subject.kind === "project") {
    checkProjectToken(ctx.state.project(subject.project), subject.project, subject.role, claims);
    return claims;
  }
  const account = getAccount(ctx.state.configMap(ARGOCD_CM), ctx.state.secret(ARGOCD_SECRET), subject.account);
  if (!account) throw new TokenError(`account ${subject.account} does not exist`);
  if (!account.enabled) throw new TokenError(`account ${subject.account} is disabled`);
  if (!account.capabilities.includes(subject.capability)) {
    throw new TokenError(`account ${subject.account} does not have '${subject.capability}' capability`);
  }
  if (account.passwordMtime !== undefined && claims.iat < account.passwordMtime) {
    throw new TokenError("account password has changed since token issued");
  }
  if (subject.capability === "apiKey" && !account.tokens.some((t) => t.id !== "" && t.id === claims.jti)) {
    throw new TokenError(`account ${subject.account} does not have token with id ${claims.jti ?? ""}`);
  }
  return { ...claims, sub: subject.account };
}

function checkProjectToken(project: AppProject | undefined, name: string, role: string, claims: Claims): void {
  if (!project) throw new TokenError(`project ${name} does not exist`);
  if (!(project.spec?.roles ?? []).some((r) => r.name === role)) throw new TokenError(`project '${name}' does not have role '${role}'`);
  const items = project.status?.jwtTokensByRole?.[role]?.items ?? [];
  // A token with an id must match it; a legacy token without one is matched by its iat.
  const listed = claims.jti ? items.some((t) => t.id === claims.jti) : items.some((t) => t.iat === claims.iat);
  if (!listed) throw new TokenError(`JWT token for role '${role}' issued at '${claims.iat ?? 0}' does not exist in project '${name}'`);
}

function joseReason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return "token is expired";
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === "nbf") return "token is not valid yet";
    if (err.claim === "iss") return "token has an unexpected issuer";
    return `token claim ${err.claim} is invalid`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "signature is invalid";
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return "signing method is not HS256";
  return "token is malformed";
}

/**
 * A fresh login token with the same lifetime when `claims` (already verified, `sub` the bare
 * account) belong to a login token with less than five minutes left; undefined otherwise.
 */
export async function renewedToken(raw: string, claims: Claims, key: Uint8Array, now: number): Promise<string | undefined> {
  const original = parseSubject(peekClaims(raw)?.sub);
  if (!original || original.kind !== "account" || original.capability !== "login") return undefined;
  if (claims.exp === undefined || claims.iat === undefined) return undefined;
  if (claims.exp - now >= RENEW_BEFORE_SECONDS) return undefined;
  const lifetime = claims.exp - claims.iat;
  if (lifetime <= 0) return undefined;
  const { token } = await issueToken(key, { subject: `${original.account}:login`, expiresInSeconds: lifetime, now });
  return token;
}
