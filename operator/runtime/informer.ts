// An informer: a local cache of one resource kept current by list + watch. It requests bookmarks,
// resumes a broken watch from the last resource version it saw, relists when that version has
// expired (410 Gone), and restarts with backoff after any error, never giving up and never exiting
// the process, so an apiserver restart costs a reconnect and no missed objects. Handlers and
// indexes let controllers find objects without scanning the cache.
import type { KubeClient, KubeList, KubeObject } from "../kube/client.js";
import { KubeApiError } from "../kube/client.js";
import type { Logger } from "./logger.js";
import type { OperatorMetrics } from "./metrics.js";
import { errorMessage } from "../util/index.js";

export type EventHandler<T> = {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
  /**
   * A full list has replaced the cache; it started at `startedAt` (performance.now()), so it
   * holds every write that returned before then (read-your-writes waits use it).
   */
  listed?(startedAt: number): void;
};

export type IndexFunc<T> = (obj: T) => string[];

export interface InformerOptions<T extends KubeObject> {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Objects it rejects are neither cached nor handed to handlers: a watch narrowed by a rule the
   * server cannot apply (Applications of the allowed namespaces out of a cluster-wide watch). An
   * object that stops passing is removed as if deleted.
   */
  filter?: (obj: KubeObject) => boolean;
  /** Applied to every object before it is cached, e.g. to drop managedFields and save memory. */
  transform?: (obj: KubeObject) => T;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Page size for lists. */
  pageSize?: number;
  /** Bounds of the restart backoff. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

class ResourceExpiredError extends Error {}

export function objectKey(obj: { metadata: { namespace?: string; name?: string } }): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ""}` : obj.metadata.name ?? "";
}

/** The default transform: managedFields are large and nothing in Hawser's cache reads them. */
export function stripManagedFields<T extends KubeObject>(obj: KubeObject): T {
  if (obj.metadata.managedFields) delete obj.metadata.managedFields;
  return obj as T;
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly indexes = new Map<string, { fn: IndexFunc<T>; entries: Map<string, Set<string>> }>();
  private readonly handlers: EventHandler<T>[] = [];
  private readonly syncWaiters: Array<() => void> = [];
  private resourceVersion = "";
  private synced = false;
  /** When the last full list was loaded (ms since the epoch), and whether the watch is failing now. */
  private listedAtMs: number | undefined;
  private failing = false;
  /** Why the last list or watch failed, while it is failing (a cluster's connection message). */
  private lastFailure: string | undefined;
  private stopped = false;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private readonly log: Logger;
  private readonly transform: (obj: KubeObject) => T;
  private readonly resourceLabel: string;

  constructor(private readonly client: KubeClient, private readonly opts: InformerOptions<T>) {
    this.resourceLabel = `${opts.kind}.${opts.apiVersion}`;
    this.log = opts.log.child({ informer: this.resourceLabel });
    this.transform = opts.transform ?? stripManagedFields;
  }

  get hasSynced(): boolean { return this.synced; }
  get lastResourceVersion(): string { return this.resourceVersion; }
  get size(): number { return this.store.size; }
  /** When the cache was last loaded by a full list (ms since the epoch); undefined before the first. */
  get listedAt(): number | undefined { return this.listedAtMs; }
  /** Synced, and its last list or watch did not fail (a cluster's connection status). */
  get healthy(): boolean { return this.synced && !this.failing; }
  /** The error of the failing list or watch; undefined while it is not failing. */
  get lastError(): string | undefined { return this.failing ? this.lastFailure : undefined; }

  addHandler(handler: EventHandler<T>): void {
    this.handlers.push(handler);
    // A handler added after the initial sync is told about what is already cached.
    if (this.synced) for (const obj of this.store.values()) handler.add?.(obj);
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    const entries = new Map<string, Set<string>>();
    for (const [key, obj] of this.store) indexInsert(entries, fn(obj), key);
    this.indexes.set(name, { fn, entries });
  }

  get(key: string): T | undefined { return this.store.get(key); }
  list(): T[] { return [...this.store.values()]; }
  keys(): string[] { return [...this.store.keys()]; }

  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer ${this.resourceLabel} has no index "${name}"`);
    const keys = index.entries.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.store.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  start(): void {
    if (this.loop) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  /** Resolves once the first list has been loaded into the cache (or the informer is stopped). */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      // The listener goes when the wait ends either way: callers share one signal across many
      // informers, and listeners left behind pile up on it.
      const done = (): void => {
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.syncWaiters.push(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  private async run(): Promise<void> {
    const minBackoff = this.opts.minBackoffMs ?? 200;
    const maxBackoff = this.opts.maxBackoffMs ?? 30_000;
    let backoff = minBackoff;
    let needList = true;
    while (!this.stopped) {
      this.abort = new AbortController();
      try {
        if (needList) {
          await this.listAndReplace(this.abort.signal);
          needList = false;
          this.failing = false;
        }
        await this.watch(this.abort.signal);
        backoff = minBackoff; // a watch that ran and ended normally resets the backoff
        continue;
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof ResourceExpiredError || (err instanceof KubeApiError && err.isGone)) {
          this.log.info("resource version expired; relisting");
          needList = true;
          this.opts.metrics?.informerRestarts.inc({ resource: this.resourceLabel });
          continue;
        }
        this.opts.metrics?.informerRestarts.inc({ resource: this.resourceLabel });
        this.failing = true;
        this.lastFailure = errorMessage(err);
        this.log.warn("watch failed; retrying", { error: errorMessage(err), backoffMs: backoff });
        await sleep(backoff * (0.8 + Math.random() * 0.4), this.abort.signal);
        backoff = Math.min(maxBackoff, backoff * 2);
      }
    }
  }

  private collectionPath(): Promise<string> {
    return this.client.pathFor(this.opts.apiVersion, this.opts.kind, this.opts.namespace);
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const startedAt = performance.now();
    const path = await this.collectionPath();
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = "";
    do {
      const page: KubeList = await this.client.request("GET", path, {
        signal,
        query: {
          limit: this.opts.pageSize ?? 500,
          continue: cont,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
        },
      });
      for (const item of page.items) {
        // Items of a list carry no apiVersion/kind; restore them so cached objects are complete.
        item.apiVersion = this.opts.apiVersion;
        item.kind = this.opts.kind;
        if (this.opts.filter && !this.opts.filter(item)) continue;
        const obj = this.transform(item);
        fresh.set(objectKey(obj), obj);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (cont);

    // Replace the store, telling handlers what changed relative to what they knew.
    const old = new Map(this.store);
    for (const [key, obj] of fresh) {
      const prev = old.get(key);
      old.delete(key);
      this.put(key, obj);
      if (!prev) this.emit("add", obj);
      else if (prev.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit("update", obj, prev);
    }
    for (const [key, obj] of old) {
      this.remove(key);
      this.emit("delete", obj);
    }
    this.resourceVersion = rv;
    this.listedAtMs = Date.now();
    for (const h of this.handlers) h.listed?.(startedAt);
    if (!this.synced) {
      this.synced = true;
      this.log.debug("cache synced", { objects: this.store.size });
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private async watch(signal: AbortSignal): Promise<void> {
    const path = await this.collectionPath();
    // The server ends a watch after timeoutSeconds; randomising it spreads reconnects (client-go).
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    const res = await this.client.stream("GET", path, {
      signal,
      query: {
        watch: true,
        allowWatchBookmarks: true,
        resourceVersion: this.resourceVersion,
        timeoutSeconds,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
      },
    });
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString("utf8");
      if (status === 410) throw new ResourceExpiredError(body);
      throw new KubeApiError(status, "WatchFailed", `watch ${path}: HTTP ${status}: ${body.slice(0, 200)}`);
    }
    this.failing = false;
    // A silent, half-open connection would otherwise hang forever: abort when nothing (not even
    // a bookmark) arrives for longer than the server's own timeout plus a margin.
    let idle: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => res.destroy(new Error("watch idle for too long")), (timeoutSeconds + 60) * 1000);
      idle.unref();
    };
    armIdle();
    // Pieces of the line not yet ended. A multi-megabyte event (an ApplicationSet of 10,000
    // elements and as many status.resources) arrives in hundreds of chunks: only each new chunk is
    // searched for the newline and the line is joined once, not rescanned per chunk.
    const pending: Buffer[] = [];
    try {
      for await (const chunk of res) {
        armIdle();
        let rest = chunk as Buffer;
        let nl: number;
        while ((nl = rest.indexOf(0x0a)) >= 0) {
          pending.push(rest.subarray(0, nl));
          const line = Buffer.concat(pending.splice(0)).toString("utf8").trim();
          rest = rest.subarray(nl + 1);
          if (line) this.handleEvent(JSON.parse(line) as WatchEvent);
        }
        if (rest.length > 0) pending.push(rest);
      }
    } finally {
      if (idle) clearTimeout(idle);
    }
  }

  private handleEvent(ev: WatchEvent): void {
    if (ev.type === "ERROR") {
      if (ev.object.code === 410) throw new ResourceExpiredError(ev.object.message ?? "resource version expired");
      throw new KubeApiError(ev.object.code ?? 500, ev.object.reason ?? "WatchError", ev.object.message ?? "watch error event");
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === "BOOKMARK") {
      if (rv) this.resourceVersion = rv;
      return;
    }
    if (this.opts.filter && !this.opts.filter(ev.object)) {
      const gone = this.store.get(objectKey(ev.object));
      if (gone) {
        this.remove(objectKey(gone));
        this.emit("delete", gone);
      }
      if (rv) this.resourceVersion = rv;
      return;
    }
    const obj = this.transform(ev.object);
    const key = objectKey(obj);
    const prev = this.store.get(key);
    if (ev.type === "DELETED") {
      this.remove(key);
      this.emit("delete", obj);
    } else {
      this.put(key, obj);
      if (prev) this.emit("update", obj, prev);
      else this.emit("add", obj);
    }
    if (rv) this.resourceVersion = rv;
  }

  private put(key: string, obj: T): void {
    const prev = this.store.get(key);
    this.store.set(key, obj);
    for (const { fn, entries } of this.indexes.values()) {
      if (prev) indexDelete(entries, fn(prev), key);
      indexInsert(entries, fn(obj), key);
    }
  }

  private remove(key: string): void {
    const prev = this.store.get(key);
    if (!prev) return;
    this.store.delete(key);
    for (const { fn, entries } of this.indexes.values()) indexDelete(entries, fn(prev), key);
  }

  private emit(type: "add" | "update" | "delete", obj: T, prev?: T): void {
    for (const h of this.handlers) {
      try {
        if (type === "add") h.add?.(obj);
        else if (type === "update") h.update?.(prev as T, obj);
        else h.delete?.(obj);
      } catch (err) {
        // A faulty handler must not break the watch for every other consumer.
        this.log.error("event handler threw", { error: err, event: type, object: objectKey(obj) });
      }
    }
  }
}

function indexInsert(entries: Map<string, Set<string>>, values: string[], key: string): void {
  for (const v of values) {
    let set = entries.get(v);
    if (!set) entries.set(v, (set = new Set()));
    set.add(key);
  }
}

function indexDelete(entries: Map<string, Set<string>>, values: string[], key: string): void {
  for (const v of values) {
    const set = entries.get(v);
    if (!set) continue;
    set.delete(key);
    if (set.size === 0) entries.delete(v);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => { clearTimeout(t); resolve(); };
    const t = setTimeout(() => { signal?.removeEventListener("abort", onAbort); resolve(); }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
