// The one process runner every config-management plugin uses (Argo's util/exec): argv arrays
// only, never a shell; an explicit environment; a timeout that sends SIGTERM to the whole process
// group and SIGKILL after a grace period; caps on stdout and stderr; cancellation by AbortSignal;
// and stderr redacted before it reaches an error message. Every run goes through the render
// sandbox (plugins/sandbox.ts): scrubbed environment, scratch directories, isolation, CPU and
// memory limits, and the render's output budget.
//
// Where a tool is started is one narrow interface, a ToolLauncher chosen at start-up: local
// spawning (the default: dev, tests, the CLI) or the tool-runner sidecar (plugins/runner/), which
// runs tools in a container that holds no service-account token. runTool prepares the run the
// same way for both.
import { spawn } from "node:child_process";
import { redact } from "../operator/runtime/redact.js";
import { currentRenderScope, ensureRenderScope, formatBytes, sandboxCommand, sandboxEnv, sandboxSettings, ENV_ALLOWLIST } from "./sandbox.js";
import { RenderError } from "./types.js";

export const DEFAULT_EXEC_TIMEOUT_MS = 90_000;
export const DEFAULT_KILL_GRACE_MS = 5_000;
export const DEFAULT_MAX_STDOUT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_STDERR_BYTES = 1024 * 1024;
/** Only the tail of stderr goes into an error message. */
const STDERR_IN_ERROR = 4096;

export interface ExecOptions {
  cwd?: string;
  /** The complete environment of the child; nothing is inherited implicitly. */
  env: Record<string, string>;
  timeoutMs?: number;
  killGraceMs?: number;
  maxStdoutBytes?: number;
  maxStderrBytes?: number;
  signal?: AbortSignal;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** How the command is named in errors (defaults to the basename of the command). */
  label?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export type ExecFailure = "exit" | "timeout" | "aborted" | "output-limit" | "spawn" | "resource-limit";

/** A tool run that failed; the message holds redacted stderr, never the argv (it may carry credentials). */
export class ExecError extends RenderError {
  constructor(message: string, readonly reason: ExecFailure, readonly exitCode?: number | null) {
    super(message);
    this.name = "ExecError";
  }
}

/**
 * The variables tools need from the operator's own environment; everything else is explicit.
 * HOME and TMPDIR are set per render by the sandbox (outside a render they are the operator's).
 */
export function baseToolEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of [...ENV_ALLOWLIST, ...(currentRenderScope() ? [] : ["HOME", "TMPDIR"])]) {
    const v = process.env[key];
    if (v !== undefined) env[key] = v;
  }
  return { ...env, ...extra };
}

function basename(cmd: string): string {
  const i = cmd.lastIndexOf("/");
  return i >= 0 ? cmd.slice(i + 1) : cmd;
}

/** One tool run as runTool has prepared it: environment scrubbed, caps and budget computed. */
export interface ToolRun {
  cmd: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  input?: string;
  label: string;
  timeoutMs: number;
  killGraceMs: number;
  maxStdoutBytes: number;
  maxStderrBytes: number;
  /** The error message when stdout passes maxStdoutBytes (the render's budget names its flag). */
  outputLimitMessage?: string;
  /** RLIMIT_AS and RLIMIT_CPU of this run; 0 turns a limit off. */
  memoryBytes: number;
  cpuSeconds: number;
  signal?: AbortSignal;
  /**
   * When set, output is handed over chunk by chunk (after the caps) and not returned: the tool
   * runner streams it to its client. stderr is still kept for the error message.
   */
  onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void;
}

/** Where tools start: here (spawn) or in the tool-runner sidecar. Resolves as runTool does. */
export interface ToolLauncher {
  readonly name: string;
  run(run: ToolRun): Promise<ExecResult>;
}

/** Spawns the tool in this process's sandbox (prlimit, namespaces where available). */
export const localLauncher: ToolLauncher = {
  name: "local",
  async run(r: ToolRun): Promise<ExecResult> {
    const wrapped = await sandboxCommand(r.cmd, r.args, r.env, { memoryBytes: r.memoryBytes, cpuSeconds: r.cpuSeconds });
    if ("missing" in wrapped) throw new ExecError(`${r.label}: cannot run: ${basename(r.cmd)} not found`, "spawn");
    return spawnTool(wrapped.cmd, wrapped.args, r);
  },
};

let launcher: ToolLauncher = localLauncher;

/** Chooses where every later runTool starts its tool (the operator, once, at start-up). */
export function setToolLauncher(next: ToolLauncher): void {
  launcher = next;
}

export function toolLauncher(): ToolLauncher {
  return launcher;
}

/** Runs `cmd args…` in the render sandbox and resolves with its output when it exits 0. */
export async function runTool(cmd: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const label = opts.label ?? basename(cmd);
  if (opts.signal?.aborted) throw new ExecError(`${label}: cancelled`, "aborted");
  const scope = currentRenderScope();
  if (scope) await ensureRenderScope(scope);
  const env = sandboxEnv(opts.env, scope);
  // The render's output budget caps this run too: together the tools of one render may print
  // only so much, whatever each one's own cap.
  const room = scope ? Math.max(0, scope.outputLimit - scope.outputUsed) : Infinity;
  const maxOwn = opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  const budgetBound = room < maxOwn;
  const settings = sandboxSettings();
  const result = await launcher.run({
    cmd, args: [...args], env, cwd: opts.cwd ?? scope?.tmp, input: opts.input, label,
    timeoutMs: opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
    killGraceMs: opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    maxStdoutBytes: Math.min(maxOwn, room),
    maxStderrBytes: opts.maxStderrBytes ?? DEFAULT_MAX_STDERR_BYTES,
    outputLimitMessage: budgetBound && scope
      ? `${label}: the rendered manifests are larger than the ${formatBytes(scope.outputLimit)} limit for one render (--max-render-output)`
      : undefined,
    memoryBytes: settings.toolMemoryBytes,
    cpuSeconds: settings.toolCpuSeconds,
    signal: opts.signal,
  });
  if (scope) scope.outputUsed += Buffer.byteLength(result.stdout, "utf8");
  return result;
}

/** The message for stdout past its cap (shared with the tool runner's client). */
export function outputLimitText(label: string, maxOut: number): string {
  const limit = maxOut >= 1024 * 1024 ? `${Math.round(maxOut / 1024 / 1024)} MiB` : `${maxOut} byte`;
  return `${label}: output larger than the ${limit} limit`;
}

/** RLIMIT_CPU ends a process with SIGXCPU (SIGKILL at the hard limit); RLIMIT_AS makes allocations fail. */
function limitMessage(label: string, signal: NodeJS.Signals | null, code: number | null, stderr: string): string | undefined {
  // 152 = 128 + SIGXCPU, as the isolation wrapper's shell reports a signalled tool.
  if (signal === "SIGXCPU" || code === 152) return `${label}: stopped after using more than its CPU time limit (--tool-cpu-limit)`;
  if (/out of memory|cannot allocate memory|failed to reserve .*memory|MemoryError|allocation failed|std::bad_alloc|memory exhausted/i.test(stderr)) {
    return `${label}: stopped after exceeding its memory limit (--tool-memory-limit)`;
  }
  return undefined;
}

function spawnTool(cmd: string, args: readonly string[], opts: ToolRun): Promise<ExecResult> {
  const { label, timeoutMs, killGraceMs: graceMs, maxStdoutBytes: maxOut, maxStderrBytes: maxErr, onOutput } = opts;

  return new Promise<ExecResult>((resolve, reject) => {
    // detached: the child leads its own process group, so a timeout also stops its children
    // (a CMP's `sh -c` pipeline) instead of orphaning them.
    const child = spawn(cmd, [...args], { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let failure: { reason: ExecFailure; message: string } | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    const stop = (reason: ExecFailure, message: string): void => {
      if (failure) return;
      failure = { reason, message };
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), graceMs);
      killTimer.unref();
    };

    const timer = setTimeout(() => stop("timeout", `${label}: timed out after ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    timer.unref();
    const onAbort = (): void => stop("aborted", `${label}: cancelled`);
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOut) {
        stop("output-limit", opts.outputLimitMessage ?? outputLimitText(label, maxOut));
        return;
      }
      if (onOutput) onOutput("stdout", chunk);
      else out.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      // stderr beyond the cap is dropped rather than fatal: tools can be chatty.
      if (errBytes >= maxErr) return;
      const room = maxErr - errBytes;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      err.push(kept);
      errBytes += kept.length;
      onOutput?.("stderr", kept);
    });
    child.stdin.on("error", () => { /* the child may exit without reading stdin */ });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();

    const finish = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    };
    child.on("error", (e) => {
      finish();
      if (killTimer) clearTimeout(killTimer);
      reject(new ExecError(`${label}: cannot run: ${redact(e.message)}`, "spawn"));
    });
    child.on("close", (code, signal) => {
      finish();
      // The group may still hold children that inherited no pipes; make sure they go too.
      if (failure) {
        if (killTimer) clearTimeout(killTimer);
        killGroup("SIGKILL");
        reject(new ExecError(failure.message, failure.reason, code));
        return;
      }
      const stderr = Buffer.concat(err).toString("utf8");
      if (code !== 0) {
        const tail = redact(stderr.trim()).slice(-STDERR_IN_ERROR);
        const limited = limitMessage(label, signal, code, stderr);
        if (limited) {
          reject(new ExecError(`${limited}${tail ? `: ${tail.slice(-512)}` : ""}`, "resource-limit", code));
          return;
        }
        const how = signal ? `killed by ${signal}` : `exit code ${code}`;
        reject(new ExecError(`${label} failed (${how})${tail ? `: ${tail}` : ""}`, "exit", code));
        return;
      }
      resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr });
    });
  });
}
