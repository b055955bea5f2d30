// What `hawser server` knows of Kubernetes: informer caches of the Applications (in the enabled
// namespaces), ApplicationSets, AppProjects, and the ConfigMaps and Secrets of the control
// namespace. The server keeps no state of its own, so any number of replicas serve the same
// answers; every read of a request comes from here and every write goes to the apiserver.
import { ARGO_API_VERSION } from "../api/annotations.js";
import type { AppProject } from "../api/index.js";
import type { Application } from "../api/index.js";

/** An Application as the server caches it. */
export type ApplicationObject = Application & KubeObject;
import { isNamespaceEnabled } from "../engine/namespaces.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { Informer, objectKey, type EventHandler } from "../runtime/informer.js";
import type { Logger } from "../runtime/logger.js";
import type { ServerState } from "./types.js";
import { WriteTracker } from "./write-tracker.js";
import { clusterInfoName, parseClusterInfoData, type ClusterInfoRecord, type LeaseLiveness } from "../engine/cluster-info.js";
import { LeaseObserver, type Lease } from "../runtime/lease.js";

/** A Lease without leaseDurationSeconds counts with the controller's default duration (15 s). */
const DEFAULT_LEASE_DURATION_MS = 15_000;

type AppProjectObject = AppProject & KubeObject;
type DataObject = KubeObject & { data?: Record<string, string> };

/** How long a request waits for this replica's cache to show its own write. */
export const OWN_WRITE_WAIT_MS = 5_000;

/** The identity of a written or deleted object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** What read-your-writes needs of an informer, whatever object type it caches. */
interface TrackedInformer {
  addHandler(handler: EventHandler<KubeObject>): void;
  get(key: string): KubeObject | undefined;
}

export interface ServerCacheOptions {
  client: KubeClient;
  namespace: string;
  /** Namespaces besides the control namespace whose Applications are served (globs, /regex/). */
  applicationNamespaces: string[];
  applicationSetNamespaces: string[];
  log: Logger;
}

export class ServerCache implements ServerState {
  readonly apps: Informer<ApplicationObject>;
  readonly appSets: Informer;
  readonly projectsInformer: Informer<AppProjectObject>;
  private readonly configMaps: Informer<DataObject>;
  private readonly secrets: Informer<DataObject>;
  /**
   * The control namespace's Leases: whether the controller replica that published a cluster's
   * info still holds the Lease it published under (stale info shows as such).
   */
  private readonly leases: Informer<Lease & KubeObject>;
  private readonly leaseObservers = new Map<string, LeaseObserver>();
  private readonly appSubscribers = new Set<EventHandler<ApplicationObject>>();
  private readonly decoded = new Map<string, { rv: string; data: Record<string, string> }>();
  /** Read-your-writes: one tracker per informer, keyed by "<apiVersion>/<kind>". */
  private readonly trackers = new Map<string, { informer: TrackedInformer; tracker: WriteTracker; covers: (namespace: string) => boolean }>();

  constructor(private readonly opts: ServerCacheOptions) {
    const { client, namespace, log } = opts;
    this.apps = new Informer<ApplicationObject>(client, {
      apiVersion: ARGO_API_VERSION, kind: "Application", log,
      ...(opts.applicationNamespaces.length > 0
        ? { filter: (o) => isNamespaceEnabled(o.metadata.namespace ?? "", namespace, opts.applicationNamespaces) }
        : { namespace }),
    });
    this.appSets = new Informer(client, {
      apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", log,
      ...(opts.applicationSetNamespaces.length > 0
        ? { filter: (o) => isNamespaceEnabled(o.metadata.namespace ?? "", namespace, opts.applicationSetNamespaces) }
        : { namespace }),
    });
    this.apps.addHandler({
      add: (o) => { for (const h of this.appSubscribers) h.add?.(o); },
      update: (a, b) => { for (const h of this.appSubscribers) h.update?.(a, b); },
      delete: (o) => { for (const h of this.appSubscribers) h.delete?.(o); },
    });
    this.projectsInformer = new Informer<AppProjectObject>(client, { apiVersion: ARGO_API_VERSION, kind: "AppProject", namespace, log });
    this.configMaps = new Informer<DataObject>(client, { apiVersion: "v1", kind: "ConfigMap", namespace, log });
    this.secrets = new Informer<DataObject>(client, { apiVersion: "v1", kind: "Secret", namespace, log });
    this.leases = new Informer<Lease & KubeObject>(client, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace, log });
    // Every renewal is observed as it arrives: the expiry rule counts from when a renewal was first seen.
    const seeLease = (l: Lease & KubeObject): void => { this.observeLease(l); };
    this.leases.addHandler({ add: seeLease, update: (_o, l) => seeLease(l), delete: (l) => { this.leaseObservers.delete(l.metadata.name ?? ""); } });
    // Which namespaces each informer holds: a write elsewhere never shows up, so nothing waits for it.
    const control = (ns: string): boolean => ns === namespace;
    const enabled = (globs: string[]) => (ns: string): boolean => (globs.length > 0 ? isNamespaceEnabled(ns, namespace, globs) : control(ns));
    const tracked: Array<[TrackedInformer, string, string, (ns: string) => boolean]> = [
      [this.apps, ARGO_API_VERSION, "Application", enabled(opts.applicationNamespaces)],
      [this.appSets, ARGO_API_VERSION, "ApplicationSet", enabled(opts.applicationSetNamespaces)],
      [this.projectsInformer, ARGO_API_VERSION, "AppProject", control],
      [this.configMaps, "v1", "ConfigMap", control],
      [this.secrets, "v1", "Secret", control],
    ];
    for (const [informer, apiVersion, kind, covers] of tracked) {
      const tracker = new WriteTracker();
      informer.addHandler({
        add: (o) => tracker.observe(objectKey(o), o.metadata.resourceVersion),
        update: (_old, o) => tracker.observe(objectKey(o), o.metadata.resourceVersion),
        delete: (o) => tracker.deleted(objectKey(o)),
        listed: (startedAt) => tracker.listed(startedAt),
      });
      this.trackers.set(`${apiVersion}/${kind}`, { informer, tracker, covers });
    }
  }

  get namespace(): string { return this.opts.namespace; }
  get applicationNamespaces(): string[] { return this.opts.applicationNamespaces; }

  async start(signal?: AbortSignal): Promise<void> {
    const all = [this.apps, this.appSets, this.projectsInformer, this.configMaps, this.secrets, this.leases] as Informer<KubeObject>[];
    for (const i of all) i.start();
    await Promise.all(all.map((i) => i.waitForSync(signal)));
  }

  async stop(): Promise<void> {
    for (const { tracker } of this.trackers.values()) tracker.cancelAll();
    await Promise.all([this.apps, this.appSets, this.projectsInformer, this.configMaps, this.secrets, this.leases].map((i) => (i as Informer<KubeObject>).stop()));
  }

  /**
   * Watch-stream subscribers: one informer handler fans events out to every open stream, and a
   * closed stream unsubscribes (the returned function).
   */
  subscribeApps(handler: EventHandler<ApplicationObject>): () => void {
    this.appSubscribers.add(handler);
    return () => { this.appSubscribers.delete(handler); };
  }

  onConfigMap(handler: EventHandler<DataObject>): void { this.configMaps.addHandler(handler); }
  onSecret(handler: EventHandler<DataObject>): void { this.secrets.addHandler(handler); }

  configMap(name: string): Record<string, string> | undefined {
    const cm = this.configMaps.get(`${this.opts.namespace}/${name}`);
    return cm ? { ...(cm.data ?? {}) } : undefined;
  }

  /** The whole ConfigMap object (for parsers that take one). */
  configMapObject(name: string): DataObject | undefined {
    return this.configMaps.get(`${this.opts.namespace}/${name}`);
  }

  secret(name: string): Record<string, string> | undefined {
    const s = this.secrets.get(`${this.opts.namespace}/${name}`);
    if (!s) return undefined;
    const rv = s.metadata.resourceVersion ?? "";
    const hit = this.decoded.get(name);
    if (hit && hit.rv === rv) return { ...hit.data };
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(v, "base64").toString("utf8");
    this.decoded.set(name, { rv, data });
    return { ...data };
  }

  /**
   * Read-your-writes: resolves true once this replica's cache holds `written` (the object a
   * create, update or patch returned) or a later state of it, so the caller's next request, or a
   * token just issued, meets the write here. After `timeoutMs` (a slow or broken watch) it logs
   * and resolves false; a caller that must read the object in the same request then reads the
   * apiserver. Objects outside what the cache holds resolve true at once.
   */
  async awaitOwnWrite(written: KubeObject, timeoutMs = OWN_WRITE_WAIT_MS): Promise<boolean> {
    const rv = written.metadata.resourceVersion;
    const entry = this.trackerOf(written.apiVersion, written.kind, written.metadata.namespace);
    if (!entry || !rv) return true;
    const key = objectKey(written);
    const seen = await entry.tracker.waitFor(key, rv, entry.tracker.now(), timeoutMs);
    if (!seen) this.opts.log.warn("the server's cache did not show its own write in time", { object: `${written.kind} ${key}`, timeoutMs });
    return seen;
  }

  /** `awaitOwnWrite`, then the written object: `return cache.afterWrite(await client.create(...))`. */
  async afterWrite<T extends KubeObject>(written: T): Promise<T> {
    await this.awaitOwnWrite(written);
    return written;
  }

  /** Read-your-writes for a delete: resolves true once the cache no longer holds the object. */
  async awaitOwnDelete(ref: ObjectRef, timeoutMs = OWN_WRITE_WAIT_MS): Promise<boolean> {
    const entry = this.trackerOf(ref.apiVersion, ref.kind, ref.namespace);
    const key = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
    if (!entry || !entry.informer.get(key)) return true;
    const gone = await entry.tracker.waitForDelete(key, entry.tracker.now(), timeoutMs);
    if (!gone) this.opts.log.warn("the server's cache did not show its own delete in time", { object: `${ref.kind} ${key}`, timeoutMs });
    return gone;
  }

  /**
   * Read-your-writes after a DELETE that went through: an object finalizers still hold is only
   * marked (deletionTimestamp), so wait until the cache shows the mark, as a read of the apiserver
   * would; one that is gone, until the cache drops it.
   */
  async afterDelete(ref: ObjectRef, timeoutMs = OWN_WRITE_WAIT_MS): Promise<boolean> {
    const left = await this.opts.client.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    if (left?.metadata.deletionTimestamp) return this.awaitOwnWrite(left, timeoutMs);
    return this.awaitOwnDelete(ref, timeoutMs);
  }

  /** A Secret of the control namespace, from the cache once it holds it, else from the apiserver. */
  async awaitSecret(name: string, timeoutMs = OWN_WRITE_WAIT_MS): Promise<void> {
    const stored = await this.opts.client.get<DataObject>("v1", "Secret", name, this.opts.namespace);
    if (!stored) throw new Error(`Secret ${name} does not exist in namespace ${this.opts.namespace}`);
    if (!(await this.awaitOwnWrite(stored, timeoutMs))) throw new Error(`Secret ${name} did not appear in the server's cache within ${timeoutMs / 1000}s`);
  }

  private trackerOf(apiVersion: string, kind: string, namespace: string | undefined): { informer: TrackedInformer; tracker: WriteTracker } | undefined {
    const entry = this.trackers.get(`${apiVersion}/${kind}`);
    if (!entry || !entry.covers(namespace ?? "")) return undefined;
    return entry;
  }

  secretLabels(name: string): Record<string, string> | undefined {
    const s = this.secrets.get(`${this.opts.namespace}/${name}`);
    return s ? { ...(s.metadata.labels ?? {}) } : undefined;
  }

  /** Secrets of the control namespace carrying `argocd.argoproj.io/secret-type: <type>`. */
  secretsOfType(type: string): DataObject[] {
    return this.secrets.list().filter((s) => s.metadata.labels?.["argocd.argoproj.io/secret-type"] === type);
  }

  /** The info the application controller published of a cluster (engine/cluster-info.ts), if any. */
  clusterInfoRecord(server: string): ClusterInfoRecord | undefined {
    const record = parseClusterInfoData(this.configMaps.get(`${this.opts.namespace}/${clusterInfoName(server)}`)?.data);
    return record?.server === server ? record : undefined;
  }

  /** Who holds a Lease of the control namespace and whether it is renewed in time, as this replica observes it; undefined when there is none. */
  leaseLiveness(name: string): LeaseLiveness | undefined {
    const lease = this.leases.get(`${this.opts.namespace}/${name}`);
    return lease ? this.observeLease(lease) : undefined;
  }

  private observeLease(lease: Lease & KubeObject): LeaseLiveness {
    const name = lease.metadata.name ?? "";
    let observer = this.leaseObservers.get(name);
    if (!observer) this.leaseObservers.set(name, (observer = new LeaseObserver()));
    return observer.observe(lease, DEFAULT_LEASE_DURATION_MS);
  }

  project(name: string): AppProject | undefined {
    return this.projectsInformer.get(`${this.opts.namespace}/${name}`);
  }

  projects(): AppProject[] {
    return this.projectsInformer.list();
  }

  app(namespace: string, name: string): ApplicationObject | undefined {
    return this.apps.get(`${namespace}/${name}`);
  }
}
