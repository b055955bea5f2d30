// AppProject deletion, as Argo's application controller does it in its project queue: a project
// carrying `resources-finalizer.argocd.argoproj.io` (Argo's declarative example has it) stays while
// an Application uses it; once none does, that finalizer is removed and Kubernetes deletes the
// project. The queue is looked at when a project changes and when an Application goes.
import type { AppProjectSpec } from "../../api/index.js";
import { ARGO_API_VERSION, FINALIZER_RESOURCES } from "../../api/annotations.js";
import type { ApplicationObject, AppProjectObject } from "../../appstate/types.js";
import { isAppNamespacePermitted } from "../../engine/namespaces.js";
import type { KubeObject } from "../../kube/client.js";
import type { ReconcileContext, ReconcileResult } from "../../runtime/reconciler.js";

/**
 * Pure: the Applications that keep a project being deleted, counted as Argo does: those naming it
 * whose namespace the project admits (an app the project refuses does not use it). `apps` are the
 * controller's, so only namespaces the controller serves.
 */
export function projectUsers(project: AppProjectObject, apps: readonly ApplicationObject[], controlNamespace: string): ApplicationObject[] {
  const name = project.metadata.name ?? "";
  const sourceNamespaces = (project.spec as AppProjectSpec | undefined)?.sourceNamespaces;
  return apps.filter((a) => (a.spec?.project || "default") === name && isAppNamespacePermitted(sourceNamespaces, a.metadata.namespace, controlNamespace));
}

/** Pure: the project's finalizers once it may go, or undefined when there is nothing to do now. */
export function finalizersToKeep(project: AppProjectObject, users: number): string[] | undefined {
  const finalizers = project.metadata.finalizers ?? [];
  if (!project.metadata.deletionTimestamp || !finalizers.includes(FINALIZER_RESOURCES) || users > 0) return undefined;
  return finalizers.filter((f) => f !== FINALIZER_RESOURCES);
}

export interface ProjectFinalizerDeps {
  project(key: string): AppProjectObject | undefined;
  /** The Applications naming the project (the controller's cache, by its project index). */
  appsOf(projectName: string): ApplicationObject[];
  client: { patch(ref: { apiVersion: string; kind: string; name: string; namespace?: string }, patch: unknown): Promise<KubeObject> };
  controlNamespace: string;
}

export class ProjectFinalizer {
  constructor(private readonly deps: ProjectFinalizerDeps) {}

  async reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    const project = this.deps.project(ctx.key);
    if (!project?.metadata.deletionTimestamp) return {};
    const name = project.metadata.name ?? "";
    const users = projectUsers(project, this.deps.appsOf(name), this.deps.controlNamespace);
    const keep = finalizersToKeep(project, users.length);
    if (!keep) {
      if (users.length > 0) ctx.log.info("the project is being deleted but Applications use it: its finalizer stays", { project: name, applications: users.length });
      return {};
    }
    // On the cached version: an Application created meanwhile is seen before the next attempt (409, retried).
    await this.deps.client.patch(
      { apiVersion: ARGO_API_VERSION, kind: "AppProject", name, namespace: project.metadata.namespace },
      { metadata: { finalizers: keep, resourceVersion: project.metadata.resourceVersion } },
    );
    ctx.log.info("removed the project's finalizer: no Application uses it", { project: name });
    return {};
  }
}
