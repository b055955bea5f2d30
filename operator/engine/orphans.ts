// Orphaned resources (AppProject `orphanedResources`): objects in an Application's destination
// namespace that no Application tracks. With `warn: true` the app gets an OrphanedResourceWarning.
// Objects owned by another object (Pods of a ReplicaSet, …) and the namespace's own furniture
// (the `kube-root-ca.crt` ConfigMap, the `default` ServiceAccount) are never orphans. Pure.
import { gobwasMatch } from "../util/glob.js";

export interface OrphanCandidate {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; ownerReferences?: unknown[] };
}

export interface OrphanIgnoreRule { group?: string; kind?: string; name?: string }

const FURNITURE = new Set(["ConfigMap/kube-root-ca.crt", "ServiceAccount/default"]);

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** The orphans among `objects` (already limited to the destination namespace). */
export function findOrphans<T extends OrphanCandidate>(objects: readonly T[], isTracked: (o: T) => boolean, ignore: readonly OrphanIgnoreRule[] = []): T[] {
  return objects.filter((o) => {
    if (isTracked(o)) return false;
    if ((o.metadata.ownerReferences?.length ?? 0) > 0) return false;
    if (FURNITURE.has(`${o.kind}/${o.metadata.name ?? ""}`)) return false;
    const group = groupOf(o.apiVersion);
    return !ignore.some((r) => gobwasMatch(r.group ?? "*", group) && gobwasMatch(r.kind ?? "*", o.kind) && gobwasMatch(r.name ?? "*", o.metadata.name ?? ""));
  });
}

/** Argo's condition message. */
export function orphanedMessage(count: number): string {
  return `Application has ${count} orphaned resources`;
}
