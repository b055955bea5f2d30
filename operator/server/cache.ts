// What `hawser server` knows of Kubernetes: informer caches of the Applications (in the enabled
// namespaces), ApplicationSets, AppProjects, and the ConfigMaps and Secrets of the control
// namespace. The server keeps no state of its own, so any number of replicas serve the same
// answers; every read of a request comes from here and every write goes to the apiserver.
import { ARGO_API_VERSION } from "../api/annotations.js";
import type { AppProject } from "../api/index.js";
import type { Application } from "../api/index.js";

/** An Application as the server caches it. */
export type ApplicationObject = Application & KubeObject;
import { isNamespaceEnabled } from "../engine/namespaces.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { Informer, type EventHandler } from "../runtime/informer.js";
import type { Logger } from "../runtime/logger.js";
import type { ServerState } from "./types.js";

type AppProjectObject = AppProject & KubeObject;
type DataObject = KubeObject & { data?: Record<string, string> };

export interface ServerCacheOptions {
  client: KubeClient;
  namespace: string;
  /** Namespaces besides the control namespace whose Applications are served (globs, /regex/). */
  applicationNamespaces: string[];
  applicationSetNamespaces: string[];
  log: Logger;
}

export class ServerCache implements ServerState {
  readonly apps: Informer<ApplicationObject>;
  readonly appSets: Informer;
  readonly projectsInformer: Informer<AppProjectObject>;
  private readonly configMaps: Informer<DataObject>;
  private readonly secrets: Informer<DataObject>;
  private readonly appSubscribers = new Set<EventHandler<ApplicationObject>>();
  private readonly decoded = new Map<string, { rv: string; data: Record<string, string> }>();

  constructor(private readonly opts: ServerCacheOptions) {
    const { client, namespace, log } = opts;
    this.apps = new Informer<ApplicationObject>(client, {
      apiVersion: ARGO_API_VERSION, kind: "Application", log,
      ...(opts.applicationNamespaces.length > 0
        ? { filter: (o) => isNamespaceEnabled(o.metadata.namespace ?? "", namespace, opts.applicationNamespaces) }
        : { namespace }),
    });
    this.appSets = new Informer(client, {
      apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", log,
      ...(opts.applicationSetNamespaces.length > 0
        ? { filter: (o) => isNamespaceEnabled(o.metadata.namespace ?? "", namespace, opts.applicationSetNamespaces) }
        : { namespace }),
    });
    this.apps.addHandler({
      add: (o) => { for (const h of this.appSubscribers) h.add?.(o); },
      update: (a, b) => { for (const h of this.appSubscribers) h.update?.(a, b); },
      delete: (o) => { for (const h of this.appSubscribers) h.delete?.(o); },
    });
    this.projectsInformer = new Informer<AppProjectObject>(client, { apiVersion: ARGO_API_VERSION, kind: "AppProject", namespace, log });
    this.configMaps = new Informer<DataObject>(client, { apiVersion: "v1", kind: "ConfigMap", namespace, log });
    this.secrets = new Informer<DataObject>(client, { apiVersion: "v1", kind: "Secret", namespace, log });
  }

  get namespace(): string { return this.opts.namespace; }
  get applicationNamespaces(): string[] { return this.opts.applicationNamespaces; }

  async start(signal?: AbortSignal): Promise<void> {
    const all = [this.apps, this.appSets, this.projectsInformer, this.configMaps, this.secrets] as Informer<KubeObject>[];
    for (const i of all) i.start();
    await Promise.all(all.map((i) => i.waitForSync(signal)));
  }

  async stop(): Promise<void> {
    await Promise.all([this.apps, this.appSets, this.projectsInformer, this.configMaps, this.secrets].map((i) => (i as Informer<KubeObject>).stop()));
  }

  /**
   * Watch-stream subscribers: one informer handler fans events out to every open stream, and a
   * closed stream unsubscribes (the returned function).
   */
  subscribeApps(handler: EventHandler<ApplicationObject>): () => void {
    this.appSubscribers.add(handler);
    return () => { this.appSubscribers.delete(handler); };
  }

  onConfigMap(handler: EventHandler<DataObject>): void { this.configMaps.addHandler(handler); }
  onSecret(handler: EventHandler<DataObject>): void { this.secrets.addHandler(handler); }

  configMap(name: string): Record<string, string> | undefined {
    const cm = this.configMaps.get(`${this.opts.namespace}/${name}`);
    return cm ? { ...(cm.data ?? {}) } : undefined;
  }

  /** The whole ConfigMap object (for parsers that take one). */
  configMapObject(name: string): DataObject | undefined {
    return this.configMaps.get(`${this.opts.namespace}/${name}`);
  }

  secret(name: string): Record<string, string> | undefined {
    const s = this.secrets.get(`${this.opts.namespace}/${name}`);
    if (!s) return undefined;
    const rv = s.metadata.resourceVersion ?? "";
    const hit = this.decoded.get(name);
    if (hit && hit.rv === rv) return { ...hit.data };
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(v, "base64").toString("utf8");
    this.decoded.set(name, { rv, data });
    return { ...data };
  }

  /** Waits (bounded) until the cache holds a Secret this process or another just wrote. */
  async waitForSecret(name: string, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.secrets.get(`${this.opts.namespace}/${name}`)) {
      if (Date.now() > until) throw new Error(`Secret ${name} did not appear in the server's cache within ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  secretLabels(name: string): Record<string, string> | undefined {
    const s = this.secrets.get(`${this.opts.namespace}/${name}`);
    return s ? { ...(s.metadata.labels ?? {}) } : undefined;
  }

  /** Secrets of the control namespace carrying `argocd.argoproj.io/secret-type: <type>`. */
  secretsOfType(type: string): DataObject[] {
    return this.secrets.list().filter((s) => s.metadata.labels?.["argocd.argoproj.io/secret-type"] === type);
  }

  project(name: string): AppProject | undefined {
    return this.projectsInformer.get(`${this.opts.namespace}/${name}`);
  }

  projects(): AppProject[] {
    return this.projectsInformer.list();
  }

  app(namespace: string, name: string): ApplicationObject | undefined {
    return this.apps.get(`${namespace}/${name}`);
  }
}
