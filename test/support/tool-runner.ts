// Starts `hawser tool-runner` as a child process for tests, the way the chart runs the sidecar.
// With `ownRunDir` (root only) the runner gets its own mount namespace with an empty /run, so
// /var/run/secrets/kubernetes.io does not exist for it, as in a container without the token mount;
// `nsSetup` runs any other shell commands in such a private mount namespace first.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connectToolRunner, type ToolRunnerClient } from "../../plugins/runner/client.js";
import type { RunnerInfo } from "../../plugins/runner/protocol.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface RunnerProcess {
  child: ChildProcess;
  client: ToolRunnerClient;
  info: RunnerInfo;
  /** SIGTERM to the runner (its process only, by pid), resolved when it has exited. */
  stop(): Promise<void>;
}

export async function startRunnerProcess(opts: { socketPath: string; args?: string[]; ownRunDir?: boolean; nsSetup?: string; env?: Record<string, string> }): Promise<RunnerProcess> {
  const runner = [process.execPath, "--import", "tsx", "operator/cli.ts", "tool-runner", "--socket", opts.socketPath, ...(opts.args ?? [])];
  const setup = opts.nsSetup ?? (opts.ownRunDir ? "mount -t tmpfs tmpfs /run" : undefined);
  const argv = setup !== undefined
    ? ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", `set -e; ${setup}; exec "$@"`, "runner-ns", ...runner]
    : runner;
  // Nothing of the test's own environment: the runner must not need anything secret.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}), ...opts.env };
  const child = spawn(argv[0]!, argv.slice(1), { cwd: repoRoot, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => { stderr = (stderr + c.toString("utf8")).slice(-4000); });
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  try {
    const { launcher, info } = await connectToolRunner(opts.socketPath, { waitMs: 60_000 });
    return {
      child, client: launcher, info,
      async stop(): Promise<void> {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        await exited;
      },
    };
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`${err instanceof Error ? err.message : String(err)}; runner stderr: ${stderr}`);
  }
}
