// Wiring of the ApplicationSet reconciler into the operator: an informer on ApplicationSets queues
// a set on any change of its spec or annotations; Applications owned by a set requeue it when they
// change or disappear (so a hand-deleted Application comes back); cluster Secrets requeue only the
// sets whose clusters generators' selectors match the Secret (before or after the change); a git webhook push
// requeues the sets whose git generators track the pushed branch (refreshForPush); an AppProject
// created requeues the sets held back because it was missing (an index project → set keys, kept
// by the reconciler's report after each pass), so they need not wait for the 3-minute requeue.
import type { GeneratorRegistry } from "../../../generators/index.js";
import { LABEL_SECRET_TYPE, ARGO_API_VERSION } from "../../api/annotations.js";
import type { RepoReader } from "../../git/types.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { Controller } from "../../runtime/controller.js";
import type { EventRecorder } from "../../runtime/events.js";
import { Informer, objectKey } from "../../runtime/informer.js";
import type { Logger } from "../../runtime/logger.js";
import type { OperatorMetrics } from "../../runtime/metrics.js";
import { appSetConcernsPush } from "../../webhook/match.js";
import type { PushEvent } from "../../webhook/parse.js";
import { appSetResources } from "../../appset/resources.js";
import { gitCredentialsProjects } from "../../appset/generate.js";
import { selectorMatches, type LabelSelectorSpec } from "../../../generators/params.js";
import { appSetInfoSeries, appSetLabelSeries, appSetOwnedSeries } from "./metrics.js";
import { ApplicationSetReconciler, FIELD_MANAGER } from "./reconciler.js";
import { deepEqual } from "../../util/index.js";
import { parseInClusterEnabled } from "../../engine/settings.js";
import { isNamespaceEnabled } from "../../engine/namespaces.js";

export interface ApplicationSetControllerOptions {
  client: KubeClient;
  namespace: string;
  workers: number;
  generators: GeneratorRegistry;
  repos?: RepoReader;
  /** A project's git access (its scoped repository Secrets, then unscoped): see gitCredentialsProject. */
  reposForProject?: (project: string) => RepoReader;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Other namespaces whose ApplicationSets are reconciled (applicationsetcontroller.namespaces). */
  applicationSetNamespaces?: readonly string[];
  /** ApplicationSet labels exported in argocd_appset_labels (--metrics-applicationset-labels; none: off). */
  metricsLabels?: readonly string[];
  /** Warning Events on a set whose generation, validation or writes start failing. */
  events?: Pick<EventRecorder, "record">;
  /**
   * The control namespace's AppProjects, from an informer another controller runs (the Application
   * controller's); without it this controller watches them itself.
   */
  projects?: Informer<KubeObject>;
}

/** Which sets wait for which missing project, both ways, so an event costs a lookup, not a scan. */
export class MissingProjectIndex {
  private readonly setsByProject = new Map<string, Set<string>>();
  private readonly projectsBySet = new Map<string, string[]>();

  /** Replaces what `key` waits for (an empty list: nothing). */
  set(key: string, projects: readonly string[]): void {
    for (const p of this.projectsBySet.get(key) ?? []) {
      const sets = this.setsByProject.get(p);
      sets?.delete(key);
      if (sets?.size === 0) this.setsByProject.delete(p);
    }
    if (projects.length === 0) {
      this.projectsBySet.delete(key);
      return;
    }
    this.projectsBySet.set(key, [...projects]);
    for (const p of projects) {
      let sets = this.setsByProject.get(p);
      if (!sets) this.setsByProject.set(p, (sets = new Set()));
      sets.add(key);
    }
  }

  /** The sets waiting for `project`. */
  waiting(project: string): string[] {
    return [...(this.setsByProject.get(project) ?? [])];
  }
}

/** Whether a generators list (at any nesting) uses the clusters generator. */
export function usesClusterGenerator(generators: unknown): boolean {
  if (!Array.isArray(generators)) return false;
  return generators.some((g) => {
    if (g === null || typeof g !== "object") return false;
    const entry = g as Record<string, unknown>;
    if (entry.clusters !== undefined) return true;
    for (const nested of ["matrix", "merge"]) {
      const n = entry[nested] as { generators?: unknown } | undefined;
      if (n && usesClusterGenerator(n.generators)) return true;
    }
    return false;
  });
}

const RESOURCES_DELAY_MS = 5000;

/** What status.resources shows of an Application. */
function resourceState(app: KubeObject): unknown[] {
  const st = (app as { status?: { sync?: { status?: unknown }; health?: { status?: unknown; message?: unknown } } }).status;
  return [st?.sync?.status, st?.health?.status, st?.health?.message];
}

/** What a RollingSync rollout reads of an Application. */
export function rolloutState(app: KubeObject): unknown[] {
  const a = app as KubeObject & { operation?: unknown; status?: { sync?: { status?: unknown }; health?: { status?: unknown }; operationState?: { phase?: unknown; startedAt?: unknown } } };
  return [a.status?.sync?.status, a.status?.health?.status, a.status?.operationState?.phase, a.status?.operationState?.startedAt, a.operation !== undefined];
}

/**
 * Whether a change to cluster Secrets with these label sets (old and new) can change what the
 * generators produce: some clusters generator (at any nesting) has an empty selector, a selector
 * matching one of them, or a templated or invalid selector (then we cannot tell, so yes).
 */
export function clusterChangeConcerns(generators: unknown, labelSets: Record<string, string>[]): boolean {
  if (!Array.isArray(generators)) return false;
  return generators.some((g) => {
    if (g === null || typeof g !== "object") return false;
    const entry = g as Record<string, unknown>;
    const clusters = entry.clusters as { selector?: LabelSelectorSpec } | undefined | null;
    if (clusters !== undefined && clusters !== null) {
      const selector = clusters.selector;
      if (!selector || JSON.stringify(selector).includes("{{")) return true;
      try {
        if (labelSets.some((labels) => selectorMatches(selector, labels))) return true;
      } catch {
        return true;
      }
    }
    for (const nested of ["matrix", "merge"]) {
      const n = entry[nested] as { generators?: unknown } | undefined;
      if (n && clusterChangeConcerns(n.generators, labelSets)) return true;
    }
    return false;
  });
}

export class ApplicationSetController {
  readonly appsets: Informer;
  readonly apps: Informer;
  readonly clusterSecrets: Informer;
  /** argocd-cm, for `cluster.inClusterEnabled` (the cluster generator's implicit in-cluster entry). */
  readonly argocdCm: Informer;
  /** AppProjects (shared with the Application controller when given): creating one requeues the sets waiting for it. */
  readonly projects: Informer<KubeObject>;
  private readonly ownsProjects: boolean;
  readonly missingProjects = new MissingProjectIndex();
  readonly controller: Controller;
  /** Keeps status.resources current from the informer cache, without re-running the generators. */
  readonly resourcesController: Controller;
  private readonly repos: RepoReader | undefined;
  private readonly reposForProject: ((project: string) => RepoReader) | undefined;
  private readonly generators: GeneratorRegistry;
  private readonly metricSources: Array<() => void> = [];

  constructor(opts: ApplicationSetControllerOptions) {
    const { client, log, metrics } = opts;
    this.repos = opts.repos;
    this.reposForProject = opts.reposForProject;
    this.generators = opts.generators;
    // Sets in other namespaces, and the Applications they own (always in the set's namespace):
    // cluster-wide watches filtered here, for the reason the Application controller gives.
    const setNamespaces = opts.applicationSetNamespaces ?? [];
    const scope = setNamespaces.length > 0
      ? { filter: (o: KubeObject) => isNamespaceEnabled(o.metadata.namespace ?? "", opts.namespace, setNamespaces) }
      : { namespace: opts.namespace };
    this.appsets = new Informer(client, { apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", ...scope, log, metrics });
    this.apps = new Informer(client, { apiVersion: ARGO_API_VERSION, kind: "Application", ...scope, log, metrics });
    this.clusterSecrets = new Informer(client, { apiVersion: "v1", kind: "Secret", namespace: opts.namespace, labelSelector: `${LABEL_SECRET_TYPE}=cluster`, log, metrics });
    this.argocdCm = new Informer(client, { apiVersion: "v1", kind: "ConfigMap", namespace: opts.namespace, fieldSelector: "metadata.name=argocd-cm", log, metrics });
    const argocdCmKey = `${opts.namespace}/argocd-cm`;
    this.ownsProjects = opts.projects === undefined;
    this.projects = opts.projects ?? new Informer(client, { apiVersion: ARGO_API_VERSION, kind: "AppProject", namespace: opts.namespace, log, metrics });
    const reconciler = new ApplicationSetReconciler({
      client, registry: opts.generators, controlNamespace: opts.namespace, ...(opts.repos ? { repos: opts.repos } : {}),
      ...(opts.reposForProject ? { reposForProject: opts.reposForProject } : {}),
      ...(opts.events ? { events: opts.events } : {}),
      onMissingProjects: (key, projects) => {
        this.missingProjects.set(key, projects);
        // Created while the pass ran, before the index knew the set waits for it: the event has
        // passed (the cache is updated before handlers run), so look again shortly.
        if (projects.some((p) => this.projects.get(`${opts.namespace}/${p}`) !== undefined)) this.controller.enqueueAfter(key, 1000);
      },
      listApplications: (ns) => this.apps.list().filter((a) => a.metadata.namespace === ns),
      inClusterEnabled: () => parseInClusterEnabled((this.argocdCm.get(argocdCmKey) as { data?: Record<string, string> } | undefined)?.data?.["cluster.inClusterEnabled"]).enabled,
    });
    const argo = metrics?.argo;
    this.controller = new Controller({
      name: "applicationset",
      workers: opts.workers,
      log,
      metrics,
      reconciler: {
        reconcile: async (ctx) => {
          const started = performance.now();
          try {
            return await reconciler.reconcile(ctx);
          } finally {
            // argocd_appset_reconcile: every pass over a set, whatever its outcome, as Argo times it.
            const [namespace, name] = ctx.key.includes("/") ? ctx.key.split("/", 2) as [string, string] : ["", ctx.key];
            argo?.appsetReconcile.observe({ namespace, name }, (performance.now() - started) / 1000);
          }
        },
      },
    });
    if (argo) {
      // Scrape-time gauges over the caches, left out until they have synced.
      this.metricSources.push(
        argo.appsetInfo.addSource(() => (this.appsets.hasSynced ? appSetInfoSeries(this.appsets.list()) : undefined)),
        argo.appsetLabels.addSource(() => (this.appsets.hasSynced ? appSetLabelSeries(this.appsets.list(), opts.metricsLabels ?? []) : undefined)),
        argo.appsetOwnedApplications.addSource(() => (this.appsets.hasSynced && this.apps.hasSynced ? appSetOwnedSeries(this.appsets.list(), this.apps.list()) : undefined)),
      );
    }
    this.resourcesController = new Controller({
      name: "applicationset-resources",
      workers: 1,
      log,
      metrics,
      reconciler: { reconcile: (ctx) => this.writeResources(client, ctx.key) },
    });
    this.appsets.addHandler({
      add: (s) => { this.controller.enqueue(objectKey(s)); this.resourcesController.enqueueAfter(objectKey(s), RESOURCES_DELAY_MS); },
      update: (o, n) => {
        if (o.metadata.generation !== n.metadata.generation || !deepEqual(o.metadata.annotations, n.metadata.annotations)) this.controller.enqueue(objectKey(n));
      },
      delete: (s) => this.missingProjects.set(objectKey(s), []),
    });
    // A project created: the sets held back for it (by name; projects live in the control namespace).
    this.projects.addHandler({
      add: (p) => {
        if (p.metadata.namespace !== opts.namespace) return;
        for (const key of this.missingProjects.waiting(p.metadata.name ?? "")) this.controller.enqueue(key);
      },
    });
    const ownerKey = (app: KubeObject): string | undefined => {
      const owner = app.metadata.ownerReferences?.find((r) => r.kind === "ApplicationSet" && r.controller);
      return owner && app.metadata.namespace ? `${app.metadata.namespace}/${owner.name}` : undefined;
    };
    const requeueOwner = (app: KubeObject): void => {
      const key = ownerKey(app);
      if (key) this.controller.enqueue(key);
    };
    // status.resources follows its Applications' sync and health; bursts coalesce over 5 s.
    const refreshResources = (app: KubeObject): void => {
      const key = ownerKey(app);
      if (key) this.resourcesController.enqueueAfter(key, RESOURCES_DELAY_MS);
    };
    // A rolling set moves on when its Applications' sync, health or operation change.
    const ownerIsRolling = (app: KubeObject): boolean => {
      const owner = app.metadata.ownerReferences?.find((r) => r.kind === "ApplicationSet" && r.controller);
      const set = owner ? this.appsets.get(`${app.metadata.namespace ?? ""}/${owner.name}`) : undefined;
      return (set?.spec as { strategy?: { type?: unknown } } | undefined)?.strategy?.type === "RollingSync";
    };
    this.apps.addHandler({
      add: refreshResources,
      update: (o, n) => { if (!deepEqual(resourceState(o), resourceState(n))) refreshResources(n); },
      delete: refreshResources,
    });
    this.apps.addHandler({
      update: (o, n) => {
        if (!deepEqual((o as { spec?: unknown }).spec, (n as { spec?: unknown }).spec) || !deepEqual(o.metadata.labels, n.metadata.labels)) requeueOwner(n);
        else if (!deepEqual(rolloutState(o), rolloutState(n)) && ownerIsRolling(n)) requeueOwner(n);
      },
      delete: requeueOwner,
    });
    // Only the sets whose cluster selectors match the Secret's labels before or after the change.
    const requeueClusterSets = (...secrets: KubeObject[]): void => {
      const labelSets = secrets.map((x) => x.metadata.labels ?? {});
      for (const s of this.appsets.list()) {
        if (clusterChangeConcerns((s.spec as { generators?: unknown } | undefined)?.generators, labelSets)) this.controller.enqueue(objectKey(s));
      }
    };
    this.clusterSecrets.addHandler({ add: (x) => requeueClusterSets(x), update: (o, n) => requeueClusterSets(o, n), delete: (x) => requeueClusterSets(x) });
    // cluster.inClusterEnabled changes what cluster generators produce; argocd-cm changes are rare.
    const inClusterOf = (cm: KubeObject | undefined): string | undefined => (cm as { data?: Record<string, string> } | undefined)?.data?.["cluster.inClusterEnabled"];
    const requeueAll = (): void => { for (const s of this.appsets.list()) this.controller.enqueue(objectKey(s)); };
    this.argocdCm.addHandler({
      add: requeueAll,
      update: (o, n) => { if (inClusterOf(o) !== inClusterOf(n)) requeueAll(); },
      delete: requeueAll,
    });
  }

  /**
   * A git webhook push: re-evaluates at once the sets whose git generators (at any nesting) track
   * the pushed repository and branch, and sets with plugin generators, after dropping the cached ref
   * listing so the new commit is seen. Returns the keys queued.
   */
  refreshForPush(event: PushEvent): string[] {
    const invalidate = (repos: RepoReader | undefined): void => {
      if (repos && "invalidate" in repos && typeof repos.invalidate === "function") {
        for (const url of event.repoURLs) (repos as { invalidate(url: string): void }).invalidate(url);
      }
    };
    invalidate(this.repos);
    const keys: string[] = [];
    for (const s of this.appsets.list()) {
      if (appSetConcernsPush((s.spec as { generators?: unknown } | undefined)?.generators, event)) {
        keys.push(objectKey(s));
        // A set reading git with its projects' Secrets reads those projects' clones: their listing too.
        if (this.reposForProject) for (const project of gitCredentialsProjects((s.spec ?? {}) as Record<string, unknown>, this.generators)) invalidate(this.reposForProject(project));
      }
    }
    for (const key of keys) this.controller.enqueue(key);
    return keys;
  }

  get hasSynced(): boolean { return this.appsets.hasSynced && this.apps.hasSynced && this.clusterSecrets.hasSynced && this.argocdCm.hasSynced && this.projects.hasSynced; }

  /** The informers this controller runs (not a shared projects informer: its owner runs it). */
  private owned(): Informer<KubeObject>[] {
    return [this.appsets, this.apps, this.clusterSecrets, this.argocdCm, ...(this.ownsProjects ? [this.projects] : [])];
  }

  async start(signal?: AbortSignal): Promise<void> {
    const informers = this.owned();
    for (const i of informers) i.start();
    await Promise.all([...informers.map((i) => i.waitForSync(signal)), this.projects.waitForSync(signal)]);
    this.controller.start();
    this.resourcesController.start();
  }

  private async writeResources(client: KubeClient, key: string): Promise<void> {
    const set = this.appsets.get(key);
    if (!set || set.metadata.deletionTimestamp) return;
    const status = (set as { status?: { resources?: unknown; resourcesCount?: unknown } }).status;
    const uid = set.metadata.uid;
    const owned = this.apps.list().filter((a) => a.metadata.namespace === set.metadata.namespace && a.metadata.ownerReferences?.some((o) => o.uid === uid && o.controller));
    const next = appSetResources(owned);
    if (deepEqual(next.resources, status?.resources ?? []) && next.resourcesCount === (status?.resourcesCount ?? 0)) return;
    await client.patch({ apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", name: set.metadata.name ?? "", namespace: set.metadata.namespace }, { status: next }, { type: "merge", subresource: "status", fieldManager: FIELD_MANAGER });
  }

  async stop(): Promise<void> {
    for (const unregister of this.metricSources.splice(0)) unregister();
    await this.controller.stop();
    await this.resourcesController.stop();
    await Promise.all(this.owned().map((i) => i.stop()));
  }
}
