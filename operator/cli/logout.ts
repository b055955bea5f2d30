// `hawser logout [CTX]`: forgets a context's session token (the context and its server stay, as
// with `argocd logout`, so `hawser login` can refresh it).
import { reportErrors, type CommandModule } from "../cli.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { configPath, readConfig, removeToken, writeConfig } from "./api/config.js";

const USAGE = `usage: hawser logout [CONTEXT] [--config PATH]

Removes the session token of CONTEXT (default: the current context) from the CLI config
($HAWSER_CONFIG or ~/.config/hawser/config). Errors go to stderr with exit status 2.
`;

async function logout(args: string[]): Promise<number> {
  const flags = parseFlags(args, { values: ["config"], booleans: ["help"] });
  if (flags.booleans.get("help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (flags.positional.length > 1) throw new FlagError("logout wants at most one context name");
  const path = configPath(flagValue(flags, "config"));
  const cfg = await readConfig(path);
  const name = flags.positional[0] ?? cfg["current-context"];
  if (!name) throw new FlagError(`no context given and none is current in ${path}`);
  const next = removeToken(cfg, name);
  if (!next) throw new FlagError(`no context "${name}" in ${path} (known: ${cfg.contexts.map((c) => c.name).join(", ") || "none"})`);
  await writeConfig(path, next);
  process.stdout.write(`Logged out from '${name}'\n`);
  return 0;
}

export const command: CommandModule = {
  summary: "Forget a context's session token (like argocd logout)",
  run: (args) => reportErrors("logout", () => logout(args)),
};
