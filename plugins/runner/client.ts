// The operator's side of the tool runner (server.ts): a ToolLauncher that sends each prepared run
// over the unix socket instead of spawning it. It keeps runTool's contract: the same ExecError
// reasons and messages, the output caps enforced here as well as in the runner, cancellation by
// AbortSignal (closing the connection makes the runner kill the tool's process group), and a
// watchdog in case the runner itself stops answering.
import { createConnection, type Socket } from "node:net";
import { ExecError, outputLimitText, type ExecResult, type ToolLauncher, type ToolRun } from "../exec.js";
import {
  encodeFrame, FrameDecoder, FRAME_REQUEST, FRAME_RESULT, FRAME_STDERR, FRAME_STDIN, FRAME_STDOUT, RESPONSE_FRAME_LIMITS,
  type RunnerInfo, type RunnerResult, type RunRequest,
} from "./protocol.js";
import { errorMessage } from "../../operator/util/index.js";

/** Beyond the tool's own timeout and kill grace: how long the runner gets to report it. */
const WATCHDOG_SLACK_MS = 10_000;

export class ToolRunnerClient implements ToolLauncher {
  readonly name = "tool-runner";

  constructor(readonly socketPath: string) {}

  run(r: ToolRun): Promise<ExecResult> {
    const label = r.label;
    if (r.signal?.aborted) return Promise.reject(new ExecError(`${label}: cancelled`, "aborted"));
    const request: RunRequest = {
      op: "run", cmd: r.cmd, args: r.args, env: r.env, label,
      timeoutMs: r.timeoutMs, killGraceMs: r.killGraceMs, maxStdoutBytes: r.maxStdoutBytes, maxStderrBytes: r.maxStderrBytes,
      memoryBytes: r.memoryBytes, cpuSeconds: r.cpuSeconds, hasInput: r.input !== undefined,
      ...(r.cwd !== undefined ? { cwd: r.cwd } : {}),
      ...(r.outputLimitMessage !== undefined ? { outputLimitMessage: r.outputLimitMessage } : {}),
    };
    return new Promise<ExecResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let settled = false;
      const sock = this.connect();
      const settle = (e: ExecError | undefined, value?: ExecResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        r.signal?.removeEventListener("abort", onAbort);
        // Closing before the result is what cancels the run on the runner's side.
        sock.destroy();
        if (e) reject(e);
        else resolve(value!);
      };
      const onAbort = (): void => settle(new ExecError(`${label}: cancelled`, "aborted"));
      r.signal?.addEventListener("abort", onAbort, { once: true });
      const watchdog = setTimeout(
        () => settle(new ExecError(`${label}: timed out after ${Math.round(r.timeoutMs / 1000)} s (the tool runner did not answer)`, "timeout")),
        r.timeoutMs + r.killGraceMs + WATCHDOG_SLACK_MS,
      );
      watchdog.unref();

      const decoder = new FrameDecoder(RESPONSE_FRAME_LIMITS);
      const onFrame = (type: number, payload: Buffer): void => {
        if (type === FRAME_STDOUT) {
          outBytes += payload.length;
          if (outBytes > r.maxStdoutBytes) {
            settle(new ExecError(r.outputLimitMessage ?? outputLimitText(label, r.maxStdoutBytes), "output-limit"));
            return;
          }
          out.push(payload);
        } else if (type === FRAME_STDERR) {
          const room = r.maxStderrBytes - errBytes;
          if (room <= 0) return;
          const kept = payload.length > room ? payload.subarray(0, room) : payload;
          err.push(kept);
          errBytes += kept.length;
        } else if (type === FRAME_RESULT) {
          const result = parseResult(payload);
          if (!result) settle(new ExecError(`${label}: the tool runner sent an unreadable result`, "spawn"));
          else if (result.ok) settle(undefined, { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
          else settle(new ExecError(result.message, result.reason, result.exitCode));
        }
      };
      sock.on("data", (chunk: Buffer) => {
        try {
          for (const f of decoder.push(chunk)) {
            onFrame(f.type, f.payload);
            if (settled) return;
          }
        } catch (e) {
          settle(new ExecError(`${label}: the tool runner broke the protocol: ${errorMessage(e)}`, "spawn"));
        }
      });
      sock.on("error", (e: NodeJS.ErrnoException) => {
        settle(new ExecError(`${label}: cannot reach the tool runner at ${this.socketPath}: ${e.code ?? e.message}`, "spawn"));
      });
      sock.on("close", () => settle(new ExecError(`${label}: the tool runner closed the connection before the tool finished`, "spawn")));
      sock.write(encodeFrame(FRAME_REQUEST, JSON.stringify(request)));
      sock.write(encodeFrame(FRAME_STDIN, r.input !== undefined ? Buffer.from(r.input, "utf8") : Buffer.alloc(0)));
    });
  }

  /** How the runner isolates tools; rejects when it is unreachable. */
  ping(timeoutMs = 10_000): Promise<RunnerInfo> {
    return new Promise<RunnerInfo>((resolve, reject) => {
      const sock = this.connect();
      const decoder = new FrameDecoder(RESPONSE_FRAME_LIMITS);
      const fail = (why: string): void => {
        clearTimeout(timer);
        sock.destroy();
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail("no answer"), timeoutMs);
      sock.on("data", (chunk: Buffer) => {
        try {
          for (const f of decoder.push(chunk)) {
            const result = f.type === FRAME_RESULT ? parseResult(f.payload) : undefined;
            if (!result?.ok || !result.info) {
              fail(result && !result.ok ? result.message : "unexpected answer");
              return;
            }
            clearTimeout(timer);
            sock.destroy();
            resolve(result.info);
            return;
          }
        } catch (e) {
          fail(errorMessage(e));
        }
      });
      sock.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
      sock.on("close", () => fail("connection closed"));
      sock.write(encodeFrame(FRAME_REQUEST, JSON.stringify({ op: "ping" })));
    });
  }

  private connect(): Socket {
    return createConnection({ path: this.socketPath });
  }
}

function parseResult(payload: Buffer): RunnerResult | undefined {
  try {
    const v = JSON.parse(payload.toString("utf8")) as RunnerResult;
    if (v.ok === true) return v;
    if (v.ok === false && typeof v.message === "string" && typeof v.reason === "string") return v;
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * Connects to the runner at start-up, waiting up to `waitMs` for it to listen (the two containers
 * start together); fails with the socket path and the last error when it never answers.
 */
export async function connectToolRunner(socketPath: string, opts: { waitMs?: number } = {}): Promise<{ launcher: ToolRunnerClient; info: RunnerInfo }> {
  const client = new ToolRunnerClient(socketPath);
  const deadline = Date.now() + (opts.waitMs ?? 30_000);
  let delay = 100;
  for (;;) {
    try {
      return { launcher: client, info: await client.ping() };
    } catch (err) {
      if (Date.now() + delay > deadline) {
        throw new Error(`the tool runner at ${socketPath} is unreachable (${errorMessage(err)}); start "hawser tool-runner --socket ${socketPath}" or drop --tool-runner-socket`);
      }
      await new Promise((res) => setTimeout(res, delay));
      delay = Math.min(delay * 2, 2_000);
    }
  }
}
