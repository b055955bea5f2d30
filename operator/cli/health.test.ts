import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { seedsDir } from "../../test/crds/seeds.js";
import { bundledCustomizationsDir, findScriptDirs } from "../lua/load.js";
import { packageRoot } from "../paths.js";
import { command } from "./health.js";

const testdata = fileURLToPath(new URL("./testdata/", import.meta.url));

/** Runs the command in-process with stdout captured. */
async function runCaptured(args: string[]): Promise<{ code: number; lines: unknown[] }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    // Only strings are ours: the test runner reports to its parent through stdout in binary chunks.
    if (typeof chunk !== "string") return write(chunk);
    chunks.push(chunk);
    return true;
  });
  let code: number;
  try {
    code = await command.run(args);
  } finally {
    process.stdout.write = write;
  }
  return { code, lines: chunks.join("").trim().split("\n").map((l) => JSON.parse(l) as unknown) };
}

test("one JSON line per document: built-in, null, bundled Lua, pending deletion", async () => {
  const { code, lines } = await runCaptured([join(testdata, "health-resources.yaml")]);
  assert.equal(code, 0);
  assert.deepEqual(lines, [
    { status: "Progressing", message: "" },
    null,
    { status: "Healthy", message: "secret synced" },
    { status: "Progressing", message: "Pending deletion" },
  ]);
});

test("bundled kinds are reported without --customizations; --no-bundled leaves them without a check", async () => {
  const file = join(testdata, "health-bundled.yaml");
  const { code, lines } = await runCaptured([file]);
  assert.equal(code, 0);
  assert.deepEqual(lines, [
    { status: "Healthy", message: "ScaledObject is defined correctly and is ready for scaling" },
    { status: "Progressing", message: "Switchover in progress: Switching over to shop-db-2" },
    { status: "Degraded", message: "infra/public: Service shop/web-v2 not found" },
    { status: "Suspended", message: "Schedule is paused" },
    { status: "Degraded", message: "the HPA was unable to compute the replica count: missing request for cpu" },
    null,
  ]);
  const noBundled = await runCaptured(["--no-bundled", file]);
  assert.deepEqual(noBundled.lines, [null, null, null, null, lines[4], null]);
});

test("every bundled kind's health_test.yaml cases, read from one file by `hawser health` without --customizations, get their expected status and message", async () => {
  const root = bundledCustomizationsDir();
  const docs: string[] = [];
  const expected: Array<{ status: string; message: string }> = [];
  const where: string[] = [];
  for (const dir of findScriptDirs(root, "health_test.yaml")) {
    const file = parse(readFileSync(join(dir, "health_test.yaml"), "utf8")) as { tests: Array<{ healthStatus: { status: string; message?: string }; inputPath: string }> };
    for (const tc of file.tests) {
      docs.push(readFileSync(join(dir, tc.inputPath), "utf8"));
      expected.push({ status: tc.healthStatus.status, message: tc.healthStatus.message ?? "" });
      where.push(`${relative(root, dir)}/${tc.inputPath}`);
    }
  }
  assert.ok(docs.length >= 150, `the cases were found (${docs.length})`);
  const dir = mkdtempSync(join(tmpdir(), "hawser-health-bundled-"));
  try {
    const input = join(dir, "all.yaml");
    writeFileSync(input, docs.map((d) => `---\n${d}\n`).join(""));
    const { code, lines } = await runCaptured([input]);
    assert.equal(code, 0);
    const wrong = lines.flatMap((got, i) => (JSON.stringify(got) === JSON.stringify(expected[i]) ? [] : [`${where[i]}: got ${JSON.stringify(got)}, want ${JSON.stringify(expected[i])}`]));
    assert.equal(lines.length, docs.length, "one line per document");
    assert.deepEqual(wrong, [], "every case as its health_test.yaml says");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--argocd-cm (seed 003) overrides Ingress health", { skip: !seedsDir() }, async () => {
  const { lines } = await runCaptured(["--argocd-cm", join(seedsDir()!, "003", "argocd-cm.yaml"), join(testdata, "health-resources.yaml")]);
  assert.deepEqual(lines[0], { status: "Healthy", message: "" });
});

test("--customizations comes before the bundled tree; --no-bundled drops the bundled tree", async () => {
  const custom = join(testdata, "health-custom");
  const { lines } = await runCaptured(["--customizations", custom, join(testdata, "health-resources.yaml")]);
  assert.deepEqual(lines[0], { status: "Suspended", message: "from the custom tree" });
  const noBundled = await runCaptured(["--no-bundled", join(testdata, "health-resources.yaml")]);
  assert.equal(noBundled.lines[2], null);
});

test("--argocd-cm and bundled scripts read integers past 2^31 (bytes, generations, ms) as Argo's Lua does", async () => {
  const { code, lines } = await runCaptured(["--argocd-cm", join(testdata, "health-large-numbers-cm.yaml"), join(testdata, "health-large-numbers.yaml")]);
  assert.equal(code, 0);
  assert.deepEqual(lines, [
    { status: "Healthy", message: "next run at 1764633600000" },
    { status: "Degraded", message: "1073741824 bytes over quota" },
    { status: "Progressing", message: "generation 2147483649 not observed yet" },
    { status: "Progressing", message: "Waiting for the new generation to be unsealed" },
  ]);
});

test("--script-only: no built-in fallback and no deletion shortcut", async () => {
  const { lines } = await runCaptured(["--script-only", join(testdata, "health-resources.yaml")]);
  assert.deepEqual(lines, [null, null, { status: "Healthy", message: "secret synced" }, null]);
});

test("a script error prints {error} for that document and exits 2", async () => {
  const { code, lines } = await runCaptured(["--customizations", join(testdata, "health-custom"), join(testdata, "health-broken.yaml")]);
  assert.equal(code, 2);
  assert.match((lines[0] as { error: string }).error, /cannot assess broken/);
  assert.deepEqual(lines[1], { status: "Suspended", message: "from the custom tree" });
});

test("reads stdin through the hawser entry point", () => {
  const res = spawnSync(process.execPath, ["--import", "tsx", "operator/cli.ts", "health", "-"], {
    cwd: packageRoot(),
    input: "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nstatus: {phase: Bound}\n",
    encoding: "utf8",
  });
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout, '{"status":"Healthy","message":""}\n');
});

test("bad usage and unreadable files exit 2", async () => {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true);
  try {
    assert.equal(await command.run(["--bogus", "x"]), 2);
    assert.equal(await command.run([join(testdata, "does-not-exist.yaml")]), 2);
    assert.equal(await command.run([]), 2);
  } finally {
    process.stderr.write = write;
  }
});
