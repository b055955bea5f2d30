// A byte budget for Lua strings, installed in the Lua worker before fengari loads. fengari keeps
// every Lua string in a Uint8Array that it creates with the global constructor; typed-array bytes
// live outside the V8 heap, so the worker's resourceLimits do not bound them, and `s = s .. s`
// reaches gigabytes in a few dozen instructions, between two checks of the time hook. Counting
// each allocation lets the one that crosses the budget fail before its memory is taken.
import { LuaMemoryError } from "./types.js";

const NativeUint8Array = globalThis.Uint8Array;
let remaining = Number.POSITIVE_INFINITY;
let budgetBytes = Number.POSITIVE_INFINITY;
let exceeded: string | undefined;

function lengthOf(source: unknown): number {
  if (typeof source === "number") return source;
  // A view over an existing buffer (subarray, new Uint8Array(buffer, offset)) allocates nothing.
  if (source instanceof ArrayBuffer || source instanceof SharedArrayBuffer) return 0;
  if (source !== null && typeof source === "object" && "length" in source && typeof source.length === "number") return source.length;
  return 0;
}

function charge(bytes: number): void {
  if (bytes <= remaining) {
    remaining -= bytes;
    return;
  }
  remaining = 0; // every later allocation in this run fails too
  exceeded = `script exceeded its memory budget of ${Math.round(budgetBytes / (1024 * 1024))} MiB of strings`;
  throw new LuaMemoryError(exceeded);
}

type FromArgs = Parameters<typeof NativeUint8Array.from>;

/**
 * Stands in for the Uint8Array constructor and returns real Uint8Arrays, so `instanceof` and
 * typed-array fast paths stay as they were (a subclass made every string 3-4x slower to create).
 */
function BudgetedUint8Array(this: unknown, a?: unknown, b?: number, c?: number): Uint8Array {
  charge(lengthOf(a));
  return new NativeUint8Array(a as ArrayBuffer, b, c);
}
BudgetedUint8Array.prototype = NativeUint8Array.prototype;
Object.assign(BudgetedUint8Array, {
  BYTES_PER_ELEMENT: NativeUint8Array.BYTES_PER_ELEMENT,
  from: (...args: FromArgs): Uint8Array => {
    charge(lengthOf(args[0]));
    return NativeUint8Array.from(...args);
  },
  of: (...items: number[]): Uint8Array => {
    charge(items.length);
    return NativeUint8Array.of(...items);
  },
});

let installed = false;

/** Replaces the global Uint8Array with the counting one. Call before fengari is loaded. */
export function installAllocationBudget(): void {
  if (installed) return;
  installed = true;
  globalThis.Uint8Array = BudgetedUint8Array as unknown as Uint8ArrayConstructor;
}

/** Starts a run with `bytes` to spend; endRun lifts the limit again. */
export function startRun(bytes: number): void {
  budgetBytes = bytes;
  remaining = bytes;
  exceeded = undefined;
}

/** The budget message once an allocation in this run was refused (even if the script caught it). */
export function budgetExceeded(): string | undefined {
  return exceeded;
}

export function endRun(): void {
  remaining = Number.POSITIVE_INFINITY;
  budgetBytes = Number.POSITIVE_INFINITY;
  exceeded = undefined;
}
