// Argo CD's ConfigManagementPlugin YAML (cmpserver/plugin/config.go), run in-process instead of
// in a sidecar. Plugins are loaded only from the operator's own plugin directory: their commands
// come from that YAML, never from an Application. An Application can only pick a plugin (by name
// or discovery) and pass env/parameters, which reach the commands as environment variables
// (ARGOCD_ENV_<name>, PARAM_<NAME>…, ARGOCD_APP_PARAMETERS) next to Argo's build environment.
// Commands run with the source path of a private copy of the repository as working directory.
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { compileLooseDoublestar, compileGobwas } from "../../operator/util/glob.js";
import { envsubst } from "../buildenv.js";
import { privateCopy } from "../copy.js";
import { explicitTool } from "../detect.js";
import { baseToolEnv, runTool } from "../exec.js";
import { parseToolOutput } from "../tool-output.js";

import { resolveInside } from "../paths.js";
import { type ConfigManagementPlugin, type PluginContext, type RenderRequest, type RenderResult, type SourceSpec } from "../types.js";
import { ARGO_API_VERSION } from "../../operator/api/annotations.js";
import { errorMessage } from "../../operator/util/index.js";

export interface CmpCommand { command: string[]; args: string[] }

export interface CmpConfig {
  name: string;
  version?: string;
  init?: CmpCommand;
  generate: CmpCommand;
  discover?: { fileName?: string; find?: { glob?: string; command?: CmpCommand } };
  /** Where the YAML came from (for errors). */
  source: string;
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && (v as unknown[]).every((x) => typeof x === "string") ? (v as string[]) : undefined;

function command(v: unknown, what: string, source: string): CmpCommand | undefined {
  if (v === undefined || v === null) return undefined;
  const rec = v as { command?: unknown; args?: unknown };
  const cmd = strings(rec.command);
  if (!cmd || cmd.length === 0) throw new Error(`${source}: ${what}.command must be a non-empty list of strings`);
  const args = rec.args === undefined ? [] : strings(rec.args);
  if (!args) throw new Error(`${source}: ${what}.args must be a list of strings`);
  return { command: cmd, args };
}

/** Validates one ConfigManagementPlugin document. */
export function parseCmpConfig(doc: unknown, source: string): CmpConfig {
  const d = (doc ?? {}) as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown }; spec?: Record<string, unknown> };
  if (d.apiVersion !== ARGO_API_VERSION || d.kind !== "ConfigManagementPlugin") {
    throw new Error(`${source}: not a ConfigManagementPlugin (apiVersion ${ARGO_API_VERSION}, kind ConfigManagementPlugin)`);
  }
  const name = d.metadata?.name;
  if (typeof name !== "string" || name === "") throw new Error(`${source}: metadata.name is required`);
  const spec = d.spec ?? {};
  const generate = command(spec.generate, "spec.generate", source);
  if (!generate) throw new Error(`${source}: spec.generate is required`);
  const disc = spec.discover as { fileName?: unknown; find?: { glob?: unknown; command?: unknown; args?: unknown } } | undefined;
  let discover: CmpConfig["discover"];
  if (disc) {
    discover = {};
    if (typeof disc.fileName === "string" && disc.fileName !== "") discover.fileName = disc.fileName;
    if (disc.find) {
      discover.find = {};
      if (typeof disc.find.glob === "string" && disc.find.glob !== "") discover.find.glob = disc.find.glob;
      if (disc.find.command !== undefined) discover.find.command = command(disc.find, "spec.discover.find", source);
    }
  }
  return {
    name, version: typeof spec.version === "string" && spec.version !== "" ? spec.version : undefined,
    init: command(spec.init, "spec.init", source), generate, discover, source,
  };
}

/** Argo's `PARAM_` names: upper case, anything outside [A-Z0-9_] becomes `_`. */
const escapeParam = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9_]/g, "_");

/** The variables a plugin sees for `plugin.env` and `plugin.parameters` (Argo's Environ()). */
export function pluginEnv(plugin: SourceSpec["plugin"], buildEnv: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of plugin?.env ?? []) {
    if (typeof e?.name === "string") env[`ARGOCD_ENV_${e.name}`] = envsubst(typeof e.value === "string" ? e.value : "", buildEnv);
  }
  const params = (Array.isArray(plugin?.parameters) ? plugin.parameters : []) as Array<{ name?: unknown; string?: unknown; array?: unknown; map?: unknown }>;
  if (params.length > 0) {
    env.ARGOCD_APP_PARAMETERS = JSON.stringify(params);
    for (const p of params) {
      if (typeof p.name !== "string") continue;
      const base = `PARAM_${escapeParam(p.name)}`;
      if (typeof p.string === "string") env[base] = p.string;
      if (typeof p.map === "object" && p.map !== null) for (const [k, v] of Object.entries(p.map)) if (typeof v === "string") env[`${base}_${escapeParam(k)}`] = v;
      if (Array.isArray(p.array)) (p.array as unknown[]).forEach((v, i) => { if (typeof v === "string") env[`${base}_${i}`] = v; });
    }
  }
  return env;
}

const MAX_DISCOVER_ENTRIES = 20_000;

/** Files under `dir` (relative, `/`-separated), skipping hidden directories like .git. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (out.length >= MAX_DISCOVER_ENTRIES) return;
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith(".")) await walk(p);
      } else out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out;
}

export interface CmpPluginOptions {
  timeoutMs?: number;
}

export function createCmpPlugin(config: CmpConfig, opts: CmpPluginOptions = {}): ConfigManagementPlugin {
  const name = config.version ? `${config.name}-${config.version}` : config.name;
  const run = (cmd: CmpCommand, cwd: string, env: Record<string, string>, signal: AbortSignal | undefined, label: string): ReturnType<typeof runTool> =>
    runTool(cmd.command[0]!, [...cmd.command.slice(1), ...cmd.args], { cwd, env, signal, timeoutMs: opts.timeoutMs, label: `plugin ${name} ${label}` });
  return {
    name,
    async discover(appDir: string, source: SourceSpec): Promise<boolean> {
      if (explicitTool(source) && explicitTool(source) !== "plugin") return false;
      const d = config.discover;
      if (!d) return false; // Without discovery rules a plugin is used only by name.
      if (d.fileName) {
        const re = compileGobwas(d.fileName, "/");
        return (await listFiles(appDir)).some((f) => re.test(f));
      }
      if (d.find?.glob) {
        const re = compileLooseDoublestar(d.find.glob);
        return (await listFiles(appDir)).some((f) => re.test(f));
      }
      if (d.find?.command) {
        try {
          const { stdout } = await run(d.find.command, appDir, baseToolEnv(), undefined, "discover");
          return stdout.trim() !== "";
        } catch {
          return false;
        }
      }
      return false;
    },
    async generate(req: RenderRequest, ctx: PluginContext): Promise<RenderResult> {
      const rel = relative(req.repoRoot, req.appDir) || ".";
      await resolveInside(req.repoRoot, req.repoRoot, rel, "source path");
      const copy = await privateCopy(req.repoRoot, req.appDir, "hawser-cmp-");
      try {
        const env = baseToolEnv({ ...req.env, ...pluginEnv(req.source.plugin, req.env) });
        if (config.init) await run(config.init, copy.appDir, env, ctx.signal, "init");
        const { stdout, stderr } = await run(config.generate, copy.appDir, env, ctx.signal, "generate");
        if (stderr.trim() !== "") ctx.log.debug("plugin stderr", { plugin: name, stderr: stderr.slice(-2000) });
        return { manifests: parseToolOutput(stdout, `plugin ${name} output`) };
      } finally {
        await copy.dispose();
      }
    },
  };
}

/**
 * Loads every ConfigManagementPlugin YAML in `dir` (`*.yaml`/`*.yml`, and `<sub>/plugin.yaml` as
 * in Argo's sidecar layout). Returns the plugins and the per-file errors.
 */
export async function loadCmpPlugins(dir: string, opts: CmpPluginOptions = {}): Promise<{ plugins: ConfigManagementPlugin[]; errors: string[] }> {
  const plugins: ConfigManagementPlugin[] = [];
  const errors: string[] = [];
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { plugins, errors };
    throw err;
  }
  const files: string[] = [];
  for (const e of entries) {
    const p = join(dir, e);
    const s = await stat(p);
    if (s.isFile() && /\.ya?ml$/.test(e)) files.push(p);
    else if (s.isDirectory()) {
      for (const f of ["plugin.yaml", "plugin.yml"]) if (await stat(join(p, f)).then((x) => x.isFile(), () => false)) files.push(join(p, f));
    }
  }
  for (const file of files) {
    try {
      const docs = parseAllDocuments(await readFile(file, "utf8"));
      for (const doc of Array.isArray(docs) ? docs : [docs]) {
        if (doc.errors.length > 0) throw new Error(`${file}: invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
        const value: unknown = doc.toJS({ maxAliasCount: 100 });
        if (value === null || value === undefined) continue;
        plugins.push(createCmpPlugin(parseCmpConfig(value, file), opts));
      }
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  return { plugins, errors };
}
