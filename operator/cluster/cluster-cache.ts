// The live state of one destination cluster, as far as Hawser needs it: an informer per resource
// kind that some Application manages, started on first use, with every object indexed by the
// Application that tracks it (Argo's tracking annotation or instance label). Looking up an app's
// live objects is an index read, never a scan, and a change to a tracked object notifies the
// owning app within the watch latency, which is how drift is noticed in seconds.
import { ANNOTATION_INSTALLATION_ID, ANNOTATION_TRACKING_ID, LABEL_APP_INSTANCE } from "../api/annotations.js";
import { Informer, stripManagedFields } from "../runtime/informer.js";
import type { Logger } from "../runtime/logger.js";
import type { OperatorMetrics } from "../runtime/metrics.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { splitApiVersion } from "../util/index.js";

/** Argo CD's resource tracking methods (argocd-cm `application.resourceTrackingMethod`). */
export type TrackingMethod = "annotation" | "label" | "annotation+label";

export interface ClusterCacheOptions {
  client: KubeClient;
  log: Logger;
  metrics?: OperatorMetrics;
  trackingMethod?: TrackingMethod;
  /** argocd-cm `application.instanceLabelKey`. */
  instanceLabelKey?: string;
  /** argocd-cm `installationID`: objects marked by another installation are not ours. */
  installationID?: string;
  /** Called with the tracking key (`app` or `appNamespace_app`) of an object that changed. */
  onManagedChange?: (trackingKey: string, obj: KubeObject, event: "add" | "update" | "delete") => void;
}

const APP_INDEX = "app";

/** The key identifying an Application in tracking data: `app`, or `namespace_app` outside the controller namespace. */
export function trackingKey(appName: string, appNamespace: string, controllerNamespace: string): string {
  return appNamespace === controllerNamespace ? appName : `${appNamespace}_${appName}`;
}

/** Argo's tracking annotation value: `<app>:<group>/<kind>:<namespace>/<name>`. */
export function trackingId(key: string, obj: { apiVersion: string; kind: string; metadata: { namespace?: string; name?: string } }): string {
  const { group } = splitApiVersion(obj.apiVersion);
  return `${key}:${group}/${obj.kind}:${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;
}

/**
 * The app an object belongs to, by the configured tracking method; undefined when untracked.
 * An annotation naming another object (a copied resource) does not count, as in Argo.
 */
export function trackedBy(obj: KubeObject, method: TrackingMethod, labelKey: string, installationID?: string): string | undefined {
  // Several instances on one cluster: only objects carrying our installation id (or none, when we
  // have none) can be ours, whatever their tracking data says.
  if ((obj.metadata.annotations?.[ANNOTATION_INSTALLATION_ID] ?? "") !== (installationID ?? "")) return undefined;
  if (method === "label") return obj.metadata.labels?.[labelKey] || undefined;
  const id = obj.metadata.annotations?.[ANNOTATION_TRACKING_ID];
  if (id) {
    const first = id.indexOf(":");
    if (first > 0) {
      const key = id.slice(0, first);
      // Self-reference check: the id must describe this very object.
      if (id === trackingId(key, obj)) return key;
    }
    return undefined;
  }
  if (method === "annotation+label") return obj.metadata.labels?.[labelKey] || undefined;
  return undefined;
}

/**
 * The app whose resource this object is: its tracking data's app, unless another object owns it.
 * A Job made by a CronJob carries the labels of the CronJob's template, so in label tracking it
 * would otherwise count as the app's own and be pruned as extraneous; gitops-engine likewise only
 * takes objects without ownerReferences as an app's managed resources (a target object that has
 * an owner is still compared, through its name).
 */
export function managingApp(obj: KubeObject, method: TrackingMethod, labelKey: string, installationID?: string): string | undefined {
  if ((obj.metadata.ownerReferences?.length ?? 0) > 0) return undefined;
  return trackedBy(obj, method, labelKey, installationID);
}

export class ClusterCache {
  private readonly informers = new Map<string, Informer>();
  private readonly method: TrackingMethod;
  private readonly labelKey: string;

  constructor(private readonly opts: ClusterCacheOptions) {
    this.method = opts.trackingMethod ?? "annotation";
    this.labelKey = opts.instanceLabelKey ?? LABEL_APP_INSTANCE;
  }

  get watchedKinds(): string[] { return [...this.informers.keys()].sort(); }

  /** Starts watching a kind (once) and resolves when its cache is synced. */
  async ensureKind(apiVersion: string, kind: string, signal?: AbortSignal): Promise<void> {
    const id = `${apiVersion}/${kind}`;
    let informer = this.informers.get(id);
    if (!informer) {
      // Fails fast with UnknownKindError for kinds the server does not serve.
      const info = await this.opts.client.resourceInfo(apiVersion, kind);
      if (!info.verbs.includes("watch") || !info.verbs.includes("list")) throw new Error(`${kind} in ${apiVersion} cannot be watched`);
      informer = this.informers.get(id);
      if (!informer) {
        informer = new Informer(this.opts.client, {
          apiVersion, kind, log: this.opts.log, metrics: this.opts.metrics,
          // The diff reads managedFields of managed objects (ignoreDifferences managedFieldsManagers);
          // everything else watched here is only looked up, so it drops them to save memory.
          transform: (o) => (trackedBy(o, this.method, this.labelKey, this.opts.installationID) ? o : stripManagedFields(o)),
        });
        informer.addIndex(APP_INDEX, (o) => {
          const key = managingApp(o, this.method, this.labelKey, this.opts.installationID);
          return key ? [key] : [];
        });
        informer.addHandler({
          add: (o) => this.notify(o, "add"),
          update: (old, o) => this.notify(o, "update", old),
          delete: (o) => this.notify(o, "delete"),
        });
        this.informers.set(id, informer);
        informer.start();
      }
    }
    await informer.waitForSync(signal);
  }

  /** Every cached object the app manages (managingApp), across the kinds watched so far. */
  managedBy(key: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const informer of this.informers.values()) out.push(...informer.byIndex(APP_INDEX, key));
    return out;
  }

  /** Every cached object in a namespace, across the kinds watched so far (orphan detection). */
  inNamespace(namespace: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const informer of this.informers.values()) {
      for (const o of informer.list()) if (o.metadata.namespace === namespace) out.push(o);
    }
    return out;
  }

  /** One cached object, if its kind is watched. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.informers.get(`${apiVersion}/${kind}`)?.get(namespace ? `${namespace}/${name}` : name);
  }

  isWatched(apiVersion: string, kind: string): boolean {
    return this.informers.has(`${apiVersion}/${kind}`);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    this.informers.clear();
  }

  private notify(obj: KubeObject, event: "add" | "update" | "delete", old?: KubeObject): void {
    if (!this.opts.onManagedChange) return;
    const key = trackedBy(obj, this.method, this.labelKey, this.opts.installationID);
    const oldKey = old ? trackedBy(old, this.method, this.labelKey, this.opts.installationID) : undefined;
    // Only status-free changes matter for drift, but health does read status: notify on any change.
    if (key) this.opts.onManagedChange(key, obj, event);
    if (oldKey && oldKey !== key) this.opts.onManagedChange(oldKey, obj, "delete");
  }
}
