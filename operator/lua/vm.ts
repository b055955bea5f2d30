// Runs Lua customization scripts (health checks) where their memory and wall time are bounded.
// The VM (engine.ts) stops loops with an instruction-count hook, but that hook cannot interrupt
// one long library call (a catastrophic `string.gsub` pattern runs for many seconds inside a
// single instruction), and fengari's strings live outside the V8 heap. So scripts run in a worker
// thread with heap limits (resourceLimits) and a string byte budget (alloc-budget.ts); the caller
// blocks on a shared counter until the result arrives or the hard deadline (the script's budget
// plus a grace) passes, and then terminates the worker and starts a fresh one. The call stays
// synchronous, as health evaluation is everywhere, and blocks the main thread at most that long.
import { performance } from "node:perf_hooks";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { DEFAULT_STRING_BUDGET_BYTES, DEFAULT_TIMEOUT_MS, LuaMemoryError, LuaScriptError, LuaTimeoutError, type RunOptions } from "./types.js";
import { BOOT_FAILED, DONE, STARTED, type LuaRequest, type LuaResponse } from "./protocol.js";
import { errorMessage } from "../util/index.js";

export { DEFAULT_STRING_BUDGET_BYTES, DEFAULT_TIMEOUT_MS, LuaMemoryError, LuaScriptError, LuaTimeoutError, type RunOptions } from "./types.js";

export interface SandboxLimits {
  /** V8 old-generation heap of the worker (Lua tables, the object passed in). */
  heapMb: number;
  /** Lua string bytes one run may allocate. */
  stringBudgetBytes: number;
  /** Added to a script's time budget before the worker is terminated; the VM's own hook normally ends it first. */
  graceMs: number;
  /** How long a (re)started worker may take to load the VM; not counted against any script. */
  startupTimeoutMs: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  heapMb: 128,
  stringBudgetBytes: DEFAULT_STRING_BUDGET_BYTES,
  graceMs: 250,
  startupTimeoutMs: 20_000,
};

/**
 * The worker's bootstrap: it loads worker.js (under tsx, as in tests and the demo, worker.ts
 * through tsx's loader, since Node 20 does not carry the parent's --import hooks into workers),
 * and reports a failure to load through the shared counter rather than leaving the caller waiting.
 */
function workerBootstrap(): string {
  const ts = import.meta.url.endsWith(".ts");
  const entry = JSON.stringify(new URL(ts ? "./worker.ts" : "./worker.js", import.meta.url).href);
  const load = ts ? `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then(({ register }) => { register(); return import(${entry}); })` : `import(${entry})`;
  return `const { workerData } = require("node:worker_threads");
${load}.catch((err) => {
  workerData.port.postMessage({ seq: 0, ok: false, kind: "script", message: "the Lua worker could not start: " + (err && err.message) });
  Atomics.store(workerData.state, ${STARTED}, ${BOOT_FAILED});
  Atomics.notify(workerData.state, ${STARTED});
});`;
}
const WORKER_BOOTSTRAP = workerBootstrap();

interface LuaWorker {
  worker: Worker;
  port: MessagePort;
  state: Int32Array;
}

/** Waits until state[index] holds `want`; false when `until` (performance.now) passes first. */
function waitFor(state: Int32Array, index: number, want: number, until: number): boolean {
  for (;;) {
    const seen = Atomics.load(state, index);
    if (seen === want || seen === BOOT_FAILED) return seen === want;
    const left = until - performance.now();
    if (left <= 0) return false;
    Atomics.wait(state, index, seen, left);
  }
}

export class LuaSandbox {
  private current: LuaWorker | undefined;
  private seq = 0;
  /** Workers replaced because a script overran its time or memory (observability and tests). */
  restarts = 0;

  constructor(private readonly limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS) {}

  /**
   * Runs a script and returns its first result converted to JS. Throws LuaScriptError on a
   * syntax or runtime error, LuaTimeoutError when it overruns its time budget and LuaMemoryError
   * when it exceeds its memory budget; the messages start with the script's name.
   */
  run(script: string, opts: RunOptions = {}): unknown {
    const name = opts.name ?? "script";
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const w = (this.current ??= this.spawn());
    const seq = ++this.seq;
    const req: LuaRequest = { seq, script, opts: { ...opts, timeoutMs }, stringBudgetBytes: this.limits.stringBudgetBytes };
    try {
      w.port.postMessage(req);
    } catch (err) {
      // Only the globals can fail to clone (a function, a symbol): the caller's bug, not the script's.
      throw new LuaScriptError(`${name}: cannot pass the script's input to Lua: ${errorMessage(err)}`);
    }
    if (!waitFor(w.state, STARTED, seq, performance.now() + this.limits.startupTimeoutMs)) {
      const boot = Atomics.load(w.state, STARTED) === BOOT_FAILED ? this.responseOf(w) : undefined;
      const reason = boot && !boot.ok ? boot.message : undefined;
      this.kill(w);
      throw new LuaScriptError(`${name}: ${reason ?? `the Lua worker did not start within ${this.limits.startupTimeoutMs} ms`}`);
    }
    if (!waitFor(w.state, DONE, seq, performance.now() + timeoutMs + this.limits.graceMs)) {
      // A single long library call, or the worker died of its heap limit: either way only
      // terminating the thread gets the time (and memory) back.
      this.kill(w);
      throw new LuaTimeoutError(`${name}: script was stopped after exceeding its time budget of ${timeoutMs} ms (or the Lua worker's ${this.limits.heapMb} MiB heap)`);
    }
    const res = this.responseOf(w);
    if (!res || res.seq !== seq) {
      this.kill(w);
      throw new LuaScriptError(`${name}: the Lua worker returned no result`);
    }
    if (res.ok) return res.value;
    if (res.kind === "timeout") throw new LuaTimeoutError(res.message);
    if (res.kind === "memory") {
      // What the script allocated may not be collected yet; the next script gets a fresh heap.
      this.kill(w);
      throw new LuaMemoryError(res.message);
    }
    throw new LuaScriptError(res.message);
  }

  /** Stops the worker; the next run starts a new one. */
  async close(): Promise<void> {
    const w = this.current;
    this.current = undefined;
    if (w) await w.worker.terminate();
  }

  private responseOf(w: LuaWorker): LuaResponse | undefined {
    return receiveMessageOnPort(w.port)?.message as LuaResponse | undefined;
  }

  private spawn(): LuaWorker {
    const { port1, port2 } = new MessageChannel();
    const state = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(WORKER_BOOTSTRAP, {
      eval: true,
      workerData: { port: port2, state },
      transferList: [port2],
      // Scripts never need the environment (os.getenv is not offered); keep credentials out of reach.
      env: {},
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    });
    // Its death (heap limit, terminate) is handled by the deadline; an unhandled 'error' would crash us.
    worker.on("error", () => {});
    // An idle worker must not keep a CLI process alive.
    worker.unref();
    port1.unref();
    return { worker, port: port1, state };
  }

  private kill(w: LuaWorker): void {
    this.restarts++;
    if (this.current === w) this.current = undefined;
    w.port.close();
    w.worker.terminate().catch(() => {});
    // Start the replacement now, so it loads while the caller carries on.
    this.current = this.spawn();
  }
}

const shared = new LuaSandbox();

/** Runs a script in the process-wide sandbox (see LuaSandbox.run). */
export function runLua(script: string, opts: RunOptions = {}): unknown {
  return shared.run(script, opts);
}

/** The process-wide sandbox, for stats and tests. */
export function sharedLuaSandbox(): LuaSandbox {
  return shared;
}
