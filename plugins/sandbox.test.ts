// Attacks on the render sandbox: each would succeed against a runner that spawned tools with the
// operator's environment, view of the filesystem and no limits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ExecError, baseToolEnv, runTool } from "./exec.js";
import {
  configureSandbox, currentRenderScope, defaultMaskedPaths, detectIsolation, parseByteSize, sandboxArgv, sandboxEnv,
  withRenderScope, type SandboxHelpers,
} from "./sandbox.js";
import { RenderError } from "./types.js";

const helpers: SandboxHelpers = { prlimit: "/usr/bin/prlimit", unshare: "/usr/bin/unshare", sh: "/bin/sh", mount: "/bin/mount" };

test("sandboxArgv wraps a tool in prlimit and unshare, with masked paths as arguments, never in the script", () => {
  const argv = sandboxArgv("/usr/bin/helm", ["template", "x"], { mode: "namespaces", limits: true, memoryBytes: 1024, cpuSeconds: 10, masked: ["/a b", "/c;rm -rf /"], tools: helpers });
  assert.deepEqual(argv.slice(0, 5), ["/usr/bin/prlimit", "--as=1024", "--cpu=10:15", "--", "/usr/bin/unshare"]);
  const sh = argv.indexOf("/bin/sh");
  assert.ok(sh > 0, "the mask script runs under /bin/sh");
  assert.equal(argv[sh + 1], "-c");
  assert.ok(!argv[sh + 2]!.includes("/a b") && !argv[sh + 2]!.includes("rm -rf"), "paths are not spliced into the script");
  assert.deepEqual(argv.slice(sh + 3), ["hawser-sandbox", "/bin/mount", "2", "/a b", "/c;rm -rf /", "/usr/bin/helm", "template", "x"]);
  assert.deepEqual(
    sandboxArgv("/usr/bin/helm", ["version"], { mode: "none", limits: false, memoryBytes: 1, cpuSeconds: 1, masked: ["/x"], tools: helpers }),
    ["/usr/bin/helm", "version"],
    "no isolation and no prlimit: the tool alone",
  );
  assert.ok(sandboxArgv("t", [], { mode: "user-namespaces", limits: false, memoryBytes: 0, cpuSeconds: 0, masked: [], tools: helpers }).includes("--map-root-user"), "non-root: a user namespace");
});

test("the default masks cover the service-account token and kubeconfig files", () => {
  const masks = defaultMaskedPaths({ KUBECONFIG: "/etc/kube/a.conf:/srv/b.conf" }, ["/extra"]);
  for (const p of ["/var/run/secrets/kubernetes.io", "/run/secrets/kubernetes.io", "/etc/kube/a.conf", "/srv/b.conf", "/extra"]) {
    assert.ok(masks.includes(p), `${p} is masked`);
  }
});

test("sizes parse like Argo's quantities", () => {
  assert.equal(parseByteSize("10M", "x"), 10_000_000);
  assert.equal(parseByteSize("64Mi", "x"), 64 * 1024 * 1024);
  assert.equal(parseByteSize("512", "x"), 512);
  assert.throws(() => parseByteSize("ten", "--max-render-output"), /--max-render-output: "ten" is not a size/);
});

test("inside a render, tools get a scratch HOME/TMPDIR and none of the operator's cluster variables; the scratch is removed", async () => {
  const base = await mkdtemp(join(tmpdir(), "hawser-sbx-base-"));
  configureSandbox({ tmpBase: base });
  const saved = { ...process.env };
  // What an operator pod has in its environment; a tool must see none of it.
  process.env.KUBERNETES_SERVICE_HOST = "10.0.0.1";
  process.env.KUBECONFIG = "/root/.kube/config";
  process.env.HAWSER_SECRET_SENTINEL = "s3ntinel-env";
  try {
    let scratch = "";
    const env = await withRenderScope(async () => {
      scratch = currentRenderScope()!.dir;
      // A plugin that (wrongly) forwards the whole process environment is scrubbed as well.
      const r = await runTool("/usr/bin/env", [], { env: { ...baseToolEnv(), ...(process.env as Record<string, string>) } });
      return Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    });
    assert.ok(scratch.startsWith(base + "/"), `the scratch dir ${scratch} is under the configured base`);
    for (const key of ["HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_REGISTRY_CONFIG"]) {
      assert.ok(env[key]?.startsWith(scratch + "/"), `${key}=${env[key]} is inside the render's scratch dir`);
    }
    for (const key of Object.keys(env)) assert.ok(!/^(KUBERNETES_|KUBECONFIG|HAWSER_)/.test(key), `${key} must not reach a tool`);
    assert.ok(!Object.values(env).includes("s3ntinel-env"), "no operator secret in the tool's environment");
    assert.equal(existsSync(scratch), false, "the scratch dir is removed after the render");
    // And on failure too.
    await assert.rejects(withRenderScope(async () => {
      scratch = currentRenderScope()!.dir;
      await runTool("/bin/sh", ["-c", "exit 4"], { env: baseToolEnv() });
    }), ExecError);
    assert.equal(existsSync(scratch), false, "the scratch dir is removed after a failed render");
    assert.deepEqual(await readdir(base), [], "nothing is left in the base directory");
  } finally {
    process.env = saved;
    configureSandbox({});
    await rm(base, { recursive: true, force: true });
  }
});

test("a scratch base that cannot be written is a clear RenderError naming the setting", async () => {
  const base = await mkdtemp(join(tmpdir(), "hawser-sbx-ro-"));
  await writeFile(join(base, "file"), "x");
  configureSandbox({ tmpBase: join(base, "file") });
  try {
    // Found when the render first needs its scratch directory (a tool, a chart pull), not before.
    let ran = false;
    await withRenderScope(() => { ran = true; return Promise.resolve(); });
    assert.ok(ran, "a render that spawns nothing does not need the scratch directory");
    await assert.rejects(withRenderScope(() => runTool("/bin/true", [], { env: baseToolEnv() })), (e: unknown) => e instanceof RenderError && /--tmp-dir or TMPDIR/.test(e.message));
  } finally {
    configureSandbox({});
    await rm(base, { recursive: true, force: true });
  }
});

test("sandboxEnv drops denied variables even outside a render", () => {
  assert.deepEqual(sandboxEnv({ PATH: "/bin", KUBECONFIG: "/k", KUBERNETES_PORT: "tcp://x", NODE_OPTIONS: "--inspect" }, undefined), { PATH: "/bin" });
});

test("a tool cannot read a masked path (the service-account token) nor the operator's /proc environment", async (t) => {
  const report = await detectIsolation();
  if (report.mode === "none") {
    t.skip(`isolation unavailable here: ${report.reason}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "hawser-sbx-mask-"));
  const tokenDir = join(dir, "serviceaccount");
  await mkdir(tokenDir);
  await writeFile(join(tokenDir, "token"), "s3ntinel-token");
  await writeFile(join(dir, "kubeconfig"), "s3ntinel-kubeconfig");
  await writeFile(join(dir, "visible"), "visible-content");
  process.env.HAWSER_PROC_SENTINEL = "s3ntinel-proc";
  configureSandbox({ maskedPaths: [tokenDir, join(dir, "kubeconfig")] });
  try {
    const script = `cat "$0/serviceaccount/token" 2>&1; cat "$0/kubeconfig" 2>&1; cat "$0/visible"; echo; cat /proc/${process.pid}/environ 2>&1 | tr '\\0' '\\n'; true`;
    const { stdout } = await runTool("/bin/sh", ["-c", script, dir], { env: baseToolEnv() });
    assert.ok(stdout.includes("visible-content"), "an unmasked sibling is readable, so the masks are what hides the others");
    assert.ok(!stdout.includes("s3ntinel-token"), `the token file is masked: ${stdout}`);
    assert.ok(!stdout.includes("s3ntinel-kubeconfig"), "the kubeconfig file is masked");
    assert.ok(!stdout.includes("s3ntinel-proc"), "the operator's environment is not visible through /proc");
    assert.ok(existsSync(join(tokenDir, "token")), "masking is private to the tool's mount namespace");
  } finally {
    delete process.env.HAWSER_PROC_SENTINEL;
    configureSandbox({});
    await rm(dir, { recursive: true, force: true });
  }
});

test("a tool allocating past the memory limit is stopped with a RenderError naming the limit", async (t) => {
  if (!(await detectIsolation()).limits) {
    t.skip("prlimit not available");
    return;
  }
  configureSandbox({ toolMemoryBytes: 64 * 1024 * 1024 });
  try {
    // awk doubles a string to 256 MiB: fine unbounded, refused at 64 MiB.
    const err = await runTool("awk", ["BEGIN { s = \"x\"; for (i = 0; i < 28; i++) s = s s; print length(s) }"], { env: baseToolEnv(), label: "greedy" }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ExecError && err instanceof RenderError, `a RenderError, got ${String(err)}`);
    assert.equal(err.reason, "resource-limit");
    assert.match(err.message, /^greedy: stopped after exceeding its memory limit \(--tool-memory-limit\)/);
  } finally {
    configureSandbox({});
  }
});

test("a tool spinning past the CPU limit is stopped with a RenderError naming the limit", async (t) => {
  if (!(await detectIsolation()).limits) {
    t.skip("prlimit not available");
    return;
  }
  configureSandbox({ toolCpuSeconds: 1 });
  try {
    const err = await runTool("/bin/sh", ["-c", "while :; do :; done"], { env: baseToolEnv(), label: "spinner" }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ExecError, `an ExecError, got ${String(err)}`);
    assert.equal(err.reason, "resource-limit");
    assert.match(err.message, /^spinner: stopped after using more than its CPU time limit \(--tool-cpu-limit\)/);
  } finally {
    configureSandbox({});
  }
});

test("all tools of one render share one output budget", async () => {
  configureSandbox({ maxRenderOutputBytes: 100_000 });
  try {
    await withRenderScope(async () => {
      // Each run alone is under the budget; the second one takes the render past it.
      const first = await runTool("/bin/sh", ["-c", "head -c 60000 /dev/zero | tr '\\0' a"], { env: baseToolEnv() });
      assert.equal(first.stdout.length, 60_000);
      const err = await runTool("/bin/sh", ["-c", "head -c 60000 /dev/zero | tr '\\0' a"], { env: baseToolEnv(), label: "helm template" }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ExecError, "the second run is refused");
      assert.equal(err.reason, "output-limit");
      assert.match(err.message, /^helm template: the rendered manifests are larger than the 100000 bytes limit for one render \(--max-render-output\)/);
    });
  } finally {
    configureSandbox({});
  }
});

test("with the default settings, a tool cannot read the pod's real service-account token path", async (t) => {
  if (process.getuid?.() !== 0 || (await detectIsolation()).mode === "none") {
    t.skip("needs root (a private mount namespace holds the sentinel token) and isolation");
    return;
  }
  // In a private mount namespace, /run gets a tmpfs holding a token where a pod has it (/var/run
  // is /run on Debian); the host's /run is untouched. Then the default sandbox runs `cat` on it.
  const setup = 'mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && '
    + 'printf s3ntinel-sa-token > /run/secrets/kubernetes.io/serviceaccount/token && exec "$@"';
  const root = fileURLToPath(new URL("..", import.meta.url));
  const readToken = async (isolation: string): Promise<string> => {
    const { stdout } = await promisify(execFile)("unshare", ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", setup, "setup",
      process.execPath, "--import", "tsx", "test/support/read-token.ts"], { cwd: root, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HAWSER_TEST_ISOLATION: isolation } });
    return (JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as { seen?: string }).seen ?? "";
  };
  assert.equal(await readToken("none"), "s3ntinel-sa-token", "without isolation the tool reads the token (the setup is real)");
  const masked = await readToken("auto");
  assert.ok(!masked.includes("s3ntinel-sa-token"), `the default sandbox hides the token: ${masked}`);
});
