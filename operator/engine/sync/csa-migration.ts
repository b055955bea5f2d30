// Client-side apply migration (Argo's ClientSideApplyMigration, on by default). An object last
// written by a client-side `kubectl apply` has its fields owned by an `Update` managedFields entry
// of the manager `kubectl-client-side-apply`. A server-side apply by Hawser would then own only the
// fields it sends, so a field later removed from git would stay, still owned by that manager.
// Before the first server-side apply, that entry's fields are handed to Hawser's `Apply` entry
// (merged into it when it exists), as Kubernetes' csaupgrade does for Argo and kubectl; the next
// apply then removes what git no longer has. The stale last-applied-configuration annotation is
// among those fields, so it goes too. Pure: the I/O (read, JSON patch) is the caller's.
import { ANNOTATION_CSA_MIGRATION_MANAGER } from "../../api/annotations.js";
import { isRecord } from "../../util/index.js";
import { parseSyncOptions } from "./annotations.js";
import type { KubeObject } from "./types.js";

export const DEFAULT_CSA_MIGRATION_MANAGER = "kubectl-client-side-apply";

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
  [key: string]: unknown;
}

export type JsonPatchOp = { op: "test" | "replace"; path: string; value: unknown };

/**
 * The client-side manager whose fields move to Hawser for this sync, or undefined when the
 * migration is off. The operation's sync options win over the app's; the manager comes from the
 * Application's annotation.
 */
export function csaMigrationManager(app: { metadata: { annotations?: Record<string, string> }; spec?: { syncPolicy?: { syncOptions?: string[] } } }, operationSyncOptions: readonly string[] | undefined): string | undefined {
  const fromOp = parseSyncOptions(operationSyncOptions).options.clientSideApplyMigration;
  const fromApp = parseSyncOptions(app.spec?.syncPolicy?.syncOptions).options.clientSideApplyMigration;
  if ((fromOp ?? fromApp ?? true) === false) return undefined;
  return app.metadata.annotations?.[ANNOTATION_CSA_MIGRATION_MANAGER]?.trim() || DEFAULT_CSA_MIGRATION_MANAGER;
}

/** The union of two fieldsV1 sets: nested `f:`/`k:`/`v:`/`i:` keys, `{}` at the leaves. */
export function unionFieldSets(a: unknown, b: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = isRecord(a) ? { ...a } : {};
  if (!isRecord(b)) return out;
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? unionFieldSets(out[k], v) : v;
  return out;
}

const isTopLevel = (e: ManagedFieldsEntry): boolean => !e.subresource;

/**
 * managedFields after the migration, or undefined when there is nothing to move (no top-level
 * `Update` entry of the client-side manager). Status and other subresource entries stay as they are.
 */
export function migratedManagedFields(entries: readonly ManagedFieldsEntry[], csaManager: string, ssaManager: string): ManagedFieldsEntry[] | undefined {
  const csaIndex = entries.findIndex((e) => e.manager === csaManager && e.operation === "Update" && isTopLevel(e));
  if (csaIndex < 0) return undefined;
  const csa = entries[csaIndex]!;
  const ssaIndex = entries.findIndex((e) => e.manager === ssaManager && e.operation === "Apply" && isTopLevel(e));
  if (ssaIndex < 0) {
    // Hawser has not applied yet: the entry becomes its Apply entry, in place.
    return entries.map((e, i) => (i === csaIndex ? { ...e, manager: ssaManager, operation: "Apply" } : e));
  }
  const ssa = entries[ssaIndex]!;
  const merged: ManagedFieldsEntry = { ...ssa, fieldsType: "FieldsV1", fieldsV1: unionFieldSets(ssa.fieldsV1, csa.fieldsV1) };
  return entries.flatMap((e, i) => (i === csaIndex ? [] : i === ssaIndex ? [merged] : [e]));
}

/**
 * The JSON patch that moves the live object's client-side fields to Hawser, or undefined when
 * there is none. It tests the resourceVersion first, so a concurrent write makes it fail instead
 * of overwriting ownership the read did not see.
 */
export function planCsaMigration(live: KubeObject, csaManager: string, ssaManager: string): JsonPatchOp[] | undefined {
  const entries = Array.isArray(live.metadata.managedFields) ? (live.metadata.managedFields as unknown[]).filter(isRecord) as ManagedFieldsEntry[] : [];
  const migrated = migratedManagedFields(entries, csaManager, ssaManager);
  if (!migrated) return undefined;
  const resourceVersion = live.metadata.resourceVersion;
  if (typeof resourceVersion !== "string" || resourceVersion === "") return undefined;
  return [
    { op: "test", path: "/metadata/resourceVersion", value: resourceVersion },
    { op: "replace", path: "/metadata/managedFields", value: migrated },
  ];
}
