// `hawser repocreds add|list|rm`: credential templates (Argo's `repo-creds` Secrets), as
// `argocd repocreds ...`. A template gives its credentials to every repository whose URL starts
// with its URL prefix and that has none of its own. Through the API server when logged in
// (/api/v1/repocreds, RBAC there), with --core straight to the Secrets of the controller's
// namespace. The flags and their checks are `repo add`'s (operator/cli/repo/manage.ts); credentials
// come from files, stdin or a prompt, and no output ever shows them.
import { findRepoSecret, repositorySecretName } from "../git/credentials.js";
import { reportErrors, type CommandModule } from "../cli.js";
import { FlagError, flagValue, type ParsedFlags } from "../flags.js";
import { outputFlag, parseServerFlags, printObject } from "./api/command.js";
import { CONNECTION_USAGE } from "./api/connection.js";
import { cliErrorMessage } from "./api/errors.js";
import { confirm } from "./api/prompt.js";
import { table } from "./app/format.js";
import { deleteRegistration, repoInputs, repoRequest, repoSecret, repoSecrets, repoView } from "./repo/manage.js";
import { withTarget } from "./target.js";

const USAGE = `usage: hawser repocreds <command> [flags]

  add URL-PREFIX [--username U [--password P | --password-stdin]] [--ssh-private-key-path FILE]
      [--tls-client-cert-path F --tls-client-cert-key-path F]
      [--github-app-id ID --github-app-installation-id ID --github-app-private-key-path FILE
      [--github-app-enterprise-base-url URL]] [--type git|helm] [--enable-oci] [--project P]
      [--force-http-basic-auth] [--proxy URL] [--no-proxy HOSTS] [--upsert]
                       registers credentials for every repository under URL-PREFIX (Argo's
                       repo-creds Secret). With --username and no --password the password is
                       prompted for without echo, or read from the first line of stdin with
                       --password-stdin (a password in argv is visible to other processes).
                       Existing credentials for the prefix are replaced only with --upsert.
  list [-o wide|url|json|yaml]
                       URL PATTERN, TYPE, USERNAME and PROJECT of each template (never a secret)
  rm URL-PREFIX [--project P] [-y]
                       removes the template (asks first unless -y): the unscoped one, or with
                       --project that project's; a project's is never removed unless named

Through the API server when logged in (hawser login, or --server); with --core (or without a
context) straight to the Secrets of the controller's namespace (-n, --namespace NS, default
argocd) of --kubeconfig (default $KUBECONFIG or ~/.kube/config). Errors go to stderr with exit
status 2.

${CONNECTION_USAGE}`;

export interface RepoCreds {
  url: string;
  type?: string;
  username?: string;
  project?: string;
  enableOCI?: boolean;
}

/** `repocreds list`'s table. */
export function credsTable(items: RepoCreds[]): string {
  const rows = [["URL PATTERN", "TYPE", "USERNAME", "PROJECT"]];
  for (const c of items) rows.push([c.url, c.type || "git", c.username || "-", c.project ?? ""]);
  return table(rows);
}

/** The Secret name the API server gives a template, so both ways in name it alike. */
export const credsSecretName = (url: string, project?: string): string => repositorySecretName("repo-creds", url, project);

/** A repo-creds Secret's public fields (as the server shows them: `url`, never a credential). */
export function credsView(data: Record<string, string>): RepoCreds {
  const { repo, ...rest } = repoView(data) as unknown as Record<string, unknown> & { repo: string };
  return { url: repo, ...rest };
}

async function add(flags: ParsedFlags): Promise<number> {
  const req = await repoRequest(flags, repoInputs(flags), "repo-creds");
  const upsert = flags.booleans.get("upsert") === true;
  const { repo: url, ...fields } = req;
  await withTarget(flags,
    async (api) => { await api.request("POST", "/api/v1/repocreds", { body: { url, ...fields }, query: upsert ? { upsert: "true" } : {} }); },
    async (client, ns) => {
      const project = typeof req.project === "string" ? req.project : "";
      const existing = findRepoSecret(await repoSecrets(client, ns, "repo-creds"), url, project, false);
      if (existing && !upsert) throw new Error(`repository credentials "${url}" already exist${project ? ` in project ${project}` : ""} (Secret ${ns}/${existing.secret.metadata.name ?? ""}), use --upsert to update them`);
      const secret = repoSecret(req, ns, existing?.secret.metadata.name ?? credsSecretName(url, project), "repo-creds");
      if (existing) await client.replace({ ...secret, metadata: { ...secret.metadata, resourceVersion: existing.secret.metadata.resourceVersion } });
      else await client.create(secret);
    });
  process.stdout.write(`Repository credentials for '${url}' added\n`);
  return 0;
}

async function list(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length > 0) throw new FlagError("list takes no arguments");
  const format = outputFlag(flags, ["wide", "url", "json", "yaml"]);
  const items = await withTarget<RepoCreds[]>(flags,
    async (api) => (await api.request<{ items?: RepoCreds[] | null }>("GET", "/api/v1/repocreds")).items ?? [],
    async (client, ns) => (await repoSecrets(client, ns, "repo-creds")).map((s) => credsView(s.data)));
  if (format === "json" || format === "yaml") printObject(items, format);
  else if (format === "url") process.stdout.write(items.map((c) => `${c.url}\n`).join(""));
  else process.stdout.write(credsTable(items));
  return 0;
}

async function rm(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length !== 1) throw new FlagError("rm wants exactly one URL prefix");
  const url = flags.positional[0]!;
  if (!(await confirm(`Are you sure you want to remove the repository credentials for '${url}'?`, flags.booleans.get("yes") === true))) {
    process.stderr.write("Aborted: nothing was removed\n");
    return 1;
  }
  // Exactly the template of --project (none: the unscoped one); never a project's by default.
  const project = flagValue(flags, "project") ?? "";
  await withTarget(flags,
    async (api) => { await api.request("DELETE", `/api/v1/repocreds/${encodeURIComponent(url)}`, { query: project ? { appProject: project } : {} }); },
    (client, ns) => deleteRegistration(client, ns, "repo-creds", url, project));
  process.stdout.write(`Repository credentials for '${url}' removed\n`);
  return 0;
}

interface Sub { values?: string[]; booleans?: string[]; run: (flags: ParsedFlags) => Promise<number> }

const CORE_FLAGS = ["kubeconfig", "namespace"];
const SUBS: Record<string, Sub> = {
  add: {
    values: ["username", "password", "ssh-private-key-path", "github-app-id", "github-app-installation-id", "github-app-private-key-path", "github-app-enterprise-base-url", "tls-client-cert-path", "tls-client-cert-key-path", "type", "project", "proxy", "no-proxy", ...CORE_FLAGS],
    booleans: ["password-stdin", "enable-oci", "force-http-basic-auth", "upsert"],
    run: add,
  },
  list: { values: ["output", ...CORE_FLAGS], run: list },
  rm: { values: ["project", ...CORE_FLAGS], booleans: ["yes"], run: rm },
};

const SHORT: Record<string, string> = { "-n": "--namespace", "-y": "--yes" };

export const command: CommandModule = {
  summary: "Repository credential templates (URL prefixes): add, list, rm (like argocd repocreds)",
  async run(args: string[]): Promise<number> {
    const [name, ...rest] = args;
    if (!name || name === "--help" || name === "-h" || name === "help") {
      process.stdout.write(USAGE);
      return name ? 0 : 2;
    }
    const sub = SUBS[name];
    if (!sub) {
      process.stderr.write(`hawser repocreds: unknown command "${name}"\n${USAGE}`);
      return 2;
    }
    return reportErrors(`repocreds ${name}`, async () => {
      const flags = parseServerFlags(rest.map((a) => SHORT[a] ?? a), { values: sub.values ?? [], booleans: sub.booleans ?? [] });
      if (flags.booleans.get("help")) {
        process.stdout.write(USAGE);
        return 0;
      }
      return sub.run(flags);
    }, { message: cliErrorMessage });
  },
};
