// apiregistration.k8s.io/APIService health, as gitops-engine's.
import { findCondition, type HealthStatus, type KubeObj } from "./types.js";

export function getAPIServiceHealth(obj: KubeObj): HealthStatus {
  const available = findCondition(obj, "Available");
  if (!available) return { status: "Progressing", message: "Waiting to be processed" };
  const message = `${typeof available.reason === "string" ? available.reason : ""}: ${typeof available.message === "string" ? available.message : ""}`;
  return { status: available.status === "True" ? "Healthy" : "Progressing", message };
}
