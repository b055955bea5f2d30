// Entry of the Lua worker thread (vm.ts starts it). It runs one script at a time for the main
// thread, which blocks on a shared counter until the result is posted. The string byte budget is
// installed before fengari loads, so every Lua string fengari creates is counted.
import { getHeapStatistics } from "node:v8";
import { resourceLimits, workerData, type MessagePort } from "node:worker_threads";
import { budgetExceeded, endRun, installAllocationBudget, startRun } from "./alloc-budget.js";
import { BOOT_FAILED, DONE, STARTED, type LuaRequest, type LuaResponse } from "./protocol.js";
import { LuaMemoryError, LuaTimeoutError } from "./types.js";
import { errorMessage } from "../util/index.js";

const { port, state } = workerData as { port: MessagePort; state: Int32Array };

function signal(index: number, value: number): void {
  Atomics.store(state, index, value);
  Atomics.notify(state, index);
}

/**
 * Heap a single run may add before it is stopped with a clear error at its next hook, well
 * before V8's hard limit kills the thread (which the main thread only notices at the deadline).
 * Measured from the run's start, so garbage left by earlier runs does not count; health scripts
 * add a few megabytes at most.
 */
const heapGrowthLimitBytes = (resourceLimits.maxOldGenerationSizeMb ?? 128) * 0.5 * 1024 * 1024;
let heapAtStart = 0;

function memoryExceeded(): string | undefined {
  const strings = budgetExceeded();
  if (strings) return strings;
  if (getHeapStatistics().used_heap_size - heapAtStart <= heapGrowthLimitBytes) return undefined;
  return `script exceeded its memory budget of ${Math.round(heapGrowthLimitBytes / (1024 * 1024))} MiB of heap`;
}

installAllocationBudget();
try {
  // Loaded only now, after the budget is installed (static imports would load fengari first).
  const { runInThisThread } = await import("./engine.js");
  port.on("message", (req: LuaRequest) => {
    signal(STARTED, req.seq);
    let res: LuaResponse;
    startRun(req.stringBudgetBytes);
    heapAtStart = getHeapStatistics().used_heap_size;
    try {
      res = { seq: req.seq, ok: true, value: runInThisThread(req.script, req.opts, memoryExceeded) };
    } catch (err) {
      const kind = err instanceof LuaTimeoutError ? "timeout" : err instanceof LuaMemoryError ? "memory" : "script";
      res = { seq: req.seq, ok: false, kind, message: errorMessage(err) };
    } finally {
      endRun();
    }
    // Post before signalling, so the result is queued when the main thread wakes up.
    port.postMessage(res);
    signal(DONE, req.seq);
  });
} catch (err) {
  port.postMessage({ seq: 0, ok: false, kind: "script", message: `Lua worker could not load the VM: ${errorMessage(err)}` } satisfies LuaResponse);
  signal(STARTED, BOOT_FAILED);
}
