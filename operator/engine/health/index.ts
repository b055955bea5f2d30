// Resource health: getResourceHealth(obj, override?) with gitops-engine's order: an object being
// deleted (and not held by the hook finalizer) is "Pending deletion"; then a customization (Lua,
// from argocd-cm or a directory) if one applies; then the built-in check for the group/Kind; else
// undefined, meaning "no health check" (such resources do not count towards app health).
import { getAPIServiceHealth } from "./apiservice.js";
import { getApplicationHealth } from "./application.js";
import { getDaemonSetHealth } from "./daemonset.js";
import { getDeploymentHealth } from "./deployment.js";
import { hasHookFinalizer } from "./hook.js";
import { getHPAHealth } from "./hpa.js";
import { getIngressHealth } from "./ingress.js";
import { getJobHealth } from "./job.js";
import { getPodHealth } from "./pod.js";
import { getPVCHealth } from "./pvc.js";
import { getReplicaSetHealth } from "./replicaset.js";
import { getServiceHealth } from "./service.js";
import { getStatefulSetHealth } from "./statefulset.js";
import { get, groupOf, kindOf, type HealthCheck, type HealthStatus, type KubeObj } from "./types.js";
import { getWorkflowHealth } from "./workflow.js";

export * from "./types.js";
export { isHook, isSkipHook, hasHookFinalizer, HOOK_FINALIZER } from "./hook.js";

/** A source of health assessments that take precedence over the built-in checks (Lua scripts). */
export interface HealthOverride {
  /** The assessment, or undefined when no customization applies. Throws when a script fails. */
  getResourceHealth(obj: KubeObj): HealthStatus | undefined;
  /** True when a customization exists for this group/Kind (used by app aggregation). */
  hasOverride?(group: string, kind: string): boolean;
}

/** Built-in checks keyed "group/Kind" (core group: "/Kind"). */
const registry = new Map<string, HealthCheck>([
  ["apps/Deployment", getDeploymentHealth],
  ["apps/StatefulSet", getStatefulSetHealth],
  ["apps/DaemonSet", getDaemonSetHealth],
  ["apps/ReplicaSet", getReplicaSetHealth],
  ["/Pod", getPodHealth],
  ["/Service", getServiceHealth],
  ["/PersistentVolumeClaim", getPVCHealth],
  ["batch/Job", getJobHealth],
  ["networking.k8s.io/Ingress", getIngressHealth],
  ["extensions/Ingress", getIngressHealth],
  ["autoscaling/HorizontalPodAutoscaler", getHPAHealth],
  ["apiregistration.k8s.io/APIService", getAPIServiceHealth],
  ["argoproj.io/Workflow", getWorkflowHealth],
  ["argoproj.io/Application", getApplicationHealth],
]);

export function getHealthCheck(group: string, kind: string): HealthCheck | undefined {
  return registry.get(`${group}/${kind}`);
}

export interface HealthResult {
  /** Undefined when no check applies. */
  health?: HealthStatus;
  /** Set when the check or script failed; health is then Unknown with the error's message. */
  error?: Error;
}

export function evaluateResourceHealth(obj: KubeObj, override?: HealthOverride): HealthResult {
  if (get(obj, "metadata", "deletionTimestamp") != null && !hasHookFinalizer(obj)) {
    return { health: { status: "Progressing", message: "Pending deletion" } };
  }
  const attempt = (fn: () => HealthStatus | undefined): HealthResult => {
    try {
      const health = fn();
      return health ? { health } : {};
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      return { health: { status: "Unknown", message: error.message }, error };
    }
  };
  if (override) {
    const res = attempt(() => override.getResourceHealth(obj));
    if (res.health || res.error) return res;
  }
  const check = getHealthCheck(groupOf(obj), kindOf(obj));
  return check ? attempt(() => check(obj)) : {};
}

/** The object's health, or undefined when no check applies; failures are Unknown with the error. */
export function getResourceHealth(obj: KubeObj, override?: HealthOverride): HealthStatus | undefined {
  return evaluateResourceHealth(obj, override).health;
}
