// What the Application controller's three reconcilers (refresh, operation, deletion) share: the
// caches they read, the destinations, argocd-cm's settings, and the app-state pipeline bound to
// them. controller.ts builds one AppContext and hands it to each reconciler.
//
// The reconcilers reach I/O only through the narrow interfaces below, which the production classes
// implement (controller.ts wires them): ObjectCache (the Application and AppProject informers),
// AppClient (the control plane's KubeClient: a fresh read of an Application, patches of it and its
// status), ClusterResolver (the ClusterRegistry), DestinationProvider (the DestinationPool, giving
// a DestinationClient, a DestinationCache, a LiveView and a WriteLimiter per destination), the
// RepoSource and an EventSink. The unit tests drive the reconcilers through the same interfaces
// over an in-memory fake cluster (test/support/fake-cluster.ts).
import type { RenderOutput } from "../../render/index.js";
import { compareApp, permittedLiveObjects, renderTarget, appTrackingKey, syncImpersonation } from "../../appstate/pipeline.js";
import type { CompareResult } from "../../appstate/compare.js";
import type { Kind } from "../../appstate/live.js";
import type { SettingsCache } from "../../appstate/settings.js";
import { signatureCheck, type GnupgHomeProvider } from "../../appstate/signatures.js";
import type { AppProjectSpec } from "../../api/index.js";
import type { ApplicationObject, AppProjectObject } from "../../appstate/types.js";
import type { ClusterRegistry } from "../../cluster/clusters.js";
import type { KubeObject } from "../../kube/client.js";
import type { RenderCache, RenderInfo } from "../../render/index.js";
import type { PluginRegistry } from "../../../plugins/index.js";
import type { SelfHealBackoff } from "../../engine/sync/autosync.js";
import type { RepoSource } from "../../git/types.js";
import type { KubeClient } from "../../kube/client.js";
import type { AdaptiveLimiter } from "../../kube/adaptive.js";
import type { CustomizationTree } from "../../lua/customizations.js";
import type { EventRecorder } from "../../runtime/events.js";
import type { Logger } from "../../runtime/logger.js";
import type { OperatorMetrics } from "../../runtime/metrics.js";
import { globalProjectsFor, withGlobalProjects } from "../../engine/global-projects.js";
import { appNamespaceNotPermittedMessage, isAppNamespacePermitted } from "../../engine/namespaces.js";
import { missingProjectMessage } from "../../engine/sync/validate.js";
import type { Destination, DestinationClient, DestinationProvider } from "./destinations.js";
import type { ShardingOptions } from "./sharding.js";
import type { ClusterInfoOptions } from "./cluster-info.js";

/** The client an app's sync writes with, or why it may not write at all. */
export type SyncWriter = { ok: true; client: DestinationClient; user?: string } | { ok: false; message: string };

/** Objects by `namespace/name`, as an informer caches them. */
export interface ObjectCache<T> {
  get(key: string): T | undefined;
}

/** The control plane's API as the reconcilers use it: a fresh read of an Application, patches of Applications and their status. */
export type AppClient = Pick<KubeClient, "get" | "patch">;

/**
 * The client with its patches (the Application and status writes) paced by `limiter` at normal
 * priority, so the Events that share the limiter in its low lane yield to them. `groupOf` names the
 * patched app's fair-turn group (`namespace/name` → queue-group.ts), so a burst's writes do not
 * hold back another group's in the limiter either.
 */
export function limitedAppClient(client: AppClient, limiter: Pick<AdaptiveLimiter, "run">, groupOf?: (key: string) => string): AppClient {
  type Patch = (ref: { name: string; namespace?: string }, ...rest: unknown[]) => ReturnType<AppClient["patch"]>;
  const patch = client.patch as unknown as Patch;
  return {
    get: (...args: Parameters<AppClient["get"]>) => client.get(...args),
    patch: ((ref: { name: string; namespace?: string }, ...rest: unknown[]) => {
      const group = groupOf?.(ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name);
      return limiter.run(() => patch.call(client, ref, ...rest), group === undefined ? {} : { group });
    }) as unknown as AppClient["patch"],
  };
}

/** Resolves a destination against the registered clusters: the ClusterRegistry in production. */
export type ClusterResolver = Pick<ClusterRegistry, "resolve" | "list">;

/** Where the reconcilers record Kubernetes Events: the EventRecorder in production. */
export type EventSink = Pick<EventRecorder, "record">;

/** What the reconcilers read of the controller's options. */
export interface AppContextOptions {
  client: AppClient;
  namespace: string;
  resyncMs: number;
  resyncJitterMs: number;
  /** Periodic hard refresh (--app-hard-resync); argocd-cm timeout.hard.reconciliation wins. 0 or unset: off. */
  hardResyncMs?: number;
  log: Logger;
  events?: EventSink;
  /** Git access; without it Applications are validated but not compared. */
  repos?: RepoSource;
  /**
   * The git access of a project's apps when project-scoped repository Secrets exist
   * (ProjectRepoCaches.forProject): that project's Secrets first, then unscoped ones, in clones no
   * other project reads. Without it every app uses `repos`.
   */
  reposForProject?: (project: string) => RepoSource;
  selfHealBackoff?: SelfHealBackoff;
  /** Pause between sync waves (Argo: 2 s). */
  waveDelayMs?: number;
  /** Bundled and user Lua health customizations directories (already loaded). */
  healthTrees?: CustomizationTree[];
  /** Diff every app with a server-side apply dry run unless it opts out. */
  serverSideDiff?: boolean;
  /** The GnuPG home with argocd-gpg-keys-cm's keys, for projects with signatureKeys; without it their apps are refused. */
  gnupgHome?: GnupgHomeProvider;
  /** Prometheus metrics; the reconcilers count Argo's argocd_app_* there. */
  metrics?: OperatorMetrics;
}

export interface ApplicationControllerOptions extends AppContextOptions {
  client: KubeClient;
  /** Controller sharding (replicas > 1): this replica works only on the apps of the shards it holds. */
  sharding?: ShardingOptions;
  /** Paces the Application writes; shared with the EventRecorder, whose writes take its low lane. */
  writeLimiter?: Pick<AdaptiveLimiter, "run">;
  statusProcessors: number;
  operationProcessors?: number;
  events?: EventRecorder;
  plugins?: PluginRegistry;
  renderCache?: RenderCache;
  /** Default installation id when argocd-cm sets none. */
  installationID?: string;
  /** reposerver.allow.oob.symlinks: render trees holding symlinks that leave them (dangerous). */
  allowOutOfBoundsSymlinks?: boolean;
  /** Other namespaces whose Applications are reconciled (application.namespaces: globs, `/regex/`). */
  applicationNamespaces?: readonly string[];
  /** Cluster Secret labels exported in argocd_cluster_labels (--metrics-cluster-labels; none: off). */
  metricsClusterLabels?: readonly string[];
  /** Publish each owned cluster's info for the API server (cluster-info.ts); unset: not published. */
  clusterInfo?: ClusterInfoOptions;
}

interface Held {
  kind: "refresh" | "operation";
  done: Promise<void>;
  /** Refresh passes holding the app (kind refresh): the hold ends when the last one releases. */
  holders: number;
  resolve: () => void;
  /** A refresh came while an operation pass held the app. */
  refreshWanted: boolean;
}

/**
 * Refresh and operation passes of one app never overlap. An operation's last pass writes the
 * comparison after the sync together with the operation's end (refresh.ts refreshWith); a refresh
 * running beside it would write that same status a second time, or, having compared before the
 * apply, an older one after it. A refresh that finds an operation pass running is skipped, and
 * asked for again when that pass ends; an operation pass waits until no refresh of the app runs.
 * Refreshes of one key share the hold and are counted, so the rule holds even if two ran at once
 * (the work queue never runs them so, but nothing here relies on it). Only operation passes wait,
 * and only for refreshes, which never wait for anything here: nothing waits in a circle.
 */
export class AppPasses {
  private readonly held = new Map<string, Held>();

  /** Starts a refresh pass: its release (once), or undefined when an operation pass holds the app (the refresh is asked for again when it ends). */
  startRefresh(key: string): (() => void) | undefined {
    const current = this.held.get(key);
    if (current?.kind === "operation") {
      current.refreshWanted = true;
      return undefined;
    }
    const held = current ?? this.hold(key, "refresh");
    if (current) held.holders++;
    let released = false;
    return () => {
      // A second call of the same release must not end another refresh's share of the hold.
      if (released) return;
      released = true;
      if (--held.holders === 0) this.end(key, held);
    };
  }

  /** Starts an operation pass once no refresh of the app runs; the release returns whether a refresh was skipped meanwhile. */
  async startOperation(key: string): Promise<() => boolean> {
    for (let current = this.held.get(key); current; current = this.held.get(key)) await current.done;
    const held = this.hold(key, "operation");
    return () => {
      this.end(key, held);
      return held.refreshWanted;
    };
  }

  private hold(key: string, kind: Held["kind"]): Held {
    let resolve!: () => void;
    const done = new Promise<void>((r) => { resolve = r; });
    const held: Held = { kind, done, holders: 1, resolve, refreshWanted: false };
    this.held.set(key, held);
    return held;
  }

  private end(key: string, held: Held): void {
    if (this.held.get(key) === held) this.held.delete(key);
    held.resolve();
  }
}

export class AppContext {
  /** Which pass (refresh or operation) runs on each app (see AppPasses). */
  readonly passes = new AppPasses();

  constructor(
    readonly opts: AppContextOptions,
    readonly apps: ObjectCache<ApplicationObject>,
    readonly projects: ObjectCache<AppProjectObject>,
    readonly clusters: ClusterResolver,
    readonly destinations: DestinationProvider,
    readonly settings: SettingsCache,
    readonly renderCache: RenderCache,
    /** Queues a refresh of the app with this key ahead of waiting ones: the follow-up of its own operation. */
    readonly enqueueRefresh: (key: string) => void,
  ) {}

  get namespace(): string { return this.opts.namespace; }

  /** Counts each source a tool actually rendered (hawser_manifest_renders_total). */
  private readonly countRender = (info: RenderInfo): void => { this.opts.metrics?.manifestRenders.inc({ plugin: info.plugin }); };

  /**
   * The app's project, if the app may use it: as Argo's getAppProj, a project whose
   * sourceNamespaces do not admit the app's namespace counts as none, so nothing (compare, sync,
   * cascade deletion) runs under its rules.
   */
  projectOf(app: ApplicationObject): AppProjectObject | undefined {
    const project = this.project(app.spec.project || "default");
    if (!project) return undefined;
    const sourceNamespaces = (project.spec as AppProjectSpec | undefined)?.sourceNamespaces;
    return isAppNamespacePermitted(sourceNamespaces, app.metadata.namespace, this.opts.namespace) ? project : undefined;
  }

  /** Why projectOf gives no project: it does not exist, or the app's namespace may not use it. */
  projectRefusal(app: ApplicationObject): string {
    const name = app.spec.project || "default";
    return this.project(name)
      ? appNamespaceNotPermittedMessage(app.metadata.name ?? "", app.metadata.namespace ?? "", name)
      : missingProjectMessage(name);
  }

  /**
   * Looks up a project by name in the control namespace, as Argo's virtual project: with the
   * fields its argocd-cm globalProjects lend it appended, so every rule (sources, destinations,
   * kinds, sync windows, impersonation) sees them.
   */
  project = (name: string): AppProjectObject | undefined => {
    const stored = (n: string): AppProjectObject | undefined => this.projects.get(`${this.opts.namespace}/${n}`);
    const project = stored(name);
    if (!project) return undefined;
    return withGlobalProjects(project, globalProjectsFor(project, this.settings.get().argo.globalProjects, stored));
  };

  trackingKeyOf(app: ApplicationObject): string {
    return appTrackingKey(app, this.opts.namespace);
  }

  destination(app: ApplicationObject): Destination {
    return this.destinations.resolve(app, this.settings.get().argo);
  }

  /**
   * The client for an app's sync writes (applies, prunes, hooks, dry runs, deletes): with
   * impersonation on (argocd-cm `application.sync.impersonation.enabled`), the destination's
   * client as the project's matching service account, or Argo's error when none matches; else the
   * controller's own. Reads stay on the controller's identity either way.
   */
  syncWriter(app: ApplicationObject, dest: Destination): SyncWriter {
    const picked = syncImpersonation(app, this.projectOf(app)?.spec, this.settings.get().argo, dest.cluster.server, this.opts.namespace);
    if (!picked) return { ok: true, client: dest.client };
    return picked.ok ? { ok: true, client: dest.clientAs(picked.user), user: picked.user } : picked;
  }

  /**
   * The git access this app may use: its project's (reposForProject) when the app may use that
   * project, else the unscoped one. An app whose namespace its project does not admit never gets
   * the project's credentials.
   */
  reposOf(app: ApplicationObject): RepoSource | undefined {
    const project = this.projectOf(app);
    if (!project || !this.opts.reposForProject) return this.opts.repos;
    return this.opts.reposForProject(project.metadata.name ?? "");
  }

  async render(app: ApplicationObject, dest: Destination, revisions?: Array<string | undefined>, refresh?: "normal" | "hard"): Promise<RenderOutput> {
    const repos = this.reposOf(app);
    if (!repos) throw new Error("no git access configured");
    const project = this.projectOf(app);
    const verifyCommit = signatureCheck(project && { name: project.metadata.name ?? "", signatureKeys: (project.spec as AppProjectSpec | undefined)?.signatureKeys }, repos, this.opts.gnupgHome);
    return renderTarget(app, dest.view, { repos, settings: this.settings.get(), cache: this.renderCache, log: this.opts.log }, { ...(revisions ? { revisions } : {}), ...(refresh ? { refresh } : {}), ...(verifyCommit ? { verifyCommit } : {}), onRender: this.countRender });
  }

  async compare(app: ApplicationObject, dest: Destination, rendered: RenderOutput, signal: AbortSignal): Promise<CompareResult> {
    return compareApp(app, rendered.manifests, dest.view, {
      controllerNamespace: this.opts.namespace, settings: this.settings.get(), project: this.projectOf(app)?.spec,
      healthTrees: this.opts.healthTrees, serverSideDiffDefault: this.opts.serverSideDiff === true, signal,
      clientAs: (user) => dest.clientAs(user),
    });
  }

  /** The app's live objects among these kinds (and those its status lists), within its project. */
  liveObjects(dest: Destination, app: ApplicationObject, kinds: readonly Kind[], signal: AbortSignal): Promise<KubeObject[]> {
    return permittedLiveObjects(app, dest.view, kinds, { controllerNamespace: this.opts.namespace, project: this.projectOf(app)?.spec, signal });
  }
}
