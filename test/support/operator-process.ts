// Runs `hawser operator` as a child process for integration tests, the way users run it, and
// exposes its JSON log lines and its probe/metrics address.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface OperatorProcess {
  proc: ChildProcess;
  /** Parsed JSON log lines (non-JSON stderr lines are kept as {msg}). */
  logs: Array<Record<string, unknown>>;
  /** Base URL of /healthz, /readyz, /metrics, once known. */
  probeUrl(): Promise<string>;
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends the signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startOperatorProcess(opts: { kubeconfig: string; namespace: string; args?: string[]; env?: NodeJS.ProcessEnv; nodeArgs?: string[] }): OperatorProcess {
  return startHawserProcess("operator", [
    "--kubeconfig", opts.kubeconfig, "--namespace", opts.namespace, "--metrics-addr", "127.0.0.1:0", "--webhook-addr", "127.0.0.1:0",
    // Test files share one cluster and often reuse app names: each operator only sees its own.
    "--installation-id", opts.namespace,
    ...(opts.args ?? []),
  ], opts.env, opts.nodeArgs);
}

/** `hawser server` on a free loopback port, plain HTTP unless `tls`; `url()` waits until it listens. */
export function startServerProcess(opts: { kubeconfig: string; namespace: string; args?: string[]; env?: NodeJS.ProcessEnv; tls?: boolean }): OperatorProcess & { url(): Promise<string> } {
  const p = startHawserProcess("server", [
    "--kubeconfig", opts.kubeconfig, "--namespace", opts.namespace, "--address", "127.0.0.1", "--port", "0",
    // As the test operators: each sees only its own world's objects.
    "--installation-id", opts.namespace,
    // Metrics off unless a test asks for a port: the default 8083 would clash between servers.
    "--metrics-port", "0",
    ...(opts.tls ? [] : ["--insecure"]),
    ...(opts.args ?? []),
  ], opts.env);
  return { ...p, url: async () => String((await p.waitForLog((l) => l.msg === "API server listening", 90_000)).url) };
}

/** `nodeArgs`: options for node itself (e.g. --cpu-prof, which NODE_OPTIONS does not accept). */
function startHawserProcess(command: string, args: string[], env?: NodeJS.ProcessEnv, nodeArgs: string[] = []): OperatorProcess {
  const proc = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "operator/cli.ts", command, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  const exited = once(proc, "exit").then(([code]) => code as number | null);
  createInterface({ input: proc.stderr }).on("line", (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    if (process.env.HAWSER_TEST_VERBOSE) process.stderr.write(`[${command} ${proc.pid}] ${text}\n`);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.pred(line)) waiters.splice(i, 1)[0]!.resolve(line);
    }
  });
  const waitForLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> => {
    const found = logs.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command} log line not seen in ${timeoutMs} ms; last lines:\n${logs.slice(-15).map((l) => JSON.stringify(l)).join("\n")}`)), timeoutMs);
      waiters.push({ pred, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${command} exited with ${code} before the log line; last lines:\n${logs.slice(-15).map((l) => JSON.stringify(l)).join("\n")}`));
      });
    });
  };
  return {
    proc,
    logs,
    async probeUrl() {
      const line = await waitForLog((l) => l.msg === "serving health and metrics");
      return `http://${String(line.address)}`;
    },
    waitForLog,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}
