// The contracts between the API server's parts. The HTTP layer (operator/server/http) finds the
// caller with an Authenticator, asks an Enforcer whether the caller may act, and hands the request
// to a service (operator/server/services). Auth (operator/server/auth) and RBAC (the pure
// operator/engine/rbac plus operator/server/rbac, which feeds it argocd-rbac-cm and the projects)
// implement these; nothing in the HTTP layer knows how.

/**
 * The caller, as the claims of the token that authenticated the request (Argo's jwt.MapClaims).
 * Local tokens carry `sub` = the bare account name once verified ("admin", not "admin:login"),
 * project role tokens `sub` = "proj:<project>:<role>", SSO tokens the ID token's claims.
 * An anonymous caller (users.anonymous.enabled) has no Claims at all (undefined).
 */
export interface Claims {
  iss?: string;
  sub?: string;
  iat?: number;
  nbf?: number;
  exp?: number;
  jti?: string;
  email?: string;
  groups?: string[] | string;
  federated_claims?: { user_id?: string; connector_id?: string };
  [claim: string]: unknown;
}

/** The few request fields authentication reads (both HTTP/1.1 and HTTP/2 requests have them). */
export interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The client's address, for login rate limiting. */
  remoteAddress?: string;
}

export interface Authenticated {
  /** undefined = anonymous (only when anonymous access is enabled). */
  claims: Claims | undefined;
  /** A re-minted session token to hand back as the argocd.token cookie (Argo renews a login token with < 5 min left). */
  renewedToken?: string;
}

export interface Authenticator {
  /**
   * Finds and verifies the caller's token (Authorization: Bearer, then the argocd.token cookie,
   * possibly split). Throws ApiError Unauthenticated ("no session information",
   * "invalid session: <reason>") unless `optional` (session, settings, version endpoints) or
   * anonymous access is enabled, in which case it resolves to `{ claims: undefined }`.
   */
  authenticate(request: AuthRequest, options?: { optional?: boolean }): Promise<Authenticated>;
}

/** RBAC: may these claims do `action` on `resource` `object`? Argo's Enforce (argo-cd-server.md §3.4). */
export interface Enforcer {
  enforce(claims: Claims | undefined, resource: string, action: string, object: string): boolean;
}

/** The RBAC subject Argo names in "permission denied" messages. */
export function subjectOf(claims: Claims | undefined): string {
  if (!claims) return "";
  // An empty federated user id falls back to sub, as in Argo.
  return claims.federated_claims?.user_id || claims.sub || "";
}

/**
 * What the server knows of Kubernetes, read from its informer caches (the server keeps no state of
 * its own, so several replicas agree). All names are in the control namespace. Writes go through a
 * KubeClient, never through this.
 */
export interface ServerState {
  /** A ConfigMap's data, or undefined when it does not exist. */
  configMap(name: string): Record<string, string> | undefined;
  /** A Secret's data, base64-decoded, or undefined when it does not exist. */
  secret(name: string): Record<string, string> | undefined;
  /** The Secret's labels (for `$<secret>:<key>` references, which need app.kubernetes.io/part-of: argocd). */
  secretLabels(name: string): Record<string, string> | undefined;
  /** An AppProject by name, or undefined. */
  project(name: string): import("../api/index.js").AppProject | undefined;
  /** Every AppProject. */
  projects(): import("../api/index.js").AppProject[];
}

/** Verifies an SSO ID token (an `iss` other than "argocd") and returns its claims; throws when invalid. */
export interface IdTokenVerifier {
  verify(rawIdToken: string): Promise<Claims>;
  /** A fresh ID token for a verified one close to expiry (refreshTokenThreshold), or undefined. */
  refresh?(rawIdToken: string, claims: Claims): Promise<{ token: string; claims: Claims } | undefined>;
}
