// The API server's cache for resource trees (argo-cd-server.md §1.2, §1.5). A tree needs the app's
// managed objects and their descendants through ownerReferences; listing them per request (or per
// change, for the UI's live tree) is what this avoids. Watches are per destination client, kind
// and namespace (cluster-wide only for cluster-scoped managed kinds), started when a tree first
// needs them and shared by every app and stream that does, each with an index of objects by the
// uids their ownerReferences name. Memory stays bounded: a watch no stream holds lingers for a
// while (the UI's GET is followed by its stream) and is then stopped, the oldest first once more
// than `maxIdleWatches` are idle; objects are cached without managedFields, Secret and ConfigMap
// data or last-applied annotations, which no tree shows.
import type { KubeClient, KubeObject } from "../kube/client.js";
import { Informer } from "../runtime/informer.js";
import type { Logger } from "../runtime/logger.js";
import { errorMessage } from "../util/index.js";
import type { ApplicationObject } from "./cache.js";
import { buildResourceTree, CHILD_KINDS, type ApplicationTree } from "./services/app-resources.js";

const OWNER_INDEX = "owner-uid";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** What a tree needs watched: one kind, in one namespace ("" = cluster-wide, for cluster-scoped kinds). */
export interface WatchSpec {
  apiVersion: string;
  kind: string;
  namespace: string;
}

/** A managed resource of the app's status, by identity. */
interface ManagedRef { apiVersion: string; kind: string; namespace: string; name: string }

/**
 * The watches an app's tree needs: every non-hook resource of its status (in its namespace), and
 * the usual child kinds in each namespace a managed object lives in.
 */
export function treeWatchSpecs(app: ApplicationObject): { specs: WatchSpec[]; managed: ManagedRef[] } {
  const managed: ManagedRef[] = [];
  const specs = new Map<string, WatchSpec>();
  const add = (s: WatchSpec): void => { specs.set(`${s.apiVersion}/${s.kind}/${s.namespace}`, s); };
  const namespaces = new Set<string>();
  for (const r of app.status?.resources ?? []) {
    if (r.hook || !r.kind || !r.name) continue;
    const apiVersion = r.group ? `${r.group}/${r.version ?? ""}` : r.version || "v1";
    const namespace = r.namespace ?? "";
    managed.push({ apiVersion, kind: r.kind, namespace, name: r.name });
    add({ apiVersion, kind: r.kind, namespace });
    if (namespace) namespaces.add(namespace);
  }
  for (const ns of namespaces) for (const k of CHILD_KINDS) add({ ...k, namespace: ns });
  return { specs: [...specs.values()].sort((a, b) => specKey(a).localeCompare(specKey(b))), managed };
}

function specKey(s: WatchSpec): string {
  return `${s.apiVersion}/${s.kind}/${s.namespace}`;
}

/** The cached form of an object: what a tree node shows, without the bulk. */
function slim(apiVersion: string, kind: string): (o: KubeObject) => KubeObject {
  return (o) => {
    const out = { ...o, apiVersion, kind } as KubeObject & Record<string, unknown>;
    if (o.metadata.managedFields || o.metadata.annotations?.[LAST_APPLIED]) {
      const annotations = { ...(o.metadata.annotations ?? {}) };
      delete annotations[LAST_APPLIED];
      out.metadata = { ...o.metadata, annotations };
      delete out.metadata.managedFields;
    }
    if (kind === "Secret" || kind === "ConfigMap") {
      delete out.data;
      delete out.stringData;
      delete out.binaryData;
    }
    return out;
  };
}

type Listener = (obj: KubeObject, old?: KubeObject) => void;

/** One watch: an informer (once its kind is known to be served) and who holds and listens to it. */
class KindWatch {
  informer: Informer | undefined;
  /** Why the kind cannot be watched (not served, not listable): the tree shows none of it. */
  unavailable: string | undefined;
  holders = 0;
  idleSince = 0;
  private stopped = false;
  readonly listeners = new Set<Listener>();
  readonly ready: Promise<void>;

  constructor(readonly key: string, client: KubeClient, readonly spec: WatchSpec, log: Logger, onFailed: (w: KindWatch) => void) {
    this.ready = (async () => {
      const info = await client.resourceInfo(spec.apiVersion, spec.kind);
      if (!info.verbs.includes("list") || !info.verbs.includes("watch")) throw new Error(`${spec.kind} in ${spec.apiVersion} cannot be listed and watched`);
      // Dropped while discovery answered: start nothing that no one would stop.
      if (this.stopped) return;
      const informer = new Informer(client, {
        apiVersion: spec.apiVersion, kind: spec.kind, log, transform: slim(spec.apiVersion, spec.kind),
        ...(spec.namespace && info.namespaced ? { namespace: spec.namespace } : {}),
      });
      informer.addIndex(OWNER_INDEX, (o) => (o.metadata.ownerReferences ?? []).map((r) => r.uid));
      informer.addHandler({
        add: (o) => { for (const l of this.listeners) l(o); },
        update: (old, o) => { for (const l of this.listeners) l(o, old); },
        delete: (o) => { for (const l of this.listeners) l(o); },
      });
      this.informer = informer;
      informer.start();
      await informer.waitForSync();
    })().catch((err: unknown) => {
      this.unavailable = errorMessage(err);
      log.debug("resource tree: kind not watched", { kind: spec.kind, apiVersion: spec.apiVersion, namespace: spec.namespace, error: this.unavailable });
      onFailed(this);
    });
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.informer?.get(namespace ? `${namespace}/${name}` : name);
  }

  children(uid: string): KubeObject[] {
    return this.informer?.byIndex(OWNER_INDEX, uid) ?? [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    await this.informer?.stop();
  }
}

export interface TreeCacheOptions {
  log: Logger;
  /** How long a watch nobody holds is kept (default 5 minutes). */
  idleMs?: number;
  /** At most this many idle watches are kept; beyond, the longest idle are stopped (default 100). */
  maxIdleWatches?: number;
  /** How long a tree waits for a new watch's first list before it is built without it (default 10 s). */
  syncTimeoutMs?: number;
  now?: () => number;
}

export class TreeCache {
  private readonly watches = new Map<string, KindWatch>();
  private readonly clientIds = new WeakMap<KubeClient, number>();
  private nextClientId = 1;
  private readonly idleMs: number;
  private readonly maxIdle: number;
  private readonly syncTimeoutMs: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: TreeCacheOptions) {
    this.idleMs = opts.idleMs ?? 5 * 60_000;
    this.maxIdle = opts.maxIdleWatches ?? 100;
    this.syncTimeoutMs = opts.syncTimeoutMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(this.idleMs, 60_000)));
    this.sweeper.unref();
  }

  /** Watches running now (held or idle), for metrics and tests. */
  get size(): number { return this.watches.size; }

  /** Starts holding the app's watches on `client`; the subscription follows the app as its resources change. */
  subscribe(client: KubeClient, app: ApplicationObject, onChange: (changed: KubeObject) => void): TreeSubscription {
    return new TreeSubscription(this, client, app, onChange);
  }

  /** The app's tree now, from the cache (its watches held while it is built, then left to linger). */
  async tree(client: KubeClient, app: ApplicationObject): Promise<ApplicationTree> {
    const sub = this.subscribe(client, app, () => undefined);
    try {
      await sub.ready();
      return sub.tree();
    } finally {
      sub.close();
    }
  }

  /** @internal Holds the watch of `spec` on `client`, creating it when needed. */
  hold(client: KubeClient, spec: WatchSpec): KindWatch {
    let id = this.clientIds.get(client);
    if (id === undefined) this.clientIds.set(client, (id = this.nextClientId++));
    const key = `${id}|${specKey(spec)}`;
    let w = this.watches.get(key);
    if (!w) {
      w = new KindWatch(key, client, spec, this.opts.log, (failed) => {
        // Not kept: the next tree that needs the kind asks discovery again (a CRD installed later).
        if (this.watches.get(failed.key) === failed) this.watches.delete(failed.key);
        void failed.stop();
      });
      this.watches.set(key, w);
    }
    w.holders++;
    return w;
  }

  /** @internal */
  release(w: KindWatch): void {
    w.holders = Math.max(0, w.holders - 1);
    if (w.holders === 0) {
      w.idleSince = this.now();
      this.evictOverflow();
    }
  }

  /** @internal Waits for the watches' first lists, bounded by the sync timeout. */
  async waitReady(watches: readonly KindWatch[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.syncTimeoutMs); timer.unref(); });
    await Promise.race([Promise.all(watches.map((w) => w.ready)), timeout]);
    clearTimeout(timer);
  }

  private idle(): KindWatch[] {
    return [...this.watches.values()].filter((w) => w.holders === 0).sort((a, b) => a.idleSince - b.idleSince);
  }

  private evictOverflow(): void {
    const idle = this.idle();
    for (const w of idle.slice(0, Math.max(0, idle.length - this.maxIdle))) this.drop(w);
  }

  /** Stops the watches idle for longer than idleMs. */
  sweep(): void {
    const cutoff = this.now() - this.idleMs;
    for (const w of this.idle()) if (w.idleSince <= cutoff) this.drop(w);
  }

  private drop(w: KindWatch): void {
    if (this.watches.get(w.key) === w) this.watches.delete(w.key);
    void w.stop();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.watches.values()];
    this.watches.clear();
    await Promise.all(all.map((w) => w.stop()));
  }
}

/**
 * One app's hold on the tree cache: the watches its tree needs, and `onChange` called with the
 * object when an object of the tree (a managed object, or one owned by a node of the tree) is added, changed or
 * removed. `update(app)` follows the app when its resources change; `close()` lets go.
 */
export class TreeSubscription {
  private app: ApplicationObject;
  private held = new Map<string, KindWatch>();
  private managed: ManagedRef[] = [];
  private managedKeys = new Set<string>();
  /** Uids of the nodes of the last tree built: their children's events matter. */
  private uids = new Set<string>();
  private closed = false;
  private readonly listener: Listener;

  constructor(private readonly cache: TreeCache, private readonly client: KubeClient, app: ApplicationObject, private readonly onChange: (changed: KubeObject) => void) {
    this.app = app;
    this.listener = (obj, old) => { if (this.concerns(obj) || (old !== undefined && this.concerns(old))) this.onChange(obj); };
    this.update(app);
  }

  /** Follows the app's new state: watches for kinds and namespaces it no longer has are let go. */
  update(app: ApplicationObject): void {
    if (this.closed) return;
    this.app = app;
    const { specs, managed } = treeWatchSpecs(app);
    this.managed = managed;
    this.managedKeys = new Set(managed.map(refKey));
    const next = new Map<string, KindWatch>();
    for (const spec of specs) {
      const key = specKey(spec);
      const have = this.held.get(key);
      if (have && !have.unavailable) { next.set(key, have); this.held.delete(key); continue; }
      const w = this.cache.hold(this.client, spec);
      w.listeners.add(this.listener);
      next.set(key, w);
    }
    for (const w of this.held.values()) this.letGo(w);
    this.held = next;
  }

  /** Resolves once the held watches have their first lists (or the cache's sync timeout passed). */
  ready(): Promise<void> {
    return this.cache.waitReady([...this.held.values()]);
  }

  /** The app's tree from the cached objects. */
  tree(): ApplicationTree {
    const byKind = new Map<string, KindWatch>();
    for (const w of this.held.values()) byKind.set(`${w.spec.apiVersion}/${w.spec.kind}/${w.spec.namespace}`, w);
    const live: KubeObject[] = [];
    for (const m of this.managed) {
      const o = byKind.get(`${m.apiVersion}/${m.kind}/${m.namespace}`)?.get(m.namespace, m.name);
      if (o) live.push(o);
    }
    const watches = [...this.held.values()];
    const tree = buildResourceTree(this.app, live, (uid) => watches.flatMap((w) => w.children(uid)));
    this.uids = new Set(tree.nodes.map((n) => n.uid).filter((u): u is string => Boolean(u)));
    return tree;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.held.values()) this.letGo(w);
    this.held.clear();
  }

  private letGo(w: KindWatch): void {
    w.listeners.delete(this.listener);
    this.cache.release(w);
  }

  private concerns(o: KubeObject): boolean {
    if (o.metadata.uid && this.uids.has(o.metadata.uid)) return true;
    if ((o.metadata.ownerReferences ?? []).some((r) => this.uids.has(r.uid))) return true;
    return this.managedKeys.has(refKey({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name ?? "" }));
  }
}

function refKey(r: ManagedRef): string {
  return `${r.apiVersion}/${r.kind}/${r.namespace}/${r.name}`;
}
