// `hawser repo add|rm|get|list` (operator/cli/repo/manage.ts), and `hawser repo apps DIR`: which
// tool would render each application directory of a repository checkout, as JSON. Detection is
// the renderer's own (PluginRegistry.select), so it follows Argo's order: a config-management
// plugin whose discovery claims the directory, then Chart.yaml (Helm), then a kustomization file
// (Kustomize), then plain manifests (Directory). A directory the directory plugin would render but
// that holds no manifests is not an application.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { builtinPlugins } from "../../plugins/index.js";
import { reportErrors, type CommandModule } from "../cli.js";
import { createLogger } from "../runtime/logger.js";
import { FlagError, parseFlags, type ParsedFlags } from "../flags.js";
import { loadPluginDirs } from "./render.js";
import { errorMessage } from "../util/index.js";
import { parseServerFlags } from "./api/command.js";
import { cliErrorMessage } from "./api/errors.js";
import { discoverApps } from "../render/app-dirs.js";
import * as manage from "./repo/manage.js";

export { repoTable, type Repository } from "./repo/manage.js";

const usage = `usage: hawser repo <command> [flags]

  add URL [--username U [--password P | --password-stdin]] [--ssh-private-key-path FILE]
      [--github-app-id ID --github-app-installation-id ID --github-app-private-key-path FILE
      [--github-app-enterprise-base-url URL]] [--tls-client-cert-path F --tls-client-cert-key-path F]
      [--type git|helm|oci] [--name NAME] [--project P] [--insecure-skip-server-verification]
      [--enable-lfs] [--enable-oci] [--force-http-basic-auth] [--proxy URL] [--no-proxy HOSTS]
      [--upsert]
                       registers a repository (Argo's repository Secret), as argocd repo add.
                       With --username and no --password the password is prompted for without
                       echo, or read from the first line of stdin with --password-stdin (a
                       password in argv is visible to other processes). --type helm needs --name.
                       An existing repository is replaced only with --upsert. A URL may be
                       registered once unscoped and once per --project.
  rm URL [--project P] [-y]
                       removes the repository (asks first unless -y): with --project that
                       project's registration of the URL, else the unscoped one; only the one
                       named, never another in its place
  get URL [--project P] [-o wide|url|json|yaml]
                       one repository, never its credentials (--project: that project's
                       registration, else the unscoped one)
  list [-o wide|url|json|yaml]
                       TYPE, NAME, REPO, INSECURE, OCI, LFS, CREDS, STATUS, MESSAGE, PROJECT of
                       each repository (never their credentials; STATUS only through the server)

  add, rm, get and list go through the API server when logged in (hawser login, or --server,
  --auth-token, --insecure, --plaintext, --config); with --core (or without a context) straight to
  the Secrets of the controller's namespace (-n, --namespace NS, default argocd) of --kubeconfig
  (default $KUBECONFIG or ~/.kube/config). Errors go to stderr with exit status 2.

  apps DIR [--plugin-dir DIR]...
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

interface ManageSub { values?: string[]; booleans?: string[]; run: (flags: ParsedFlags) => Promise<number> }

const CORE_FLAGS = ["kubeconfig", "namespace"];
const MANAGE: Record<string, ManageSub> = {
  add: {
    values: ["username", "password", "ssh-private-key-path", "github-app-id", "github-app-installation-id", "github-app-private-key-path", "github-app-enterprise-base-url", "tls-client-cert-path", "tls-client-cert-key-path", "type", "name", "project", "proxy", "no-proxy", ...CORE_FLAGS],
    booleans: ["password-stdin", "insecure-skip-server-verification", "insecure-ignore-host-key", "enable-lfs", "enable-oci", "force-http-basic-auth", "upsert"],
    run: manage.add,
  },
  rm: { values: ["project", ...CORE_FLAGS], booleans: ["yes"], run: manage.rm },
  get: { values: ["output", "project", ...CORE_FLAGS], run: manage.get },
  list: { values: ["output", ...CORE_FLAGS], run: manage.list },
};

const SHORT: Record<string, string> = { "-n": "--namespace", "-y": "--yes" };

function runManage(name: string, sub: ManageSub, args: string[]): Promise<number> {
  return reportErrors(`repo ${name}`, async () => {
    const flags = parseServerFlags(args.map((a) => SHORT[a] ?? a), { values: sub.values ?? [], booleans: sub.booleans ?? [] });
    if (flags.booleans.get("help")) {
      process.stdout.write(usage);
      return 0;
    }
    return sub.run(flags);
  }, { message: cliErrorMessage });
}

export const command: CommandModule = {
  summary: "Repositories: add, rm, get, list (like argocd repo); `repo apps DIR` lists a checkout's apps and their tools",
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === "--help" || sub === "-h" || sub === "help") {
      process.stdout.write(usage);
      return 0;
    }
    const manage = MANAGE[sub ?? ""];
    if (manage) return runManage(sub!, manage, rest);
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
