// Field-level helpers for the diff normalisers: JSON Pointer removal (RFC 6901), managedFields
// (fieldsV1) removal, Kubernetes quantity equality and deep equality. Pure and in-place where noted.
import { deepEqual, isRecord } from "../../util/index.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** isRecord, typed for JSON. */
export function isObject(v: unknown): v is JsonObject {
  return isRecord(v);
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}


/** "/spec/template/0" → ["spec", "template", "0"]; "~1" is "/" and "~0" is "~". */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new Error(`invalid JSON pointer "${pointer}": must start with "/"`);
  return pointer.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** Removes the value at the pointer, in place; a path that does not exist is not an error. */
export function removePointer(root: Json, pointer: string): void {
  const path = parsePointer(pointer);
  if (path.length === 0) return;
  let cur: Json | undefined = root;
  for (const seg of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = /^\d+$/.test(seg) ? cur[Number(seg)] : undefined;
    else if (isObject(cur)) cur = cur[seg];
    else return;
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(cur)) {
    if (/^\d+$/.test(last) && Number(last) < cur.length) cur.splice(Number(last), 1);
  } else if (isObject(cur)) delete cur[last];
}

/**
 * Removes, in place, every field a managedFields entry's fieldsV1 set lists: `f:<name>` object
 * fields, `k:{...}` list items by key fields, `v:<json>` list items by value; `.` marks the node
 * itself. Leaves are removed; a list item whose own node is owned ("." present) is removed whole.
 */
/** The index of the list item a fieldsV1 `k:{…}` (keyed) or `v:…` (set value) selector names; -1 if none. */
function selectedIndex(list: Json[], selector: string): number {
  let want: Json;
  try {
    want = JSON.parse(selector.slice(2)) as Json;
  } catch {
    return -1;
  }
  return selector.startsWith("k:")
    ? list.findIndex((item) => isObject(item) && isObject(want) && Object.entries(want).every(([k, v]) => deepEqual(item[k], v)))
    : list.findIndex((item) => deepEqual(item, want));
}

export function removeFieldSet(target: Json, set: unknown): void {
  if (!isObject(set)) return;
  for (const [selector, sub] of Object.entries(set)) {
    if (selector === ".") continue;
    const leaf = !isObject(sub) || Object.keys(sub).length === 0;
    if (selector.startsWith("f:") && isObject(target)) {
      const name = selector.slice(2);
      if (!(name in target)) continue;
      if (leaf) delete target[name];
      else {
        removeFieldSet(target[name]!, sub);
        const v = target[name];
        if (isObject(v) && Object.keys(v).length === 0) delete target[name];
      }
    } else if ((selector.startsWith("k:") || selector.startsWith("v:")) && Array.isArray(target)) {
      const idx = selectedIndex(target, selector);
      if (idx < 0) continue;
      if (leaf || (isObject(sub) && "." in sub && Object.keys(sub).length === 1)) target.splice(idx, 1);
      else removeFieldSet(target[idx]!, sub);
    }
  }
}

/**
 * The part of `source` a managedFields field set (fieldsV1) covers: owned leaves keep their whole
 * value, keyed list items keep their keys. Undefined when nothing is covered.
 */
export function projectFieldSet(source: Json | undefined, set: unknown): Json | undefined {
  if (!isObject(set) || source === undefined) return undefined;
  const isLeaf = (sub: unknown): boolean => !isObject(sub) || Object.keys(sub).every((k) => k === ".");
  if (isObject(source)) {
    const out: JsonObject = {};
    for (const [selector, sub] of Object.entries(set)) {
      if (!selector.startsWith("f:")) continue;
      const name = selector.slice(2);
      if (!(name in source)) continue;
      if (isLeaf(sub)) out[name] = clone(source[name]!);
      else {
        const p = projectFieldSet(source[name], sub);
        if (p !== undefined) out[name] = p;
      }
    }
    return out;
  }
  if (Array.isArray(source)) {
    const out: Json[] = [];
    for (const [selector, sub] of Object.entries(set)) {
      if (!selector.startsWith("k:") && !selector.startsWith("v:")) continue;
      const idx = selectedIndex(source, selector);
      if (idx < 0) continue;
      const item = source[idx]!;
      if (selector.startsWith("v:") || isLeaf(sub)) out.push(clone(item));
      else {
        // Only the fields listed as owned: a key may hold defaulted values the applier never
        // wrote (a Service port's `protocol: TCP`), which must not count as applied.
        const p = projectFieldSet(item, sub);
        out.push(p ?? clone(item));
      }
    }
    return out;
  }
  return undefined;
}

/**
 * `original` restricted to the fields that are still present in `decoded`, the apiserver's reading
 * of it with unknown fields dropped (a dry run with fieldValidation=Ignore). Values stay the
 * original's, so defaults the server filled in are not added; list items match by position, as
 * decoding never reorders them; nulls are kept (they mean "remove" to an apply).
 */
export function keepDecodedFields(original: Json, decoded: Json | undefined): Json {
  if (isObject(original)) {
    if (!isObject(decoded)) return clone(original);
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(original)) {
      if (v === null) out[k] = null;
      else if (k in decoded) out[k] = keepDecodedFields(v, decoded[k]);
    }
    return out;
  }
  if (Array.isArray(original) && Array.isArray(decoded)) return original.map((item, i) => keepDecodedFields(item, decoded[i]));
  return clone(original);
}

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** A Kubernetes quantity as an exact value in nano-units, or undefined when it is not one. */
export function quantityNanos(v: unknown): bigint | undefined {
  const text = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : undefined;
  if (text === undefined) return undefined;
  const m = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return undefined;
  const [, sign, num, suffix, exp] = m;
  const [int, frac = ""] = num!.split(".");
  let scaled = BigInt((int || "0") + frac); // value × 10^frac.length
  let exp10 = -frac.length + 9; // to nano-units
  if (suffix && BINARY[suffix] !== undefined) scaled *= BINARY[suffix];
  else if (suffix) exp10 += DECIMAL_EXP[suffix]!;
  if (exp !== undefined) exp10 += Number(exp);
  if (Math.abs(exp10) > 60) return undefined;
  if (exp10 >= 0) scaled *= 10n ** BigInt(exp10);
  else {
    const d = 10n ** BigInt(-exp10);
    if (scaled % d !== 0n) scaled = scaled / d + 1n; // sub-nano values round up, as Kubernetes does
    else scaled /= d;
  }
  return sign === "-" ? -scaled : scaled;
}

export function quantitiesEqual(a: unknown, b: unknown): boolean {
  const qa = quantityNanos(a);
  return qa !== undefined && qa === quantityNanos(b);
}
