// Reads customization trees from disk in Argo CD's resource_customizations layout:
// <group>/<Kind>/health.lua (core kinds: <Kind>/health.lua), with health_test.yaml beside it.
// This is the I/O half; customizations.ts resolves and runs scripts purely.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { packageRoot } from "../paths.js";
import type { ResourceOverride } from "../engine/settings.js";
import { LuaHealthOverride, type CustomizationTree } from "./customizations.js";
import { LuaResourceActions, type ActionScripts, type ActionTree } from "./actions.js";

/** The tree shipped with Hawser. */
export function bundledCustomizationsDir(): string {
  return join(packageRoot(), "operator", "lua", "resource_customizations");
}

/** Every directory under root (root itself excluded) that holds a file named `file`. */
export function findScriptDirs(root: string, file: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    // Keys are at most group/Kind; deeper levels are testdata.
    if (depth > 2) return;
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (!statSync(path).isDirectory()) continue;
      if (existsSync(join(path, file))) out.push(path);
      walk(path, depth + 1);
    }
  };
  walk(root, 1);
  return out;
}

export function loadCustomizationTree(root: string): CustomizationTree {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`customizations directory ${root} does not exist`);
  const health = new Map<string, string>();
  for (const dir of findScriptDirs(root, "health.lua")) {
    const key = relative(root, dir).split(sep).join("/");
    health.set(key, readFileSync(join(dir, "health.lua"), "utf8"));
  }
  return { origin: root, health };
}

let bundledCache: CustomizationTree | undefined;

/**
 * The health override the controller and CLI use: argocd-cm scripts, then `dirs` in order, then
 * (unless disabled) the bundled tree, which is read once per process.
 */
export function createHealthOverride(opts: { resourceOverrides?: Map<string, ResourceOverride>; dirs?: string[]; bundled?: boolean; timeoutMs?: number } = {}): LuaHealthOverride {
  const trees = (opts.dirs ?? []).map(loadCustomizationTree);
  if (opts.bundled !== false) trees.push((bundledCache ??= loadCustomizationTree(bundledCustomizationsDir())));
  return new LuaHealthOverride({ resourceOverrides: opts.resourceOverrides, trees, timeoutMs: opts.timeoutMs });
}

/** A tree's actions: `<key>/actions/discovery.lua` and `<key>/actions/<name>/action.lua`. */
export function loadActionTree(root: string): ActionTree {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`customizations directory ${root} does not exist`);
  const actions = new Map<string, ActionScripts>();
  for (const dir of findScriptDirs(root, "actions")) {
    const actionsDir = join(dir, "actions");
    if (!statSync(actionsDir).isDirectory()) continue;
    const scripts: ActionScripts = { definitions: new Map() };
    const discovery = join(actionsDir, "discovery.lua");
    if (existsSync(discovery)) scripts.discovery = readFileSync(discovery, "utf8");
    for (const name of readdirSync(actionsDir).sort()) {
      const script = join(actionsDir, name, "action.lua");
      if (existsSync(script)) scripts.definitions.set(name, readFileSync(script, "utf8"));
    }
    actions.set(relative(root, dir).split(sep).join("/"), scripts);
  }
  return { origin: root, actions };
}

let bundledActions: ActionTree | undefined;

/** Resource actions as the server and CLI run them: argocd-cm's, then `dirs`, then the bundled tree. */
export function createResourceActions(opts: { resourceOverrides?: Map<string, ResourceOverride>; dirs?: string[]; bundled?: boolean; timeoutMs?: number } = {}): LuaResourceActions {
  const trees = (opts.dirs ?? []).map(loadActionTree);
  if (opts.bundled !== false) trees.push((bundledActions ??= loadActionTree(bundledCustomizationsDir())));
  return new LuaResourceActions({ resourceOverrides: opts.resourceOverrides, trees, timeoutMs: opts.timeoutMs });
}
