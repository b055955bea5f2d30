// Destination clusters. Argo CD registers clusters as Secrets labelled
// `argocd.argoproj.io/secret-type: cluster` with `name`, `server`, `namespaces`,
// `clusterResources`, `project` and a JSON `config` (bearer token, basic auth, TLS material). The
// registry keeps them current with an informer, resolves an Application's destination (by server
// URL or by name) and hands out one KubeClient per cluster, created on first use. The local
// cluster (`https://kubernetes.default.svc`, name `in-cluster`) is always the operator's own
// connection, as Argo's in-cluster entry is; a Secret for that URL may rename it or limit it.
import { KubeConfig } from "@kubernetes/client-node";
import { LABEL_SECRET_TYPE } from "../api/annotations.js";
import { Informer } from "../runtime/informer.js";
import type { Logger } from "../runtime/logger.js";
import type { OperatorMetrics } from "../runtime/metrics.js";
import { KubeClient, type KubeObject } from "../kube/client.js";

export const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";
export const IN_CLUSTER_NAME = "in-cluster";

/** The `config` field of a cluster Secret (Argo's ClusterConfig), as far as Hawser supports it. */
export interface ClusterConfig {
  bearerToken?: string;
  username?: string;
  password?: string;
  tlsClientConfig?: { insecure?: boolean; caData?: string; certData?: string; keyData?: string; serverName?: string };
  execProviderConfig?: unknown;
  awsAuthConfig?: unknown;
}

export interface ClusterEntry {
  /** The Secret's own name; undefined for the implicit in-cluster entry. */
  secretName?: string;
  name: string;
  /** Normalised: no trailing slash. */
  server: string;
  /** Namespaces the cluster is limited to (empty: all). */
  namespaces: string[];
  /** With namespaces set: whether cluster-scoped resources may still be managed. */
  clusterResources: boolean;
  project?: string;
  config: ClusterConfig;
  /** The Secret's UID: what controller sharding hashes (undefined for the implicit in-cluster entry). */
  uid?: string;
  /** The Secret's `shard` field as written: pins the cluster to a controller shard. */
  shard?: string;
  /** The Secret's labels (but its secret-type label), as Argo's cluster labels: argocd_cluster_labels. */
  labels?: Record<string, string>;
}

export type DestinationResolution = { ok: true; cluster: ClusterEntry } | { ok: false; message: string };

export function normalizeServer(server: string): string {
  return server.replace(/\/+$/, "");
}

/** A Secret's `data` (base64) and `stringData` as plain strings, stringData winning as on write. */
export function secretData(secret: KubeObject): Record<string, string> {
  const { data, stringData } = secret;
  const out: Record<string, string> = {};
  if (data && typeof data === "object") {
    for (const [k, v] of Object.entries(data)) if (typeof v === "string") out[k] = Buffer.from(v, "base64").toString("utf8");
  }
  if (stringData && typeof stringData === "object") {
    for (const [k, v] of Object.entries(stringData)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** A cluster Secret as a registry entry; a Secret without a server is an error the caller reports. */
export function parseClusterSecret(secret: KubeObject): ClusterEntry | { error: string } {
  const secretName = secret.metadata.name ?? "";
  const d = secretData(secret);
  if (!d.server) return { error: `cluster Secret ${secretName} has no server` };
  let config: ClusterConfig = {};
  if (d.config) {
    try {
      const parsed: unknown = JSON.parse(d.config);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) config = parsed;
      else return { error: `cluster Secret ${secretName}: config must be a JSON object` };
    } catch {
      // The parse error would quote the secret's content; say where, not what.
      return { error: `cluster Secret ${secretName}: config is not valid JSON` };
    }
  }
  const server = normalizeServer(d.server);
  return {
    secretName,
    name: d.name || (server === IN_CLUSTER_SERVER ? IN_CLUSTER_NAME : server),
    server,
    namespaces: (d.namespaces ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    clusterResources: d.clusterResources === "true",
    project: d.project || undefined,
    config,
    ...(secret.metadata.uid ? { uid: secret.metadata.uid } : {}),
    ...(d.shard !== undefined && d.shard !== "" ? { shard: d.shard } : {}),
    ...(secret.metadata.labels ? { labels: clusterLabels(secret.metadata.labels) } : {}),
  };
}

/** A cluster Secret's labels without `argocd.argoproj.io/secret-type`, which says what it is, not what it has. */
function clusterLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== "argocd.argoproj.io/secret-type") out[k] = v;
  return out;
}

/** A kubeconfig reaching the cluster described by an entry; unsupported auth forms are refused. */
export function kubeConfigForCluster(entry: ClusterEntry): KubeConfig {
  const c = entry.config;
  if (c.execProviderConfig) throw new Error(`cluster ${entry.name}: execProviderConfig is not supported; use a bearer token or client certificate`);
  if (c.awsAuthConfig) throw new Error(`cluster ${entry.name}: awsAuthConfig is not supported; use a bearer token or client certificate`);
  const tls = c.tlsClientConfig ?? {};
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: entry.name, server: entry.server, caData: tls.caData, skipTLSVerify: tls.insecure === true, tlsServerName: tls.serverName }],
    users: [{ name: entry.name, token: c.bearerToken, username: c.username, password: c.password, certData: tls.certData, keyData: tls.keyData }],
    contexts: [{ name: entry.name, cluster: entry.name, user: entry.name }],
    currentContext: entry.name,
  });
  return kc;
}

/**
 * Resolves a destination against the registered clusters, in Argo's words when it fails.
 * `server` wins when both are set (validation reports that case separately).
 */
export function resolveDestination(dest: { server?: string; name?: string } | undefined, clusters: ClusterEntry[]): DestinationResolution {
  if (dest?.server) {
    const server = normalizeServer(dest.server);
    const found = clusters.find((c) => c.server === server);
    return found ? { ok: true, cluster: found } : { ok: false, message: `cluster '${dest.server}' has not been configured` };
  }
  if (dest?.name) {
    const found = clusters.filter((c) => c.name === dest.name);
    if (found.length === 1) return { ok: true, cluster: found[0]! };
    if (found.length > 1) return { ok: false, message: `there are ${found.length} clusters with the same name: ${dest.name}` };
    return { ok: false, message: `there are no clusters with this name: ${dest.name}` };
  }
  return { ok: false, message: "Destination server missing from app spec" };
}

/** Whether a cluster limited to namespaces admits a resource there (Argo's cluster `namespaces`). */
export function clusterAdmits(cluster: ClusterEntry, namespace: string | undefined): string | undefined {
  if (cluster.namespaces.length === 0) return undefined;
  if (!namespace) return cluster.clusterResources ? undefined : `cluster ${cluster.name} is limited to namespaces (${cluster.namespaces.join(", ")}) and does not allow cluster-scoped resources`;
  return cluster.namespaces.includes(namespace) ? undefined : `namespace ${namespace} is not managed by cluster ${cluster.name} (limited to ${cluster.namespaces.join(", ")})`;
}

export interface ClusterRegistryOptions {
  /** The operator's own connection: the in-cluster destination. */
  client: KubeClient;
  namespace: string;
  log: Logger;
  metrics?: OperatorMetrics;
  /** A registered cluster appeared, changed or went away. */
  onChange?: (server: string) => void;
  /**
   * argocd-cm `cluster.inClusterEnabled`, read on every resolution so a ConfigMap change applies
   * at once; unset means enabled.
   */
  inCluster?: () => InClusterSetting;
}

/** Whether the implicit in-cluster destination exists; `invalid` explains a refused setting. */
export interface InClusterSetting {
  enabled: boolean;
  invalid?: string;
}

export class ClusterRegistry {
  readonly secrets: Informer;
  private readonly clients = new Map<string, { client: KubeClient; fingerprint: string }>();

  constructor(private readonly opts: ClusterRegistryOptions) {
    this.secrets = new Informer(opts.client, { apiVersion: "v1", kind: "Secret", namespace: opts.namespace, labelSelector: `${LABEL_SECRET_TYPE}=cluster`, log: opts.log, metrics: opts.metrics });
    const changed = (s: KubeObject): void => {
      const e = parseClusterSecret(s);
      if ("error" in e) {
        opts.log.warn("ignoring an invalid cluster Secret", { secret: s.metadata.name, error: e.error });
        return;
      }
      const held = this.clients.get(e.server);
      if (held && held.fingerprint !== JSON.stringify(e)) {
        // New credentials or address: the next use builds a fresh connection.
        held.client.close();
        this.clients.delete(e.server);
      }
      opts.onChange?.(e.server);
    };
    this.secrets.addHandler({ add: changed, update: (_o, n) => changed(n), delete: (s) => {
      const e = parseClusterSecret(s);
      if ("error" in e) return;
      const held = this.clients.get(e.server);
      held?.client.close();
      this.clients.delete(e.server);
      opts.onChange?.(e.server);
    } });
  }

  get hasSynced(): boolean { return this.secrets.hasSynced; }

  async start(signal?: AbortSignal): Promise<void> {
    this.secrets.start();
    await this.secrets.waitForSync(signal);
  }

  async stop(): Promise<void> {
    await this.secrets.stop();
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }

  /**
   * Every known cluster: the in-cluster entry (unless a Secret redefines it, or argocd-cm
   * disables it) and the registered ones.
   */
  list(): ClusterEntry[] {
    const registered: ClusterEntry[] = [];
    for (const s of this.secrets.list()) {
      const e = parseClusterSecret(s);
      if (!("error" in e)) registered.push(e);
    }
    registered.sort((a, b) => (a.secretName ?? "").localeCompare(b.secretName ?? ""));
    // As Argo: a Secret for the in-cluster server registers it explicitly, disabled or not.
    const local = registered.some((c) => c.server === IN_CLUSTER_SERVER) || !this.inCluster().enabled
      ? []
      : [{ name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, namespaces: [], clusterResources: true, config: {} }];
    return [...local, ...registered];
  }

  resolve(dest: { server?: string; name?: string } | undefined): DestinationResolution {
    const resolved = resolveDestination(dest, this.list());
    const invalid = this.inCluster().invalid;
    if (resolved.ok || invalid === undefined) return resolved;
    // Argo's message alone would not say that a typo in argocd-cm is why the local cluster is gone.
    const local = dest?.server ? normalizeServer(dest.server) === IN_CLUSTER_SERVER : dest?.name === IN_CLUSTER_NAME;
    return local ? { ok: false, message: `${resolved.message} (argocd-cm ${invalid})` } : resolved;
  }

  private inCluster(): InClusterSetting {
    return this.opts.inCluster?.() ?? { enabled: true };
  }

  /** The connection to a resolved cluster, created on first use. */
  client(cluster: ClusterEntry): KubeClient {
    if (cluster.server === IN_CLUSTER_SERVER) return this.opts.client;
    const fingerprint = JSON.stringify(cluster);
    const held = this.clients.get(cluster.server);
    if (held && held.fingerprint === fingerprint) return held.client;
    held?.client.close();
    const client = new KubeClient(kubeConfigForCluster(cluster));
    this.opts.metrics?.argo.observeKubeClient(client);
    this.clients.set(cluster.server, { client, fingerprint });
    return client;
  }
}
