// The Kubernetes API client every part of Hawser uses. It speaks raw JSON over a keep-alive
// HTTPS agent instead of client-node's generated models, because those models silently drop
// fields they do not know (a GitOps applier must send exactly what is in git), and because one
// shared agent with many sockets is what makes bulk writes fast. Authentication and TLS material
// still come from client-node's KubeConfig, so every kubeconfig form users have works.
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeList, KubeObject } from "../api/object.js";
import { discoveryPaths, type ResourceInfo, ResourceDiscovery } from "./discovery.js";

// The object shapes are API types (operator/api/object.ts, below every layer); re-exported here
// because most callers meet them through the client.
export type { KubeList, KubeObject, ObjectMeta, OwnerReference } from "../api/object.js";

/** The apiserver's `Status` object carried by a failed request. */
export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
  get isNotFound(): boolean { return this.statusCode === 404; }
  get isConflict(): boolean { return this.statusCode === 409; }
  get isGone(): boolean { return this.statusCode === 410; }
  get isTooManyRequests(): boolean { return this.statusCode === 429; }
}

export type RequestMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Milliseconds before the request is aborted; watches pass 0 (none). */
  timeoutMs?: number;
}

/**
 * The apiserver's `fieldValidation`: what it does with unknown or duplicate fields. Unset, the
 * server's default applies (Warn: drop them with a warning header).
 */
export type FieldValidation = "Strict" | "Warn" | "Ignore";

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
}

export type PatchType = "merge" | "json" | "strategic";

const patchContentTypes: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

/** Observes every request; metrics and tests (counting writes) hook in here. */
export type RequestObserver = (method: RequestMethod, path: string, statusCode: number, durationMs: number) => void;

interface Connection {
  baseUrl: URL;
  agent: http.Agent;
}

const HEADER_TTL_MS = 60_000;

export class KubeClient {
  readonly discovery: ResourceDiscovery;
  private conn?: Promise<Connection>;
  private readonly baseUrl: URL;
  private readonly maxSockets: number;
  private agent?: http.Agent;
  private headers: Record<string, string> = {};
  private headersAt = 0;
  private readonly observers: RequestObserver[];
  private readonly parent?: KubeClient;
  private readonly impersonateUser?: string;

  /** `impersonation` is for asUser() only: the parent client and the user its child acts as. */
  constructor(readonly kubeConfig: KubeConfig, opts: { maxSockets?: number } = {}, impersonation?: { parent: KubeClient; user: string }) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    this.baseUrl = new URL(cluster.server);
    this.maxSockets = opts.maxSockets ?? 64;
    this.parent = impersonation?.parent;
    this.impersonateUser = impersonation?.user;
    // A child shares its parent's discovery (run on the parent's own identity) and observers.
    this.discovery = this.parent?.discovery ?? new ResourceDiscovery((path) => this.request<unknown>("GET", path));
    this.observers = this.parent?.observers ?? [];
  }

  get server(): string { return this.baseUrl.toString(); }

  /** The Kubernetes user this client's requests impersonate, if any. */
  get impersonating(): string | undefined { return this.impersonateUser; }

  /**
   * A client for the same cluster whose every request carries `Impersonate-User: user`, so the
   * apiserver authorizes it as that user (this client's identity needs `impersonate` on it). It
   * shares this client's connection, request observers and discovery, so it is cheap; callers
   * keep one per user (controllers/application/destinations.ts).
   */
  asUser(user: string): KubeClient {
    return new KubeClient(this.kubeConfig, { maxSockets: this.maxSockets }, { parent: this.parent ?? this, user });
  }

  private connection(): Promise<Connection> {
    if (this.parent) return this.parent.connection();
    this.conn ??= (async () => {
      // applyToHTTPSOptions resolves CA/cert/key (files or inline data) onto the options object;
      // we keep that TLS material but use our own keep-alive agent with many sockets.
      const opts: https.RequestOptions = {};
      await this.kubeConfig.applyToHTTPSOptions(opts);
      const agentOpts: https.AgentOptions = {
        keepAlive: true,
        maxSockets: this.maxSockets,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        servername: opts.servername,
      };
      if (opts.rejectUnauthorized !== undefined) agentOpts.rejectUnauthorized = opts.rejectUnauthorized;
      this.agent = this.baseUrl.protocol === "https:" ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
      return { baseUrl: this.baseUrl, agent: this.agent };
    })();
    return this.conn;
  }

  onRequest(observer: RequestObserver): () => void {
    this.observers.push(observer);
    return () => {
      const i = this.observers.indexOf(observer);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  /** Closes idle sockets so the process can exit. */
  close(): void { this.agent?.destroy(); }

  private async authHeaders(): Promise<Record<string, string>> {
    if (Date.now() - this.headersAt < HEADER_TTL_MS) return this.headers;
    // Bearer tokens from exec/OIDC providers can rotate; re-read them at most once a minute.
    const opts: https.RequestOptions & { headers: Record<string, string> } = { headers: {} };
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = { ...opts.headers };
    if (typeof opts.auth === "string" && opts.auth !== "undefined:undefined") {
      headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
    }
    // Set last, so it replaces any `as:` of the kubeconfig user rather than adding to it.
    if (this.impersonateUser) headers["Impersonate-User"] = this.impersonateUser;
    this.headers = headers;
    this.headersAt = Date.now();
    return headers;
  }

  private url(path: string, query?: RequestOptions["query"]): URL {
    const url = new URL(this.baseUrl.toString().replace(/\/$/, "") + path);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url;
  }

  /** Opens a raw response stream (used by watches). The caller consumes and closes it. */
  async stream(method: RequestMethod, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const conn = await this.connection();
    const url = this.url(path, opts.query);
    const headers: Record<string, string> = { Accept: "application/json", ...(await this.authHeaders()) };
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body));
      headers["Content-Type"] = opts.contentType ?? "application/json";
      headers["Content-Length"] = String(payload.length);
    }
    const started = performance.now();
    const mod = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: conn.agent, signal: opts.signal }, (res) => {
        const status = res.statusCode ?? 0;
        for (const o of this.observers) o(method, path, status, performance.now() - started);
        resolve(res);
      });
      if (opts.timeoutMs) {
        req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`request to ${path} timed out after ${opts.timeoutMs} ms`)));
      }
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Sends a request and parses the JSON answer; a non-2xx answer throws KubeApiError. */
  async request<T>(method: RequestMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.stream(method, path, { timeoutMs: 60_000, ...opts });
    const text = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw toApiError(status, text, method, path);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // ---- typed conveniences over request() ----

  private version?: { at: number; value: Promise<string> };

  /**
   * The server's Kubernetes version without the leading "v" (e.g. "1.36.3"), as Helm's
   * `--kube-version` wants it; cached for ten minutes (upgrades are rare, renders are many).
   */
  serverVersion(): Promise<string> {
    if (!this.version || Date.now() - this.version.at > 600_000) {
      const value = this.request<{ gitVersion?: string; major?: string; minor?: string }>("GET", "/version").then((v) => {
        const git = (v.gitVersion ?? "").replace(/^v/, "").replace(/[-+].*$/, "");
        return git || `${v.major ?? ""}.${(v.minor ?? "").replace(/\+$/, "")}.0`;
      });
      value.catch(() => { this.version = undefined; });
      this.version = { at: Date.now(), value };
    }
    return this.version.value;
  }

  async resourceInfo(apiVersion: string, kind: string): Promise<ResourceInfo> {
    return this.discovery.resourceFor(apiVersion, kind);
  }

  /** Path of a collection (`name` omitted) or of one object. */
  async pathFor(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string> {
    const info = await this.resourceInfo(apiVersion, kind);
    return objectPath(info, namespace, name);
  }

  async get<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.request<T>("GET", await this.pathFor(apiVersion, kind, namespace, name));
    } catch (err) {
      if (err instanceof KubeApiError && err.isNotFound) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<KubeList<T>> {
    const path = await this.pathFor(apiVersion, kind, opts.namespace);
    return this.request<KubeList<T>>("GET", path, { query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector } });
  }

  async create<T extends KubeObject = KubeObject>(obj: KubeObject, opts: { dryRun?: boolean; fieldManager?: string; fieldValidation?: FieldValidation } = {}): Promise<T> {
    const path = await this.pathFor(obj.apiVersion, obj.kind, obj.metadata.namespace);
    return this.request<T>("POST", path, {
      body: obj,
      query: { dryRun: opts.dryRun ? "All" : undefined, fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation },
    });
  }

  /** Server-side apply of the object exactly as given (no field is dropped). */
  async apply<T extends KubeObject = KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T> {
    const name = obj.metadata.name;
    if (!name) throw new Error(`cannot apply ${obj.kind} without metadata.name`);
    const path = await this.pathFor(obj.apiVersion, obj.kind, obj.metadata.namespace, name);
    return this.request<T>("PATCH", path, {
      body: obj,
      contentType: "application/apply-patch+yaml",
      query: { fieldManager: opts.fieldManager, force: opts.force ? true : undefined, dryRun: opts.dryRun ? "All" : undefined, fieldValidation: opts.fieldValidation },
    });
  }

  /** Server-side apply of the status subresource. */
  async applyStatus<T extends KubeObject = KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T> {
    const name = obj.metadata.name;
    if (!name) throw new Error(`cannot apply status of ${obj.kind} without metadata.name`);
    const path = (await this.pathFor(obj.apiVersion, obj.kind, obj.metadata.namespace, name)) + "/status";
    return this.request<T>("PATCH", path, {
      body: obj,
      contentType: "application/apply-patch+yaml",
      query: { fieldManager: opts.fieldManager, force: opts.force ? true : undefined },
    });
  }

  async patch<T extends KubeObject = KubeObject>(
    ref: { apiVersion: string; kind: string; name: string; namespace?: string },
    patch: unknown,
    opts: { type?: PatchType; subresource?: "status"; fieldManager?: string; dryRun?: boolean } = {},
  ): Promise<T> {
    let path = await this.pathFor(ref.apiVersion, ref.kind, ref.namespace, ref.name);
    if (opts.subresource) path += `/${opts.subresource}`;
    return this.request<T>("PATCH", path, {
      body: patch,
      contentType: patchContentTypes[opts.type ?? "merge"],
      query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? "All" : undefined },
    });
  }

  async replace<T extends KubeObject = KubeObject>(obj: KubeObject, opts: { fieldManager?: string; dryRun?: boolean; fieldValidation?: FieldValidation } = {}): Promise<T> {
    const path = await this.pathFor(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    return this.request<T>("PUT", path, { body: obj, query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? "All" : undefined, fieldValidation: opts.fieldValidation } });
  }

  /** Deletes an object; resolves false when it was already gone. */
  async delete(
    ref: { apiVersion: string; kind: string; name: string; namespace?: string },
    opts: { propagationPolicy?: "Foreground" | "Background" | "Orphan"; dryRun?: boolean; preconditionUid?: string } = {},
  ): Promise<boolean> {
    const path = await this.pathFor(ref.apiVersion, ref.kind, ref.namespace, ref.name);
    const body: Record<string, unknown> = { apiVersion: "v1", kind: "DeleteOptions" };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.dryRun) body.dryRun = ["All"];
    if (opts.preconditionUid) body.preconditions = { uid: opts.preconditionUid };
    try {
      await this.request("DELETE", path, { body });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.isNotFound) return false;
      throw err;
    }
  }
}

export function objectPath(info: ResourceInfo, namespace?: string, name?: string): string {
  const base = discoveryPaths.groupVersionPath(info.group, info.version);
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const obj = name ? `/${encodeURIComponent(name)}` : "";
  return `${base}${ns}/${info.plural}${obj}`;
}

function toApiError(status: number, text: string, method: string, path: string): KubeApiError {
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string; details?: unknown };
    if (parsed && typeof parsed === "object" && typeof parsed.message === "string") {
      return new KubeApiError(status, parsed.reason ?? "Unknown", parsed.message, parsed.details);
    }
  } catch {
    // not a Status object; fall through
  }
  return new KubeApiError(status, "Unknown", `${method} ${path}: HTTP ${status}: ${text.slice(0, 300)}`);
}

/**
 * A response's body as text. Listeners rather than `for await`: every request of the operator
 * ends here, and the async iterator's per-chunk promises were a measurable share of its CPU.
 */
function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.once("end", () => resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")));
    res.once("error", reject);
    // Cut before its end (the server or the socket went away): settle rather than hang.
    res.once("close", () => {
      if (!res.complete) reject(new Error("the connection closed before the response ended"));
    });
  });
}
