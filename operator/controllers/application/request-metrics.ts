// argocd_app_k8s_request_total: the Kubernetes requests a sync sends for one Application, counted
// per app as Argo's controller counts them. The operation reconciler wraps the destination client
// it writes with; the wrapper forwards every call unchanged.
import { KubeApiError, type KubeObject } from "../../kube/client.js";
import type { ArgoMetrics } from "../../runtime/argo-metrics.js";
import type { ApplicationObject } from "../../appstate/types.js";
import type { DestinationClient } from "./destinations.js";

interface Target { apiVersion?: string; kind?: string; namespace?: string; metadata?: { namespace?: string } }

/**
 * The client with each get/create/apply/replace/patch/delete counted: `verb` is the Kubernetes
 * request verb (an apply is a patch, a replace an update), `response_code` the apiserver's code of
 * a failure and 200 (201 for a create, 404 for a get that found nothing) on success.
 */
export function countingClient(client: DestinationClient, argo: ArgoMetrics, app: ApplicationObject, server: string): DestinationClient {
  const base = { namespace: app.metadata.namespace ?? "", name: app.metadata.name ?? "", project: app.spec.project || "default", server };
  const counted = async <T>(verb: string, target: Target, dryRun: boolean | undefined, ok: (r: T) => number, call: () => Promise<T>): Promise<T> => {
    const labels = { ...base, verb, resource_kind: target.kind ?? "", resource_namespace: target.namespace ?? target.metadata?.namespace ?? "", dry_run: String(dryRun === true) };
    try {
      const r = await call();
      argo.appK8sRequests.inc({ ...labels, response_code: String(ok(r)) });
      return r;
    } catch (err) {
      argo.appK8sRequests.inc({ ...labels, response_code: String(err instanceof KubeApiError ? err.statusCode : 0) });
      throw err;
    }
  };
  const ok200 = (): number => 200;
  const wrapped: DestinationClient = {
    get: <T extends KubeObject = KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string) =>
      counted<T | undefined>("get", { apiVersion, kind, ...(namespace ? { namespace } : {}) }, false, (r) => (r ? 200 : 404), () => client.get<T>(apiVersion, kind, name, namespace)),
    create: (obj, opts) => counted("create", obj, opts?.dryRun, () => 201, () => client.create(obj, opts)),
    apply: (obj, opts) => counted("patch", obj, opts.dryRun, ok200, () => client.apply(obj, opts)),
    replace: (obj, opts) => counted("update", obj, opts?.dryRun, ok200, () => client.replace(obj, opts)),
    patch: (ref, patch, opts) => counted("patch", ref, opts?.dryRun, ok200, () => client.patch(ref, patch, opts)),
    delete: (ref, opts) => counted("delete", ref, opts?.dryRun, ok200, () => client.delete(ref, opts)),
    resourceInfo: (apiVersion, kind) => client.resourceInfo(apiVersion, kind),
    serverVersion: () => client.serverVersion(),
  };
  return wrapped;
}
