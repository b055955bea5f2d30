// Git provider webhooks: what a push delivery says changed (repository URLs, the pushed branch or
// tag, changed files). Payloads come from the network and may be from anyone (Argo's webhook
// crashes on malformed Gogs, Azure DevOps and Bitbucket Server payloads were advisories), so every
// field is read through a type check; a missing or mistyped field is a 400 naming the field,
// never an exception.
import { checkHeaders, header, verifyBody, type Headers, type Provider, type Rejection, type WebhookSecrets } from "./auth.js";
import { isRecord } from "../util/index.js";

export { webhookSecretsFrom, type Provider, type WebhookSecrets } from "./auth.js";

/**
 * The longest repository URL a webhook payload may carry (longer ones are refused with a 400);
 * real URLs are far shorter, and the cap bounds the work one delivery can ask for.
 */
export const MAX_REPO_URL_LENGTH = 2048;

export interface PushEvent {
  provider: Provider;
  /** Every URL form the payload gives for the repository (https, ssh, html). */
  repoURLs: string[];
  /** Branch or tag name without refs/heads/ or refs/tags/; empty when the payload has none. */
  revision: string;
  /** The commit after the push, when given. */
  after?: string;
  /**
   * Files added, modified or removed by the pushed commits (for manifest-generate-paths). Empty
   * means unknown, which refreshes every matching app.
   */
  changedFiles: string[];
  /** True when this is the default branch (so HEAD-tracking apps match). */
  defaultBranch?: string;
}

export type WebhookResult =
  | { kind: "push"; event: PushEvent }
  | { kind: "ignored"; reason: string }
  | Rejection;

/** Argo's `webhook.maxPayloadSizeMB` default. */
export const DEFAULT_MAX_PAYLOAD_MB = 50;
export const MAX_PAYLOAD_BYTES = DEFAULT_MAX_PAYLOAD_MB * 1024 * 1024;

/**
 * Above this many changed files the list is dropped (every matching app refreshes, as without
 * manifest-generate-paths): matching cost grows with files × apps, and a refresh is the safe side.
 */
export const MAX_CHANGED_FILES = 10_000;

/** A field that is missing or has the wrong type; the message names it. */
class PayloadError extends Error {}

type Json = Record<string, unknown>;


/** An object field; absent or null reads as empty. */
function optObject(v: unknown, path: string): Json {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) throw new PayloadError(`${path} must be an object`);
  return v;
}

function reqObject(v: unknown, path: string): Json {
  if (v === undefined || v === null) throw new PayloadError(`${path} is missing`);
  return optObject(v, path);
}

function optString(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw new PayloadError(`${path} must be a string`);
  return v;
}

function reqString(v: unknown, path: string): string {
  const s = optString(v, path);
  if (s === undefined) throw new PayloadError(`${path} is missing`);
  return s;
}

function optArray(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new PayloadError(`${path} must be an array`);
  return v;
}

function firstOf(v: unknown, path: string): Json {
  const list = optArray(v, path);
  if (list.length === 0) throw new PayloadError(`${path} is empty`);
  return reqObject(list[0], `${path}[0]`);
}

/** The repository URL fields that are set; at least one must be, and none may be over-long. */
function repoURLs(fields: Array<[unknown, string]>): string[] {
  const out: string[] = [];
  for (const [v, path] of fields) {
    const s = optString(v, path);
    if (s === undefined) continue;
    if (s.length > MAX_REPO_URL_LENGTH) throw new PayloadError(`${path} is longer than ${MAX_REPO_URL_LENGTH} characters`);
    out.push(s);
  }
  if (out.length === 0) throw new PayloadError(`no repository URL (${fields.map(([, p]) => p).join(", ")})`);
  return out;
}

function stripRef(ref: string | undefined): string {
  if (ref === undefined) return "";
  for (const prefix of ["refs/heads/", "refs/tags/"]) if (ref.startsWith(prefix)) return ref.slice(prefix.length);
  return ref;
}

function changedFiles(commits: unknown): string[] {
  const out = new Set<string>();
  optArray(commits, "commits").forEach((c, i) => {
    const commit = optObject(c, `commits[${i}]`);
    for (const key of ["added", "modified", "removed"]) {
      optArray(commit[key], `commits[${i}].${key}`).forEach((f, j) => {
        if (typeof f !== "string") throw new PayloadError(`commits[${i}].${key}[${j}] must be a string`);
        out.add(f);
      });
    }
  });
  return out.size > MAX_CHANGED_FILES ? [] : [...out];
}

function parsePush(provider: Provider, headers: Headers, payload: Json): WebhookResult {
  switch (provider) {
    case "github": {
      const event = header(headers, "x-github-event");
      if (event === "ping") return { kind: "ignored", reason: "ping" };
      if (event !== "push") return { kind: "ignored", reason: `GitHub event ${event ?? ""} does not trigger a refresh` };
      const repo = reqObject(payload.repository, "repository");
      return {
        kind: "push",
        event: {
          provider,
          repoURLs: repoURLs([[repo.html_url, "repository.html_url"], [repo.clone_url, "repository.clone_url"], [repo.ssh_url, "repository.ssh_url"], [repo.git_url, "repository.git_url"], [repo.url, "repository.url"]]),
          revision: stripRef(reqString(payload.ref, "ref")),
          after: optString(payload.after, "after"),
          changedFiles: changedFiles(payload.commits),
          defaultBranch: optString(repo.default_branch, "repository.default_branch"),
        },
      };
    }
    case "gitlab": {
      const kind = optString(payload.object_kind, "object_kind");
      if (kind !== "push" && kind !== "tag_push") return { kind: "ignored", reason: `GitLab event ${kind ?? ""} does not trigger a refresh` };
      const project = reqObject(payload.project, "project");
      return {
        kind: "push",
        event: {
          provider,
          repoURLs: repoURLs([[project.web_url, "project.web_url"], [project.git_http_url, "project.git_http_url"], [project.git_ssh_url, "project.git_ssh_url"]]),
          revision: stripRef(reqString(payload.ref, "ref")),
          after: optString(payload.after, "after"),
          changedFiles: changedFiles(payload.commits),
          defaultBranch: optString(project.default_branch, "project.default_branch"),
        },
      };
    }
    case "gogs": {
      const event = header(headers, "x-gogs-event");
      if (event !== "push") return { kind: "ignored", reason: `Gogs event ${event ?? ""} does not trigger a refresh` };
      const repo = reqObject(payload.repository, "repository");
      return {
        kind: "push",
        event: {
          provider,
          repoURLs: repoURLs([[repo.html_url, "repository.html_url"], [repo.clone_url, "repository.clone_url"], [repo.ssh_url, "repository.ssh_url"]]),
          revision: stripRef(reqString(payload.ref, "ref")),
          after: optString(payload.after, "after"),
          changedFiles: changedFiles(payload.commits),
          defaultBranch: optString(repo.default_branch, "repository.default_branch"),
        },
      };
    }
    case "bitbucketserver": {
      const event = header(headers, "x-event-key");
      if (event !== "repo:refs_changed") return { kind: "ignored", reason: `Bitbucket Server event ${event ?? ""} does not trigger a refresh` };
      const repo = reqObject(payload.repository, "repository");
      const clone = optArray(reqObject(repo.links, "repository.links").clone, "repository.links.clone");
      const urls = repoURLs(clone.map((l, i) => [optObject(l, `repository.links.clone[${i}]`).href, `repository.links.clone[${i}].href`]));
      const change = firstOf(payload.changes, "changes");
      return { kind: "push", event: { provider, repoURLs: urls, revision: stripRef(reqString(change.refId, "changes[0].refId")), after: optString(change.toHash, "changes[0].toHash"), changedFiles: [] } };
    }
    case "bitbucket": {
      const event = header(headers, "x-event-key");
      if (event !== "repo:push") return { kind: "ignored", reason: `Bitbucket event ${event ?? ""} does not trigger a refresh` };
      const repo = reqObject(payload.repository, "repository");
      const html = optObject(reqObject(repo.links, "repository.links").html, "repository.links.html");
      const change = firstOf(reqObject(payload.push, "push").changes, "push.changes");
      // `new` is null when the push deleted the branch.
      const next = optObject(change.new, "push.changes[0].new");
      return {
        kind: "push",
        event: {
          provider,
          repoURLs: repoURLs([[html.href, "repository.links.html.href"]]),
          revision: optString(next.name, "push.changes[0].new.name") ?? "",
          after: optString(optObject(next.target, "push.changes[0].new.target").hash, "push.changes[0].new.target.hash"),
          changedFiles: [],
        },
      };
    }
    case "azuredevops": {
      const eventType = optString(payload.eventType, "eventType");
      if (eventType !== "git.push") return { kind: "ignored", reason: `Azure DevOps event ${eventType ?? ""} does not trigger a refresh` };
      const resource = reqObject(payload.resource, "resource");
      const repo = reqObject(resource.repository, "resource.repository");
      const update = firstOf(resource.refUpdates, "resource.refUpdates");
      return {
        kind: "push",
        event: {
          provider,
          repoURLs: repoURLs([[repo.remoteUrl, "resource.repository.remoteUrl"], [repo.sshUrl, "resource.repository.sshUrl"]]),
          revision: stripRef(reqString(update.name, "resource.refUpdates[0].name")),
          after: optString(update.newObjectId, "resource.refUpdates[0].newObjectId"),
          changedFiles: [],
          defaultBranch: stripRef(optString(repo.defaultBranch, "resource.repository.defaultBranch")),
        },
      };
    }
  }
}

/** Parses an authenticated body. Never throws: malformed payloads are 400s naming the field. */
export function parsePayload(provider: Provider, headers: Headers, body: Buffer): WebhookResult {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch {
    return { kind: "rejected", status: 400, reason: "payload is not JSON" };
  }
  if (!isRecord(payload)) return { kind: "rejected", status: 400, reason: "payload is not a JSON object" };
  try {
    return parsePush(provider, headers, payload);
  } catch (err) {
    if (err instanceof PayloadError) return { kind: "rejected", status: 400, reason: `malformed ${provider} payload: ${err.message}` };
    throw err;
  }
}

/** Authenticates and parses one complete webhook delivery (the server runs these steps apart). */
export function parseWebhook(headers: Headers, body: Buffer, secrets: WebhookSecrets, maxPayloadBytes = MAX_PAYLOAD_BYTES): WebhookResult {
  if (body.length > maxPayloadBytes) return { kind: "rejected", status: 413, reason: `payload larger than ${maxPayloadBytes} bytes` };
  const checked = checkHeaders(headers, secrets);
  if (checked.kind === "rejected") return checked;
  const denied = verifyBody(checked.provider, headers, body, secrets);
  if (denied) return denied;
  return parsePayload(checked.provider, headers, body);
}
