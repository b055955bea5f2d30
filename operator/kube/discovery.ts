// API discovery: which plural and scope a kind has. Answers come from the apiserver's per
// group-version resource lists and are cached; a kind that is missing triggers one re-read of
// its group-version (a CRD may have just been installed) before reporting it unknown.
import { splitApiVersion } from "../util/index.js";

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

interface APIResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

interface APIResourceList {
  groupVersion: string;
  resources: APIResource[];
}

export class UnknownKindError extends Error {
  constructor(readonly apiVersion: string, readonly kind: string) {
    super(`the server does not know ${kind} in ${apiVersion || "core/v1"} (is its CRD installed?)`);
    this.name = "UnknownKindError";
  }
}

export const discoveryPaths = {
  groupVersionPath(group: string, version: string): string {
    return group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
  },
};

type Getter = (path: string) => Promise<unknown>;

const REFRESH_MIN_INTERVAL_MS = 2_000;

export class ResourceDiscovery {
  private readonly byGroupVersion = new Map<string, { at: number; kinds: Map<string, ResourceInfo> }>();
  private readonly inflight = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(private readonly get: Getter) {}

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const cached = this.byGroupVersion.get(apiVersion);
    let info = cached?.kinds.get(kind);
    if (info) return info;
    if (!cached || Date.now() - cached.at > REFRESH_MIN_INTERVAL_MS) {
      info = (await this.load(apiVersion)).get(kind);
    }
    if (!info) throw new UnknownKindError(apiVersion, kind);
    return info;
  }

  /** Forgets a group-version (after a CRD change) or everything. */
  invalidate(apiVersion?: string): void {
    if (apiVersion) this.byGroupVersion.delete(apiVersion);
    else this.byGroupVersion.clear();
  }

  private load(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const running = this.inflight.get(apiVersion);
    if (running) return running;
    const p = this.fetch(apiVersion).finally(() => this.inflight.delete(apiVersion));
    this.inflight.set(apiVersion, p);
    return p;
  }

  private async fetch(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const { group, version } = splitApiVersion(apiVersion);
    const kinds = new Map<string, ResourceInfo>();
    try {
      const list = (await this.get(discoveryPaths.groupVersionPath(group, version))) as APIResourceList;
      for (const r of list.resources) {
        if (r.name.includes("/")) continue; // subresources such as deployments/status
        kinds.set(r.kind, { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced, verbs: r.verbs ?? [] });
      }
    } catch (err) {
      // A group-version the server does not serve answers 404: that is "unknown kind", not a failure.
      if (!(err instanceof Error && "statusCode" in err && (err as { statusCode: number }).statusCode === 404)) throw err;
    }
    this.byGroupVersion.set(apiVersion, { at: Date.now(), kinds });
    return kinds;
  }
}
