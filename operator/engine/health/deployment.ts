// apps/Deployment health, as gitops-engine's (itself borrowed from kubectl rollout status).
import { findCondition, getInt, getOptionalInt, getString, get, quote, type HealthStatus, type KubeObj } from "./types.js";

export function getDeploymentHealth(obj: KubeObj): HealthStatus {
  if (get(obj, "spec", "paused") === true) return { status: "Suspended", message: "Deployment is paused" };
  const name = getString(obj, "metadata", "name");
  if (getInt(obj, "metadata", "generation") > getInt(obj, "status", "observedGeneration")) {
    return { status: "Progressing", message: "Waiting for rollout to finish: observed deployment generation less than desired generation" };
  }
  const replicas = getOptionalInt(obj, "spec", "replicas");
  const updated = getInt(obj, "status", "updatedReplicas");
  const current = getInt(obj, "status", "replicas");
  const available = getInt(obj, "status", "availableReplicas");
  if (findCondition(obj, "Progressing")?.reason === "ProgressDeadlineExceeded") {
    return { status: "Degraded", message: `Deployment ${quote(name)} exceeded its progress deadline` };
  }
  if (replicas !== undefined && updated < replicas) {
    return { status: "Progressing", message: `Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...` };
  }
  if (current > updated) {
    return { status: "Progressing", message: `Waiting for rollout to finish: ${current - updated} old replicas are pending termination...` };
  }
  if (available < updated) {
    return { status: "Progressing", message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...` };
  }
  return { status: "Healthy" };
}
