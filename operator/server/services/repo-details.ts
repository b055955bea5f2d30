// What the API tells about a repository's content, as Argo's Repository service does through its
// repo-server (argo-cd-server.md §1.4 "Repository"): branches and tags (one ls-remote through the
// server's git cache), a Helm repository's charts (its index.yaml), the directories that look like
// applications, a source's tool and parameters (appdetails, of a git path or a Helm-repository
// chart; with appName, a multi-source app's `$ref/...` value files included), and a connection
// test with credentials that are used once and never stored (an OCI registry: a one-off `helm
// registry login`). RBAC: `repositories, get` on the repository (`<project>/<url>` when the
// Secret is project-scoped); validate needs `repositories, create`. A request naming a project
// (`appProject`) uses that project's repository Secret and git cache, never another project's.
// An OCI repository's tags come from the registry's distribution API (repo-access.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PluginRegistry, SourceSpec } from "../../../plugins/index.js";
import { ociReferenceProblem } from "../../../plugins/helm/args.js";
import { listRepoCharts, ociHelmEnv, type ChartRepoAuth } from "../../../plugins/helm/repo.js";
import { withRenderScope } from "../../../plugins/sandbox.js";
import { resolveTool } from "../../tools/index.js";
import { secretData } from "../../cluster/clusters.js";
import { normalizeRepoUrl, type RepoCredentials } from "../../git/credentials.js";
import { RepoCache } from "../../git/repo-cache.js";
import { GitError } from "../../git/types.js";
import { discoverApps } from "../../render/app-dirs.js";
import { builtImages, repoChartDetails, sourceDetails, type AppDetails } from "../../render/app-details.js";
import { helmAuthWithTrust } from "../../render/index.js";
import type { ApplicationSource } from "../../api/index.js";
import { redact, redactUrl, registerSecret } from "../../runtime/redact.js";
import { OciRegistryError } from "../../git/oci-registry.js";
import { errorMessage, isRecord } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ServerCache } from "../cache.js";
import { isNamespaceEnabled } from "../../engine/namespaces.js";
import { isSourceInHistory, sourceFor, sourcesFor } from "./app-revisions.js";
import { queryValue, type ApiRequest, type ApiRouter, type Caller, type Query } from "../http/api.js";
import { checkBody } from "../http/body.js";
import { ApiError, Code, failedPrecondition, invalidArgument, notFound } from "../http/errors.js";
import { isOciRepo, ociRepositoryTags, repoType, serverRepoAccess } from "./repo-access.js";

export interface RepoDetailsServiceDeps {
  cache: ServerCache;
  reader: AppStateReader;
  plugins: PluginRegistry;
}


/** The validate call's credential fields (query parameters, as Argo's gateway maps them). */
const VALIDATE_FIELDS = ["repo", "insecureOciForceHttp", "username", "password", "sshPrivateKey", "insecure", "tlsClientCertData", "tlsClientCertKey", "type", "name", "enableOci", "githubAppPrivateKey", "githubAppID", "githubAppInstallationID", "githubAppEnterpriseBaseUrl", "proxy", "noProxy", "project", "gcpServiceAccountKey", "forceHttpBasicAuth", "useAzureWorkloadIdentity", "bearerToken", "insecureIgnoreHostKey", "enableLfs"];

export class RepoDetailsService {
  constructor(private readonly deps: RepoDetailsServiceDeps) {}

  register(r: ApiRouter): void {
    r.get("/api/v1/repositories/:repo/refs", (req) => this.refs(req));
    r.get("/api/v1/repositories/:repo/oci-tags", (req) => this.ociTags(req));
    r.get("/api/v1/repositories/:repo/helmcharts", (req) => this.helmCharts(req));
    r.get("/api/v1/repositories/:repo/apps", (req) => this.apps(req));
    r.post("/api/v1/repositories/:repo/appdetails", (req) => this.appDetails(req));
    r.post("/api/v1/repositories/:repo/validate", (req) => this.validate(req));
  }

  /**
   * The registered repository (its Secret's data) or, as Argo, an unregistered one by URL. As
   * Argo's GetRepository: the Secret of the request's project (`appProject`) when there is one,
   * else an unscoped one; another project's Secret never.
   */
  private repo(caller: Caller, url: string, action: string, project: string | undefined): Record<string, string> {
    const data = pickRepoSecret(this.deps.cache.secretsOfType("repository").map((s) => secretData(s)).filter((d) => normalizeRepoUrl(d.url ?? "") === normalizeRepoUrl(url)), project) ?? { url };
    caller.require("repositories", action, data.project ? `${data.project}/${data.url}` : data.url ?? url);
    return data;
  }

  /** The git cache a request of `project` reads through: the project's Secrets are seen only by that project's cache. */
  private repos(project: string | undefined): RepoCache {
    return this.deps.reader.reposFor(project);
  }

  private async refs({ caller, params, query }: ApiRequest): Promise<unknown> {
    const project = queryValue(query, "appProject") || undefined;
    const data = this.repo(caller, params.repo!, "get", project);
    if ((data.type ?? "git") !== "git") throw failedPrecondition(`repository ${data.url} is of type ${data.type}: only git repositories have branches and tags${data.type === "oci" ? " (an OCI repository's tags: .../oci-tags)" : ""}`);
    const refs = await gitCall(() => this.repos(project).remoteRefs(data.url!, { force: queryValue(query, "forceRefresh") === "true" }));
    const branches: string[] = [];
    const tags: string[] = [];
    for (const name of refs.refs.keys()) {
      if (name.startsWith("refs/heads/")) branches.push(name.slice("refs/heads/".length));
      else if (name.startsWith("refs/tags/") && !name.endsWith("^{}")) tags.push(name.slice("refs/tags/".length));
    }
    return { ...(branches.length > 0 ? { branches: branches.sort() } : {}), ...(tags.length > 0 ? { tags: tags.sort() } : {}) };
  }

  /**
   * The registered repository that holds `url`: its own Secret, else a Helm OCI registry whose URL
   * is a path prefix of it (`<registry>/<chart>` is the chart's repository, read with the
   * registry's credentials), else an unregistered repository by URL. RBAC as in repo().
   */
  private ociRepo(caller: Caller, url: string, project: string | undefined): Record<string, string> {
    // Another project's Secrets are out of the question from the start; the request's own win ties.
    const registered = this.deps.cache.secretsOfType("repository").map((s) => secretData(s)).filter((d) => !d.project || d.project === project);
    const bare = (u: string): string => normalizeRepoUrl(u).replace(/^oci:\/\//, "");
    let data = pickRepoSecret(registered.filter((d) => normalizeRepoUrl(d.url ?? "") === normalizeRepoUrl(url)), project);
    data ??= registered
      .filter((d) => isOciRepo(d) && repoType(d) === "helm" && bare(url).startsWith(`${bare(d.url ?? "")}/`))
      .sort((a, b) => bare(b.url ?? "").length - bare(a.url ?? "").length || (b.project ? 1 : 0) - (a.project ? 1 : 0))[0];
    const found = data ?? { url, ...(url.startsWith("oci://") ? { type: "oci" } : {}) };
    caller.require("repositories", "get", found.project ? `${found.project}/${found.url}` : found.url ?? url);
    return found;
  }

  private async ociTags({ caller, params, query }: ApiRequest): Promise<unknown> {
    const url = params.repo!;
    const data = this.ociRepo(caller, url, queryValue(query, "appProject") || undefined);
    if (!isOciRepo(data)) throw failedPrecondition(`repository ${data.url} is of type ${repoType(data)}${repoType(data) === "helm" ? " without enableOCI" : ""}: only OCI repositories have tags listed here (a git repository's are under /refs)`);
    const exact = normalizeRepoUrl(data.url ?? "") === normalizeRepoUrl(url);
    if (exact && repoType(data) === "helm") throw failedPrecondition(`repository ${data.url} is a Helm OCI registry (its charts are repositories below it): ask for the tags of one chart, ${data.url}/<chart>`);
    try {
      const tags = await ociRepositoryTags(serverRepoAccess(this.deps.cache, this.deps.reader.repoReader), data, url);
      return tags.length > 0 ? { tags } : {};
    } catch (err) {
      const msg = redact(errorMessage(err));
      if (err instanceof OciRegistryError && err.status === 404) throw notFound(msg);
      throw failedPrecondition(msg);
    }
  }

  private async helmCharts({ caller, params, query }: ApiRequest): Promise<unknown> {
    const project = queryValue(query, "appProject") || undefined;
    const data = this.repo(caller, params.repo!, "get", project);
    if (data.type !== "helm") throw failedPrecondition(`repository ${data.url} is not a Helm repository (type ${data.type ?? "git"}): register it with type helm`);
    if (data.enableOCI === "true" || data.url!.startsWith("oci://")) throw new ApiError(Code.Unimplemented, "listing the charts of an OCI registry is not supported (registries have no index)");
    const auth = await helmAuthWithTrust(this.repos(project), data.url!);
    const index = await gitCall(() => listRepoCharts(data.url!, auth ?? {}));
    return { items: Object.keys(index).sort().map((name) => ({ name, versions: index[name] })) };
  }

  private async withCheckout<T>(repos: RepoCache, url: string, revision: string | undefined, fn: (root: string) => Promise<T>): Promise<T> {
    const sha = await gitCall(() => repos.resolveRevision(url, revision || "HEAD"));
    const checkout = await gitCall(() => repos.checkout(url, sha));
    try {
      return await fn(checkout.path);
    } finally {
      checkout.release();
    }
  }

  private async apps({ caller, params, query }: ApiRequest): Promise<unknown> {
    const project = queryValue(query, "appProject") || undefined;
    const data = this.repo(caller, params.repo!, "get", project);
    // An OCI artifact is a tree too (the repo cache unpacks it at its digest).
    if (!["git", "oci"].includes(repoType(data))) throw failedPrecondition(`repository ${data.url} is of type ${data.type}: only git repositories and OCI artifacts hold application directories`);
    const items = await this.withCheckout(this.repos(project), data.url!, queryValue(query, "revision"), (root) => discoverApps(root, this.deps.plugins));
    return { items: items.map((a) => ({ path: a.path, type: a.tool })) };
  }

  private async appDetails({ caller, params, body }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, { source: "any", appName: "scalar", appProject: "scalar", sourceIndex: "scalar", versionId: "scalar" }, "app details query");
    if (!isRecord(req.source)) throw invalidArgument("source is required");
    const source = req.source as SourceSpec;
    const url = typeof source.repoURL === "string" && source.repoURL ? source.repoURL : params.repo!;
    if (normalizeRepoUrl(url) !== normalizeRepoUrl(params.repo!)) throw invalidArgument("source.repoURL differs from the repository in the path");
    const context = this.detailsContext(caller, req, { ...source, repoURL: url } as ApplicationSource);
    const data = this.repo(caller, url, "get", context.credentialsProject);
    const settings = this.deps.reader.settings();
    const plugins = settings.plugins ?? this.deps.plugins;
    const repos = this.repos(context.credentialsProject);
    const renderDeps = { repos, settings: settings.render };
    return this.withRefSources(repos, context, async (refSources) => {
      const opts = refSources ? { refSources } : {};
      if (typeof source.chart === "string" && source.chart) {
        // A chart of a Helm repository or OCI registry: fetched as the controller fetches it.
        return repoChartDetails({ ...source, repoURL: url } as SourceSpec & ApplicationSource, renderDeps, plugins, opts).catch((err: unknown) => {
          throw invalidArgument(redact(errorMessage(err)));
        });
      }
      if (!["git", "oci"].includes(repoType(data))) throw failedPrecondition(`repository ${data.url} is of type ${data.type}: give source.chart, or register a git repository or an OCI artifact`);
      const details: AppDetails = await this.withCheckout(repos, data.url!, typeof source.targetRevision === "string" ? source.targetRevision : undefined, (root) => sourceDetails(root, source, this.deps.plugins, opts).catch((err: unknown) => {
        throw invalidArgument(redact(errorMessage(err)));
      }));
      if (details.type === "Kustomize") {
        // As Argo, the images are those of the built output (after the kustomization's own overrides).
        const app = { name: context.appName ?? "appdetails", namespace: context.appNamespace, project: context.project };
        const images = await builtImages({ ...source, repoURL: url } as ApplicationSource, app, { ...renderDeps, plugins }).catch((err: unknown) => {
          throw invalidArgument(`kustomize build failed: ${redact(errorMessage(err))}`);
        });
        return { type: "Kustomize", kustomize: images.length > 0 ? { images } : {} };
      }
      return details;
    });
  }

  /**
   * The application a details request names, as Argo's GetAppDetails reads it: `appName` (or
   * `<namespace>/<name>`) in `appProject` needs `applications, get`, and `applications, create`
   * when there is no such app (yet, or no appName at all); an existing app in another project is
   * refused. Its sources (those of history entry `versionId` when given) lend their ref
   * sources to `$ref/...` value files; `sourceIndex` says which of them `source` is. Both need
   * `appName`, and name themselves when they point at nothing.
   */
  private detailsContext(caller: Caller, req: Record<string, unknown>, source: ApplicationSource): DetailsContext {
    const url = source.repoURL;
    const sourceIndex = bodyIndex(req.sourceIndex, "sourceIndex");
    const versionId = bodyIndex(req.versionId, "versionId");
    const project = typeof req.appProject === "string" && req.appProject ? req.appProject : "default";
    const qualified = typeof req.appName === "string" || typeof req.appName === "number" ? String(req.appName) : "";
    const controlNs = this.deps.cache.namespace;
    if (!qualified) {
      if (sourceIndex !== undefined) throw invalidArgument("sourceIndex needs appName: it names a source of that application");
      if (versionId !== undefined) throw invalidArgument("versionId needs appName: it names an entry of that application's history");
      // As Argo: no app is an app still being formulated; reading a repository for it needs the
      // right to read and to create apps in the project (RBAC object `<project>/`), not only
      // `repositories, get`.
      caller.require("applications", "get", `${project}/`);
      caller.require("applications", "create", `${project}/`);
      return { appNamespace: controlNs, project, ...(typeof req.appProject === "string" && req.appProject ? { credentialsProject: req.appProject } : {}) };
    }
    const slash = qualified.indexOf("/");
    const appNamespace = slash < 0 ? controlNs : qualified.slice(0, slash);
    const appName = slash < 0 ? qualified : qualified.slice(slash + 1);
    if (!isNamespaceEnabled(appNamespace, controlNs, this.deps.cache.applicationNamespaces)) throw new ApiError(Code.PermissionDenied, "permission denied");
    caller.require("applications", "get", appNamespace === controlNs ? `${project}/${appName}` : `${project}/${appNamespace}/${appName}`);
    const app = this.deps.cache.app(appNamespace, appName);
    if (!app) {
      // An app still being written (the create panel): the source given is its only one. As Argo,
      // the caller must be allowed to create it before the repository's content is revealed.
      caller.require("applications", "create", appNamespace === controlNs ? `${project}/${appName}` : `${project}/${appNamespace}/${appName}`);
      if (versionId !== undefined) throw notFound(`versionId ${versionId}: application ${qualified} does not exist, so it has no history`);
      if (sourceIndex !== undefined && sourceIndex > 0) throw invalidArgument(`sourceIndex ${sourceIndex} not found because application ${qualified} does not exist (the source given is its only one)`);
      return { appName, appNamespace, project, credentialsProject: project };
    }
    // As Argo: the project the caller was allowed on must be the app's own.
    if ((app.spec.project || "default") !== project) throw new ApiError(Code.PermissionDenied, "permission denied");
    const { sources, revisions } = sourcesFor(app, versionId);
    const named = sourceFor(app, sourceIndex, versionId);
    if (sourceIndex !== undefined && normalizeRepoUrl(named.repoURL) !== normalizeRepoUrl(url)) {
      throw invalidArgument(`sourceIndex ${sourceIndex}: source ${sourceIndex + 1} of application ${qualified} is ${named.repoURL}, not ${url}`);
    }
    // As Argo: the app's project's credentials read only what the app has deployed or would.
    if (!isSourceInHistory(app, source, sourceIndex, versionId)) {
      throw new ApiError(Code.PermissionDenied, `permission denied: source is neither ${sourceIndex !== undefined ? `source ${sourceIndex + 1}` : "a source"} of application ${qualified} nor in its history`);
    }
    return { appName, appNamespace, project, credentialsProject: project, sources, ...(revisions ? { revisions } : {}) };
  }

  /**
   * Runs `fn` with the checkout roots of the context's ref sources (at the revisions the history
   * entry deployed, else their targetRevision), released afterwards; undefined without an app.
   */
  private async withRefSources<T>(repos: RepoCache, context: DetailsContext, fn: (refSources: Record<string, string> | undefined) => Promise<T>): Promise<T> {
    if (!context.sources) return fn(undefined);
    const held: Array<{ release(): void }> = [];
    try {
      const roots: Record<string, string> = {};
      for (const [i, s] of context.sources.entries()) {
        if (!s.ref) continue;
        if (s.chart) throw invalidArgument(`source ${i + 1} of application ${context.appName ?? ""}: a ref source may not set chart`);
        const sha = await gitCall(() => repos.resolveRevision(s.repoURL, context.revisions?.[i] ?? s.targetRevision ?? "HEAD"));
        const checkout = await gitCall(() => repos.checkout(s.repoURL, sha));
        held.push(checkout);
        roots[s.ref] = checkout.path;
      }
      return await fn(roots);
    } finally {
      for (const c of held) c.release();
    }
  }

  private validateOci(ref: string, auth: ChartRepoAuth): Promise<void> {
    const repos = this.deps.reader.repoReader;
    return validateOciRegistry(ref, auth, (u) => repos.caCertFor(u));
  }

  private async validate({ caller, params, query }: ApiRequest): Promise<unknown> {
    const url = params.repo!;
    const q = (k: string): string | undefined => queryValue(query, k);
    unknownQuery(query, VALIDATE_FIELDS);
    const project = q("project");
    caller.require("repositories", "create", project ? `${project}/${url}` : url);
    const type = q("type") ?? "git";
    for (const f of ["password", "sshPrivateKey", "tlsClientCertKey", "githubAppPrivateKey", "bearerToken", "gcpServiceAccountKey"]) registerSecret(q(f));
    try {
      if (type === "helm") {
        const auth: ChartRepoAuth = {};
        if (q("username")) auth.username = q("username")!;
        if (q("password")) auth.password = q("password")!;
        if (q("insecure") === "true") auth.insecureSkipTLSVerify = true;
        if (q("enableOci") === "true" || url.startsWith("oci://")) {
          await this.validateOci(url.startsWith("oci://") ? url : `oci://${url}`, auth);
          return {};
        }
        if (q("tlsClientCertData") && q("tlsClientCertKey")) { auth.tlsClientCertData = q("tlsClientCertData")!; auth.tlsClientCertKey = q("tlsClientCertKey")!; }
        await listRepoCharts(url, auth);
        return {};
      }
      if (type !== "git") throw invalidArgument(`type must be git or helm, got ${JSON.stringify(type)}`);
      const creds: RepoCredentials = {
        url, source: { kind: "repository", secret: "(validate request)" },
        insecure: q("insecure") === "true", insecureIgnoreHostKey: q("insecureIgnoreHostKey") === "true",
        forceHttpBasicAuth: q("forceHttpBasicAuth") === "true", enableLfs: false,
      };
      for (const k of ["username", "password", "bearerToken", "sshPrivateKey", "tlsClientCertData", "tlsClientCertKey", "githubAppID", "githubAppInstallationID", "githubAppPrivateKey", "githubAppEnterpriseBaseUrl", "proxy", "noProxy"] as const) {
        const v = q(k);
        if (v) creds[k] = v;
      }
      // A cache of its own, removed afterwards: the credentials reach nothing that outlives the call.
      const dir = await mkdtemp(join(tmpdir(), "hawser-validate-"));
      const trust = this.deps.reader.trust;
      const cache = new RepoCache({ baseDir: dir, credentials: { credentialsFor: () => creds }, refsTtlMs: 0, ...(trust ? { trust } : {}) });
      try {
        await cache.remoteRefs(url, { force: true });
      } finally {
        cache.close();
        await rm(dir, { recursive: true, force: true });
      }
      return {};
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw invalidArgument(`Unable to connect to repository: ${redact(errorMessage(err))}`);
    }
  }
}

/**
 * An OCI registry has no index to read: the reference must be one, and with credentials a
 * `helm registry login` (password on stdin, into a registry config removed afterwards) must
 * succeed, as Argo's check logs in. The CA argocd-tls-certs-cm holds for the host is used.
 */
async function validateOciRegistry(ref: string, auth: ChartRepoAuth, caFor: (url: string) => Promise<{ pem: string } | { error: string } | undefined>): Promise<void> {
  const bad = ociReferenceProblem(ref);
  if (bad) throw invalidArgument(`repo: the OCI registry reference ${bad}`);
  if (!auth.username && !auth.password) return;
  const ca = await caFor(ref);
  if (ca && "error" in ca) throw new Error(`cannot verify the TLS certificate of ${redactUrl(ref)}: ${ca.error}`);
  await withRenderScope(async () => {
    const registry = await ociHelmEnv(await resolveTool("helm"), ref, { ...auth, ...(ca ? { caData: ca.pem } : {}) }, {});
    await registry.dispose();
  });
}

interface DetailsContext {
  appName?: string;
  appNamespace: string;
  /** The project RBAC and the app are checked in ("default" when none is given). */
  project: string;
  /** The project whose repository Secrets serve the request: the one named (appProject, or the app's). */
  credentialsProject?: string;
  /** The app's sources (or a history entry's), when the app exists. */
  sources?: ApplicationSource[];
  /** The revisions the history entry deployed, per source. */
  revisions?: Array<string | undefined>;
}

/**
 * Among the repository Secrets of one URL, the one a request of `project` uses (Argo's
 * getRepositorySecret): that project's, else an unscoped one; never another project's.
 */
export function pickRepoSecret(candidates: readonly Record<string, string>[], project: string | undefined): Record<string, string> | undefined {
  return (project ? candidates.find((d) => d.project === project) : undefined) ?? candidates.find((d) => !d.project);
}

/** A body's sourceIndex / versionId: a whole number ≥ 0 (a JSON number or, as the gateway takes int32s, a string); null is absent. */
function bodyIndex(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw invalidArgument(`${field} must be a whole number of at least 0, got ${JSON.stringify(v)}`);
  return n;
}

function unknownQuery(query: Query, known: string[]): void {
  for (const k of Object.keys(query)) if (!known.includes(k)) throw invalidArgument(`unknown query parameter "${k}"`);
}

/** Git and index failures: a missing repository is NotFound (as Argo), the rest FailedPrecondition with the reason. */
async function gitCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const msg = redact(errorMessage(err));
    if (err instanceof GitError && /not found|does not exist/i.test(msg)) throw notFound(msg);
    throw failedPrecondition(msg);
  }
}
