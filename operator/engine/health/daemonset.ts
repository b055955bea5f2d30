// apps/DaemonSet health, as gitops-engine's.
import { getInt, getString, quote, type HealthStatus, type KubeObj } from "./types.js";

export function getDaemonSetHealth(obj: KubeObj): HealthStatus {
  if (getInt(obj, "metadata", "generation") > getInt(obj, "status", "observedGeneration")) {
    return { status: "Progressing", message: "Waiting for rollout to finish: observed daemon set generation less than desired generation" };
  }
  const name = quote(getString(obj, "metadata", "name"));
  const updated = getInt(obj, "status", "updatedNumberScheduled");
  const desired = getInt(obj, "status", "desiredNumberScheduled");
  const available = getInt(obj, "status", "numberAvailable");
  if (getString(obj, "spec", "updateStrategy", "type") === "OnDelete") {
    return { status: "Healthy", message: `daemon set ${updated} out of ${desired} new pods have been updated` };
  }
  if (updated < desired) {
    return { status: "Progressing", message: `Waiting for daemon set ${name} rollout to finish: ${updated} out of ${desired} new pods have been updated...` };
  }
  if (available < desired) {
    return { status: "Progressing", message: `Waiting for daemon set ${name} rollout to finish: ${available} of ${desired} updated pods are available...` };
  }
  return { status: "Healthy" };
}
