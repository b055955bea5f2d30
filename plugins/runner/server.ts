// The tool runner: `hawser tool-runner --socket PATH`, a sidecar that starts the tools of every
// render (helm, kustomize, jsonnet, CMP commands) on behalf of the operator, in a container that
// holds no service-account token. In a non-root pod the kernel refuses the namespaces that would
// hide the token from a tool started by the operator, so the token is kept out of the tools'
// container instead, as Argo CD keeps it out of its repo-server.
//
// Each connection on the unix socket (mode 0600, in a directory only the two containers share)
// carries one request (protocol.ts). A run goes through the same sandbox as a local one
// (localLauncher: prlimit, environment filter, process-group kill on timeout), with its output
// streamed back as it comes; a client that disconnects cancels the run. The runner never talks to
// Kubernetes and needs nothing secret in its own environment.
import { constants } from "node:fs";
import { access, chmod, lstat, mkdir, unlink } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { redact } from "../../operator/runtime/redact.js";
import type { Logger } from "../../operator/runtime/logger.js";
import { ExecError, localLauncher } from "../exec.js";
import { detectIsolation, sandboxEnv } from "../sandbox.js";
import {
  encodeFrame, FrameDecoder, FRAME_REQUEST, FRAME_RESULT, FRAME_STDERR, FRAME_STDIN, FRAME_STDOUT, MAX_CHUNK_BYTES,
  parseRequest, ProtocolError, REQUEST_FRAME_LIMITS, type RunnerInfo, type RunnerResult, type RunRequest,
} from "./protocol.js";
import { errorMessage } from "../../operator/util/index.js";

/** Where a pod's token would be; the runner reports whether it can read one. */
export const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** Connections served at once; the operator's worker pools stay far below. */
const MAX_CONNECTIONS = 256;
/** A connection must deliver its whole request within this time, or it is refused. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface ToolRunnerServer {
  socketPath: string;
  /** Stops listening, cancels every run (their process groups are killed) and removes the socket. */
  close(): Promise<void>;
}

export async function runnerInfo(tokenPath = SERVICE_ACCOUNT_TOKEN): Promise<RunnerInfo> {
  const report = await detectIsolation();
  const tokenReadable = await access(tokenPath, constants.R_OK).then(() => true, () => false);
  return { isolation: report.mode, limits: report.limits, tokenReadable, pid: process.pid };
}

/** Listens on `socketPath` (a stale socket from an earlier run is replaced; any other file is not). */
export async function startToolRunner(opts: { socketPath: string; log: Logger }): Promise<ToolRunnerServer> {
  const { socketPath, log } = opts;
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
  const existing = await lstat(socketPath).catch(() => undefined);
  if (existing) {
    if (!existing.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
    await unlink(socketPath);
  }
  const active = new Set<AbortController>();
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    serveConnection(sock, active, log);
  });
  server.maxConnections = MAX_CONNECTIONS;
  // The socket is created 0600 (owner only) rather than narrowed after it is already reachable.
  const umask = process.umask(0o177);
  try {
    await listen(server, socketPath);
  } finally {
    process.umask(umask);
  }
  await chmod(socketPath, 0o600);
  return {
    socketPath,
    async close(): Promise<void> {
      for (const ac of active) ac.abort();
      const closed = new Promise<void>((res) => server.close(() => res()));
      // Idle or half-sent connections would keep close() waiting.
      for (const sock of sockets) sock.destroy();
      await closed;
      await unlink(socketPath).catch(() => undefined);
    },
  };
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((res, rej) => {
    server.once("error", rej);
    server.listen(path, () => {
      server.off("error", rej);
      res();
    });
  });
}

function serveConnection(sock: Socket, active: Set<AbortController>, log: Logger): void {
  const decoder = new FrameDecoder(REQUEST_FRAME_LIMITS);
  const ac = new AbortController();
  let state: "header" | "stdin" | "running" | "done" = "header";
  let request: RunRequest | undefined;

  const requestTimer = setTimeout(() => {
    if (state === "header" || state === "stdin") refuse(`no complete request within ${REQUEST_TIMEOUT_MS / 1000} s`);
  }, REQUEST_TIMEOUT_MS);
  requestTimer.unref();
  const reply = (result: RunnerResult): void => {
    clearTimeout(requestTimer);
    if (state === "done") return;
    state = "done";
    active.delete(ac);
    if (!sock.destroyed) sock.end(encodeFrame(FRAME_RESULT, JSON.stringify(result)));
  };
  const refuse = (why: string): void => {
    log.warn("tool runner refused a request", { reason: why });
    const wasRunning = state === "running";
    reply({ ok: false, reason: "spawn", message: `tool runner: malformed request: ${why}` });
    if (wasRunning) ac.abort();
  };
  const send = (type: number, chunk: Buffer): void => {
    if (sock.destroyed || state === "done") return;
    for (let i = 0; i < chunk.length; i += MAX_CHUNK_BYTES) sock.write(encodeFrame(type, chunk.subarray(i, i + MAX_CHUNK_BYTES)));
  };

  const start = (req: RunRequest, stdin: Buffer): void => {
    state = "running";
    active.add(ac);
    localLauncher.run({
      cmd: req.cmd, args: req.args,
      // The client scrubbed the environment already; filtering again costs nothing.
      env: sandboxEnv(req.env, undefined),
      cwd: req.cwd, input: req.hasInput ? stdin.toString("utf8") : undefined, label: req.label,
      timeoutMs: req.timeoutMs, killGraceMs: req.killGraceMs,
      maxStdoutBytes: req.maxStdoutBytes, maxStderrBytes: req.maxStderrBytes,
      outputLimitMessage: req.outputLimitMessage,
      memoryBytes: req.memoryBytes, cpuSeconds: req.cpuSeconds,
      signal: ac.signal,
      onOutput: (stream, chunk) => send(stream === "stdout" ? FRAME_STDOUT : FRAME_STDERR, chunk),
    }).then(
      () => reply({ ok: true }),
      (err: unknown) => reply(err instanceof ExecError
        ? { ok: false, reason: err.reason, message: err.message, exitCode: err.exitCode }
        : { ok: false, reason: "spawn", message: `${req.label}: ${redact(errorMessage(err))}` }),
    );
  };

  const onFrame = (type: number, payload: Buffer): void => {
    if (state === "header") {
      if (type !== FRAME_REQUEST) throw new ProtocolError("the first frame must be the request");
      const req = parseRequest(payload);
      if (req.op === "ping") {
        state = "running";
        runnerInfo().then((info) => reply({ ok: true, info }), (err: unknown) => reply({ ok: false, reason: "spawn", message: String(err) }));
        return;
      }
      request = req;
      state = "stdin";
      return;
    }
    if (state === "stdin" && request) {
      if (type !== FRAME_STDIN) throw new ProtocolError("the request must be followed by its stdin frame");
      if (!request.hasInput && payload.length > 0) throw new ProtocolError("stdin data for a request without input");
      start(request, payload);
      return;
    }
    throw new ProtocolError("data after the request");
  };

  sock.on("data", (chunk: Buffer) => {
    if (state === "done") return;
    try {
      for (const f of decoder.push(chunk)) onFrame(f.type, f.payload);
    } catch (err) {
      refuse(errorMessage(err));
    }
  });
  // The client went away (its render was cancelled, or it died): stop the tool.
  sock.on("close", () => {
    clearTimeout(requestTimer);
    if (state !== "done") {
      state = "done";
      active.delete(ac);
      ac.abort();
    }
  });
  sock.on("end", () => {
    // A half-closed request that never completed is malformed, not a run waiting for more.
    if (state === "header" || state === "stdin") refuse("the connection ended before the request was complete");
  });
  sock.on("error", () => { /* close follows */ });
}
