import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { seedsDir } from "../../test/crds/seeds.js";
import { evaluateResourceHealth, getResourceHealth } from "../engine/health/index.js";
import { parseArgoSettings } from "../engine/settings.js";
import { INVALID_HEALTH_STATUS, LuaHealthOverride, type CustomizationTree } from "./customizations.js";
import { LuaScriptError, sharedLuaSandbox } from "./vm.js";

const ingress = { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "i" }, status: { loadBalancer: {} } };
const script = (status: string, message = ""): string => `return { status = "${status}", message = "${message}" }`;
const tree = (origin: string, entries: Record<string, string>): CustomizationTree => ({ origin, health: new Map(Object.entries(entries)) });

test("seed 003 argocd-cm: the Lua Ingress override makes a pending Ingress Healthy", { skip: !seedsDir() }, () => {
  const cm = parse(readFileSync(join(seedsDir()!, "003", "argocd-cm.yaml"), "utf8")) as { data: Record<string, string> };
  const settings = parseArgoSettings(cm.data);
  assert.deepEqual(settings.errors, []);
  const override = new LuaHealthOverride({ resourceOverrides: settings.resourceOverrides });
  assert.equal(getResourceHealth(ingress)?.status, "Progressing");
  assert.deepEqual(getResourceHealth(ingress, override), { status: "Healthy" });
});

test("precedence: argocd-cm exact > argocd-cm wildcard > first tree > later tree > built-in", () => {
  const trees = [tree("user", { "networking.k8s.io/Ingress": script("Degraded", "user") }), tree("bundled", { "networking.k8s.io/Ingress": script("Suspended", "bundled") })];
  const cm = (data: Record<string, string>) => parseArgoSettings(data).resourceOverrides;
  const exact = new LuaHealthOverride({ resourceOverrides: cm({ "resource.customizations.health.networking.k8s.io_Ingress": script("Healthy", "exact"), "resource.customizations": `"*.k8s.io/*":\n  health.lua: |\n    ${script("Healthy", "wild")}\n` }), trees });
  assert.deepEqual(exact.getResourceHealth(ingress), { status: "Healthy", message: "exact" });
  const wild = new LuaHealthOverride({ resourceOverrides: cm({ "resource.customizations": `"*.k8s.io/*":\n  health.lua: |\n    ${script("Healthy", "wild")}\n` }), trees });
  assert.deepEqual(wild.getResourceHealth(ingress), { status: "Healthy", message: "wild" });
  assert.deepEqual(new LuaHealthOverride({ trees }).getResourceHealth(ingress), { status: "Degraded", message: "user" });
  assert.deepEqual(new LuaHealthOverride({ trees: trees.slice(1) }).getResourceHealth(ingress), { status: "Suspended", message: "bundled" });
  assert.equal(new LuaHealthOverride({ trees: [] }).getResourceHealth(ingress), undefined);
});

test("directory wildcards: '_' stands for '*' and does not cross the group/Kind separator", () => {
  const o = new LuaHealthOverride({ trees: [tree("t", { "_.crossplane.io/_": script("Healthy", "xp") })] });
  assert.ok(o.findHealthScript("database.example.crossplane.io", "PostgreSQLInstance"));
  assert.equal(o.findHealthScript("crossplane.io", "Thing"), undefined);
  assert.equal(o.findHealthScript("example.org", "Thing"), undefined);
});

test("core kinds are keyed by Kind alone", () => {
  const settings = parseArgoSettings({ "resource.customizations.health.ConfigMap": script("Degraded", "cm") });
  const o = new LuaHealthOverride({ resourceOverrides: settings.resourceOverrides });
  assert.deepEqual(o.getResourceHealth({ apiVersion: "v1", kind: "ConfigMap", metadata: {} }), { status: "Degraded", message: "cm" });
});

test("useOpenLibs applies to argocd-cm scripts; directory scripts always get them", () => {
  const body = `return { status = type(coroutine) == "table" and "Healthy" or "Degraded" }`;
  const without = new LuaHealthOverride({ resourceOverrides: parseArgoSettings({ "resource.customizations.health.networking.k8s.io_Ingress": body }).resourceOverrides });
  assert.equal(without.getResourceHealth(ingress)?.status, "Degraded");
  const withLibs = new LuaHealthOverride({ resourceOverrides: parseArgoSettings({ "resource.customizations.health.networking.k8s.io_Ingress": body, "resource.customizations.useOpenLibs.networking.k8s.io_Ingress": "true" }).resourceOverrides });
  assert.equal(withLibs.getResourceHealth(ingress)?.status, "Healthy");
  assert.equal(new LuaHealthOverride({ trees: [tree("t", { "networking.k8s.io/Ingress": body })] }).getResourceHealth(ingress)?.status, "Healthy");
});

test("result rules: invalid status → Unknown, non-table → error, nil → no opinion", () => {
  const run = (body: string) => new LuaHealthOverride({ trees: [tree("t", { "networking.k8s.io/Ingress": body })] }).getResourceHealth(ingress);
  assert.deepEqual(run(`return { status = "Fine" }`), { status: "Unknown", message: INVALID_HEALTH_STATUS });
  assert.throws(() => run(`return "Healthy"`), (e: unknown) => e instanceof LuaScriptError && /expect table output from Lua script, not string/.test(e.message));
  assert.equal(run(`return nil`), undefined);
  assert.throws(() => run(`return obj.spec.rules[1].host`), LuaScriptError);
});

test("a health script that overruns its budget gives Unknown naming the script, and the next one works", { timeout: 120_000 }, () => {
  // The catastrophic gsub runs inside one library call, where the VM's hook never fires.
  const gsub = `local s = string.rep("a", 20000) s:gsub(".-.-b", "x") return { status = "Healthy" }`;
  const slow = new LuaHealthOverride({ resourceOverrides: parseArgoSettings({ "resource.customizations.health.networking.k8s.io_Ingress": gsub }).resourceOverrides, timeoutMs: 100 });
  const res = evaluateResourceHealth(ingress, slow);
  assert.equal(res.health?.status, "Unknown");
  assert.match(res.health?.message ?? "", /^argocd-cm networking\.k8s\.io\/Ingress: script was stopped after exceeding its time budget of 100 ms/);
  const doubling = new LuaHealthOverride({ trees: [tree("/custom", { "networking.k8s.io/Ingress": `local s = "x" for i = 1, 40 do s = s .. s end return { status = "Healthy" }` })], timeoutMs: 60_000 });
  const mem = evaluateResourceHealth(ingress, doubling);
  assert.equal(mem.health?.status, "Unknown");
  assert.match(mem.health?.message ?? "", /^\/custom\/networking\.k8s\.io\/Ingress\/health\.lua: script exceeded its memory budget/);
  assert.deepEqual(new LuaHealthOverride({ trees: [tree("t", { "networking.k8s.io/Ingress": script("Healthy", "ok") })] }).getResourceHealth(ingress), { status: "Healthy", message: "ok" });
});

test("an object that made a script overrun is not run again until it changes, so it cannot stall every refresh", { timeout: 120_000 }, () => {
  const gsub = `if obj.status.slow then local s = string.rep("a", 20000) s:gsub(".-.-b", "x") end return { status = "Healthy" }`;
  const o = new LuaHealthOverride({ trees: [tree("t", { "networking.k8s.io/Ingress": gsub })], timeoutMs: 100 });
  const crafted = { ...ingress, metadata: { name: "i", uid: "u-1", resourceVersion: "7" }, status: { slow: true } };
  const restarts = sharedLuaSandbox().restarts;
  const first = evaluateResourceHealth(crafted, o);
  assert.equal(first.health?.status, "Unknown");
  assert.equal(sharedLuaSandbox().restarts, restarts + 1, "the first assessment ran the script until the hard stop");
  const again = evaluateResourceHealth(crafted, o);
  assert.deepEqual(again.health, first.health, "the same version of the object gets the same verdict");
  assert.equal(sharedLuaSandbox().restarts, restarts + 1, "without running the script again");
  // A new version of the object is assessed afresh.
  assert.deepEqual(evaluateResourceHealth({ ...crafted, metadata: { ...crafted.metadata, resourceVersion: "8" }, status: { slow: false } }, o).health, { status: "Healthy" });
});
