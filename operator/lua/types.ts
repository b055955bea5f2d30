// What callers of the Lua runner see: its options, limits and errors. Kept free of fengari so the
// main thread can import it without loading the VM, which runs in a worker (see vm.ts).

/** Argo CD's budget for one script run. */
export const DEFAULT_TIMEOUT_MS = 1000;
/**
 * Bytes of Lua strings one run may allocate, counted cumulatively. fengari keeps strings in
 * Uint8Arrays outside the V8 heap, so the worker's heap limit does not bound them.
 */
export const DEFAULT_STRING_BUDGET_BYTES = 256 * 1024 * 1024;

export interface RunOptions {
  /** Globals set before the script runs (e.g. `obj`). JSON-like values only. */
  globals?: Record<string, unknown>;
  /** Argo's useOpenLibs: also coroutine and utf8. io, debug and unsafe os stay out regardless. */
  openLibs?: boolean;
  timeoutMs?: number;
  /** Chunk name shown in error messages; name the script's origin so users can find it. */
  name?: string;
}

export class LuaScriptError extends Error {
  override name = "LuaScriptError";
}
export class LuaTimeoutError extends LuaScriptError {
  override name = "LuaTimeoutError";
}
export class LuaMemoryError extends LuaScriptError {
  override name = "LuaMemoryError";
}
