// `hawser diff`: compare target manifests with live objects offline, with the controller's
// normalisations (argocd-cm compare options and ignoreDifferences, an Application's
// spec.ignoreDifferences). Exit 0: no difference; 1: differences, shown as a unified diff of the
// normalised live and predicted YAML per resource; 2: error.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { CommandModule } from "../cli.js";
import { diff, maskSecrets, unifiedDiff, type IgnoreDifferencesEntry, type JsonObject } from "../engine/diff/index.js";
import { parseManifests } from "../../plugins/manifests.js";
import type { Manifest } from "../../plugins/types.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { loadArgoCm, readInput } from "./health.js";
import { errorMessage } from "../util/index.js";

const USAGE = `usage: hawser diff --target FILE|DIR --live FILE [--argocd-cm FILE] [--app FILE]

Compares each target manifest with the live object of the same group, kind, namespace and name.
Exit status 0: no difference; 1: differences (a unified diff per resource on stdout); 2: error.
Live objects no target names are not compared.

  --target FILE|DIR   manifests (a directory is read recursively: *.yaml, *.yml, *.json)
  --live FILE         live objects (multi-document YAML or a List, e.g. kubectl get -o yaml)
  --argocd-cm FILE    an argocd-cm ConfigMap (resource.compareoptions, ignoreDifferences)
  --app FILE          an Application whose spec.ignoreDifferences apply
`;

function manifestFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) manifestFiles(path, out);
    else if (/\.(ya?ml|json)$/.test(name)) out.push(path);
  }
  return out;
}

function readManifests(path: string): Manifest[] {
  if (path !== "-" && statSync(path).isDirectory()) return manifestFiles(path).flatMap((f) => parseManifests(readInput(f), { source: f }));
  return parseManifests(readInput(path), { source: path === "-" ? "stdin" : path });
}

const groupOf = (m: Manifest): string => (m.apiVersion.includes("/") ? m.apiVersion.slice(0, m.apiVersion.indexOf("/")) : "");
const keyOf = (m: Manifest, namespace = m.metadata.namespace ?? ""): string => `${groupOf(m)}/${m.kind}/${namespace}/${m.metadata.name ?? ""}`;

async function run(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(args, { values: ["target", "live", "argocd-cm", "app"], booleans: ["help"] });
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`hawser diff: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (flags.booleans.get("help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const targetPath = flagValue(flags, "target");
  const livePath = flagValue(flags, "live");
  if (!targetPath || !livePath || flags.positional.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  let targets: Manifest[];
  let live: Manifest[];
  let ignoreDifferences: IgnoreDifferencesEntry[] = [];
  let settings;
  try {
    targets = readManifests(targetPath);
    live = readManifests(livePath);
    settings = loadArgoCm(flagValue(flags, "argocd-cm"));
    const appPath = flagValue(flags, "app");
    if (appPath) {
      const [app] = parseManifests(readInput(appPath), { source: appPath });
      const spec = app?.spec as { ignoreDifferences?: IgnoreDifferencesEntry[] } | undefined;
      ignoreDifferences = spec?.ignoreDifferences ?? [];
    }
  } catch (err) {
    process.stderr.write(`hawser diff: ${errorMessage(err)}\n`);
    return 2;
  }

  const liveByKey = new Map(live.map((m) => [keyOf(m), m]));
  let differs = false;
  for (const target of targets) {
    // A manifest without a namespace is matched to a live object of any namespace if only one fits.
    let liveObj = liveByKey.get(keyOf(target));
    if (!liveObj && !target.metadata.namespace) {
      const candidates = live.filter((l) => keyOf(l, "") === keyOf(target, ""));
      if (candidates.length === 1) liveObj = candidates[0];
    }
    const result = await diff(target as JsonObject, (liveObj as JsonObject | undefined) ?? null, { ignoreDifferences, settings });
    for (const w of result.warnings) process.stderr.write(`hawser diff: ${keyOf(target)}: ${w}\n`);
    if (!result.modified) continue;
    differs = true;
    const [from, to] = maskSecrets(result.normalizedLive, result.predictedLive);
    const yaml = (o: JsonObject | null): string => (o ? stringify(o, { sortMapEntries: true }) : "");
    const ns = liveObj?.metadata.namespace ?? target.metadata.namespace ?? "";
    process.stdout.write(`===== ${groupOf(target)}/${target.kind} ${ns}/${target.metadata.name ?? ""} ======\n`);
    process.stdout.write(unifiedDiff(yaml(from), yaml(to), "live", "target"));
  }
  return differs ? 1 : 0;
}

export const command: CommandModule = {
  summary: "diff target manifests against live objects offline (exit 1 when they differ)",
  run,
};
