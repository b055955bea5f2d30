import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { EventRecorder } from "./events.js";
import { createLogger } from "./logger.js";

function recorder(): { rec: EventRecorder; calls: string[] } {
  const calls: string[] = [];
  const client = { request: (method: string, path: string) => { calls.push(`${method} ${path}`); return Promise.resolve({}); } } as unknown as KubeClient;
  return { rec: new EventRecorder(client, "test", createLogger({ level: "error" })), calls };
}
const app = (i: number): KubeObject => ({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: `app-${i}`, namespace: "ns", uid: `uid-${i}` } });

test("a repeat within ten minutes bumps the Event's count; after ten minutes it is a new Event", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-12-07T10:00:00Z") });
  const { rec, calls } = recorder();
  await rec.record(app(1), "Normal", "Synced", "sync succeeded");
  await rec.record(app(1), "Normal", "Synced", "sync succeeded");
  t.mock.timers.tick(9 * 60_000);
  await rec.record(app(1), "Normal", "Synced", "sync succeeded");
  // Ten minutes after the last repeat (not the first): a new Event.
  t.mock.timers.tick(10 * 60_000 + 1);
  await rec.record(app(1), "Normal", "Synced", "sync succeeded");
  assert.deepEqual(calls.map((c) => c.split(" ")[0]), ["POST", "PATCH", "PATCH", "POST"]);
});

test("a burst of distinct Events keeps the recent ones for aggregation and forgets the oldest beyond the bound", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-12-07T10:00:00Z") });
  const { rec, calls } = recorder();
  await rec.record(app(0), "Normal", "Synced", "first");
  for (let i = 1; i <= 25_000; i++) await rec.record(app(i), "Normal", "Synced", "burst");
  calls.length = 0;
  await rec.record(app(25_000), "Normal", "Synced", "burst"); // recent: aggregated
  await rec.record(app(0), "Normal", "Synced", "first"); // forgotten past the bound: a new Event
  assert.deepEqual(calls.map((c) => c.split(" ")[0]), ["PATCH", "POST"]);
});

test("an Event bumped recently is kept while older ones are pruned", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-12-07T10:00:00Z") });
  const { rec, calls } = recorder();
  await rec.record(app(1), "Warning", "SyncFailed", "x");
  await rec.record(app(2), "Warning", "SyncFailed", "x");
  t.mock.timers.tick(6 * 60_000);
  await rec.record(app(1), "Warning", "SyncFailed", "x"); // bumped: its window starts again
  t.mock.timers.tick(6 * 60_000);
  await rec.record(app(3), "Warning", "SyncFailed", "x"); // prunes app 2's (12 minutes old)
  calls.length = 0;
  await rec.record(app(1), "Warning", "SyncFailed", "x");
  await rec.record(app(2), "Warning", "SyncFailed", "x");
  assert.deepEqual(calls.map((c) => c.split(" ")[0]), ["PATCH", "POST"]);
});

/**
 * A recorder whose Events wait in a stand-in for the limiter's low lane until the test writes them,
 * in any order it likes: the order Events reach the apiserver is not the order they happened in.
 */
function heldRecorder(): { rec: EventRecorder; calls: Array<{ method: string; body: { count?: number; lastTimestamp?: string } }>; write: (i: number) => Promise<void> } {
  const calls: Array<{ method: string; body: { count?: number; lastTimestamp?: string } }> = [];
  const client = {
    request: (method: string, _path: string, opts: { body: { count?: number; lastTimestamp?: string } }) => {
      calls.push({ method, body: opts.body });
      return Promise.resolve({});
    },
  } as unknown as KubeClient;
  const held: Array<() => Promise<void>> = [];
  const limiter = {
    run: <T>(fn: () => Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
      held.push(() => fn().then(resolve, reject));
    }),
  };
  const rec = new EventRecorder(client, "test", createLogger({ level: "error" }), "default", { limiter });
  // The i-th Event recorded is written now; record() resolves once it is.
  const write = async (i: number): Promise<void> => {
    const fn = held[i];
    assert.ok(fn, `Event ${i} was recorded`);
    await fn();
  };
  return { rec, calls, write };
}

test("repeats written out of the order they happened: the window runs from the latest occurrence, and lastTimestamp never goes back", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-12-07T10:00:00Z") });
  const { rec, calls, write } = heldRecorder();
  const first = rec.record(app(1), "Warning", "SyncFailed", "x");
  await write(0);
  await first;
  t.mock.timers.tick(8 * 60_000);
  const at8 = rec.record(app(1), "Warning", "SyncFailed", "x");
  t.mock.timers.tick(60_000);
  const at9 = rec.record(app(1), "Warning", "SyncFailed", "x");
  t.mock.timers.tick(30_000);
  await write(2); // the 10:09 repeat first,
  await write(1); // then the one of 10:08
  await Promise.all([at8, at9]);
  // 10:18:30 is within ten minutes of 10:09, the latest occurrence, though not of 10:08, the last written.
  t.mock.timers.tick(9 * 60_000);
  const at1830 = rec.record(app(1), "Warning", "SyncFailed", "x");
  await write(3);
  await at1830;
  assert.deepEqual(calls.map((c) => [c.method, c.body.count, c.body.lastTimestamp]), [
    ["POST", 1, "2026-12-07T10:00:00.000Z"],
    ["PATCH", 2, "2026-12-07T10:09:00.000Z"],
    ["PATCH", 3, "2026-12-07T10:09:00.000Z"],
    ["PATCH", 4, "2026-12-07T10:18:30.000Z"],
  ]);
});

test("an Event created again after its window counts as just written: the bound drops the least recently written, and pruning goes past none that is stale", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-12-07T10:00:00Z") });
  const { rec, calls } = recorder();
  await rec.record(app(0), "Normal", "Synced", "x"); // 10:00, first in the map
  t.mock.timers.tick(60_000);
  for (let i = 1; i < 20_000; i++) await rec.record(app(i), "Normal", "Synced", "x"); // 10:01
  t.mock.timers.tick(9 * 60_000 + 30_000);
  // 10:10:30: app 0's Event is past its window, so this is a new Event, written after all the others.
  await rec.record(app(0), "Normal", "Synced", "x");
  assert.equal(rec.remembered, 20_000);
  await rec.record(app(20_000), "Normal", "Synced", "x"); // one over the bound: app 1's goes, the least recently written
  assert.equal(rec.remembered, 20_000);
  calls.length = 0;
  await rec.record(app(0), "Normal", "Synced", "x");
  await rec.record(app(2), "Normal", "Synced", "x");
  await rec.record(app(1), "Normal", "Synced", "x"); // a new Event again: app 3's goes
  assert.deepEqual(calls.map((c) => c.split(" ")[0]), ["PATCH", "PATCH", "POST"], "apps 0 and 2 remembered, app 1 forgotten");
  assert.equal(rec.remembered, 20_000);
  // 10:11:30: apps 4..19,999 were last written more than ten minutes ago, and all of them go; those
  // written since (apps 0, 20,000, 2, 1) stay.
  t.mock.timers.tick(60_000);
  await rec.record(app(20_001), "Normal", "Synced", "x");
  assert.equal(rec.remembered, 5, "apps 0, 1, 2, 20,000 and 20,001");
});

test("Events written in the reverse of the order they happened: the 20,000 bound holds and drops the least recently written", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-12-07T10:00:00Z") });
  const { rec, calls, write } = heldRecorder();
  const n = 25_000;
  const recorded: Array<Promise<void>> = [];
  for (let i = 0; i < n; i++) {
    recorded.push(rec.record(app(i), "Normal", "Synced", "x"));
    t.mock.timers.tick(1);
  }
  t.mock.timers.tick(60_000);
  for (let i = n - 1; i >= 0; i--) await write(i);
  await Promise.all(recorded);
  assert.equal(rec.remembered, 20_000);
  calls.length = 0;
  // Written last, though they happened first: remembered. Written first: forgotten.
  const again = [rec.record(app(0), "Normal", "Synced", "x"), rec.record(app(19_999), "Normal", "Synced", "x"), rec.record(app(20_000), "Normal", "Synced", "x"), rec.record(app(n - 1), "Normal", "Synced", "x")];
  for (let i = n; i < n + 4; i++) await write(i);
  await Promise.all(again);
  assert.deepEqual(calls.map((c) => c.method), ["PATCH", "PATCH", "POST", "POST"]);
  assert.ok(rec.remembered <= 20_000);
});
