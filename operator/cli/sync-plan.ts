// `hawser sync-plan`: prints the order in which a sync would apply, create hooks for, and prune
// the given manifests, without a cluster. It runs the same planner the controller uses.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import type { CommandModule } from "../cli.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { parseJsonManifests, parseManifests } from "../../plugins/manifests.js";
import { RenderError } from "../../plugins/types.js";
import { SyncAnnotationError } from "../engine/sync/annotations.js";
import { buildSyncPlan, type SyncPlan } from "../engine/sync/plan.js";
import type { KubeObject } from "../engine/sync/types.js";
import { errorMessage } from "../util/index.js";

const usage = `usage: hawser sync-plan --target DIR|FILE|- [flags]

Prints the execution order of a sync of the target manifests against optional live objects.

flags:
  --target DIR|FILE|-     manifests to sync: a directory of .yaml/.yml/.json files, one file, or stdin
  --recurse               read the target directory recursively
  --live FILE             live objects the application manages (YAML/JSON stream or List)
  --prune                 the operation prunes (otherwise prunes are reported as skipped)
  --prune-last            PruneLast=true
  --create-namespace      CreateNamespace=true (needs --namespace)
  --sync-option OPT       another sync option (repeatable), e.g. ServerSideApply=true
  --namespace NS          destination namespace for namespaced objects that set none
  --revision SHA          revision being synced (used in generated hook names)
  --started-at TIME       operation start, RFC 3339 (used in generated hook names; default now)
  --dry-run               plan a dry-run sync
  -o, --output json|table output format (default table)
`;

export interface PlanEntry {
  phase: string;
  wave: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  hook: boolean;
  hookType?: string;
  operation: string;
  deletePolicies: string[];
  pruneSkipped?: string;
  requiresConfirmation?: boolean;
}

class InputError extends Error {}

function readStdin(): string {
  try {
    return readFileSync(0, "utf8");
  } catch (err) {
    throw new InputError(`cannot read stdin: ${errorMessage(err)}`);
  }
}

function parseFile(text: string, source: string): KubeObject[] {
  const trimmed = text.trimStart();
  const json = extname(source) === ".json" || trimmed.startsWith("[") || (trimmed.startsWith("{") && source === "stdin");
  return json ? parseJsonManifests(text, { source }) : parseManifests(text, { source });
}

function manifestFiles(dir: string, recurse: boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (recurse) manifestFiles(path, recurse, out);
    } else if ([".yaml", ".yml", ".json"].includes(extname(name))) out.push(path);
  }
  return out;
}

function readObjects(pathOrDash: string, recurse: boolean): KubeObject[] {
  if (pathOrDash === "-") return parseFile(readStdin(), "stdin");
  let stat;
  try {
    stat = statSync(pathOrDash);
  } catch {
    throw new InputError(`${pathOrDash}: no such file or directory`);
  }
  const files = stat.isDirectory() ? manifestFiles(pathOrDash, recurse) : [pathOrDash];
  return files.flatMap((f) => parseFile(readFileSync(f, "utf8"), f));
}

/** The plan as the JSON rows this command prints. */
export function planEntries(plan: SyncPlan): PlanEntry[] {
  return plan.tasks.map((t) => {
    const e: PlanEntry = {
      phase: t.phase, wave: t.wave, group: t.ref.group, kind: t.ref.kind, namespace: t.ref.namespace, name: t.ref.name,
      hook: t.hookType !== undefined, operation: t.operation, deletePolicies: t.deletePolicies ?? [],
    };
    if (t.hookType) e.hookType = t.hookType;
    if (t.pruneSkipped) e.pruneSkipped = t.pruneSkipped;
    if (t.requiresConfirmation) e.requiresConfirmation = true;
    return e;
  });
}

function table(entries: PlanEntry[]): string {
  const head = ["PHASE", "WAVE", "KIND", "NAMESPACE", "NAME", "HOOK", "OPERATION", "DELETE POLICIES"];
  const rows = entries.map((e) => [
    e.phase, String(e.wave), e.group ? `${e.kind}.${e.group}` : e.kind, e.namespace, e.name, e.hookType ?? "",
    e.pruneSkipped ? `prune (skipped: ${e.pruneSkipped})` : e.requiresConfirmation ? "prune (needs confirmation)" : e.operation,
    e.deletePolicies.join(","),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n") + "\n";
}

export const command: CommandModule = {
  summary: "print the order a sync would apply, hook and prune manifests in (offline)",
  // The CLI's async contract; the work itself is synchronous file reading.
  // eslint-disable-next-line @typescript-eslint/require-await
  async run(args) {
    // `-o x` is the one short flag, as in argocd/kubectl.
    const normalized = args.map((a) => (a === "-o" ? "--output" : a.startsWith("-o=") ? `--output=${a.slice(3)}` : a));
    if (normalized.includes("--help") || normalized.includes("-h")) {
      process.stdout.write(usage);
      return 0;
    }
    try {
      const flags = parseFlags(normalized, {
        values: ["target", "live", "namespace", "revision", "started-at", "output"],
        repeatable: ["sync-option"],
        booleans: ["prune", "prune-last", "create-namespace", "dry-run", "recurse"],
      });
      if (flags.positional.length > 0) throw new FlagError(`unexpected argument "${flags.positional[0]}"`);
      const targetPath = flagValue(flags, "target");
      if (!targetPath) throw new FlagError("--target is required");
      const output = flagValue(flags, "output") ?? "table";
      if (output !== "json" && output !== "table") throw new FlagError(`--output must be json or table, got "${output}"`);
      const namespace = flagValue(flags, "namespace");
      const startedAt = flagValue(flags, "started-at") ?? new Date().toISOString();
      if (Number.isNaN(Date.parse(startedAt))) throw new FlagError(`--started-at must be an RFC 3339 time, got "${startedAt}"`);
      const syncOptions = [...(flags.values.get("sync-option") ?? [])];
      if (flags.booleans.get("prune-last")) syncOptions.push("PruneLast=true");
      if (flags.booleans.get("create-namespace")) {
        if (!namespace) throw new FlagError("--create-namespace needs --namespace");
        syncOptions.push("CreateNamespace=true");
      }
      const recurse = flags.booleans.get("recurse") === true;
      const target = readObjects(targetPath, recurse);
      const livePath = flagValue(flags, "live");
      if (livePath === "-" && targetPath === "-") throw new FlagError("--target and --live cannot both read stdin");
      const live = livePath ? readObjects(livePath, false) : [];
      const plan = buildSyncPlan({
        target,
        live,
        appSyncOptions: syncOptions,
        operation: { prune: flags.booleans.get("prune") === true, dryRun: flags.booleans.get("dry-run") === true },
        revision: flagValue(flags, "revision"),
        startedAt,
        destinationNamespace: namespace,
        liveNamespace: live.find((o) => o.kind === "Namespace" && o.apiVersion === "v1" && o.metadata.name === namespace),
      });
      for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
      const entries = planEntries(plan);
      process.stdout.write(output === "json" ? JSON.stringify(entries, null, 2) + "\n" : table(entries));
      return 0;
    } catch (err) {
      if (err instanceof FlagError) {
        process.stderr.write(`hawser sync-plan: ${err.message}\n\n${usage}`);
        return 2;
      }
      if (err instanceof InputError || err instanceof RenderError || err instanceof SyncAnnotationError) {
        process.stderr.write(`hawser sync-plan: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  },
};
