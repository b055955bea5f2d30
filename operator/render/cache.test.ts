import { test } from "node:test";
import assert from "node:assert/strict";
import { RenderCache } from "./index.js";
import { CONTROLLER_RENDER_CACHE } from "../controllers/application/controller.js";

const entry = (n: number) => ({ manifests: Array.from({ length: n }, (_, i) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `m${i}` } })), warnings: [] });

async function fill(cache: RenderCache, keys: string[], manifestsEach: number): Promise<number> {
  let renders = 0;
  for (const k of keys) await cache.getOrRender(k, () => { renders++; return Promise.resolve(entry(manifestsEach)); });
  return renders;
}

test("RenderCache evicts the least recently used entry beyond maxEntries", async () => {
  const cache = new RenderCache(3);
  assert.equal(await fill(cache, ["a", "b", "c"], 1), 3, "three misses");
  assert.equal(await fill(cache, ["a"], 1), 0, "a is cached and now most recent");
  assert.equal(await fill(cache, ["d"], 1), 1);
  assert.equal(cache.size, 3, "bounded by entries");
  assert.equal(await fill(cache, ["a", "c", "d"], 1), 0, "b, the least recently used, was the one evicted");
  assert.equal(await fill(cache, ["b"], 1), 1, "b renders again");
});

test("RenderCache bounds the manifests all entries hold, and keeps a newest entry larger than the budget", async () => {
  const cache = new RenderCache(100, 10);
  await fill(cache, ["a", "b", "c"], 4);
  assert.equal(cache.size, 2, "12 manifests exceed 10: the oldest entry goes");
  assert.equal(cache.manifestCount, 8, "the count follows evictions");
  await fill(cache, ["huge"], 50);
  assert.equal(cache.size, 1, "everything older is evicted for the huge entry");
  assert.equal(await fill(cache, ["huge"], 50), 0, "the huge entry itself is kept");
  cache.clear();
  assert.equal(cache.manifestCount, 0, "clear resets the count");
});

test("the controller's render cache holds an entry for each app of a 10,000-app monorepo (one manifest each)", async () => {
  const cache = new RenderCache(CONTROLLER_RENDER_CACHE.entries, CONTROLLER_RENDER_CACHE.manifests);
  const keys = Array.from({ length: 10_000 }, (_, i) => `app-${i}`);
  assert.equal(await fill(cache, keys, 1), 10_000, "first pass renders every app");
  assert.equal(await fill(cache, keys, 1), 0, "a second pass (a commit touching none of their paths) renders nothing");
});
