import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { packageRoot } from "../paths.js";
import { DEFAULT_VERSIONS, cacheDir, expectedToolPath, versions } from "./index.js";

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
