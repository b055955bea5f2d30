// `status.resources` of an ApplicationSet (Argo's ResourceStatus list): each generated Application
// with its sync and health status, sorted by name, capped at `max` entries (Argo's
// applicationsetcontroller.status.max.resources.count, 5000) with the full count in resourcesCount.
import { isRecord } from "../util/index.js";

export const MAX_STATUS_RESOURCES = 5000;

export interface AppSetResourceStatus {
  group: string;
  version: string;
  kind: "Application";
  namespace: string;
  name: string;
  status?: string;
  health?: { status: string; message?: string };
}

interface AppLike {
  metadata: { name?: string; namespace?: string };
  status?: unknown;
}

export function appSetResources(apps: AppLike[], max = MAX_STATUS_RESOURCES): { resources: AppSetResourceStatus[]; resourcesCount: number } {
  const sorted = [...apps].sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : (a.metadata.name ?? "") > (b.metadata.name ?? "") ? 1 : 0));
  const resources = sorted.slice(0, max).map((a): AppSetResourceStatus => {
    const st = isRecord(a.status) ? a.status : {};
    const sync = isRecord(st.sync) && typeof st.sync.status === "string" ? st.sync.status : undefined;
    const health = isRecord(st.health) && typeof st.health.status === "string" ? st.health : undefined;
    return {
      group: "argoproj.io",
      version: "v1alpha1",
      kind: "Application",
      namespace: a.metadata.namespace ?? "",
      name: a.metadata.name ?? "",
      ...(sync ? { status: sync } : {}),
      ...(health ? { health: { status: health.status as string, ...(typeof health.message === "string" && health.message !== "" ? { message: health.message } : {}) } } : {}),
    };
  });
  return { resources, resourcesCount: apps.length };
}
