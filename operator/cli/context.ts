// `hawser context [NAME]`: lists the CLI's contexts (servers logged in to), or switches the
// current one, as `argocd context`.
import { reportErrors, type CommandModule } from "../cli.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { configPath, readConfig, writeConfig, type LocalConfig } from "./api/config.js";
import { table } from "./app/format.js";

const USAGE = `usage: hawser context [NAME] [--config PATH]

Without NAME, lists the contexts of the CLI config ($HAWSER_CONFIG or ~/.config/hawser/config),
the current one marked with *; with NAME, makes it the current context. Errors go to stderr with
exit status 2.
`;

/** The context table: CURRENT, NAME, SERVER. */
export function contextTable(cfg: LocalConfig): string {
  const rows = [["CURRENT", "NAME", "SERVER"]];
  for (const c of cfg.contexts) rows.push([c.name === cfg["current-context"] ? "*" : "", c.name, c.server]);
  return table(rows);
}

async function context(args: string[]): Promise<number> {
  const flags = parseFlags(args, { values: ["config"], booleans: ["help"] });
  if (flags.booleans.get("help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (flags.positional.length > 1) throw new FlagError("context wants at most one context name");
  const path = configPath(flagValue(flags, "config"));
  const cfg = await readConfig(path);
  const name = flags.positional[0];
  if (name === undefined) {
    process.stdout.write(contextTable(cfg));
    return 0;
  }
  if (!cfg.contexts.some((c) => c.name === name)) throw new FlagError(`no context "${name}" in ${path} (known: ${cfg.contexts.map((c) => c.name).join(", ") || "none"})`);
  await writeConfig(path, { ...cfg, "current-context": name });
  process.stdout.write(`Switched to context '${name}'\n`);
  return 0;
}

export const command: CommandModule = {
  summary: "List the CLI's contexts or switch the current one (like argocd context)",
  run: (args) => reportErrors("context", () => context(args)),
};
