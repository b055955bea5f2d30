// `hawser appset create FILE... [--upsert] [--dry-run]` and `hawser appset delete NAME [-y]`, as
// `argocd appset create|delete`: through the API server when logged in (POST /api/v1/applicationsets
// with upsert and dryRun, DELETE /api/v1/applicationsets/{name}; RBAC there), with --core straight
// to Kubernetes in the set's namespace.
import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import { API_VERSION } from "../../api/index.js";
import { FlagError, flagValue, type ParsedFlags } from "../../flags.js";
import type { KubeObject } from "../../kube/client.js";
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

export async function create(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length === 0) throw new FlagError("create wants one or more FILEs holding ApplicationSets");
  const sets: AppSet[] = [];
  for (const file of flags.positional) sets.push(...appSetsFromText(await readFile(file, "utf8"), file));
  const upsert = flags.booleans.get("upsert") === true;
  const dryRun = flags.booleans.get("dry-run") === true;
  const suffix = dryRun ? " (dry run)" : "";
  await withTarget(flags,
    async (api) => {
      for (const set of sets) {
        const before = await existingOnServer(api, set);
        const result = await api.request<AppSet>("POST", "/api/v1/applicationsets", { body: set, query: { ...(upsert ? { upsert: "true" } : {}), ...(dryRun ? { dryRun: "true" } : {}) } });
        const action = !before ? "created" : deepEqual(before.spec, set.spec) ? "unchanged" : "updated";
        process.stdout.write(`ApplicationSet '${set.metadata.name ?? ""}' ${action}${suffix}\n`);
        if (dryRun) for (const r of result.status?.resources ?? []) process.stdout.write(`  Application ${r.namespace ? `${r.namespace}/` : ""}${r.name ?? ""}\n`);
      }
    },
    async (client, ns) => {
      for (const set of sets) {
        const obj: AppSet = { ...set, metadata: { ...set.metadata, namespace: set.metadata.namespace || ns } };
        const before = await client.get<AppSet>(API_VERSION, "ApplicationSet", obj.metadata.name ?? "", obj.metadata.namespace);
        let action = "created";
        if (before) {
          if (deepEqual(before.spec, obj.spec)) action = "unchanged";
          else if (!upsert) throw new Error(`ApplicationSet ${obj.metadata.namespace}/${obj.metadata.name}: existing ApplicationSet spec is different, use upsert flag to force update`);
          else {
            action = "updated";
            await client.replace({ ...before, spec: obj.spec, metadata: { ...before.metadata, labels: obj.metadata.labels, annotations: obj.metadata.annotations } }, { dryRun, fieldValidation: "Strict" });
          }
        } else {
          await client.create(obj, { dryRun, fieldValidation: "Strict" });
        }
        // The apiserver's dry run checks the object; what it would generate is `hawser appset diff`.
        process.stdout.write(`ApplicationSet '${obj.metadata.name ?? ""}' ${action}${suffix}\n`);
      }
    });
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
