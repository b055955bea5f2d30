// `hawser cluster set NAME|SERVER`: changes some fields of a registered cluster, as
// `argocd cluster set`. Only the fields whose flags are given change: through the server they are
// PUT /api/v1/clusters/{id}'s `updatedFields`; with --core the same fields are changed in the
// cluster Secret, every other key of it (the credentials in `config` above all) left as it is.
import { FlagError, flagValue, type ParsedFlags } from "../../flags.js";
import type { KubeObject } from "../../kube/client.js";
import { CLUSTER_SECRET_TYPE_LABEL } from "./manager.js";

/** The fields `cluster set` can change, by the name PUT's updatedFields gives them. */
export type SetField = "name" | "namespaces" | "labels" | "annotations" | "project" | "shard" | "clusterResources";

export interface SetPlan {
  /** The argument: a server URL, or a cluster name. */
  id: string;
  byName: boolean;
  updatedFields: SetField[];
  /** The body of the PUT: the new values of updatedFields (and the server when known). */
  cluster: {
    server?: string;
    name?: string;
    namespaces?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    project?: string;
    shard?: number;
    clusterResources?: boolean;
  };
}

/** KEY=VALUE pairs of a repeatable flag, each checked. */
function keyValues(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new FlagError(`--${flag} wants KEY=VALUE, got "${kv}"`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/**
 * What `cluster set` changes, from its flags alone. `--namespace '*'` (alone) makes the cluster
 * managed whole again, as argocd; `--project ""` takes it out of its project; `--shard -1` unsets
 * the shard. A call that changes nothing is refused, as argocd refuses it.
 */
export function planSet(flags: ParsedFlags, isServerUrl: (id: string) => boolean): SetPlan {
  if (flags.positional.length !== 1) throw new FlagError("set wants exactly one cluster SERVER (a URL) or NAME");
  const id = flags.positional[0]!;
  const byName = !isServerUrl(id);
  const plan: SetPlan = { id, byName, updatedFields: [], cluster: byName ? {} : { server: id.replace(/\/+$/, "") } };
  const name = flagValue(flags, "name");
  if (name !== undefined) {
    if (name.trim() === "") throw new FlagError("--name must not be empty");
    plan.updatedFields.push("name");
    plan.cluster.name = name;
  }
  const nsValues = flags.values.get("namespace");
  if (nsValues) {
    const namespaces = nsValues.flatMap((n) => n.split(",")).map((n) => n.trim()).filter(Boolean);
    if (namespaces.includes("*") && namespaces.length > 1) throw new FlagError("--namespace '*' (the whole cluster) cannot be combined with namespace names");
    plan.updatedFields.push("namespaces");
    plan.cluster.namespaces = namespaces.includes("*") ? [] : namespaces;
  }
  const labels = flags.values.get("label");
  if (labels) {
    plan.updatedFields.push("labels");
    plan.cluster.labels = keyValues(labels, "label");
    if (CLUSTER_SECRET_TYPE_LABEL in plan.cluster.labels) throw new FlagError(`--label ${CLUSTER_SECRET_TYPE_LABEL} is kept by Hawser: it makes the Secret a cluster Secret`);
  }
  const annotations = flags.values.get("annotation");
  if (annotations) {
    plan.updatedFields.push("annotations");
    plan.cluster.annotations = keyValues(annotations, "annotation");
  }
  const project = flagValue(flags, "project");
  if (project !== undefined) {
    plan.updatedFields.push("project");
    plan.cluster.project = project;
  }
  const shard = flagValue(flags, "shard");
  if (shard !== undefined) {
    if (!/^(-1|\d+)$/.test(shard.trim())) throw new FlagError(`--shard wants a shard number (0, 1, ...) or -1 for none; got "${shard}"`);
    plan.updatedFields.push("shard");
    if (Number(shard) >= 0) plan.cluster.shard = Number(shard);
  }
  const clusterResources = flags.booleans.get("cluster-resources");
  if (clusterResources !== undefined) {
    plan.updatedFields.push("clusterResources");
    plan.cluster.clusterResources = clusterResources;
  }
  if (plan.updatedFields.length === 0) throw new FlagError("Specify the cluster field to be updated: --name, --namespace, --label, --annotation, --project, --shard or --cluster-resources");
  return plan;
}

/** What the Secret holds that `set` may change: its decoded data, labels and annotations. */
export interface StoredCluster {
  data: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * The cluster Secret's content after `set` (--core), as the server's update writes it: the named
 * fields replaced (labels and annotations whole, the secret-type label kept), the rest untouched.
 */
export function applySet(plan: SetPlan, stored: StoredCluster): StoredCluster {
  const data = { ...stored.data };
  let labels = { ...stored.labels };
  let annotations = { ...stored.annotations };
  const c = plan.cluster;
  const put = (key: string, value: string | undefined): void => {
    if (value === undefined || value === "") delete data[key];
    else data[key] = value;
  };
  for (const field of plan.updatedFields) {
    switch (field) {
      case "name": put("name", c.name); break;
      case "namespaces": put("namespaces", (c.namespaces ?? []).join(",")); break;
      case "project": put("project", c.project); break;
      case "shard": put("shard", c.shard === undefined ? undefined : String(c.shard)); break;
      case "clusterResources": put("clusterResources", c.clusterResources ? "true" : undefined); break;
      case "labels": labels = { ...(c.labels ?? {}) }; break;
      case "annotations": annotations = { ...(c.annotations ?? {}) }; break;
    }
  }
  labels[CLUSTER_SECRET_TYPE_LABEL] = "cluster";
  return { data, labels, annotations };
}

/** The Secret to write back: `stored` with `next`'s content (resourceVersion kept, so a concurrent change fails rather than being undone). */
export function updatedSecret(stored: KubeObject, next: StoredCluster): KubeObject {
  const { stringData: _s, data: _d, ...rest } = stored as KubeObject & { data?: unknown; stringData?: unknown };
  return {
    ...rest,
    metadata: { ...stored.metadata, labels: next.labels, annotations: next.annotations },
    data: Object.fromEntries(Object.entries(next.data).map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")])),
  };
}
