// `spec.ignoreApplicationDifferences`: fields of generated Applications that the ApplicationSet
// controller leaves as they are on the live Application (users toggling autosync or pinning a
// targetRevision by hand, Argo's documented use). Each rule names fields by JSON pointer or jq path
// expression, optionally for one Application `name`. Before comparing and updating, every ignored
// field of the desired Application takes the live value (or is dropped when the live one has none),
// so it neither causes an update nor is overwritten by one. Argo computes a JSON merge patch with
// the ignored fields removed from both sides, which replaces lists wholesale and so can still
// clobber an ignored field inside a list item (argo-cd#15975); copying the live value does not.
import { parsePointer, type Json, type JsonObject } from "../engine/diff/fields.js";
import { runJq } from "../engine/diff/normalize.js";
import { errorFirstLine, errorMessage, isRecord } from "../util/index.js";

export interface IgnoreApplicationDifference {
  name?: string;
  jsonPointers: string[];
  jqPathExpressions: string[];
}

/** The part of an Application the rules address (pointers are relative to the Application root). */
export interface AppFields {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  spec: Record<string, unknown>;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

export function parseIgnoreApplicationDifferences(value: unknown): IgnoreApplicationDifference[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((r) => ({
    ...(typeof r.name === "string" && r.name !== "" ? { name: r.name } : {}),
    jsonPointers: strings(r.jsonPointers),
    jqPathExpressions: strings(r.jqPathExpressions),
  }));
}

export function rulesFor(rules: IgnoreApplicationDifference[], appName: string): IgnoreApplicationDifference[] {
  return rules.filter((r) => r.name === undefined || r.name === appName);
}

type Container = JsonObject | Json[];

function child(cur: Json | undefined, seg: string): Json | undefined {
  if (Array.isArray(cur)) return /^\d+$/.test(seg) ? cur[Number(seg)] : undefined;
  return isRecord(cur) ? (cur)[seg] : undefined;
}

/** Sets (or, for undefined, removes) the value at a path, creating objects on the way. */
function setPath(root: JsonObject, path: string[], value: Json | undefined): void {
  let cur: Container = root;
  for (const seg of path.slice(0, -1)) {
    let next = child(cur, seg);
    if (next === undefined || next === null || typeof next !== "object") {
      if (value === undefined) return;
      if (Array.isArray(cur)) return; // never grow a list to reach an ignored field
      next = {};
      cur[seg] = next;
    }
    cur = next;
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(cur)) {
    if (!/^\d+$/.test(last) || Number(last) >= cur.length) return;
    if (value === undefined) cur.splice(Number(last), 1);
    else cur[Number(last)] = value;
  } else if (value === undefined) delete cur[last];
  else cur[last] = value;
}

function getPath(root: Json, path: string[]): Json | undefined {
  let cur: Json | undefined = root;
  for (const seg of path) cur = child(cur, seg);
  return cur;
}

// One jq program per expression: the paths it selects in the desired object are removed, then the
// paths it selects in the live object are copied over. Only paths that exist live are copied, so an
// expression cannot write values it computed itself (such as $ENV) into the Application.
const jqProgram = (expr: string): string =>
  `.live as $l | .desired as $d
   | (try [ $d | path(${expr}) ] catch []) as $dp
   | (try [ $l | path(${expr}) ] catch []) as $lp
   | ($d | delpaths($dp))
   | reduce ($lp[] | . as $q | select(($l | getpath($q)) != null)) as $p (.; setpath($p; $l | getpath($p)))`;

export interface IgnoreOutcome {
  desired: AppFields;
  /** Rules that could not be applied (bad pointer, jq error); the rest still apply. */
  warnings: string[];
}

/** The desired Application with every ignored field taken from the live one. */
export async function applyIgnoreApplicationDifferences(desired: AppFields, live: AppFields, rules: IgnoreApplicationDifference[]): Promise<IgnoreOutcome> {
  const warnings: string[] = [];
  if (rules.length === 0) return { desired, warnings };
  let out = structuredClone(desired) as unknown as JsonObject;
  const liveJson = live as unknown as JsonObject;
  for (const rule of rules) {
    for (const pointer of rule.jsonPointers) {
      let path: string[];
      try {
        path = parsePointer(pointer);
      } catch (err) {
        warnings.push(errorMessage(err));
        continue;
      }
      if (path.length === 0) {
        warnings.push(`JSON pointer "${pointer}" would ignore the whole Application; skipped`);
        continue;
      }
      setPath(out, path, structuredClone(getPath(liveJson, path)));
    }
    for (const expr of rule.jqPathExpressions) {
      try {
        const result = await runJq({ live: liveJson, desired: out }, jqProgram(expr));
        if (isRecord(result)) out = result as JsonObject;
        else warnings.push(`jq path expression ${expr} did not produce an object`);
      } catch (err) {
        warnings.push(`jq path expression ${expr}: ${errorFirstLine(err)}`);
      }
    }
  }
  const metadata = isRecord(out.metadata) ? out.metadata : {};
  return { desired: { metadata: metadata, spec: isRecord(out.spec) ? (out.spec) : {} }, warnings };
}
