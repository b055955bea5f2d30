import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { seedsDir } from "../../test/crds/seeds.js";
import { command } from "./diff.js";

const testdata = fileURLToPath(new URL("./testdata/", import.meta.url));

async function runCaptured(args: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    // Only strings are ours: the test runner reports to its parent through stdout in binary chunks.
    if (typeof chunk !== "string") return write(chunk);
    chunks.push(chunk);
    return true;
  });
  process.stderr.write = (() => true);
  try {
    return { code: await command.run(args), out: chunks.join("") };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}

const base = ["--target", join(testdata, "diff-target"), "--live", join(testdata, "diff-live.yaml")];

test("differences exit 1 with a unified diff per resource", async () => {
  const { code, out } = await runCaptured(base);
  assert.equal(code, 1);
  assert.match(out, /^===== apps\/Deployment production\/web ======$/m);
  assert.match(out, /^- {2}replicas: 5$/m);
  assert.match(out, /^\+ {2}replicas: 2$/m);
  assert.match(out, /^===== \/Service production\/web ======$/m);
  assert.match(out, /^- {2}clusterIP: 10\.96\.0\.12$/m);
  assert.match(out, /^\+ {2}clusterIP: 10\.0\.0\.5$/m);
  assert.doesNotMatch(out, /imagePullPolicy|uid|resourceVersion/, "unchanged and server-owned fields are not shown");
});

test("seed 004's ignoreDifferences (--app) leave no difference: exit 0", { skip: !seedsDir() }, async () => {
  const { code, out } = await runCaptured([...base, "--app", join(seedsDir()!, "004", "app-ignore-differences.yaml")]);
  assert.equal(out, "");
  assert.equal(code, 0);
});

test("argocd-cm ignoreDifferences apply too", async () => {
  // Written on the fly: the same rules as seed 004, but from argocd-cm keys.
  const { writeFileSync, mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "hawser-diff-"));
  const cm = join(dir, "argocd-cm.yaml");
  writeFileSync(cm, [
    "apiVersion: v1", "kind: ConfigMap", "metadata: {name: argocd-cm}", "data:",
    "  resource.customizations.ignoreDifferences.apps_Deployment: |", "    jsonPointers: [/spec/replicas]",
    "  resource.customizations.ignoreDifferences.Service: |", "    jqPathExpressions: ['.spec.clusterIP']", "",
  ].join("\n"));
  const { code } = await runCaptured([...base, "--argocd-cm", cm]);
  assert.equal(code, 0);
});

test("a target without a live object is a difference (create)", async () => {
  const { code, out } = await runCaptured(["--target", join(testdata, "diff-target", "service.yaml"), "--live", join(testdata, "health-resources.yaml")]);
  assert.equal(code, 1);
  assert.match(out, /^\+ {2}clusterIP: 10\.0\.0\.5$/m);
});

test("errors exit 2", async () => {
  assert.equal((await runCaptured(["--target", join(testdata, "nope"), "--live", join(testdata, "diff-live.yaml")])).code, 2);
  assert.equal((await runCaptured(["--live", join(testdata, "diff-live.yaml")])).code, 2);
});
