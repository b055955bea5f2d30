// `hawser app` through `hawser server` (or any server with Argo CD's REST API, argo-cd-server.md
// §1.3): the server checks RBAC, refuses operations it would not start, and its watch stream tells
// `wait` and `sync` when the app changes, so nothing polls.
import { stringify } from "yaml";
import type { Application } from "../../api/index.js";
import { unifiedDiff, type JsonObject } from "../../engine/diff/index.js";
import type { SyncRequest } from "../../engine/sync/requests.js";
import { FlagError } from "../../flags.js";
import { ApiRequestError, type ApiClient, type QueryParams } from "../api/client.js";
import type { AppBackend, DiffOptions, StartedOperation } from "./backend.js";
import { Timeout } from "./backend.js";
import type { LiveDiffResult } from "./live-diff.js";

/** One entry of GET .../managed-resources (ResourceDiff, §1.5): the states are JSON strings. */
export interface ResourceDiff {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  targetState?: string;
  liveState?: string;
  normalizedLiveState?: string;
  predictedLiveState?: string;
  hook?: boolean;
  modified?: boolean;
}

/** The app's path and query: `NAME`, or `NAMESPACE/NAME` as appNamespace (Argo's qualified names). */
export function appPath(name: string): { path: string; query: QueryParams } {
  const slash = name.indexOf("/");
  if (slash < 0) return { path: `/api/v1/applications/${encodeURIComponent(name)}`, query: {} };
  const ns = name.slice(0, slash);
  const short = name.slice(slash + 1);
  if (!ns || !short || short.includes("/")) throw new FlagError(`application "${name}": want NAME or NAMESPACE/NAME`);
  return { path: `/api/v1/applications/${encodeURIComponent(short)}`, query: { appNamespace: ns } };
}

function parseState(raw: string | undefined, what: string): JsonObject | null {
  if (raw === undefined || raw === "" || raw === "null") return null;
  try {
    const v = JSON.parse(raw) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : null;
  } catch {
    throw new Error(`the server sent ${what} that is not JSON`);
  }
}

/** The unified diff of managed-resources, in the shape `hawser app diff --core` prints. */
export function managedResourcesDiff(items: ResourceDiff[]): { output: string; modified: boolean } {
  let output = "";
  let modified = false;
  const yaml = (o: JsonObject | null): string => (o ? stringify(o, { sortMapEntries: true }) : "");
  for (const r of items) {
    if (r.hook || !r.modified) continue;
    modified = true;
    const id = `${r.group ?? ""}/${r.kind ?? ""} ${r.namespace ?? ""}/${r.name ?? ""}`;
    // The server masks Secret data in every state already.
    const from = parseState(r.normalizedLiveState ?? r.liveState, `the live state of ${id}`);
    const to = parseState(r.predictedLiveState ?? r.targetState, `the target state of ${id}`);
    output += `===== ${id} ======\n`;
    output += unifiedDiff(yaml(from), yaml(to), "live", "target");
  }
  return { output, modified };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ApiBackend implements AppBackend {
  constructor(private readonly api: ApiClient) {}

  close(): void { this.api.close(); }

  async listApps(q: { appNamespace?: string; selector?: string }): Promise<Application[]> {
    const list = await this.api.request<{ items?: Application[] | null }>("GET", "/api/v1/applications", { query: { selector: q.selector, appNamespace: q.appNamespace } });
    return list.items ?? [];
  }

  async findApp(name: string): Promise<Application | undefined> {
    const { path, query } = appPath(name);
    try {
      return await this.api.request<Application>("GET", path, { query });
    } catch (err) {
      if (err instanceof ApiRequestError && err.httpStatus === 404) return undefined;
      throw err;
    }
  }

  private async mustGet(name: string): Promise<Application> {
    const { path, query } = appPath(name);
    return this.api.request<Application>("GET", path, { query });
  }

  async refreshApp(name: string, timeoutS: number): Promise<Application> {
    const { path, query } = appPath(name);
    // The server sets the refresh annotation and waits (bounded) for the controller.
    const app = await this.api.request<Application>("GET", path, { query: { ...query, refresh: "normal" } });
    if (!app.metadata.annotations?.["argocd.argoproj.io/refresh"]) return app;
    return this.watchApp(name, timeoutS, (a) => (a.metadata.annotations?.["argocd.argoproj.io/refresh"] ? undefined : a), () => "the refresh annotation is still set (is the operator running?)");
  }

  private started(before: Application | undefined, after: Application): StartedOperation {
    return { previousStartedAt: (before ?? after).status?.operationState?.startedAt, username: after.operation?.initiatedBy?.username ?? "" };
  }

  async sync(name: string, req: Omit<SyncRequest, "username">): Promise<StartedOperation> {
    const { path, query } = appPath(name);
    const force = req.force ? { force: true } : {};
    const body: Record<string, unknown> = {
      ...(query.appNamespace ? { appNamespace: query.appNamespace } : {}),
      ...(req.revision ? { revision: req.revision } : {}),
      ...(req.prune ? { prune: true } : {}),
      ...(req.dryRun ? { dryRun: true } : {}),
      // As argocd: --force goes with the chosen strategy, hook by default.
      strategy: req.strategy === "apply" ? { apply: force } : { hook: force },
      ...(req.resources && req.resources.length > 0 ? { resources: req.resources } : {}),
      ...(req.syncOptions && req.syncOptions.length > 0 ? { syncOptions: { items: req.syncOptions } } : {}),
    };
    const before = await this.findApp(name);
    const after = await this.api.request<Application>("POST", `${path}/sync`, { body });
    return this.started(before, after);
  }

  async rollback(name: string, req: { id?: number; prune: boolean; dryRun: boolean }): Promise<StartedOperation> {
    const { path, query } = appPath(name);
    const before = await this.findApp(name);
    const body = { ...(query.appNamespace ? { appNamespace: query.appNamespace } : {}), id: req.id, ...(req.prune ? { prune: true } : {}), ...(req.dryRun ? { dryRun: true } : {}) };
    const after = await this.api.request<Application>("POST", `${path}/rollback`, { body });
    return this.started(before, after);
  }

  async terminateOperation(name: string): Promise<void> {
    const { path, query } = appPath(name);
    await this.api.request("DELETE", `${path}/operation`, { query });
  }

  async deleteApp(name: string, opts: { cascade: boolean; propagationPolicy?: "foreground" | "background" }): Promise<void> {
    const { path, query } = appPath(name);
    await this.api.request("DELETE", path, { query: { ...query, ...(opts.cascade ? {} : { cascade: "false" }), propagationPolicy: opts.propagationPolicy } });
  }

  /** Follows the app on the watch stream (the first message is its current state); reconnects if the server closes. */
  async watchApp<T>(name: string, timeoutS: number, done: (app: Application) => T | undefined, seen: (app: Application) => string): Promise<T> {
    const { query } = appPath(name);
    const short = name.includes("/") ? name.slice(name.indexOf("/") + 1) : name;
    const deadline = timeoutS > 0 ? Date.now() + timeoutS * 1000 : Infinity;
    let last: Application | undefined;
    let result: T | undefined;
    let found = false;
    while (!found) {
      const controller = new AbortController();
      const timer = deadline === Infinity ? undefined : setTimeout(() => controller.abort(new Timeout("deadline")), Math.max(0, deadline - Date.now()));
      try {
        await this.api.stream<{ type?: string; application?: Application }>("/api/v1/stream/applications", { ...query, name: short }, (msg) => {
          if (!msg.application) return false;
          if (msg.type === "DELETED") throw new Error(`application ${name} was deleted while waiting`);
          last = msg.application;
          const r = done(msg.application);
          if (r === undefined) return false;
          result = r;
          found = true;
          return true;
        }, controller.signal);
      } catch (err) {
        if (!(err instanceof Timeout)) throw err;
      } finally {
        if (timer) clearTimeout(timer);
      }
      if (found) break;
      if (Date.now() >= deadline) {
        const app = last ?? (await this.mustGet(name));
        throw new Timeout(`timed out after ${timeoutS}s waiting for application ${name}: ${seen(app)}`);
      }
      // The server ended the stream (a restart, a proxy's idle timeout): open it again.
      await sleep(1000);
    }
    return result as T;
  }

  async diff(name: string, opts: DiffOptions): Promise<LiveDiffResult> {
    // The server renders with its own settings; the installation id from the environment is its business.
    if (opts.local || opts.revision || opts.repoMap.size > 0 || opts.installationIDFlag || opts.serverSideDiff) {
      throw new FlagError("--local, --local-repo-root, --revision, --repo, --installation-id and --server-side-diff are not supported through the server yet; use --core");
    }
    const { path, query } = appPath(name);
    const res = await this.api.request<{ items?: ResourceDiff[] | null }>("GET", `${path}/managed-resources`, { query });
    return { ...managedResourcesDiff(res.items ?? []), warnings: [] };
  }
}
