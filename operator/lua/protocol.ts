// The messages and shared counters between vm.ts (main thread) and worker.ts (the Lua worker).
import type { RunOptions } from "./types.js";

export interface LuaRequest {
  seq: number;
  script: string;
  opts: RunOptions;
  stringBudgetBytes: number;
}

export type LuaResponse =
  | { seq: number; ok: true; value: unknown }
  | { seq: number; ok: false; kind: "script" | "timeout" | "memory"; message: string };

/** Indices into the shared Int32Array: the last request picked up, the last one answered. */
export const STARTED = 0;
export const DONE = 1;
/** Written to STARTED when the worker could not load the VM; the port then holds the reason. */
export const BOOT_FAILED = -1;
