// The Application service's tree watch (argo-cd-server.md §1.2):
// `GET /api/v1/stream/applications/{applicationName}/resource-tree`. After the RBAC get check it
// sends the app's whole ApplicationTree, then again each time it changes. The tree comes from the
// server's tree cache (tree-cache.ts): nothing is listed per change, and the tree is rebuilt only
// when an object of the app's tree or the app itself changes. Changes arriving together are sent
// as one tree, and a tree equal to the last one sent is not sent again. Unlike Argo, the first
// message is the tree as it is when the stream opens, so a client knows the watch is live.
import type { KubeClient } from "../../kube/client.js";
import { errorMessage } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ApplicationObject, ServerCache } from "../cache.js";
import type { ApiRequest, ApiRouter, Caller, Query } from "../http/api.js";
import { ApiError, Code } from "../http/errors.js";
import { openStream } from "../http/stream.js";
import type { TreeCache, TreeSubscription } from "../tree-cache.js";
import type { AppHosts } from "./app-hosts.js";
import { appRbacName } from "./applications.js";

export interface AppStreamServiceDeps {
  cache: ServerCache;
  /** The Application service's lookup: RBAC and Argo's existence hiding. */
  apps: { findApp(caller: Caller, name: string, q: Query, action: string): ApplicationObject };
  reader?: AppStateReader;
  trees: TreeCache;
  /** Adds the Nodes the app's pods run on to each tree sent (`hosts`). */
  hosts?: AppHosts;
  /** How long changes are gathered into one tree (default 100 ms). */
  coalesceMs?: number;
}

export class AppStreamService {
  constructor(private readonly deps: AppStreamServiceDeps) {}

  register(r: ApiRouter): void {
    r.get("/api/v1/stream/applications/:name/resource-tree", (req) => this.watchTree(req));
  }

  private destinationClient(app: ApplicationObject): KubeClient {
    if (!this.deps.reader) throw new ApiError(Code.Unavailable, "this server renders no application state (no repository access configured)");
    return this.deps.reader.destination(app).client;
  }

  private watchTree({ params, query, caller, raw, reply }: ApiRequest): unknown {
    reply.hijack();
    const stream = openStream(reply.raw, raw.headers.accept);
    // Checked before anything is sent, so a refusal is the stream's error object with its HTTP
    // status (403 / 404), and no tree.
    let app: ApplicationObject;
    let client: KubeClient;
    try {
      app = this.deps.apps.findApp(caller, params.name!, query, "get");
      client = this.destinationClient(app);
    } catch (err) {
      stream.fail(err);
      return undefined;
    }
    stream.open();
    const key = `${app.metadata.namespace ?? ""}/${app.metadata.name ?? ""}`;
    const controlNs = this.deps.cache.namespace;
    const coalesceMs = this.deps.coalesceMs ?? 100;
    let timer: NodeJS.Timeout | undefined;
    let running = false;
    let dirty = false;
    let lastSent: string | undefined;
    const schedule = (): void => {
      if (timer || stream.signal.aborted) return;
      timer = setTimeout(() => { timer = undefined; void push(); }, coalesceMs);
    };
    let sub: TreeSubscription = this.deps.trees.subscribe(client, app, schedule);
    const push = async (): Promise<void> => {
      if (running) { dirty = true; return; }
      running = true;
      try {
        do {
          dirty = false;
          await sub.ready();
          if (stream.signal.aborted) return;
          // The app may have moved to a project the caller may not see: stop, and say so.
          if (!caller.can("applications", "get", appRbacName(app, controlNs))) {
            stream.fail(new ApiError(Code.PermissionDenied, "permission denied"));
            return;
          }
          const tree = sub.tree();
          const body = JSON.stringify(this.deps.hosts ? await this.deps.hosts.withHosts(client, tree) : tree);
          if (stream.signal.aborted) return;
          if (body !== lastSent) {
            lastSent = body;
            stream.sendJson(body);
          }
        } while (dirty && !stream.signal.aborted);
      } catch (err) {
        stream.fail(err instanceof ApiError ? err : new ApiError(Code.Internal, `resource tree: ${errorMessage(err)}`));
      } finally {
        running = false;
      }
    };
    const unsubscribe = this.deps.cache.subscribeApps({
      update: (_old, next) => {
        if (`${next.metadata.namespace ?? ""}/${next.metadata.name ?? ""}` !== key) return;
        app = next;
        try {
          const nextClient = this.destinationClient(next);
          if (nextClient !== client) {
            // Another destination: hold the new cluster's watches, let the old ones go.
            sub.close();
            client = nextClient;
            sub = this.deps.trees.subscribe(client, next, schedule);
          } else {
            sub.update(next);
          }
        } catch (err) {
          stream.fail(err);
          return;
        }
        schedule();
      },
      delete: (gone) => {
        if (`${gone.metadata.namespace ?? ""}/${gone.metadata.name ?? ""}` === key) stream.end();
      },
    });
    stream.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      unsubscribe();
      sub.close();
    }, { once: true });
    void push();
    return undefined;
  }
}
