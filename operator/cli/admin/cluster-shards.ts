// `hawser admin cluster shards`, as `argocd admin cluster shards`: which controller shard each
// destination cluster is on, read straight from Kubernetes (cluster Secrets, argocd-cm,
// argocd-cmd-params-cm, Applications, shard Leases). The assignment is computed by the function
// the controller itself uses (controllers/application/sharding.ts assignClusterShards), with the
// same settings in the same order of precedence, so the table is what the replicas do.
import { parseInClusterEnabled } from "../../engine/settings.js";
import { isNamespaceEnabled } from "../../engine/namespaces.js";
import { DEFAULT_SHARDING_ALGORITHM, parseShardingAlgorithm, type ShardingAlgorithm } from "../../engine/sharding.js";
import { resolveDestination, type ClusterEntry } from "../../cluster/clusters.js";
import { registeredClusters } from "../../appstate/one-shot.js";
import { assignClusterShards, shardOfDestination } from "../../controllers/application/sharding.js";
import { LABEL_CONTROLLER_SHARD } from "../../runtime/shard-leases.js";
import type { Lease } from "../../runtime/lease.js";
import { parseCmdParams } from "../../config.js";
import { ARGO_API_VERSION } from "../../api/annotations.js";
import { FlagError, flagValue, parseFlags, type ParsedFlags } from "../../flags.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { clientFrom } from "../kube-client.js";
import { table } from "../app/format.js";

export const CLUSTER_SHARDS_USAGE = `usage: hawser admin cluster shards [flags]

Each destination cluster with its controller shard, server, and the number and share of the
Applications on it, as argocd admin cluster shards. The shards are computed as the controller
computes them: a cluster Secret's \`shard\` pins, otherwise the sharding algorithm decides.

  --kubeconfig FILE          the cluster the controller runs in (default $KUBECONFIG or ~/.kube/config)
  -n, --namespace NS         the controller's namespace (default argocd; also --control-namespace)
  --replicas N               the number of shards (default $ARGOCD_CONTROLLER_REPLICAS, else the
                             number of shard Leases the replicas have written, else 1)
  --sharding-method ALG      legacy, round-robin or consistent-hashing (default
                             $ARGOCD_CONTROLLER_SHARDING_ALGORITHM, else argocd-cmd-params-cm
                             controller.sharding.algorithm, else legacy)
  --shard N                  only the clusters of shard N
  --lease-name NAME          the operator's --lease-name (default hawser-controller): shard
                             Leases are NAME-shard-<n>
  -o wide|json               wide adds the cluster's name and the replica holding the shard's Lease

RESOURCES NUM counts the resources the Applications on the cluster manage (their
status.resources); Argo CD counts the objects in the controller's cluster cache instead.
`;

export interface ClusterShardRow {
  shard: number;
  server: string;
  name: string;
  apps: number;
  /** Share of all Applications, in percent. */
  appsPercent: number;
  resources: number;
  /** The identity holding the shard's Lease, "" when nobody does. */
  holder: string;
}

export interface ClusterShardsInput {
  clusters: readonly ClusterEntry[];
  apps: readonly KubeObject[];
  replicas: number;
  algorithm: ShardingAlgorithm;
  /** shard → holder identity. */
  holders: ReadonlyMap<number, string>;
}

/** The table's rows, by shard then server; bad `shard` fields come back as problems. */
export function clusterShardRows(input: ClusterShardsInput): { rows: ClusterShardRow[]; problems: string[] } {
  const { shards, problems } = assignClusterShards(input.clusters, input.replicas, input.algorithm);
  const perServer = new Map<string, { apps: number; resources: number }>();
  for (const app of input.apps) {
    const r = resolveDestination((app.spec as { destination?: { server?: string; name?: string } } | undefined)?.destination, [...input.clusters]);
    if (!r.ok) continue;
    const counts = perServer.get(r.cluster.server) ?? { apps: 0, resources: 0 };
    counts.apps += 1;
    counts.resources += ((app.status as { resources?: unknown[] } | undefined)?.resources ?? []).length;
    perServer.set(r.cluster.server, counts);
  }
  const total = input.apps.length;
  const rows = input.clusters.map((c): ClusterShardRow => {
    const shard = shardOfDestination({ ok: true, cluster: c }, shards);
    const counts = perServer.get(c.server) ?? { apps: 0, resources: 0 };
    return {
      shard, server: c.server, name: c.name, apps: counts.apps, resources: counts.resources,
      appsPercent: total === 0 ? 0 : (counts.apps / total) * 100,
      holder: input.holders.get(shard) ?? "",
    };
  });
  rows.sort((a, b) => a.shard - b.shard || (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
  return { rows, problems };
}

export function clusterShardsTable(rows: readonly ClusterShardRow[], wide: boolean): string {
  const head = ["SHARD", "SERVER", "APPS NUM", "APPS %", "RESOURCES NUM", ...(wide ? ["NAME", "HOLDER"] : [])];
  return table([head, ...rows.map((r) => [
    String(r.shard), r.server, String(r.apps), r.appsPercent.toFixed(2), String(r.resources),
    ...(wide ? [r.name, r.holder || "-"] : []),
  ])]);
}

function wholeNumber(raw: string, what: string, min: number): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) throw new FlagError(`${what} must be a whole number of at least ${min}, got "${raw}"`);
  return Number(raw);
}

/** The settings the operator would use, each from the same place and in the same order. */
export function shardSettings(flags: ParsedFlags, env: NodeJS.ProcessEnv, cmdParamsData: Record<string, string> | undefined, leaseShards: number): { replicas: number; algorithm: ShardingAlgorithm; appNamespaces: string[] } {
  const replicasFlag = flagValue(flags, "replicas");
  const replicasEnv = env.ARGOCD_CONTROLLER_REPLICAS?.trim() ? env.ARGOCD_CONTROLLER_REPLICAS : undefined;
  const replicas = replicasFlag !== undefined
    ? wholeNumber(replicasFlag, "--replicas", 1)
    : replicasEnv !== undefined ? wholeNumber(replicasEnv, "the environment variable ARGOCD_CONTROLLER_REPLICAS", 1) : Math.max(1, leaseShards);
  const cmdParams = parseCmdParams(cmdParamsData);
  const methodFlag = flagValue(flags, "sharding-method");
  const methodEnv = env.ARGOCD_CONTROLLER_SHARDING_ALGORITHM?.trim() ? env.ARGOCD_CONTROLLER_SHARDING_ALGORITHM : undefined;
  let algorithm = cmdParams.shardingAlgorithm ?? DEFAULT_SHARDING_ALGORITHM;
  const method = methodFlag ?? methodEnv;
  if (method !== undefined) {
    const parsed = parseShardingAlgorithm(method);
    if (typeof parsed === "object") throw new FlagError(parsed.error.replace("argocd-cmd-params-cm controller.sharding.algorithm", methodFlag !== undefined ? "--sharding-method" : "the environment variable ARGOCD_CONTROLLER_SHARDING_ALGORITHM"));
    algorithm = parsed;
  }
  return { replicas, algorithm, appNamespaces: cmdParams.applicationNamespaces ?? [] };
}

async function configMapData(client: KubeClient, name: string, ns: string): Promise<Record<string, string> | undefined> {
  return (await client.get("v1", "ConfigMap", name, ns) as { data?: Record<string, string> } | undefined)?.data;
}

export async function clusterShards(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const normalized = args.map((a) => (a === "-n" ? "--namespace" : a === "-o" ? "--output" : a));
  const flags = parseFlags(normalized, { values: ["kubeconfig", "namespace", "control-namespace", "replicas", "sharding-method", "shard", "lease-name", "output"], booleans: ["help"] });
  if (flags.booleans.get("help")) {
    process.stdout.write(CLUSTER_SHARDS_USAGE);
    return 0;
  }
  if (flags.positional.length > 0) throw new FlagError(`shards takes no arguments, got "${flags.positional.join(" ")}"`);
  const output = flagValue(flags, "output");
  if (output !== undefined && output !== "wide" && output !== "json") throw new FlagError(`-o must be wide or json, got "${output}"`);
  const shardRaw = flagValue(flags, "shard");
  const only = shardRaw === undefined ? undefined : wholeNumber(shardRaw, "--shard", 0);
  const ns = flagValue(flags, "namespace") ?? flagValue(flags, "control-namespace") ?? "argocd";
  const leasePrefix = `${flagValue(flags, "lease-name") ?? "hawser-controller"}-shard-`;

  const client = clientFrom(flags);
  try {
    const [secrets, argocdCm, cmdParamsData, leases] = await Promise.all([
      client.list("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=cluster" }),
      configMapData(client, "argocd-cm", ns),
      configMapData(client, "argocd-cmd-params-cm", ns),
      client.list("coordination.k8s.io/v1", "Lease", { namespace: ns, labelSelector: LABEL_CONTROLLER_SHARD }),
    ]);
    const holders = new Map<number, string>();
    let leaseShards = 0;
    for (const l of leases.items as unknown as Lease[]) {
      if (!l.metadata.name.startsWith(leasePrefix)) continue;
      const shard = Number(l.metadata.labels?.[LABEL_CONTROLLER_SHARD]);
      if (!Number.isInteger(shard) || shard < 0) continue;
      leaseShards = Math.max(leaseShards, shard + 1);
      if (l.spec.holderIdentity) holders.set(shard, l.spec.holderIdentity);
    }
    const { replicas, algorithm, appNamespaces } = shardSettings(flags, env, cmdParamsData, leaseShards);
    if (only !== undefined && only >= replicas) throw new FlagError(`--shard ${only}: there are only ${replicas} shards (shards count from 0)`);
    // The Applications the controller watches: its namespace, and those application.namespaces enables.
    const apps = appNamespaces.length > 0
      ? (await client.list(ARGO_API_VERSION, "Application")).items.filter((a) => isNamespaceEnabled(a.metadata.namespace ?? "", ns, appNamespaces))
      : (await client.list(ARGO_API_VERSION, "Application", { namespace: ns })).items;
    const clusters = registeredClusters(secrets.items, { inClusterEnabled: parseInClusterEnabled(argocdCm?.["cluster.inClusterEnabled"]).enabled });
    const { rows, problems } = clusterShardRows({ clusters, apps, replicas, algorithm, holders });
    for (const p of problems) process.stderr.write(`warning: ${p}\n`);
    const shown = only === undefined ? rows : rows.filter((r) => r.shard === only);
    if (output === "json") process.stdout.write(JSON.stringify({ replicas, algorithm, clusters: shown }, null, 2) + "\n");
    else process.stdout.write(clusterShardsTable(shown, output === "wide"));
    return 0;
  } finally {
    client.close();
  }
}
