// Resource actions (Argo CD's Lua actions, util/lua/lua.go): a kind's `discovery.lua` returns the
// actions it offers for an object (name → {disabled, iconClass, displayName, params}), and each
// action's `action.lua` gets the live object as `obj` and the caller's parameters as
// `actionParams`, and returns either the modified object (patched onto the live one) or a list
// of `{operation = "create"|"patch", resource = ...}`. Scripts come from argocd-cm
// (`resource.customizations.actions.<group>_<Kind>`) and from customization trees in Argo's
// layout (`<group>/<Kind>/actions/discovery.lua`, `<group>/<Kind>/actions/<action>/action.lua`).
// Pure: the trees are read by load.ts; running a script goes through the sandboxed worker.
import { parse } from "yaml";
import { compileGobwas, gobwasMatch } from "../util/glob.js";
import { errorFirstLine, isRecord } from "../util/index.js";
import { overrideKey, type ResourceOverride } from "../engine/settings.js";
import { DEFAULT_TIMEOUT_MS, LuaScriptError, runLua } from "./vm.js";

type Obj = Record<string, unknown>;

/** One kind's actions in a customization tree. */
export interface ActionScripts {
  discovery?: string;
  /** action name → action.lua */
  definitions: Map<string, string>;
}

/** A customization tree's actions, keyed like its health scripts ("group/Kind", "_" wildcards). */
export interface ActionTree {
  origin: string;
  actions: Map<string, ActionScripts>;
}

/** `resource.customizations.actions.<group>_<Kind>`, parsed. */
export interface ActionsConfig {
  discoveryLua?: string;
  definitions: Array<{ name: string; actionLua: string }>;
  mergeBuiltinActions: boolean;
}

/** The API's ResourceAction (argo-cd-server.md §1.3). */
export interface ResourceAction {
  name: string;
  params?: Array<{ name: string; value?: string; type?: string; default?: string }>;
  disabled?: boolean;
  iconClass?: string;
  displayName?: string;
}

export interface ImpactedResource {
  operation: "create" | "patch";
  resource: Obj;
}

/** A bad action configuration, script or result; the message names the action and where it came from. */
export class ResourceActionError extends Error {
  override name = "ResourceActionError";
}

/** Parses the YAML of an argocd-cm actions key; throws ResourceActionError naming the key. */
export function parseActionsConfig(text: string, origin: string): ActionsConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ResourceActionError(`${origin}: not valid YAML: ${errorFirstLine(err)}`);
  }
  if (!isRecord(raw)) throw new ResourceActionError(`${origin}: expected a map with discovery.lua and definitions`);
  const out: ActionsConfig = { definitions: [], mergeBuiltinActions: raw.mergeBuiltinActions === true };
  if (raw["discovery.lua"] !== undefined) {
    if (typeof raw["discovery.lua"] !== "string") throw new ResourceActionError(`${origin}: discovery.lua must be a string`);
    out.discoveryLua = raw["discovery.lua"];
  }
  const defs = raw.definitions ?? [];
  if (!Array.isArray(defs)) throw new ResourceActionError(`${origin}: definitions must be a list of {name, action.lua}`);
  defs.forEach((d: unknown, i) => {
    if (!isRecord(d) || typeof d.name !== "string" || !d.name || typeof d["action.lua"] !== "string") {
      throw new ResourceActionError(`${origin}: definitions[${i}] needs a name and an action.lua string`);
    }
    out.definitions.push({ name: d.name, actionLua: d["action.lua"] });
  });
  return out;
}

/** `origin` says where the script is configured; `file` (its chunk name) stays short, as Lua cuts long chunk names. */
interface Script { script: string; origin: string; file: string; openLibs: boolean }

export interface LuaActionsOptions {
  resourceOverrides?: Map<string, ResourceOverride>;
  /** Searched in order; put user trees before the bundled one. */
  trees?: ActionTree[];
  timeoutMs?: number;
}

function groupKindOf(obj: Obj): { group: string; kind: string } {
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  const slash = apiVersion.indexOf("/");
  return { group: slash >= 0 ? apiVersion.slice(0, slash) : "", kind: typeof obj.kind === "string" ? obj.kind : "" };
}

const byKey = <T>([a]: [string, T], [b]: [string, T]): number => (a < b ? -1 : a > b ? 1 : 0);

export class LuaResourceActions {
  private readonly overrides: Map<string, ResourceOverride>;
  private readonly trees: ActionTree[];
  private readonly timeoutMs: number;

  constructor(opts: LuaActionsOptions = {}) {
    this.overrides = opts.resourceOverrides ?? new Map<string, ResourceOverride>();
    this.trees = opts.trees ?? [];
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** argocd-cm's actions for the kind (exact key, then sorted wildcard keys), parsed. */
  private configured(group: string, kind: string): { config: ActionsConfig; origin: string; openLibs: boolean } | undefined {
    const key = overrideKey(group, kind);
    const pick = (k: string, o: ResourceOverride | undefined): { config: ActionsConfig; origin: string; openLibs: boolean } | undefined => {
      if (o?.actions === undefined) return undefined;
      const origin = `argocd-cm resource.customizations.actions.${k.replace("/", "_")}`;
      return { config: parseActionsConfig(o.actions, origin), origin, openLibs: o.useOpenLibs === true };
    };
    const exact = pick(key, this.overrides.get(key));
    if (exact) return exact;
    for (const [pattern, o] of [...this.overrides].sort(byKey)) {
      if (o.actions !== undefined && pattern.includes("*") && gobwasMatch(pattern, key)) return pick(pattern, o);
    }
    return undefined;
  }

  /** The bundled (or user tree) actions of the kind, with where they came from. */
  private builtin(group: string, kind: string): { scripts: ActionScripts; origin: string } | undefined {
    const key = overrideKey(group, kind);
    for (const tree of this.trees) {
      const exact = tree.actions.get(key);
      if (exact) return { scripts: exact, origin: `${tree.origin}/${key}/actions` };
      for (const [dirKey, scripts] of [...tree.actions].sort(byKey)) {
        if (dirKey.includes("_") && compileGobwas(dirKey.replaceAll("_", "*"), "/").test(key)) return { scripts, origin: `${tree.origin}/${dirKey}/actions` };
      }
    }
    return undefined;
  }

  /** Discovery scripts in precedence order: argocd-cm's, then (when merged or absent) the built-in one. */
  private discoveryScripts(group: string, kind: string): Script[] {
    const out: Script[] = [];
    const cm = this.configured(group, kind);
    if (cm?.config.discoveryLua !== undefined) out.push({ script: cm.config.discoveryLua, origin: cm.origin, file: "discovery.lua", openLibs: cm.openLibs });
    if (!cm || cm.config.mergeBuiltinActions) {
      const b = this.builtin(group, kind);
      if (b?.scripts.discovery !== undefined) out.push({ script: b.scripts.discovery, origin: b.origin, file: "discovery.lua", openLibs: true });
    }
    return out;
  }

  /** The action's script: argocd-cm's definition first, the built-in one when merged or not configured. */
  findAction(group: string, kind: string, name: string): Script | undefined {
    const cm = this.configured(group, kind);
    const def = cm?.config.definitions.find((d) => d.name === name);
    if (cm && def) return { script: def.actionLua, origin: cm.origin, file: `${name}/action.lua`, openLibs: cm.openLibs };
    if (!cm || cm.config.mergeBuiltinActions) {
      const b = this.builtin(group, kind);
      const script = b?.scripts.definitions.get(name);
      if (b && script !== undefined) return { script, origin: b.origin, file: `${name}/action.lua`, openLibs: true };
    }
    return undefined;
  }

  /** The actions the object offers, sorted by name (an earlier script wins a name both offer). */
  discover(obj: Obj): ResourceAction[] {
    const { group, kind } = groupKindOf(obj);
    const found = new Map<string, ResourceAction>();
    for (const s of this.discoveryScripts(group, kind)) {
      const result = this.run(s, { obj });
      for (const a of discoveryResult(result, `${s.origin} ${s.file}`)) if (!found.has(a.name)) found.set(a.name, a);
    }
    return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Runs `action` on the object and returns what it changes. Throws ResourceActionError when the
   * kind has no such action, the script fails or its result is not an object or a list of
   * {operation, resource}; the message names the action and the script.
   */
  execute(obj: Obj, action: string, params: Record<string, string> = {}): ImpactedResource[] {
    const { group, kind } = groupKindOf(obj);
    const s = this.findAction(group, kind, action);
    if (!s) throw new ResourceActionError(`action "${action}" is not defined for ${group ? `${group}/` : ""}${kind}`);
    let result: unknown;
    try {
      result = this.run(s, { obj, actionParams: params });
    } catch (err) {
      throw new ResourceActionError(`action "${action}" failed (${s.origin}): ${err instanceof Error ? err.message : String(err)}`);
    }
    return actionResult(obj, result, `action "${action}" (${s.origin})`);
  }

  private run(s: Script, globals: Record<string, unknown>): unknown {
    try {
      return runLua(s.script, { globals, openLibs: s.openLibs, timeoutMs: this.timeoutMs, name: s.file });
    } catch (err) {
      // Discovery errors name the script's origin here; action errors get it from execute().
      if (err instanceof LuaScriptError) throw new ResourceActionError("actionParams" in globals ? err.message : `${s.origin}: ${err.message}`);
      throw err;
    }
  }
}

/** A discovery script's table, checked: name → {disabled?, iconClass?, displayName?, params?}. */
export function discoveryResult(result: unknown, origin: string): ResourceAction[] {
  if (result === undefined) return [];
  // An empty Lua table converts to {} or []; either means no actions.
  if (Array.isArray(result) && result.length === 0) return [];
  if (!isRecord(result)) throw new ResourceActionError(`${origin}: expected a table of actions keyed by name, got ${Array.isArray(result) ? "a list" : typeof result}`);
  const out: ResourceAction[] = [];
  for (const [name, raw] of Object.entries(result)) {
    const v: unknown = Array.isArray(raw) && raw.length === 0 ? {} : raw;
    if (!isRecord(v)) throw new ResourceActionError(`${origin}: action "${name}" must be a table, got ${typeof v}`);
    const a: ResourceAction = { name };
    if (v.disabled !== undefined) {
      if (typeof v.disabled !== "boolean") throw new ResourceActionError(`${origin}: action "${name}": disabled must be a boolean`);
      if (v.disabled) a.disabled = true;
    }
    for (const field of ["iconClass", "displayName"] as const) {
      if (v[field] === undefined) continue;
      if (typeof v[field] !== "string") throw new ResourceActionError(`${origin}: action "${name}": ${field} must be a string`);
      if (v[field]) a[field] = v[field];
    }
    if (v.params !== undefined && !(isRecord(v.params) && Object.keys(v.params).length === 0)) {
      if (!Array.isArray(v.params)) throw new ResourceActionError(`${origin}: action "${name}": params must be a list of {name}`);
      a.params = v.params.map((p: unknown, i) => {
        if (!isRecord(p) || typeof p.name !== "string" || !p.name) throw new ResourceActionError(`${origin}: action "${name}": params[${i}] needs a name`);
        const param: NonNullable<ResourceAction["params"]>[number] = { name: p.name };
        for (const f of ["value", "type", "default"] as const) {
          const v = p[f];
          if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") param[f] = String(v);
        }
        return param;
      });
    }
    out.push(a);
  }
  return out;
}

/** An action script's result, checked and normalised into the resources it touches. */
export function actionResult(live: Obj, result: unknown, what: string): ImpactedResource[] {
  if (Array.isArray(result)) {
    if (result.length === 0) throw new ResourceActionError(`${what} returned an empty list`);
    return result.map((entry: unknown, i) => {
      if (!isRecord(entry)) throw new ResourceActionError(`${what}: entry ${i + 1} is not a {operation, resource} table`);
      const op = entry.operation;
      if (op !== "create" && op !== "patch") throw new ResourceActionError(`${what}: entry ${i + 1}: unsupported operation ${JSON.stringify(op)} (want "create" or "patch")`);
      const resource = checkedResource(entry.resource, `${what}: entry ${i + 1}`);
      return { operation: op, resource: op === "patch" && sameObject(resource, live) ? restoreEmptyLists(resource, live) as Obj : resource };
    });
  }
  if (!isRecord(result)) throw new ResourceActionError(`${what} must return the modified object or a list of {operation, resource}, got ${result === undefined ? "nothing" : typeof result}`);
  const resource = checkedResource(result, what);
  if (!sameObject(resource, live)) throw new ResourceActionError(`${what} returned a different object (${describe(resource)}) than it was run on (${describe(live)})`);
  return [{ operation: "patch", resource: restoreEmptyLists(resource, live) as Obj }];
}

function checkedResource(v: unknown, what: string): Obj {
  if (!isRecord(v)) throw new ResourceActionError(`${what}: resource must be a Kubernetes object`);
  const meta = v.metadata;
  if (typeof v.apiVersion !== "string" || !v.apiVersion || typeof v.kind !== "string" || !v.kind || !isRecord(meta) || typeof meta.name !== "string" || !meta.name) {
    throw new ResourceActionError(`${what}: resource needs apiVersion, kind and metadata.name`);
  }
  return v;
}

function describe(o: Obj): string {
  const meta = o.metadata as { name?: string; namespace?: string };
  return `${String(o.kind)} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name ?? ""}`;
}

/** Same kind (group, not version), namespace and name. */
export function sameObject(a: Obj, b: Obj): boolean {
  const ga = groupKindOf(a);
  const gb = groupKindOf(b);
  const ma = a.metadata as { name?: string; namespace?: string } | undefined;
  const mb = b.metadata as { name?: string; namespace?: string } | undefined;
  return ga.group === gb.group && ga.kind === gb.kind && ma?.name === mb?.name && (ma?.namespace ?? "") === (mb?.namespace ?? "");
}

/**
 * Lua has one table type, so an empty list of the input comes back as an empty map; where the
 * input held a list, an empty table is put back as a list (Argo's cleanReturnedObj), so the
 * patch does not turn `[]` into `{}`.
 */
export function restoreEmptyLists(out: unknown, original: unknown): unknown {
  if (Array.isArray(original) && isRecord(out) && Object.keys(out).length === 0) return [];
  if (Array.isArray(out)) return out.map((v, i) => restoreEmptyLists(v, Array.isArray(original) ? original[i] : undefined));
  if (isRecord(out)) {
    const o: Obj = {};
    for (const [k, v] of Object.entries(out)) o[k] = restoreEmptyLists(v, isRecord(original) ? original[k] : undefined);
    return o;
  }
  return out;
}

/**
 * RFC 7396 merge patch from `from` to `to`: changed and added fields, `null` for removed ones;
 * lists are replaced whole. Undefined when nothing changed.
 */
export function mergePatchBetween(from: unknown, to: unknown): unknown {
  if (!isRecord(from) || !isRecord(to)) return JSON.stringify(from) === JSON.stringify(to) ? undefined : to;
  const patch: Obj = {};
  for (const k of Object.keys(from)) if (!(k in to)) patch[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (!(k in from)) {
      patch[k] = v;
      continue;
    }
    const sub = mergePatchBetween(from[k], v);
    if (sub !== undefined) patch[k] = sub;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
