// Pure helpers shared by the generators: Argo's parameter flattening, name sanitising, label
// selector matching over parameter sets, and Go's path.Match.
import { isEmptySelector, selectorMatches, type LabelSelectorSpec } from "../operator/util/labels.js";
import type { Params } from "./types.js";

// Label selectors are shared with the controllers (argocd-cm globalProjects).
export { isEmptySelector, selectorMatches, type LabelSelectorSpec };

/** Argo's utils.SanitizeName: lower-case, anything outside [-a-z0-9.] becomes "-", ≤253, trimmed of "-.". */
export function sanitizeName(name: string): string {
  let out = name.toLowerCase().replace(/[^-a-z0-9.]/g, "-");
  if (out.length > 253) out = out.slice(0, 253);
  return out.replace(/^[-.]+|[-.]+$/g, "");
}

/** Go's fmt "%v" for JSON values, as Argo applies it to flattened parameters. */
export function goString(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(goString).join(" ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${goString(v)}`).join(" ")}]`;
  }
  return JSON.stringify(value);
}

/**
 * jeremywohl/flatten DotStyle, as Argo uses it: nested maps and lists become dotted keys
 * (`a.b`, `list.0`), leaves become strings with Go's %v. Empty maps and lists stay as leaves.
 */
export function flattenParams(value: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === "object" && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)) {
      const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v as Record<string, unknown>);
      for (const [k, child] of entries) walk(prefix === "" ? k : `${prefix}.${k}`, child);
      return;
    }
    out[prefix] = goString(v);
  };
  for (const [k, v] of Object.entries(value)) walk(k, v);
  return out;
}

/** Argo's filterParams: a generator's `selector` matched against each flattened parameter set. */
export function filterParamsBySelector(params: Params[], selector: LabelSelectorSpec | undefined): Params[] {
  if (isEmptySelector(selector)) return params;
  return params.filter((p) => selectorMatches(selector, flattenParams(p)));
}

/** Go's path.Match: `*` and `?` never match `/`; `[...]` classes with `^` negation; `\` escapes. Throws on a bad pattern. */
export function goPathMatch(pattern: string, name: string): boolean {
  return compileGoPathPattern(pattern).test(name);
}

const pathPatternCache = new Map<string, RegExp>();

export class BadPatternError extends Error {
  constructor(pattern: string) {
    super(`syntax error in pattern "${pattern}"`);
    this.name = "BadPatternError";
  }
}

function compileGoPathPattern(pattern: string): RegExp {
  const hit = pathPatternCache.get(pattern);
  if (hit) return hit;
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\") {
      const next = pattern[++i];
      if (next === undefined) throw new BadPatternError(pattern);
      re += escapeRe(next);
    } else if (c === "[") {
      let j = i + 1;
      let cls = "";
      if (pattern[j] === "^") {
        cls += "^";
        j++;
      }
      let closed = false;
      let first = true;
      while (j < pattern.length) {
        const d = pattern[j] as string;
        if (d === "]" && !first) {
          closed = true;
          break;
        }
        first = false;
        if (d === "\\") {
          const e = pattern[++j];
          if (e === undefined) throw new BadPatternError(pattern);
          cls += escapeClassChar(e);
        } else if (d === "-") cls += "-";
        else if (d === "/") throw new BadPatternError(pattern);
        else cls += escapeClassChar(d);
        j++;
      }
      if (!closed || cls === "" || cls === "^") throw new BadPatternError(pattern);
      // A class never matches the separator, as in Go.
      re += `(?!/)[${cls}]`;
      i = j;
    } else re += escapeRe(c);
  }
  const compiled = new RegExp(`^${re}$`, "s");
  pathPatternCache.set(pattern, compiled);
  return compiled;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function escapeClassChar(c: string): string {
  return c.replace(/[\\\]^[]/g, "\\$&");
}

/** Go's path.Dir / path.Base for `/`-separated relative paths. */
export function pathDir(p: string): string {
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  return p.slice(0, i) || "/";
}

export function pathBase(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  const i = trimmed.lastIndexOf("/");
  return i < 0 ? trimmed : trimmed.slice(i + 1);
}

