// The deletion reconciler: runs an Application's deletion finalizers in Argo's order (PreDelete
// hooks, the cascade delete of its resources in reverse waves, PostDelete hooks), one resumable
// step per reconcile, as engine/sync/deletion.ts decides. Fails closed: without the project nothing
// says which live objects are the app's, so nothing is deleted.
import {
  ANNOTATION_DELETION_APPROVED,
  ARGO_API_VERSION,
  FINALIZER_RESOURCES,
  FINALIZER_RESOURCES_BACKGROUND,
} from "../../api/annotations.js";
import { ApplicationConditionType, setConditions } from "../../api/conditions.js";
import type { Application } from "../../api/index.js";
import { prepareTarget } from "../../appstate/compare.js";
import { namespacedLookup } from "../../appstate/live.js";
import { FIELD_MANAGER, healthOverrideFor, statusKinds } from "../../appstate/pipeline.js";
import type { ApplicationObject } from "../../appstate/types.js";
import { clusterAdmits } from "../../cluster/clusters.js";
import { evaluateResourceHealth } from "../../engine/health/index.js";
import { parseSyncOptions } from "../../engine/sync/annotations.js";
import { deleteHooks, FINALIZER_POST_DELETE, FINALIZER_PRE_DELETE, nameDeleteHook, nextDeletionStep, stuckDeletionMessage } from "../../engine/sync/deletion.js";
import { invalidSyncTasks, missingProjectMessage } from "../../engine/sync/validate.js";
import { KubeApiError } from "../../kube/client.js";
import { patchStatus } from "../../kube/status-writer.js";
import { WaitingError, type ReconcileContext, type ReconcileResult } from "../../runtime/reconciler.js";
import { redact } from "../../runtime/redact.js";
import { deepEqual, errorMessage } from "../../util/index.js";
import type { AppContext } from "./context.js";
import { DestinationError, type Destination } from "./destinations.js";
import { appQueueGroup } from "./queue-group.js";

type AppStatus = NonNullable<Application["status"]>;

/** How soon a deletion blocked by a missing project looks again (creating the project also re-queues it). */
const BLOCKED_REQUEUE_MS = 30_000;
/** How soon a deletion step that failed is tried again, and how soon a progressing one looks again. */
const FAILED_STEP_REQUEUE_MS = 10_000;
const PROGRESS_REQUEUE_MS = 2_000;
/** How soon a deletion that found the project changed under the cache looks again. */
const PROJECT_CATCH_UP_MS = 1_000;

export class DeletionReconciler {
  /** Finalizers this reconciler removed, by app uid, until the deletion is seen (stale-cache guard). */
  private readonly removedFinalizers = new Map<string, Set<string>>();

  constructor(private readonly env: AppContext) {}

  /** The app is gone: drop what was remembered about it. */
  forget(uid: string): void {
    this.removedFinalizers.delete(uid);
  }

  /**
   * Whether the project the cache holds is still the apiserver's: false when it is gone; a
   * WaitingError when it changed since (the cache catches up before its rules are used to delete).
   */
  private async projectConfirmed(name: string, cachedVersion: string | undefined): Promise<boolean> {
    const live = await this.env.opts.client.get(ARGO_API_VERSION, "AppProject", name, this.env.namespace);
    if (!live) return false;
    if (live.metadata.resourceVersion !== cachedVersion) {
      throw new WaitingError("ProjectChanged", `AppProject "${name}" changed; waiting for the cache to see it before deleting resources`, PROJECT_CATCH_UP_MS);
    }
    return true;
  }

  async reconcile(ctx: ReconcileContext, app: ApplicationObject): Promise<ReconcileResult> {
    // The cache may not have seen our last finalizer removal yet; acting on that stale copy
    // would re-run a finished stage (e.g. re-create a PostDelete hook just cleaned up).
    const removed = this.removedFinalizers.get(app.metadata.uid ?? "");
    const finalizers = (app.metadata.finalizers ?? []).filter((f) => !removed?.has(f));
    const ours = new Set([FINALIZER_PRE_DELETE, FINALIZER_RESOURCES, `${FINALIZER_RESOURCES}/foreground`, FINALIZER_RESOURCES_BACKGROUND, FINALIZER_POST_DELETE]);
    if (!finalizers.some((f) => ours.has(f))) return {};
    const ref = { apiVersion: ARGO_API_VERSION, kind: "Application", name: app.metadata.name!, namespace: app.metadata.namespace };
    let dest: Destination;
    try {
      dest = this.env.destination(app);
    } catch (err) {
      if (!(err instanceof DestinationError)) throw err;
      // As Argo: with the destination cluster gone there is nothing to delete or run; let it go.
      void this.env.opts.events?.record(app, "Warning", "DeletionError", `${err.message}; skipping resource deletion`);
      await this.env.opts.client.patch(ref, { metadata: { finalizers: finalizers.filter((f) => !ours.has(f)), resourceVersion: app.metadata.resourceVersion } });
      return {};
    }

    // Fail closed: without the project nothing says which live objects are the app's to delete;
    // with impersonation on and no service account for the destination, nothing may be written.
    const projectName = app.spec.project || "default";
    const cached = this.env.projectOf(app);
    // The cache may not have seen the project's deletion yet (a project deleted just before its
    // apps is the usual order of a teardown): deleting is not undoable, so ask the apiserver.
    const confirmed = cached ? await this.projectConfirmed(projectName, cached.metadata.resourceVersion) : false;
    const writer = confirmed ? this.env.syncWriter(app, dest) : undefined;
    if (!writer?.ok) {
      const message = writer
        ? `${writer.message}; resources are not deleted until one matches (or the finalizer is removed)`
        : cached
          ? `${missingProjectMessage(projectName)}; resources are not deleted until it exists (or the finalizer is removed)`
          : `${this.env.projectRefusal(app)}; resources are not deleted until ${this.env.project(projectName) ? "the project admits the app's namespace" : "it exists"} (or the finalizer is removed)`;
      const prev = (app.status as AppStatus | undefined)?.conditions ?? [];
      const conditions = setConditions(prev, [{ type: ApplicationConditionType.DeletionError, message }], [ApplicationConditionType.DeletionError]);
      if (!deepEqual(prev, conditions)) {
        await patchStatus(this.env.opts.client, app, { ...(app.status as AppStatus), conditions });
        void this.env.opts.events?.record(app, "Warning", "DeletionError", message);
      }
      throw new WaitingError(writer ? ApplicationConditionType.DeletionError : "ProjectMissing", message, BLOCKED_REQUEUE_MS);
    }

    // Delete hooks come from the current render; plain cascade deletion needs only the live state.
    const settings = this.env.settings.get().argo;
    let hooks: ReturnType<typeof deleteHooks> | undefined;
    let renderError: string | undefined;
    if (finalizers.includes(FINALIZER_PRE_DELETE) || finalizers.includes(FINALIZER_POST_DELETE)) {
      try {
        const rendered = await this.env.render(app, dest);
        const isNamespaced = await namespacedLookup(dest.client, rendered.manifests);
        const prepared = rendered.manifests.map((m) => prepareTarget(nameDeleteHook(m, app.metadata.uid ?? ""), {
          destinationNamespace: app.spec.destination?.namespace ?? "", isNamespaced, trackingKey: this.env.trackingKeyOf(app),
          trackingMethod: settings.trackingMethod, instanceLabelKey: settings.instanceLabelKey, installationID: settings.installationID,
        }));
        const found = deleteHooks(prepared);
        // Delete hooks are created like sync tasks, so they pass the same project checks first.
        const invalid = invalidSyncTasks({
          targets: [...found.preDelete, ...found.postDelete], isNamespaced, projectName: app.spec.project || "default",
          project: this.env.projectOf(app)?.spec, destination: dest.cluster, clusters: this.env.clusters.list(),
          clusterAdmits: (ns) => clusterAdmits(dest.cluster, ns),
        });
        if (invalid.length > 0) renderError = `one or more synchronization tasks are not valid: ${invalid.join("; ")}`;
        else hooks = found;
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        renderError = redact(errorMessage(err));
      }
    }
    const kinds = [
      ...statusKinds(app),
      ...[...(hooks?.preDelete ?? []), ...(hooks?.postDelete ?? [])].map((h) => ({ apiVersion: h.apiVersion, kind: h.kind })),
    ];
    const live = await this.env.liveObjects(dest, app, kinds, ctx.signal);
    const override = healthOverrideFor(this.env.settings.get(), this.env.opts.healthTrees);
    const step = nextDeletionStep({
      finalizers, hooks, renderError, live,
      appSyncOptions: parseSyncOptions(app.spec.syncPolicy?.syncOptions).options,
      approvedAt: app.metadata.annotations?.[ANNOTATION_DELETION_APPROVED],
      deletionRequestedAt: app.metadata.deletionTimestamp ?? "",
      health: (o) => evaluateResourceHealth(o, override).health,
    });
    const limiter = dest.limiter;
    const turn = { group: appQueueGroup(app) };
    await Promise.all([
      ...step.create.map((o) => limiter.run(() => writer.client.apply(o, { fieldManager: FIELD_MANAGER, force: true }), turn)),
      ...step.delete.map(({ obj, propagationPolicy }) => limiter.run(async () => {
        try {
          await writer.client.delete({ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name!, namespace: obj.metadata.namespace }, { propagationPolicy });
        } catch (err) {
          if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
        }
      }, turn)),
    ]);

    // A failure, or a wait that has gone on for a while, is said on the Application.
    const stuck = stuckDeletionMessage(step, app.metadata.deletionTimestamp, Date.now());
    const prev = (app.status as AppStatus | undefined)?.conditions ?? [];
    const conditions = setConditions(prev, stuck ? [{ type: ApplicationConditionType.DeletionError, message: stuck }] : [], [ApplicationConditionType.DeletionError]);
    if (!deepEqual(prev, conditions)) {
      await patchStatus(this.env.opts.client, app, { ...(app.status as AppStatus), conditions });
      if (step.error) void this.env.opts.events?.record(app, "Warning", "DeletionError", step.error);
    }
    if (step.removeFinalizer) {
      // A JSON patch that tests the list first: a concurrent change to finalizers fails it cleanly.
      const current = app.metadata.finalizers ?? [];
      await this.env.opts.client.patch(ref, [
        { op: "test", path: "/metadata/finalizers", value: current },
        { op: "replace", path: "/metadata/finalizers", value: current.filter((f) => f !== step.removeFinalizer) },
      ], { type: "json" });
      const uid = app.metadata.uid ?? "";
      this.removedFinalizers.set(uid, new Set([...(this.removedFinalizers.get(uid) ?? []), step.removeFinalizer]));
      ctx.log.info("deletion stage complete; finalizer removed", { application: app.metadata.name, stage: step.stage, finalizer: step.removeFinalizer });
      return {};
    }
    if (step.stage === undefined) return {};
    ctx.log.info("deleting the Application", { application: app.metadata.name, stage: step.stage, created: step.create.length, deleted: step.delete.length, waiting: step.waitingFor.length, error: step.error });
    if (step.error) throw new WaitingError(ApplicationConditionType.DeletionError, step.error, FAILED_STEP_REQUEUE_MS);
    return { requeueAfterMs: PROGRESS_REQUEUE_MS };
  }
}
