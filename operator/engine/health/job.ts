// batch/Job health, as gitops-engine's: Complete/Failed/Suspended conditions end the run.
import { getRecords, type HealthStatus, type KubeObj } from "./types.js";

export function getJobHealth(obj: KubeObj): HealthStatus {
  let failed = false;
  let complete = false;
  let suspended = false;
  let failMsg = "";
  let message = "";
  for (const c of getRecords(obj, "status", "conditions")) {
    const msg = typeof c.message === "string" ? c.message : "";
    switch (c.type) {
      case "Failed":
        failed = true;
        complete = true;
        failMsg = msg;
        break;
      case "Complete":
        complete = true;
        message = msg;
        break;
      case "Suspended":
        complete = true;
        message = msg;
        if (c.status === "True") suspended = true;
        break;
    }
  }
  if (!complete) return { status: "Progressing", message };
  if (failed) return { status: "Degraded", message: failMsg };
  // Argo reports the (empty) failure message for a suspended job; kept for identical output.
  if (suspended) return { status: "Suspended", message: failMsg };
  return { status: "Healthy", message };
}
