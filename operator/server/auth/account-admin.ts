// Changing local accounts (argo-cd-server.md §1.4 "Account"): passwords and API keys. Reads of
// who exists and what they may do come from ServerState; writes go to argocd-secret through the
// client. RBAC (`accounts, update`) is the HTTP layer's check before it calls these.
import { randomUUID } from "node:crypto";
import bcrypt from "bcryptjs";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { ApiError, Code, invalidArgument, notFound } from "../http/errors.js";
import type { Claims, ServerState } from "../types.js";
import {
  ARGOCD_CM, ARGOCD_SECRET, formatTokens, getAccount, parseTokens, passwordPattern, rfc3339, secretPrefix, serverSecretKey,
  type Account, type AccountToken,
} from "./accounts.js";
import { hashPassword } from "./bootstrap.js";
import { retryOnConflict } from "./conflict.js";
import type { LoginRateLimiter } from "./session.js";
import { ARGOCD_ISSUER, issueToken, parseSubject } from "./tokens.js";

export interface AccountAdminDeps {
  client: KubeClient;
  /** The control namespace (argocd-secret's). */
  namespace: string;
  state: ServerState;
  /** Seconds since the epoch. */
  now?: () => number;
  /**
   * The login limiter (SessionManager's), so guessing the current password here counts towards
   * the same lock-out as guessing it at login, as in Argo.
   */
  limiter?: LoginRateLimiter;
  /** Read-your-writes (ServerCache.awaitOwnWrite): a new key or password works here once answered. */
  awaitOwnWrite?: (written: KubeObject) => Promise<boolean>;
}

/** An SSO caller may change a password only with a token this fresh (Argo's ChangePasswordSSOTokenMaxAge). */
export const SSO_TOKEN_MAX_AGE_SECONDS = 5 * 60;

const nowOf = (deps: AccountAdminDeps): number => (deps.now ?? ((): number => Math.floor(Date.now() / 1000)))();

function accountOf(deps: AccountAdminDeps, name: string): Account {
  const account = getAccount(deps.state.configMap(ARGOCD_CM), deps.state.secret(ARGOCD_SECRET), name);
  if (!account) throw notFound(`account '${name}' does not exist`);
  return account;
}

/** The local account name of verified claims, or undefined for SSO, project and anonymous callers. */
export function localAccountOf(claims: Claims | undefined): string | undefined {
  if (!claims || claims.iss !== ARGOCD_ISSUER || !claims.sub) return undefined;
  return parseSubject(claims.sub)?.kind === "project" ? undefined : claims.sub;
}

/**
 * `PUT /api/v1/account/password`: sets `name`'s password (the caller's own when `name` is empty).
 * A local caller proves itself with its own current password; an SSO caller with a token under
 * five minutes old. The new password must match argocd-cm `passwordPattern`. passwordMtime moves to
 * now, so every token of the account issued earlier stops working.
 */
export async function updatePassword(
  deps: AccountAdminDeps,
  caller: Claims | undefined,
  name: string | undefined,
  currentPassword: string,
  newPassword: string,
): Promise<void> {
  if (!caller || !caller.sub) throw new ApiError(Code.Unauthenticated, "no session information");
  const now = nowOf(deps);
  const local = localAccountOf(caller);
  if (caller.iss === ARGOCD_ISSUER && !local) throw invalidArgument("password can only be changed by local users and SSO users, not by project tokens");
  const target = name || local;
  if (!target) throw invalidArgument("name: the account whose password to change is required for SSO users");
  const account = accountOf(deps, target);
  if (local) {
    const self = accountOf(deps, local);
    const nowMs = now * 1000;
    const locked = deps.limiter?.isLockedOut(local, nowMs) ?? false;
    const valid = !locked && self.passwordHash ? await bcrypt.compare(currentPassword, self.passwordHash) : false;
    if (!valid) {
      if (!locked) deps.limiter?.recordFailure(local, nowMs);
      throw invalidArgument("current password does not match");
    }
    deps.limiter?.recordSuccess(local);
  } else if (typeof caller.iat !== "number" || now - caller.iat > SSO_TOKEN_MAX_AGE_SECONDS) {
    throw invalidArgument("SSO token is too old. Please log in again to change the password.");
  }
  const pattern = passwordPattern(deps.state.configMap(ARGOCD_CM));
  if (!pattern.regexp.test(newPassword)) throw invalidArgument(`New password does not match the following expression: ${pattern.source}.`);
  const prefix = secretPrefix(account.name);
  const written = await deps.client.patch({ apiVersion: "v1", kind: "Secret", name: ARGOCD_SECRET, namespace: deps.namespace }, {
    data: {
      [`${prefix}.password`]: b64(await hashPassword(newPassword)),
      [`${prefix}.passwordMtime`]: b64(rfc3339(now)),
    },
  });
  await deps.awaitOwnWrite?.(written);
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

type SecretObject = KubeObject & { data?: Record<string, string> };

/**
 * Read-modify-write of one account's `*.tokens` under a resourceVersion precondition, so two
 * replicas issuing keys at once never lose each other's entry; a 409 means read again.
 */
async function updateTokens(deps: AccountAdminDeps, account: string, change: (tokens: AccountToken[]) => AccountToken[]): Promise<void> {
  const key = `${secretPrefix(account)}.tokens`;
  await retryOnConflict(`Secret ${ARGOCD_SECRET}`, async () => {
    const secret = await deps.client.get<SecretObject>("v1", "Secret", ARGOCD_SECRET, deps.namespace);
    if (!secret) throw new ApiError(Code.FailedPrecondition, `Secret ${ARGOCD_SECRET} does not exist`);
    const raw = secret.data?.[key];
    const tokens = change(parseTokens(key, raw === undefined ? undefined : Buffer.from(raw, "base64").toString("utf8")));
    const written = await deps.client.patch({ apiVersion: "v1", kind: "Secret", name: ARGOCD_SECRET, namespace: deps.namespace }, {
      metadata: { resourceVersion: secret.metadata.resourceVersion },
      data: { [key]: b64(formatTokens(tokens)) },
    });
    await deps.awaitOwnWrite?.(written);
  });
}

/**
 * `POST /api/v1/account/{name}/token`: an API key for an account with the `apiKey` capability,
 * recorded in argocd-secret `<account>.tokens`. `expiresIn` in seconds, 0 = never.
 */
export async function generateAccountToken(
  deps: AccountAdminDeps,
  name: string,
  opts: { expiresIn?: number; id?: string } = {},
): Promise<{ token: string }> {
  const account = accountOf(deps, name);
  if (!account.capabilities.includes("apiKey")) throw invalidArgument(`account '${name}' does not have apiKey capability`);
  const expiresIn = opts.expiresIn ?? 0;
  if (!Number.isInteger(expiresIn) || expiresIn < 0) throw invalidArgument("expiresIn: must be a whole number of seconds ≥ 0");
  const key = serverSecretKey(deps.state.secret(ARGOCD_SECRET));
  if (!key) throw new ApiError(Code.Unavailable, "the server's signature key is not configured yet");
  const id = opts.id || randomUUID();
  const now = nowOf(deps);
  // Checked before signing (from the cache) and again inside the write (from the apiserver).
  if (account.tokens.some((t) => t.id === id)) throw invalidArgument(`account already has token with id '${id}'`);
  const { token, claims } = await issueToken(key, { subject: `${name}:apiKey`, id, expiresInSeconds: expiresIn, now });
  const entry: AccountToken = { id, iat: claims.iat ?? now, ...(claims.exp ? { exp: claims.exp } : {}) };
  await updateTokens(deps, name, (tokens) => {
    if (tokens.some((t) => t.id === id)) throw invalidArgument(`account already has token with id '${id}'`);
    return [...tokens, entry];
  });
  return { token };
}

/** `DELETE /api/v1/account/{name}/token/{id}`: revokes an API key; 404 for an unknown id. */
export async function deleteAccountToken(deps: AccountAdminDeps, name: string, id: string): Promise<void> {
  accountOf(deps, name);
  await updateTokens(deps, name, (tokens) => {
    if (!tokens.some((t) => t.id === id)) throw notFound(`account '${name}' does not have token with id ${id}`);
    return tokens.filter((t) => t.id !== id);
  });
}
