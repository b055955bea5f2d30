// Runs every actions/action_test.yaml of the bundled customization tree (Argo's format:
// discoveryTests with the expected action list, actionTests with the expected output). An expected
// output is the modified object or, for actions that create objects, the list of
// {operation, resource}. Times the scripts stamp are written `${NOW}` (RFC 3339, UTC) or
// `${STAMP}` (YYYYMMDDhhmmss, UTC) and must lie between the test's start and end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { isRecord } from "../util/index.js";
import { bundledCustomizationsDir, createResourceActions, findScriptDirs, loadActionTree } from "./load.js";

interface ActionTestFile {
  discoveryTests?: Array<{ inputPath: string; result: Array<{ name: string; disabled?: boolean; iconClass?: string; displayName?: string }> }>;
  actionTests?: Array<{ action: string; inputPath: string; expectedOutputPath: string; parameters?: Record<string, string> }>;
}

const root = bundledCustomizationsDir();
const actions = createResourceActions();
const dirs = findScriptDirs(root, "actions");
const read = (dir: string, path: string): unknown => parse(readFileSync(join(dir, "actions", path), "utf8"), { version: "1.1" });

/** Second-resolution UTC instants of the placeholders, checked against [from, to]. */
function matchesWithTimes(expected: string, actual: string, from: Date, to: Date): boolean {
  const parts = expected.split(/(\$\{NOW\}|\$\{STAMP\})/);
  const re = new RegExp(`^${parts.map((p) => (p === "${NOW}" ? "(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ)" : p === "${STAMP}" ? "(\\d{14})" : p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("")}$`);
  const m = re.exec(actual);
  if (!m) return false;
  const lo = Math.floor(from.getTime() / 1000) * 1000;
  return m.slice(1).every((t) => {
    const iso = /^\d{14}$/.test(t) ? `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}Z` : t;
    const at = Date.parse(iso);
    return at >= lo && at <= to.getTime();
  });
}

/** Deep comparison where expected strings may hold time placeholders; returns the first difference. */
function difference(expected: unknown, actual: unknown, from: Date, to: Date, path = ""): string | undefined {
  if (typeof expected === "string" && expected.includes("${")) {
    return typeof actual === "string" && matchesWithTimes(expected, actual, from, to) ? undefined : `${path}: ${JSON.stringify(actual)} does not match ${expected} within the test's run`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: expected a list of ${expected.length}, got ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const d = difference(expected[i], actual[i], from, to, `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isRecord(expected)) {
    if (!isRecord(actual)) return `${path}: expected a map, got ${JSON.stringify(actual)}`;
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of keys) {
      const d = difference(expected[k], actual[k], from, to, `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return expected === actual ? undefined : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

test("the bundled tree has actions for the kinds Argo ships them for, each with tests", () => {
  const tree = loadActionTree(root);
  const names = (key: string): string[] => [...(tree.actions.get(key)?.definitions.keys() ?? [])].sort();
  assert.deepEqual(names("apps/Deployment"), ["pause", "restart", "resume"]);
  assert.deepEqual(names("apps/StatefulSet"), ["restart"]);
  assert.deepEqual(names("apps/DaemonSet"), ["restart"]);
  assert.deepEqual(names("batch/CronJob"), ["create-job", "resume", "suspend"]);
  assert.deepEqual(names("batch/Job"), ["resume", "suspend"]);
  assert.deepEqual(names("argoproj.io/Rollout"), ["abort", "pause", "promote-full", "restart", "resume", "retry"]);
  for (const dir of dirs) {
    const file = read(dir, "action_test.yaml") as ActionTestFile;
    const key = relative(root, dir);
    const tested = new Set((file.actionTests ?? []).map((t) => t.action));
    assert.deepEqual([...tested].sort(), names(key), `${key}: every action has an action test`);
    assert.ok((file.discoveryTests ?? []).length > 0, `${key}: discovery is tested`);
  }
});

for (const dir of dirs) {
  const key = relative(root, dir);
  const file = read(dir, "action_test.yaml") as ActionTestFile;
  for (const tc of file.discoveryTests ?? []) {
    test(`${key} discovery: ${tc.inputPath}`, () => {
      const got = actions.discover(read(dir, tc.inputPath) as Record<string, unknown>);
      assert.deepEqual(got.map((a) => ({ ...a, disabled: a.disabled ?? false })), tc.result.map((a) => ({ ...a, disabled: a.disabled ?? false })));
    });
  }
  for (const tc of file.actionTests ?? []) {
    test(`${key} ${tc.action}: ${tc.inputPath} → ${tc.expectedOutputPath}`, () => {
      const input = read(dir, tc.inputPath) as Record<string, unknown>;
      const expected = read(dir, tc.expectedOutputPath);
      const from = new Date();
      const impacted = actions.execute(structuredClone(input), tc.action, tc.parameters ?? {});
      const to = new Date();
      const actual = Array.isArray(expected) ? impacted : (assert.equal(impacted.length, 1, "one patched object"), assert.equal(impacted[0]!.operation, "patch"), impacted[0]!.resource);
      const d = difference(expected, actual, from, to);
      assert.equal(d, undefined, d);
    });
  }
}
