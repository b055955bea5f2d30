// Git provider webhooks: authenticate a delivery and extract what changed (repository URLs, the
// pushed branch or tag, changed files). Providers and secrets follow Argo CD (`webhook.github.secret`
// etc. in argocd-secret). A provider whose secret is configured only accepts deliveries that prove
// it (HMAC signature or token, compared in constant time); without a secret, deliveries are
// accepted as Argo does, since their only effect is a refresh.
import { createHmac, timingSafeEqual } from "node:crypto";

export type Provider = "github" | "gitlab" | "bitbucket" | "bitbucketserver" | "gogs" | "azuredevops";

export interface WebhookSecrets {
  github?: string;
  gitlab?: string;
  bitbucketUUID?: string;
  bitbucketServer?: string;
  gogs?: string;
  azureDevOpsUsername?: string;
  azureDevOpsPassword?: string;
}

export interface PushEvent {
  provider: Provider;
  /** Every URL form the payload gives for the repository (https, ssh, html). */
  repoURLs: string[];
  /** Branch or tag name without refs/heads/ or refs/tags/; empty when the payload has none. */
  revision: string;
  /** The commit after the push, when given. */
  after?: string;
  /** Files added, modified or removed by the pushed commits (for manifest-generate-paths). */
  changedFiles: string[];
  /** True when this is the default branch (so HEAD-tracking apps match). */
  defaultBranch?: string;
}

export type WebhookResult =
  | { kind: "push"; event: PushEvent }
  | { kind: "ignored"; reason: string }
  | { kind: "rejected"; status: number; reason: string };

export const MAX_PAYLOAD_BYTES = 50 * 1024 * 1024;

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function hmacHex(algorithm: "sha1" | "sha256", secret: string, body: Buffer): string {
  return createHmac(algorithm, secret).update(body).digest("hex");
}

function stripRef(ref: string | undefined): string {
  return (ref ?? "").replace(/^refs\/(heads|tags)\//, "");
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function files(commits: unknown): string[] {
  const out = new Set<string>();
  for (const c of Array.isArray(commits) ? commits : []) {
    for (const key of ["added", "modified", "removed"]) {
      const list = obj(c)[key];
      if (Array.isArray(list)) for (const f of list) if (typeof f === "string") out.add(f);
    }
  }
  return [...out];
}

function detectProvider(headers: Headers): Provider | undefined {
  if (header(headers, "x-github-event")) return "github";
  if (header(headers, "x-gitlab-event")) return "gitlab";
  if (header(headers, "x-gogs-event")) return "gogs";
  if (header(headers, "x-event-key")) return header(headers, "x-request-uuid") || header(headers, "x-hook-uuid") ? "bitbucket" : "bitbucketserver";
  if (header(headers, "x-vss-activityid") || header(headers, "x-vss-subscriptionid")) return "azuredevops";
  return undefined;
}

function authenticate(provider: Provider, headers: Headers, body: Buffer, secrets: WebhookSecrets): string | undefined {
  switch (provider) {
    case "github": {
      if (!secrets.github) return undefined;
      const sig256 = header(headers, "x-hub-signature-256");
      if (sig256) return safeEqual(sig256, `sha256=${hmacHex("sha256", secrets.github, body)}`) ? undefined : "signature does not match webhook.github.secret";
      const sig1 = header(headers, "x-hub-signature");
      if (sig1) return safeEqual(sig1, `sha1=${hmacHex("sha1", secrets.github, body)}`) ? undefined : "signature does not match webhook.github.secret";
      return "missing X-Hub-Signature-256 (webhook.github.secret is set)";
    }
    case "gitlab": {
      if (!secrets.gitlab) return undefined;
      const token = header(headers, "x-gitlab-token");
      return token && safeEqual(token, secrets.gitlab) ? undefined : "X-Gitlab-Token does not match webhook.gitlab.secret";
    }
    case "gogs": {
      if (!secrets.gogs) return undefined;
      const sig = header(headers, "x-gogs-signature");
      return sig && safeEqual(sig, hmacHex("sha256", secrets.gogs, body)) ? undefined : "signature does not match webhook.gogs.secret";
    }
    case "bitbucketserver": {
      if (!secrets.bitbucketServer) return undefined;
      const sig = header(headers, "x-hub-signature");
      return sig && safeEqual(sig, `sha256=${hmacHex("sha256", secrets.bitbucketServer, body)}`) ? undefined : "signature does not match webhook.bitbucketserver.secret";
    }
    case "bitbucket": {
      if (!secrets.bitbucketUUID) return undefined;
      const uuid = header(headers, "x-hook-uuid");
      return uuid && safeEqual(uuid, secrets.bitbucketUUID) ? undefined : "X-Hook-UUID does not match webhook.bitbucket.uuid";
    }
    case "azuredevops": {
      if (!secrets.azureDevOpsUsername && !secrets.azureDevOpsPassword) return undefined;
      const auth = header(headers, "authorization") ?? "";
      const expected = `Basic ${Buffer.from(`${secrets.azureDevOpsUsername ?? ""}:${secrets.azureDevOpsPassword ?? ""}`).toString("base64")}`;
      return safeEqual(auth, expected) ? undefined : "basic auth does not match webhook.azuredevops.username/password";
    }
  }
}

function parsePush(provider: Provider, headers: Headers, payload: Record<string, unknown>): WebhookResult {
  switch (provider) {
    case "github": {
      const event = header(headers, "x-github-event");
      if (event === "ping") return { kind: "ignored", reason: "ping" };
      if (event !== "push") return { kind: "ignored", reason: `GitHub event ${event ?? ""} does not trigger a refresh` };
      const repo = obj(payload.repository);
      return {
        kind: "push",
        event: {
          provider,
          repoURLs: [str(repo.html_url), str(repo.clone_url), str(repo.ssh_url), str(repo.git_url), str(repo.url)].filter((u): u is string => !!u),
          revision: stripRef(str(payload.ref)),
          after: str(payload.after),
          changedFiles: files(payload.commits),
          defaultBranch: str(repo.default_branch),
        },
      };
    }
    case "gitlab": {
      const kind = str(payload.object_kind);
      if (kind !== "push" && kind !== "tag_push") return { kind: "ignored", reason: `GitLab event ${kind ?? ""} does not trigger a refresh` };
      const project = obj(payload.project);
      return {
        kind: "push",
        event: {
          provider,
          repoURLs: [str(project.web_url), str(project.git_http_url), str(project.git_ssh_url)].filter((u): u is string => !!u),
          revision: stripRef(str(payload.ref)),
          after: str(payload.after),
          changedFiles: files(payload.commits),
          defaultBranch: str(project.default_branch),
        },
      };
    }
    case "gogs": {
      const repo = obj(payload.repository);
      return {
        kind: "push",
        event: {
          provider,
          repoURLs: [str(repo.html_url), str(repo.clone_url), str(repo.ssh_url)].filter((u): u is string => !!u),
          revision: stripRef(str(payload.ref)),
          after: str(payload.after),
          changedFiles: files(payload.commits),
          defaultBranch: str(repo.default_branch),
        },
      };
    }
    case "bitbucketserver": {
      const repo = obj(payload.repository);
      const links = obj(repo.links);
      const clone = Array.isArray(links.clone) ? (links.clone as unknown[]).map((l) => str(obj(l).href)).filter((u): u is string => !!u) : [];
      const change = obj(Array.isArray(payload.changes) ? payload.changes[0] : undefined);
      return { kind: "push", event: { provider, repoURLs: clone, revision: stripRef(str(change.refId)), after: str(change.toHash), changedFiles: [] } };
    }
    case "bitbucket": {
      const repo = obj(payload.repository);
      const html = str(obj(obj(repo.links).html).href);
      const change = obj(Array.isArray(obj(payload.push).changes) ? (obj(payload.push).changes as unknown[])[0] : undefined);
      const next = obj(change.new);
      return { kind: "push", event: { provider, repoURLs: html ? [html] : [], revision: str(next.name) ?? "", after: str(obj(next.target).hash), changedFiles: [] } };
    }
    case "azuredevops": {
      if (str(payload.eventType) !== "git.push") return { kind: "ignored", reason: `Azure DevOps event ${str(payload.eventType) ?? ""} does not trigger a refresh` };
      const resource = obj(payload.resource);
      const repo = obj(resource.repository);
      const update = obj(Array.isArray(resource.refUpdates) ? resource.refUpdates[0] : undefined);
      return {
        kind: "push",
        event: {
          provider,
          repoURLs: [str(repo.remoteUrl), str(repo.sshUrl)].filter((u): u is string => !!u),
          revision: stripRef(str(update.name)),
          after: str(update.newObjectId),
          changedFiles: [],
          defaultBranch: stripRef(str(repo.defaultBranch)),
        },
      };
    }
  }
}

/** Authenticates and parses one webhook delivery. */
export function parseWebhook(headers: Headers, body: Buffer, secrets: WebhookSecrets): WebhookResult {
  if (body.length > MAX_PAYLOAD_BYTES) return { kind: "rejected", status: 413, reason: "payload larger than 50 MB" };
  const provider = detectProvider(headers);
  if (!provider) return { kind: "rejected", status: 400, reason: "unknown webhook provider (no known event header)" };
  const denied = authenticate(provider, headers, body, secrets);
  if (denied) return { kind: "rejected", status: 401, reason: denied };
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch {
    return { kind: "rejected", status: 400, reason: "payload is not JSON" };
  }
  return parsePush(provider, headers, obj(payload));
}

/** The webhook secrets from argocd-secret's data (base64) or stringData. */
export function webhookSecretsFrom(secret: { data?: Record<string, string>; stringData?: Record<string, string> } | undefined): WebhookSecrets {
  const get = (key: string): string | undefined => {
    const plain = secret?.stringData?.[key];
    if (plain) return plain;
    const b64 = secret?.data?.[key];
    return b64 ? Buffer.from(b64, "base64").toString("utf8") : undefined;
  };
  return {
    github: get("webhook.github.secret"),
    gitlab: get("webhook.gitlab.secret"),
    bitbucketUUID: get("webhook.bitbucket.uuid"),
    bitbucketServer: get("webhook.bitbucketserver.secret"),
    gogs: get("webhook.gogs.secret"),
    azureDevOpsUsername: get("webhook.azuredevops.username"),
    azureDevOpsPassword: get("webhook.azuredevops.password"),
  };
}
