// core/PersistentVolumeClaim health, as gitops-engine's.
import { getString, type HealthStatus, type KubeObj } from "./types.js";

export function getPVCHealth(obj: KubeObj): HealthStatus {
  switch (getString(obj, "status", "phase")) {
    case "Lost":
      return { status: "Degraded" };
    case "Pending":
      return { status: "Progressing" };
    case "Bound":
      return { status: "Healthy" };
    default:
      return { status: "Unknown" };
  }
}
