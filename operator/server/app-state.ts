// The server's view of an application's state, computed with the same app-state pipeline the
// controller uses (operator/appstate): settings from argocd-cm, the project's policy, the target
// rendered from git, the live objects listed from the destination, compared with compareApp. The
// API's managed-resources, manifests and resource-tree answers come from here, so they agree with
// what the controller decides. Git checkouts live in a cache of the server's own (a directory no
// other process writes), fetched at most once per repository and commit; a project with
// project-scoped repository Secrets has a cache of its own (reposFor).
import { join } from "node:path";
import { homedir } from "node:os";
import type { PluginRegistry } from "../../plugins/index.js";
import type { Manifest } from "../../plugins/types.js";
import { LABEL_SECRET_TYPE } from "../api/annotations.js";
import { DEFAULT_PROJECT, type AppProject } from "../api/index.js";
import { globalProjectsFor, withGlobalProjects } from "../engine/global-projects.js";
import { appDestination, DestinationError, evaluateAppState, listedLiveView, registeredClusters } from "../appstate/one-shot.js";
import { compareApp } from "../appstate/pipeline.js";
import { signatureCheck, sourceIntegrityRefusal } from "../appstate/signatures.js";
import { GpgKeyring } from "../git/gpg.js";
import { parseCommitVerification, signatureInfo } from "../engine/gpg.js";
import { parseAppStateSettings, type AppStateSettings } from "../appstate/settings.js";
import type { ApplicationObject as PipelineApp } from "../appstate/types.js";
import type { CompareResult } from "../appstate/compare.js";
import { IN_CLUSTER_SERVER, kubeConfigForCluster, type ClusterEntry } from "../cluster/clusters.js";
import { missingProjectMessage } from "../engine/sync/validate.js";
import { SecretCredentialStore } from "../git/credentials.js";
import { artifactCacheBytes, ociLimitsFrom, processArtifactBudget, warnSmallArtifactCache, type OciArtifactCacheMetrics, type OciSourceParams } from "../git/oci-artifacts.js";
import type { RepoCache } from "../git/repo-cache.js";
import { ProjectRepoCaches } from "../git/project-repos.js";
import type { GitTrustSnapshot } from "../git/trust.js";
import { KubeClient, type KubeObject } from "../kube/client.js";
import { RenderCache, type RenderOutput } from "../render/index.js";
import type { Logger } from "../runtime/logger.js";
import type { ApplicationObject, ServerCache } from "./cache.js";
import { failedPrecondition } from "./http/errors.js";

export interface AppStateReaderOptions {
  cache: ServerCache;
  /** The server's own connection: the in-cluster destination. */
  client: KubeClient;
  plugins: PluginRegistry;
  log: Logger;
  /** Where the server's git checkouts live (default ~/.cache/hawser/server). */
  repoCacheDir?: string;
  /** argocd-cm installationID's default (the operator's --installation-id). */
  installationID?: string;
  /** The git trust files (argocd-tls-certs-cm, argocd-ssh-known-hosts-cm), as the controller's git uses. */
  trust?: () => GitTrustSnapshot | undefined;
  /** argocd-cmd-params-cm's reposerver.oci.* keys: OCI artifact sources render here under the controller's limits. */
  oci?: OciSourceParams;
  /** --oci-artifact-cache-size; unset: four artifacts as large as `oci`'s limits allow (artifactCacheBytes). */
  ociArtifactCacheBytes?: number;
  /** What the OCI artifact caches report (the server's /metrics), as the operator's. */
  ociMetrics?: OciArtifactCacheMetrics;
}

export interface AppState {
  cluster: ClusterEntry;
  /** The client of the destination cluster (the server's own for in-cluster). */
  client: KubeClient;
  rendered: RenderOutput;
  compared: CompareResult;
}

export class AppStateReader {
  private readonly credentials = new SecretCredentialStore();
  private readonly renderCache = new RenderCache();
  private readonly remotes = new Map<string, { fingerprint: string; client: KubeClient }>();
  private settingsMemo: { rv: string; settings: AppStateSettings } | undefined;
  /** Impersonating clients per destination client; a replaced destination client drops its own. */
  private readonly impersonated = new WeakMap<KubeClient, Map<string, KubeClient>>();
  /** argocd-gpg-keys-cm's keys, for projects that require signed commits (signatureKeys). */
  private readonly keyring = new GpgKeyring();

  /** The shared git cache, and one per project that has repository Secrets of its own (reposFor). */
  private readonly caches: ProjectRepoCaches;

  constructor(private readonly opts: AppStateReaderOptions) {
    const ociLimits = ociLimitsFrom(opts.oci ?? {});
    const ociCacheBytes = artifactCacheBytes(ociLimits, opts.ociArtifactCacheBytes);
    warnSmallArtifactCache(opts.log, ociCacheBytes, ociLimits);
    this.caches = new ProjectRepoCaches({
      credentials: this.credentials, baseDir: opts.repoCacheDir ?? join(homedir(), ".cache", "hawser", "server"),
      cache: {
        logger: opts.log, ...(opts.trust ? { trust: opts.trust } : {}),
        ociLimits, ociBudget: processArtifactBudget(ociCacheBytes), ...(opts.oci?.layerMediaTypes ? { ociLayerMediaTypes: opts.oci.layerMediaTypes } : {}),
        ...(opts.ociMetrics ? { ociMetrics: opts.ociMetrics } : {}),
      },
    });
    const isRepoSecret = (s: KubeObject): boolean => ["repository", "repo-creds"].includes(s.metadata.labels?.[LABEL_SECRET_TYPE] ?? "");
    opts.cache.onSecret({
      add: (s) => { if (isRepoSecret(s)) this.credentials.upsert(s); },
      update: (_o, s) => { if (isRepoSecret(s)) this.credentials.upsert(s); else this.credentials.remove(s); },
      delete: (s) => this.credentials.remove(s),
    });
  }

  /** The git trust files this server's git uses (for throw-away caches that must trust the same hosts). */
  get trust(): (() => GitTrustSnapshot | undefined) | undefined { return this.opts.trust; }

  /** The server's git cache without a project (unscoped Secrets only). */
  get repoReader(): RepoCache { return this.caches.shared; }

  /**
   * The git cache for a request of `project` (ProjectRepoCaches): its scoped Secrets first, then
   * unscoped; another project's never, nor clones fetched with them.
   */
  reposFor(project: string | undefined): RepoCache {
    return this.caches.forProject(project);
  }

  /** The OCI artifact caches' size, summed over the server's git caches (hawser_oci_artifact_cache_*). */
  ociArtifactUsage(): { entries: number; bytes: number } {
    return this.caches.ociArtifactUsage();
  }

  close(): void {
    void this.keyring.close();
    this.caches.close();
    for (const r of this.remotes.values()) r.client.close();
  }

  settings(): AppStateSettings {
    const cm = this.opts.cache.configMapObject("argocd-cm");
    const rv = cm?.metadata.resourceVersion ?? "";
    if (this.settingsMemo?.rv !== rv) this.settingsMemo = { rv, settings: parseAppStateSettings(cm, { plugins: this.opts.plugins, ...(this.opts.installationID ? { installationID: this.opts.installationID } : {}) }) };
    return this.settingsMemo.settings;
  }

  /** The global projects (argocd-cm globalProjects) that lend their fields to this project, in order. */
  globalProjectsOf(project: AppProject): AppProject[] {
    const argo = this.settings().argo;
    if (argo.globalProjectsError) throw failedPrecondition(`argocd-cm ${argo.globalProjectsError}`);
    return globalProjectsFor(project, argo.globalProjects, (n) => this.opts.cache.project(n));
  }

  /** The project as the controller enforces it: with its global projects' fields appended (Argo's virtual project). */
  effectiveProject(name: string): AppProject | undefined {
    const project = this.opts.cache.project(name);
    return project ? withGlobalProjects(project, this.globalProjectsOf(project)) : undefined;
  }

  /**
   * RevisionMetadata's signatureInfo of a commit of the app's source: only when the app's project
   * requires signatures (Argo's CheckSignature), verified with argocd-gpg-keys-cm's keys by the
   * real gpg, as the controller's check is.
   */
  async signatureInfo(app: ApplicationObject, repoURL: string, commit: string): Promise<string | undefined> {
    const project = this.effectiveProject(app.spec.project || DEFAULT_PROJECT);
    if ((project?.spec?.signatureKeys ?? []).length === 0) return undefined;
    const home = await this.keyring.home(this.opts.cache.configMap("argocd-gpg-keys-cm") ?? {});
    return signatureInfo(parseCommitVerification(await this.reposFor(app.spec.project || DEFAULT_PROJECT).verifyCommit(repoURL, commit, { gnupgHome: home })));
  }

  /** The registered clusters as the controller sees them: cluster Secrets, plus in-cluster unless turned off. */
  clusterEntries(): ClusterEntry[] {
    const inClusterEnabled = this.opts.cache.configMap("argocd-cm")?.["cluster.inClusterEnabled"] !== "false";
    return registeredClusters(this.opts.cache.secretsOfType("cluster"), { inClusterEnabled });
  }

  destination(app: ApplicationObject): { cluster: ClusterEntry; client: KubeClient } {
    let cluster: ClusterEntry;
    try {
      cluster = appDestination(app as unknown as PipelineApp, this.clusterEntries());
    } catch (err) {
      if (err instanceof DestinationError) throw failedPrecondition(err.message);
      throw err;
    }
    return { cluster, client: this.clientFor(cluster) };
  }

  /** A connection to a registered cluster: the server's own for in-cluster, one kept per server otherwise. */
  clientFor(cluster: ClusterEntry): KubeClient {
    if (cluster.server === IN_CLUSTER_SERVER && Object.keys(cluster.config ?? {}).length === 0) return this.opts.client;
    const fingerprint = JSON.stringify(cluster.config ?? {});
    const known = this.remotes.get(cluster.server);
    if (known && known.fingerprint === fingerprint) return known.client;
    known?.client.close();
    const client = new KubeClient(kubeConfigForCluster(cluster));
    this.remotes.set(cluster.server, { fingerprint, client });
    return client;
  }

  /** Drops the kept connection to a cluster (new credentials, or a cache invalidation). */
  forgetCluster(server: string): void {
    this.remotes.get(server)?.client.close();
    this.remotes.delete(server);
  }

  /** Renders and compares the app now (revision: another commit of its single source; revisions: one per source). */
  async state(app: ApplicationObject, opts: { revision?: string; revisions?: string[]; refresh?: "normal" | "hard" } = {}): Promise<AppState> {
    const { settings, project, cluster, client, verifyCommit, repos } = this.pipelineInputs(app);
    const { rendered, compared } = await evaluateAppState({
      app: app as unknown as PipelineApp, cluster, client, settings,
      render: { repos, cache: this.renderCache, log: this.opts.log },
      renderOptions: {
        ...(opts.revisions ? { revisions: opts.revisions } : opts.revision ? { revisions: [opts.revision] } : {}), ...(opts.refresh ? { refresh: opts.refresh } : {}),
        ...(verifyCommit ? { verifyCommit } : {}),
      },
      compare: { controllerNamespace: this.opts.cache.namespace, project: project.spec, clientAs: (user) => this.clientAs(client, user) },
    });
    return { cluster, client, rendered, compared };
  }

  /**
   * The app's diff computed server-side (the apiserver's dry-run apply predicts the live state),
   * against `targets` when given, else the target rendered from its sources. With sync
   * impersonation on, the dry runs go as the project's destination service account, as the
   * controller's do; when none matches it fails closed (ServerSideDiffImpersonationError).
   */
  async serverSideDiff(app: ApplicationObject, targets?: Manifest[]): Promise<CompareResult> {
    const { settings, project, cluster, client, verifyCommit, repos } = this.pipelineInputs(app);
    const pipelineApp = app as unknown as PipelineApp;
    const compare = { controllerNamespace: this.opts.cache.namespace, project: project.spec, forceServerSideDiff: true, clientAs: (user: string) => this.clientAs(client, user) };
    if (!targets) {
      const { compared } = await evaluateAppState({
        app: pipelineApp, cluster, client, settings, render: { repos, cache: this.renderCache, log: this.opts.log }, compare,
        renderOptions: verifyCommit ? { verifyCommit } : {},
      });
      return compared;
    }
    return compareApp(pipelineApp, targets, listedLiveView(cluster, client, settings), { ...compare, settings });
  }

  /**
   * What the pipeline needs for the app: settings, its project (required), destination, and the
   * controller's commit check when the project requires signed commits (a refused commit fails the
   * answer with the controller's message; policies Hawser cannot enforce refuse it outright).
   */
  private pipelineInputs(app: ApplicationObject): { settings: AppStateSettings; project: AppProject; cluster: ClusterEntry; client: KubeClient; repos: RepoCache; verifyCommit?: (repoURL: string, commit: string) => Promise<void> } {
    const settings = this.settings();
    const projectName = app.spec.project || DEFAULT_PROJECT;
    const project = this.effectiveProject(projectName);
    // Fail closed as the controller does: without the project no live object is the app's.
    if (!project) throw failedPrecondition(`application ${app.metadata.name ?? ""}: ${missingProjectMessage(projectName)}`);
    const integrity = sourceIntegrityRefusal(projectName, project.spec?.sourceIntegrity);
    if (integrity) throw failedPrecondition(`application ${app.metadata.name ?? ""}: ${integrity}`);
    const { cluster, client } = this.destination(app);
    const repos = this.reposFor(projectName);
    const verifyCommit = signatureCheck({ name: projectName, signatureKeys: project.spec?.signatureKeys }, repos,
      () => this.keyring.home(this.opts.cache.configMap("argocd-gpg-keys-cm") ?? {}));
    return { settings, project, cluster, client, repos, ...(verifyCommit ? { verifyCommit } : {}) };
  }

  /** The destination's client acting as `user` (sync impersonation), one kept per client and user. */
  private clientAs(client: KubeClient, user: string): KubeClient {
    let byUser = this.impersonated.get(client);
    if (!byUser) this.impersonated.set(client, (byUser = new Map<string, KubeClient>()));
    let c = byUser.get(user);
    if (!c) byUser.set(user, (c = client.asUser(user)));
    return c;
  }
}
