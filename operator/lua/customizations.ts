// Health overrides from Lua scripts, resolved in Argo CD's order (util/lua/lua.go): argocd-cm exact
// key → argocd-cm wildcard key → each customization directory tree in turn (exact, then its
// wildcard directories, where "_" in a directory name stands for "*") → no override (the
// built-in check applies). Directory scripts always get open libraries, as Argo's built-ins do.
// Pure: the trees are passed in already read (see load.ts).
import { compileGobwas, gobwasMatch } from "../util/glob.js";
import type { HealthOverride } from "../engine/health/index.js";
import { isHealthStatusCode, type HealthStatus, type KubeObj } from "../engine/health/types.js";
import { overrideKey, type ResourceOverride } from "../engine/settings.js";
import { DEFAULT_TIMEOUT_MS, LuaMemoryError, LuaScriptError, LuaTimeoutError, runLua } from "./vm.js";

/** One customization tree in Argo's resource_customizations layout, read into memory. */
export interface CustomizationTree {
  /** Where it came from, for error messages. */
  origin: string;
  /** Directory key ("group/Kind", "Kind", or with "_" wildcards) → health.lua text. */
  health: Map<string, string>;
}

export interface HealthScript {
  script: string;
  useOpenLibs: boolean;
  /** "argocd-cm resource.customizations.health.<key>" or "<tree>/<key>/health.lua". */
  origin: string;
}

export interface LuaHealthOptions {
  resourceOverrides?: Map<string, ResourceOverride>;
  /** Searched in order after argocd-cm; put user directories before the bundled tree. */
  trees?: CustomizationTree[];
  timeoutMs?: number;
}

export const INVALID_HEALTH_STATUS = "Lua returned an invalid health status";

function apiGroupKind(obj: KubeObj): { group: string; kind: string } {
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  const slash = apiVersion.indexOf("/");
  return { group: slash >= 0 ? apiVersion.slice(0, slash) : "", kind: typeof obj.kind === "string" ? obj.kind : "" };
}

/** How long a script's overrun on one version of an object is remembered. */
const OVERRUN_TTL_MS = 5 * 60_000;
const MAX_OVERRUNS = 1000;
interface Overrun { error: LuaScriptError; at: number }
/** script text → "uid/resourceVersion" → the budget error and when it was seen. */
const overruns = new Map<string, Map<string, Overrun>>();
let overrunCount = 0;

/**
 * A script that overran its budget on an object would do so again on every refresh, and each
 * run holds the main thread for the whole budget: remember the failure for this version of the
 * object for a while (an object crafted to make a script slow must not stall the operator once
 * per refresh). Objects without uid and resourceVersion (CLI input) are never cached.
 */
function rememberedOverrun(obj: KubeObj, script: string): LuaScriptError | undefined {
  const version = objectVersion(obj);
  const seen = version ? overruns.get(script)?.get(version) : undefined;
  if (!seen) return undefined;
  if (Date.now() - seen.at <= OVERRUN_TTL_MS) return seen.error;
  overruns.get(script)?.delete(version!);
  overrunCount--;
  return undefined;
}

function rememberOverrun(obj: KubeObj, script: string, error: LuaScriptError): void {
  const version = objectVersion(obj);
  if (!version) return;
  // Crude bound: past the limit start over rather than track recency.
  if (overrunCount >= MAX_OVERRUNS) {
    overruns.clear();
    overrunCount = 0;
  }
  let byObject = overruns.get(script);
  if (!byObject) overruns.set(script, (byObject = new Map<string, Overrun>()));
  if (!byObject.has(version)) overrunCount++;
  byObject.set(version, { error, at: Date.now() });
}

function objectVersion(obj: KubeObj): string | undefined {
  const meta = obj.metadata as { uid?: unknown; resourceVersion?: unknown } | undefined;
  return typeof meta?.uid === "string" && typeof meta.resourceVersion === "string" ? `${meta.uid}/${meta.resourceVersion}` : undefined;
}

/** Runs a health script against an object: Argo's result rules (invalid status → Unknown). */
export function executeHealthLua(obj: KubeObj, script: HealthScript, timeoutMs = DEFAULT_TIMEOUT_MS): HealthStatus | undefined {
  const remembered = rememberedOverrun(obj, script.script);
  if (remembered) throw remembered;
  let result: unknown;
  try {
    result = runLua(script.script, { globals: { obj }, openLibs: script.useOpenLibs, timeoutMs, name: script.origin });
  } catch (err) {
    if (err instanceof LuaTimeoutError || err instanceof LuaMemoryError) rememberOverrun(obj, script.script, err);
    throw err;
  }
  // A script that returns nothing has no opinion; the built-in check (if any) decides.
  if (result === undefined) return undefined;
  if (typeof result !== "object" || result === null || Array.isArray(result)) {
    throw new LuaScriptError(`${script.origin}: expect table output from Lua script, not ${Array.isArray(result) ? "table (list)" : typeof result}`);
  }
  const r = result as Record<string, unknown>;
  if (!isHealthStatusCode(r.status)) return { status: "Unknown", message: INVALID_HEALTH_STATUS };
  const out: HealthStatus = { status: r.status };
  if (r.message !== undefined) out.message = typeof r.message === "string" ? r.message : JSON.stringify(r.message);
  return out;
}

interface WildcardDir { dirKey: string; pattern: RegExp; script: string }
const wildcardCache = new WeakMap<CustomizationTree, WildcardDir[]>();

/** A tree's "_" directories, sorted so the first match does not depend on map order; built once per tree. */
function wildcardDirs(tree: CustomizationTree): WildcardDir[] {
  let dirs = wildcardCache.get(tree);
  if (!dirs) {
    dirs = [...tree.health]
      .filter(([dirKey]) => dirKey.includes("_"))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([dirKey, script]) => ({ dirKey, script, pattern: compileGobwas(dirKey.replaceAll("_", "*"), "/") }));
    wildcardCache.set(tree, dirs);
  }
  return dirs;
}

export class LuaHealthOverride implements HealthOverride {
  private readonly overrides: Map<string, ResourceOverride>;
  private readonly trees: CustomizationTree[];
  private readonly timeoutMs: number;
  private readonly lookups = new Map<string, HealthScript | undefined>();

  constructor(opts: LuaHealthOptions = {}) {
    this.overrides = opts.resourceOverrides ?? new Map<string, ResourceOverride>();
    this.trees = opts.trees ?? [];
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  findHealthScript(group: string, kind: string): HealthScript | undefined {
    const key = overrideKey(group, kind);
    // Every resource of an app is looked up (twice: health and aggregation); the answer per kind
    // cannot change for this instance's settings and trees.
    if (this.lookups.has(key)) return this.lookups.get(key);
    const found = this.lookup(key);
    this.lookups.set(key, found);
    return found;
  }

  private lookup(key: string): HealthScript | undefined {
    const exact = this.overrides.get(key);
    if (exact?.healthLua) return { script: exact.healthLua, useOpenLibs: exact.useOpenLibs === true, origin: `argocd-cm ${key}` };
    // Sorted, so that when several wildcard keys match the choice does not depend on map order.
    for (const [pattern, o] of [...this.overrides].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (o.healthLua && pattern.includes("*") && gobwasMatch(pattern, key)) {
        return { script: o.healthLua, useOpenLibs: o.useOpenLibs === true, origin: `argocd-cm ${pattern}` };
      }
    }
    for (const tree of this.trees) {
      const script = tree.health.get(key);
      if (script !== undefined) return { script, useOpenLibs: true, origin: `${tree.origin}/${key}/health.lua` };
      for (const w of wildcardDirs(tree)) {
        if (w.pattern.test(key)) return { script: w.script, useOpenLibs: true, origin: `${tree.origin}/${w.dirKey}/health.lua` };
      }
    }
    return undefined;
  }

  hasOverride(group: string, kind: string): boolean {
    return this.findHealthScript(group, kind) !== undefined;
  }

  getResourceHealth(obj: KubeObj): HealthStatus | undefined {
    const { group, kind } = apiGroupKind(obj);
    const script = this.findHealthScript(group, kind);
    return script ? executeHealthLua(obj, script, this.timeoutMs) : undefined;
  }
}
