import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { packageRoot } from "../paths.js";
import { DEFAULT_VERSIONS, MissingBinaryError, cacheDir, expectedToolPath, resolveTool, versions } from "./index.js";

test("hack/build-binaries.sh builds the versions the operator resolves (one versions file)", () => {
  const env = { PATH: process.env.PATH ?? "", HOME: "/nonexistent" };
  const out = execFileSync("bash", [join(packageRoot(), "hack", "build-binaries.sh"), "versions"], { encoding: "utf8", env });
  const built = Object.fromEntries(out.trim().split("\n").map((l) => l.split("=") as [string, string]));
  assert.deepEqual(built, { ...DEFAULT_VERSIONS });
  const overridden = execFileSync("bash", [join(packageRoot(), "hack", "build-binaries.sh"), "versions"], {
    encoding: "utf8", env: { ...env, HAWSER_HELM_VERSION: "v0.0.1" },
  });
  assert.match(overridden, /^helm=v0\.0\.1$/m);
  assert.equal(versions({ HAWSER_HELM_VERSION: "v0.0.1" }).helm, "v0.0.1");
});

test("expectedToolPath is <cache>/bin/<tool>-<version>/<tool>, as build-binaries.sh installs it", () => {
  const env = { HAWSER_CACHE: "/c", HAWSER_KUSTOMIZE_VERSION: "v1.2.3" };
  assert.equal(cacheDir(env), "/c");
  assert.equal(expectedToolPath("kustomize", env), "/c/bin/kustomize-v1.2.3/kustomize");
  assert.equal(expectedToolPath("helm", { HAWSER_CACHE: "/c" }), `/c/bin/helm-${DEFAULT_VERSIONS.helm}/helm`);
});

test("HAWSER_TOOLS_DIR (the image's /opt/hawser-tools) is where tools are found when set: the pod's cache is an empty volume", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-tools-"));
  try {
    const env = { HAWSER_CACHE: join(dir, "empty-cache"), HAWSER_TOOLS_DIR: join(dir, "opt") };
    const path = expectedToolPath("helm", env);
    assert.equal(path, join(dir, "opt", `helm-${DEFAULT_VERSIONS.helm}`, "helm"), "the image's layout");
    await assert.rejects(resolveTool("helm", env), MissingBinaryError, "absent: the usual error naming the path");
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, "#!/bin/sh\n", { mode: 0o755 });
    assert.equal(await resolveTool("helm", env), path, "found there, not in the cache");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
