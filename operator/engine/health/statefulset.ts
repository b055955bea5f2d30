// apps/StatefulSet health, as gitops-engine's (kubectl rollout status rules).
import { get, getInt, getOptionalInt, getString, type HealthStatus, type KubeObj } from "./types.js";

export function getStatefulSetHealth(obj: KubeObj): HealthStatus {
  const observed = getInt(obj, "status", "observedGeneration");
  if (observed === 0 || getInt(obj, "metadata", "generation") > observed) {
    return { status: "Progressing", message: "Waiting for statefulset spec update to be observed..." };
  }
  const replicas = getOptionalInt(obj, "spec", "replicas");
  const ready = getInt(obj, "status", "readyReplicas");
  const updated = getInt(obj, "status", "updatedReplicas");
  if (replicas !== undefined && ready < replicas) {
    return { status: "Progressing", message: `Waiting for ${replicas - ready} pods to be ready...` };
  }
  const strategy = getString(obj, "spec", "updateStrategy", "type");
  const partition = getOptionalInt(obj, "spec", "updateStrategy", "rollingUpdate", "partition");
  if (strategy === "RollingUpdate" && get(obj, "spec", "updateStrategy", "rollingUpdate") !== undefined && replicas !== undefined && partition !== undefined) {
    if (updated < replicas - partition) {
      return { status: "Progressing", message: `Waiting for partitioned roll out to finish: ${updated} out of ${replicas - partition} new pods have been updated...` };
    }
    return { status: "Healthy", message: `partitioned roll out complete: ${updated} new pods have been updated...` };
  }
  if (strategy === "OnDelete") return { status: "Healthy", message: `statefulset has ${ready} ready pods` };
  const updateRevision = getString(obj, "status", "updateRevision");
  const currentRevision = getString(obj, "status", "currentRevision");
  if (updateRevision !== currentRevision) {
    return { status: "Progressing", message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${updateRevision}...` };
  }
  return { status: "Healthy", message: `statefulset rolling update complete ${getInt(obj, "status", "currentReplicas")} pods at revision ${currentRevision}...` };
}
