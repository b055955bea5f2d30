// Read-your-writes for the server's informer caches. A write returns the object's new
// resourceVersion; a request that answers before this replica's cache has that version lets the
// caller's next request (or the token it was just given) meet the old state. ServerCache feeds one
// WriteTracker per informer and services await their own writes through it.
//
// resourceVersions may only be compared for equality, so "the cache has seen the write" means one
// of: an event for the key carried exactly that version (kept in a short per-key history, since
// a later write may have followed before anyone waits), the key was deleted after the wait began,
// or a full list that started after the write returned has been loaded (a list is a consistent
// read, so it holds the write or something newer).

/** How many recent resourceVersions are remembered per object key. */
const HISTORY = 4;

interface Waiter {
  key: string;
  /** undefined: waiting for the key to be deleted. */
  rv: string | undefined;
  writtenAt: number;
  done: (seen: boolean) => void;
}

export class WriteTracker {
  private readonly seen = new Map<string, string[]>();
  private readonly waiters = new Set<Waiter>();
  private lastListStartedAt = Number.NEGATIVE_INFINITY;

  /** `now` is a monotonic clock shared with whoever reports list start times. */
  constructor(readonly now: () => number = () => performance.now()) {}

  /** An add or update event carrying `rv` for `key`. */
  observe(key: string, rv: string | undefined): void {
    if (!rv) return;
    const history = this.seen.get(key) ?? [];
    if (history[history.length - 1] !== rv) history.push(rv);
    if (history.length > HISTORY) history.shift();
    this.seen.set(key, history);
    for (const w of this.waiters) if (w.key === key && w.rv !== undefined && w.rv === rv) this.finish(w, true);
  }

  /** A delete event: anything waiting on the key is past its write. */
  deleted(key: string): void {
    this.seen.delete(key);
    for (const w of this.waiters) if (w.key === key) this.finish(w, true);
  }

  /** A full list, started at `startedAt` (this tracker's clock), has replaced the cache. */
  listed(startedAt: number): void {
    this.lastListStartedAt = Math.max(this.lastListStartedAt, startedAt);
    for (const w of this.waiters) if (startedAt >= w.writtenAt) this.finish(w, true);
  }

  /** Whether the cache already reflects a write of `key` at `rv` that returned at `writtenAt`. */
  has(key: string, rv: string, writtenAt: number): boolean {
    return (this.seen.get(key) ?? []).includes(rv) || this.lastListStartedAt >= writtenAt;
  }

  /**
   * Resolves true once the cache reflects the write, or false after `timeoutMs` (the watch is
   * slow or broken; the caller then reads the apiserver or accepts the delay).
   */
  waitFor(key: string, rv: string, writtenAt: number, timeoutMs: number): Promise<boolean> {
    if (this.has(key, rv, writtenAt)) return Promise.resolve(true);
    return this.wait(key, rv, writtenAt, timeoutMs);
  }

  private wait(key: string, rv: string | undefined, writtenAt: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish(waiter, false), timeoutMs);
      const waiter: Waiter = { key, rv, writtenAt, done: (seen) => { clearTimeout(timer); resolve(seen); } };
      this.waiters.add(waiter);
    });
  }

  /**
   * Resolves true once the cache has dropped `key` after a delete that returned at `writtenAt`
   * (the caller checks first that it still holds it), or false after `timeoutMs`.
   */
  waitForDelete(key: string, writtenAt: number, timeoutMs: number): Promise<boolean> {
    if (this.lastListStartedAt >= writtenAt) return Promise.resolve(true);
    return this.wait(key, undefined, writtenAt, timeoutMs);
  }

  /** Waits pending (for tests and shutdown). */
  get pending(): number { return this.waiters.size; }

  /** Ends every wait as not seen (the cache is stopping). */
  cancelAll(): void {
    for (const w of this.waiters) this.finish(w, false);
  }

  private finish(w: Waiter, seen: boolean): void {
    if (!this.waiters.delete(w)) return;
    w.done(seen);
  }
}
