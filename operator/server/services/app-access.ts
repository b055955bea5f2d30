// What the services beside applications.ts (logs, revisions) share: its app lookup with Argo's
// existence hiding (argo-cd-server.md §1.1), and strict query parameters (a malformed value is a
// 400 naming the parameter).
import type { ApplicationObject } from "../cache.js";
import type { Caller, Query } from "../http/api.js";
import { invalidArgument } from "../http/errors.js";

/** A query parameter given at most once; undefined when absent or empty. */
export function queryOne(q: Query, key: string): string | undefined {
  const v = q[key];
  if (Array.isArray(v)) {
    if (v.length > 1) throw invalidArgument(`query parameter "${key}" given ${v.length} times; at most once`);
    return v[0] || undefined;
  }
  return v || undefined;
}

export function queryBool(q: Query, key: string): boolean {
  const v = queryOne(q, key);
  if (v === undefined || v === "false" || v === "0") return false;
  if (v === "true" || v === "1") return true;
  throw invalidArgument(`query parameter "${key}" must be true or false, got "${v}"`);
}

/** A whole number ≥ `min`, or undefined when absent. */
export function queryInt(q: Query, key: string, min = 0): number | undefined {
  const v = queryOne(q, key);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw invalidArgument(`query parameter "${key}" must be a whole number of at least ${min}, got "${v}"`);
  return Number(v);
}

/** The Application service's lookup (RBAC and Argo's existence hiding), for the services beside it. */
export interface AppFinder {
  findApp(caller: Caller, name: string, q: Query, action: string): ApplicationObject;
}
