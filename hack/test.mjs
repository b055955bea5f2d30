#!/usr/bin/env node
// The test command (README: `npm test`). Runs every test with node's test runner:
//   - unit tests: every *.test.ts outside test/integration and test/e2e (pure, fast, no cluster);
//   - integration, e2e and Web UI tests: test/integration/, test/e2e/ and test/ui/ (**/*.test.ts), against a
//     real control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) that this script
//     starts once and shares through HAWSER_TEST_KUBECONFIG; tests that need a private cluster
//     (e.g. to kill the apiserver) start their own.
// Flags: --unit (unit tests only), and any paths to run only those files.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const explicit = args.filter((a) => !a.startsWith("--"));

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, path));
  }
  return out;
}

// Order and concurrency, measured rather than guessed (the evidence, briefly):
// - node's --test sorts the files it is given, so they start alphabetically, two at a time, each in
//   its own process (node + tsx start-up: 0.6 s a file on an idle machine, about 2 s under the
//   suite's own load, which is what makes the replays below match the real runs).
// - Longest-first (LPT) does not pay here. Two full CI runs' spec output (top-level test times
//   mapped to their files by title, plus 2 s per file) replayed on two workers: 1,913 s and
//   2,043 s alphabetically, the same longest-first; the real runs took 1,926 s and 2,094 s. With
//   each file's time drawn ±25% (2,000 draws) longest-first gains 2-3 s on average, 26 s at most.
//   The tail is already filled: test/ui/* (25-80 s each) is followed by the short ui/src/*.test.ts.
// - --test-concurrency=3 does not either: six e2e files (api-server, demo, apps-any-namespace,
//   sync-impersonation, api-security, selfheal) took 68.6 s and 61.9 s at 2, 76.7 s and 65.0 s
//   at 3, the machine 77-82% busy in every run; at 3 each test took ~55% longer (their summed
//   times 117/107 s at 2, 185/160 s at 3). The cluster-backed tests are CPU-bound, not waiting.
const all = explicit.length > 0 ? explicit : findTests(root).sort();
const needsCluster = (f) => ["integration", "e2e", "ui"].some((d) => f.startsWith(`test${sep}${d}${sep}`));
const files = unitOnly ? all.filter((f) => !needsCluster(f)) : all;
if (files.length === 0) {
  console.error("hack/test.mjs: no test files found");
  process.exit(1);
}

const env = { ...process.env };
let clusterName;
if (files.some(needsCluster) && !env.HAWSER_TEST_KUBECONFIG) {
  clusterName = `test-${process.pid}`;
  console.error(`hack/test.mjs: starting shared test cluster "${clusterName}"`);
  const up = spawnSync(process.execPath, ["--import", "tsx", "operator/cli.ts", "dev-cluster", "up", "--name", clusterName], {
    cwd: root, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8",
  });
  if (up.status !== 0) {
    console.error("hack/test.mjs: could not start the test cluster");
    process.exit(1);
  }
  env.HAWSER_TEST_KUBECONFIG = up.stdout.trim().split("\n").pop();
}

function teardown() {
  if (!clusterName) return;
  spawnSync(process.execPath, ["--import", "tsx", "operator/cli.ts", "dev-cluster", "down", "--name", clusterName], {
    cwd: root, stdio: "inherit",
  });
  clusterName = undefined;
}

const child = spawn(process.execPath, [
  "--import", "tsx", "--test", "--test-reporter=spec",
  `--test-concurrency=${env.HAWSER_TEST_CONCURRENCY ?? "2"}`,
  ...files,
], { cwd: root, env, stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => {
  teardown();
  process.exit(code ?? (signal ? 1 : 0));
});
