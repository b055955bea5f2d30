// Argo CD's Cluster service over REST (argo-cd-server.md §1.4 "Cluster", §3.6): clusters are Argo's
// cluster Secrets (plus the implicit in-cluster entry). Answers are sanitised: no bearer token,
// password, key or CA ever leaves the server. A cluster's `info` (connection state, server version,
// cache figures) is what the application controller publishes (engine/cluster-info.ts), as Argo's
// server reads its controller's ClusterInfo: the controller owns the cluster caches, so it knows,
// within its 10 s cycle, when a cluster goes down. Info whose publisher no longer holds its Lease
// shows as stale (Unknown). Only when no controller has published anything for a cluster does the
// server probe it itself (reused for server.connection.status.cache.expiration, Argo's 1h; any
// write of the cluster probes again), saying so in the message. `applicationsCount` comes from the
// server's own Application cache. Updates write the Secret (only `updatedFields` when given);
// invalidate-cache stamps Argo's refresh annotation on it (the controller drops the cluster's
// watch cache on any change of its Secret); rotate-auth issues a new token for the service account
// the cluster's token belongs to and deletes the old token Secret.
import { createHash } from "node:crypto";
import { normalizeServer, parseClusterSecret, secretData, type ClusterEntry } from "../../cluster/clusters.js";
import { kubeTime, shownClusterInfo, type CacheInfo, type ConnectionState } from "../../engine/cluster-info.js";
import { KubeApiError, type KubeClient, type KubeObject } from "../../kube/client.js";
import { errorMessage, isRecord } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ServerCache } from "../cache.js";
import { queryValue, type ApiRequest, type ApiRouter, type Caller, type Query } from "../http/api.js";
import { checkBody, type Shape } from "../http/body.js";
import { ApiError, Code, failedPrecondition, invalidArgument, notFound } from "../http/errors.js";

export interface ClusterServiceDeps {
  cache: ServerCache;
  client: KubeClient;
  reader: AppStateReader;
  probeTtlMs?: number;
}

const RESOURCE = "clusters";
const CLUSTER_BODY: Shape = {
  server: "scalar", name: "scalar", namespaces: ["scalar"], clusterResources: "scalar", project: "scalar", shard: "scalar",
  labels: "any", annotations: "any",
  config: { username: "scalar", password: "scalar", bearerToken: "scalar", tlsClientConfig: { insecure: "scalar", serverName: "scalar", certData: "scalar", keyData: "scalar", caData: "scalar" }, proxyUrl: "scalar", disableCompression: "scalar", awsAuthConfig: "any", execProviderConfig: "any" },
};


/** Argo's cluster refresh request (Cluster.refreshRequestedAt); the controller drops the cluster's cache on any change of its Secret. */
const ANNOTATION_REFRESH = "argocd.argoproj.io/refresh";
/** The fields PUT's updatedFields may name (Argo's cluster update). */
const UPDATABLE = ["name", "namespaces", "config", "shard", "clusterResources", "labels", "annotations", "project"];
const LABEL_SECRET_TYPE = "argocd.argoproj.io/secret-type";
const SA_ANNOTATION = "kubernetes.io/service-account.name";

type SecretObject = KubeObject & { data?: Record<string, string>; type?: string };

/** The service account a Kubernetes token names (legacy Secret tokens and bound tokens), read without verifying. */
export function serviceAccountOfToken(token: string): { namespace: string; name: string; secretName?: string } | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const legacyNs = claims["kubernetes.io/serviceaccount/namespace"];
  const legacyName = claims["kubernetes.io/serviceaccount/service-account.name"];
  if (typeof legacyNs === "string" && typeof legacyName === "string") {
    const secretName = claims["kubernetes.io/serviceaccount/secret.name"];
    return { namespace: legacyNs, name: legacyName, ...(typeof secretName === "string" ? { secretName } : {}) };
  }
  const k = claims["kubernetes.io"];
  if (isRecord(k) && typeof k.namespace === "string" && isRecord(k.serviceaccount) && typeof k.serviceaccount.name === "string") {
    const secretName = isRecord(k.secret) && typeof k.secret.name === "string" ? k.secret.name : undefined;
    return { namespace: k.namespace, name: k.serviceaccount.name, ...(secretName ? { secretName } : {}) };
  }
  return undefined;
}

interface Probe { at: number; status: "Successful" | "Failed"; message: string; version?: string }

/** Said in the connection message when the server had to probe the cluster itself. */
export const SERVER_PROBE_MESSAGE = "no application controller has published this cluster's state; probed by the API server";

export class ClusterService {
  private readonly probes = new Map<string, Probe>();

  constructor(private readonly deps: ClusterServiceDeps) {}

  private get ns(): string { return this.deps.cache.namespace; }

  register(r: ApiRouter): void {
    r.get("/api/v1/clusters", (req) => this.list(req));
    r.post("/api/v1/clusters", (req) => this.create(req));
    r.get("/api/v1/clusters/:id", (req) => this.get(req));
    r.delete("/api/v1/clusters/:id", (req) => this.delete(req));
    r.put("/api/v1/clusters/:id", (req) => this.update(req));
    r.post("/api/v1/clusters/:id/rotate-auth", (req) => this.rotateAuth(req));
    r.post("/api/v1/clusters/:id/invalidate-cache", (req) => this.invalidateCache(req));
  }

  private entries(): ClusterEntry[] {
    return this.deps.reader.clusterEntries();
  }

  private rbacName(c: ClusterEntry): string {
    return c.project ? `${c.project}/${c.server}` : c.server;
  }

  private async view(c: ClusterEntry): Promise<Record<string, unknown>> {
    const { connectionState, serverVersion, cacheInfo } = await this.connection(c);
    const apps = this.deps.cache.apps.list().filter((a) => normalizeServer(a.spec.destination?.server ?? "") === c.server || (a.spec.destination?.name && a.spec.destination.name === c.name)).length;
    const tls = c.config.tlsClientConfig;
    const out: Record<string, unknown> = {
      server: c.server, name: c.name,
      config: { tlsClientConfig: { ...(tls?.insecure ? { insecure: true } : {}), ...(tls?.serverName ? { serverName: tls.serverName } : {}) } },
      connectionState,
      info: { connectionState, ...(serverVersion ? { serverVersion } : {}), ...(cacheInfo ? { cacheInfo } : {}), ...(apps ? { applicationsCount: apps } : {}) },
    };
    if (serverVersion) out.serverVersion = serverVersion;
    if (c.namespaces.length > 0) out.namespaces = c.namespaces;
    if (c.namespaces.length > 0 && c.clusterResources) out.clusterResources = true;
    if (c.project) out.project = c.project;
    const refreshed = c.secretName ? this.deps.cache.secretsOfType("cluster").find((x) => x.metadata.name === c.secretName)?.metadata.annotations?.[ANNOTATION_REFRESH] : undefined;
    if (refreshed) out.refreshRequestedAt = refreshed;
    return out;
  }

  /** What the controller published of the cluster (stale or not); the server's own probe when it published nothing. */
  private async connection(c: ClusterEntry): Promise<{ connectionState: ConnectionState; serverVersion?: string; cacheInfo?: CacheInfo }> {
    const record = this.deps.cache.clusterInfoRecord(c.server);
    if (record) {
      const lease = record.publisher.lease;
      const { connectionState, serverVersion, cacheInfo } = shownClusterInfo(record, lease !== undefined ? this.deps.cache.leaseLiveness(lease) : undefined);
      return { connectionState, ...(serverVersion ? { serverVersion } : {}), ...(cacheInfo ? { cacheInfo } : {}) };
    }
    const probe = await this.probe(c);
    return {
      connectionState: { status: probe.status, message: probe.message ? `${SERVER_PROBE_MESSAGE}: ${probe.message}` : SERVER_PROBE_MESSAGE, attemptedAt: kubeTime(probe.at) },
      ...(probe.version ? { serverVersion: probe.version } : {}),
    };
  }

  private async probe(c: ClusterEntry): Promise<Probe> {
    const hit = this.probes.get(c.server);
    if (hit && Date.now() - hit.at < (this.deps.probeTtlMs ?? 10_000)) return hit;
    let probe: Probe;
    try {
      probe = { at: Date.now(), status: "Successful", message: "", version: await this.deps.reader.clientFor(c).serverVersion() };
    } catch (err) {
      probe = { at: Date.now(), status: "Failed", message: errorMessage(err) };
    }
    this.probes.set(c.server, probe);
    return probe;
  }

  private async list({ caller, query }: ApiRequest): Promise<unknown> {
    const server = queryValue(query, "server");
    const name = queryValue(query, "name");
    const items = [];
    for (const c of this.entries()) {
      if ((server && c.server !== normalizeServer(server)) || (name && c.name !== name)) continue;
      if (!caller.can(RESOURCE, "get", this.rbacName(c))) continue;
      items.push(await this.view(c));
    }
    return { metadata: {}, items };
  }

  private find(caller: Caller, id: string, q: Query, action: string): ClusterEntry {
    const byName = queryValue(q, "id.type") === "name";
    const c = this.entries().find((e) => (byName ? e.name === id : e.server === normalizeServer(id)));
    if (!c) {
      // Not revealing existence: the object is the id as given.
      caller.require(RESOURCE, action, id);
      throw notFound(`cluster "${id}" not found`);
    }
    caller.require(RESOURCE, action, this.rbacName(c));
    return c;
  }

  private async get({ caller, params, query }: ApiRequest): Promise<unknown> {
    return this.view(this.find(caller, params.id!, query, "get"));
  }

  private async create({ caller, query, body }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, CLUSTER_BODY, "cluster");
    const server = typeof req.server === "string" ? normalizeServer(req.server) : "";
    if (!/^https?:\/\//.test(server)) throw invalidArgument("server must be the cluster's https:// URL");
    const name = typeof req.name === "string" && req.name ? req.name : server;
    const project = typeof req.project === "string" && req.project ? req.project : undefined;
    caller.require(RESOURCE, "create", project ? `${project}/${server}` : server);
    const existing = this.entries().find((e) => e.server === server && e.secretName);
    const alreadyExists = (): ApiError => invalidArgument(`cluster "${server}" already exists, use upsert flag to update it`);
    if (existing && queryValue(query, "upsert") !== "true") throw alreadyExists();
    // Replacing a cluster is an update of the one that exists, as Argo checks it.
    if (existing) caller.require(RESOURCE, "update", existing.project ? `${existing.project}/${existing.server}` : existing.server);
    const config = isRecord(req.config) ? req.config : {};
    const secretName = existing?.secretName ?? `cluster-${new URL(server).hostname.replace(/[^a-z0-9-]/gi, "-").toLowerCase()}-${createHash("sha256").update(server).digest("hex").slice(0, 10)}`;
    const stringData: Record<string, string> = { name, server, config: JSON.stringify(config) };
    if (Array.isArray(req.namespaces) && req.namespaces.length > 0) stringData.namespaces = (req.namespaces as string[]).join(",");
    if (req.clusterResources === true) stringData.clusterResources = "true";
    if (project) stringData.project = project;
    const secret = {
      apiVersion: "v1", kind: "Secret",
      metadata: { name: secretName, namespace: this.ns, labels: { ...(isRecord(req.labels) ? req.labels as Record<string, string> : {}), "argocd.argoproj.io/secret-type": "cluster" }, ...(isRecord(req.annotations) ? { annotations: req.annotations as Record<string, string> } : {}) },
      type: "Opaque", stringData,
    };
    if (existing) await this.deps.cache.awaitOwnWrite(await this.deps.client.replace({ ...secret, metadata: { ...secret.metadata } }));
    else {
      try {
        await this.deps.cache.awaitOwnWrite(await this.deps.client.create(secret));
      } catch (err) {
        // Another replica (or a kubectl apply) created it since this cache last saw the Secrets.
        if (err instanceof KubeApiError && err.statusCode === 409) throw alreadyExists();
        throw err;
      }
    }
    this.probes.delete(server);
    const entry = parseClusterSecret({ ...secret, data: Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v).toString("base64")])) });
    if ("error" in entry) throw invalidArgument(entry.error);
    return this.view(entry);
  }

  private async delete({ caller, params, query }: ApiRequest): Promise<unknown> {
    const c = this.find(caller, params.id!, query, "delete");
    if (!c.secretName) throw invalidArgument(`cluster "${c.server}" is the implicit in-cluster destination; it has no Secret to delete (set cluster.inClusterEnabled: "false" in argocd-cm instead)`);
    const ref = { apiVersion: "v1", kind: "Secret", name: c.secretName, namespace: this.ns };
    await this.deps.client.delete(ref);
    await this.deps.cache.awaitOwnDelete(ref);
    return {};
  }

  /** The cluster's Secret as stored now (not the cache's copy: a write must not undo a newer one). */
  private async storedSecret(c: ClusterEntry): Promise<SecretObject | undefined> {
    return c.secretName ? this.deps.client.get<SecretObject>("v1", "Secret", c.secretName, this.ns) : undefined;
  }

  /** Writes the entry's Secret (creating one for the implicit in-cluster entry, as Argo does). */
  private async writeSecret(c: ClusterEntry, stored: SecretObject | undefined, stringData: Record<string, string>, meta: { labels?: Record<string, string>; annotations?: Record<string, string> }): Promise<ClusterEntry> {
    const name = stored?.metadata.name ?? `cluster-in-cluster-${createHash("sha256").update(c.server).digest("hex").slice(0, 10)}`;
    const secret = {
      apiVersion: "v1", kind: "Secret", type: "Opaque",
      metadata: {
        name, namespace: this.ns,
        ...(stored?.metadata.resourceVersion ? { resourceVersion: stored.metadata.resourceVersion } : {}),
        labels: { ...(meta.labels ?? {}), [LABEL_SECRET_TYPE]: "cluster" },
        ...(meta.annotations && Object.keys(meta.annotations).length > 0 ? { annotations: meta.annotations } : {}),
      },
      data: Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
    };
    const written = await this.deps.cache.afterWrite(stored ? await this.deps.client.replace(secret) : await this.deps.client.create(secret));
    this.probes.delete(c.server);
    const entry = parseClusterSecret(written);
    if ("error" in entry) throw invalidArgument(entry.error);
    return entry;
  }

  private async update({ caller, params, query, body }: ApiRequest): Promise<unknown> {
    const c = this.find(caller, params.id!, query, "update");
    const req = checkBody(body, { ...CLUSTER_BODY, info: "any", connectionState: "any", serverVersion: "scalar", refreshRequestedAt: "scalar" }, "cluster");
    const rawFields = query.updatedFields;
    const fields = (Array.isArray(rawFields) ? rawFields : rawFields ? [rawFields] : []).flatMap((f) => f.split(",")).map((f) => f.trim()).filter(Boolean);
    for (const f of fields) if (!UPDATABLE.includes(f)) throw invalidArgument(`updatedFields: "${f}" cannot be updated (allowed: ${UPDATABLE.join(", ")})`);
    if (typeof req.server === "string" && req.server && normalizeServer(req.server) !== c.server) throw invalidArgument(`server cannot be changed (${c.server}); add the new server as a cluster and remove this one`);
    // Without updatedFields the body replaces the cluster, as in Argo; with them only those change.
    const touched = (f: string): boolean => fields.length === 0 || fields.includes(f);
    const stored = await this.storedSecret(c);
    const data = stored ? secretData(stored) : { server: c.server, name: c.name };
    const next: Record<string, string> = { ...data, server: c.server };
    if (touched("name")) next.name = typeof req.name === "string" && req.name ? req.name : c.server;
    if (touched("namespaces")) {
      if (Array.isArray(req.namespaces) && req.namespaces.length > 0) next.namespaces = (req.namespaces as unknown[]).map(String).join(",");
      else delete next.namespaces;
    }
    if (touched("clusterResources")) {
      if (req.clusterResources === true) next.clusterResources = "true";
      else delete next.clusterResources;
    }
    if (touched("project")) {
      if (typeof req.project === "string" && req.project) next.project = req.project;
      else delete next.project;
    }
    if (touched("shard")) {
      if (req.shard !== undefined && req.shard !== null && req.shard !== "") next.shard = typeof req.shard === "number" ? String(req.shard) : typeof req.shard === "string" ? req.shard : "";
      else delete next.shard;
    }
    if (touched("config")) next.config = JSON.stringify(isRecord(req.config) ? req.config : {});
    // A project change moves the cluster: the caller must be allowed to update it where it lands too.
    if ((next.project ?? "") !== (c.project ?? "")) caller.require(RESOURCE, "update", next.project ? `${next.project}/${c.server}` : c.server);
    const labels = touched("labels") ? (isRecord(req.labels) ? req.labels as Record<string, string> : {}) : { ...(stored?.metadata.labels ?? {}) };
    const annotations = touched("annotations") ? (isRecord(req.annotations) ? req.annotations as Record<string, string> : {}) : { ...(stored?.metadata.annotations ?? {}) };
    // Argo's refresh request survives an update that does not name annotations.
    const refresh = stored?.metadata.annotations?.[ANNOTATION_REFRESH];
    if (refresh && annotations[ANNOTATION_REFRESH] === undefined) annotations[ANNOTATION_REFRESH] = refresh;
    const entry = await this.writeSecret(c, stored, next, { labels, annotations });
    return this.view(entry);
  }

  private async invalidateCache({ caller, params, query }: ApiRequest): Promise<unknown> {
    const c = this.find(caller, params.id!, query, "update");
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const stored = await this.storedSecret(c);
    let entry: ClusterEntry;
    if (stored) {
      // Any change of the Secret makes the controller drop the cluster's watch cache and reconnect.
      entry = parseClusterSecret(await this.deps.cache.afterWrite(await this.deps.client.patch<SecretObject>({ apiVersion: "v1", kind: "Secret", name: stored.metadata.name!, namespace: this.ns }, { metadata: { annotations: { [ANNOTATION_REFRESH]: at } } }))) as ClusterEntry;
    } else {
      entry = await this.writeSecret(c, undefined, { server: c.server, name: c.name, config: "{}" }, { annotations: { [ANNOTATION_REFRESH]: at } });
    }
    this.probes.delete(c.server);
    this.deps.reader.forgetCluster(c.server);
    return { ...(await this.view(entry)), refreshRequestedAt: at };
  }

  private async rotateAuth({ caller, params, query }: ApiRequest): Promise<unknown> {
    const c = this.find(caller, params.id!, query, "update");
    const token = c.config.bearerToken;
    if (!token || !c.secretName) throw failedPrecondition(`cluster ${c.server} has no bearer token: rotate-auth renews the token of the service account the cluster was added with`);
    const sa = serviceAccountOfToken(token);
    if (!sa) throw failedPrecondition(`cluster ${c.server}: the bearer token is not a Kubernetes service account token, so there is no account to issue a new one for`);
    const remote = this.deps.reader.clientFor(c);
    // A new long-lived token Secret for the same account; the cluster's token controller fills it in.
    const created = await remote.create<SecretObject>({
      apiVersion: "v1", kind: "Secret", type: "kubernetes.io/service-account-token",
      metadata: { generateName: `${sa.name}-token-`, namespace: sa.namespace, annotations: { [SA_ANNOTATION]: sa.name } },
    }).catch((err: unknown) => {
      throw new ApiError(err instanceof KubeApiError && err.reason === "Forbidden" ? Code.PermissionDenied : Code.FailedPrecondition, `cluster ${c.server}: cannot create a token Secret for service account ${sa.namespace}/${sa.name}: ${errorMessage(err)}`);
    });
    const newName = created.metadata.name!;
    let newToken = "";
    for (let i = 0; i < 120 && !newToken; i++) {
      const s = await remote.get<SecretObject>("v1", "Secret", newName, sa.namespace);
      newToken = s?.data?.token ? Buffer.from(s.data.token, "base64").toString("utf8") : "";
      if (!newToken) await new Promise((r) => setTimeout(r, 250));
    }
    if (!newToken) {
      await remote.delete({ apiVersion: "v1", kind: "Secret", name: newName, namespace: sa.namespace }).catch(() => false);
      throw new ApiError(Code.Unavailable, `cluster ${c.server}: the token controller did not issue a token for service account ${sa.namespace}/${sa.name} within 30s; nothing was changed`);
    }
    const stored = await this.storedSecret(c);
    if (!stored) throw notFound(`cluster "${c.server}" not found`);
    const data = secretData(stored);
    const config = isRecord(JSON.parse(data.config || "{}")) ? JSON.parse(data.config || "{}") as Record<string, unknown> : {};
    await this.writeSecret(c, stored, { ...data, config: JSON.stringify({ ...config, bearerToken: newToken }) }, { ...(stored.metadata.labels ? { labels: stored.metadata.labels } : {}), ...(stored.metadata.annotations ? { annotations: stored.metadata.annotations } : {}) });
    // The old token stops working once its Secret is gone (only legacy Secret tokens name one).
    if (sa.secretName && sa.secretName !== newName) await remote.delete({ apiVersion: "v1", kind: "Secret", name: sa.secretName, namespace: sa.namespace });
    this.deps.reader.forgetCluster(c.server);
    return {};
  }
}
