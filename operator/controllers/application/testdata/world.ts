// A "fake world" for the Application reconcilers' unit tests: a real git repository (rendered by
// the real built-in directory plugin through the app-state pipeline), an in-memory cluster
// (test/support/fake-cluster.ts, which says what it does not model) holding the Application, its
// AppProject and the destination namespace, and the three reconcilers wired over them through the
// same AppContext the controller builds. Tests call the reconcilers directly, pass by pass.
import { builtinPlugins } from "../../../../plugins/index.js";
import { parse } from "yaml";
import { ANNOTATION_TRACKING_ID, ARGO_API_VERSION } from "../../../api/annotations.js";
import { CachedLiveView } from "../../../appstate/live.js";
import { SettingsCache } from "../../../appstate/settings.js";
import type { ApplicationObject, AppProjectObject } from "../../../appstate/types.js";
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER, resolveDestination, type ClusterEntry } from "../../../cluster/clusters.js";
import { trackingId } from "../../../engine/tracking.js";
import { AdaptiveLimiter } from "../../../kube/adaptive.js";
import type { KubeObject } from "../../../kube/client.js";
import { RenderCache } from "../../../render/index.js";
import { memoryLogger } from "../../../runtime/logger.js";
import { classifyOutcome, type ReconcileContext, type ReconcileOutcome, type ReconcileResult } from "../../../runtime/reconciler.js";
import { FakeCluster, type Write } from "../../../../test/support/fake-cluster.js";
import { LocalGitRepo, LocalRepoSource } from "../../../../test/support/local-repos.js";
import { AppContext, type EventSink } from "../context.js";
import { DeletionReconciler } from "../deletion.js";
import { DestinationError, type DestinationClient, type DestinationProvider } from "../destinations.js";
import { OperationReconciler } from "../operation.js";
import { RefreshReconciler } from "../refresh.js";

export const CONTROL_NAMESPACE = "argocd";
export const APP_NAME = "guestbook";
export const DEST_NAMESPACE = "guestbook";
export const REPO_URL = "https://git.test/guestbook.git";
const APP_KEY = `${CONTROL_NAMESPACE}/${APP_NAME}`;

const IN_CLUSTER: ClusterEntry = { name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, namespaces: [], clusterResources: true, config: {} };

/** A ConfigMap manifest as a file in the repository, with an optional sync wave and sync options. */
export function configMapYaml(name: string, opts: { wave?: number; syncOptions?: string; data?: Record<string, string> } = {}): string {
  const annotations = [
    ...(opts.wave !== undefined ? [`    argocd.argoproj.io/sync-wave: "${opts.wave}"`] : []),
    ...(opts.syncOptions ? [`    argocd.argoproj.io/sync-options: ${opts.syncOptions}`] : []),
  ];
  const data = Object.entries(opts.data ?? { name }).map(([k, v]) => `  ${k}: "${v}"`);
  return ["apiVersion: v1", "kind: ConfigMap", "metadata:", `  name: ${name}`, ...(annotations.length ? ["  annotations:", ...annotations] : []), "data:", ...data, ""].join("\n");
}

/**
 * The ConfigMap configMapYaml() describes as it would be live after a sync: in the destination
 * namespace and carrying the app's tracking annotation.
 */
export function liveConfigMap(name: string, opts: Parameters<typeof configMapYaml>[1] = {}): KubeObject {
  const obj = parse(configMapYaml(name, opts)) as KubeObject;
  obj.metadata.namespace = DEST_NAMESPACE;
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [ANNOTATION_TRACKING_ID]: trackingId(APP_NAME, obj) };
  return obj;
}

export function defaultProject(): AppProjectObject {
  return {
    apiVersion: ARGO_API_VERSION, kind: "AppProject", metadata: { name: "default", namespace: CONTROL_NAMESPACE },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] },
  };
}

export function application(spec: Partial<ApplicationObject["spec"]> = {}, meta: Partial<KubeObject["metadata"]> = {}): ApplicationObject {
  return {
    apiVersion: ARGO_API_VERSION, kind: "Application",
    metadata: { name: APP_NAME, namespace: CONTROL_NAMESPACE, ...meta },
    spec: {
      project: "default",
      source: { repoURL: REPO_URL, path: "app", targetRevision: "main" },
      destination: { server: IN_CLUSTER_SERVER, namespace: DEST_NAMESPACE },
      ...spec,
    },
  };
}

export interface RecordedEvent { type: string; reason: string; message: string }

export interface WorldOptions {
  /** Repository files (path → content) of the first commit. */
  files: Record<string, string>;
  app?: ApplicationObject;
  /** The AppProject; null for none. Default: defaultProject(). */
  project?: AppProjectObject | null;
  /** More objects in the cluster from the start. */
  objects?: KubeObject[];
  /**
   * Git as a project with project-scoped repository Secrets sees it (reposForProject): per project,
   * the files of another repository served at REPO_URL. Other projects see `files`.
   */
  projectFiles?: Record<string, Record<string, string>>;
}

export class World {
  readonly events: RecordedEvent[] = [];
  /** App keys the reconcilers asked to refresh. */
  readonly refreshRequests: string[] = [];
  /** The refresh kind the reconcilers asked each render for ("none" for a plain one). */
  readonly renderKinds: string[] = [];
  /** The refresh reconciler's clock: still unless advanceClock moves it, so delays are exact. */
  private clockMs = Date.parse("2026-01-01T00:00:00Z");
  /** Writes sent through an impersonating client, as `user verb Kind/name` (the fake does not check RBAC). */
  readonly impersonatedWrites: string[] = [];
  readonly refresh: RefreshReconciler;
  readonly operation: OperationReconciler;
  readonly deletion: DeletionReconciler;
  private readonly log = memoryLogger("debug");

  private constructor(readonly cluster: FakeCluster, readonly repo: LocalGitRepo, readonly repos: LocalRepoSource, private readonly projectRepos: Map<string, { repo: LocalGitRepo; repos: LocalRepoSource }> = new Map()) {
    const events: EventSink = {
      record: (obj, type, reason, message) => {
        this.events.push({ type, reason, message });
        return Promise.resolve();
      },
    };
    const limiter = new AdaptiveLimiter({ initial: 16, max: 64 });
    const destinations: DestinationProvider = {
      resolve: (app, settings) => {
        const resolved = resolveDestination(app.spec.destination, [IN_CLUSTER]);
        if (!resolved.ok) throw new DestinationError(resolved.message);
        const cache = cluster.cache({ method: settings.trackingMethod, labelKey: settings.instanceLabelKey, ...(settings.installationID ? { installationID: settings.installationID } : {}) });
        return { cluster: resolved.cluster, client: cluster, cache, limiter, view: new CachedLiveView({ server: resolved.cluster.server, name: resolved.cluster.name }, cluster, cache), clientAs: (user) => this.impersonatingClient(user) };
      },
    };
    const settings = new SettingsCache(() => cluster.object("v1", "ConfigMap", CONTROL_NAMESPACE, "argocd-cm"), { plugins: builtinPlugins() });
    const env = new AppContext(
      {
        client: cluster, namespace: CONTROL_NAMESPACE, resyncMs: 0, resyncJitterMs: 0, log: this.log.logger, events, repos, waveDelayMs: 0,
        ...(projectRepos.size > 0 ? { reposForProject: (project: string) => projectRepos.get(project)?.repos ?? repos } : {}),
      },
      cluster.objectCache<ApplicationObject>(ARGO_API_VERSION, "Application"),
      this.projectCache(cluster.objectCache<AppProjectObject>(ARGO_API_VERSION, "AppProject")),
      { resolve: (d) => resolveDestination(d, [IN_CLUSTER]), list: () => [IN_CLUSTER] },
      destinations, settings, new RenderCache(),
      (key) => this.refreshRequests.push(key),
    );
    this.deletion = new DeletionReconciler(env);
    // Record what the reconcilers ask the pipeline for; the pipeline itself is untouched.
    const render = env.render.bind(env);
    env.render = (app, dest, revisions, refresh) => {
      this.renderKinds.push(refresh ?? "none");
      return render(app, dest, revisions, refresh);
    };
    this.refresh = new RefreshReconciler(env, this.deletion, () => this.clockMs);
    this.operation = new OperationReconciler(env, this.refresh);
  }

  /** Projects as the reconcilers' cache holds them: the cluster's, or a snapshot while frozen. */
  private frozenProjects: Map<string, AppProjectObject | undefined> | undefined;

  private projectCache(live: { get(key: string): AppProjectObject | undefined }): { get(key: string): AppProjectObject | undefined } {
    return {
      get: (key) => {
        if (!this.frozenProjects) return live.get(key);
        if (!this.frozenProjects.has(key)) this.frozenProjects.set(key, live.get(key));
        return this.frozenProjects.get(key);
      },
    };
  }

  /**
   * From now on the project cache keeps what it holds at this moment: a watch that has not yet
   * delivered the project's later changes (the fake's caches otherwise see every write at once).
   */
  freezeProjectCache(): void {
    this.frozenProjects = new Map();
    const key = `${CONTROL_NAMESPACE}/default`;
    this.frozenProjects.set(key, this.cluster.object(ARGO_API_VERSION, "AppProject", CONTROL_NAMESPACE, "default"));
  }

  /** The fake cluster as `clientAs(user)` gives it: the same objects, with each write noted under the user. */
  private impersonatingClient(user: string): DestinationClient {
    const writes = new Set(["apply", "create", "replace", "delete", "patch"]);
    return new Proxy(this.cluster, {
      get: (target, prop) => {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== "function" || !writes.has(String(prop))) return value;
        return (...args: unknown[]) => {
          const ref = args[0] as { kind: string; name?: string; metadata?: { name?: string } };
          this.impersonatedWrites.push(`${user} ${String(prop)} ${ref.kind}/${ref.name ?? ref.metadata?.name ?? ""}`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  static async create(opts: WorldOptions): Promise<World> {
    const repo = await LocalGitRepo.create(opts.files);
    const cluster = new FakeCluster();
    cluster.seed(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: CONTROL_NAMESPACE } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: DEST_NAMESPACE } },
      ...(opts.project === null ? [] : [opts.project ?? defaultProject()]),
      opts.app ?? application(),
      ...(opts.objects ?? []),
    );
    const projectRepos = new Map<string, { repo: LocalGitRepo; repos: LocalRepoSource }>();
    for (const [project, files] of Object.entries(opts.projectFiles ?? {})) {
      const r = await LocalGitRepo.create(files);
      projectRepos.set(project, { repo: r, repos: new LocalRepoSource({ [REPO_URL]: r }) });
    }
    return new World(cluster, repo, new LocalRepoSource({ [REPO_URL]: repo }), projectRepos);
  }

  /** Moves the refresh reconciler's clock forward (no waiting in these tests). */
  advanceClock(ms: number): void {
    this.clockMs += ms;
  }

  /** The Application as stored now. */
  app(): ApplicationObject {
    const app = this.cluster.object(ARGO_API_VERSION, "Application", CONTROL_NAMESPACE, APP_NAME) as ApplicationObject | undefined;
    if (!app) throw new Error("the Application is gone");
    return app;
  }

  appExists(): boolean {
    return this.cluster.object(ARGO_API_VERSION, "Application", CONTROL_NAMESPACE, APP_NAME) !== undefined;
  }

  /** Patches the stored Application directly (a user's change), outside the write log. */
  async editApp(patch: Record<string, unknown>, opts: { subresource?: "status" } = {}): Promise<void> {
    const before = this.cluster.writes.length;
    await this.cluster.patch({ apiVersion: ARGO_API_VERSION, kind: "Application", name: APP_NAME, namespace: CONTROL_NAMESPACE }, patch, opts);
    this.cluster.writes.splice(before);
  }

  private ctx(): ReconcileContext {
    return { key: APP_KEY, log: this.log.logger, signal: new AbortController().signal, retries: 0 };
  }

  reconcileRefresh(): Promise<ReconcileResult> {
    return this.refresh.reconcile(this.ctx());
  }

  /** A refresh as the runtime's queue sees it: the result, or the typed error it threw, classified. */
  async refreshOutcome(): Promise<ReconcileOutcome> {
    try {
      return classifyOutcome(await this.reconcileRefresh(), undefined);
    } catch (err) {
      return classifyOutcome(undefined, err);
    }
  }

  /** Runs one refresh and returns what it wrote (describeWrite). */
  async refreshWrites(): Promise<string[]> {
    const before = this.cluster.writes.length;
    await this.reconcileRefresh();
    return this.cluster.writes.slice(before).map(describeWrite);
  }

  reconcileOperation(): Promise<ReconcileResult> {
    return this.operation.reconcile(this.ctx());
  }

  /**
   * Runs operation passes while the reconciler asks for another one (at most `max`), returning the
   * writes of each pass; the requeue delay it asks for is not waited (no clock in these tests).
   */
  async runOperation(max = 10): Promise<Write[][]> {
    const passes: Write[][] = [];
    for (let i = 0; i < max; i++) {
      const before = this.cluster.writes.length;
      const result = await this.reconcileOperation();
      passes.push(this.cluster.writes.slice(before));
      if (result.requeueAfterMs === undefined) return passes;
    }
    throw new Error(`the operation still asks for more passes after ${max}`);
  }

  async dispose(): Promise<void> {
    await this.repos.dispose();
    await this.repo.dispose();
    for (const p of this.projectRepos.values()) {
      await p.repos.dispose();
      await p.repo.dispose();
    }
  }
}

/** Writes to anything but the Application itself: what a reconcile did to the cluster. */
export function clusterWrites(writes: readonly Write[]): Write[] {
  return writes.filter((w) => w.kind !== "Application");
}

/** A write as `verb Kind/name` with ` (dry run)` or ` -> error`, for exact assertions. */
export function describeWrite(w: Write): string {
  return `${w.verb}${w.subresource ? `/${w.subresource}` : ""} ${w.kind}/${w.name}${w.dryRun ? " (dry run)" : ""}${w.error ? " -> error" : ""}`;
}

