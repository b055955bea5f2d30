// The OCI artifact cache's eviction policy over plain tables: LRU by entries and by bytes, never a
// tree a reader holds, deterministic on ties; and the path guard, attacked with paths that leave
// the cache or are not a tree's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifactsToEvict, isArtifactTreePath, type CachedArtifact } from "./artifact-eviction.js";

const a = (key: string, lastUsed: number, bytes = 10, refs = 0): CachedArtifact => ({ key, lastUsed, bytes, refs });

test("artifactsToEvict: the least recently used unreferenced trees, until within both bounds", () => {
  const cases: Array<[string, CachedArtifact[], { maxEntries: number; maxBytes: number }, string[]]> = [
    ["within bounds: nothing", [a("x", 1), a("y", 2)], { maxEntries: 2, maxBytes: 100 }, []],
    ["one over the entry bound: the oldest", [a("new", 3), a("old", 1), a("mid", 2)], { maxEntries: 2, maxBytes: 1000 }, ["old"]],
    ["over the byte bound: oldest first until it fits", [a("a", 1, 40), a("b", 2, 40), a("c", 3, 40)], { maxEntries: 10, maxBytes: 50 }, ["a", "b"]],
    ["a referenced tree is skipped, the next oldest goes", [a("held", 1, 10, 1), a("idle", 2), a("fresh", 3)], { maxEntries: 2, maxBytes: 1000 }, ["idle"]],
    ["all referenced: nothing, over the bound or not", [a("p", 1, 10, 1), a("q", 2, 10, 2)], { maxEntries: 1, maxBytes: 5 }, []],
    ["referenced bytes count towards the bound", [a("held", 1, 90, 1), a("idle", 2, 20)], { maxEntries: 10, maxBytes: 100 }, ["idle"]],
    ["one tree larger than the byte bound goes once released", [a("huge", 5, 500)], { maxEntries: 10, maxBytes: 100 }, ["huge"]],
    ["a tie on lastUsed goes by key", [a("b", 1), a("a", 1), a("c", 2)], { maxEntries: 2, maxBytes: 1000 }, ["a"]],
    ["bound 0: every idle tree", [a("x", 1), a("y", 2, 10, 1)], { maxEntries: 0, maxBytes: 1000 }, ["x"]],
  ];
  for (const [what, entries, bounds, want] of cases) assert.deepEqual(artifactsToEvict(entries, bounds), want, what);
});

test("attack: isArtifactTreePath accepts only <cache>/<24 hex>/<64 hex>", () => {
  const cache = "/var/cache/hawser/trees/oci";
  const key = "0123456789abcdef01234567";
  const hex = "a".repeat(64);
  assert.equal(isArtifactTreePath(cache, join(cache, key, hex)), true);
  const bad: Array<[string, string]> = [
    ["the cache itself", cache],
    ["a repository directory", join(cache, key)],
    ["outside through ..", join(cache, key, "..", "..", "..", "etc")],
    ["a sibling of the cache", join("/var/cache/hawser/trees/oci-other", key, hex)],
    ["an absolute path elsewhere", `/etc/${key}/${hex}`],
    ["a temp directory", join(cache, key, `${hex}.tmp-0011`)],
    ["a file inside a tree", join(cache, key, hex, "cm.yaml")],
    ["upper-case hex", join(cache, key.toUpperCase(), hex)],
    ["a short digest", join(cache, key, "a".repeat(63))],
  ];
  for (const [what, p] of bad) assert.equal(isArtifactTreePath(cache, p), false, what);
});
