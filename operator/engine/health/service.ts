// core/Service health, as gitops-engine's: only a LoadBalancer waits, for its external address.
import { getArray, getString, type HealthStatus, type KubeObj } from "./types.js";

export function getServiceHealth(obj: KubeObj): HealthStatus {
  if (getString(obj, "spec", "type") === "LoadBalancer" && getArray(obj, "status", "loadBalancer", "ingress").length === 0) {
    return { status: "Progressing" };
  }
  return { status: "Healthy" };
}
