// How matrix and merge combine parameter sets. fasttemplate mode: flat string maps, the later set
// wins per key. goTemplate mode: mergo.Merge(dst, src, WithOverride) — maps merge deeply and an
// empty source value does not override.
import { goString } from "./params.js";
import type { Params } from "./types.js";
import { isRecord } from "../operator/util/index.js";

function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isRecord(v) && Object.keys(v).length === 0;
}

export function deepMergeOverride(dst: Record<string, unknown>, src: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...dst };
  for (const [k, v] of Object.entries(src)) {
    const cur = out[k];
    if (isRecord(cur) && isRecord(v)) out[k] = deepMergeOverride(cur, v);
    else if (!isEmptyValue(v) || !(k in out)) out[k] = structuredClone(v);
  }
  return out;
}

/** The parameters of `later` laid over `earlier`. */
export function combineParams(earlier: Params, later: Params, goTemplate: boolean): Params {
  if (goTemplate) return deepMergeOverride(earlier, later);
  const out: Params = {};
  for (const [k, v] of Object.entries(earlier)) out[k] = typeof v === "string" ? v : goString(v);
  for (const [k, v] of Object.entries(later)) out[k] = typeof v === "string" ? v : goString(v);
  return out;
}
