// The diff engine's cases are fixtures (testdata/*.yaml, run by fixtures.test.ts). Here: what needs
// code around diff() — the seeds beside the repository, the server-side runner call, quantity
// parsing and the unified text diff.
import { test } from "node:test";
import assert from "node:assert/strict";
// eslint-disable-next-line no-restricted-imports -- tests read their YAML fixtures; the code under test does not
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { seedsDir } from "../../../test/crds/seeds.js";
import { parseArgoSettings } from "../settings.js";
import { diff, diffServerSide, quantityNanos, unifiedDiff, type IgnoreDifferencesEntry, type JsonObject } from "./index.js";

interface Case {
  desired: JsonObject | null;
  live: JsonObject | null;
}
const load = (name: string): Case => parse(readFileSync(fileURLToPath(new URL(`./testdata/${name}`, import.meta.url)), "utf8"), { version: "1.1" }) as Case;

test("seed 004: ignoreDifferences on Deployment /spec/replicas and Service .spec.clusterIP", { skip: !seedsDir() }, async () => {
  const app = parse(readFileSync(join(seedsDir()!, "004", "app-ignore-differences.yaml"), "utf8")) as { spec: { ignoreDifferences: IgnoreDifferencesEntry[] } };
  const deploy = load("deployment-hpa-replicas.yaml");
  const svc = load("service-clusterip.yaml");
  assert.equal((await diff(deploy.desired, deploy.live)).modified, true);
  assert.equal((await diff(svc.desired, svc.live)).modified, true);
  const opts = { ignoreDifferences: app.spec.ignoreDifferences };
  assert.equal((await diff(deploy.desired, deploy.live, opts)).modified, false);
  const svcResult = await diff(svc.desired, svc.live, opts);
  assert.equal(svcResult.modified, false);
  assert.deepEqual(svcResult.warnings, []);
  assert.equal((svcResult.normalizedLive?.spec as JsonObject).clusterIP, undefined);
  // The rules are scoped by group/kind: the Service rule does not hide a Deployment change.
  const image = load("image-changed.yaml");
  assert.equal((await diff(image.desired, image.live, opts)).modified, true);
});

test("server-side mode compares live with the dry-run result", async () => {
  const c = load("deployment-hpa-replicas.yaml");
  const runner = {
    calls: 0,
    async dryRunApply(desired: JsonObject): Promise<JsonObject> {
      this.calls++;
      const out = structuredClone(c.live!);
      (out.spec as JsonObject).replicas = (desired.spec as JsonObject).replicas!;
      return out;
    },
  };
  const r = await diffServerSide(c.desired, c.live, runner);
  assert.equal(runner.calls, 1);
  assert.equal(r.mode, "server-side");
  assert.equal(r.modified, true);
  const same = await diffServerSide(c.desired, c.live, { dryRunApply: async () => structuredClone(c.live!) });
  assert.equal(same.modified, false);
});

test("quantities compare by value", () => {
  assert.equal(quantityNanos("1000m"), quantityNanos("1"));
  assert.equal(quantityNanos("0.5"), quantityNanos("500m"));
  assert.equal(quantityNanos("1Gi"), quantityNanos("1073741824"));
  assert.equal(quantityNanos("1e3"), quantityNanos("1k"));
  assert.notEqual(quantityNanos("1G"), quantityNanos("1Gi"));
  assert.equal(quantityNanos("abc"), undefined);
});

test("unifiedDiff shows changed lines with context", () => {
  const a = "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\ni: 9\n";
  const b = "a: 1\nb: 2\nc: 3\nd: 4\ne: 50\nf: 6\ng: 7\nh: 8\ni: 9\n";
  assert.equal(unifiedDiff(a, b, "live", "target"), "--- live\n+++ target\n@@ -2,7 +2,7 @@\n b: 2\n c: 3\n d: 4\n-e: 5\n+e: 50\n f: 6\n g: 7\n h: 8\n");
  assert.equal(unifiedDiff(a, a, "x", "y"), "");
  assert.equal(unifiedDiff("", "x: 1\n", "x", "y"), "--- x\n+++ y\n@@ -0,0 +1,1 @@\n+x: 1\n");
});

test("seed 003 argocd-cm: status is ignored for every kind", { skip: !seedsDir() }, async () => {
  const cm = parse(readFileSync(join(seedsDir()!, "003", "argocd-cm.yaml"), "utf8")) as { data: Record<string, string> };
  const settings = parseArgoSettings(cm.data);
  const desired = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { size: 1 }, status: { phase: "Ready" } };
  const live = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { size: 1 }, status: { phase: "Pending" } };
  assert.equal((await diff(desired, live, { settings })).modified, false);
  const none = parseArgoSettings({ ...cm.data, "resource.compareoptions": "ignoreResourceStatusField: none\n" });
  assert.equal((await diff(desired, live, { settings: none })).modified, true);
});
