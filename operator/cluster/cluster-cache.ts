// The live state of one destination cluster, as far as Hawser needs it: an informer per resource
// kind that some Application manages, started on first use, with every object indexed by the
// Application that tracks it (Argo's tracking annotation or instance label). Looking up an app's
// live objects is an index read, never a scan, and a change to a tracked object notifies the
// owning app within the watch latency, which is how drift is noticed in seconds.
import { LABEL_APP_INSTANCE } from "../api/annotations.js";
import { managingApp, trackedBy, type TrackingMethod } from "../engine/tracking.js";
import { Informer, objectKey, stripManagedFields } from "../runtime/informer.js";
import { RecentWrites } from "./recent-writes.js";
import { SharedFields, shareFields } from "./trim.js";
import type { Logger } from "../runtime/logger.js";
import type { OperatorMetrics } from "../runtime/metrics.js";
import type { KubeClient, KubeObject } from "../kube/client.js";

export interface ClusterCacheOptions {
  client: KubeClient;
  log: Logger;
  metrics?: OperatorMetrics;
  /** The cluster's server URL, the `server` label of its argocd_cluster_* metrics. */
  server?: string;
  trackingMethod?: TrackingMethod;
  /** argocd-cm `application.instanceLabelKey`. */
  instanceLabelKey?: string;
  /** argocd-cm `installationID`: objects marked by another installation are not ours. */
  installationID?: string;
  /** Called with the tracking key (`app` or `appNamespace_app`) of an object that changed. */
  onManagedChange?: (trackingKey: string, obj: KubeObject, event: "add" | "update" | "delete") => void;
}

const APP_INDEX = "app";

/** A written object's id: its kind's informer and its key there. */
function writtenId(kindId: string, obj: KubeObject): string {
  return `${kindId} ${objectKey(obj)}`;
}

/** What argocd_cluster_* report of one cache, read at scrape time. */
export interface ClusterCacheStats {
  /** Kinds watched. */
  apiResources: number;
  /** Objects cached across them. */
  objects: number;
  /** When the least recently listed kind was listed (ms since the epoch); undefined before any. */
  oldestListAt: number | undefined;
  /** Every watch synced and none failing now. */
  healthy: boolean;
  /** Why a failing watch fails (the first one's error), if one is failing. */
  error?: string;
}

export class ClusterCache {
  private readonly informers = new Map<string, Informer>();
  private readonly shared = new SharedFields();
  private readonly method: TrackingMethod;
  private readonly labelKey: string;
  /** Objects this operator wrote that the watch has not shown yet (recent-writes.ts). */
  private readonly written = new RecentWrites();

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
          // The diff reads managedFields of managed objects (ignoreDifferences managedFieldsManagers),
          // kept with identical field sets shared (trim.ts); everything else watched here is only
          // looked up, so it drops them.
          transform: (o) => this.trim(o),
        });
        informer.addIndex(APP_INDEX, (o) => {
          const key = managingApp(o, this.method, this.labelKey, this.opts.installationID);
          return key ? [key] : [];
        });
        const events = this.opts.metrics?.argo.clusterEvents;
        if (events) {
          const labels = { server: this.opts.server ?? "", group: apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "", kind };
          const count = (): void => events.inc(labels);
          informer.addHandler({ add: count, update: count, delete: count });
        }
        // The watch has caught up with a written copy once it shows that version (or a newer one, or the deletion).
        informer.addHandler({
          add: (o) => this.written.seen(writtenId(id, o), o),
          update: (_old, o) => this.written.seen(writtenId(id, o), o),
          delete: (o) => this.written.seen(writtenId(id, o), undefined),
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

  /**
   * Read-your-writes: an object as the operator's own write returned it, which lookups give until
   * the watch shows that version or a newer one (recent-writes.ts). Only watched kinds are kept;
   * dry runs must never be recorded.
   */
  observeWrite(obj: KubeObject): void {
    const kindId = `${obj.apiVersion}/${obj.kind}`;
    const informer = this.informers.get(kindId);
    if (!informer || !obj.metadata.name) return;
    const trimmed = this.trim(obj);
    const app = managingApp(trimmed, this.method, this.labelKey, this.opts.installationID);
    this.written.record(writtenId(kindId, trimmed), trimmed, app, informer.get(objectKey(trimmed)));
  }

  /**
   * The operator deleted this object (a sync's prune): what an app manages leaves it out until the
   * watch shows it gone (recent-writes.ts); a lookup by identity (`get`) still sees it.
   */
  observeDelete(ref: { apiVersion: string; kind: string; namespace?: string; name: string }): void {
    const kindId = `${ref.apiVersion}/${ref.kind}`;
    const informer = this.informers.get(kindId);
    if (!informer) return;
    const key = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
    const id = `${kindId} ${key}`;
    this.written.recordDelete(id, this.written.fresher(id, informer.get(key)));
  }

  /** Every cached object the app manages (managingApp), across the kinds watched so far. */
  managedBy(key: string): KubeObject[] {
    const out: KubeObject[] = [];
    const seen = new Set<string>();
    for (const [kindId, informer] of this.informers) {
      for (const cached of informer.byIndex(APP_INDEX, key)) {
        const id = writtenId(kindId, cached);
        seen.add(id);
        const o = this.written.present(id, cached);
        if (o && (o === cached || managingApp(o, this.method, this.labelKey, this.opts.installationID) === key)) out.push(o);
      }
    }
    // Written objects the watch has not shown under this app yet (just created, or newly tracked).
    for (const [id, o] of this.written.ofApp(key)) {
      if (!seen.has(id) && this.written.fresher(id, this.cachedById(id)) === o) out.push(o);
    }
    return out;
  }

  /** Every cached object in a namespace, across the kinds watched so far (orphan detection). */
  inNamespace(namespace: string): KubeObject[] {
    const out: KubeObject[] = [];
    const seen = new Set<string>();
    for (const [kindId, informer] of this.informers) {
      for (const o of informer.list()) {
        if (o.metadata.namespace !== namespace) continue;
        const id = writtenId(kindId, o);
        seen.add(id);
        const present = this.written.present(id, o);
        if (present) out.push(present);
      }
    }
    for (const [id, o] of this.written.inNamespace(namespace)) if (!seen.has(id)) out.push(o);
    return out;
  }

  /** One cached object (or the operator's newer write of it), if its kind is watched; one the operator deleted is there until the watch shows it gone. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const kindId = `${apiVersion}/${kind}`;
    const informer = this.informers.get(kindId);
    if (!informer) return undefined;
    const key = namespace ? `${namespace}/${name}` : name;
    return this.written.fresher(`${kindId} ${key}`, informer.get(key));
  }

  stats(): ClusterCacheStats {
    let objects = 0;
    let oldestListAt: number | undefined;
    let healthy = true;
    let error: string | undefined;
    for (const [id, informer] of this.informers) {
      objects += informer.size;
      const at = informer.listedAt;
      if (at !== undefined && (oldestListAt === undefined || at < oldestListAt)) oldestListAt = at;
      if (!informer.healthy) healthy = false;
      const failure = informer.lastError;
      if (failure !== undefined && error === undefined) error = `watch of ${id} failed: ${failure}`;
    }
    return { apiResources: this.informers.size, objects, oldestListAt, healthy, ...(error !== undefined ? { error } : {}) };
  }

  isWatched(apiVersion: string, kind: string): boolean {
    return this.informers.has(`${apiVersion}/${kind}`);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    this.informers.clear();
  }

  /** Managed objects keep managedFields (the diff reads them), shared between identical sets (trim.ts); the rest drop them. */
  private trim(o: KubeObject): KubeObject {
    return trackedBy(o, this.method, this.labelKey, this.opts.installationID) ? shareFields(o, this.shared) : shareFields(stripManagedFields(o), this.shared);
  }

  /** The watch's copy of a written object's id. */
  private cachedById(id: string): KubeObject | undefined {
    const space = id.indexOf(" ");
    return this.informers.get(id.slice(0, space))?.get(id.slice(space + 1));
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
