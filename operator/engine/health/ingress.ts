// networking.k8s.io/Ingress and extensions/Ingress health, as gitops-engine's: Healthy once the
// controller has published an address.
import { getArray, type HealthStatus, type KubeObj } from "./types.js";

export function getIngressHealth(obj: KubeObj): HealthStatus {
  return { status: getArray(obj, "status", "loadBalancer", "ingress").length > 0 ? "Healthy" : "Progressing" };
}
