// Which unpacked OCI artifacts the cache gives up, and whether a path is one it may remove. No
// I/O: the stores (oci-artifacts.ts) do the renaming and deleting.
//
// The cache holds one tree per (repository, manifest digest). A registry writer pushing a new tag
// every minute would otherwise fill the disk, so the cache is an LRU bounded by entries and by
// bytes (the unpacked file contents), as the git work trees are bounded by `maxTrees`. A tree a
// render is reading (reference count above 0) is never chosen, so the cache can stand above its
// bound for as long as readers hold more than it allows.
//
// The bound is one budget over several stores (ArtifactCacheBudget): a process has a git cache per
// credential scope (project-repos.ts), and the operator and the API server may share a process, but
// `--oci-artifact-cache-size` bounds the process's disk, so the least recently used tree of any
// store goes first.
import { relative, sep } from "node:path";

export interface CachedArtifact {
  /** The tree's path (the cache's key for it). */
  key: string;
  /** Bytes of file content unpacked. */
  bytes: number;
  /** Readers holding the tree. */
  refs: number;
  /** When it was last handed out or released (ms). */
  lastUsed: number;
}

export interface ArtifactCacheBounds {
  /** Trees kept, referenced or not. */
  maxEntries: number;
  /** Unpacked bytes kept, referenced or not. */
  maxBytes: number;
}

/**
 * Trees kept by default: 32, as the git work trees' default `maxTrees`. The default byte bound is
 * derived from the OCI limits in one place (oci-artifacts.ts: artifactCacheBytes).
 */
export const DEFAULT_ARTIFACT_CACHE_ENTRIES = 32;

/**
 * The keys to evict, in order: the least recently used unreferenced trees, until the cache is
 * within both bounds or only referenced trees are left. Ties on `lastUsed` go by key, so the
 * choice does not depend on the order of `entries`.
 */
export function artifactsToEvict(entries: readonly CachedArtifact[], bounds: ArtifactCacheBounds): string[] {
  let count = entries.length;
  let bytes = entries.reduce((n, e) => n + e.bytes, 0);
  const over = (): boolean => count > bounds.maxEntries || bytes > bounds.maxBytes;
  if (!over()) return [];
  const idle = entries.filter((e) => e.refs <= 0).sort((a, b) => a.lastUsed - b.lastUsed || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out: string[] = [];
  for (const e of idle) {
    if (!over()) break;
    out.push(e.key);
    count--;
    bytes -= e.bytes;
  }
  return out;
}

/**
 * Whether `path` has the shape of a tree this cache made: `<cacheDir>/<24 hex>/<64 hex>`, nothing
 * above, beside or below it. The store also checks on disk that neither part is a symlink before
 * it removes anything.
 */
export function isArtifactTreePath(cacheDir: string, path: string): boolean {
  const rel = relative(cacheDir, path);
  const parts = rel.split(sep);
  return parts.length === 2 && /^[0-9a-f]{24}$/.test(parts[0]!) && /^[0-9a-f]{64}$/.test(parts[1]!);
}

/** A store's side of a shared budget: the trees it holds, and giving up the ones the budget chose. */
export interface ArtifactBudgetMember {
  artifacts(): CachedArtifact[];
  evict(keys: readonly string[]): void;
}

/**
 * One bound over the trees of every store that joined it. Keys are tree paths, distinct across
 * stores (each store has a directory of its own). Each store calls `rebalance()` after it took a
 * tree or released one; the budget then picks over the union, least recently used first.
 */
export class ArtifactCacheBudget {
  private readonly members = new Set<ArtifactBudgetMember>();
  private current: ArtifactCacheBounds;

  constructor(bounds: ArtifactCacheBounds) {
    this.current = { ...bounds };
  }

  get bounds(): ArtifactCacheBounds { return { ...this.current }; }

  /** Stores sharing the budget now (tests: a closed store leaves). */
  get memberCount(): number { return this.members.size; }

  /** Adds a store; the function returned takes it out again. */
  join(member: ArtifactBudgetMember): () => void {
    this.members.add(member);
    return () => { this.members.delete(member); };
  }

  /** Lowers the bounds to the smaller of each (a second user of the budget never widens it). */
  tighten(bounds: Partial<ArtifactCacheBounds>): void {
    this.current = {
      maxEntries: Math.min(this.current.maxEntries, bounds.maxEntries ?? Infinity),
      maxBytes: Math.min(this.current.maxBytes, bounds.maxBytes ?? Infinity),
    };
  }

  /** Trees and bytes over every store. */
  usage(): { entries: number; bytes: number } {
    let entries = 0;
    let bytes = 0;
    for (const m of this.members) for (const a of m.artifacts()) { entries++; bytes += a.bytes; }
    return { entries, bytes };
  }

  /** Evicts over the union of the stores' trees until it is within the bounds (or all are held). */
  rebalance(): void {
    const owner = new Map<string, ArtifactBudgetMember>();
    const all: CachedArtifact[] = [];
    for (const m of this.members) {
      for (const a of m.artifacts()) {
        owner.set(a.key, m);
        all.push(a);
      }
    }
    const chosen = new Map<ArtifactBudgetMember, string[]>();
    for (const key of artifactsToEvict(all, this.current)) {
      const m = owner.get(key)!;
      const list = chosen.get(m) ?? [];
      list.push(key);
      chosen.set(m, list);
    }
    for (const [m, keys] of chosen) m.evict(keys);
  }
}
