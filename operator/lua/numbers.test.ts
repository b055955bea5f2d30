// Numbers in Lua scripts behave as in Argo CD's gopher-lua, where every number is a float64:
// integers past 2^31 in a resource (a size in bytes, a large generation, a time in ms) can be read,
// compared and computed on, precision past 2^53 is lost as a float64 loses it, and what a script
// returns comes back as JSON numbers (an integral value is an integer, never "1.0" or a string).
// fengari, the VM underneath, has 32-bit integers; see fengari-conf.ts and engine.ts's pushValue.
import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateResourceHealth } from "../engine/health/index.js";
import { parseArgoSettings } from "../engine/settings.js";
import { LuaHealthOverride } from "./customizations.js";
import { runLua } from "./vm.js";

const GiB = 1024 * 1024 * 1024;

test("values past 2^31 from a resource are read, compared and computed on", () => {
  const obj = { spec: { memoryBytes: 64 * GiB, replicas: 3 }, status: { observedGeneration: 2 ** 31, lastSeenMs: 1_764_547_200_000 } };
  const r = runLua(`
    local s, m = obj.status, obj.spec.memoryBytes
    return {
      read = m, gen = s.observedGeneration,
      gt = m > 4294967296, lt = s.observedGeneration < 2147483649, eq = s.observedGeneration == 2^31,
      sum = s.lastSeenMs + 86400000, diff = m - 1, product = m * 2, quotient = m / 1024, mod = s.lastSeenMs % 1000,
      floor = math.floor(m / 3), max = math.max(m, s.lastSeenMs),
      text = tostring(s.lastSeenMs), concat = "gen " .. s.observedGeneration,
      formatted = string.format("%d bytes, %5d replicas, %i ms", m, obj.spec.replicas, s.lastSeenMs),
      parsed = tonumber("68719476736") == m,
    }`, { globals: { obj } });
  assert.deepEqual(r, {
    read: 64 * GiB, gen: 2 ** 31,
    gt: true, lt: true, eq: true,
    sum: 1_764_633_600_000, diff: 64 * GiB - 1, product: 128 * GiB, quotient: 64 * 1024 * 1024, mod: 0,
    floor: Math.floor((64 * GiB) / 3), max: Math.max(64 * GiB, 1_764_547_200_000),
    text: "1764547200000", concat: "gen 2147483648",
    formatted: "68719476736 bytes,     3 replicas, 1764547200000 ms",
    parsed: true,
  });
});

test("arithmetic does not wrap at 2^31, in numerals or on values from the resource", () => {
  const r = runLua(`return {
    fromObj = obj.spec.replicas * obj.spec.bytesPerReplica, literal = 3 * 1024 * 1024 * 1024,
    next = 2147483647 + 1, hex = 0xFFFFFFFF, coerced = "3000000000" + 1, negative = -2147483648 - 1,
  }`, { globals: { obj: { spec: { replicas: 4, bytesPerReplica: GiB } } } });
  assert.deepEqual(r, { fromObj: 4 * GiB, literal: 3 * GiB, next: 2 ** 31, hex: 2 ** 32 - 1, coerced: 3_000_000_001, negative: -(2 ** 31) - 1 });
});

test("past 2^53 precision is lost exactly as a float64 loses it", () => {
  const big = 2 ** 53 + 2;
  const r = runLua(`return { plus = obj.n + 1, same = 2^53 + 1 == 2^53, text = tostring(2^53), huge = tostring(obj.n) }`, { globals: { obj: { n: big } } });
  // The sum rounds to even in float64, in JS as in Go.
  assert.deepEqual(r, { plus: big + 1, same: true, text: "9007199254740992", huge: "9007199254740994" });
});

test("what a script returns is JSON with integers as integers", () => {
  const r = runLua(`return { a = 2^32, b = 4294967296.0, c = obj.n, d = 10 / 4, e = 7, list = { 2^40, 1, 2 }, keyed = { [2^40] = "far" } }`, { globals: { obj: { n: 68_719_476_736 } } });
  assert.equal(
    JSON.stringify(r),
    '{"a":4294967296,"b":4294967296,"c":68719476736,"d":2.5,"e":7,"list":[1099511627776,1,2],"keyed":{"1099511627776":"far"}}',
  );
});

test("an action-style script that edits one field writes the large numbers back unchanged", () => {
  // The shape of Argo's resource actions: modify obj, return it.
  const obj = {
    apiVersion: "backup.example.com/v1",
    kind: "Backup",
    metadata: { name: "nightly", generation: 2 ** 31 + 5, annotations: { keep: "yes" } },
    spec: { quotaBytes: 500 * GiB, retentionMs: 30 * 86_400_000, copies: 3, ratio: 0.75, schedule: [0, 2 ** 40] },
    status: { observedGeneration: 2 ** 31 + 5, sizeBytes: 68_719_476_736, lastRunMs: 1_764_547_200_000 },
  };
  const action = `
    obj.metadata.annotations["example.com/restartedAt"] = "2026-12-06T00:00:00Z"
    obj.spec.quotaBytes = obj.spec.quotaBytes
    obj.status.lastRunMs = obj.status.lastRunMs + 0
    return obj`;
  const out = runLua(action, { globals: { obj } });
  assert.deepEqual(out, { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, "example.com/restartedAt": "2026-12-06T00:00:00Z" } } });
  assert.equal(JSON.stringify((out as typeof obj).spec), JSON.stringify(obj.spec), "the spec serialises byte for byte as it came in");
  assert.equal(JSON.stringify((out as typeof obj).status), '{"observedGeneration":2147483653,"sizeBytes":68719476736,"lastRunMs":1764547200000}');
});

// A user's own script in argocd-cm, evaluated as the controller evaluates health.
const BACKUP_HEALTH = `
local quota = obj.spec.quotaBytes or 4 * 1024 * 1024 * 1024
local size = obj.status.sizeBytes
if obj.metadata.generation > obj.status.observedGeneration then
  return { status = "Progressing", message = "generation " .. obj.metadata.generation .. " not observed yet" }
end
if size > quota then
  return { status = "Degraded", message = string.format("%d bytes over the quota of %d", size - quota, quota) }
end
return { status = "Healthy", message = "last run at " .. obj.status.lastRunMs .. " ms, next at " .. (obj.status.lastRunMs + 86400000) }
`;
const backupOverride = new LuaHealthOverride({ resourceOverrides: parseArgoSettings({ "resource.customizations.health.backup.example.com_Backup": BACKUP_HEALTH }).resourceOverrides });
const backup = (spec: Record<string, unknown>, status: Record<string, unknown>, generation: number) => ({ apiVersion: "backup.example.com/v1", kind: "Backup", metadata: { name: "nightly", generation }, spec, status });

test("argocd-cm resource.customizations.health script reading fields past 2^31", () => {
  const run = (o: ReturnType<typeof backup>) => evaluateResourceHealth(o, backupOverride).health;
  assert.deepEqual(run(backup({ quotaBytes: 100 * GiB }, { observedGeneration: 2 ** 32, sizeBytes: 64 * GiB, lastRunMs: 1_764_547_200_000 }, 2 ** 32)), { status: "Healthy", message: "last run at 1764547200000 ms, next at 1764633600000" });
  assert.deepEqual(run(backup({}, { observedGeneration: 2 ** 32, sizeBytes: 5 * GiB, lastRunMs: 0 }, 2 ** 32)), { status: "Degraded", message: "1073741824 bytes over the quota of 4294967296" });
  assert.deepEqual(run(backup({}, { observedGeneration: 2 ** 32, sizeBytes: 0, lastRunMs: 0 }, 2 ** 32 + 1)), { status: "Progressing", message: "generation 4294967297 not observed yet" });
});
