// Attacks by a repository writer on the renderer (issue 10, findings 6 and the render sandbox):
// a huge manifest that used to take the operator past its memory limit, and a plugin that looks
// for the operator's credentials in its environment.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Application } from "../api/index.js";
import type { Checkout, RepoSource } from "../git/types.js";
import { createCmpPlugin, parseCmpConfig } from "../../plugins/cmp/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import { configureSandbox, detectIsolation, ENV_ALLOWLIST } from "../../plugins/sandbox.js";
import { RenderError } from "../../plugins/types.js";
import { RenderCache, renderApplication, type RenderDeps } from "./index.js";

const run = promisify(execFile);
const SHA = "0123456789abcdef0123456789abcdef01234567";

/** A checkout that is a directory on disk: the renderer reads checkouts from disk either way. */
function dirRepo(url: string, dir: string): RepoSource {
  return {
    resolveRevision: () => Promise.resolve(SHA),
    listFiles: () => Promise.resolve([]),
    listDirectories: () => Promise.resolve([]),
    readFile: () => Promise.reject(new Error("absent")),
    checkout: (repoURL: string): Promise<Checkout> => {
      if (repoURL !== url) return Promise.reject(new Error(`unknown repository ${repoURL}`));
      return Promise.resolve({ repoURL, commit: SHA, path: dir, release: () => undefined });
    },
  };
}

function app(spec: Partial<Application["spec"]>): Application {
  return {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application",
    metadata: { name: "big", namespace: "argocd" },
    spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, ...spec },
  };
}

/** ~60 MB of ConfigMaps, written by a child process so this process never holds the text. */
async function writeHugeManifest(file: string): Promise<number> {
  const script = 'BEGIN { pad = sprintf("%4000s", ""); gsub(/ /, "x", pad); for (i = 0; i < 15000; i++) printf "---\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: cm-%d\\ndata:\\n  k: %s\\n", i, pad }';
  await run("/bin/sh", ["-c", `awk '${script}' > "$0"`, file]);
  const { stdout } = await run("stat", ["-c", "%s", file]);
  return Number(stdout.trim());
}

async function scratchBase(): Promise<string> {
  return mkdtemp(join(tmpdir(), "hawser-limits-base-"));
}

test("finding 6: a 60 MB manifest in a directory app is refused by size before it is read", async () => {
  const repo = await mkdtemp(join(tmpdir(), "hawser-huge-"));
  const base = await scratchBase();
  configureSandbox({ tmpBase: base });
  try {
    await mkdir(join(repo, "app"));
    const size = await writeHugeManifest(join(repo, "app", "huge.yaml"));
    assert.ok(size > 55_000_000, `the manifest is ~60 MB (${size})`);
    const url = "https://git.example.com/huge.git";
    const before = process.memoryUsage().rss;
    const err = await renderApplication(app({ source: { repoURL: url, path: "app", targetRevision: "main" } }), {
      repos: dirRepo(url, repo), plugins: builtinPlugins(), cache: new RenderCache(),
    }).then(() => undefined, (e: unknown) => e);
    const growth = process.memoryUsage().rss - before;
    assert.ok(err instanceof RenderError, `a RenderError (shown as a ComparisonError), got ${String(err)}`);
    assert.match(err.message, /^app\/huge\.yaml: .* is larger than the 10 MB limit for one manifest file/);
    assert.ok(growth < size / 4, `memory grew by ${growth} bytes while refusing a ${size}-byte file`);
  } finally {
    configureSandbox({});
    await rm(repo, { recursive: true, force: true });
    await rm(base, { recursive: true, force: true });
  }
});

test("finding 6: many files together over reposerver.max.combined.directory.manifests.size are refused", async () => {
  const repo = await mkdtemp(join(tmpdir(), "hawser-many-"));
  configureSandbox({ maxCombinedDirectoryManifestsBytes: 50_000 });
  try {
    await mkdir(join(repo, "app"));
    const doc = (i: number): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}}\ndata: {k: "${"x".repeat(9_000)}"}\n`;
    for (let i = 0; i < 6; i++) await writeFile(join(repo, "app", `cm-${i}.yaml`), doc(i));
    const url = "https://git.example.com/many.git";
    const deps: RenderDeps = { repos: dirRepo(url, repo), plugins: builtinPlugins(), cache: new RenderCache() };
    await assert.rejects(renderApplication(app({ source: { repoURL: url, path: "app" } }), deps),
      (e: unknown) => e instanceof RenderError && /more than the 50000 bytes limit \(reposerver\.max\.combined\.directory\.manifests\.size/.test(e.message));
    // Under the limit the same files render: the check counts, it does not refuse everything.
    configureSandbox({ maxCombinedDirectoryManifestsBytes: 100_000 });
    const ok = await renderApplication(app({ source: { repoURL: url, path: "app" } }), { ...deps, cache: new RenderCache() });
    assert.equal(ok.manifests.length, 6);
  } finally {
    configureSandbox({});
    await rm(repo, { recursive: true, force: true });
  }
});

const catPlugin = createCmpPlugin(parseCmpConfig({
  apiVersion: "argoproj.io/v1alpha1", kind: "ConfigManagementPlugin", metadata: { name: "cat" },
  spec: { generate: { command: ["sh", "-c"], args: ["cat *.yaml"] } },
}, "cat.yaml"));

test("finding 6: a tool printing a 60 MB manifest is stopped at the render's output budget", async () => {
  const repo = await mkdtemp(join(tmpdir(), "hawser-huge-cmp-"));
  const base = await scratchBase();
  configureSandbox({ tmpBase: base, maxRenderOutputBytes: 8 * 1024 * 1024 });
  try {
    await mkdir(join(repo, "app"));
    const size = await writeHugeManifest(join(repo, "app", "huge.yaml"));
    const url = "https://git.example.com/huge-cmp.git";
    const plugins = builtinPlugins();
    plugins.registerUser(catPlugin);
    const before = process.memoryUsage().rss;
    const err = await renderApplication(app({ source: { repoURL: url, path: "app", plugin: { name: "cat" } } }), {
      repos: dirRepo(url, repo), plugins, cache: new RenderCache(),
    }).then(() => undefined, (e: unknown) => e);
    const growth = process.memoryUsage().rss - before;
    assert.ok(err instanceof RenderError, `a RenderError, got ${String(err)}`);
    assert.match(err.message, /the rendered manifests are larger than the 8 MiB limit for one render \(--max-render-output\)/);
    assert.ok(growth < size / 2, `memory grew by ${growth} bytes for a ${size}-byte output`);
    assert.deepEqual(await readdir(base), [], "the render's scratch directory (with its private copy) is gone");
  } finally {
    configureSandbox({});
    await rm(repo, { recursive: true, force: true });
    await rm(base, { recursive: true, force: true });
  }
});

test("render sandbox: a plugin dumping its environment sees only the allowlist, the build env and its scratch directories", async () => {
  const repo = await mkdtemp(join(tmpdir(), "hawser-envdump-"));
  const base = await scratchBase();
  configureSandbox({ tmpBase: base });
  const saved = { ...process.env };
  // What the operator's own environment holds in a pod, plus a secret of its own.
  Object.assign(process.env, { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443", KUBECONFIG: "/home/op/.kube/config", OPERATOR_DB_PASSWORD: "s3ntinel-operator-secret" });
  try {
    await mkdir(join(repo, "app"));
    await writeFile(join(repo, "app", "x.txt"), "x");
    // The plugin prints its environment (and the operator's, via /proc) as ConfigMap data.
    const dump = createCmpPlugin(parseCmpConfig({
      apiVersion: "argoproj.io/v1alpha1", kind: "ConfigManagementPlugin", metadata: { name: "envdump" },
      spec: { generate: { command: ["sh", "-c"], args: [
        `printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: env}\\ndata:\\n'; env | sort | sed "s/'/''/g; s/^\\([^=]*\\)=\\(.*\\)$/  \\1: '\\2'/"; `
        + `printf '  proc: "%s"\\n' "$(tr '\\0' ' ' < /proc/${process.pid}/environ 2>/dev/null | head -c 4000 | tr -d '"\\\\')"`,
      ] } },
    }, "envdump.yaml"));
    const plugins = builtinPlugins();
    plugins.registerUser(dump);
    const url = "https://git.example.com/envdump.git";
    const out = await renderApplication(app({ source: { repoURL: url, path: "app", plugin: { name: "envdump" } } }), {
      repos: dirRepo(url, repo), plugins, cache: new RenderCache(),
    });
    const data = (out.manifests[0] as unknown as { data: Record<string, string> }).data;
    const { proc, ...env } = data;
    const allowed = new Set([...ENV_ALLOWLIST, "HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
      "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "HELM_REGISTRY_CONFIG", "KUBE_VERSION", "KUBE_API_VERSIONS"]);
    const extra = Object.keys(env).filter((k) => !allowed.has(k) && !k.startsWith("ARGOCD_") && k !== "SHLVL" && k !== "PWD" && k !== "OLDPWD" && k !== "_");
    assert.deepEqual(extra, [], "no variable outside the allowlist and the build environment");
    assert.ok(!JSON.stringify(env).includes("s3ntinel-operator-secret"), "the operator's secret is not in the tool's environment");
    for (const key of ["HOME", "TMPDIR", "XDG_CACHE_HOME", "HELM_CONFIG_HOME"]) {
      assert.ok(env[key]?.startsWith(`${base}/hawser-render-`), `${key}=${env[key]} is in the render's scratch directory`);
    }
    assert.equal(existsSync(env.HOME!), false, "the scratch HOME is removed after the render");
    if ((await detectIsolation()).mode !== "none") {
      assert.ok(!proc?.includes("s3ntinel-operator-secret"), `the operator's environment is not readable through /proc: ${proc}`);
    }
  } finally {
    process.env = saved;
    configureSandbox({});
    await rm(repo, { recursive: true, force: true });
    await rm(base, { recursive: true, force: true });
  }
});

test("render sandbox: a chart whose template allocates past --tool-memory-limit fails the render with a clear error", async () => {
  const repo = await mkdtemp(join(tmpdir(), "hawser-memchart-"));
  // 1 GiB of address space: enough for helm to start (it reserves ~0.8 GiB), not for the template.
  configureSandbox({ toolMemoryBytes: 1024 * 1024 * 1024 });
  try {
    await mkdir(join(repo, "chart", "templates"), { recursive: true });
    await writeFile(join(repo, "chart", "Chart.yaml"), "apiVersion: v2\nname: memchart\nversion: 0.1.0\n");
    // Builds a 400 MB string inside helm (about 450 MB resident without a limit), prints 9 bytes.
    await writeFile(join(repo, "chart", "templates", "cm.yaml"), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  k: {{ repeat 400000000 "x" | len | quote }}\n');
    const url = "https://git.example.com/memchart.git";
    const err = await renderApplication(app({ source: { repoURL: url, path: "chart" } }), {
      repos: dirRepo(url, repo), plugins: builtinPlugins(), cache: new RenderCache(),
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RenderError, `a RenderError, got ${String(err)}`);
    assert.match(err.message, /^helm template: stopped after exceeding its memory limit \(--tool-memory-limit\)/);
  } finally {
    configureSandbox({});
    await rm(repo, { recursive: true, force: true });
  }
});
