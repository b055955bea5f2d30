// Which unpacked OCI artifacts the cache gives up, and whether a path is one it may remove. Pure:
// the store (oci-artifacts.ts) does the renaming and deleting.
//
// The cache holds one tree per (repository, manifest digest). A registry writer pushing a new tag
// every minute would otherwise fill the disk, so the cache is an LRU bounded by entries and by
// bytes (the unpacked file contents), as the git work trees are bounded by `maxTrees`. A tree a
// render is reading (reference count above 0) is never chosen, so the cache can stand above its
// bound for as long as readers hold more than it allows.
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
 * 32 trees, as the git work trees' default `maxTrees`; 4 GB of unpacked content, four artifacts at
 * the 1G default size limit (RepoCache derives its bound from its limits: artifactCacheBytes).
 */
export const DEFAULT_ARTIFACT_CACHE_BOUNDS: ArtifactCacheBounds = { maxEntries: 32, maxBytes: 4_000_000_000 };

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
