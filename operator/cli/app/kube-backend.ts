// `hawser app --core`: Applications through the Kubernetes API alone. Operations are requested by
// writing `.operation` (as Argo's API server does), results are read from status, and `app diff`
// renders and compares like the controller.
import { ANNOTATION_REFRESH } from "../../api/annotations.js";
import { API_VERSION, DEFAULT_PROJECT, type Application, type AppProject, type Operation, type SyncWindow } from "../../api/index.js";
import { deletionFinalizers, manualSyncWindowRefusal, operationInProgress, rollbackOperation, syncOperation } from "../../engine/sync/requests.js";
import { FlagError } from "../../flags.js";
import type { KubeClient } from "../../kube/client.js";
import { createLogger } from "../../runtime/logger.js";
import type { AppBackend, DiffOptions, StartedOperation } from "./backend.js";
import { Timeout } from "./backend.js";
import { chooseRollback } from "./format.js";
import { liveDiff, type LiveDiffResult } from "./live-diff.js";

import { qualifiedLocation } from "../location.js";
import { virtualProject } from "../project.js";

const POLL_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `NAME` in the control namespace, or Argo's qualified `NAMESPACE/NAME` for an app elsewhere. */
export function appLocation(controlNamespace: string, name: string): { namespace: string; name: string } {
  return qualifiedLocation("application", controlNamespace, name);
}

export class KubeBackend implements AppBackend {
  /** `ns` is the controller's namespace (-n), where bare app names, projects and argocd-cm live. */
  constructor(private readonly client: KubeClient, private readonly ns: string, private readonly username: string) {}

  close(): void { this.client.close(); }

  private ref(name: string): { apiVersion: string; kind: string; name: string; namespace: string } {
    return { apiVersion: API_VERSION, kind: "Application", ...appLocation(this.ns, name) };
  }

  private async mustGet(name: string): Promise<Application> {
    const app = await this.findApp(name);
    if (!app) {
      const at = appLocation(this.ns, name);
      throw new FlagError(`application ${at.namespace}/${at.name} not found`);
    }
    return app;
  }

  async listApps(q: { appNamespace?: string; selector?: string }): Promise<Application[]> {
    return (await this.client.list<Application>(API_VERSION, "Application", { namespace: q.appNamespace ?? this.ns, ...(q.selector ? { labelSelector: q.selector } : {}) })).items;
  }

  async findApp(name: string): Promise<Application | undefined> {
    const at = appLocation(this.ns, name);
    return (await this.client.get<Application>(API_VERSION, "Application", at.name, at.namespace)) ?? undefined;
  }

  async refreshApp(name: string, timeoutS: number): Promise<Application> {
    await this.mustGet(name);
    // The controller clears the annotation once it has compared the app again.
    await this.client.patch(this.ref(name), { metadata: { annotations: { [ANNOTATION_REFRESH]: "normal" } } });
    return this.watchApp(name, timeoutS, (a) => (a.metadata.annotations?.[ANNOTATION_REFRESH] ? undefined : a), () => "the refresh annotation is still set (is the operator running?)");
  }

  /**
   * The sync windows of the app's project. A project that cannot be read here gives none: the
   * operator refuses the operation itself when the project is missing or blocks it.
   */
  private async projectSyncWindows(app: Application): Promise<SyncWindow[] | undefined> {
    // With its global projects' windows appended, as the controller enforces them.
    const project = await virtualProject<AppProject>(this.client, this.ns, app.spec.project || DEFAULT_PROJECT).catch(() => undefined);
    return project?.spec?.syncWindows;
  }

  /** Writes `.operation` unless one is in progress or a sync window refuses it. */
  private async startOperation(name: string, build: (app: Application) => Operation, what: string): Promise<StartedOperation> {
    const app = await this.mustGet(name);
    const busy = operationInProgress(app);
    if (busy) throw new FlagError(`application ${name}: cannot ${what}: ${busy}`);
    const blocked = manualSyncWindowRefusal(app, await this.projectSyncWindows(app), new Date());
    if (blocked) throw new FlagError(`application ${name}: cannot ${what}: ${blocked}`);
    const operation = build(app);
    // The resourceVersion makes the write fail if someone started an operation in between.
    await this.client.patch(this.ref(name), { metadata: { resourceVersion: app.metadata.resourceVersion }, operation });
    return { previousStartedAt: app.status?.operationState?.startedAt, username: operation.initiatedBy?.username ?? "" };
  }

  sync(name: string, req: Omit<Parameters<typeof syncOperation>[0], "username">): Promise<StartedOperation> {
    return this.startOperation(name, () => syncOperation({ ...req, username: this.username }), "sync");
  }

  rollback(name: string, req: { id?: number; prune: boolean; dryRun: boolean }): Promise<StartedOperation> {
    return this.startOperation(name, (app) => rollbackOperation(chooseRollback(app, req.id), { prune: req.prune, dryRun: req.dryRun, username: this.username }), "roll back");
  }

  async terminateOperation(name: string, startedAt: string | undefined): Promise<void> {
    const terminate = (): Promise<unknown> => this.client.patch(this.ref(name), { status: { operationState: { phase: "Terminating" } } }, { type: "merge", subresource: "status" });
    await terminate();
    // The controller persists the whole operationState after each step of a running operation; a
    // step that read the app before our write puts "Running" back. Re-assert until it sticks.
    const until = Date.now() + 30_000;
    for (;;) {
      await sleep(POLL_MS);
      const s = (await this.mustGet(name)).status?.operationState;
      if (!s || s.startedAt !== startedAt || s.phase !== "Running") return;
      if (Date.now() >= until) throw new Timeout(`application ${name}: the operation is still Running 30s after it was asked to terminate`);
      await terminate();
    }
  }

  async deleteApp(name: string, opts: { cascade: boolean; propagationPolicy?: "foreground" | "background" }): Promise<void> {
    const app = await this.mustGet(name);
    const finalizers = app.metadata.finalizers ?? [];
    const next = deletionFinalizers(finalizers, opts.cascade, opts.propagationPolicy);
    if (next.length !== finalizers.length || next.some((f, i) => f !== finalizers[i])) {
      await this.client.patch(this.ref(name), { metadata: { finalizers: next, resourceVersion: app.metadata.resourceVersion } });
    }
    await this.client.delete(this.ref(name));
  }

  async watchApp<T>(name: string, timeoutS: number, done: (app: Application) => T | undefined, seen: (app: Application) => string): Promise<T> {
    const deadline = timeoutS > 0 ? Date.now() + timeoutS * 1000 : Infinity;
    for (;;) {
      const app = await this.mustGet(name);
      const result = done(app);
      if (result !== undefined) return result;
      if (Date.now() >= deadline) throw new Timeout(`timed out after ${timeoutS}s waiting for application ${name}: ${seen(app)}`);
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    }
  }

  async diff(name: string, opts: DiffOptions): Promise<LiveDiffResult> {
    const app = await this.mustGet(name);
    return liveDiff({
      client: this.client, namespace: this.ns, app, repoMap: opts.repoMap,
      ...(opts.local ? { local: opts.local } : {}),
      ...(opts.revision ? { revision: opts.revision } : {}),
      ...(opts.installationID ? { installationID: opts.installationID } : {}),
      serverSideDiff: opts.serverSideDiff,
      log: createLogger({ level: "warn" }),
    });
  }
}
