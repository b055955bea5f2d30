// `hawser appset create FILE... [--upsert] [--dry-run]` and `hawser appset delete NAME [-y]`, as
// `argocd appset create|delete`: through the API server when logged in (POST /api/v1/applicationsets
// with upsert, DELETE /api/v1/applicationsets/{name}; RBAC there), with --core straight to
// Kubernetes in the set's namespace. `--dry-run` writes nothing and prints the Applications the
// set would generate: through the server from POST /api/v1/applicationsets/generate, with --core
// from the controller's own generation code (appset/generate.ts) run here, reading cluster Secrets,
// projects and repository credentials from the control namespace and git through a repository
// cache of the CLI's own.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { builtinGenerators } from "../../../generators/index.js";
import { generateApplications } from "../../appset/generate.js";
import { goTemplateEngine } from "../../appset/gotemplate-wasm.js";
import { clusterLookups } from "../../appset/lookups.js";
import { ProjectRepoCaches } from "../../git/project-repos.js";
import { createLogger } from "../../runtime/logger.js";
import { repoCredentials } from "../app/live-diff.js";
import { outputFlag } from "../api/command.js";
import { API_VERSION } from "../../api/index.js";
import { FlagError, flagValue, type ParsedFlags } from "../../flags.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { deepEqual, isRecord } from "../../util/index.js";
import { ApiRequestError, type ApiClient } from "../api/client.js";
import { confirm } from "../api/prompt.js";
import { qualifiedLocation } from "../location.js";
import { withTarget } from "../target.js";

type AppSet = KubeObject & { spec: Record<string, unknown>; status?: { resources?: Array<{ name?: string; namespace?: string }> } };

/** The ApplicationSets of a file's documents (a v1 List's items too); anything else is an error naming the document. */
export function appSetsFromText(text: string, file: string): AppSet[] {
  const out: AppSet[] = [];
  let index = 0;
  for (const doc of parseAllDocuments(text)) {
    index++;
    if (doc.errors.length > 0) throw new FlagError(`${file}: document ${index}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const items = isRecord(value) && value.kind === "List" && Array.isArray(value.items) ? (value.items as unknown[]) : [value];
    for (const item of items) {
      if (!isRecord(item) || item.kind !== "ApplicationSet") throw new FlagError(`${file}: document ${index}: kind must be ApplicationSet, got ${JSON.stringify(isRecord(item) ? item.kind : item)}`);
      if (item.apiVersion !== API_VERSION) throw new FlagError(`${file}: document ${index}: apiVersion must be ${API_VERSION}, got ${JSON.stringify(item.apiVersion)}`);
      if (!isRecord(item.metadata) || typeof item.metadata.name !== "string" || !item.metadata.name) throw new FlagError(`${file}: document ${index}: metadata.name is missing`);
      if (!isRecord(item.spec)) throw new FlagError(`${file}: ApplicationSet ${item.metadata.name}: spec is missing`);
      out.push(item as unknown as AppSet);
    }
  }
  if (out.length === 0) throw new FlagError(`${file}: no ApplicationSet in it`);
  return out;
}


const setPath = (name: string): string => `/api/v1/applicationsets/${encodeURIComponent(name)}`;

async function existingOnServer(api: ApiClient, set: AppSet): Promise<AppSet | undefined> {
  try {
    return await api.request<AppSet>("GET", setPath(set.metadata.name ?? ""), { query: set.metadata.namespace ? { appsetNamespace: set.metadata.namespace } : {} });
  } catch (err) {
    if (err instanceof ApiRequestError && err.httpStatus === 404) return undefined;
    throw err;
  }
}

/** An Application a dry run would generate. */
export type GeneratedApp = KubeObject & { spec?: unknown };

/**
 * What a dry run prints: with -o yaml|json the generated Applications themselves (as `appset
 * generate` prints them), otherwise one line per set and one per Application.
 */
export function dryRunOutput(results: Array<{ name: string; action: string; apps: GeneratedApp[] }>, format: string | undefined): string {
  const apps = results.flatMap((r) => r.apps);
  if (format === "json") return JSON.stringify(apps, null, 2) + "\n";
  if (format === "yaml") return apps.map((a) => stringify(a, { lineWidth: 0 })).join("---\n");
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`ApplicationSet '${r.name}' ${r.action} (dry run)`);
    for (const a of r.apps) lines.push(`  Application ${a.metadata.namespace ? `${a.metadata.namespace}/` : ""}${a.metadata.name ?? ""}`);
  }
  return lines.map((l) => `${l}\n`).join("");
}

const differentSpec = (set: AppSet, where: string): Error => new Error(`ApplicationSet ${where}${set.metadata.name ?? ""}: existing ApplicationSet spec is different, use upsert flag to force update`);

/** The controller's generation for one set, run here against the control namespace (--core --dry-run). */
async function generateHere(client: KubeClient, ns: string, set: AppSet, repos: ProjectRepoCaches): Promise<GeneratedApp[]> {
  const result = await generateApplications({ metadata: { name: set.metadata.name ?? "", namespace: set.metadata.namespace ?? ns }, spec: set.spec }, {
    ...clusterLookups(client, ns),
    registry: builtinGenerators(),
    loadEngine: goTemplateEngine,
    log: createLogger({ level: "warn" }),
    repos: repos.shared,
    reposForProject: (project) => repos.forProject(project),
  });
  if (result.errors.length > 0) throw new Error(`ApplicationSet ${set.metadata.name ?? ""}: ${result.errors.map((e) => `${e.reason}: ${e.message}`).join("; ")}`);
  return result.applications as unknown as GeneratedApp[];
}

export async function create(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length === 0) throw new FlagError("create wants one or more FILEs holding ApplicationSets");
  const format = outputFlag(flags, ["yaml", "json"]);
  const sets: AppSet[] = [];
  for (const file of flags.positional) sets.push(...appSetsFromText(await readFile(file, "utf8"), file));
  const upsert = flags.booleans.get("upsert") === true;
  const dryRun = flags.booleans.get("dry-run") === true;
  if (format && !dryRun) throw new FlagError("-o is for --dry-run (it prints the Applications the set would generate)");
  const results: Array<{ name: string; action: string; apps: GeneratedApp[] }> = [];
  await withTarget(flags,
    async (api) => {
      for (const set of sets) {
        const before = await existingOnServer(api, set);
        const action = !before ? "created" : deepEqual(before.spec, set.spec) ? "unchanged" : "updated";
        if (dryRun) {
          // Argo's generate: the server runs the controller's generators and writes nothing.
          if (action === "updated" && !upsert) throw differentSpec(set, "");
          const out = await api.request<{ applications?: GeneratedApp[] | null }>("POST", "/api/v1/applicationsets/generate", { body: { applicationSet: set } });
          results.push({ name: set.metadata.name ?? "", action, apps: out.applications ?? [] });
          continue;
        }
        await api.request<AppSet>("POST", "/api/v1/applicationsets", { body: set, query: upsert ? { upsert: "true" } : {} });
        process.stdout.write(`ApplicationSet '${set.metadata.name ?? ""}' ${action}\n`);
      }
    },
    async (client, ns) => {
      // A cache of its own: git writes from this process must not race the operator's on one machine.
      // The git generator of a set naming its project literally reads with that project's Secrets, as the controller's.
      const repos = dryRun ? new ProjectRepoCaches({ baseDir: join(homedir(), ".cache", "hawser", "cli"), credentials: await repoCredentials(client, ns), cache: { logger: createLogger({ level: "warn" }) } }) : undefined;
      try {
        for (const set of sets) {
          const obj: AppSet = { ...set, metadata: { ...set.metadata, namespace: set.metadata.namespace || ns } };
          const before = await client.get<AppSet>(API_VERSION, "ApplicationSet", obj.metadata.name ?? "", obj.metadata.namespace);
          let action = "created";
          // With --dry-run the apiserver checks the object (schema, admission) and stores nothing.
          if (before) {
            if (deepEqual(before.spec, obj.spec)) action = "unchanged";
            else if (!upsert) throw differentSpec(obj, `${obj.metadata.namespace ?? ""}/`);
            else {
              action = "updated";
              await client.replace({ ...before, spec: obj.spec, metadata: { ...before.metadata, labels: obj.metadata.labels, annotations: obj.metadata.annotations } }, { dryRun, fieldValidation: "Strict" });
            }
          } else {
            await client.create(obj, { dryRun, fieldValidation: "Strict" });
          }
          if (repos) results.push({ name: obj.metadata.name ?? "", action, apps: await generateHere(client, ns, obj, repos) });
          else process.stdout.write(`ApplicationSet '${obj.metadata.name ?? ""}' ${action}\n`);
        }
      } finally {
        repos?.close();
      }
    });
  if (dryRun) process.stdout.write(dryRunOutput(results, format));
  return 0;
}

export async function remove(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length !== 1) throw new FlagError("delete wants exactly one ApplicationSet NAME (or NAMESPACE/NAME)");
  const arg = flags.positional[0]!;
  const explicitNs = flagValue(flags, "appset-namespace");
  if (!(await confirm(`Are you sure you want to delete '${arg}' and all its Applications?`, flags.booleans.get("yes") === true))) {
    process.stderr.write("Aborted: nothing was deleted\n");
    return 1;
  }
  let shown = arg;
  await withTarget(flags,
    async (api) => {
      // Without a namespace the server uses its control namespace, as argocd.
      const at = arg.includes("/") || explicitNs ? qualifiedLocation("ApplicationSet", explicitNs ?? "", arg) : { namespace: undefined, name: arg };
      shown = at.name;
      await api.request("DELETE", setPath(at.name), { query: at.namespace ? { appsetNamespace: at.namespace } : {} });
    },
    async (client, ns) => {
      const at = qualifiedLocation("ApplicationSet", explicitNs ?? ns, arg);
      shown = at.name;
      if (!(await client.delete({ apiVersion: API_VERSION, kind: "ApplicationSet", name: at.name, namespace: at.namespace }))) throw new Error(`ApplicationSet ${at.namespace}/${at.name} not found`);
    });
  process.stdout.write(`applicationset '${shown}' deleted\n`);
  return 0;
}
