// `hawser health`: assess the health of resources offline, exactly as the controller would
// (built-in checks, argocd-cm Lua overrides, customization directories, the bundled tree). Prints
// one JSON line per resource document: {"status","message"}, `null` when no check applies, or
// {"error"} when a check or script fails (exit status 2).
import { readFileSync } from "node:fs";
import type { CommandModule } from "../cli.js";
import { evaluateResourceHealth } from "../engine/health/index.js";
import { parseArgoSettings, type ArgoSettings } from "../engine/settings.js";
import { executeHealthLua, type LuaHealthOverride } from "../lua/customizations.js";
import { createHealthOverride } from "../lua/load.js";
import { parseManifests } from "../../plugins/manifests.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { errorMessage } from "../util/index.js";

const USAGE = `usage: hawser health [--customizations DIR]... [--no-bundled] [--argocd-cm FILE] [--script-only] FILE|-

Prints one JSON line per resource in FILE (or stdin): {"status","message"}, null when no health
check applies, {"error"} when a check or script fails (exit status 2).

  --customizations DIR  a resource_customizations tree (<group>/<Kind>/health.lua); repeatable,
                        searched in order before the bundled tree
  --no-bundled          do not use Hawser's bundled scripts
  --argocd-cm FILE      an argocd-cm ConfigMap; its resource.customizations.* scripts come first
  --script-only         run only the Lua script: no built-in check, no "Pending deletion" rule
`;

export function readInput(path: string): string {
  return path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
}

/** The `data` of an argocd-cm ConfigMap file, parsed; settings problems go to stderr. */
export function loadArgoCm(path: string | undefined): ArgoSettings {
  if (!path) return parseArgoSettings({});
  const [cm] = parseManifests(readInput(path), { source: path });
  const data = cm?.data;
  const settings = parseArgoSettings(typeof data === "object" && data !== null ? (data as Record<string, string>) : {});
  for (const e of settings.errors) process.stderr.write(`hawser: ${path}: ${e}\n`);
  return settings;
}

function runHealth(args: string[]): number {
  let flags;
  try {
    flags = parseFlags(args, { values: ["argocd-cm"], repeatable: ["customizations"], booleans: ["no-bundled", "script-only", "help"] });
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`hawser health: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (flags.booleans.get("help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [file, ...extra] = flags.positional;
  if (!file || extra.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  let override: LuaHealthOverride;
  let docs;
  try {
    const settings = loadArgoCm(flagValue(flags, "argocd-cm"));
    override = createHealthOverride({ resourceOverrides: settings.resourceOverrides, dirs: flags.values.get("customizations") ?? [], bundled: !flags.booleans.get("no-bundled") });
    docs = parseManifests(readInput(file), { source: file === "-" ? "stdin" : file });
  } catch (err) {
    process.stderr.write(`hawser health: ${errorMessage(err)}\n`);
    return 2;
  }
  const scriptOnly = flags.booleans.get("script-only") === true;
  let failed = false;
  for (const obj of docs) {
    let line: unknown;
    if (scriptOnly) {
      const group = obj.apiVersion.includes("/") ? obj.apiVersion.slice(0, obj.apiVersion.indexOf("/")) : "";
      const script = override.findHealthScript(group, obj.kind);
      try {
        const h = script ? executeHealthLua(obj, script) : undefined;
        line = h ? { status: h.status, message: h.message ?? "" } : null;
      } catch (err) {
        failed = true;
        line = { error: errorMessage(err) };
      }
    } else {
      const { health, error } = evaluateResourceHealth(obj, override);
      if (error) {
        failed = true;
        line = { error: error.message };
      } else line = health ? { status: health.status, message: health.message ?? "" } : null;
    }
    process.stdout.write(JSON.stringify(line) + "\n");
  }
  return failed ? 2 : 0;
}

export const command: CommandModule = {
  summary: "assess resource health offline (built-in checks and Lua customizations)",
  run: (args) => Promise.resolve(runHealth(args)),
};
