// Who may deliver a webhook. Secrets follow Argo CD (`webhook.github.secret` etc. in argocd-secret).
// Hawser is stricter than Argo in one way: once any provider's secret is set, every delivery must
// prove itself with its own provider's signature or token, and a provider without a secret is
// refused. Otherwise an attacker could skip the GitHub signature by sending a GitLab-style request.
// With no secret at all, deliveries are accepted as Argo does (their only effect is a refresh).
//
// Everything that can be decided from headers is decided here before the body is read: the
// provider, whether it is configured, token checks, and that a signature header is present and
// well-formed. Only HMAC verification needs the body (verifyBody).
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export type Provider = "github" | "gitlab" | "bitbucket" | "bitbucketserver" | "gogs" | "azuredevops";

export interface WebhookSecrets {
  github?: string;
  gitlab?: string;
  bitbucketUUID?: string;
  bitbucketServer?: string;
  gogs?: string;
  azureDevOpsUsername?: string;
  azureDevOpsPassword?: string;
  /** Providers whose secret is a `$…` reference that does not resolve, with why: they refuse everything. */
  unresolved?: Partial<Record<Provider, string>>;
}

export type Headers = Record<string, string | string[] | undefined>;

export interface Rejection {
  kind: "rejected";
  status: number;
  reason: string;
}

/** The argocd-secret key that configures each provider (for messages). */
export const SECRET_KEYS: Record<Provider, string> = {
  github: "webhook.github.secret",
  gitlab: "webhook.gitlab.secret",
  bitbucket: "webhook.bitbucket.uuid",
  bitbucketserver: "webhook.bitbucketserver.secret",
  gogs: "webhook.gogs.secret",
  azuredevops: "webhook.azuredevops.username/password",
};

export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time comparison; hashing first hides the secret's length too. */
function safeEqual(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function hmacHex(algorithm: "sha1" | "sha256", secret: string, body: Buffer): string {
  return createHmac(algorithm, secret).update(body).digest("hex");
}

export function detectProvider(headers: Headers): Provider | undefined {
  if (header(headers, "x-github-event")) return "github";
  if (header(headers, "x-gitlab-event")) return "gitlab";
  if (header(headers, "x-gogs-event")) return "gogs";
  if (header(headers, "x-event-key")) return header(headers, "x-request-uuid") || header(headers, "x-hook-uuid") ? "bitbucket" : "bitbucketserver";
  if (header(headers, "x-vss-activityid") || header(headers, "x-vss-subscriptionid")) return "azuredevops";
  return undefined;
}

/** The providers whose secret is set. */
export function configuredProviders(secrets: WebhookSecrets): Provider[] {
  const out: Provider[] = [];
  if (secrets.github) out.push("github");
  if (secrets.gitlab) out.push("gitlab");
  if (secrets.bitbucketUUID) out.push("bitbucket");
  if (secrets.bitbucketServer) out.push("bitbucketserver");
  if (secrets.gogs) out.push("gogs");
  if (secrets.azureDevOpsUsername || secrets.azureDevOpsPassword) out.push("azuredevops");
  for (const p of Object.keys(secrets.unresolved ?? {}) as Provider[]) if (!out.includes(p)) out.push(p);
  return out;
}

const unauthorized = (reason: string): Rejection => ({ kind: "rejected", status: 401, reason });

// Signature header formats, checked before the body is read so that a request that cannot be
// valid never costs a read. Hex digests only: anything else cannot match.
const HEX = /^[0-9a-f]+$/i;
function wellFormed(value: string | undefined, prefix: string, hexLength: number): boolean {
  if (value === undefined || value.length !== prefix.length + hexLength || !value.startsWith(prefix)) return false;
  return HEX.test(value.slice(prefix.length));
}

/**
 * Header-only checks: which provider sent this, whether it may send at all, and (for token-based
 * providers) whether its token is right. Returns the provider, or a rejection to send at once.
 */
export function checkHeaders(headers: Headers, secrets: WebhookSecrets): { kind: "accepted"; provider: Provider } | Rejection {
  const provider = detectProvider(headers);
  if (!provider) return { kind: "rejected", status: 400, reason: "unknown webhook provider (no known event header)" };
  const configured = configuredProviders(secrets);
  if (configured.length === 0) return { kind: "accepted", provider };
  if (!configured.includes(provider)) {
    return { kind: "rejected", status: 403, reason: `${provider} webhooks are refused: ${SECRET_KEYS[provider]} is not set while another provider's webhook secret is` };
  }
  const unresolved = secrets.unresolved?.[provider];
  if (unresolved) return { kind: "rejected", status: 403, reason: unresolved };
  const denied = checkProviderHeaders(provider, headers, secrets);
  return denied ?? { kind: "accepted", provider };
}

function checkProviderHeaders(provider: Provider, headers: Headers, secrets: WebhookSecrets): Rejection | undefined {
  switch (provider) {
    case "github": {
      const sig256 = header(headers, "x-hub-signature-256");
      if (sig256 !== undefined) return wellFormed(sig256, "sha256=", 64) ? undefined : unauthorized("malformed X-Hub-Signature-256");
      const sig1 = header(headers, "x-hub-signature");
      if (sig1 !== undefined) return wellFormed(sig1, "sha1=", 40) ? undefined : unauthorized("malformed X-Hub-Signature");
      return unauthorized("missing X-Hub-Signature-256 (webhook.github.secret is set)");
    }
    case "gogs":
      return wellFormed(header(headers, "x-gogs-signature"), "", 64) ? undefined : unauthorized("missing or malformed X-Gogs-Signature (webhook.gogs.secret is set)");
    case "bitbucketserver":
      return wellFormed(header(headers, "x-hub-signature"), "sha256=", 64) ? undefined : unauthorized("missing or malformed X-Hub-Signature (webhook.bitbucketserver.secret is set)");
    case "gitlab": {
      const token = header(headers, "x-gitlab-token");
      return token !== undefined && safeEqual(token, secrets.gitlab ?? "") ? undefined : unauthorized("X-Gitlab-Token does not match webhook.gitlab.secret");
    }
    case "bitbucket": {
      const uuid = header(headers, "x-hook-uuid");
      return uuid !== undefined && safeEqual(uuid, secrets.bitbucketUUID ?? "") ? undefined : unauthorized("X-Hook-UUID does not match webhook.bitbucket.uuid");
    }
    case "azuredevops": {
      const expected = `Basic ${Buffer.from(`${secrets.azureDevOpsUsername ?? ""}:${secrets.azureDevOpsPassword ?? ""}`).toString("base64")}`;
      return safeEqual(header(headers, "authorization") ?? "", expected) ? undefined : unauthorized("basic auth does not match webhook.azuredevops.username/password");
    }
  }
}

/** The body half of authentication: HMAC signatures over the exact bytes received. */
export function verifyBody(provider: Provider, headers: Headers, body: Buffer, secrets: WebhookSecrets): Rejection | undefined {
  const configured = configuredProviders(secrets);
  if (configured.length === 0) return undefined;
  // Never verify against an empty key, even if a caller skipped checkHeaders.
  if (!configured.includes(provider)) return { kind: "rejected", status: 403, reason: `${provider} webhooks are refused: ${SECRET_KEYS[provider]} is not set` };
  const unresolved = secrets.unresolved?.[provider];
  if (unresolved) return { kind: "rejected", status: 403, reason: unresolved };
  switch (provider) {
    case "github": {
      const secret = secrets.github ?? "";
      const sig256 = header(headers, "x-hub-signature-256");
      const ok = sig256 !== undefined
        ? safeEqual(sig256.toLowerCase(), `sha256=${hmacHex("sha256", secret, body)}`)
        : safeEqual((header(headers, "x-hub-signature") ?? "").toLowerCase(), `sha1=${hmacHex("sha1", secret, body)}`);
      return ok ? undefined : unauthorized("signature does not match webhook.github.secret");
    }
    case "gogs":
      return safeEqual((header(headers, "x-gogs-signature") ?? "").toLowerCase(), hmacHex("sha256", secrets.gogs ?? "", body)) ? undefined : unauthorized("signature does not match webhook.gogs.secret");
    case "bitbucketserver":
      return safeEqual((header(headers, "x-hub-signature") ?? "").toLowerCase(), `sha256=${hmacHex("sha256", secrets.bitbucketServer ?? "", body)}`) ? undefined : unauthorized("signature does not match webhook.bitbucketserver.secret");
    default:
      // Token-based providers were settled by checkHeaders.
      return undefined;
  }
}

/** Looks up `key` of the Secret `name` (labelled app.kubernetes.io/part-of: argocd), for `$name:key` references. */
export type SecretReferenceLookup = (name: string, key: string) => string | undefined;

/**
 * The webhook secrets from argocd-secret's data (base64) or stringData. A value may refer
 * elsewhere as Argo allows: `$key` to another key of argocd-secret, `$name:key` to a Secret
 * labelled app.kubernetes.io/part-of: argocd. Argo uses an unresolvable reference literally as
 * the secret, and the reference is no secret; here it makes the provider refuse every delivery.
 */
export function webhookSecretsFrom(secret: { data?: Record<string, string>; stringData?: Record<string, string> } | undefined, lookup?: SecretReferenceLookup): WebhookSecrets {
  const get = (key: string): string | undefined => {
    const plain = secret?.stringData?.[key];
    if (plain) return plain;
    const b64 = secret?.data?.[key];
    return b64 ? Buffer.from(b64, "base64").toString("utf8") : undefined;
  };
  const unresolved: Partial<Record<Provider, string>> = {};
  const resolve = (provider: Provider, key: string): string | undefined => {
    const raw = get(key);
    if (!raw?.startsWith("$")) return raw;
    const ref = raw.slice(1);
    const colon = ref.indexOf(":");
    const value = (colon < 0 ? get(ref) : lookup?.(ref.slice(0, colon), ref.slice(colon + 1)))?.trim();
    if (value) return value;
    unresolved[provider] ??= `${key} refers to "${raw}", which does not resolve (${colon < 0 ? "no such key in argocd-secret" : "no Secret of that name labelled app.kubernetes.io/part-of: argocd with that key"}); ${provider} webhooks are refused`;
    return undefined;
  };
  const secrets: WebhookSecrets = {
    github: resolve("github", "webhook.github.secret"),
    gitlab: resolve("gitlab", "webhook.gitlab.secret"),
    bitbucketUUID: resolve("bitbucket", "webhook.bitbucket.uuid"),
    bitbucketServer: resolve("bitbucketserver", "webhook.bitbucketserver.secret"),
    gogs: resolve("gogs", "webhook.gogs.secret"),
    azureDevOpsUsername: resolve("azuredevops", "webhook.azuredevops.username"),
    azureDevOpsPassword: resolve("azuredevops", "webhook.azuredevops.password"),
  };
  if (Object.keys(unresolved).length > 0) secrets.unresolved = unresolved;
  return secrets;
}
