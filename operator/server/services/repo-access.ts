// How the API server reaches a registered repository that is not git: a Helm repository's
// index.yaml, an OCI registry's distribution API. The credentials are the repository Secret's own
// (or a matching repo-creds', project-scoped ones included, as the Secret's project decides), the
// CA is argocd-tls-certs-cm's for the host; both are used for the request and kept nowhere else.
// Used for the connection state a repository listing shows and for oci-tags.
import { fetchIndex } from "../../../plugins/helm/repo.js";
import { findCredentials, type RepoCredentials, type SecretLike } from "../../git/credentials.js";
import type { RepoSource } from "../../git/types.js";
import { redactUrl } from "../../runtime/redact.js";
import type { ServerCache } from "../cache.js";
import { ociAuthFrom } from "../../git/oci-artifacts.js";
import { listTags, parseOciReference, pingRegistry, type OciAuth, type OciReference } from "../../git/oci-registry.js";

export interface RepoAccess {
  repos: RepoSource;
  /** Every repository and repo-creds Secret. */
  secrets: () => readonly SecretLike[];
}

/** The server's repository access: its git cache's RepoSource and the Secrets its cache holds. */
export function serverRepoAccess(cache: ServerCache, repos: RepoSource): RepoAccess {
  return { repos, secrets: () => [...cache.secretsOfType("repository"), ...cache.secretsOfType("repo-creds")].map((s) => ({ metadata: s.metadata, data: s.data })) };
}

/** A repository Secret's data, as the API reads it (secretData). */
export type RepoData = Record<string, string>;

/** The repository's type; Argo's default is git. */
export function repoType(data: RepoData): string {
  return data.type || "git";
}

/** True when the repository lives in an OCI registry: type oci, or helm with enableOCI / an oci:// URL. */
export function isOciRepo(data: RepoData): boolean {
  const url = data.url ?? "";
  return repoType(data) === "oci" || (repoType(data) === "helm" && (data.enableOCI === "true" || url.startsWith("oci://")));
}

/** The credentials for the repository, honouring its project (as the controller does for the app's project). */
export function repoCredentials(access: RepoAccess, data: RepoData): RepoCredentials | undefined {
  return findCredentials(data.url ?? "", access.secrets(), data.project ? { project: data.project } : {});
}

/** Credentials, TLS and transport for a registry or Helm repository; an unusable CA entry is an error. */
export async function registryAuth(access: RepoAccess, url: string, creds: RepoCredentials | undefined): Promise<OciAuth> {
  const caUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `oci://${url}`;
  let ca: { pem: string } | undefined;
  if (!creds?.insecureOCIForceHttp && /^(https|oci):\/\//i.test(caUrl) && access.repos.caCertFor) {
    const found = await access.repos.caCertFor(caUrl);
    if (found && "error" in found) throw new Error(`cannot verify the TLS certificate of ${redactUrl(caUrl)}: ${found.error}`);
    ca = found;
  }
  return ociAuthFrom(creds, ca?.pem);
}

/** The OCI reference of the repository's URL, or why it is not one. */
export function ociReference(url: string): OciReference {
  const ref = parseOciReference(url);
  if ("problem" in ref) throw new Error(`the OCI reference ${redactUrl(url)} ${ref.problem}`);
  return ref;
}

/**
 * Proves the repository can be used with its credentials, as Argo's repository test does per
 * type: a Helm repository's index.yaml is read; a Helm OCI registry (a namespace of charts, not a
 * repository) answers `GET /v2/` with the credentials; an OCI repository lists its tags (one page).
 * Throws with the reason.
 */
export async function probeNonGitRepository(access: RepoAccess, data: RepoData): Promise<void> {
  const url = data.url ?? "";
  const type = repoType(data);
  if (type !== "helm" && type !== "oci") throw new Error(`unknown repository type "${type}" (git, helm or oci)`);
  if (type === "helm" && !isOciRepo(data)) {
    await fetchIndex(url, await registryAuth(access, url, repoCredentials(access, data)));
    return;
  }
  const ref = ociReference(url);
  const auth = await registryAuth(access, url, repoCredentials(access, data));
  if (type === "helm") await pingRegistry(ref.registry, auth);
  else await listTags(ref, auth, { maxPages: 1 });
}

/**
 * The tags of an OCI repository: the repository's own URL (type oci), or a chart's repository in
 * a Helm OCI registry (`<registry URL>/<chart>`, with the registry's credentials).
 */
export async function ociRepositoryTags(access: RepoAccess, data: RepoData, url: string): Promise<string[]> {
  const ref = ociReference(url);
  return listTags(ref, await registryAuth(access, url, repoCredentials(access, data)));
}
