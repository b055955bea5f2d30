// The render sandbox: what every tool a render spawns (helm, kustomize, jsonnet, CMP commands)
// runs inside, so that a repository writer who controls a chart or a plugin's input cannot reach
// the operator's credentials or exhaust its pod.
//
// - A per-render scratch directory under a configurable base (`--tmp-dir`, else $TMPDIR): the
//   tools' cwd fallback, TMPDIR, HOME, XDG_* and HELM_* directories, private copies and helm's
//   temporary files all live there, and the directory is removed when the render ends (also on
//   failure). The operator's own temp directory may be read-only (the chart's root filesystem is).
// - An environment allowlist: tools get PATH, locale, proxy and CA settings, the build environment
//   and what the plugin adds, never the operator's HOME, KUBECONFIG or KUBERNETES_* variables.
// - Isolation, detected once: a private mount and PID namespace (util-linux `unshare`, as root or
//   through a user namespace) in which the service-account token directory and kubeconfig files are
//   covered by empty mounts, and in which the operator's /proc (its environment) is not visible.
//   Where namespaces are refused (a non-root pod under the default seccomp profile) the fallback
//   is "none", logged as a warning at start-up: tools then run as the operator's user and can read
//   what it can. The chart avoids that by running tools in a sidecar without the token
//   (plugins/runner/), which applies this same sandbox on its side.
// - Limits per tool run with `prlimit`: CPU seconds (RLIMIT_CPU) and address space (RLIMIT_AS).
//   Measured with helm v3.21: RLIMIT_DATA does not bound Go binaries (their heap is sometimes
//   made writable with mprotect, which that limit does not check), while RLIMIT_AS is exact; a
//   Go binary reserves about 0.8 GiB before allocating anything (helm fails to start under
//   500 MiB), so the default of 4 GiB leaves about 3 GiB of heap. Tools also get the highest
//   oom_score_adj (`choom`), so under the pod's memory limit the kernel kills a tool, not the
//   operator. The wall-clock timeout is exec.ts's.
// - An output budget per render: the stdout of every tool in one render counts against one cap,
//   so a 60 MB manifest is refused before it is parsed into gigabytes of objects.
//
// The render scope travels with AsyncLocalStorage (renderApplication opens it, runTool reads it),
// so every tool run inside a render is covered, including those of plugins loaded from
// --plugin-dir that call runTool themselves.
import { AsyncLocalStorage } from "node:async_hooks";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { delimiter, isAbsolute, join, relative, resolve } from "node:path";
import { RenderError } from "./types.js";
import { errorMessage } from "../operator/util/index.js";

/** Argo's `reposerver.max.combined.directory.manifests.size` default ("10M"). */
export const DEFAULT_MAX_COMBINED_DIRECTORY_MANIFESTS_BYTES = 10_000_000;
/** The stdout of all tools in one render together (helm template, kustomize build, CMP generate…). */
export const DEFAULT_MAX_RENDER_OUTPUT_BYTES = 32 * 1024 * 1024;
/** RLIMIT_AS per tool run: about 3 GiB of heap for a Go tool after its ~0.8 GiB of reservations. */
export const DEFAULT_TOOL_MEMORY_BYTES = 4 * 1024 * 1024 * 1024;
/** RLIMIT_CPU per tool run (seconds of CPU time, all threads together). */
export const DEFAULT_TOOL_CPU_SECONDS = 120;

/** Paths no tool may read: the pod's service-account token and kubeconfig files. */
export function defaultMaskedPaths(env: NodeJS.ProcessEnv = process.env, extra: string[] = []): string[] {
  const paths = ["/var/run/secrets/kubernetes.io", "/run/secrets/kubernetes.io", join(homedir(), ".kube")];
  for (const p of (env.KUBECONFIG ?? "").split(delimiter)) if (p !== "") paths.push(resolve(p));
  return [...new Set([...paths, ...extra.map((p) => resolve(p))])];
}

export type IsolationMode = "namespaces" | "user-namespaces" | "none";

export interface SandboxSettings {
  /** Where per-render scratch directories and tool caches go. */
  tmpBase: string;
  /** RLIMIT_AS (address space) for each tool run; 0 turns the limit off. */
  toolMemoryBytes: number;
  /** RLIMIT_CPU for each tool run; 0 turns the limit off. */
  toolCpuSeconds: number;
  /** "auto" isolates when the kernel allows it; "none" turns isolation off (dangerous, see docs/security.md). */
  isolation: "auto" | "none";
  /** Hidden from tools when isolation is in effect. */
  maskedPaths: string[];
  maxRenderOutputBytes: number;
  /** Argo's reposerver.max.combined.directory.manifests.size; 0 turns it off. */
  maxCombinedDirectoryManifestsBytes: number;
  /** One manifest file of a directory app; 0 turns it off. */
  maxManifestFileBytes: number;
}

function defaultSettings(): SandboxSettings {
  return {
    tmpBase: process.env.TMPDIR || tmpdir(),
    toolMemoryBytes: DEFAULT_TOOL_MEMORY_BYTES,
    toolCpuSeconds: DEFAULT_TOOL_CPU_SECONDS,
    isolation: "auto",
    maskedPaths: defaultMaskedPaths(),
    maxRenderOutputBytes: DEFAULT_MAX_RENDER_OUTPUT_BYTES,
    maxCombinedDirectoryManifestsBytes: DEFAULT_MAX_COMBINED_DIRECTORY_MANIFESTS_BYTES,
    maxManifestFileBytes: DEFAULT_MAX_COMBINED_DIRECTORY_MANIFESTS_BYTES,
  };
}

let settings: SandboxSettings = defaultSettings();
let detected: Promise<IsolationReport> | undefined;

/** Sets the process-wide sandbox settings (the operator at start-up; tests). Re-runs detection. */
export function configureSandbox(next: Partial<SandboxSettings>): SandboxSettings {
  settings = { ...defaultSettings(), ...next };
  detected = undefined;
  return settings;
}

export function sandboxSettings(): SandboxSettings {
  return settings;
}

// ---- the render scope -------------------------------------------------------------------------

export interface RenderScope {
  /** The scratch directory; removed when the render ends. */
  dir: string;
  tmp: string;
  home: string;
  /** Bytes of tool output this render has consumed so far, against settings.maxRenderOutputBytes. */
  outputUsed: number;
  outputLimit: number;
  /** Set once the directories are being made: they are made when a tool first needs them. */
  created?: Promise<void>;
  /** The scratch directory itself exists (so the render's end removes it). */
  made?: boolean;
}

const scopes = new AsyncLocalStorage<RenderScope>();
/**
 * Scope directory names: random once per process, then a counter. Unique across the processes
 * sharing the base (and their restarts) without a random draw per render, which showed in the
 * P2 profile.
 */
const SCOPE_PREFIX = randomBytes(6).toString("hex");
let scopeSeq = 0;

/** The render the caller runs in, if any. */
export function currentRenderScope(): RenderScope | undefined {
  return scopes.getStore();
}

/**
 * Runs `fn` as one render: a fresh scratch directory under the configured base for every tool it
 * spawns, removed afterwards whatever happens. Nested calls share the outer scope. The directory
 * is made only when a tool or a caller first needs it: most renders of plain directories spawn
 * nothing, and four mkdirs and a recursive rm each were a tenth of the operator's CPU in a burst.
 */
export async function withRenderScope<T>(fn: () => Promise<T>): Promise<T> {
  if (scopes.getStore()) return fn();
  const dir = join(settings.tmpBase, `hawser-render-${SCOPE_PREFIX}-${(++scopeSeq).toString(36)}`);
  const scope: RenderScope = { dir, tmp: join(dir, "tmp"), home: join(dir, "home"), outputUsed: 0, outputLimit: settings.maxRenderOutputBytes };
  try {
    return await scopes.run(scope, fn);
  } finally {
    await scope.created?.catch(() => undefined);
    if (scope.made) await rm(dir, { recursive: true, force: true });
  }
}

/** Makes the render's scratch directories if they do not exist yet (once per render). */
export function ensureRenderScope(scope: RenderScope): Promise<void> {
  scope.created ??= (async () => {
    try {
      await mkdir(settings.tmpBase, { recursive: true });
      await mkdir(scope.dir, { mode: 0o700 });
      scope.made = true;
    } catch (err) {
      // A read-only temp directory (EROFS) is an installation problem; say where it is configured.
      throw new RenderError(`cannot create a scratch directory in ${settings.tmpBase} (set --tmp-dir or TMPDIR to a writable directory): ${errorMessage(err)}`);
    }
    await mkdir(scope.tmp, { mode: 0o700 });
    await mkdir(scope.home, { mode: 0o700 });
  })();
  return scope.created;
}

/** A new private directory for one purpose inside the render's scratch (or the configured base). */
export async function scratchDir(prefix: string): Promise<string> {
  const scope = scopes.getStore();
  if (scope) await ensureRenderScope(scope);
  const base = scope?.tmp ?? settings.tmpBase;
  if (!scope) await mkdir(base, { recursive: true });
  return mkdtemp(join(base, prefix));
}

/** The base directory for caches that outlive one render (pulled charts). */
export function sandboxTmpBase(): string {
  return settings.tmpBase;
}

// ---- environment ------------------------------------------------------------------------------

/** Operator variables tools may see; everything else must be passed explicitly by the plugin. */
export const ENV_ALLOWLIST = ["PATH", "LANG", "LC_ALL", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"];

/** Never given to a tool, whoever asks: these point at the operator's cluster credentials. */
const ENV_DENIED = /^(KUBERNETES_|KUBECONFIG$|HAWSER_|NODE_OPTIONS$)/;

/**
 * The environment a tool gets inside a render: the caller's, without denied variables, with the
 * home, temp, XDG and Helm directories moved into the scratch directory (a caller that set a
 * HELM_* directory, inside the scratch, keeps it).
 */
export function sandboxEnv(env: Record<string, string>, scope: RenderScope | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (!ENV_DENIED.test(k)) out[k] = v;
  if (!scope) return out;
  const helm = join(scope.home, ".helm");
  const dirs: Record<string, string> = {
    HOME: scope.home,
    TMPDIR: scope.tmp,
    XDG_CACHE_HOME: join(scope.home, ".cache"),
    XDG_CONFIG_HOME: join(scope.home, ".config"),
    XDG_DATA_HOME: join(scope.home, ".local", "share"),
  };
  const helmDefaults: Record<string, string> = {
    HELM_CACHE_HOME: join(helm, "cache"),
    HELM_CONFIG_HOME: join(helm, "config"),
    HELM_DATA_HOME: join(helm, "data"),
    HELM_REGISTRY_CONFIG: join(helm, "registry", "config.json"),
  };
  for (const [k, v] of Object.entries(helmDefaults)) {
    if (!out[k] || !isInside(scope.dir, out[k])) out[k] = v;
  }
  return { ...out, ...dirs };
}

function isInside(dir: string, p: string): boolean {
  const r = resolve(p);
  return r === dir || r.startsWith(dir + "/");
}

// ---- isolation and limits ---------------------------------------------------------------------

export interface IsolationReport {
  mode: IsolationMode;
  /** Why isolation is off, when it is. */
  reason?: string;
  /** Whether per-tool CPU and memory limits are applied (prlimit found). */
  limits: boolean;
  tools: SandboxHelpers;
}

/**
 * Inside the new namespaces: cover each masked path that exists (a directory with an empty
 * read-only tmpfs, a file with /dev/null), then exec the tool. Paths arrive as arguments, never
 * spliced into the script. Exit 125 if a mask cannot be set up: fail closed, never run unmasked.
 * The tool is not exec'd: the shell stays PID 1 of the namespace and returns the tool's status
 * as 128+signal, so a CPU-limit kill is still recognisable after unshare.
 */
const MASK_SCRIPT = 'm=$1; n=$2; shift 2; while [ "$n" -gt 0 ]; do p=$1; shift; n=$((n-1)); '
  + 'if [ -d "$p" ]; then "$m" -t tmpfs -o ro,size=4k,mode=0 hawser-masked "$p" || { echo "hawser sandbox: cannot mask $p" >&2; exit 125; }; '
  + 'elif [ -e "$p" ]; then "$m" --bind /dev/null "$p" || { echo "hawser sandbox: cannot mask $p" >&2; exit 125; }; fi; done; '
  // The shell exports PWD; the tool's environment stays exactly what runTool passed.
  + 'unset PWD OLDPWD; "$@"; exit $?';

/** Absolute paths of the helpers, found once (the tool's PATH may be anything). */
export interface SandboxHelpers { prlimit: string; unshare: string; sh: string; mount: string; /** "" when absent */ choom?: string }

/** unshare's flags per mode: a user namespace first when the operator is not root. */
export function unshareFlags(mode: IsolationMode): string[] {
  const base = ["--mount", "--pid", "--fork", "--mount-proc", "--kill-child"];
  if (mode === "user-namespaces") return ["--user", "--map-root-user", ...base];
  return base;
}

/**
 * The argv that runs `cmd args` under the sandbox: prlimit (limits) → unshare + mask script
 * (isolation) → the tool. Pure, so the exact wrapping is tested without running it.
 */
export function sandboxArgv(cmd: string, args: readonly string[], opts: { mode: IsolationMode; limits: boolean; memoryBytes: number; cpuSeconds: number; masked: string[]; tools: SandboxHelpers }): string[] {
  const tools = opts.tools;
  const argv: string[] = [];
  if (opts.limits && (opts.memoryBytes > 0 || opts.cpuSeconds > 0)) {
    argv.push(tools.prlimit);
    if (opts.memoryBytes > 0) argv.push(`--as=${opts.memoryBytes}`);
    // Soft limit: SIGXCPU, which names the cause; the hard limit a little later is SIGKILL.
    if (opts.cpuSeconds > 0) argv.push(`--cpu=${opts.cpuSeconds}:${opts.cpuSeconds + 5}`);
    argv.push("--");
  }
  // The first process the kernel's OOM killer picks, inside the pod's memory limit.
  if (opts.limits && tools.choom) argv.push(tools.choom, "-n", "1000", "--");
  if (opts.mode !== "none") {
    argv.push(tools.unshare, ...unshareFlags(opts.mode), "--", tools.sh, "-c", MASK_SCRIPT, "hawser-sandbox", tools.mount, String(opts.masked.length), ...opts.masked);
  }
  argv.push(cmd, ...args);
  return argv;
}

function runQuiet(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { timeout: 10_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } }, (err, _stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      res({ code, stderr: String(stderr).trim() });
    });
  });
}

async function findExecutable(name: string, pathEnv: string | undefined): Promise<string | undefined> {
  const candidates = name.includes("/") ? [name] : (pathEnv ?? "").split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * Finds out once which isolation this process can use, by running the real wrapper on a probe:
 * a masked directory holding a file must read as empty inside.
 */
export function detectIsolation(): Promise<IsolationReport> {
  detected ??= (async (): Promise<IsolationReport> => {
    const search = `${process.env.PATH ?? ""}:/usr/sbin:/usr/bin:/sbin:/bin`;
    const find = async (name: string): Promise<string> => (await findExecutable(name, search)) ?? "";
    const tools: SandboxHelpers = { prlimit: await find("prlimit"), unshare: await find("unshare"), sh: await find("sh"), mount: await find("mount"), choom: await find("choom") };
    const limits = tools.prlimit !== "";
    // oom_score_adj may not be writable (a read-only /proc): then tools run without it.
    if (tools.choom && (await runQuiet(tools.choom, ["-n", "1000", "--", "/bin/true"])).code !== 0) tools.choom = "";
    if (settings.isolation === "none") return { mode: "none", reason: "turned off (--tool-isolation=none)", limits, tools };
    const lacking = (["unshare", "sh", "mount"] as const).filter((t) => tools[t] === "");
    if (lacking.length > 0) return { mode: "none", reason: `${lacking.join(", ")} not found (util-linux)`, limits, tools };
    await mkdir(settings.tmpBase, { recursive: true });
    const probe = await mkdtemp(join(settings.tmpBase, "hawser-probe-"));
    try {
      await writeFile(join(probe, "sentinel"), "x");
      const reasons: string[] = [];
      const modes: IsolationMode[] = process.getuid?.() === 0 ? ["namespaces", "user-namespaces"] : ["user-namespaces"];
      for (const mode of modes) {
        const argv = sandboxArgv("/bin/sh", ["-c", '[ ! -e "$0/sentinel" ]', probe], { mode, limits: false, memoryBytes: 0, cpuSeconds: 0, masked: [probe], tools });
        const r = await runQuiet(argv[0]!, argv.slice(1));
        if (r.code === 0) return { mode, limits, tools };
        reasons.push(`${mode}: ${r.stderr.split("\n")[0] || `exit ${r.code}`}`);
      }
      return { mode: "none", reason: `namespaces are not available (${reasons.join("; ")})`, limits, tools };
    } finally {
      await rm(probe, { recursive: true, force: true });
    }
  })();
  return detected;
}

/**
 * What runTool spawns for `cmd args` under the current settings (limits may come with the run,
 * as they do from the tool runner's client); a missing tool is an error here.
 */
export async function sandboxCommand(
  cmd: string, args: readonly string[], env: Record<string, string>,
  limits: { memoryBytes: number; cpuSeconds: number } = { memoryBytes: settings.toolMemoryBytes, cpuSeconds: settings.toolCpuSeconds },
): Promise<{ cmd: string; args: string[] } | { missing: true }> {
  // Inside the wrapper a missing binary would only be an exit code; keep the clear spawn error.
  const resolved = await findExecutable(cmd, env.PATH);
  if (!resolved) return { missing: true };
  const report = await detectIsolation();
  const masked = report.mode === "none" ? [] : settings.maskedPaths.filter((p) => isAbsolute(p));
  const argv = sandboxArgv(resolved, args, { mode: report.mode, limits: report.limits, memoryBytes: limits.memoryBytes, cpuSeconds: limits.cpuSeconds, masked, tools: report.tools });
  return { cmd: argv[0]!, args: argv.slice(1) };
}

/**
 * A directory app's files are measured with stat before any is read (Argo's
 * max.combined.directory.manifests.size), so a huge file is refused without memory growing.
 */
export async function checkManifestFileSizes(files: string[], repoRoot: string): Promise<void> {
  const { maxManifestFileBytes: perFile, maxCombinedDirectoryManifestsBytes: combined } = settings;
  let total = 0;
  for (const file of files) {
    const size = (await stat(file)).size;
    if (perFile > 0 && size > perFile) {
      throw new RenderError(`${relative(repoRoot, file)}: ${formatBytes(size)} is larger than the ${formatBytes(perFile)} limit for one manifest file (--max-manifest-file-size)`);
    }
    total += size;
    if (combined > 0 && total > combined) {
      throw new RenderError(`the manifests of this directory add up to more than the ${formatBytes(combined)} limit (reposerver.max.combined.directory.manifests.size in argocd-cmd-params-cm, or --max-combined-directory-manifests-size)`);
    }
  }
}

/** Kubernetes-style sizes: "10M" (10^6), "64Mi" (2^20), plain bytes; Argo's resource.Quantity subset. */
export function parseByteSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|K|M|G|T|Ki|Mi|Gi|Ti)?\s*$/.exec(text);
  if (!m) throw new Error(`${what}: "${text}" is not a size (e.g. 10M, 64Mi, 1Gi)`);
  const unit = m[2] ?? "";
  const mult: Record<string, number> = { "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Math.floor(Number(m[1]) * mult[unit]!);
}

/** "10 MB" / "32 MiB" for messages. */
export function formatBytes(n: number): string {
  if (n % 2 ** 20 === 0 && n >= 2 ** 20) return `${n / 2 ** 20} MiB`;
  if (n >= 1e6) return `${Math.round(n / 1e5) / 10} MB`;
  return `${n} bytes`;
}
