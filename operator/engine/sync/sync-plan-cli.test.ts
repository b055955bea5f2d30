// `hawser sync-plan` run as a process over the fixture directory testdata/cli.
import { test } from "node:test";
import assert from "node:assert/strict";
// eslint-disable-next-line no-restricted-imports -- the test runs the CLI; the engine itself spawns nothing
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../../paths.js";
import { loadYaml, testdataDir } from "./testdata/fixtures.js";

const cliDir = join(testdataDir, "cli");

function hawser(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(packageRoot(), "operator", "cli.ts"), "sync-plan", ...args], {
    cwd: packageRoot(), encoding: "utf8", input,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const planArgs = [
  "--target", join(cliDir, "target"), "--live", join(cliDir, "live.yaml"), "--namespace", "shop",
  "--prune", "--prune-last", "--revision", "0A1B2C3D4E5F", "--started-at", "2026-11-23T10:00:00Z",
];

test("sync-plan: JSON order of a fixture directory (YAML and JSON files, live List, prune, PruneLast)", () => {
  const r = hawser([...planArgs, "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), loadYaml<unknown>("cli/expected.json"));
});

test("sync-plan: table output", () => {
  const r = hawser(planArgs);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0] ?? "", /^PHASE\s+WAVE\s+KIND\s+NAMESPACE\s+NAME\s+HOOK\s+OPERATION\s+DELETE POLICIES$/);
  assert.equal(lines.length, 8);
  assert.match(lines[6] ?? "", /^Sync\s+3\s+Secret\s+shop\s+keep\s+prune \(skipped: no-prune\)$/);
});

test("sync-plan: manifests from stdin", () => {
  const r = hawser(["--target", "-", "-o", "json"], "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [
    { phase: "Sync", wave: 0, group: "", kind: "ConfigMap", namespace: "x", name: "a", hook: false, operation: "create", deletePolicies: [] },
  ]);
});

const badInput: Array<[string, string[], RegExp, string?]> = [
  ["no --target", [], /--target is required/],
  ["unknown output", ["--target", join(cliDir, "target"), "-o", "yaml"], /--output must be json or table/],
  ["missing path", ["--target", join(cliDir, "nope")], /nope: no such file or directory/],
  ["bad wave", ["--target", join(cliDir, "bad")], /ConfigMap shop\/bad: annotation argocd.argoproj.io\/sync-wave must be an integer, got "later"/],
  ["invalid YAML on stdin", ["--target", "-"], /stdin: invalid YAML/, "a: [\n"],
  ["not a manifest", ["--target", "-"], /stdin: object has no apiVersion or kind/, "kind: x\n"],
  ["--create-namespace without --namespace", ["--target", join(cliDir, "target"), "--create-namespace"], /--create-namespace needs --namespace/],
  ["unknown flag", ["--target", join(cliDir, "target"), "--frob"], /unknown flag --frob/],
];

for (const [name, args, message, input] of badInput) {
  test(`sync-plan: exit 2 on bad input: ${name}`, () => {
    const r = hawser(args, input ?? "");
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
  });
}
