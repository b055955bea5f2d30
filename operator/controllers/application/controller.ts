// The Application controller's wiring. Two queues, as Argo has: `application-refresh` (statusProcessors
// workers) compares each Application with git and the cluster and writes its status, and
// `application-operation` (operationProcessors workers) runs sync operations one resumable step at
// a time, persisting status.operationState after every step. A slow sync never blocks refreshes.
// Refreshes happen when an Application or its project changes, when a managed object changes in
// the cluster (drift is seen within the watch latency), on git webhooks, per the app's own refresh
// interval (`timeout.reconcile=<d>` sync option) and on the periodic resync. Status is written
// only when it changed. The work itself is in refresh.ts, operation.ts and deletion.ts; what they
// share (caches, destinations, settings, the app-state pipeline) is context.ts.
import { globalProjectsFor } from "../../engine/global-projects.js";
import { ARGO_API_VERSION } from "../../api/annotations.js";
import type { Application } from "../../api/index.js";
import { appSources } from "../../appstate/pipeline.js";
import { SettingsCache } from "../../appstate/settings.js";
import type { ApplicationObject, AppProjectObject } from "../../appstate/types.js";
import { ClusterRegistry } from "../../cluster/clusters.js";
import { isNamespaceEnabled } from "../../engine/namespaces.js";
import { GpgKeyring } from "../../git/gpg.js";
import { RenderCache } from "../../render/index.js";
import type { ArgoMetrics } from "../../runtime/argo-metrics.js";
import { Controller } from "../../runtime/controller.js";
import { Informer, objectKey } from "../../runtime/informer.js";
import { deepEqual } from "../../util/index.js";
import type { KubeObject } from "../../kube/client.js";
import { pushConcerns, repoIdentity } from "../../webhook/match.js";
import type { PushEvent } from "../../webhook/parse.js";
import { AppContext, limitedAppClient, type ApplicationControllerOptions } from "./context.js";
import { DeletionReconciler } from "./deletion.js";
import { DestinationPool } from "./destinations.js";
import { appConditionSeries, appHealthStatusSeries, appInfoSeries, appLabelSeries, appOrphanSeries, appSyncStatusSeries, clusterLabelSeries, clusterSeries, parseAppMetricsSettings } from "./metrics.js";
import { OperationReconciler } from "./operation.js";
import { appQueueGroup } from "./queue-group.js";
import { RefreshReconciler } from "./refresh.js";
import { AppSharding, fencedClient } from "./sharding.js";
import { ClusterInfoPublisher } from "./cluster-info.js";
import { APP_OPERATION_QUEUE, APP_REFRESH_QUEUE, PROJECT_QUEUE } from "./queue-names.js";
import { ProjectFinalizer } from "./project-finalizer.js";
import { ANNOTATION_REFRESH } from "../../api/annotations.js";
import { errorMessage } from "../../util/index.js";

export type { ApplicationControllerOptions };

const PROJECT_INDEX = "project";
/**
 * The controller's render cache: one entry per app source at 20,000 apps, so a commit that leaves
 * an app's manifest-generate-paths unchanged is served from it, and at most 100,000 manifests
 * (a few hundred MB) whatever the apps render.
 */
export const CONTROLLER_RENDER_CACHE = { entries: 20_000, manifests: 100_000 };
const REPO_INDEX = "repo";

type AppStatus = NonNullable<Application["status"]>;

/** When the app's last operation ended, once it has (a new value is an operation just ended). */
function endedAt(app: ApplicationObject): string | undefined {
  const state = (app.status as AppStatus | undefined)?.operationState;
  return state && state.phase !== "Running" && state.phase !== "Terminating" ? state.finishedAt : undefined;
}

/** When the app's Running operation started, if one is running: a new value is a new operation. */
function runningSince(app: ApplicationObject): string | undefined {
  const state = (app.status as AppStatus | undefined)?.operationState;
  return state?.phase === "Running" ? state.startedAt : undefined;
}

export class ApplicationController {
  readonly apps: Informer<ApplicationObject>;
  readonly projects: Informer<AppProjectObject>;
  readonly argocdCm: Informer;
  /** argocd-gpg-keys-cm: the public keys that may sign commits of projects with signatureKeys. */
  readonly gpgKeysCm: Informer;
  private readonly keyring = new GpgKeyring();
  readonly refresh: Controller;
  readonly operations: Controller;
  /** Removes a deleted project's finalizer once no Application uses it (project-finalizer.ts). */
  readonly projectQueue: Controller;
  /** Registered destination clusters (cluster Secrets) and their connections. */
  readonly clusters: ClusterRegistry;
  private readonly destinations: DestinationPool;
  /** Tracking key → app key, for drift notifications from the cluster caches. */
  private readonly appByTrackingKey = new Map<string, string>();
  private readonly env: AppContext;
  /** Unregisters the scrape-time metric sources. */
  private readonly metricSources: Array<() => void> = [];
  /** Which apps this replica may work on when the controller is sharded (sharding.ts); undefined: all. */
  readonly sharding: AppSharding | undefined;
  private readonly client: ApplicationControllerOptions["client"];
  private readonly appNamespaces: readonly string[];
  private readonly controlNamespace: string;
  private readonly stopping = new AbortController();
  /** Publishes each owned cluster's info for the API server (cluster-info.ts). */
  private readonly clusterInfo: ClusterInfoPublisher | undefined;

  constructor(opts: ApplicationControllerOptions) {
    const log = opts.log;
    // Apps in other namespaces (application.namespaces): one cluster-wide watch, filtered here,
    // as Argo does. Globs and regexes name namespaces that may not exist yet, so a watch per
    // namespace would need a Namespace watch and restarts; one watch stays one connection.
    const appNamespaces = opts.applicationNamespaces ?? [];
    this.client = opts.client;
    this.appNamespaces = appNamespaces;
    this.controlNamespace = opts.namespace;
    this.apps = new Informer<ApplicationObject>(opts.client, {
      apiVersion: ARGO_API_VERSION, kind: "Application", log, metrics: opts.metrics,
      ...(appNamespaces.length > 0
        ? { filter: (app) => isNamespaceEnabled(app.metadata.namespace ?? "", opts.namespace, appNamespaces) }
        : { namespace: opts.namespace }),
    });
    this.projects = new Informer<AppProjectObject>(opts.client, { apiVersion: ARGO_API_VERSION, kind: "AppProject", namespace: opts.namespace, log, metrics: opts.metrics });
    this.argocdCm = new Informer(opts.client, { apiVersion: "v1", kind: "ConfigMap", namespace: opts.namespace, fieldSelector: "metadata.name=argocd-cm", log, metrics: opts.metrics });
    this.gpgKeysCm = new Informer(opts.client, { apiVersion: "v1", kind: "ConfigMap", namespace: opts.namespace, fieldSelector: "metadata.name=argocd-gpg-keys-cm", log, metrics: opts.metrics });
    this.apps.addIndex(PROJECT_INDEX, (app) => [app.spec?.project || "default"]);
    this.apps.addIndex(REPO_INDEX, (app) => [...new Set(appSources(app).filter((s) => s.repoURL).map((s) => repoIdentity(s.repoURL!)))]);
    this.clusters = new ClusterRegistry({
      client: opts.client, namespace: opts.namespace, log, metrics: opts.metrics,
      onChange: (server) => {
        // New credentials or limits: drop the old connection's cache and look at every app again.
        this.destinations.forget(server);
        // A new or changed Secret can move clusters between shards.
        this.sharding?.invalidate();
        for (const k of this.apps.keys()) this.refresh.enqueue(k);
      },
      // argocd-cm changes refresh every app (below), so the new setting is applied to each.
      inCluster: () => {
        const argo = settings.get().argo;
        return { enabled: argo.inClusterEnabled, ...(argo.inClusterError !== undefined ? { invalid: argo.inClusterError } : {}) };
      },
    });
    this.destinations = new DestinationPool({
      clusters: this.clusters, log, metrics: opts.metrics,
      onManagedChange: (trackingKey) => {
        const appKey = this.appByTrackingKey.get(trackingKey);
        if (appKey) this.refresh.enqueue(appKey);
      },
    });
    const settings = new SettingsCache(() => this.argocdCm.get(`${opts.namespace}/argocd-cm`), {
      installationID: opts.installationID, allowOutOfBoundsSymlinks: opts.allowOutOfBoundsSymlinks, plugins: opts.plugins,
      // A bad value is otherwise only visible in its effect: log it and put an Event on argocd-cm.
      onInvalid: (errors, cm) => {
        for (const error of errors) log.warn(`argocd-cm: ${error}`);
        void opts.events?.record(cm, "Warning", "InvalidSettings", `argocd-cm has invalid values: ${errors.join("; ")}`);
      },
    });
    const gnupgHome = (): Promise<string> => {
      const data = (this.gpgKeysCm.get(`${opts.namespace}/argocd-gpg-keys-cm`) as { data?: Record<string, string> } | undefined)?.data ?? {};
      return this.keyring.home(data);
    };
    this.sharding = opts.sharding
      ? new AppSharding(opts.sharding, {
          clusters: () => this.clusters.list(),
          resolve: (dest) => this.clusters.resolve(dest),
          log,
          synced: () => this.clusters.hasSynced,
          onMovedIn: (servers) => { for (const server of servers) this.enqueueServer(server); },
        })
      : undefined;
    const sharding = this.sharding;
    // Fair turns per ApplicationSet or project (queue-group.ts), read from the cache when a key is
    // queued or an app's write waits for the limiter.
    const groupOf = (key: string): string => appQueueGroup(this.apps.get(key));
    // With sharding, every Application write of the reconcilers is fenced by shard ownership.
    const limited = opts.writeLimiter ? limitedAppClient(opts.client, opts.writeLimiter, groupOf) : opts.client;
    const appClient = sharding
      ? fencedClient(limited, (key) => {
          const app = this.apps.get(key);
          return app !== undefined && sharding.ownsApp(app);
        })
      : limited;
    this.env = new AppContext({ gnupgHome, ...opts, client: appClient }, this.apps, this.projects, this.clusters, this.destinations, settings, opts.renderCache ?? new RenderCache(CONTROLLER_RENDER_CACHE.entries, CONTROLLER_RENDER_CACHE.manifests), (key) => this.refresh.expedite(key));
    const deletion = new DeletionReconciler(this.env);
    const refresh = new RefreshReconciler(this.env, deletion);
    const operation = new OperationReconciler(this.env, refresh);
    const argo = opts.metrics?.argo;
    this.refresh = new Controller({
      name: "application-refresh", queueName: APP_REFRESH_QUEUE, workers: opts.statusProcessors, log, metrics: opts.metrics, groupOf,
      reconciler: {
        reconcile: async (ctx) => {
          const started = performance.now();
          try {
            const app = sharding && this.apps.get(ctx.key);
            return await (app ? sharding.run(app, () => refresh.reconcile(ctx), {}) : refresh.reconcile(ctx));
          } finally {
            // argocd_app_reconcile: every refresh pass of an app still in the cache, as Argo times its comparisons.
            const app = argo && this.apps.get(ctx.key);
            if (app) argo.appReconcile.observe({ namespace: app.metadata.namespace ?? "", dest_server: app.spec.destination?.server ?? "" }, (performance.now() - started) / 1000);
          }
        },
      },
    });
    this.operations = new Controller({ name: "application-operation", queueName: APP_OPERATION_QUEUE, workers: opts.operationProcessors ?? 10, log, metrics: opts.metrics, groupOf, reconciler: {
      reconcile: (ctx) => {
        const app = sharding && this.apps.get(ctx.key);
        return app ? sharding.run(app, () => operation.reconcile(ctx), {}) : operation.reconcile(ctx);
      },
    } });

    const projectFinalizer = new ProjectFinalizer({
      project: (key) => this.projects.get(key),
      appsOf: (name) => this.apps.byIndex(PROJECT_INDEX, name),
      client: opts.client,
      controlNamespace: opts.namespace,
    });
    // Every replica, as each of Argo's shards runs its project queue: the write is conditional on
    // the project's version, so replicas racing on it do it once.
    this.projectQueue = new Controller({ name: "project", queueName: PROJECT_QUEUE, workers: 1, log, metrics: opts.metrics, reconciler: projectFinalizer });
    const projectKey = (name: string): string => `${opts.namespace}/${name}`;

    this.apps.addHandler({
      add: (app) => {
        this.track(app);
        this.refresh.enqueue(objectKey(app));
        const phase = (app.status as AppStatus | undefined)?.operationState?.phase;
        if (app.operation || phase === "Running" || phase === "Terminating") this.operations.enqueue(objectKey(app));
      },
      update: (oldApp, newApp) => {
        this.track(newApp);
        const key = objectKey(newApp);
        // Our own status writes come back as updates; only spec, metadata or operation changes
        // are worth a refresh.
        if (oldApp.metadata.generation !== newApp.metadata.generation
          || !deepEqual(oldApp.metadata.annotations, newApp.metadata.annotations)
          || !deepEqual(oldApp.metadata.labels, newApp.metadata.labels)
          || oldApp.metadata.deletionTimestamp !== newApp.metadata.deletionTimestamp
          // An operation just ended: what comes next (a retry condition, the next automated sync
          // when git moved meanwhile) is decided once the cache shows the end.
          || (endedAt(newApp) !== undefined && endedAt(newApp) !== endedAt(oldApp))) {
          this.refresh.enqueue(key);
        }
        if (!deepEqual(oldApp.operation, newApp.operation) && newApp.operation) this.operations.enqueue(key);
        // An automated sync starts as a Running operationState the refresh wrote (no `.operation`).
        else if (runningSince(newApp) !== undefined && runningSince(newApp) !== runningSince(oldApp)) this.operations.enqueue(key);
      },
      delete: (app) => {
        if (app.metadata.uid) {
          refresh.forget(app.metadata.uid);
          deletion.forget(app.metadata.uid);
        }
        this.appByTrackingKey.delete(this.env.trackingKeyOf(app));
        opts.metrics?.argo.forgetApp(objectKey(app));
        // Its project may be waiting for its last Application to go.
        this.projectQueue.enqueue(projectKey(app.spec?.project || "default"));
      },
    });
    const requeueProjectApps = (project: AppProjectObject): void => {
      const name = project.metadata.name ?? "";
      // A global project (argocd-cm globalProjects) lends its rules to the projects it selects, whose apps see the change too.
      const globals = this.env.settings.get().argo.globalProjects;
      if (globals.some((g) => g.projectName === name)) {
        for (const p of this.projects.list()) {
          if (globalProjectsFor(p, globals, (n) => (n === name ? project : undefined)).length > 0) {
            for (const app of this.apps.byIndex(PROJECT_INDEX, p.metadata.name ?? "")) this.refresh.enqueue(objectKey(app));
          }
        }
      }
      for (const app of this.apps.byIndex(PROJECT_INDEX, name)) this.refresh.enqueue(objectKey(app));
    };
    const projectChanged = (project: AppProjectObject): void => {
      requeueProjectApps(project);
      if (project.metadata.deletionTimestamp) this.projectQueue.enqueue(objectKey(project));
    };
    this.projects.addHandler({ add: projectChanged, update: (_o, n) => projectChanged(n), delete: requeueProjectApps });
    // Settings changes (health scripts, ignore rules, exclusions) can change every app's status.
    const refreshAll = (): void => { for (const k of this.apps.keys()) this.refresh.enqueue(k); };
    // cluster.inClusterEnabled adds or removes a cluster, which can move others between shards.
    const settingsChanged = (): void => { this.sharding?.invalidate(); refreshAll(); };
    this.argocdCm.addHandler({ add: settingsChanged, update: settingsChanged, delete: settingsChanged });
    // New or removed keys change which commits verify.
    this.gpgKeysCm.addHandler({ add: refreshAll, update: refreshAll, delete: refreshAll });
    if (argo) this.registerMetricSources(argo, opts.namespace, opts.metricsClusterLabels ?? []);
    this.clusterInfo = opts.clusterInfo
      ? new ClusterInfoPublisher(opts.clusterInfo, {
          client: opts.client, namespace: opts.namespace, log, metrics: opts.metrics,
          clusters: () => (this.clusters.hasSynced ? this.clusters.list() : undefined),
          apps: () => this.apps.list(),
          owns: (server) => !sharding || sharding.ownsServer(server),
          shardOf: (server) => sharding?.shardOfServer(server),
          // Shard 0 reports what belongs to no cluster (sharding.ts); it cleans up after gone clusters too.
          collectsGarbage: () => !sharding || (sharding.readyShards().includes(0) && sharding.opts.holds(0)),
          probeStates: (timeoutMs) => this.destinations.probeStates(timeoutMs),
        })
      : undefined;
  }

  /**
   * The scrape-time gauges: each scrape walks the informer caches (and the destinations' caches)
   * once per metric; nothing is kept per app between scrapes. Until the caches have synced the
   * metrics are left out rather than reported from a partial list.
   */
  private registerMetricSources(argo: ArgoMetrics, namespace: string, clusterLabelKeys: readonly string[]): void {
    const apps = (): ApplicationObject[] | undefined => (this.apps.hasSynced ? this.apps.list() : undefined);
    const settings = (): ReturnType<typeof parseAppMetricsSettings> =>
      parseAppMetricsSettings((this.argocdCm.get(`${namespace}/argocd-cm`) as { data?: Record<string, string> } | undefined)?.data);
    const withApps = <T>(f: (list: ApplicationObject[]) => Iterable<T>): (() => Iterable<T> | undefined) => () => {
      const list = apps();
      return list && f(list);
    };
    // A sharded replica reports only its own clusters, as each of Argo's controller shards does.
    const clusters = (): ReturnType<typeof clusterSeries> | undefined =>
      (this.clusters.hasSynced
        ? clusterSeries(this.clusters.list().filter((c) => !this.sharding || this.sharding.ownsServer(c.server)), this.destinations.states(), Date.now())
        : undefined);
    this.metricSources.push(
      argo.appInfo.addSource(withApps(appInfoSeries)),
      argo.appSyncStatus.addSource(withApps(appSyncStatusSeries)),
      argo.appHealthStatus.addSource(withApps(appHealthStatusSeries)),
      argo.appCondition.addSource(withApps((list) => appConditionSeries(list, settings().conditions))),
      argo.appLabels.addSource(withApps((list) => appLabelSeries(list, settings().labels))),
      argo.appOrphanedResources.addSource(withApps((list) => appOrphanSeries(list, (key) => argo.orphansOf(key)))),
      argo.clusterInfo.addSource(() => clusters()?.info),
      argo.clusterLabels.addSource(() => (this.clusters.hasSynced
        ? clusterLabelSeries(this.clusters.list().filter((c) => !this.sharding || this.sharding.ownsServer(c.server)), clusterLabelKeys)
        : undefined)),
      argo.clusterConnectionStatus.addSource(() => clusters()?.connection),
      argo.clusterApiResourceObjects.addSource(() => clusters()?.objects),
      argo.clusterApiResources.addSource(() => clusters()?.resources),
      argo.clusterCacheAge.addSource(() => clusters()?.cacheAge),
    );
  }

  get hasSynced(): boolean { return this.apps.hasSynced && this.projects.hasSynced && this.argocdCm.hasSynced && this.gpgKeysCm.hasSynced && this.clusters.hasSynced; }

  /**
   * The project whose repository credentials the app may use (the notifications' repo helpers
   * read git with them): its project when that exists and admits the app's namespace, else none.
   */
  projectNameOf(app: ApplicationObject): string | undefined {
    return this.env.projectOf(app)?.metadata.name;
  }

  /** argocd-cm's settings as this controller renders with them (the notifications' app details use them too). */
  settings(): ReturnType<SettingsCache["get"]> {
    return this.env.settings.get();
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.projects.start();
    this.argocdCm.start();
    this.gpgKeysCm.start();
    this.apps.start();
    await Promise.all([this.projects.waitForSync(signal), this.apps.waitForSync(signal), this.argocdCm.waitForSync(signal), this.gpgKeysCm.waitForSync(signal), this.clusters.start(signal)]);
    this.refresh.start();
    this.operations.start();
    this.projectQueue.start();
    this.clusterInfo?.start();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const unregister of this.metricSources.splice(0)) unregister();
    await Promise.all([this.refresh.stop(), this.operations.stop(), this.projectQueue.stop(), this.clusterInfo?.stop()]);
    await Promise.all([this.apps.stop(), this.projects.stop(), this.argocdCm.stop(), this.gpgKeysCm.stop(), this.clusters.stop(), this.destinations.stop()]);
    await this.keyring.close();
  }

  /** Refreshes every Application a git push concerns (webhook); returns their keys. */
  refreshForPush(event: PushEvent): string[] {
    const keys = new Set<string>();
    for (const id of new Set(event.repoURLs.map(repoIdentity))) {
      for (const app of this.apps.byIndex(REPO_INDEX, id)) {
        if (pushConcerns(appSources(app), app.metadata.annotations, event)) keys.add(objectKey(app));
      }
    }
    for (const key of keys) {
      const app = this.apps.get(key);
      if (app && this.sharding && !this.sharding.ownsApp(app)) {
        // Another replica owns it: Argo's refresh annotation tells that replica, as Argo's own webhook does.
        void this.client.patch({ apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace }, { metadata: { annotations: { [ANNOTATION_REFRESH]: "normal" } } })
          .catch((err: unknown) => this.env.opts.log.warn("cannot ask for a refresh on behalf of a webhook", { application: key, error: errorMessage(err) }));
      } else {
        // As for a refresh annotation (refresh.ts): the pushed commit must not hide behind a ref
        // listing cached just before the push.
        if (app) for (const source of appSources(app)) if (source.repoURL) this.env.reposOf(app)?.invalidate?.(source.repoURL);
        this.refresh.enqueue(key);
      }
    }
    return [...keys];
  }

  /**
   * This replica took a controller shard: once its cache has caught up with what the previous
   * owner wrote (sharding.ts), the shard's apps are refreshed and their operations resumed.
   */
  async shardAcquired(shard: number): Promise<void> {
    const sharding = this.sharding;
    if (!sharding) return;
    const list = async (): Promise<KubeObject[]> => {
      const scope = this.appNamespaces.length > 0 ? {} : { namespace: this.controlNamespace };
      const items = (await this.client.list(ARGO_API_VERSION, "Application", scope)).items;
      return this.appNamespaces.length > 0 ? items.filter((a) => isNamespaceEnabled(a.metadata.namespace ?? "", this.controlNamespace, this.appNamespaces)) : items;
    };
    await this.apps.waitForSync(this.stopping.signal);
    await this.clusters.secrets.waitForSync(this.stopping.signal);
    await sharding.catchUp(shard, list, (key) => this.apps.get(key), this.stopping.signal);
    if (this.stopping.signal.aborted) return;
    sharding.markReady(shard);
    let apps = 0;
    for (const app of this.apps.list()) {
      if (sharding.shardOfApp(app) !== shard) continue;
      apps++;
      const key = objectKey(app);
      this.refresh.enqueue(key);
      const phase = (app.status as AppStatus | undefined)?.operationState?.phase;
      if (app.operation || phase === "Running" || phase === "Terminating") this.operations.enqueue(key);
    }
    const clusters = [...sharding.shards()].filter(([, s]) => s === shard).map(([server]) => server);
    this.env.opts.log.info("controller shard ready", { shard, clusters, applications: apps });
  }

  /** Every app deploying to a cluster: refreshed, and its operation resumed when one is pending. */
  private enqueueServer(server: string): void {
    for (const app of this.apps.list()) {
      const r = this.clusters.resolve(app.spec.destination);
      if (!r.ok || r.cluster.server !== server) continue;
      const key = objectKey(app);
      this.refresh.enqueue(key);
      const phase = (app.status as AppStatus | undefined)?.operationState?.phase;
      if (app.operation || phase === "Running" || phase === "Terminating") this.operations.enqueue(key);
    }
  }

  /** Before handing a shard over: no new passes on its apps, those in flight finished, its caches dropped. */
  async drainShard(shard: number): Promise<void> {
    if (!this.sharding) return;
    await this.sharding.drain(shard);
    this.dropShardCaches(shard);
  }

  /** A shard lost without a hand-over: stop starting its passes and drop its caches. */
  shardLost(shard: number): void {
    if (!this.sharding) return;
    this.sharding.forgetShard(shard);
    this.dropShardCaches(shard);
  }

  /** The watch caches of clusters this replica does not work on go: it caches only its own clusters. */
  private dropShardCaches(shard: number): void {
    for (const [server, s] of this.sharding?.shards() ?? []) if (s === shard) this.destinations.forget(server);
  }

  private track(app: ApplicationObject): void {
    this.appByTrackingKey.set(this.env.trackingKeyOf(app), objectKey(app));
  }
}
