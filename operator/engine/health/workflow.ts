// argoproj.io/Workflow health, as gitops-engine's.
import { getString, type HealthStatus, type KubeObj } from "./types.js";

export function getWorkflowHealth(obj: KubeObj): HealthStatus {
  const message = getString(obj, "status", "message");
  switch (getString(obj, "status", "phase")) {
    case "":
    case "Pending":
    case "Running":
      return { status: "Progressing", message };
    case "Succeeded":
      return { status: "Healthy", message };
    case "Failed":
    case "Error":
      return { status: "Degraded", message };
    default:
      return { status: "Unknown", message };
  }
}
