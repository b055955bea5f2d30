// `hawser proj ...`: AppProjects, the way `argocd proj ...` shows them. `windows list` reads the
// project through the server or, with --core (or without a context), from Kubernetes; list, get,
// create and role create-token go through the API server.
import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import { reportErrors, type CommandModule } from "../cli.js";
import type { AppProject } from "../api/index.js";
import { clientFrom } from "./kube-client.js";
import { virtualProject } from "./project.js";
import { FlagError, flagValue, type ParsedFlags } from "../flags.js";
import { errorMessage, isRecord } from "../util/index.js";
import { windowsTable } from "./proj/windows.js";
import { table } from "./app/format.js";
import { chooseTarget, CONNECTION_USAGE } from "./api/connection.js";
import { jwtClaims, outputFlag, parseDurationSeconds, parseServerFlags, printObject, serverClient } from "./api/command.js";
import { cliErrorMessage } from "./api/errors.js";
import { Timeout } from "./app/backend.js";

const USAGE = `usage: hawser proj <command> [flags]

  list [-o wide|name|json|yaml]
                       the AppProjects the caller may see (server only)
  get PROJECT [-o json|yaml]
                       one AppProject (server only)
  create -f FILE [--upsert]
                       creates the AppProject in FILE (YAML or JSON); --upsert replaces a
                       different existing one (server only)
  role create-token PROJECT ROLE [--expires-in DURATION] [--id ID] [--description TEXT] [-t]
                       a JWT for the project role (e.g. for CI); DURATION like 24h, 7d or 0
                       (no expiry, the default); -t prints only the token (server only)
  windows list PROJECT [--at TIME]
                       the project's sync windows with their state now: ID (the index in
                       spec.syncWindows), STATUS (Active, Inactive, or Invalid with the reason
                       below the table), KIND, SCHEDULE, DURATION, the selectors, MANUALSYNC,
                       TIMEZONE, USEANDOPERATOR and NEXTCHANGE (when an inactive window next
                       opens or an active one closes, in the window's time zone). --at TIME
                       evaluates at TIME (RFC 3339, e.g. 2026-12-24T18:00:00Z) instead of now

With --core (or without a context): --kubeconfig FILE (default $KUBECONFIG or ~/.kube/config) and
-n, --namespace NS (the controller's namespace, where AppProjects live; default argocd).
Errors go to stderr with exit status 2.

${CONNECTION_USAGE}`;

function parseAt(raw: string | undefined): Date {
  if (raw === undefined) return new Date();
  // An RFC 3339 date-time with a zone; Date.parse alone would also take "12/24" in local time.
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw new FlagError(`--at wants an RFC 3339 time such as 2026-12-24T18:00:00Z, got "${raw}"`);
  return at;
}

const projectPath = (name: string): string => `/api/v1/projects/${encodeURIComponent(name)}`;

function oneArg(flags: ParsedFlags, what: string, count = 1): string[] {
  if (flags.positional.length !== count) throw new FlagError(`${what}`);
  return flags.positional;
}

async function windowsList(flags: ParsedFlags): Promise<number> {
  const [name] = oneArg(flags, "windows list wants exactly one AppProject name");
  const at = parseAt(flagValue(flags, "at"));
  const target = await chooseTarget(flags);
  let project: AppProject | undefined;
  if (target.kind === "api") {
    try {
      project = await target.client.request<AppProject>("GET", projectPath(name!));
    } finally {
      target.client.close();
    }
  } else {
    const ns = flagValue(flags, "namespace") ?? "argocd";
    const client = clientFrom(flags);
    try {
      // With its global projects' windows appended, as the controller enforces them.
      project = await virtualProject<AppProject>(client, ns, name!);
    } catch (err) {
      throw new Error(`reading AppProject ${ns}/${name}: ${errorMessage(err)}`);
    } finally {
      client.close();
    }
    if (!project) throw new FlagError(`AppProject ${ns}/${name} not found`);
  }
  process.stdout.write(windowsTable(name!, project.spec?.syncWindows, at));
  return 0;
}

const count = (n: number, one: string, many: string, single: () => string): string => (n === 0 ? "<none>" : n === 1 ? single() : `${n} ${n === 1 ? one : many}`);

/** `proj list`: one row per project, as argocd's table. */
export function projectTable(projects: AppProject[]): string {
  const rows = [["NAME", "DESCRIPTION", "DESTINATIONS", "SOURCES", "CLUSTER-RESOURCE-WHITELIST", "NAMESPACE-RESOURCE-BLACKLIST", "SIGNATURE-KEYS", "ORPHANED-RESOURCES"]];
  for (const p of projects) {
    const s = p.spec ?? {};
    const dests = s.destinations ?? [];
    const gk = (g: { group?: string; kind?: string }): string => `${g.group ?? ""}/${g.kind ?? ""}`;
    rows.push([
      p.metadata.name ?? "", s.description ?? "",
      count(dests.length, "destination", "destinations", () => `${dests[0]!.name || dests[0]!.server || ""},${dests[0]!.namespace ?? ""}`),
      count((s.sourceRepos ?? []).length, "repo", "repos", () => s.sourceRepos![0]!),
      count((s.clusterResourceWhitelist ?? []).length, "resource", "resources", () => gk(s.clusterResourceWhitelist![0]!)),
      count((s.namespaceResourceBlacklist ?? []).length, "resource", "resources", () => gk(s.namespaceResourceBlacklist![0]!)),
      count((s.signatureKeys ?? []).length, "key", "keys", () => s.signatureKeys![0]!.keyID ?? ""),
      s.orphanedResources ? (s.orphanedResources.warn ? "enabled (warn)" : "enabled") : "disabled",
    ]);
  }
  return table(rows);
}

async function list(flags: ParsedFlags): Promise<number> {
  const format = outputFlag(flags, ["wide", "name", "json", "yaml"]);
  const api = await serverClient(flags, "proj list");
  try {
    const res = await api.request<{ items?: AppProject[] | null }>("GET", "/api/v1/projects");
    const items = (res.items ?? []).sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
    if (format === "json" || format === "yaml") printObject(items, format);
    else if (format === "name") process.stdout.write(items.map((p) => `${p.metadata.name ?? ""}\n`).join(""));
    else process.stdout.write(projectTable(items));
    return 0;
  } finally {
    api.close();
  }
}

async function get(flags: ParsedFlags): Promise<number> {
  const [name] = oneArg(flags, "get wants exactly one AppProject name");
  const format = outputFlag(flags, ["json", "yaml"]) ?? "yaml";
  const api = await serverClient(flags, "proj get");
  try {
    printObject(await api.request<AppProject>("GET", projectPath(name!)), format);
    return 0;
  } finally {
    api.close();
  }
}

/** The one AppProject in a file (YAML or JSON), checked enough to give a clear error. */
export function projectFromText(text: string, file: string): AppProject {
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null);
  if (docs.length !== 1) throw new FlagError(`${file}: want exactly one AppProject, found ${docs.length} documents`);
  const doc = docs[0]!;
  if (doc.errors.length > 0) throw new FlagError(`${file}: ${doc.errors[0]!.message}`);
  const obj = doc.toJS() as unknown;
  if (!isRecord(obj)) throw new FlagError(`${file}: not a mapping`);
  if (obj.kind !== "AppProject") throw new FlagError(`${file}: kind must be AppProject, got ${JSON.stringify(obj.kind)}`);
  if (!isRecord(obj.metadata) || typeof obj.metadata.name !== "string" || !obj.metadata.name) throw new FlagError(`${file}: metadata.name is missing`);
  return obj as unknown as AppProject;
}

async function create(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length > 0) throw new FlagError("create takes the project from -f FILE, not from arguments");
  const file = flagValue(flags, "file");
  if (!file) throw new FlagError("create wants -f FILE");
  const project = projectFromText(file === "-" ? await readStdin() : await readFile(file, "utf8"), file);
  const api = await serverClient(flags, "proj create");
  try {
    const created = await api.request<AppProject>("POST", "/api/v1/projects", { body: { project, ...(flags.booleans.get("upsert") ? { upsert: true } : {}) } });
    process.stdout.write(`project '${created.metadata?.name ?? project.metadata.name ?? ""}' created\n`);
    return 0;
  } finally {
    api.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const rfc3339 = (s: number | undefined): string => (s ? new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") : "Never");

async function createToken(flags: ParsedFlags): Promise<number> {
  const [project, role] = oneArg(flags, "role create-token wants PROJECT and ROLE", 2);
  const raw = flagValue(flags, "expires-in");
  const expiresIn = raw === undefined ? 0 : parseDurationSeconds(raw, "--expires-in");
  const id = flagValue(flags, "id");
  const description = flagValue(flags, "description");
  const api = await serverClient(flags, "proj role create-token");
  let token: string | undefined;
  try {
    ({ token } = await api.request<{ token?: string }>("POST", `${projectPath(project!)}/roles/${encodeURIComponent(role!)}/token`, {
      body: { project, role, ...(expiresIn > 0 ? { expiresIn } : {}), ...(id ? { id } : {}), ...(description ? { description } : {}) },
    }));
  } finally {
    api.close();
  }
  if (!token) throw new Error("the server answered without a token");
  // The token is this command's output; it is printed to stdout only, never to an error.
  if (flags.booleans.get("token-only")) {
    process.stdout.write(`${token}\n`);
    return 0;
  }
  const c = jwtClaims(token);
  process.stdout.write(`Create token succeeded for ${c.sub ?? `proj:${project}:${role}`}.\n  ID: ${c.jti ?? ""}\n  Issued At: ${rfc3339(c.iat)}\n  Expires At: ${rfc3339(c.exp)}\n  Token: ${token}\n`);
  return 0;
}

interface Sub { values?: string[]; booleans?: string[]; run: (flags: ParsedFlags) => Promise<number> }

const SUBS: Record<string, Sub> = {
  list: { values: ["output"], run: list },
  get: { values: ["output"], run: get },
  create: { values: ["file"], booleans: ["upsert"], run: create },
  "role create-token": { values: ["expires-in", "id", "description"], booleans: ["token-only"], run: createToken },
  "windows list": { values: ["kubeconfig", "namespace", "at"], run: windowsList },
};

export const command: CommandModule = {
  summary: "AppProjects: list, get, create, role create-token, windows list",
  async run(args: string[]): Promise<number> {
    const [group, sub] = args;
    if (!group || group === "--help" || group === "-h" || group === "help") {
      process.stdout.write(USAGE);
      return group ? 0 : 2;
    }
    const twoWords = `${group} ${sub ?? ""}`;
    const name = SUBS[twoWords] ? twoWords : group;
    const spec = SUBS[name];
    if (!spec) {
      process.stderr.write(`hawser proj: unknown command "${[group, sub].filter(Boolean).join(" ")}"\n${USAGE}`);
      return 2;
    }
    const rest = args.slice(name.split(" ").length);
    return reportErrors(`proj ${name}`, async () => {
      const normalized = rest.map((a) => (a === "-n" ? "--namespace" : a === "-t" ? "--token-only" : a));
      const flags = parseServerFlags(normalized, { values: spec.values ?? [], booleans: spec.booleans ?? [] });
      if (flags.booleans.get("help")) {
        process.stdout.write(USAGE);
        return 0;
      }
      return spec.run(flags);
    }, { message: cliErrorMessage, exitCode: (err) => (err instanceof Timeout ? 1 : 2) });
  },
};
