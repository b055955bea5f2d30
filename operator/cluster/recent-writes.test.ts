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
