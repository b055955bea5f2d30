// `hawser app logs NAME`: the logs of an application's pods, like `argocd app logs`. Through the
// server it reads the logs stream (argo-cd-server.md §1.3; the server checks `logs, get` and
// picks the pods from the app's tree); with --core it picks them the same way
// (operator/engine/pod-logs.ts) and reads `pods/{name}/log` from the destination cluster itself.
import type { Application } from "../../api/index.js";
import { logFilter, parseRfc3339, selectPods, type LogEntry, type PodQuery } from "../../engine/pod-logs.js";
import { FlagError, flagInt, flagValue, type FlagSpec, type ParsedFlags } from "../../flags.js";
import { KubeClient, type KubeObject } from "../../kube/client.js";
import { kubeConfigForCluster, IN_CLUSTER_SERVER } from "../../cluster/clusters.js";
import { appTreeNodes, streamPodLogs, type PodLogOptions } from "../../server/pod-logs.js";
import { maxPodLogsToRender } from "../../server/services/app-logs.js";
import type { ApiClient, QueryParams } from "../api/client.js";
import { appPath } from "./api-backend.js";
import { destinationCluster } from "./live-diff.js";

export const LOGS_USAGE = `  logs NAME [--container C] [--tail N] [--since-seconds S] [--until-time RFC3339] [--follow]
       [--previous] [--group G --kind K --name N] [--filter F [--match-case]]
                       the logs of the app's pods (only pods of its resource tree; --kind and
                       --name narrow them to one resource's pods, e.g. a Deployment's); --filter
                       keeps lines containing F (!F: lines without it), case-insensitive unless
                       --match-case; --follow keeps reading until interrupted or the pods are gone`;

export const LOGS_FLAGS: FlagSpec = {
  values: ["container", "tail", "since-seconds", "until-time", "group", "kind", "name", "filter"],
  booleans: ["follow", "previous", "match-case"],
};

interface LogsFlags { pods: PodQuery; options: PodLogOptions; filter?: string; matchCase: boolean; untilTime?: string }

function readFlags(flags: ParsedFlags): LogsFlags {
  const pods: PodQuery = {};
  const kind = flagValue(flags, "kind");
  const group = flagValue(flags, "group");
  const name = flagValue(flags, "name");
  if (kind) pods.kind = kind;
  if (group) pods.group = group;
  if (name) pods.resourceName = name;
  const options: PodLogOptions = {};
  const container = flagValue(flags, "container");
  if (container) options.container = container;
  const tail = flagInt(flags, "tail", 0);
  if (tail > 0) options.tailLines = tail;
  const since = flagInt(flags, "since-seconds", 0);
  if (since > 0) options.sinceSeconds = since;
  if (flags.booleans.get("follow")) options.follow = true;
  if (flags.booleans.get("previous")) options.previous = true;
  const untilTime = flagValue(flags, "until-time");
  if (untilTime !== undefined && parseRfc3339(untilTime) === undefined) throw new FlagError(`--until-time must be an RFC 3339 time, got "${untilTime}"`);
  const filter = flagValue(flags, "filter");
  return { pods, options, ...(filter ? { filter } : {}), matchCase: flags.booleans.get("match-case") === true, ...(untilTime ? { untilTime } : {}) };
}

/** Writes each line's content, as argocd does. */
const print = (content: string): void => { process.stdout.write(`${content}\n`); };

/** Through the server: the logs stream until its last entry (or, with --follow, until interrupted). */
export async function logsThroughServer(api: ApiClient, name: string, flags: ParsedFlags): Promise<number> {
  const f = readFlags(flags);
  const { path, query } = appPath(name);
  const q: QueryParams = { ...query };
  const put = (k: string, v: string | number | boolean | undefined): void => { if (v !== undefined && v !== "" && v !== false) q[k] = String(v); };
  put("kind", f.pods.kind); put("group", f.pods.group); put("resourceName", f.pods.resourceName);
  put("container", f.options.container); put("tailLines", f.options.tailLines); put("sinceSeconds", f.options.sinceSeconds);
  put("follow", f.options.follow); put("previous", f.options.previous); put("untilTime", f.untilTime);
  put("filter", f.filter); put("matchCase", f.matchCase);
  await api.stream<LogEntry>(`${path}/logs`, q, (entry) => {
    if (entry.content || !entry.last) print(entry.content ?? "");
    return entry.last === true;
  });
  return 0;
}

/** With --core: the app's tree on its destination, its pods' logs straight from the apiserver. */
export async function logsWithKubernetes(client: KubeClient, namespace: string, app: Application, flags: ParsedFlags): Promise<number> {
  const f = readFlags(flags);
  const cluster = await destinationCluster(client, namespace, app);
  const dest = cluster.server === IN_CLUSTER_SERVER ? client : new KubeClient(kubeConfigForCluster(cluster));
  try {
    const nodes = await appTreeNodes(app, dest);
    const pods = selectPods(nodes, f.pods);
    if (pods.length === 0) {
      process.stderr.write(`application ${app.metadata.name ?? ""} has no pods${f.pods.kind || f.pods.resourceName ? " matching --group/--kind/--name" : ""}\n`);
      return 0;
    }
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>("v1", "ConfigMap", "argocd-cm", namespace);
    const max = maxPodLogsToRender(cm?.data);
    if (pods.length > max) throw new FlagError(`the app has ${pods.length} pods, more than argocd-cm server.maxPodLogsToRender (${max}); narrow them with --kind and --name`);
    const keep = logFilter(f.filter, f.matchCase);
    const until = f.untilTime !== undefined ? parseRfc3339(f.untilTime) : undefined;
    const interrupted = new AbortController();
    const onSigint = (): void => interrupted.abort();
    process.once("SIGINT", onSigint);
    try {
      await streamPodLogs(dest, pods, f.options, (line) => {
        if (until !== undefined && line.time > until) return false;
        if (keep(line.content)) print(line.content);
        return true;
      }, interrupted.signal);
    } finally {
      process.removeListener("SIGINT", onSigint);
    }
    return 0;
  } finally {
    if (dest !== client) dest.close();
  }
}
