// Repository credentials from Argo CD's Secrets (declarative-setup.md): `repository` Secrets match
// a repository URL exactly (after normalisation), `repo-creds` Secrets are templates matched by
// the longest URL prefix. A repository Secret without credentials of its own inherits them from
// the best matching repo-creds, as Argo's enrichment does. Values are registered with the redactor
// the moment they are parsed, so nothing that prints them afterwards can leak them.
import { createHash } from "node:crypto";
import { registerSecret } from "../runtime/redact.js";
import { normalizeGitURL } from "./url.js";

export const SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type";
export const SECRET_TYPE_REPOSITORY = "repository";
export const SECRET_TYPE_REPO_CREDS = "repo-creds";

/**
 * The name Hawser gives a repository or repo-creds Secret it creates for `url` in `project` (the
 * API, `hawser repo add --core`): a hash of both, so one URL can be registered once unscoped and
 * once per project, as in Argo. An unscoped one keeps the hash of the URL alone, the name earlier
 * versions gave it.
 */
export function repositorySecretName(type: "repository" | "repo-creds", url: string, project: string | undefined): string {
  const key = project ? `${url}\u0000${project}` : url;
  return `${type === "repository" ? "repo" : "creds"}-${createHash("sha256").update(key).digest("hex").slice(0, 10)}`;
}

/**
 * The stored Secret of `url` for `project` as the API server and the CLI find it (get, update, add): the project's own, else the
 * unscoped one; without a project the unscoped one, or the only one there is.
 */
export function findRepoSecret<S extends { data: Record<string, string> }>(secrets: S[], url: string, project: string, fallback: boolean): S | undefined {
  const same = secrets.filter((s) => normalizeRepoUrl(s.data.url ?? "") === normalizeRepoUrl(url));
  const own = same.find((s) => (s.data.project ?? "") === project);
  if (own || !fallback) return own;
  if (project) return same.find((s) => !s.data.project);
  return same.length === 1 ? same[0] : undefined;
}

/**
 * The registration a delete removes: exactly the Secret of `url` in `project` ("" = the unscoped
 * one), never a fallback. A delete that names no project must not remove a project's
 * registration, nor one that names a project the unscoped registration (Argo's delete looks the
 * Secret up without falling back). When there is none, `elsewhere` lists the projects that do
 * register the URL ("" for the unscoped registration), for the refusal's message.
 */
/** A repository URL as registrations are matched: without surrounding blanks or trailing slashes. */
export function normalizeRepoUrl(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

export function registrationToDelete<S extends { data: Record<string, string> }>(secrets: S[], url: string, project: string): { found?: S; elsewhere: string[] } {
  const same = secrets.filter((s) => normalizeRepoUrl(s.data.url ?? "") === normalizeRepoUrl(url));
  const found = same.find((s) => (s.data.project ?? "") === project);
  return found ? { found, elsewhere: [] } : { elsewhere: [...new Set(same.map((s) => s.data.project ?? ""))].sort() };
}

/**
 * Why nothing was deleted: `<what> '<url>' not found` (Argo's words), then where the URL is
 * registered and how to name that registration (`how(project)`, e.g. `appProject=team-a`).
 */
export function notRegisteredMessage(what: string, url: string, project: string, elsewhere: string[], how: (project: string) => string): string {
  const base = `${what} '${url}' not found${project ? ` in project ${project}` : " unscoped"}`;
  if (elsewhere.length === 0) return base;
  const projects = elsewhere.filter((p) => p !== "");
  const parts: string[] = [];
  if (projects.length > 0) parts.push(`it is registered in project${projects.length > 1 ? "s" : ""} ${projects.join(", ")} (name one with ${how(projects[0]!)})`);
  if (elsewhere.includes("")) parts.push(`it is registered unscoped (name no project)`);
  return `${base}; ${parts.join("; ")}`;
}

export interface RepoCredentials {
  /** The Secret's `url` (repository URL, or URL prefix for repo-creds). */
  url: string;
  /** Where these came from: `repository` or `repo-creds`, and the Secret's namespace/name. */
  source: { kind: "repository" | "repo-creds"; secret: string };
  type?: string;
  name?: string;
  project?: string;
  username?: string;
  password?: string;
  bearerToken?: string;
  sshPrivateKey?: string;
  tlsClientCertData?: string;
  tlsClientCertKey?: string;
  githubAppID?: string;
  githubAppInstallationID?: string;
  githubAppPrivateKey?: string;
  githubAppEnterpriseBaseUrl?: string;
  /** Skip TLS verification (https) / host key checking (ssh). */
  insecure: boolean;
  /** Deprecated Argo flag, same effect as `insecure` for ssh. */
  insecureIgnoreHostKey: boolean;
  /** Send basic auth on the first request instead of waiting for a 401. */
  forceHttpBasicAuth: boolean;
  enableLfs: boolean;
  /** Helm repository Secrets (`type: helm`): the url is an OCI registry (written without oci://). */
  enableOCI?: boolean;
  /** OCI registries (type oci, or helm with enableOCI): speak plain HTTP (`insecureOCIForceHttp`). */
  insecureOCIForceHttp?: boolean;
  proxy?: string;
  noProxy?: string;
  /** Clone depth requested by the Secret (0 = not set). */
  depth?: number;
}

/** The structural subset of a core/v1 Secret this module reads. */
export interface SecretLike {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> | undefined };
  data?: Record<string, string> | undefined;
  stringData?: Record<string, string> | undefined;
}

/** Consulted for every git operation, so credential changes apply without a restart. */
export interface CredentialProvider {
  credentialsFor(repoURL: string): RepoCredentials | undefined;
}

const CREDENTIAL_FIELDS = [
  "username",
  "password",
  "bearerToken",
  "sshPrivateKey",
  "tlsClientCertData",
  "tlsClientCertKey",
  "githubAppID",
  "githubAppInstallationID",
  "githubAppPrivateKey",
  "githubAppEnterpriseBaseUrl",
] as const;

const SECRET_FIELDS = ["password", "bearerToken", "sshPrivateKey", "tlsClientCertKey", "githubAppPrivateKey"] as const;

function secretData(secret: SecretLike): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(secret.data ?? {})) out.set(k, Buffer.from(v, "base64").toString("utf8"));
  // stringData only exists on objects not yet written (tests, manifests); it wins as the API server's merge does.
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out.set(k, v);
  return out;
}

const truthy = (v: string | undefined): boolean => v !== undefined && /^(true|1|yes)$/i.test(v.trim());

/** Parses a `repository` or `repo-creds` Secret; undefined for other Secrets or ones without a url. */
export function credentialsFromSecret(secret: SecretLike): RepoCredentials | undefined {
  const kind = secret.metadata?.labels?.[SECRET_TYPE_LABEL];
  if (kind !== SECRET_TYPE_REPOSITORY && kind !== SECRET_TYPE_REPO_CREDS) return undefined;
  const d = secretData(secret);
  const url = d.get("url")?.trim();
  if (!url) return undefined;
  const creds: RepoCredentials = {
    url,
    source: { kind, secret: `${secret.metadata?.namespace ?? ""}/${secret.metadata?.name ?? ""}` },
    insecure: truthy(d.get("insecure")),
    insecureIgnoreHostKey: truthy(d.get("insecureIgnoreHostKey")),
    forceHttpBasicAuth: truthy(d.get("forceHttpBasicAuth")),
    enableLfs: truthy(d.get("enableLfs")),
    enableOCI: truthy(d.get("enableOCI")),
    insecureOCIForceHttp: truthy(d.get("insecureOCIForceHttp")),
  };
  for (const key of ["type", "name", "project", "proxy", "noProxy", ...CREDENTIAL_FIELDS] as const) {
    const v = d.get(key);
    if (v !== undefined && v !== "") creds[key] = v;
  }
  const depth = Number.parseInt(d.get("depth") ?? "", 10);
  if (Number.isFinite(depth) && depth > 0) creds.depth = depth;
  for (const key of SECRET_FIELDS) registerSecret(creds[key]);
  return creds;
}

export function hasCredentials(c: RepoCredentials): boolean {
  return CREDENTIAL_FIELDS.some((k) => c[k] !== undefined);
}

export interface FindOptions {
  /**
   * The Application's project. Project-scoped Secrets (`project` set) only match this project;
   * without it they never match.
   */
  project?: string;
}

/**
 * The credentials for `repoURL`: the repository Secret whose url normalises to the same string,
 * else the repo-creds with the longest normalised-URL prefix; a repository Secret without
 * credentials of its own takes them from that repo-creds.
 */
export function findCredentials(repoURL: string, all: readonly (SecretLike | RepoCredentials)[], opts: FindOptions = {}): RepoCredentials | undefined {
  const target = normalizeGitURL(repoURL);
  let repo: RepoCredentials | undefined;
  let template: RepoCredentials | undefined;
  let templateLen = -1;
  for (const item of all) {
    const c = isCredentials(item) ? item : credentialsFromSecret(item);
    if (!c) continue;
    if (c.project !== undefined && c.project !== opts.project) continue;
    const url = normalizeGitURL(c.url);
    if (c.source.kind === "repository") {
      // A project-scoped exact match beats a global one (Argo prefers the project's repository).
      if (url === target && (!repo || (c.project !== undefined && repo.project === undefined))) repo = c;
    } else if (url && target.startsWith(url) && url.length > templateLen) {
      template = c;
      templateLen = url.length;
    }
  }
  if (repo && !hasCredentials(repo) && template) {
    const merged: RepoCredentials = { ...repo };
    for (const k of CREDENTIAL_FIELDS) if (template[k] !== undefined) merged[k] = template[k];
    if (template.proxy !== undefined && merged.proxy === undefined) merged.proxy = template.proxy;
    merged.forceHttpBasicAuth ||= template.forceHttpBasicAuth;
    return merged;
  }
  return repo ?? template;
}

function isCredentials(x: SecretLike | RepoCredentials): x is RepoCredentials {
  return "source" in x && typeof (x as { url?: unknown }).url === "string";
}

/**
 * A provider over a mutable set of Secrets, for the operator to feed from a Secret informer
 * (`upsert` on add/update, `remove` on delete). Parsing happens on upsert, not per lookup.
 */
export class SecretCredentialStore implements CredentialProvider {
  private readonly byKey = new Map<string, RepoCredentials>();

  constructor(secrets: readonly SecretLike[] = [], private readonly opts: FindOptions = {}) {
    for (const s of secrets) this.upsert(s);
  }

  upsert(secret: SecretLike): void {
    const key = `${secret.metadata?.namespace ?? ""}/${secret.metadata?.name ?? ""}`;
    const creds = credentialsFromSecret(secret);
    if (creds) this.byKey.set(key, creds);
    else this.byKey.delete(key);
  }

  remove(secret: { metadata?: { name?: string; namespace?: string } }): void {
    this.byKey.delete(`${secret.metadata?.namespace ?? ""}/${secret.metadata?.name ?? ""}`);
  }

  credentialsFor(repoURL: string): RepoCredentials | undefined {
    return findCredentials(repoURL, [...this.byKey.values()], this.opts);
  }

  /**
   * The same Secrets as a request of `project` sees them: that project's scoped Secrets, then the
   * unscoped ones; another project's never. Kept current with this store.
   */
  forProject(project: string): CredentialProvider {
    return { credentialsFor: (repoURL) => findCredentials(repoURL, [...this.byKey.values()], { project }) };
  }

  /** True when some repository or repo-creds Secret is scoped to `project`. */
  hasProject(project: string): boolean {
    for (const c of this.byKey.values()) if (c.project === project) return true;
    return false;
  }
}

/** A provider built once from a list of Secret objects. */
export function credentialProviderFromSecrets(secrets: readonly SecretLike[], opts: FindOptions = {}): CredentialProvider {
  return new SecretCredentialStore(secrets, opts);
}
