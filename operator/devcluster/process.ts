// Process helpers for the dev cluster. Components are started detached (own session, output to a log
// file) so that `hawser dev-cluster up` can exit and leave them running, and they are only ever
// stopped by pid, after checking that the pid still runs the binary we started (pids get reused).
import { spawn } from "node:child_process";
import { open, readdir, readFile } from "node:fs/promises";
import { createServer } from "node:net";

export interface SpawnSpec {
  binary: string;
  args: string[];
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  cwd: string;
  /** stdout and stderr are appended here, so a restarted component keeps its history. */
  logFile: string;
}

export async function spawnDetached(spec: SpawnSpec): Promise<number> {
  const log = await open(spec.logFile, "a");
  try {
    await log.write(`\n==== ${new Date().toISOString()} starting ${spec.binary} ${spec.args.join(" ")}\n`);
    const child = spawn(spec.binary, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ["ignore", log.fd, log.fd],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("spawn", () => {
        if (child.pid === undefined) reject(new Error(`could not start ${spec.binary}`));
        else resolve(child.pid);
      });
    });
    // Don't keep the caller's event loop alive for the component; libuv still reaps it if it dies
    // while we run, so it never lingers as a zombie of ours.
    child.unref();
    return pid;
  } finally {
    await log.close();
  }
}

/**
 * True when `pid` is a live (non-zombie) process whose executable is `binary`. Checking the command
 * line protects against signalling an unrelated process that inherited a recycled pid.
 */
export async function isRunning(pid: number | undefined, binary: string): Promise<boolean> {
  if (!pid || pid <= 0) return false;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name (which may contain spaces), is the state.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    const argv0 = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0")[0];
    return argv0 === binary;
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminate(pid: number | undefined, binary: string, graceMs = 10_000): Promise<void> {
  if (!pid || !(await isRunning(pid, binary))) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await isRunning(pid, binary))) return;
    await sleep(50);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return;
  }
  for (let i = 0; i < 100 && (await isRunning(pid, binary)); i++) await sleep(50);
}

// Ports handed out by this process, so concurrent startCluster calls in one process never get the
// same one between "found free" and "bound by the component".
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that is free right now. Components that lose a race get a retry. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const addr = srv.address();
        const p = typeof addr === "object" && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * Pids of live processes running `binary` whose arguments mention one of `markers` (a cluster's
 * state or data directory). This is how a cluster finds its own processes when a pid was not
 * recorded (e.g. a start-up interrupted between spawn and saving state): the directory is unique
 * to the cluster, so this never matches another cluster's or anyone else's processes.
 */
export async function findProcesses(binary: string, markers: string[]): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0");
      if (argv[0] !== binary) continue;
      if (argv.slice(1).some((a) => markers.some((m) => a.includes(m)))) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}
