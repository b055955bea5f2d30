// `hawser repo add|rm|get|list`: Argo's repository Secrets, as `argocd repo ...` manages them:
// through the API server when logged in (POST/DELETE/GET /api/v1/repositories, RBAC there), with
// --core straight to the Secrets of the controller's namespace. Credentials come from files, a
// prompt or stdin rather than argv where they can, and are never printed: the server sanitises its
// answers and --core shows only the public fields.
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { secretData } from "../../cluster/clusters.js";
import { findRepoSecret, notRegisteredMessage, registrationToDelete, repositorySecretName } from "../../git/credentials.js";
import { FlagError, flagValue, type ParsedFlags } from "../../flags.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { registerSecret } from "../../runtime/redact.js";
import { outputFlag, printObject } from "../api/command.js";
import { confirm, promptHidden } from "../api/prompt.js";
import { table } from "../app/format.js";
import { withTarget } from "../target.js";

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

export const REPO_SECRET_LABEL = "argocd.argoproj.io/secret-type";
/** Secret fields a repository may carry that are shown; every other one is a credential. */
const PUBLIC_FIELDS = ["type", "name", "project", "username", "insecure", "enableLfs", "enableOCI", "proxy", "noProxy", "forceHttpBasicAuth", "githubAppID", "githubAppInstallationID", "githubAppEnterpriseBaseUrl", "insecureIgnoreHostKey"];
const BOOLEAN_FIELDS = new Set(["insecure", "enableLfs", "enableOCI", "forceHttpBasicAuth", "insecureIgnoreHostKey"]);

/** Argo's Repository as POST /api/v1/repositories takes it. */
export type RepoRequest = Record<string, string | number | boolean> & { repo: string };

/** git@host:path, ssh://...: the URLs an ssh key is for (as Argo's IsSSHURL). */
export const isSshUrl = (url: string): boolean => /^ssh:\/\//i.test(url) || /^[\w.-]+@[\w.-]+:/.test(url);

export interface RepoInputs {
  /** Reads a file the flags name (the key and certificate flags). */
  readFile: (path: string) => Promise<string>;
  /** The password when --username is given without --password: from stdin or a prompt. */
  password: () => Promise<string>;
}

/** The repository to register, from `repo add`'s flags; every bad combination is an error naming its flag. */
export async function repoRequest(flags: ParsedFlags, io: RepoInputs, kind: "repository" | "repo-creds" = "repository"): Promise<RepoRequest> {
  const creds = kind === "repo-creds";
  if (flags.positional.length !== 1) throw new FlagError(creds ? "add wants exactly one URL prefix" : "add wants exactly one repository URL");
  const url = flags.positional[0]!.trim();
  const v = (f: string): string | undefined => flagValue(flags, f);
  const on = (f: string): boolean => flags.booleans.get(f) === true;
  const type = v("type") ?? "git";
  // Credential templates are for git and Helm repositories only, as argocd repocreds add.
  const types = creds ? ["git", "helm"] : ["git", "helm", "oci"];
  if (!types.includes(type)) throw new FlagError(`--type must be ${types.slice(0, -1).join(", ")} or ${types.at(-1)!}; got "${type}"`);
  const req: RepoRequest = { repo: url, type };
  if (type === "helm" && !creds && !v("name")) throw new FlagError("--name is required for repositories of --type helm");
  for (const [flag, field] of [["name", "name"], ["project", "project"], ["proxy", "proxy"], ["no-proxy", "noProxy"], ["github-app-enterprise-base-url", "githubAppEnterpriseBaseUrl"]] as const) {
    const x = v(flag);
    if (x) req[field] = x;
  }
  for (const [flag, field] of [["insecure-skip-server-verification", "insecure"], ["insecure-ignore-host-key", "insecureIgnoreHostKey"], ["enable-lfs", "enableLfs"], ["enable-oci", "enableOCI"], ["force-http-basic-auth", "forceHttpBasicAuth"]] as const) {
    if (on(flag)) req[field] = true;
  }

  const username = v("username");
  let password = v("password");
  if (password !== undefined && on("password-stdin")) throw new FlagError("--password and --password-stdin exclude each other");
  if ((password !== undefined || on("password-stdin")) && !username) throw new FlagError("--password needs --username");
  if (username) {
    password ??= await io.password();
    if (!password) throw new FlagError(`the password for --username ${username} is empty`);
    registerSecret(password);
    req.username = username;
    req.password = password;
  }

  const keyPath = v("ssh-private-key-path");
  if (keyPath) {
    if (!isSshUrl(url)) throw new FlagError(`--ssh-private-key-path is only for SSH repository URLs (git@host:path or ssh://), not ${url}`);
    req.sshPrivateKey = await io.readFile(keyPath);
  }

  const certPath = v("tls-client-cert-path");
  const certKeyPath = v("tls-client-cert-key-path");
  if (Boolean(certPath) !== Boolean(certKeyPath)) throw new FlagError("--tls-client-cert-path and --tls-client-cert-key-path go together");
  if (certPath && certKeyPath) {
    req.tlsClientCertData = await io.readFile(certPath);
    req.tlsClientCertKey = await io.readFile(certKeyPath);
  }

  const appId = v("github-app-id");
  const installationId = v("github-app-installation-id");
  const appKeyPath = v("github-app-private-key-path");
  if (appId || installationId || appKeyPath) {
    if (!appId || !installationId || !appKeyPath) throw new FlagError("GitHub App credentials need all of --github-app-id, --github-app-installation-id and --github-app-private-key-path");
    for (const [flag, raw] of [["github-app-id", appId], ["github-app-installation-id", installationId]] as const) {
      if (!/^\d+$/.test(raw)) throw new FlagError(`--${flag} must be a number, got "${raw}"`);
    }
    if (isSshUrl(url)) throw new FlagError("GitHub App credentials are for https repository URLs");
    req.githubAppID = Number(appId);
    req.githubAppInstallationID = Number(installationId);
    req.githubAppPrivateKey = await io.readFile(appKeyPath);
  }
  const kinds = [req.password !== undefined, req.sshPrivateKey !== undefined, req.githubAppPrivateKey !== undefined].filter(Boolean).length;
  if (kinds > 1) throw new FlagError("give one kind of credentials: --username/--password, --ssh-private-key-path or --github-app-*");
  // A template without any credential would give the repositories under it nothing.
  if (creds && kinds === 0 && req.tlsClientCertData === undefined) throw new FlagError("repository credentials need --username, --ssh-private-key-path, --tls-client-cert-path or --github-app-*");
  return req;
}


/** The name of the Secret `repo add --core` creates (the API server's naming). */
export const repoSecretName = (url: string, project?: string): string => repositorySecretName("repository", url, project);


/** Argo's repository (or repo-creds) Secret for a request (--core writes it itself): `url` plus every field as a string. */
export function repoSecret(req: RepoRequest, namespace: string, name = repoSecretName(req.repo, typeof req.project === "string" ? req.project : undefined), type: "repository" | "repo-creds" = "repository"): KubeObject {
  const stringData: Record<string, string> = { url: req.repo };
  for (const [k, v] of Object.entries(req)) {
    if (k === "repo" || v === false || v === "") continue;
    stringData[k] = String(v);
  }
  return { apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: { name, namespace, labels: { [REPO_SECRET_LABEL]: type } }, stringData };
}

/** A repository Secret as `repo get` shows it: the public fields only. */
export function repoView(data: Record<string, string>): Repository {
  const out: Record<string, unknown> = { repo: data.url ?? "" };
  for (const f of PUBLIC_FIELDS) {
    const x = data[f];
    if (x === undefined || x === "") continue;
    out[f] = BOOLEAN_FIELDS.has(f) ? x === "true" : x;
  }
  out.type ??= "git";
  return out as unknown as Repository;
}

export async function repoSecrets(client: KubeClient, ns: string, type: "repository" | "repo-creds" = "repository"): Promise<Array<{ secret: KubeObject; data: Record<string, string> }>> {
  const list = await client.list("v1", "Secret", { namespace: ns, labelSelector: `${REPO_SECRET_LABEL}=${type}` });
  return list.items.map((secret) => ({ secret, data: secretData(secret) }));
}


/**
 * --core `repo rm` / `repocreds rm`: deletes exactly the registration of `url` in `project` (""
 * = the unscoped one), as the API server does; when there is none, says where the URL is
 * registered and which --project names it.
 */
export async function deleteRegistration(client: KubeClient, ns: string, type: "repository" | "repo-creds", url: string, project: string): Promise<void> {
  const { found, elsewhere } = registrationToDelete(await repoSecrets(client, ns, type), url, project);
  if (!found) throw new Error(`${notRegisteredMessage(type === "repository" ? "repo" : "repository credentials", url, project, elsewhere, (p) => `--project ${p}`)} (namespace ${ns})`);
  await client.delete({ apiVersion: "v1", kind: "Secret", name: found.secret.metadata.name ?? "", namespace: ns });
}

const repoPath = (url: string): string => `/api/v1/repositories/${encodeURIComponent(url)}`;
const projectQuery = (flags: ParsedFlags): Record<string, string> => {
  const project = flagValue(flags, "project");
  return project ? { appProject: project } : {};
};

/** The first line of stdin (--password-stdin), without its line ending. */
async function stdinLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return "";
}

/** Where `add` reads credentials from: the files its flags name, and stdin or a hidden prompt for the password. */
export function repoInputs(flags: ParsedFlags): RepoInputs {
  return {
    readFile: async (p) => {
      try {
        return await readFile(p, "utf8");
      } catch (err) {
        throw new FlagError(`cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
      }
    },
    password: async () => {
      if (flags.booleans.get("password-stdin")) return stdinLine();
      if (process.stdin.isTTY !== true) throw new FlagError("--username needs a password: --password-stdin, a terminal to prompt on, or --password");
      return promptHidden("Password: ");
    },
  };
}

export async function add(flags: ParsedFlags): Promise<number> {
  const req = await repoRequest(flags, repoInputs(flags));
  const upsert = flags.booleans.get("upsert") === true;
  await withTarget(flags,
    async (api) => { await api.request("POST", "/api/v1/repositories", { body: req, query: upsert ? { upsert: "true" } : {} }); },
    async (client, ns) => {
      const project = typeof req.project === "string" ? req.project : "";
      const existing = findRepoSecret(await repoSecrets(client, ns), req.repo, project, false);
      if (existing && !upsert) throw new Error(`repository "${req.repo}" already exists${project ? ` in project ${project}` : ""} (Secret ${ns}/${existing.secret.metadata.name ?? ""}), use --upsert to update it`);
      const secret = repoSecret(req, ns, existing?.secret.metadata.name);
      if (existing) await client.replace(secret);
      else await client.create(secret);
    });
  process.stdout.write(`Repository '${req.repo}' added\n`);
  return 0;
}

function oneUrl(flags: ParsedFlags, what: string): string {
  if (flags.positional.length !== 1) throw new FlagError(`${what} wants exactly one repository URL`);
  return flags.positional[0]!;
}

export async function rm(flags: ParsedFlags): Promise<number> {
  const url = oneUrl(flags, "rm");
  if (!(await confirm(`Are you sure you want to delete repository '${url}'?`, flags.booleans.get("yes") === true))) {
    process.stderr.write("Aborted: nothing was removed\n");
    return 1;
  }
  await withTarget(flags,
    async (api) => { await api.request("DELETE", repoPath(url), { query: projectQuery(flags) }); },
    async (client, ns) => {
      await deleteRegistration(client, ns, "repository", url, flagValue(flags, "project") ?? "");
    });
  process.stdout.write(`Repository '${url}' removed\n`);
  return 0;
}

function print(items: Repository[], format: string | undefined): void {
  if (format === "json" || format === "yaml") printObject(items, format);
  else if (format === "url") process.stdout.write(items.map((r) => `${r.repo}\n`).join(""));
  else process.stdout.write(repoTable(items));
}

export async function get(flags: ParsedFlags): Promise<number> {
  const url = oneUrl(flags, "get");
  const format = outputFlag(flags, ["wide", "url", "json", "yaml"]);
  const repo = await withTarget<Repository>(flags,
    (api) => api.request<Repository>("GET", repoPath(url), { query: projectQuery(flags) }),
    async (client, ns) => {
      const found = findRepoSecret(await repoSecrets(client, ns), url, flagValue(flags, "project") ?? "", true);
      if (!found) throw new Error(`repo '${url}' not found in namespace ${ns}`);
      return repoView(found.data);
    });
  if (format === "json" || format === "yaml") printObject(repo, format);
  else print([repo], format);
  return 0;
}

export async function list(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length > 0) throw new FlagError("list takes no arguments");
  const format = outputFlag(flags, ["wide", "url", "json", "yaml"]);
  const items = await withTarget<Repository[]>(flags,
    async (api) => (await api.request<{ items?: Repository[] | null }>("GET", "/api/v1/repositories")).items ?? [],
    async (client, ns) => (await repoSecrets(client, ns)).map((s) => repoView(s.data)));
  print(items, format);
  return 0;
}
