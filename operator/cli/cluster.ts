// `hawser cluster list|get|add|set|rm`: destination clusters (Argo's cluster Secrets and in-cluster),
// as `argocd cluster ...`. Through the API server when logged in (it sanitises the credentials
// away, adds the connection state and enforces RBAC); get, add, set and rm also straight to Kubernetes
// with --core.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { reportErrors, type CommandModule } from "../cli.js";
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER, normalizeServer, parseClusterSecret, secretData, type ClusterEntry } from "../cluster/clusters.js";
import { FlagError, flagValue, type ParsedFlags } from "../flags.js";
import { KubeClient } from "../kube/client.js";
import { registerSecret } from "../runtime/redact.js";
import { errorMessage } from "../util/index.js";
import type { ApiClient } from "./api/client.js";
import { outputFlag, parseServerFlags, printObject, serverClient } from "./api/command.js";
import { CONNECTION_USAGE } from "./api/connection.js";
import { cliErrorMessage } from "./api/errors.js";
import { confirm } from "./api/prompt.js";
import { table } from "./app/format.js";
import { applySet, planSet, updatedSecret } from "./cluster/set.js";
import { CLUSTER_SECRET_TYPE_LABEL, clusterSecret, installManager, MANAGER_SERVICE_ACCOUNT, MANAGER_SYSTEM_NAMESPACE, type ClusterRequest } from "./cluster/manager.js";
import { withTarget as runOnTarget } from "./target.js";

const USAGE = `usage: hawser cluster <command> [flags]

  list [-o wide|server|json|yaml]
                       SERVER, NAME, VERSION, STATUS, MESSAGE and PROJECT of each cluster the
                       caller may see (server only: the connection state is the server's probe)
  get SERVER|NAME [-o json|yaml|wide]
                       one cluster, without its credentials
  add CONTEXT [--name NAME] [--namespace NS]... [--cluster-resources] [--project P] [--upsert]
      [--in-cluster] [--kubeconfig FILE] [--service-account SA] [--system-namespace NS]
      [--label K=V]... [--annotation K=V]... [-y]
                       as argocd: creates in the cluster of kubeconfig CONTEXT the ServiceAccount
                       SA (default argocd-manager) in --system-namespace (default kube-system),
                       with a ClusterRole and binding giving it everything, or with --namespace a
                       Role and RoleBinding in each of those namespaces only, and a long-lived
                       token Secret; then registers the cluster with that token (Argo's cluster
                       Secret). NAME defaults to CONTEXT; --in-cluster registers it as
                       ${IN_CLUSTER_SERVER} (the operator runs in it). Asks first unless -y.
  rm SERVER|NAME [-y]  removes the cluster's Secret (the ServiceAccount stays, as with argocd)
  set SERVER|NAME [--name NAME] [--namespace NS]... [--cluster-resources[=false]] [--project P]
      [--shard N] [--label K=V]... [--annotation K=V]...
                       changes only the fields whose flags are given, as argocd cluster set:
                       --namespace replaces the namespaces (--namespace '*' alone: the whole
                       cluster again), --label/--annotation replace all labels/annotations,
                       --project "" removes the project, --shard -1 the shard

With --core (or without a context) get, add, set and rm read and write the cluster Secrets in the
controller's namespace (--control-namespace, default argocd) of the current context of
--kubeconfig (default $KUBECONFIG or ~/.kube/config). Errors go to stderr with exit status 2.

${CONNECTION_USAGE}`;

export interface Cluster {
  server: string;
  name?: string;
  project?: string;
  namespaces?: string[];
  clusterResources?: boolean;
  serverVersion?: string;
  connectionState?: { status?: string; message?: string };
  info?: { serverVersion?: string; connectionState?: { status?: string; message?: string } };
}

export function clusterTable(items: Cluster[]): string {
  const rows = [["SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT"]];
  for (const c of items) {
    const state = c.info?.connectionState ?? c.connectionState;
    rows.push([c.server, c.name ?? "", c.info?.serverVersion ?? c.serverVersion ?? "", state?.status ?? "", state?.message ?? "", c.project ?? ""]);
  }
  return table(rows);
}

/** A Secret's entry as the server shows it: never a credential. */
function sanitized(c: ClusterEntry): Cluster & { config: { tlsClientConfig: { insecure?: boolean; serverName?: string } } } {
  const tls = c.config.tlsClientConfig;
  return {
    server: c.server, name: c.name,
    config: { tlsClientConfig: { ...(tls?.insecure ? { insecure: true } : {}), ...(tls?.serverName ? { serverName: tls.serverName } : {}) } },
    ...(c.namespaces.length > 0 ? { namespaces: c.namespaces } : {}),
    ...(c.namespaces.length > 0 && c.clusterResources ? { clusterResources: true } : {}),
    ...(c.project ? { project: c.project } : {}),
  };
}

/** argocd's rule: an argument with a scheme is a server URL, anything else a cluster name. */
export const isServerUrl = (id: string): boolean => /^https?:\/\//i.test(id);

const clusterPath = (id: string): string => `/api/v1/clusters/${encodeURIComponent(isServerUrl(id) ? normalizeServer(id) : id)}`;
const idQuery = (id: string): Record<string, string> => (isServerUrl(id) ? {} : { "id.type": "name" });

function controlNamespace(flags: ParsedFlags): string {
  return flagValue(flags, "control-namespace") ?? "argocd";
}

/** The cluster Secrets of the control namespace (--core). */
async function secretEntries(client: KubeClient, ns: string): Promise<ClusterEntry[]> {
  const list = await client.list("v1", "Secret", { namespace: ns, labelSelector: `${CLUSTER_SECRET_TYPE_LABEL}=cluster` });
  const out: ClusterEntry[] = [];
  for (const s of list.items) {
    const e = parseClusterSecret(s);
    if (!("error" in e)) out.push(e);
  }
  return out;
}

const matches = (id: string) => (c: ClusterEntry): boolean => (isServerUrl(id) ? c.server === normalizeServer(id) : c.name === id);

function oneId(flags: ParsedFlags, what: string): string {
  if (flags.positional.length !== 1) throw new FlagError(`${what} wants exactly one cluster SERVER (a URL) or NAME`);
  return flags.positional[0]!;
}

const withTarget = <T>(flags: ParsedFlags, api: (c: ApiClient) => Promise<T>, kube: (c: KubeClient, ns: string) => Promise<T>): Promise<T> => runOnTarget(flags, api, kube, controlNamespace);

async function list(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length > 0) throw new FlagError("list takes no arguments");
  const format = outputFlag(flags, ["wide", "server", "json", "yaml"]);
  // Server only, as before add/rm existed: the connection state is the server's to probe.
  const api = await serverClient(flags, "cluster list");
  let all: Cluster[];
  try {
    all = (await api.request<{ items?: Cluster[] | null }>("GET", "/api/v1/clusters")).items ?? [];
  } finally {
    api.close();
  }
  if (format === "json" || format === "yaml") printObject(all, format);
  else if (format === "server") process.stdout.write(all.map((c) => `${c.server}\n`).join(""));
  else process.stdout.write(clusterTable(all));
  return 0;
}

async function get(flags: ParsedFlags): Promise<number> {
  const id = oneId(flags, "get");
  const format = outputFlag(flags, ["json", "yaml", "wide"]) ?? "yaml";
  const cluster = await withTarget<Cluster>(flags,
    (api) => api.request<Cluster>("GET", clusterPath(id), { query: idQuery(id) }),
    async (client, ns) => {
      const found = (await secretEntries(client, ns)).find(matches(id));
      if (!found) throw new Error(`cluster "${id}" not found in namespace ${ns}`);
      return sanitized(found);
    });
  if (format === "wide") process.stdout.write(clusterTable([cluster]));
  else printObject(cluster, format);
  return 0;
}

/** KEY=VALUE pairs of a repeatable flag. */
export function keyValues(values: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new FlagError(`--${flag} wants KEY=VALUE, got "${kv}"`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

export interface AddPlan {
  context: string;
  request: Omit<ClusterRequest, "config"> & { config: { tlsClientConfig: ClusterRequest["config"]["tlsClientConfig"] } };
  serviceAccount: string;
  systemNamespace: string;
  upsert: boolean;
}

/**
 * What `cluster add` will do, from its flags and the kubeconfig (no I/O besides reading a CA
 * file the kubeconfig names), so mistakes stop before anything is created.
 */
export function planAdd(flags: ParsedFlags, kc: KubeConfig): AddPlan {
  if (flags.positional.length !== 1) throw new FlagError("add wants exactly one kubeconfig CONTEXT");
  const context = flags.positional[0]!;
  const ctx = kc.getContexts().find((c) => c.name === context);
  if (!ctx) throw new FlagError(`context "${context}" is not in the kubeconfig (known: ${kc.getContexts().map((c) => c.name).join(", ") || "none"})`);
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster) throw new FlagError(`context "${context}" names cluster "${ctx.cluster}", which the kubeconfig does not define`);
  const namespaces = (flags.values.get("namespace") ?? []).flatMap((n) => n.split(",")).map((n) => n.trim()).filter(Boolean);
  const clusterResources = flags.booleans.get("cluster-resources") === true;
  if (clusterResources && namespaces.length === 0) throw new FlagError("--cluster-resources only means something with --namespace (without it the cluster is managed whole)");
  const caData = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString("base64") : undefined);
  const server = flags.booleans.get("in-cluster") ? IN_CLUSTER_SERVER : normalizeServer(cluster.server);
  if (!isServerUrl(server)) throw new FlagError(`context "${context}" has server "${cluster.server}", not an https:// URL`);
  const project = flagValue(flags, "project");
  const labels = keyValues(flags.values.get("label"), "label");
  const annotations = keyValues(flags.values.get("annotation"), "annotation");
  return {
    context,
    upsert: flags.booleans.get("upsert") === true,
    serviceAccount: flagValue(flags, "service-account") ?? MANAGER_SERVICE_ACCOUNT,
    systemNamespace: flagValue(flags, "system-namespace") ?? MANAGER_SYSTEM_NAMESPACE,
    request: {
      server,
      name: flagValue(flags, "name") ?? context,
      config: { tlsClientConfig: { ...(cluster.skipTLSVerify ? { insecure: true } : {}), ...(caData ? { caData } : {}), ...(cluster.tlsServerName ? { serverName: cluster.tlsServerName } : {}) } },
      ...(namespaces.length > 0 ? { namespaces } : {}),
      ...(clusterResources ? { clusterResources } : {}),
      ...(project ? { project } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
  };
}

function loadKubeConfig(flags: ParsedFlags): KubeConfig {
  const kc = new KubeConfig();
  const file = flagValue(flags, "kubeconfig");
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (err) {
    throw new FlagError(`cannot read the kubeconfig ${file ?? "($KUBECONFIG or ~/.kube/config)"}: ${errorMessage(err)}`);
  }
  return kc;
}

async function add(flags: ParsedFlags): Promise<number> {
  const kc = loadKubeConfig(flags);
  const plan = planAdd(flags, kc);
  const { request } = plan;
  const rights = request.namespaces ? `in namespaces ${request.namespaces.join(", ")}` : "with full cluster level privileges";
  const ok = await confirm(`WARNING: This will create a service account \`${plan.serviceAccount}\` on the cluster referenced by context \`${plan.context}\` ${rights}. Do you want to continue?`, flags.booleans.get("yes") === true);
  if (!ok) {
    process.stderr.write("Aborted: nothing was created\n");
    return 1;
  }
  const install = async (): Promise<ClusterRequest> => {
    const targetKc = loadKubeConfig(flags);
    targetKc.setCurrentContext(plan.context);
    const target = new KubeClient(targetKc);
    try {
      const token = await installManager(target, { serviceAccount: plan.serviceAccount, systemNamespace: plan.systemNamespace, namespaces: request.namespaces ?? [] }, (l) => process.stderr.write(`${l}\n`));
      registerSecret(token);
      return { ...request, config: { ...request.config, bearerToken: token } };
    } finally {
      target.close();
    }
  };
  await withTarget(flags,
    async (api) => {
      // Refusals (RBAC, an existing cluster without --upsert) come before anything is installed.
      const object = request.project ? `${request.project}/${request.server}` : request.server;
      const can = await api.request<{ value?: string }>("GET", `/api/v1/account/can-i/clusters/create/${encodeURIComponent(object)}`);
      if (can.value !== "yes") throw new Error(`permission denied: clusters, create, ${object} (nothing was installed)`);
      if (!plan.upsert) {
        const { items } = await api.request<{ items?: Cluster[] | null }>("GET", "/api/v1/clusters", { query: { server: request.server } });
        if ((items ?? []).some((c) => c.server === request.server && c.server !== IN_CLUSTER_SERVER)) throw new Error(`cluster "${request.server}" already exists, use upsert flag to update it`);
      }
      await api.request("POST", "/api/v1/clusters", { body: await install(), query: plan.upsert ? { upsert: "true" } : {} });
    },
    async (client, ns) => {
      const existing = (await secretEntries(client, ns)).find((c) => c.server === request.server);
      if (existing && !plan.upsert) throw new Error(`cluster "${request.server}" already exists (Secret ${ns}/${existing.secretName ?? ""}), use --upsert to update it`);
      const secret = clusterSecret(await install(), ns, existing?.secretName);
      if (existing) await client.replace(secret);
      else await client.create(secret);
    });
  process.stdout.write(`Cluster '${request.server}' added\n`);
  return 0;
}

async function rm(flags: ParsedFlags): Promise<number> {
  const id = oneId(flags, "rm");
  if (!(await confirm(`Are you sure you want to remove '${id}'? Any Apps deploying to this cluster will go to health status Unknown.`, flags.booleans.get("yes") === true))) {
    process.stderr.write("Aborted: nothing was removed\n");
    return 1;
  }
  await withTarget(flags,
    async (api) => { await api.request("DELETE", clusterPath(id), { query: idQuery(id) }); },
    async (client, ns) => {
      const found = (await secretEntries(client, ns)).find(matches(id));
      if (!found?.secretName) throw new Error(`cluster "${id}" not found in namespace ${ns}`);
      await client.delete({ apiVersion: "v1", kind: "Secret", name: found.secretName, namespace: ns });
    });
  process.stdout.write(`Cluster '${id}' removed\n`);
  return 0;
}

async function set(flags: ParsedFlags): Promise<number> {
  const plan = planSet(flags, isServerUrl);
  await withTarget(flags,
    async (api) => {
      await api.request("PUT", clusterPath(plan.id), { body: plan.cluster, query: { updatedFields: plan.updatedFields, ...idQuery(plan.id) } });
    },
    async (client, ns) => {
      const found = (await secretEntries(client, ns)).find(matches(plan.id));
      let stored = found?.secretName ? await client.get("v1", "Secret", found.secretName, ns) : undefined;
      if (!stored) {
        // The implicit in-cluster entry has no Secret until one is written for it, as the server does.
        if ((plan.byName ? plan.id !== IN_CLUSTER_NAME : normalizeServer(plan.id) !== IN_CLUSTER_SERVER)) throw new Error(`cluster "${plan.id}" not found in namespace ${ns}`);
        stored = { apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: { name: `cluster-in-cluster-${createHash("sha256").update(IN_CLUSTER_SERVER).digest("hex").slice(0, 10)}`, namespace: ns }, data: {} };
        const next = applySet(plan, { data: { server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME, config: "{}" }, labels: {}, annotations: {} });
        await client.create(updatedSecret(stored, next));
        return;
      }
      const next = applySet(plan, { data: secretData(stored), labels: stored.metadata.labels ?? {}, annotations: stored.metadata.annotations ?? {} });
      await client.replace(updatedSecret(stored, next));
    });
  process.stdout.write(`Cluster '${plan.id}' updated.\n`);
  return 0;
}

interface Sub { values?: string[]; repeatable?: string[]; booleans?: string[]; run: (flags: ParsedFlags) => Promise<number> }

const CORE_FLAGS = ["kubeconfig", "control-namespace"];
const SUBS: Record<string, Sub> = {
  list: { values: ["output"], run: list },
  get: { values: ["output", ...CORE_FLAGS], run: get },
  add: {
    values: ["name", "project", "service-account", "system-namespace", ...CORE_FLAGS],
    repeatable: ["namespace", "label", "annotation"],
    booleans: ["upsert", "in-cluster", "cluster-resources", "yes"],
    run: add,
  },
  rm: { values: CORE_FLAGS, booleans: ["yes"], run: rm },
  set: {
    values: ["name", "project", "shard", ...CORE_FLAGS],
    repeatable: ["namespace", "label", "annotation"],
    booleans: ["cluster-resources"],
    run: set,
  },
};

/** argocd's short flags. */
const SHORT: Record<string, string> = { "-y": "--yes" };

export const command: CommandModule = {
  summary: "Destination clusters: list, get, add (installs argocd-manager), set, rm",
  async run(args: string[]): Promise<number> {
    const [name, ...rest] = args;
    if (!name || name === "--help" || name === "-h" || name === "help") {
      process.stdout.write(USAGE);
      return name ? 0 : 2;
    }
    const sub = SUBS[name];
    if (!sub) {
      process.stderr.write(`hawser cluster: unknown command "${name}"\n${USAGE}`);
      return 2;
    }
    return reportErrors(`cluster ${name}`, async () => {
      const flags = parseServerFlags(rest.map((a) => SHORT[a] ?? a), { values: sub.values ?? [], repeatable: sub.repeatable ?? [], booleans: sub.booleans ?? [] });
      if (flags.booleans.get("help")) {
        process.stdout.write(USAGE);
        return 0;
      }
      return sub.run(flags);
    }, { message: cliErrorMessage });
  },
};
