// The tool runner against runTool's contract: the same results and ExecErrors as local spawning,
// and attacks on the wire: a disconnecting client must not leave its tool running, caps hold on
// both sides, and malformed or oversized frames are refused before they are buffered.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../operator/runtime/logger.js";
import { ExecError, baseToolEnv, localLauncher, runTool, setToolLauncher } from "../exec.js";
import { configureSandbox, withRenderScope } from "../sandbox.js";
import { connectToolRunner, ToolRunnerClient } from "./client.js";
import {
  encodeFrame, FrameDecoder, FRAME_REQUEST, FRAME_RESULT, FRAME_STDIN, FRAME_STDOUT, MAX_REQUEST_BYTES, RESPONSE_FRAME_LIMITS,
  type RunnerResult,
} from "./protocol.js";
import { startToolRunner, type ToolRunnerServer } from "./server.js";

const quiet = createLogger({ level: "error" });
const env = baseToolEnv();

async function withRunner<T>(fn: (server: ToolRunnerServer, client: ToolRunnerClient) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "hawser-runner-"));
  const server = await startToolRunner({ socketPath: join(dir, "tools.sock"), log: quiet });
  try {
    return await fn(server, new ToolRunnerClient(server.socketPath));
  } finally {
    setToolLauncher(localLauncher);
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** runTool's outcome, comparable across launchers. */
async function outcome(cmd: string, args: string[], opts: Parameters<typeof runTool>[2]): Promise<unknown> {
  return runTool(cmd, args, opts).then(
    (r) => ({ ok: r }),
    // After an output-limit kill the exit code depends on whether the tool had finished already.
    (e: unknown) => (e instanceof ExecError ? { name: e.name, reason: e.reason, message: e.message, exitCode: e.reason === "output-limit" ? "n/a" : e.exitCode } : { other: String(e) }),
  );
}

/** Processes whose command line contains `marker` (the tool and its children alike). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.fail(`gave up waiting: ${what}`);
}

test("through the runner, runTool gives exactly what local spawning gives: output, environment, stdin, exit errors, missing binaries", async () => {
  const cases: Array<[string, string[], Parameters<typeof runTool>[2]]> = [
    ["/bin/echo", ["$HOME", "*", "a;b", "ünïcode"], { env }],
    ["/usr/bin/env", [], { env: { ONLY: "this" } }],
    ["/bin/cat", [], { env, input: "hello\nstdin" }],
    ["/bin/sh", ["-c", "echo 'fetch https://user:s3cr3tpw@example.com/x failed' >&2; exit 3"], { env, label: "tool" }],
    ["/bin/sh", ["-c", "echo out; echo err >&2"], { env }],
    ["/nonexistent/tool", [], { env }],
    ["/bin/sh", ["-c", "yes manifest | head -c 200000"], { env, maxStdoutBytes: 50_000 }],
    ["/bin/pwd", [], { env, cwd: "/usr" }],
  ];
  const local: unknown[] = [];
  for (const [cmd, args, opts] of cases) local.push(await outcome(cmd, args, opts));
  await withRunner(async (_server, client) => {
    setToolLauncher(client);
    for (const [i, [cmd, args, opts]] of cases.entries()) {
      assert.deepEqual(await outcome(cmd, args, opts), local[i], `${cmd} ${args.join(" ")} behaves the same through the runner`);
    }
  });
  assert.match(JSON.stringify(local[3]), /\[REDACTED\]/, "the error case really is an error with redacted stderr");
  assert.match(JSON.stringify(local[5]), /not found/, "the missing-binary case really is a spawn error");
});

test("through the runner, a render's output budget and scratch directories apply as they do locally", async () => {
  const base = await mkdtemp(join(tmpdir(), "hawser-runner-base-"));
  configureSandbox({ tmpBase: base, maxRenderOutputBytes: 100_000 });
  try {
    await withRunner(async (_server, client) => {
      setToolLauncher(client);
      await withRenderScope(async () => {
        const home = await runTool("/bin/sh", ["-c", 'printf %s "$HOME"; head -c 60000 /dev/zero | tr "\\0" a'], { env });
        assert.ok(home.stdout.startsWith(base + "/"), `HOME is the render's scratch (${home.stdout.slice(0, 80)})`);
        const err = await runTool("/bin/sh", ["-c", "head -c 60000 /dev/zero | tr '\\0' a"], { env, label: "helm template" }).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof ExecError, "the second run goes past the render's budget");
        assert.equal(err.reason, "output-limit");
        assert.match(err.message, /^helm template: the rendered manifests are larger than the 100000 bytes limit for one render \(--max-render-output\)/);
      });
    });
  } finally {
    configureSandbox({});
    await rm(base, { recursive: true, force: true });
  }
});

test("through the runner, a timeout stops the tool's whole process group", async () => {
  const marker = `3${randomBytes(3).readUIntBE(0, 3)}.5`;
  await withRunner(async (_server, client) => {
    const err = await client.run({
      cmd: "/bin/sh", args: ["-c", `sleep ${marker} & sleep ${marker}; wait`], env, label: "sleeper",
      timeoutMs: 300, killGraceMs: 100, maxStdoutBytes: 1000, maxStderrBytes: 1000, memoryBytes: 0, cpuSeconds: 0,
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ExecError && err.reason === "timeout", `a timeout ExecError, got ${String(err)}`);
    assert.match(err.message, /^sleeper: timed out after 0 s$/);
    await waitFor("the tool and its background child are gone", () => processesWith(`sleep ${marker}`).length === 0);
  });
});

test("attack: a client that disconnects (a cancelled render) does not leave its tool running in the runner", async () => {
  // A unique sleep duration marks the tool's grandchild, so /proc shows whether anything survives.
  const marker = `4${randomBytes(3).readUIntBE(0, 3)}.25`;
  await withRunner(async (_server, client) => {
    const ac = new AbortController();
    const running = client.run({
      cmd: "/bin/sh", args: ["-c", `echo started; sleep ${marker} & sleep ${marker}; wait`], env, label: "slow tool",
      timeoutMs: 600_000, killGraceMs: 1000, maxStdoutBytes: 1000, maxStderrBytes: 1000, memoryBytes: 0, cpuSeconds: 0, signal: ac.signal,
    });
    await waitFor("the tool started", () => processesWith(`sleep ${marker}`).length >= 2);
    const pids = processesWith(`sleep ${marker}`);
    ac.abort();
    await assert.rejects(running, (e: unknown) => e instanceof ExecError && e.reason === "aborted" && e.message === "slow tool: cancelled");
    await waitFor(`the tool's processes ${pids.join(", ")} are gone`, () => pids.every((pid) => { try { process.kill(pid, 0); return false; } catch { return true; } }));
    assert.deepEqual(processesWith(`sleep ${marker}`), [], "nothing with the tool's marker is left");
  });
});

test("the socket is 0600, a stale socket is replaced and any other file at the path is refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-runner-mode-"));
  try {
    const path = join(dir, "tools.sock");
    const first = await startToolRunner({ socketPath: path, log: quiet });
    assert.equal((await stat(path)).mode & 0o777, 0o600, "only the owner may connect");
    // A crash leaves the socket behind; the restarted runner takes its place.
    const stale = createServer();
    await first.close();
    await new Promise<void>((res) => stale.listen(path, res));
    stale.close();
    await writeFile(join(dir, "keep"), "x");
    const second = await startToolRunner({ socketPath: path, log: quiet });
    assert.ok((await new ToolRunnerClient(path).ping()).pid === process.pid, "the new runner answers");
    // A connection that never sends its request does not hold up shutdown.
    const idle = createConnection({ path });
    const idleClosed = new Promise<void>((res) => idle.on("close", () => res()));
    idle.on("error", () => undefined);
    await new Promise<void>((res) => idle.once("connect", () => res()));
    await second.close();
    await idleClosed;
    await assert.rejects(startToolRunner({ socketPath: join(dir, "keep"), log: quiet }), /exists and is not a socket/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Sends raw bytes to the runner and collects its frames until it closes. */
function rawExchange(socketPath: string, bytes: Buffer[]): Promise<{ frames: Array<{ type: number; payload: Buffer }>; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = createConnection({ path: socketPath });
    const decoder = new FrameDecoder(RESPONSE_FRAME_LIMITS);
    const frames: Array<{ type: number; payload: Buffer }> = [];
    sock.on("data", (c: Buffer) => frames.push(...decoder.push(c)));
    sock.on("error", () => undefined);
    sock.on("close", () => resolve({ frames, closed: true }));
    for (const b of bytes) sock.write(b);
  });
}

test("attack: malformed and oversized requests are refused with an error, before a payload is buffered, and the runner keeps serving", async () => {
  const good = { op: "run", cmd: "/bin/echo", args: ["hi"], env, label: "echo", timeoutMs: 5000, killGraceMs: 100, maxStdoutBytes: 1000, maxStderrBytes: 1000, memoryBytes: 0, cpuSeconds: 0, hasInput: false };
  const header = (type: number, length: number): Buffer => {
    const b = Buffer.alloc(5);
    b[0] = type;
    b.writeUInt32BE(length, 1);
    return b;
  };
  const bad: Array<[string, Buffer[], RegExp]> = [
    ["an unknown frame type", [encodeFrame(0x7f, "x")], /unexpected frame type 0x7f/],
    ["a request announcing 4 GiB", [header(FRAME_REQUEST, 0xffffffff)], /announces 4294967295 bytes, more than its 1048576-byte limit/],
    ["a request just over the limit", [header(FRAME_REQUEST, MAX_REQUEST_BYTES + 1)], /more than its 1048576-byte limit/],
    ["stdin first", [encodeFrame(FRAME_STDIN, "x")], /the first frame must be the request/],
    ["an output frame from the client", [encodeFrame(FRAME_STDOUT, "x")], /unexpected frame type 0x11/],
    ["a header that is not JSON", [encodeFrame(FRAME_REQUEST, "{nope")], /not JSON/],
    ["an unknown op", [encodeFrame(FRAME_REQUEST, JSON.stringify({ op: "exec" }))], /unknown op "exec"/],
    ["an unknown field", [encodeFrame(FRAME_REQUEST, JSON.stringify({ ...good, shell: true }))], /unknown fields: shell/],
    ["a NUL in an argument", [encodeFrame(FRAME_REQUEST, JSON.stringify({ ...good, args: ["a\0b"] }))], /field args is missing or invalid/],
    ["a relative cwd", [encodeFrame(FRAME_REQUEST, JSON.stringify({ ...good, cwd: "tmp" }))], /field cwd/],
    ["a negative timeout", [encodeFrame(FRAME_REQUEST, JSON.stringify({ ...good, timeoutMs: -1 }))], /field timeoutMs/],
    ["a non-string env value", [encodeFrame(FRAME_REQUEST, JSON.stringify({ ...good, env: { A: 1 } }))], /field env\.A/],
    ["input for a run without input", [encodeFrame(FRAME_REQUEST, JSON.stringify(good)), encodeFrame(FRAME_STDIN, "x")], /stdin data for a request without input/],
    ["a second request after the run", [encodeFrame(FRAME_REQUEST, JSON.stringify({ ...good, cmd: "/bin/sleep", args: ["5"] })), encodeFrame(FRAME_STDIN, ""), encodeFrame(FRAME_REQUEST, "{}")], /data after the request/],
  ];
  await withRunner(async (server, client) => {
    for (const [what, bytes, expected] of bad) {
      const { frames } = await rawExchange(server.socketPath, bytes);
      const last = frames.at(-1);
      assert.ok(last?.type === FRAME_RESULT, `${what}: answered with a result frame`);
      const result = JSON.parse(last.payload.toString("utf8")) as RunnerResult;
      assert.ok(!result.ok, `${what}: refused`);
      assert.match(result.message, /^tool runner: malformed request: /, `${what}: says the request is malformed`);
      assert.match(result.message, expected, `${what}: names the problem`);
    }
    // The well-formed request still works on the same runner.
    const ok = await client.run({ ...good, signal: undefined });
    assert.equal(ok.stdout, "hi\n");
  });
});

test("attack: the client enforces the output cap itself, against a runner that streams past it", async () => {
  // A stand-in runner that ignores the cap and never finishes: the client must stop reading.
  const dir = await mkdtemp(join(tmpdir(), "hawser-runner-rogue-"));
  const path = join(dir, "rogue.sock");
  let sent = 0;
  const rogue = createServer((sock) => {
    sock.on("error", () => undefined);
    const chunk = encodeFrame(FRAME_STDOUT, Buffer.alloc(64 * 1024, 0x61));
    const pump = (): void => {
      while (!sock.destroyed && sent < 64 * 1024 * 1024) {
        sent += 64 * 1024;
        if (!sock.write(chunk)) {
          sock.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
  await new Promise<void>((res) => rogue.listen(path, res));
  try {
    const err = await new ToolRunnerClient(path).run({
      cmd: "/bin/true", args: [], env, label: "kustomize build", timeoutMs: 60_000, killGraceMs: 100,
      maxStdoutBytes: 1024 * 1024, maxStderrBytes: 1000, memoryBytes: 0, cpuSeconds: 0,
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ExecError && err.reason === "output-limit", `an output-limit ExecError, got ${String(err)}`);
    assert.equal(err.message, "kustomize build: output larger than the 1 MiB limit");
    assert.ok(sent < 64 * 1024 * 1024, `the client hung up long before the rogue runner's 64 MiB (${sent} bytes sent)`);
  } finally {
    rogue.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("start-up: an unreachable runner is a clear error naming the socket; a listening one reports its isolation", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-runner-none-"));
  try {
    await assert.rejects(connectToolRunner(join(dir, "absent.sock"), { waitMs: 300 }), /the tool runner at .*absent\.sock is unreachable \(ENOENT\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await withRunner(async (server) => {
    const { info, launcher } = await connectToolRunner(server.socketPath);
    assert.equal(launcher.name, "tool-runner");
    assert.ok(["namespaces", "user-namespaces", "none"].includes(info.isolation), `isolation reported: ${info.isolation}`);
    assert.equal(typeof info.tokenReadable, "boolean");
  });
});
