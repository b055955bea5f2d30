import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationObject } from "../cache.js";
import { aggregateStatus, renderBadge } from "./badge.js";

const app = (health: string, sync: string): ApplicationObject => ({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "a" }, spec: {}, status: { health: { status: health }, sync: { status: sync } } }) as unknown as ApplicationObject;

test("aggregateStatus: any non-Healthy app is Degraded, any non-Synced OutOfSync", () => {
  assert.deepEqual(aggregateStatus([app("Healthy", "Synced"), app("Healthy", "Synced")]), { health: "Healthy", sync: "Synced" });
  assert.deepEqual(aggregateStatus([app("Healthy", "Synced"), app("Progressing", "Synced")]), { health: "Degraded", sync: "Synced" });
  assert.deepEqual(aggregateStatus([app("Healthy", "OutOfSync"), app("Healthy", "Synced")]), { health: "Healthy", sync: "OutOfSync" });
});

test("renderBadge: segments in order, text escaped, width stretched, Not Found replaces the statuses", () => {
  const svg = renderBadge({ label: "a<b>&c", health: "Healthy", sync: "Synced", revision: "abc1234" });
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(texts, ["a&lt;b&gt;&amp;c", "Healthy", "Synced", "abc1234"], "label, health, sync, revision; the label escaped");
  assert.ok(!svg.includes("a<b>"), "no raw markup from the name");
  const narrow = Number(/width="(\d+)"/.exec(renderBadge({ health: "Healthy", sync: "Synced" }))![1]);
  const wide = Number(/width="(\d+)"/.exec(renderBadge({ health: "Healthy", sync: "Synced" }, 600))![1]);
  assert.ok(narrow < 600, `the natural width is small: ${narrow}`);
  assert.equal(wide, 600, "width sets the total");
  const missing = renderBadge({ health: "Unknown", sync: "Unknown", notFound: true });
  assert.deepEqual([...missing.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]), ["Not Found"]);
});
