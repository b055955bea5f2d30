// Argo CD's Cluster service over REST (argo-cd-server.md §1.4 "Cluster", §3.6): clusters are Argo's
// cluster Secrets (plus the implicit in-cluster entry). Answers are sanitised: no bearer token,
// password, key or CA ever leaves the server; `info.connectionState` comes from a version probe,
// cached briefly so a list does not dial every cluster on every call.
import { createHash } from "node:crypto";
import { DEFAULT_PROJECT } from "../../api/index.js";
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER, normalizeServer, parseClusterSecret, type ClusterEntry } from "../../cluster/clusters.js";
import type { KubeClient } from "../../kube/client.js";
import { errorMessage, isRecord } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ServerCache } from "../cache.js";
import type { ApiRequest, ApiRouter, Caller, Query } from "../http/api.js";
import { checkBody, type Shape } from "../http/body.js";
import { invalidArgument, notFound } from "../http/errors.js";

export interface ClusterServiceDeps {
  cache: ServerCache;
  client: KubeClient;
  reader?: AppStateReader;
  probeTtlMs?: number;
}

const RESOURCE = "clusters";
const CLUSTER_BODY: Shape = {
  server: "scalar", name: "scalar", namespaces: ["scalar"], clusterResources: "scalar", project: "scalar", shard: "scalar",
  labels: "any", annotations: "any",
  config: { username: "scalar", password: "scalar", bearerToken: "scalar", tlsClientConfig: { insecure: "scalar", serverName: "scalar", certData: "scalar", keyData: "scalar", caData: "scalar" }, proxyUrl: "scalar", disableCompression: "scalar", awsAuthConfig: "any", execProviderConfig: "any" },
};

function q1(q: Query, key: string): string | undefined {
  const v = q[key];
  return (Array.isArray(v) ? v[0] : v) || undefined;
}

interface Probe { at: number; status: "Successful" | "Failed"; message: string; version?: string }

export class ClusterService {
  private readonly probes = new Map<string, Probe>();

  constructor(private readonly deps: ClusterServiceDeps) {}

  private get ns(): string { return this.deps.cache.namespace; }

  register(r: ApiRouter): void {
    r.get("/api/v1/clusters", (req) => this.list(req));
    r.post("/api/v1/clusters", (req) => this.create(req));
    r.get("/api/v1/clusters/:id", (req) => this.get(req));
    r.delete("/api/v1/clusters/:id", (req) => this.delete(req));
  }

  private entries(): ClusterEntry[] {
    const out: ClusterEntry[] = [];
    for (const s of this.deps.cache.secretsOfType("cluster")) {
      const e = parseClusterSecret(s);
      if (!("error" in e)) out.push(e);
    }
    const inCluster = this.deps.cache.configMap("argocd-cm")?.["cluster.inClusterEnabled"] !== "false";
    if (inCluster && !out.some((c) => c.server === IN_CLUSTER_SERVER)) out.unshift({ name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, namespaces: [], clusterResources: true, config: {} });
    return out;
  }

  private rbacName(c: ClusterEntry): string {
    return c.project ? `${c.project}/${c.server}` : c.server;
  }

  private async view(c: ClusterEntry): Promise<Record<string, unknown>> {
    const probe = await this.probe(c);
    const apps = this.deps.cache.apps.list().filter((a) => normalizeServer(a.spec.destination?.server ?? "") === c.server || (a.spec.destination?.name && a.spec.destination.name === c.name)).length;
    const tls = c.config.tlsClientConfig;
    const connectionState = { status: probe.status, message: probe.message, attemptedAt: new Date(probe.at).toISOString().replace(/\.\d{3}Z$/, "Z") };
    const out: Record<string, unknown> = {
      server: c.server, name: c.name,
      config: { tlsClientConfig: { ...(tls?.insecure ? { insecure: true } : {}), ...(tls?.serverName ? { serverName: tls.serverName } : {}) } },
      connectionState,
      info: { connectionState, ...(probe.version ? { serverVersion: probe.version } : {}), ...(apps ? { applicationsCount: apps } : {}) },
    };
    if (probe.version) out.serverVersion = probe.version;
    if (c.namespaces.length > 0) out.namespaces = c.namespaces;
    if (c.namespaces.length > 0 && c.clusterResources) out.clusterResources = true;
    if (c.project) out.project = c.project;
    return out;
  }

  private async probe(c: ClusterEntry): Promise<Probe> {
    const hit = this.probes.get(c.server);
    if (hit && Date.now() - hit.at < (this.deps.probeTtlMs ?? 10_000)) return hit;
    let probe: Probe;
    if (!this.deps.reader) probe = { at: Date.now(), status: "Failed", message: "this server does not connect to clusters" };
    else {
      try {
        const { client } = this.deps.reader.destination({ metadata: { name: "" }, spec: { destination: { server: c.server }, project: DEFAULT_PROJECT, source: { repoURL: "" } } } as never);
        probe = { at: Date.now(), status: "Successful", message: "", version: await client.serverVersion() };
      } catch (err) {
        probe = { at: Date.now(), status: "Failed", message: errorMessage(err) };
      }
    }
    this.probes.set(c.server, probe);
    return probe;
  }

  private async list({ caller, query }: ApiRequest): Promise<unknown> {
    const server = q1(query, "server");
    const name = q1(query, "name");
    const items = [];
    for (const c of this.entries()) {
      if ((server && c.server !== normalizeServer(server)) || (name && c.name !== name)) continue;
      if (!caller.can(RESOURCE, "get", this.rbacName(c))) continue;
      items.push(await this.view(c));
    }
    return { metadata: {}, items };
  }

  private find(caller: Caller, id: string, q: Query, action: string): ClusterEntry {
    const byName = q1(q, "id.type") === "name";
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
    if (existing && q1(query, "upsert") !== "true") throw invalidArgument(`cluster "${server}" already exists, use upsert flag to update it`);
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
    if (existing) await this.deps.client.replace({ ...secret, metadata: { ...secret.metadata } });
    else await this.deps.client.create(secret);
    this.probes.delete(server);
    const entry = parseClusterSecret({ ...secret, data: Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v).toString("base64")])) });
    if ("error" in entry) throw invalidArgument(entry.error);
    return this.view(entry);
  }

  private async delete({ caller, params, query }: ApiRequest): Promise<unknown> {
    const c = this.find(caller, params.id!, query, "delete");
    if (!c.secretName) throw invalidArgument(`cluster "${c.server}" is the implicit in-cluster destination; it has no Secret to delete (set cluster.inClusterEnabled: "false" in argocd-cm instead)`);
    await this.deps.client.delete({ apiVersion: "v1", kind: "Secret", name: c.secretName, namespace: this.ns });
    return {};
  }
}
