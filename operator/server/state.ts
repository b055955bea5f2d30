// ServerState over informers: the control namespace's ConfigMaps, Secrets and AppProjects, cached
// by list + watch (operator/runtime/informer.ts), so every request reads settings, accounts and
// project tokens without calling the apiserver and every replica sees the same, current data.
import { API_VERSION, KINDS, type AppProject } from "../api/index.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { Informer } from "../runtime/informer.js";
import type { Logger } from "../runtime/logger.js";
import type { ServerState } from "./types.js";

type DataObject = KubeObject & { data?: Record<string, string> };

/** Secrets are decoded once, when cached, rather than on every read. */
function decodeSecret(obj: KubeObject): DataObject {
  const secret = obj as DataObject;
  delete secret.metadata.managedFields;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, "base64").toString("utf8");
  return { ...secret, data };
}

export class InformerServerState implements ServerState {
  private readonly configMaps: Informer<DataObject>;
  private readonly secrets: Informer<DataObject>;
  private readonly appProjects: Informer<AppProject & KubeObject>;

  constructor(client: KubeClient, private readonly namespace: string, log: Logger) {
    this.configMaps = new Informer<DataObject>(client, { apiVersion: "v1", kind: "ConfigMap", namespace, log });
    this.secrets = new Informer<DataObject>(client, { apiVersion: "v1", kind: "Secret", namespace, log, transform: decodeSecret });
    this.appProjects = new Informer<AppProject & KubeObject>(client, { apiVersion: API_VERSION, kind: KINDS.appProject, namespace, log });
  }

  /** Starts the watches and resolves once each has its first list (or `signal` aborts). */
  async start(signal?: AbortSignal): Promise<void> {
    const all = [this.configMaps, this.secrets, this.appProjects];
    for (const i of all) i.start();
    await Promise.all(all.map((i) => i.waitForSync(signal)));
  }

  async stop(): Promise<void> {
    await Promise.all([this.configMaps.stop(), this.secrets.stop(), this.appProjects.stop()]);
  }

  private key(name: string): string {
    return `${this.namespace}/${name}`;
  }

  configMap(name: string): Record<string, string> | undefined {
    const cm = this.configMaps.get(this.key(name));
    return cm ? { ...(cm.data ?? {}) } : undefined;
  }

  secret(name: string): Record<string, string> | undefined {
    const s = this.secrets.get(this.key(name));
    return s ? { ...(s.data ?? {}) } : undefined;
  }

  secretLabels(name: string): Record<string, string> | undefined {
    const s = this.secrets.get(this.key(name));
    return s ? { ...(s.metadata.labels ?? {}) } : undefined;
  }

  project(name: string): AppProject | undefined {
    return this.appProjects.get(this.key(name));
  }

  projects(): AppProject[] {
    return this.appProjects.list();
  }
}
