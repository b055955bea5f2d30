// `hawser repo apps DIR`: which tool would render each application directory of a repository
// checkout, as JSON. Detection is the renderer's own (PluginRegistry.select), so it follows Argo's
// order: a config-management plugin whose discovery claims the directory, then Chart.yaml (Helm),
// then a kustomization file (Kustomize), then plain manifests (Directory). A directory the
// directory plugin would render but that holds no manifests is not an application.
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, relative, resolve, sep } from "node:path";
import { parseAllDocuments } from "yaml";
import { builtinPlugins, type PluginRegistry } from "../../plugins/index.js";
import { reportErrors, type CommandModule } from "../cli.js";
import { createLogger } from "../runtime/logger.js";
import { FlagError, parseFlags } from "../flags.js";
import { loadPluginDirs } from "./render.js";
import { errorMessage } from "../util/index.js";
import { outputFlag, parseServerFlags, printObject, serverClient } from "./api/command.js";
import { cliErrorMessage } from "./api/errors.js";
import { table } from "./app/format.js";

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

export interface AppDir {
  path: string;
  tool: "Plugin" | "Helm" | "Kustomize" | "Directory";
  plugin?: string;
}

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);
/** Manifest files larger than this are taken to be manifests without parsing them. */
const MAX_PARSE_BYTES = 1024 * 1024;

/** Whether a directory holds anything the directory plugin would render. */
async function hasManifests(dir: string, files: string[]): Promise<boolean> {
  for (const f of files) {
    const ext = extname(f).toLowerCase();
    if (ext === ".jsonnet") return true;
    if (!MANIFEST_EXTENSIONS.has(ext)) continue;
    const path = join(dir, f);
    if ((await stat(path)).size > MAX_PARSE_BYTES) return true;
    try {
      const docs = parseAllDocuments(await readFile(path, "utf8"));
      for (const d of Array.isArray(docs) ? docs : [docs]) {
        const v: unknown = d.toJS({ maxAliasCount: 100 });
        if (typeof v === "object" && v !== null && "kind" in v && "apiVersion" in v) return true;
      }
    } catch {
      // Not YAML: not a manifest.
    }
  }
  return false;
}

/** The application directories under `root`, sorted by path (`.` for the root itself). */
export async function discoverApps(root: string, plugins: PluginRegistry): Promise<AppDir[]> {
  const out: AppDir[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const files = entries.filter((e) => e.isFile()).map((e) => e.name).sort();
    const rel = relative(root, dir).split(sep).join("/") || ".";
    const plugin = await plugins.select(dir, {});
    let descend = true;
    if (plugin.name === "helm") {
      out.push({ path: rel, tool: "Helm" });
      descend = false; // templates/, charts/ are the chart's.
    } else if (plugin.name === "kustomize") {
      out.push({ path: rel, tool: "Kustomize" });
    } else if (plugin.name === "directory") {
      if (await hasManifests(dir, files)) out.push({ path: rel, tool: "Directory" });
    } else {
      out.push({ path: rel, tool: "Plugin", plugin: plugin.name });
    }
    if (!descend) return;
    for (const e of entries.filter((x) => x.isDirectory() && !x.name.startsWith(".")).sort((a, b) => (a.name < b.name ? -1 : 1))) await walk(join(dir, e.name));
  };
  await walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

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
    return reportErrors("repo apps", async () => {
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
    }, { message: (err) => `${errorMessage(err)}${err instanceof FlagError ? `\n${usage.trimEnd()}` : ""}` });
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
  return reportErrors("repo list", async () => {
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
  }, { message: cliErrorMessage });
}
