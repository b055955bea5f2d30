// apps/ReplicaSet health, as gitops-engine's.
import { findCondition, getInt, getOptionalInt, type HealthStatus, type KubeObj } from "./types.js";

export function getReplicaSetHealth(obj: KubeObj): HealthStatus {
  if (getInt(obj, "metadata", "generation") > getInt(obj, "status", "observedGeneration")) {
    return { status: "Progressing", message: "Waiting for rollout to finish: observed replica set generation less than desired generation" };
  }
  const failure = findCondition(obj, "ReplicaFailure");
  if (failure?.status === "True") {
    return { status: "Degraded", message: typeof failure.message === "string" ? failure.message : "" };
  }
  const replicas = getOptionalInt(obj, "spec", "replicas");
  const available = getInt(obj, "status", "availableReplicas");
  if (replicas !== undefined && available < replicas) {
    return { status: "Progressing", message: `Waiting for rollout to finish: ${available} out of ${replicas} new replicas are available...` };
  }
  return { status: "Healthy" };
}
