// Argo CD's Repository and RepoCreds services over REST (argo-cd-server.md §1.4, §3.6): both are
// Argo's repository Secrets (`secret-type: repository` / `repo-creds`). Answers never carry a
// password, private key, token or client certificate key. A repository's connection state is a
// real probe of it: git resolves HEAD through the server's git cache (the controller's code), a
// Helm repository's index.yaml is read, an OCI registry is asked through the distribution API with
// the Secret's credentials (repo-access.ts); a project-scoped Secret is probed with its own
// credentials, through its project's git cache; the answer is reused for probeTtlMs
// (`forceRefresh=true` probes again).
//
// As in Argo, one URL may be registered once unscoped and once per project: a Secret is named by
// its URL and project, and get/update/delete name the project with `?appProject=`. Get and update
// fall back from a project without a Secret of its own to the unscoped one; a delete removes
// exactly the registration named (none: the unscoped one), never another by fallback, and its 404
// says where the URL is registered (as far as the caller may see).
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { secretData } from "../../cluster/clusters.js";
import { findRepoSecret, normalizeRepoUrl, notRegisteredMessage, registrationToDelete, repositorySecretName } from "../../git/credentials.js";
import { redact } from "../../runtime/redact.js";
import { errorMessage } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ServerCache } from "../cache.js";
import { writeRetryingConflicts } from "../conflict-retry.js";
import { queryValue, type ApiRequest, type ApiRouter, type Caller } from "../http/api.js";
import { checkBody, type Shape } from "../http/body.js";
import { invalidArgument, notFound } from "../http/errors.js";
import { probeNonGitRepository, repoType, serverRepoAccess } from "./repo-access.js";

export interface RepositoryServiceDeps {
  cache: ServerCache;
  client: KubeClient;
  reader?: AppStateReader;
  probeTtlMs?: number;
}

/** Fields a repository Secret may hold, and which of them are secret. */
const PUBLIC_FIELDS = ["url", "type", "name", "project", "username", "insecure", "enableLfs", "enableOCI", "insecureOCIForceHttp", "proxy", "noProxy", "forceHttpBasicAuth", "depth", "githubAppID", "githubAppInstallationID", "githubAppEnterpriseBaseUrl", "insecureIgnoreHostKey"];
const SECRET_FIELDS = ["password", "sshPrivateKey", "tlsClientCertData", "tlsClientCertKey", "githubAppPrivateKey", "gcpServiceAccountKey", "bearerToken"];
const REPO_BODY: Shape = Object.fromEntries([...PUBLIC_FIELDS, ...SECRET_FIELDS, "repo", "inheritedCreds", "connectionState"].map((f) => [f, "scalar" as const]));
REPO_BODY.connectionState = "any";


interface Probe { at: number; status: "Successful" | "Failed"; message: string }

export class RepositoryService {
  private readonly probes = new Map<string, Probe>();

  constructor(private readonly deps: RepositoryServiceDeps) {}

  private get ns(): string { return this.deps.cache.namespace; }

  register(r: ApiRouter): void {
    r.get("/api/v1/repositories", (req) => this.list(req, "repository"));
    r.post("/api/v1/repositories", (req) => this.create(req, "repository"));
    r.get("/api/v1/repositories/:repo", (req) => this.get(req));
    r.delete("/api/v1/repositories/:repo", (req) => this.delete(req, "repository"));
    r.get("/api/v1/repocreds", (req) => this.list(req, "repo-creds"));
    r.post("/api/v1/repocreds", (req) => this.create(req, "repo-creds"));
    r.delete("/api/v1/repocreds/:repo", (req) => this.delete(req, "repo-creds"));
    r.put("/api/v1/repositories/:repo", (req) => this.update(req, "repository"));
    r.put("/api/v1/repocreds/:repo", (req) => this.update(req, "repo-creds"));
  }

  private secrets(type: "repository" | "repo-creds"): Array<{ secret: KubeObject; data: Record<string, string> }> {
    return this.deps.cache.secretsOfType(type).map((secret) => ({ secret, data: secretData(secret) }));
  }

  /**
   * The stored Secret of `url` in `project` ("" for unscoped), from the cache: every write here
   * waits until the cache shows it (ServerCache.awaitOwnWrite), so an update right after an add
   * finds the add's version. With `fallback` (get, update, delete), a project without a Secret of
   * its own for the URL gets the unscoped one, as Argo's getRepositorySecret, and a request naming
   * no project gets the one project-scoped Secret when the URL has no other (earlier versions, and
   * clients that never send `appProject`, name it so); with several, none. Another
   * project's Secret is never found for a request naming a project.
   */
  private storedSecret(type: "repository" | "repo-creds", url: string, project: string, fallback = false): { secret: KubeObject; data: Record<string, string> } | undefined {
    return findRepoSecret(this.secrets(type), url, project, fallback);
  }

  /**
   * Replaces a stored Secret with `build(current)`; a conflict (the cache was behind the
   * apiserver) re-reads the Secret and builds again (conflict-retry.ts). The request carries no
   * resourceVersion of its own, so there is no caller precondition to honour.
   */
  private replaceSecret(stored: KubeObject, build: (current: KubeObject) => KubeObject): Promise<KubeObject> {
    const name = stored.metadata.name ?? "";
    return writeRetryingConflicts({
      current: stored,
      what: `Secret ${name}`,
      gone: () => notFound(`Secret ${name} was deleted meanwhile`),
      reread: () => this.deps.client.get("v1", "Secret", name, this.ns),
      write: (cur) => this.deps.client.replace(build(cur)),
    });
  }

  private rbacName(data: Record<string, string>, _type: "repository" | "repo-creds"): string {
    // Project-scoped repositories and repo creds are checked as <project>/<url> (Argo's
    // repositories object), the others on the bare URL.
    return data.project ? `${data.project}/${data.url}` : data.url ?? "";
  }

  private async view(data: Record<string, string>, type: "repository" | "repo-creds", probe: boolean): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const f of PUBLIC_FIELDS) {
      const v = data[f];
      if (v === undefined || v === "") continue;
      const key = f === "url" ? (type === "repository" ? "repo" : "url") : f;
      out[key] = ["insecure", "enableLfs", "enableOCI", "insecureOCIForceHttp", "forceHttpBasicAuth", "insecureIgnoreHostKey"].includes(f) ? v === "true" : f === "depth" ? Number(v) : v;
    }
    if (type === "repository") {
      out.type ??= "git";
      if (probe) {
        const p = await this.probe(data);
        out.connectionState = { status: p.status, message: p.message, attemptedAt: new Date(p.at).toISOString().replace(/\.\d{3}Z$/, "Z") };
      }
    }
    return out;
  }

  /** Probes are kept per project and URL: a project-scoped Secret's probe uses its credentials only. */
  private probeKey(data: Record<string, string>): string {
    return `${data.project ?? ""}\u0000${normalizeRepoUrl(data.url ?? "")}`;
  }

  private async probe(data: Record<string, string>): Promise<Probe> {
    const url = data.url ?? "";
    const key = this.probeKey(data);
    const hit = this.probes.get(key);
    if (hit && Date.now() - hit.at < (this.deps.probeTtlMs ?? 60_000)) return hit;
    let p: Probe;
    const reader = this.deps.reader;
    if (!reader) p = { at: Date.now(), status: "Failed", message: "this server has no repository access" };
    else {
      try {
        // A project-scoped Secret is probed through its project's git cache, which sees it.
        if (repoType(data) === "git") await reader.reposFor(data.project || undefined).resolveRevision(url, "HEAD");
        else await probeNonGitRepository(serverRepoAccess(this.deps.cache, reader.repoReader), data);
        p = { at: Date.now(), status: "Successful", message: "" };
      } catch (err) {
        p = { at: Date.now(), status: "Failed", message: `Unable to connect to repository: ${redact(errorMessage(err))}` };
      }
    }
    this.probes.set(key, p);
    return p;
  }

  private async list({ caller, query }: ApiRequest, type: "repository" | "repo-creds"): Promise<unknown> {
    const filter = queryValue(query, type === "repository" ? "repo" : "url");
    const project = queryValue(query, "appProject");
    const items = [];
    for (const { data } of this.secrets(type)) {
      if (filter && normalizeRepoUrl(data.url ?? "") !== normalizeRepoUrl(filter)) continue;
      if (project && (data.project ?? "") !== project) continue;
      if (!caller.can("repositories", "get", this.rbacName(data, type))) continue;
      items.push(await this.view(data, type, true));
    }
    return { metadata: {}, items };
  }

  private findRepo(caller: Caller, url: string, project: string, action: string): { secret: KubeObject; data: Record<string, string> } {
    const found = this.storedSecret("repository", url, project, true);
    if (!found) {
      caller.require("repositories", action, project ? `${project}/${url}` : url);
      throw notFound(`repo '${url}' not found`);
    }
    caller.require("repositories", action, this.rbacName(found.data, "repository"));
    return found;
  }

  private async get({ caller, params, query }: ApiRequest): Promise<unknown> {
    const found = this.findRepo(caller, params.repo!, queryValue(query, "appProject") ?? "", "get");
    if (queryValue(query, "forceRefresh") === "true") this.probes.delete(this.probeKey(found.data));
    return this.view(found.data, "repository", true);
  }

  private async create({ caller, query, body }: ApiRequest, type: "repository" | "repo-creds"): Promise<unknown> {
    const req = checkBody(body, REPO_BODY, type === "repository" ? "repository" : "repo creds");
    const url = typeof req.repo === "string" ? req.repo : typeof req.url === "string" ? req.url : "";
    if (!url) throw invalidArgument(type === "repository" ? "repo (the repository URL) is required" : "url is required");
    const data: Record<string, string> = { url };
    for (const f of [...PUBLIC_FIELDS, ...SECRET_FIELDS]) {
      const v = req[f];
      if (f === "url" || v === undefined || v === null || v === "" || v === false) continue;
      data[f] = typeof v === "string" ? v : JSON.stringify(v);
    }
    caller.require("repositories", "create", this.rbacName(data, type));
    // Only this project's own Secret (or the unscoped one for an unscoped request) is this one.
    const existing = this.storedSecret(type, url, data.project ?? "");
    if (existing && queryValue(query, "upsert") !== "true") throw invalidArgument(`${type === "repository" ? "repository" : "repository credentials"} "${url}" already exist, use upsert flag to update`);
    if (existing) caller.require("repositories", "update", this.rbacName(existing.data, type));
    const name = existing?.secret.metadata.name ?? repositorySecretName(type, url, data.project);
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: this.ns, labels: { "argocd.argoproj.io/secret-type": type } }, type: "Opaque", stringData: data };
    await this.deps.cache.awaitOwnWrite(existing
      ? await this.replaceSecret(existing.secret, (cur) => ({ ...secret, metadata: { ...secret.metadata, resourceVersion: cur.metadata.resourceVersion } }))
      : await this.deps.client.create(secret));
    this.probes.delete(this.probeKey(data));
    return this.view(data, type, false);
  }

  private async delete({ caller, params, query }: ApiRequest, type: "repository" | "repo-creds"): Promise<unknown> {
    const url = params.repo!;
    const project = queryValue(query, "appProject") ?? "";
    // Exactly the registration named: a project's never goes when no project (or another) was named.
    const { found, elsewhere } = registrationToDelete(this.secrets(type), url, project);
    if (!found) {
      caller.require("repositories", "delete", project ? `${project}/${url}` : url);
      // Where else the URL is registered, as far as the caller may see it.
      const visible = elsewhere.filter((p) => caller.can("repositories", "get", p ? `${p}/${url}` : url));
      throw notFound(notRegisteredMessage(type === "repository" ? "repo" : "repository credentials", url, project, visible, (p) => `appProject=${p}; the CLI's --project ${p}`));
    }
    caller.require("repositories", "delete", this.rbacName(found.data, type));
    const ref = { apiVersion: "v1", kind: "Secret", name: found.secret.metadata.name ?? "", namespace: this.ns };
    await this.deps.client.delete(ref);
    await this.deps.cache.awaitOwnDelete(ref);
    return {};
  }

  /**
   * PUT: the body replaces the stored repository (or repo creds) whole, as Argo's update does, so
   * credentials not sent are removed. The URL in the path names it; the body's URL must match.
   */
  private async update({ caller, params, query, body }: ApiRequest, type: "repository" | "repo-creds"): Promise<unknown> {
    const url = params.repo!;
    const req = checkBody(body, REPO_BODY, type === "repository" ? "repository" : "repo creds");
    const bodyUrl = typeof req.repo === "string" && req.repo ? req.repo : typeof req.url === "string" ? req.url : "";
    if (bodyUrl && normalizeRepoUrl(bodyUrl) !== normalizeRepoUrl(url)) throw invalidArgument(`the body's ${type === "repository" ? "repo" : "url"} (${bodyUrl}) differs from the one in the path (${url})`);
    // The Secret updated: the one of `?appProject=`, else of the body's project (Argo's update
    // looks up the body's), falling back to the unscoped one (which the body may move into it).
    const named = queryValue(query, "appProject") ?? (typeof req.project === "string" ? req.project : undefined);
    const project = named ?? "";
    const existing = this.storedSecret(type, url, project, true);
    if (!existing) {
      caller.require("repositories", "update", url);
      throw notFound(type === "repository" ? `repo '${url}' not found` : `repository credentials '${url}' not found`);
    }
    caller.require("repositories", "update", this.rbacName(existing.data, type));
    const data: Record<string, string> = { url: existing.data.url ?? url };
    for (const f of [...PUBLIC_FIELDS, ...SECRET_FIELDS]) {
      const v = req[f];
      if (f === "url" || v === undefined || v === null || v === "" || v === false) continue;
      data[f] = typeof v === "string" ? v : JSON.stringify(v);
    }
    // A request naming no project found the URL's one project-scoped Secret: it stays that
    // project's. Making a project's credentials everyone's takes a body that says so (project "").
    if (named === undefined && existing.data.project) data.project = existing.data.project;
    // Moving a repository to another project needs the right to update it there too, and must not
    // take the place of the Secret that project already has for the URL.
    if ((data.project ?? "") !== (existing.data.project ?? "")) {
      caller.require("repositories", "update", this.rbacName(data, type));
      if (this.storedSecret(type, url, data.project ?? "")) throw invalidArgument(`${type === "repository" ? "repository" : "repository credentials"} "${url}" already exist${data.project ? ` in project ${data.project}` : " unscoped"}`);
    }
    const build = (cur: KubeObject): KubeObject => ({ apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: { name: cur.metadata.name, namespace: this.ns, resourceVersion: cur.metadata.resourceVersion, labels: { ...(cur.metadata.labels ?? {}), "argocd.argoproj.io/secret-type": type }, ...(cur.metadata.annotations ? { annotations: cur.metadata.annotations } : {}) }, stringData: data, data: {} });
    await this.deps.cache.awaitOwnWrite(await this.replaceSecret(existing.secret, build));
    this.probes.delete(this.probeKey(existing.data));
    this.probes.delete(this.probeKey(data));
    return this.view(data, type, false);
  }
}
