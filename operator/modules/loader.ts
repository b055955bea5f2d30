// Loads user-supplied config-management plugins and ApplicationSet generators at start-up, from
// directories (one module per file: .js, .mjs, .cjs, or .ts/.mts compiled on the fly) and from
// installed npm packages. Plugin directories may also hold Argo's ConfigManagementPlugin YAML
// (`*.yaml`, `<name>/plugin.yaml`), which becomes in-process CMP plugins. A module that fails to
// load or does not satisfy its interface is reported by file and reason; every other module still
// loads.
import { readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { GeneratorRegistry } from "../../generators/index.js";
import type { Generator } from "../../generators/types.js";
import { loadCmpPlugins } from "../../plugins/cmp/index.js";
import type { PluginRegistry } from "../../plugins/index.js";
import type { ConfigManagementPlugin } from "../../plugins/types.js";
import type { Logger } from "../runtime/logger.js";
import { errorMessage } from "../util/index.js";

export type ModuleKind = "plugin" | "generator";

export interface ModuleLoadReport {
  /** The file path or package name. */
  source: string;
  kind: ModuleKind;
  /** Names registered from this module. */
  loaded: string[];
  /** Why (part of) the module was rejected. */
  errors: string[];
}

export interface LoadOptions {
  pluginDirs?: string[];
  pluginPackages?: string[];
  generatorDirs?: string[];
  generatorPackages?: string[];
  plugins: PluginRegistry;
  generators: GeneratorRegistry;
  log: Logger;
}

const codeExtensions = new Set([".js", ".mjs", ".cjs", ".ts", ".mts"]);

let tsLoaderRegistered: Promise<void> | undefined;

/** TypeScript modules load through tsx's ESM hooks, registered once when first needed. */
function ensureTypeScriptLoader(): Promise<void> {
  tsLoaderRegistered ??= import("tsx/esm/api").then((m) => { m.register(); });
  return tsLoaderRegistered;
}

async function importFile(file: string): Promise<Record<string, unknown>> {
  const ext = extname(file);
  if (ext === ".ts" || ext === ".mts") await ensureTypeScriptLoader();
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

async function importPackage(name: string): Promise<Record<string, unknown>> {
  const require = createRequire(join(process.cwd(), "package.json"));
  const resolved = require.resolve(name);
  return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
}

/** The candidate objects a module exports for a kind: default, `plugin(s)` / `generator(s)`. */
function exportedCandidates(mod: Record<string, unknown>, kind: ModuleKind): unknown[] {
  const out: unknown[] = [];
  const push = (v: unknown): void => {
    if (Array.isArray(v)) out.push(...(v as unknown[]));
    else if (v !== undefined) out.push(v);
  };
  push(mod.default);
  push(mod[kind]);
  push(mod[`${kind}s`]);
  return out;
}

function describe(value: unknown): string {
  if (value !== null && typeof value === "object" && typeof (value as { name?: unknown }).name === "string") {
    return `${(value as { name: string }).name}`;
  }
  return "(unnamed export)";
}

/** Checks a value against the plugin interface; returns what is wrong, or nothing. */
export function pluginProblems(value: unknown): string[] {
  if (value === null || typeof value !== "object") return ["the export is not an object"];
  const v = value as Partial<Record<keyof ConfigManagementPlugin, unknown>>;
  const problems: string[] = [];
  if (typeof v.name !== "string" || v.name === "") problems.push("missing a non-empty string `name`");
  if (typeof v.discover !== "function") problems.push("missing a `discover(appDir, source)` function");
  if (typeof v.generate !== "function") problems.push("missing a `generate(request, context)` function");
  return problems;
}

export function generatorProblems(value: unknown): string[] {
  if (value === null || typeof value !== "object") return ["the export is not an object"];
  const v = value as Partial<Record<keyof Generator, unknown>>;
  const problems: string[] = [];
  if (typeof v.name !== "string" || v.name === "") problems.push("missing a non-empty string `name`");
  if (typeof v.generate !== "function") problems.push("missing a `generate(spec, context)` function");
  if (v.requeueAfterMs !== undefined && typeof v.requeueAfterMs !== "function") problems.push("`requeueAfterMs` must be a function");
  if (v.template !== undefined && typeof v.template !== "function") problems.push("`template` must be a function");
  return problems;
}

async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && codeExtensions.has(extname(e.name)) && !e.name.endsWith(".d.ts") && !e.name.includes(".test."))
    .map((e) => join(dir, e.name))
    .sort();
}

async function loadOne(
  source: string,
  kind: ModuleKind,
  load: () => Promise<Record<string, unknown>>,
  register: (value: unknown) => void,
): Promise<ModuleLoadReport> {
  const report: ModuleLoadReport = { source, kind, loaded: [], errors: [] };
  let mod: Record<string, unknown>;
  try {
    mod = await load();
  } catch (err) {
    // Keep the first lines: compilers put the location (file:line:column) on the second.
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const msg = text.split("\n").map((l) => l.trim()).filter(Boolean).slice(0, 2).join(" ").slice(0, 400);
    report.errors.push(`failed to load: ${msg}`);
    return report;
  }
  const candidates = exportedCandidates(mod, kind);
  if (candidates.length === 0) {
    report.errors.push(`exports no ${kind} (export default, or a named \`${kind}\` or \`${kind}s\` export)`);
    return report;
  }
  for (const candidate of candidates) {
    const problems = kind === "plugin" ? pluginProblems(candidate) : generatorProblems(candidate);
    if (problems.length > 0) {
      report.errors.push(`${kind} ${describe(candidate)}: ${problems.join("; ")}`);
      continue;
    }
    try {
      register(candidate);
      report.loaded.push(describe(candidate));
    } catch (err) {
      report.errors.push(`${kind} ${describe(candidate)}: ${errorMessage(err)}`);
    }
  }
  return report;
}

/** The ConfigManagementPlugin YAML of one plugin directory, as one report (none if there is no YAML). */
async function loadCmpYaml(dir: string, register: (v: unknown) => void): Promise<ModuleLoadReport | undefined> {
  const report: ModuleLoadReport = { source: `${dir} (ConfigManagementPlugin YAML)`, kind: "plugin", loaded: [], errors: [] };
  try {
    const cmp = await loadCmpPlugins(dir);
    report.errors.push(...cmp.errors);
    for (const p of cmp.plugins) {
      try {
        register(p);
        report.loaded.push(p.name);
      } catch (err) {
        report.errors.push(`plugin ${p.name}: ${errorMessage(err)}`);
      }
    }
  } catch (err) {
    report.errors.push(`cannot read the plugin directory: ${errorMessage(err)}`);
  }
  return report.loaded.length > 0 || report.errors.length > 0 ? report : undefined;
}

export async function loadUserModules(opts: LoadOptions): Promise<ModuleLoadReport[]> {
  const reports: ModuleLoadReport[] = [];
  const registerPlugin = (v: unknown): void => opts.plugins.registerUser(v as ConfigManagementPlugin);
  const registerGenerator = (v: unknown): void => opts.generators.register(v as Generator);

  const fromDirs = async (dirs: string[], kind: ModuleKind, register: (v: unknown) => void): Promise<void> => {
    for (const dir of dirs) {
      let files: string[];
      try {
        files = await filesIn(resolve(dir));
      } catch (err) {
        reports.push({ source: dir, kind, loaded: [], errors: [`cannot read the ${kind} directory: ${errorMessage(err)}`] });
        continue;
      }
      if (kind === "plugin") {
        const report = await loadCmpYaml(resolve(dir), register);
        if (report) reports.push(report);
      }
      for (const file of files) reports.push(await loadOne(file, kind, () => importFile(file), register));
    }
  };
  const fromPackages = async (names: string[], kind: ModuleKind, register: (v: unknown) => void): Promise<void> => {
    for (const name of names) reports.push(await loadOne(name, kind, () => importPackage(name), register));
  };

  await fromDirs(opts.pluginDirs ?? [], "plugin", registerPlugin);
  await fromPackages(opts.pluginPackages ?? [], "plugin", registerPlugin);
  await fromDirs(opts.generatorDirs ?? [], "generator", registerGenerator);
  await fromPackages(opts.generatorPackages ?? [], "generator", registerGenerator);

  for (const r of reports) {
    if (r.errors.length > 0) opts.log.error(`${r.kind} module rejected`, { source: r.source, errors: r.errors, loaded: r.loaded });
    else opts.log.info(`${r.kind} module loaded`, { source: r.source, names: r.loaded });
  }
  return reports;
}
