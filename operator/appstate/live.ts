// Where an app's live objects come from. The controller reads its per-cluster informer cache
// (CachedLiveView: an index lookup, kinds watched on first use); a one-shot reader such as
// `hawser app diff` lists each kind once (ListedLiveView). Both answer the same questions, so the
// app-state pipeline (pipeline.ts) compares the same way whoever asks.
import { managingApp, type TrackingMethod } from "../engine/tracking.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { UnknownKindError } from "../kube/discovery.js";

export interface Kind { apiVersion: string; kind: string }

/** What the pipeline asks of a destination's API server: discovery, its version, server-side dry runs. */
export type LiveClient = Pick<KubeClient, "resourceInfo" | "serverVersion" | "apply">;

/**
 * A destination's watch cache as a live view reads it. cluster/cluster-cache.ts's ClusterCache in
 * production; the reconcilers' unit tests use an in-memory fake.
 */
export interface LiveCache {
  /** Starts watching a kind (once) and resolves when it is loaded; UnknownKindError for a kind the server does not serve. */
  ensureKind(apiVersion: string, kind: string, signal?: AbortSignal): Promise<void>;
  /** The loaded objects the app with this tracking key manages. */
  managedBy(trackingKey: string): KubeObject[];
  /** One loaded object, if its kind is watched. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
}

export interface LiveView {
  /** The destination as resolved: its server URL and cluster name. */
  readonly cluster: { server: string; name: string };
  /** A connection to the destination (discovery, its version, server-side dry runs). */
  readonly client: LiveClient;
  /** Loads these kinds (unknown ones are skipped) and returns the objects the app manages among everything loaded. */
  managedObjects(trackingKey: string, kinds: readonly Kind[], signal?: AbortSignal): Promise<KubeObject[]>;
  /** Any loaded object by identity, tracked or not. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
}

/** Discovery for the kinds involved: is each namespaced? Kinds the cluster does not serve stay undefined. */
export async function namespacedLookup(client: Pick<KubeClient, "resourceInfo">, kinds: readonly Kind[]): Promise<(apiVersion: string, kind: string) => boolean | undefined> {
  const known = new Map<string, boolean>();
  for (const k of kinds) {
    const id = `${k.apiVersion}/${k.kind}`;
    if (known.has(id)) continue;
    try {
      known.set(id, (await client.resourceInfo(k.apiVersion, k.kind)).namespaced);
    } catch (err) {
      if (!(err instanceof UnknownKindError)) throw err;
    }
  }
  return (apiVersion, kind) => known.get(`${apiVersion}/${kind}`);
}

function uniqueKinds(kinds: readonly Kind[]): Kind[] {
  const byId = new Map<string, Kind>();
  for (const k of kinds) if (k.kind) byId.set(`${k.apiVersion}/${k.kind}`, k);
  return [...byId.values()];
}

/** The controller's view: the destination's watch cache (ClusterCache), kinds watched on first use. */
export class CachedLiveView implements LiveView {
  constructor(readonly cluster: { server: string; name: string }, readonly client: LiveClient, readonly cache: LiveCache) {}

  async managedObjects(trackingKey: string, kinds: readonly Kind[], signal?: AbortSignal): Promise<KubeObject[]> {
    for (const k of uniqueKinds(kinds)) {
      try {
        await this.cache.ensureKind(k.apiVersion, k.kind, signal);
      } catch (err) {
        // A kind whose CRD is not installed yet has no live objects; the sync will create it.
        if (!(err instanceof UnknownKindError)) throw err;
      }
    }
    return this.cache.managedBy(trackingKey);
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.cache.get(apiVersion, kind, namespace, name);
  }
}

/** A one-shot view: each kind listed once from the apiserver, with the controller's tracking rules. */
export class ListedLiveView implements LiveView {
  private readonly listed = new Map<string, KubeObject>();
  private readonly loaded = new Map<string, KubeObject[]>();

  constructor(
    readonly cluster: { server: string; name: string },
    readonly client: KubeClient,
    private readonly tracking: { method: TrackingMethod; labelKey: string; installationID?: string },
  ) {}

  async managedObjects(trackingKey: string, kinds: readonly Kind[]): Promise<KubeObject[]> {
    for (const k of uniqueKinds(kinds)) {
      const id = `${k.apiVersion}/${k.kind}`;
      if (this.loaded.has(id)) continue;
      let info;
      try {
        info = await this.client.resourceInfo(k.apiVersion, k.kind);
      } catch (err) {
        if (err instanceof UnknownKindError) continue;
        throw err;
      }
      const items: KubeObject[] = [];
      if (info.verbs.includes("list")) {
        for (const o of (await this.client.list(k.apiVersion, k.kind)).items) {
          // Lists omit apiVersion/kind on items; the tracking check needs them.
          const obj = { ...o, apiVersion: k.apiVersion, kind: k.kind };
          items.push(obj);
          this.listed.set(objectId(k.apiVersion, k.kind, obj.metadata.namespace, obj.metadata.name ?? ""), obj);
        }
      }
      this.loaded.set(id, items);
    }
    const { method, labelKey, installationID } = this.tracking;
    return [...this.loaded.values()].flat().filter((o) => managingApp(o, method, labelKey, installationID) === trackingKey);
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.listed.get(objectId(apiVersion, kind, namespace, name));
  }
}

function objectId(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
  return `${apiVersion}/${kind}/${namespace ?? ""}/${name}`;
}
