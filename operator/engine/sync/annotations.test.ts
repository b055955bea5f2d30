import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import { deletionApproved, hookDeletePolicies, hookTypes, isHook, isSkipped, parseSyncOptions, syncWave, type SyncOptions } from "./annotations.js";
import { parseBackoffDuration, parseGoDuration, formatGoDuration } from "./duration.js";
import { loadYaml } from "./testdata/fixtures.js";
import type { KubeObject } from "./types.js";

interface AnnotationCase {
  name: string;
  object: KubeObject;
  hook: boolean;
  skip?: boolean;
  types: string[];
  policies: string[];
  wave?: number;
  waveError?: string;
}

for (const c of loadYaml<AnnotationCase[]>("annotations.yaml")) {
  test(`annotations: ${c.name}`, () => {
    assert.equal(isHook(c.object), c.hook, "isHook");
    assert.equal(isSkipped(c.object), c.skip ?? false, "isSkipped");
    assert.deepEqual(hookTypes(c.object), c.types, "hook types");
    assert.deepEqual(hookDeletePolicies(c.object), c.policies, "delete policies");
    if (c.waveError !== undefined) assert.throws(() => syncWave(c.object), { message: c.waveError });
    else assert.equal(syncWave(c.object), c.wave);
  });
}

interface OptionsCase {
  name: string;
  scope: "app" | "resource";
  options: string[];
  expect: SyncOptions;
  unknown: string[];
  warnings?: string[];
}

for (const c of loadYaml<OptionsCase[]>("sync-options.yaml")) {
  test(`sync options: ${c.name}`, () => {
    const parsed = parseSyncOptions(c.options, c.scope);
    assert.deepEqual(parsed.options, c.expect);
    assert.deepEqual(parsed.unknown, c.unknown);
    assert.deepEqual(parsed.warnings, c.warnings ?? []);
  });
}

const durations = loadYaml<{ valid: Record<string, number>; invalid: string[] }>("durations.yaml");

test("Go durations: valid", () => {
  for (const [input, ms] of Object.entries(durations.valid)) {
    const got = parseGoDuration(input);
    assert.ok(Math.abs(got - ms) < 1e-9 * Math.max(1, Math.abs(ms)), `${input}: got ${got}, want ${ms}`);
  }
});

test("Go durations: invalid", () => {
  for (const input of durations.invalid) {
    assert.throws(() => parseGoDuration(input), /time: /, JSON.stringify(input));
  }
});

test("Go durations: error messages as Go's", () => {
  assert.throws(() => parseGoDuration("3"), { message: 'time: missing unit in duration "3"' });
  assert.throws(() => parseGoDuration("1d"), { message: 'time: unknown unit "d" in duration "1d"' });
  assert.throws(() => parseGoDuration(""), { message: 'time: invalid duration ""' });
});

test("retry backoff durations: a bare integer is seconds", () => {
  assert.equal(parseBackoffDuration("5"), 5000);
  assert.equal(parseBackoffDuration("5s"), 5000);
  assert.equal(parseBackoffDuration("3m"), 180000);
  assert.throws(() => parseBackoffDuration("soon"));
});

test("formatting durations as Go does", () => {
  assert.equal(formatGoDuration(0), "0s");
  assert.equal(formatGoDuration(1500), "1.5s");
  assert.equal(formatGoDuration(150000), "2m30s");
  assert.equal(formatGoDuration(3723000), "1h2m3s");
  assert.equal(formatGoDuration(13), "13ms");
});

describe("deletionApproved (argocd.argoproj.io/deletion-approved)", () => {
  const start = "2026-12-06T10:00:00.400Z";
  it("confirms an RFC 3339 approval given since the start, at whole-second precision", () => {
    assert.equal(deletionApproved("2026-12-06T10:00:05Z", start), true, "later");
    assert.equal(deletionApproved("2026-12-06T10:00:00Z", start), true, "in the start's own second (Argo stores seconds)");
    assert.equal(deletionApproved("2026-12-06T11:00:05+01:00", start), true, "an offset is a time like any other");
  });
  it("refuses a stale approval (attack: an old annotation confirmed every later prune)", () => {
    assert.equal(deletionApproved("2026-12-06T09:59:59Z", start), false, "given before the operation started");
    assert.equal(deletionApproved("2026-12-06T10:30:00+01:00", start), false, "earlier once the offset is applied (string order would say later)");
  });
  it("refuses values that are not a time", () => {
    for (const v of [undefined, "", "true", "yes", "2026-12-06", "tomorrow", "2026-13-40T99:00:00Z"]) {
      assert.equal(deletionApproved(v, start), false, `not an approval: ${String(v)}`);
    }
    assert.equal(deletionApproved("2026-12-06T10:00:05Z", undefined), false, "nothing to compare with");
  });
});

test("ServerSideApply=false is parsed but said not to be honoured (Hawser applies server-side only)", () => {
  const parsed = parseSyncOptions(["ServerSideApply=false"]);
  assert.equal(parsed.options.serverSideApply, false);
  assert.deepEqual(parsed.warnings, ['sync option "ServerSideApply=false": Hawser always applies server-side (field manager hawser); client-side apply is not supported']);
  assert.deepEqual(parseSyncOptions(["ServerSideApply=true"]).warnings, [], "true is what Hawser does anyway");
});
