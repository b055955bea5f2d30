// `hawser repo apps DIR`: which tool would render each application directory of a repository
// checkout, as JSON. Detection is the renderer's own (PluginRegistry.select), so it follows Argo's
// order: a config-management plugin whose discovery claims the directory, then Chart.yaml (Helm),
// then a kustomization file (Kustomize), then plain manifests (Directory). A directory the
// directory plugin would render but that holds no manifests is not an application.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { builtinPlugins } from "../../plugins/index.js";
import type { CommandModule } from "../cli.js";
import { createLogger } from "../runtime/logger.js";
import { FlagError, parseFlags } from "../flags.js";
import { loadPluginDirs } from "./render.js";
import { errorMessage } from "../util/index.js";
import { redact } from "../runtime/redact.js";
import { outputFlag, parseServerFlags, printObject, serverClient } from "./api/command.js";
import { cliErrorMessage } from "./api/errors.js";
import { table } from "./app/format.js";
import { discoverApps } from "../render/app-dirs.js";

const usage = `usage: hawser repo apps DIR [--plugin-dir DIR]...
       hawser repo list [-o url|json|yaml] [server connection flags]

  list: the repositories the API server knows (never their credentials): TYPE, NAME, REPO,
  INSECURE, OCI, LFS, CREDS, STATUS, MESSAGE, PROJECT. Through the server only (hawser login, or
  --server, --auth-token, --insecure, --plaintext, --config; see hawser app --help).

  apps:
  Walks DIR (a repository checkout; hidden directories like .git are skipped) and prints, as a
  JSON array sorted by path, every directory an Application could point at with the tool that
  would render it: {"path": "overlays/dev", "tool": "Kustomize"}. Tools, in Argo CD's detection
  order: Plugin (a ConfigManagementPlugin from --plugin-dir whose discovery rules match; "plugin"
  names it), Helm (Chart.yaml), Kustomize (kustomization.yaml, .yml or Kustomization), Directory
  (YAML/JSON manifests or .jsonnet files). A Helm chart's subdirectories belong to the chart and
  are not listed. Exit 0 on success, 2 on an error (message on stderr).
`;

// Kept here for the callers that import it from the command.
export { discoverApps, type AppDir } from "../render/app-dirs.js";

export const command: CommandModule = {
  summary: "repositories: `repo apps DIR` lists a checkout's apps and their tools as JSON; `repo list` through the server",
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === "--help" || sub === "-h" || sub === "help") {
      process.stdout.write(usage);
      return 0;
    }
    if (sub === "list") return listRepos(rest);
    if (sub !== "apps") {
      process.stderr.write(`hawser repo: ${sub ? `unknown subcommand "${sub}"` : "a subcommand is required"}\n${usage}`);
      return 2;
    }
    try {
      const flags = parseFlags(rest, { repeatable: ["plugin-dir"], booleans: ["help"] });
      if (flags.booleans.get("help")) {
        process.stdout.write(usage);
        return 0;
      }
      if (flags.positional.length !== 1) throw new FlagError("repo apps wants exactly one directory");
      const root = resolve(flags.positional[0]!);
      if (!(await stat(root).then((s) => s.isDirectory(), () => false))) throw new Error(`${flags.positional[0]}: not a directory`);
      const plugins = builtinPlugins();
      await loadPluginDirs("hawser repo", flags.values.get("plugin-dir") ?? [], plugins, createLogger({ level: "warn" }));
      process.stdout.write(`${JSON.stringify(await discoverApps(root, plugins), null, 2)}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`hawser repo: ${errorMessage(err)}\n${err instanceof FlagError ? usage : ""}`);
      return 2;
    }
  },
};

export interface Repository {
  repo: string;
  type?: string;
  name?: string;
  project?: string;
  insecure?: boolean;
  enableOCI?: boolean;
  enableLfs?: boolean;
  username?: string;
  inheritedCreds?: boolean;
  connectionState?: { status?: string; message?: string };
}

/** `repo list`: one row per repository, as argocd's table (CREDS: whether credentials are set). */
export function repoTable(items: Repository[]): string {
  const rows = [["TYPE", "NAME", "REPO", "INSECURE", "OCI", "LFS", "CREDS", "STATUS", "MESSAGE", "PROJECT"]];
  const yes = (b: boolean | undefined): string => (b ? "true" : "false");
  for (const r of items) {
    rows.push([r.type || "git", r.name ?? "", r.repo, yes(r.insecure), yes(r.enableOCI), yes(r.enableLfs), yes(Boolean(r.username) || r.inheritedCreds), r.connectionState?.status ?? "", r.connectionState?.message ?? "", r.project ?? ""]);
  }
  return table(rows);
}

async function listRepos(args: string[]): Promise<number> {
  try {
    const flags = parseServerFlags(args, { values: ["output"] });
    if (flags.booleans.get("help")) {
      process.stdout.write(usage);
      return 0;
    }
    if (flags.positional.length > 0) throw new FlagError("repo list takes no arguments");
    const format = outputFlag(flags, ["url", "json", "yaml"]);
    const api = await serverClient(flags, "repo list");
    try {
      const { items } = await api.request<{ items?: Repository[] | null }>("GET", "/api/v1/repositories");
      const all = items ?? [];
      if (format === "json" || format === "yaml") printObject(all, format);
      else if (format === "url") process.stdout.write(all.map((r) => `${r.repo}\n`).join(""));
      else process.stdout.write(repoTable(all));
      return 0;
    } finally {
      api.close();
    }
  } catch (err) {
    process.stderr.write(redact(`hawser repo list: ${cliErrorMessage(err)}`) + "\n");
    return 2;
  }
}
