import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../kube/client.js";
import { RECENT_WRITE_TTL_MS, RecentWrites, newerVersion } from "./recent-writes.js";

const cm = (rv: string | undefined, data = "v"): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns", ...(rv ? { resourceVersion: rv } : {}) }, data: { data } });

test("newerVersion compares decimal resource versions by value, and nothing else", () => {
  assert.equal(newerVersion("10", "9"), true, "longer is larger, not lexically smaller");
  assert.equal(newerVersion("9", "10"), false);
  assert.equal(newerVersion("12", "12"), false);
  assert.equal(newerVersion("abc", "1"), false, "an opaque version is never taken over the watch");
  assert.equal(newerVersion(undefined, "1"), false);
});

test("RecentWrites: a written object stands in for the watch's older copy until the watch shows its version", () => {
  const w = new RecentWrites(() => 0);
  const old = cm("5", "before");
  const applied = cm("7", "after");
  w.record("id", applied, "app", old);
  assert.equal(w.fresher("id", old), applied, "the watch still has the old version: the write is newer");
  assert.deepEqual(w.ofApp("app").map(([, o]) => o), [applied]);
  w.seen("id", cm("6"));
  assert.equal(w.fresher("id", old), applied, "an event older than the write does not end it");
  const caughtUp = cm("7", "after");
  w.seen("id", caughtUp);
  assert.equal(w.size, 0, "the watch's copy of that version ends it");
  assert.equal(w.fresher("id", caughtUp), caughtUp);
  assert.deepEqual(w.ofApp("app"), []);
});

test("RecentWrites: a newer watch copy, a deletion or the TTL end a written copy; an older write is never kept", () => {
  let now = 0;
  const w = new RecentWrites(() => now);
  w.record("id", cm("7"), "app", undefined);
  const newer = cm("8", "someone else");
  assert.equal(w.fresher("id", newer), newer, "a newer version in the watch wins (someone wrote after us)");
  assert.equal(w.size, 0);

  w.record("id", cm("7"), "app", undefined);
  w.seen("id", undefined);
  assert.equal(w.size, 0, "the watch saw it deleted");

  w.record("id", cm("3"), "app", cm("4"));
  assert.equal(w.size, 0, "a write older than the watch's copy is not recorded");
  w.record("id", cm(undefined), "app", undefined);
  assert.equal(w.size, 0, "nor one without a version");

  w.record("id", cm("9"), "app", undefined);
  now += RECENT_WRITE_TTL_MS + 1;
  assert.equal(w.fresher("id", undefined), undefined, "a missed watch event does not keep it for ever");
  w.record("x", cm("9"), "app", undefined);
  now += RECENT_WRITE_TTL_MS + 1;
  w.record("y", cm("10"), "other", undefined);
  assert.equal(w.size, 1, "expired entries go when new ones come, looked up or not");
});

const pruned = (rv: string, meta: Partial<KubeObject["metadata"]> = {}): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns", uid: "u1", resourceVersion: rv, ...meta }, data: { data: "v" } });
const TERMINATING = "2026-12-07T20:00:00Z";

test("RecentWrites: a pruned object is gone for the app's lookups while the watch shows it, terminating on the garbage collector alone, until the watch shows its deletion", () => {
  const w = new RecentWrites(() => 0);
  const before = pruned("5");
  w.recordDelete("id", before);
  assert.equal(w.present("id", before), undefined, "the copy from before the delete is not what the app manages any more");
  assert.equal(w.fresher("id", before), before, "a lookup by identity still sees it (a wave waits for its prunes to be gone)");
  assert.deepEqual(w.ofApp("app"), [], "a deletion is no written object");
  assert.deepEqual(w.inNamespace("ns"), []);

  const foreground = pruned("6", { deletionTimestamp: TERMINATING, finalizers: ["foregroundDeletion"] });
  w.seen("id", foreground);
  assert.equal(w.present("id", foreground), undefined, "a foreground delete's terminating copy: the collector finishes it");
  const orphaning = pruned("7", { deletionTimestamp: TERMINATING, finalizers: ["orphan"] });
  w.seen("id", orphaning);
  assert.equal(w.present("id", orphaning), undefined, "so does an orphaning one");
  w.seen("id", undefined);
  assert.equal(w.size, 0, "the watch showed the deletion: nothing left to hide");
  assert.equal(w.present("id", undefined), undefined);
});

test("RecentWrites: a deletion never hides another object of the name, one a finalizer holds, or anything after the TTL; a later write replaces it", () => {
  let now = 0;
  const w = new RecentWrites(() => now);
  w.recordDelete("id", pruned("5"));
  const recreated = pruned("9", { uid: "u2" });
  assert.equal(w.present("id", recreated), recreated, "created again since (another uid): shown");
  assert.equal(w.size, 0, "and the deletion is over");

  w.recordDelete("id", pruned("5"));
  const held = pruned("6", { deletionTimestamp: TERMINATING, finalizers: ["foregroundDeletion", "kubernetes.io/pvc-protection"] });
  w.seen("id", held);
  assert.equal(w.size, 0, "terminating but held by someone else's finalizer: shown terminating, as Argo shows it");
  assert.equal(w.present("id", held), held);

  w.recordDelete("id", pruned("5", { finalizers: ["example.com/cleanup"] }));
  assert.equal(w.size, 0, "an object whose deletion waits on another finalizer is not hidden at all");
  w.recordDelete("id", undefined);
  assert.equal(w.size, 0, "nor one the operator did not know");

  w.recordDelete("id", pruned("5"));
  now += RECENT_WRITE_TTL_MS + 1;
  const stuck = pruned("6", { deletionTimestamp: TERMINATING, finalizers: ["foregroundDeletion"] });
  assert.equal(w.present("id", stuck), stuck, "a deletion the collector has not finished within the TTL is shown again");

  now = 0;
  const v = new RecentWrites(() => now);
  v.recordDelete("id", pruned("5"));
  const replacement = pruned("8", { uid: "u3" });
  v.record("id", replacement, "app", pruned("5"));
  assert.equal(v.present("id", pruned("5")), replacement, "a forced replace's create after its delete: the new object is what the app manages");
  assert.deepEqual(v.ofApp("app").map(([, o]) => o), [replacement]);
});
