// Shapes shared by the sync engine: plain objects only, so plans and steps can be built from
// YAML fixtures in tests and from the informer cache in the controller alike.

/** A Kubernetes object as rendered or as read from the cluster. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Argo's hook types; Skip, PreDelete and PostDelete never run during a sync. */
export type HookType = "PreSync" | "Sync" | "PostSync" | "SyncFail" | "Skip" | "PreDelete" | "PostDelete";
export type SyncPhase = "PreSync" | "Sync" | "PostSync" | "SyncFail";
export type HookDeletePolicy = "HookSucceeded" | "HookFailed" | "BeforeHookCreation";
export type HealthCode = "Healthy" | "Progressing" | "Degraded" | "Suspended" | "Missing" | "Unknown";
export type OperationPhase = "Running" | "Terminating" | "Failed" | "Error" | "Succeeded";

export const SYNC_PHASES: readonly SyncPhase[] = ["PreSync", "Sync", "PostSync", "SyncFail"];

/** Identity of a resource, as Argo's kube.ResourceKey (the version is not part of it). */
export interface ResourceRef {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** `group/kind/namespace/name`, the key observations and selections are looked up by. */
export function resourceRefKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** How the object names itself in messages: `kind/name` or `kind/namespace/name` with its group. */
export function describeRef(ref: ResourceRef): string {
  const gk = ref.group ? `${ref.kind}.${ref.group}` : ref.kind;
  return ref.namespace ? `${gk} ${ref.namespace}/${ref.name}` : `${gk} ${ref.name}`;
}
