// The Application controller: watches Applications and AppProjects through informers, queues an
// Application's key whenever it or its project changes, and refreshes it on its own queue with
// `statusProcessors` workers. Status is written only when it changed; `reconciledAt` moves with
// each write and on every new generation of the spec, so an idle resync issues no request.
import { ANNOTATION_SKIP_RECONCILE, ARGO_API_VERSION } from "../../api/annotations.js";
import type { KubeClient } from "../../kube/client.js";
import { deepEqual, patchStatus } from "../../kube/status-writer.js";
import { Controller } from "../../runtime/controller.js";
import type { EventRecorder } from "../../runtime/events.js";
import { Informer, objectKey } from "../../runtime/informer.js";
import type { Logger } from "../../runtime/logger.js";
import type { OperatorMetrics } from "../../runtime/metrics.js";
import type { ReconcileContext, ReconcileResult } from "../../runtime/reconciler.js";
import { pushConcerns, repoIdentity } from "../../webhook/match.js";
import type { PushEvent } from "../../webhook/parse.js";
import { refreshApplication } from "./refresh.js";
import type { ApplicationObject, AppProjectObject } from "./types.js";

export interface ApplicationControllerOptions {
  client: KubeClient;
  namespace: string;
  statusProcessors: number;
  resyncMs: number;
  resyncJitterMs: number;
  log: Logger;
  metrics?: OperatorMetrics;
  events?: EventRecorder;
}

const PROJECT_INDEX = "project";
const REPO_INDEX = "repo";

function appSources(app: ApplicationObject): Array<{ repoURL?: string; targetRevision?: string; path?: string }> {
  return app.spec?.sources && app.spec.sources.length > 0 ? app.spec.sources : app.spec?.source ? [app.spec.source] : [];
}

export class ApplicationController {
  readonly apps: Informer<ApplicationObject>;
  readonly projects: Informer<AppProjectObject>;
  readonly refresh: Controller;
  /** uid → generation this process last reconciled, so a new spec always refreshes reconciledAt. */
  private readonly reconciledGeneration = new Map<string, number>();

  constructor(private readonly opts: ApplicationControllerOptions) {
    const log = opts.log;
    this.apps = new Informer<ApplicationObject>(opts.client, {
      apiVersion: ARGO_API_VERSION, kind: "Application", namespace: opts.namespace, log, metrics: opts.metrics,
    });
    this.projects = new Informer<AppProjectObject>(opts.client, {
      apiVersion: ARGO_API_VERSION, kind: "AppProject", namespace: opts.namespace, log, metrics: opts.metrics,
    });
    this.apps.addIndex(PROJECT_INDEX, (app) => [app.spec?.project || "default"]);
    this.apps.addIndex(REPO_INDEX, (app) => [...new Set(appSources(app).filter((s) => s.repoURL).map((s) => repoIdentity(s.repoURL!)))]);
    this.refresh = new Controller({
      name: "application-refresh",
      workers: opts.statusProcessors,
      log,
      metrics: opts.metrics,
      reconciler: { reconcile: (ctx) => this.reconcile(ctx) },
    });

    this.apps.addHandler({
      add: (app) => this.refresh.enqueue(objectKey(app)),
      update: (oldApp, newApp) => {
        // Our own status writes come back as updates; only spec, metadata or an external status
        // edit are worth a refresh.
        if (oldApp.metadata.generation !== newApp.metadata.generation
          || !deepEqual(oldApp.metadata.annotations, newApp.metadata.annotations)
          || !deepEqual(oldApp.metadata.labels, newApp.metadata.labels)) {
          this.refresh.enqueue(objectKey(newApp));
        }
      },
      delete: (app) => { if (app.metadata.uid) this.reconciledGeneration.delete(app.metadata.uid); },
    });
    const requeueProjectApps = (project: AppProjectObject): void => {
      for (const app of this.apps.byIndex(PROJECT_INDEX, project.metadata.name ?? "")) this.refresh.enqueue(objectKey(app));
    };
    this.projects.addHandler({ add: requeueProjectApps, update: (_o, n) => requeueProjectApps(n), delete: requeueProjectApps });
  }

  /** Refreshes every Application a git push concerns (webhook); returns their keys. */
  refreshForPush(event: PushEvent): string[] {
    const keys = new Set<string>();
    for (const id of new Set(event.repoURLs.map(repoIdentity))) {
      for (const app of this.apps.byIndex(REPO_INDEX, id)) {
        if (pushConcerns(appSources(app), app.metadata.annotations, event)) keys.add(objectKey(app));
      }
    }
    for (const key of keys) this.refresh.enqueue(key);
    return [...keys];
  }

  get hasSynced(): boolean { return this.apps.hasSynced && this.projects.hasSynced; }

  async start(signal?: AbortSignal): Promise<void> {
    this.projects.start();
    this.apps.start();
    await Promise.all([this.projects.waitForSync(signal), this.apps.waitForSync(signal)]);
    this.refresh.start();
  }

  async stop(): Promise<void> {
    await this.refresh.stop();
    await Promise.all([this.apps.stop(), this.projects.stop()]);
  }

  private resyncDelay(): number | undefined {
    if (this.opts.resyncMs <= 0) return undefined;
    return this.opts.resyncMs + Math.floor(Math.random() * this.opts.resyncJitterMs);
  }

  private async reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    const app = this.apps.get(ctx.key);
    if (!app) return {};
    if (app.metadata.annotations?.[ANNOTATION_SKIP_RECONCILE] === "true") {
      ctx.log.debug("skip-reconcile annotation set; ignoring");
      return {};
    }
    const now = new Date().toISOString();
    const outcome = refreshApplication({
      app,
      project: (name) => this.projects.get(`${this.opts.namespace}/${name}`),
      controllerNamespace: this.opts.namespace,
      now: () => now,
    });
    const uid = app.metadata.uid ?? "";
    const generation = app.metadata.generation ?? 0;
    const statusChanged = !deepEqual(app.status ?? {}, outcome.status);
    const newGeneration = this.reconciledGeneration.get(uid) !== generation || !app.status?.reconciledAt;
    if (statusChanged || newGeneration) {
      const updated = await patchStatus(this.opts.client, app, { ...outcome.status, reconciledAt: now });
      ctx.log.info("status updated", { application: app.metadata.name, conditions: outcome.status.conditions?.length ?? 0, wrote: updated !== undefined });
    }
    this.reconciledGeneration.set(uid, generation);
    for (const c of outcome.newErrors) {
      void this.opts.events?.record(app, "Warning", c.type, c.message);
    }
    const after = this.resyncDelay();
    return after === undefined ? {} : { requeueAfterMs: after };
  }
}
