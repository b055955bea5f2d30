// The `fields` query parameter (argo-cd-server.md §0): keep only the listed dotted paths of a JSON
// response, or with a leading "-" drop them. Lists are walked through: "items.metadata.name" keeps
// the name of every item.
import { isRecord } from "../../util/index.js";

/** Parses `fields` (comma-separated; repeated parameters are joined) into include/exclude paths. */
export function parseFields(raw: string | string[] | undefined): { exclude: boolean; paths: string[][] } | undefined {
  const joined = (Array.isArray(raw) ? raw.join(",") : raw ?? "").trim();
  if (!joined) return undefined;
  const exclude = joined.startsWith("-");
  const paths = (exclude ? joined.slice(1) : joined).split(",").map((p) => p.trim()).filter(Boolean).map((p) => p.split("."));
  return paths.length > 0 ? { exclude, paths } : undefined;
}

/** A copy of `value` with only `paths` (or without them when `exclude`). */
export function pruneFields(value: unknown, spec: { exclude: boolean; paths: string[][] }, always: string[][] = []): unknown {
  return spec.exclude ? without(value, spec.paths) : keep(value, [...spec.paths, ...always]);
}

function keep(value: unknown, paths: string[][]): unknown {
  if (paths.some((p) => p.length === 0)) return value;
  if (Array.isArray(value)) return value.map((v) => keep(v, paths));
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  const byHead = new Map<string, string[][]>();
  for (const p of paths) byHead.set(p[0]!, [...(byHead.get(p[0]!) ?? []), p.slice(1)]);
  for (const [head, rest] of byHead) {
    if (!(head in value)) continue;
    const v = keep(value[head], rest);
    if (v !== undefined) out[head] = v;
  }
  return out;
}

function without(value: unknown, paths: string[][]): unknown {
  if (Array.isArray(value)) return value.map((v) => without(v, paths));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const matching = paths.filter((p) => p[0] === k);
    if (matching.some((p) => p.length === 1)) continue;
    out[k] = matching.length > 0 ? without(v, matching.map((p) => p.slice(1))) : v;
  }
  return out;
}

/**
 * `JSON.stringify(pruneFields(value, spec, always))`, written while walking `value` instead of
 * building the pruned copy first: a list of 10,000 apps with `fields` allocates what it sends,
 * not a second tree of objects. Leaves kept whole are serialised by JSON.stringify itself.
 */
export function stringifyFields(value: unknown, spec: { exclude: boolean; paths: string[][] }, always: string[][] = []): string | undefined {
  return spec.exclude ? stringifyWithout(value, spec.paths) : stringifyKept(value, [...spec.paths, ...always]);
}

/** keep() and JSON.stringify in one: undefined where keep() leaves nothing (a hole in an array is null). */
function stringifyKept(value: unknown, paths: string[][]): string | undefined {
  if (paths.some((p) => p.length === 0)) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => stringifyKept(v, paths) ?? "null").join(",")}]`;
  if (!isRecord(value)) return undefined;
  const byHead = new Map<string, string[][]>();
  for (const p of paths) byHead.set(p[0]!, [...(byHead.get(p[0]!) ?? []), p.slice(1)]);
  const out: Record<string, string> = {};
  for (const [head, rest] of byHead) {
    if (!(head in value)) continue;
    const v = stringifyKept(value[head], rest);
    if (v !== undefined) out[head] = v;
  }
  return joinObject(out);
}

function stringifyWithout(value: unknown, paths: string[][]): string | undefined {
  if (paths.length === 0) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => stringifyWithout(v, paths) ?? "null").join(",")}]`;
  if (!isRecord(value)) return JSON.stringify(value);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    const matching = paths.filter((p) => p[0] === k);
    if (matching.some((p) => p.length === 1)) continue;
    const s = matching.length > 0 ? stringifyWithout(v, matching.map((p) => p.slice(1))) : JSON.stringify(v);
    if (s !== undefined) out[k] = s;
  }
  return joinObject(out);
}

/** The serialised members in the order JSON.stringify would give the pruned object (integer-like keys first, as objects order them). */
function joinObject(members: Record<string, string>): string {
  return `{${Object.keys(members).map((k) => `${JSON.stringify(k)}:${members[k]}`).join(",")}}`;
}

/** About how many characters each piece of a streamed list holds. */
const LIST_CHUNK = 64 * 1024;

/**
 * A list response `{metadata, items}` with `fields` applied (when given), serialised item by item
 * into pieces of about 64 KiB: the first bytes leave before the last item is serialised, no
 * single string holds the whole list, and the event loop turns between pieces as the socket
 * drains (streams are not held up for the length of a 10,000-app list). The JSON is that of
 * `pruneFields(list, spec, always)`, with `metadata` always before `items`.
 */
export function* listJsonChunks(metadata: unknown, items: readonly unknown[], spec?: { exclude: boolean; paths: string[][] }, always: string[][] = []): Generator<string> {
  const head = spec ? stringifyFields({ metadata }, spec, always) ?? "{}" : JSON.stringify({ metadata });
  const itemPaths = spec?.paths.filter((p) => p[0] === "items").map((p) => p.slice(1)) ?? [];
  const itemsKept = !spec || (spec.exclude ? !itemPaths.some((p) => p.length === 0) : itemPaths.length > 0);
  if (!itemsKept) { yield head; return; }
  const itemSpec = spec && { exclude: spec.exclude, paths: itemPaths };
  let piece = `${head.slice(0, -1)}${head === "{}" ? "" : ","}"items":[`;
  for (let i = 0; i < items.length; i++) {
    const json = (itemSpec ? stringifyFields(items[i], itemSpec) : JSON.stringify(items[i])) ?? "null";
    piece += i === 0 ? json : `,${json}`;
    if (piece.length >= LIST_CHUNK) { yield piece; piece = ""; }
  }
  yield `${piece}]}`;
}
