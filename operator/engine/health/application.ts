// argoproj.io/Application health for app-of-apps: the child's own status.health. Argo CD removed
// this built-in in 1.8 and documents a Lua snippet to re-add it; Hawser ships it built in (see
// docs/decisions.md), so a parent's sync waves wait for child apps out of the box.
import { getString, isHealthStatusCode, type HealthStatus, type KubeObj } from "./types.js";

export function getApplicationHealth(obj: KubeObj): HealthStatus {
  const status = getString(obj, "status", "health", "status");
  if (!isHealthStatusCode(status)) return { status: "Progressing", message: "" };
  return { status, message: getString(obj, "status", "health", "message") };
}
