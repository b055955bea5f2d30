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
