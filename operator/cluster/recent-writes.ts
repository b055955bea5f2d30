// Read-your-writes for a watch cache. The operator's own applies return the object as the server
// stored it, but the watch delivers that version a little later (milliseconds when idle, seconds
// in a burst of thousands of syncs). A comparison in that gap would see the object as it was before
// the sync: the status written at the end of a sync would be wrong, and a refresh would write it
// again once the watch caught up. RecentWrites holds each written object until the watch shows
// that version, a newer one or the object's deletion, and lookups take whichever is newer.
//
// Deletions (a sync's prunes) are held the same way: the app's lookups leave the deleted object out
// until the watch shows it gone, so the comparison at a sync's end does not report a pruned object
// as still to prune. The object is left out while the watch shows it terminating with only the
// garbage collector's finalizers (a foreground or orphan delete, which the collector finishes on
// its own); a copy holding another finalizer waits for someone else (a PVC in use, a controller's
// cleanup) and is shown, terminating, as Argo shows it; so is an object of the same name with
// another uid (created again since). A deletion is only left out of what an app manages: a lookup
// by identity still sees the terminating copy, which is what a sync wave waiting for its prunes
// to be gone must see.
import type { KubeObject } from "../kube/client.js";

/** How long a written object may stand in for the watch at most (a missed watch event, a relist). */
export const RECENT_WRITE_TTL_MS = 30_000;

/**
 * Whether resourceVersion `a` is newer than `b`. Resource versions are decimal integers on every
 * etcd-backed apiserver (and comparable by contract since Kubernetes 1.35); anything else is not
 * compared, and the watch is trusted.
 */
export function newerVersion(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length !== b.length ? a.length > b.length : a > b;
}

/** The finalizers the garbage collector adds to a deleted object and removes itself. */
const GC_FINALIZERS: ReadonlySet<string> = new Set(["foregroundDeletion", "orphan"]);

/** Whether the object's deletion can wait for anyone but the garbage collector. */
function heldByOthers(obj: KubeObject): boolean {
  return (obj.metadata.finalizers ?? []).some((f) => !GC_FINALIZERS.has(f));
}

interface Entry {
  /** The object as a write returned it; undefined for a deletion. */
  obj: KubeObject | undefined;
  /** A deletion's object uid: another object of the same name is not hidden by it. */
  uid?: string;
  /** The owning app's tracking key, when tracked (managedBy lookups of objects the watch has not shown at all). */
  app: string | undefined;
  at: number;
}

export class RecentWrites {
  private readonly entries = new Map<string, Entry>();
  /** Ids by owning app, so an app's lookup does not walk every entry during a burst. */
  private readonly byApp = new Map<string, Set<string>>();

  constructor(private readonly clock: () => number = Date.now) {}

  get size(): number { return this.entries.size; }

  /** An object as a write returned it; `cached` is the watch's copy now, if any (an older one is what it replaces). */
  record(id: string, obj: KubeObject, app: string | undefined, cached: KubeObject | undefined): void {
    if (cached && !newerVersion(obj.metadata.resourceVersion, cached.metadata.resourceVersion)) return;
    if (!obj.metadata.resourceVersion) return;
    // Entries are in the order they were recorded: the expired ones a missed watch event left are at the front.
    for (const [old, entry] of this.entries) {
      if (this.clock() - entry.at <= RECENT_WRITE_TTL_MS) break;
      this.drop(old);
    }
    this.drop(id);
    this.entries.set(id, { obj, app, at: this.clock() });
    if (app !== undefined) {
      let ids = this.byApp.get(app);
      if (!ids) this.byApp.set(app, (ids = new Set()));
      ids.add(id);
    }
  }

  /**
   * The operator deleted this object; `known` is the copy it knew then (the newer of the watch's
   * and a written one). Nothing is recorded for an object it did not know, nor for one whose
   * deletion waits for finalizers other than the garbage collector's.
   */
  recordDelete(id: string, known: KubeObject | undefined): void {
    if (!known || heldByOthers(known)) return;
    this.drop(id);
    this.entries.set(id, { obj: undefined, uid: known.metadata.uid, app: undefined, at: this.clock() });
  }

  /** The watch showed this object (`undefined`: its deletion): a written copy it has caught up with goes, and a deletion it no longer hides. */
  seen(id: string, obj: KubeObject | undefined): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    if (!obj) this.drop(id);
    else if (entry.obj ? !newerVersion(entry.obj.metadata.resourceVersion, obj.metadata.resourceVersion) : !hides(entry, obj)) this.drop(id);
  }

  /** The newer of the watch's copy and a written one. A deletion does not count here (see `present`). */
  fresher(id: string, cached: KubeObject | undefined): KubeObject | undefined {
    const entry = this.live(id);
    if (!entry) return cached;
    if (!entry.obj) {
      if (cached && !hides(entry, cached)) this.drop(id);
      return cached;
    }
    if (cached && !newerVersion(entry.obj.metadata.resourceVersion, cached.metadata.resourceVersion)) {
      this.drop(id);
      return cached;
    }
    return entry.obj;
  }

  /** What an app's lookups see: as `fresher`, but nothing for an object the operator deleted while the watch still shows it. */
  present(id: string, cached: KubeObject | undefined): KubeObject | undefined {
    const entry = this.live(id);
    if (entry && !entry.obj && (!cached || hides(entry, cached))) return undefined;
    return this.fresher(id, cached);
  }

  /** Written objects of this app, by id (the caller adds those its watch does not hold at all). */
  ofApp(app: string): Array<[string, KubeObject]> {
    const out: Array<[string, KubeObject]> = [];
    for (const id of [...(this.byApp.get(app) ?? [])]) {
      const entry = this.live(id);
      if (entry?.obj) out.push([id, entry.obj]);
    }
    return out;
  }

  /** Written objects in a namespace, by id. */
  inNamespace(namespace: string): Array<[string, KubeObject]> {
    const out: Array<[string, KubeObject]> = [];
    for (const id of [...this.entries.keys()]) {
      const entry = this.live(id);
      if (entry?.obj && entry.obj.metadata.namespace === namespace) out.push([id, entry.obj]);
    }
    return out;
  }

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry && this.clock() - entry.at > RECENT_WRITE_TTL_MS) {
      this.drop(id);
      return undefined;
    }
    return entry;
  }

  private drop(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    if (entry.app === undefined) return;
    const ids = this.byApp.get(entry.app);
    ids?.delete(id);
    if (ids?.size === 0) this.byApp.delete(entry.app);
  }
}

/** Whether a recorded deletion hides this copy: the deleted object (same uid), terminating on the garbage collector alone or not yet shown terminating. */
function hides(deletion: Entry, copy: KubeObject): boolean {
  const sameObject = deletion.uid === undefined || copy.metadata.uid === undefined || copy.metadata.uid === deletion.uid;
  return sameObject && !heldByOthers(copy);
}
