// `hawser appset generate`: the Applications an ApplicationSet would produce, offline. Cluster
// Secrets, AppProjects, ConfigMaps and Secrets come from files; repositories are mapped to local
// git checkouts. Nothing talks to a cluster.
import { readFile } from "node:fs/promises";
import { parseAllDocuments, stringify } from "yaml";
import { builtinGenerators } from "../../generators/index.js";
import type { ClusterSecret, KubeLookup } from "../../generators/types.js";
import { PluginRegistry } from "../../plugins/index.js";
import { reportErrors, type CommandModule } from "../cli.js";
import { API_VERSION } from "../api/index.js";
import { parsePolicy, planApplications, planOptionsFrom } from "../appset/apply-policy.js";
import { generateApplications, type AppSetLike, type GenerateResult } from "../appset/generate.js";
import { ownedBy } from "../controllers/applicationset/reconciler.js";
import { clusterLookups } from "../appset/lookups.js";
import { clientFrom } from "./kube-client.js";
import { qualifiedLocation } from "./location.js";
import type { KubeObject } from "../kube/client.js";
import { goTemplateEngine } from "../appset/gotemplate-wasm.js";
import { LocalRepoReader } from "../git/local-reader.js";
import { loadUserModules } from "../modules/loader.js";
import { createLogger } from "../runtime/logger.js";
import { parseInClusterEnabled } from "../engine/settings.js";
import { redact } from "../runtime/redact.js";
import { parseServerFlags } from "./api/command.js";
import { CONNECTION_USAGE } from "./api/connection.js";
import { cliErrorMessage } from "./api/errors.js";
import { create, remove } from "./appset/write.js";
import { flagValue, FlagError, parseFlags } from "../flags.js";
import { isRecord } from "../util/index.js";

const USAGE = `usage: hawser appset <generate|list|get|diff|create|delete> ...

hawser appset generate FILE... [flags]
Prints the Applications the ApplicationSets in FILE... would generate, without a cluster.

  --cluster FILE         cluster Secrets (argocd.argoproj.io/secret-type: cluster); repeatable
  --repo URL=PATH        read repository URL from the local git repository at PATH; repeatable
  --argocd-cm FILE       argocd-cm ConfigMap (cluster.inClusterEnabled)
  --generator-dir DIR    load generator modules from DIR; repeatable
  --namespace NS         namespace of ApplicationSets that name none (default argocd)
  -o, --output FORMAT    yaml (default), json, or params (the parameter sets per generator)

FILE may also hold AppProjects (projects other than "default" must exist), and the ConfigMaps and
Secrets a plugin generator reads. Exit code 2 on any error, with nothing printed on stdout.

These read a cluster ($KUBECONFIG or --kubeconfig FILE; -n NS, default argocd, is the controller's
namespace, where cluster Secrets, AppProjects and plugin ConfigMaps are read). An ApplicationSet
outside NS (applicationsetcontroller.namespaces) is named NAMESPACE/NAME, or found with
-N/--appset-namespace NAMESPACE; its Applications are the ones in its own namespace.
  hawser appset list [-N NAMESPACE]  ApplicationSets with their state and owned Application count
  hawser appset get NAME|NAMESPACE/NAME [-N NAMESPACE] [-o yaml|json]
                                     conditions and owned Applications
  hawser appset diff FILE... [-N NAMESPACE] [--repo URL=PATH]...
                                     what the controller would create (+), update (~) and delete (-)
                                     for each set in FILE (in its metadata.namespace, else -N, else
                                     NS); exit 0 when nothing differs, 1 when something does, 2 on error

As argocd: through the API server when logged in (RBAC there), with --core (or without a
context) straight to Kubernetes ($KUBECONFIG or --kubeconfig FILE; -n NS for sets that name no
namespace, default argocd).
  hawser appset create FILE... [--upsert] [--dry-run [-o yaml|json]]
                                     creates the ApplicationSets in FILE...; one whose spec differs
                                     from the existing set's is replaced only with --upsert.
                                     --dry-run writes nothing and lists the Applications each set
                                     would generate (-o yaml|json: the Applications themselves),
                                     with the controller's generators: the server's (generate),
                                     or with --core run here against the control namespace
  hawser appset delete NAME|NAMESPACE/NAME [-N NAMESPACE] [-y]
                                     deletes the set and, through their owner references, its
                                     Applications (asks first unless -y)

${CONNECTION_USAGE}`;

type Obj = Record<string, unknown>;

async function readDocs(file: string): Promise<Obj[]> {
  const text = await readFile(file, "utf8");
  const out: Obj[] = [];
  for (const doc of parseAllDocuments(text, { version: "1.1" })) {
    if (doc.errors.length > 0) throw new FlagError(`${file}: ${doc.errors[0]?.message ?? "invalid YAML"}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (!isRecord(value)) throw new FlagError(`${file}: every document must be a Kubernetes object`);
    // A v1 List holds its objects in items.
    if (value.kind === "List" && Array.isArray(value.items)) out.push(...value.items.filter(isRecord));
    else out.push(value);
  }
  return out;
}

function meta(obj: Obj): { name: string; labels: Record<string, string>; annotations: Record<string, string> } {
  const m = isRecord(obj.metadata) ? obj.metadata : {};
  const strings = (v: unknown): Record<string, string> => (isRecord(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string")) : {});
  return { name: typeof m.name === "string" ? m.name : "", labels: strings(m.labels), annotations: strings(m.annotations) };
}

function secretData(obj: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(obj.data)) for (const [k, v] of Object.entries(obj.data)) if (typeof v === "string") out[k] = Buffer.from(v, "base64").toString("utf8");
  if (isRecord(obj.stringData)) for (const [k, v] of Object.entries(obj.stringData)) if (typeof v === "string") out[k] = v;
  return out;
}

function configMapData(obj: Obj): Record<string, string> {
  return isRecord(obj.data) ? Object.fromEntries(Object.entries(obj.data).filter((e): e is [string, string] => typeof e[1] === "string")) : {};
}

interface Inputs {
  appSets: AppSetLike[];
  projects: Set<string>;
  clusters: ClusterSecret[];
  configMaps: Map<string, Record<string, string>>;
  secrets: Map<string, Record<string, string>>;
}

function collect(docs: Obj[], into: Inputs, source: string, clusterFile: boolean): void {
  for (const obj of docs) {
    const { name, labels, annotations } = meta(obj);
    if (obj.kind === "ApplicationSet") {
      if (!isRecord(obj.spec)) throw new FlagError(`${source}: ApplicationSet ${name} has no spec`);
      into.appSets.push({ metadata: isRecord(obj.metadata) ? (obj.metadata) : {}, spec: obj.spec });
    } else if (obj.kind === "AppProject") into.projects.add(name);
    else if (obj.kind === "Secret") {
      const data = secretData(obj);
      if (clusterFile || labels["argocd.argoproj.io/secret-type"] === "cluster") {
        if (!data.server) throw new FlagError(`${source}: cluster Secret ${name} has no server`);
        into.clusters.push({ secretName: name, labels, annotations, data: { name: data.server, ...data } });
      } else into.secrets.set(name, data);
    } else if (obj.kind === "ConfigMap") into.configMaps.set(name, configMapData(obj));
    else if (clusterFile) throw new FlagError(`${source}: expected cluster Secrets, found ${String(obj.kind)} ${name}`);
  }
}

function parseRepoFlag(value: string): [string, string] {
  // URL=PATH; the URL may itself contain "=", so split at the last one.
  const eq = value.lastIndexOf("=");
  if (eq <= 0 || eq === value.length - 1) throw new FlagError(`--repo wants URL=PATH, got "${value}"`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

function printResults(format: string, results: { appSet: AppSetLike; result: GenerateResult }[]): void {
  if (format === "params") {
    const out = results.map(({ appSet, result }) => ({ applicationSet: appSet.metadata.name ?? "", generators: result.params }));
    process.stdout.write(JSON.stringify(results.length === 1 ? out[0]?.generators : out, null, 2) + "\n");
    return;
  }
  const apps = results.flatMap((r) => r.result.applications);
  if (format === "json") process.stdout.write(JSON.stringify(apps, null, 2) + "\n");
  else process.stdout.write(apps.map((a) => stringify(a, { lineWidth: 0 })).join("---\n"));
}

async function generate(args: string[]): Promise<number> {
  const normalized = normalizeShort(args).map((a) => (a.startsWith("-o=") ? `--output=${a.slice(3)}` : a));
  const flags = parseFlags(normalized, { values: ["argocd-cm", "output", "namespace"], repeatable: ["cluster", "repo", "generator-dir"], booleans: ["help"] });
  if (flags.booleans.get("help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const format = flagValue(flags, "output") ?? "yaml";
  if (!["yaml", "json", "params"].includes(format)) throw new FlagError(`-o must be yaml, json or params, got "${format}"`);
  if (flags.positional.length === 0) throw new FlagError("no ApplicationSet file given");

  const inputs: Inputs = { appSets: [], projects: new Set(["default"]), clusters: [], configMaps: new Map(), secrets: new Map() };
  for (const file of flags.positional) collect(await readDocs(file), inputs, file, false);
  for (const file of flags.values.get("cluster") ?? []) collect(await readDocs(file), inputs, file, true);
  let inClusterEnabled: boolean | undefined;
  const cmFile = flagValue(flags, "argocd-cm");
  if (cmFile) {
    const cm = (await readDocs(cmFile)).find((o) => o.kind === "ConfigMap");
    if (!cm) throw new FlagError(`${cmFile}: no ConfigMap in it`);
    const data = configMapData(cm);
    if (data["cluster.inClusterEnabled"] !== undefined) {
      // The same reading as the controllers: a value other than "true"/"false" is an error here.
      const parsed = parseInClusterEnabled(data["cluster.inClusterEnabled"]);
      if (parsed.error !== undefined) throw new FlagError(`${cmFile}: ${parsed.error}`);
      inClusterEnabled = parsed.enabled;
    }
  }
  if (inputs.appSets.length === 0) throw new FlagError(`no ApplicationSet in ${flags.positional.join(", ")}`);

  const log = createLogger({ level: "warn" });
  const registry = builtinGenerators();
  const dirs = flags.values.get("generator-dir") ?? [];
  if (dirs.length > 0) {
    const reports = await loadUserModules({ generatorDirs: dirs, plugins: new PluginRegistry(), generators: registry, log });
    const failed = reports.filter((r) => r.errors.length > 0);
    if (failed.length > 0) throw new FlagError(failed.map((r) => `${r.source}: ${r.errors.join("; ")}`).join("\n"));
  }
  const repos = new LocalRepoReader((flags.values.get("repo") ?? []).map(parseRepoFlag));
  const kube: KubeLookup = {
    getConfigMap: (name) => Promise.resolve(inputs.configMaps.get(name)),
    getSecret: (name) => Promise.resolve(inputs.secrets.get(name)),
  };
  const results: { appSet: AppSetLike; result: GenerateResult }[] = [];
  let failed = false;
  for (const appSet of inputs.appSets) {
    const result = await generateApplications(appSet, {
      registry,
      loadEngine: goTemplateEngine,
      log,
      repos,
      clusters: { listClusterSecrets: () => Promise.resolve(inputs.clusters) },
      kube,
      defaultNamespace: flagValue(flags, "namespace") ?? "argocd",
      projectExists: (name) => Promise.resolve(inputs.projects.has(name)),
      ...(inClusterEnabled !== undefined ? { inClusterEnabled } : {}),
    });
    for (const e of result.errors) process.stderr.write(redact(`ApplicationSet ${appSet.metadata.name ?? "(unnamed)"}: ${e.reason}: ${e.message}`) + "\n");
    failed ||= result.errors.length > 0;
    results.push({ appSet, result });
  }
  if (failed) return 2;
  printResults(format, results);
  return 0;
}

const SHORT: Record<string, string> = { "-o": "--output", "-n": "--namespace", "-N": "--appset-namespace" };
const normalizeShort = (args: string[]): string[] => args.map((a) => SHORT[a] ?? a);

/**
 * The namespace an ApplicationSet from a file is compared in: its own metadata.namespace, else
 * -N, else the control namespace; a file and a -N that disagree are refused rather than guessed.
 */
export function appSetNamespace(fileNamespace: unknown, flagNamespace: string | undefined, controlNamespace: string, name: string): string {
  const own = typeof fileNamespace === "string" && fileNamespace !== "" ? fileNamespace : undefined;
  if (own && flagNamespace && own !== flagNamespace) throw new FlagError(`ApplicationSet ${name}: metadata.namespace ${own} differs from --appset-namespace ${flagNamespace}`);
  return own ?? flagNamespace ?? controlNamespace;
}

interface LiveAppSet extends KubeObject {
  spec: Record<string, unknown>;
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

function state(set: LiveAppSet): string {
  const c = set.status?.conditions ?? [];
  const err = c.find((x) => x.type === "ErrorOccurred" && x.status === "True");
  if (err) return `Error(${err.reason ?? ""})`;
  const ok = c.find((x) => x.type === "ResourcesUpToDate");
  return ok ? (ok.status === "True" ? "UpToDate" : `NotUpToDate(${ok.reason ?? ""})`) : "Unknown";
}

async function list(args: string[]): Promise<number> {
  const flags = parseFlags(normalizeShort(args), { values: ["kubeconfig", "namespace", "appset-namespace"] });
  const ns = flagValue(flags, "appset-namespace") ?? flagValue(flags, "namespace") ?? "argocd";
  const client = clientFrom(flags);
  try {
    const sets = (await client.list<LiveAppSet>(API_VERSION, "ApplicationSet", { namespace: ns })).items;
    // A set's Applications live in its own namespace (the controller lists them there too).
    const apps = (await client.list(API_VERSION, "Application", { namespace: ns })).items;
    const rows = [["NAME", "STATE", "APPLICATIONS"], ...sets.map((s) => [s.metadata.name ?? "", state(s), String(ownedBy(apps, s.metadata.uid ?? "").length)])];
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
    process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n") + "\n");
    return 0;
  } finally {
    client.close();
  }
}

async function get(args: string[]): Promise<number> {
  const flags = parseFlags(normalizeShort(args), { values: ["kubeconfig", "namespace", "output", "appset-namespace"] });
  const arg = flags.positional[0];
  if (!arg || flags.positional.length > 1) throw new FlagError("get wants exactly one ApplicationSet name");
  const { namespace: ns, name } = qualifiedLocation("ApplicationSet", flagValue(flags, "appset-namespace") ?? flagValue(flags, "namespace") ?? "argocd", arg);
  const client = clientFrom(flags);
  try {
    const set = await client.get<LiveAppSet>(API_VERSION, "ApplicationSet", name, ns);
    if (!set) throw new FlagError(`ApplicationSet ${ns}/${name} not found`);
    const format = flagValue(flags, "output");
    if (format === "json") process.stdout.write(JSON.stringify(set, null, 2) + "\n");
    else if (format === "yaml") process.stdout.write(stringify(set, { lineWidth: 0 }));
    else {
      const owned = ownedBy((await client.list(API_VERSION, "Application", { namespace: ns })).items, set.metadata.uid ?? "");
      const lines = [`Name:          ${name}`, `Namespace:     ${ns}`, `State:         ${state(set)}`, "Conditions:"];
      for (const c of set.status?.conditions ?? []) lines.push(`  ${c.type}=${c.status} ${c.reason ?? ""}: ${c.message ?? ""}`);
      lines.push("Applications:", ...owned.map((a) => `  ${a.metadata.name ?? ""}`));
      process.stdout.write(lines.join("\n") + "\n");
    }
    return 0;
  } finally {
    client.close();
  }
}

async function diff(args: string[]): Promise<number> {
  const flags = parseFlags(normalizeShort(args), { values: ["kubeconfig", "namespace", "appset-namespace"], repeatable: ["repo", "generator-dir"] });
  if (flags.positional.length === 0) throw new FlagError("no ApplicationSet file given");
  const ns = flagValue(flags, "namespace") ?? "argocd";
  const inputs: Inputs = { appSets: [], projects: new Set(), clusters: [], configMaps: new Map(), secrets: new Map() };
  for (const file of flags.positional) collect(await readDocs(file), inputs, file, false);
  if (inputs.appSets.length === 0) throw new FlagError(`no ApplicationSet in ${flags.positional.join(", ")}`);
  const log = createLogger({ level: "warn" });
  const registry = builtinGenerators();
  const dirs = flags.values.get("generator-dir") ?? [];
  if (dirs.length > 0) await loadUserModules({ generatorDirs: dirs, plugins: new PluginRegistry(), generators: registry, log });
  const client = clientFrom(flags);
  let changed = false;
  let failed = false;
  try {
    for (const appSet of inputs.appSets) {
      const name = appSet.metadata.name ?? "";
      const setNs = appSetNamespace(appSet.metadata.namespace, flagValue(flags, "appset-namespace"), ns, name);
      // Cluster Secrets, projects and plugin inputs come from the control namespace, as in the controller.
      const result = await generateApplications({ metadata: { name, namespace: setNs }, spec: appSet.spec }, {
        ...clusterLookups(client, ns),
        registry,
        loadEngine: goTemplateEngine,
        log,
        repos: new LocalRepoReader((flags.values.get("repo") ?? []).map(parseRepoFlag)),
      });
      if (result.errors.length > 0) {
        for (const e of result.errors) process.stderr.write(redact(`ApplicationSet ${name}: ${e.reason}: ${e.message}`) + "\n");
        failed = true;
        continue;
      }
      const live = await client.get<LiveAppSet>(API_VERSION, "ApplicationSet", name, setNs);
      const owned = live ? ownedBy((await client.list(API_VERSION, "Application", { namespace: setNs })).items, live.metadata.uid ?? "") : [];
      const current = owned.map((a) => ({ metadata: { ...a.metadata, name: a.metadata.name ?? "" }, spec: isRecord(a.spec) ? a.spec : {} }));
      const plan = await planApplications(result.applications, current, parsePolicy(isRecord(appSet.spec.syncPolicy) ? appSet.spec.syncPolicy.applicationsSync : undefined), planOptionsFrom(appSet.spec));
      const lines = [...plan.create.map((a) => `+ ${a.metadata.name}`), ...plan.update.map((a) => `~ ${a.metadata.name}`), ...plan.delete.map((n) => `- ${n}`)];
      process.stdout.write(`ApplicationSet ${setNs}/${name}${live ? "" : " (not in the cluster)"}: ${lines.length === 0 ? "no changes" : `${lines.length} change(s)`}\n`);
      for (const l of lines) process.stdout.write(`  ${l}\n`);
      changed ||= lines.length > 0;
    }
  } finally {
    client.close();
  }
  if (failed) return 2;
  return changed ? 1 : 0;
}

export const command: CommandModule = {
  summary: "ApplicationSets: generate offline; list, get, diff against a cluster; create, delete (like argocd appset)",
  async run(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    return reportErrors(`appset ${sub ?? ""}`, async () => {
      if (sub === "generate") return generate(rest);
      if (sub === "list") return list(rest);
      if (sub === "get") return get(rest);
      if (sub === "diff") return diff(rest);
      if (sub === "create" || sub === "delete") {
        const flags = parseServerFlags(normalizeShort(rest).map((a) => (a === "-y" ? "--yes" : a)), sub === "create"
          ? { values: ["kubeconfig", "namespace", "output"], booleans: ["upsert", "dry-run"] }
          : { values: ["kubeconfig", "namespace", "appset-namespace"], booleans: ["yes"] });
        if (flags.booleans.get("help")) {
          process.stdout.write(USAGE);
          return 0;
        }
        return sub === "create" ? create(flags) : remove(flags);
      }
      if (sub === "--help" || sub === "-h" || sub === "help") {
        process.stdout.write(USAGE);
        return 0;
      }
      process.stderr.write(`hawser appset: unknown subcommand "${sub ?? ""}"\n${USAGE}`);
      return 2;
    }, { message: cliErrorMessage });
  },
};
