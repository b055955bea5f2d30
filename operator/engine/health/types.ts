// Health vocabulary shared by the built-in checks, the Lua overrides and app-level aggregation.
// Status names and their ordering are Argo CD's (gitops-engine pkg/health), so values written to
// Application status read the same as Argo's.

export const HealthStatusCode = {
  Unknown: "Unknown",
  Progressing: "Progressing",
  Healthy: "Healthy",
  Suspended: "Suspended",
  Degraded: "Degraded",
  Missing: "Missing",
} as const;
export type HealthStatusCode = (typeof HealthStatusCode)[keyof typeof HealthStatusCode];

export interface HealthStatus {
  status: HealthStatusCode;
  message?: string;
}

/** A Kubernetes object as the health checks see it: untyped JSON. */
export type KubeObj = Record<string, unknown>;

/** A check for one group/Kind; it may throw, which callers report as Unknown. */
export type HealthCheck = (obj: KubeObj) => HealthStatus;

// Order used to pick the "worst" status (gitops-engine healthOrder).
const healthOrder: HealthStatusCode[] = ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"];

export function isHealthStatusCode(value: unknown): value is HealthStatusCode {
  return typeof value === "string" && (healthOrder as string[]).includes(value);
}

/** True when `next` is worse than `current`. */
export function isWorse(current: HealthStatusCode, next: HealthStatusCode): boolean {
  return healthOrder.indexOf(next) > healthOrder.indexOf(current);
}

// Small typed accessors over untyped JSON; they return undefined for any shape mismatch, the way
// Go's typed conversion leaves zero values.
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function get(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    const rec = asRecord(cur);
    if (!rec) return undefined;
    cur = rec[key];
  }
  return cur;
}

export function getString(obj: unknown, ...path: string[]): string {
  const v = get(obj, ...path);
  return typeof v === "string" ? v : "";
}

/** Integer field as Go's typed structs see it: 0 when absent. */
export function getInt(obj: unknown, ...path: string[]): number {
  const v = get(obj, ...path);
  return typeof v === "number" ? v : 0;
}

/** Optional integer (Go `*int32`): undefined when absent. */
export function getOptionalInt(obj: unknown, ...path: string[]): number | undefined {
  const v = get(obj, ...path);
  return typeof v === "number" ? v : undefined;
}

export function getArray(obj: unknown, ...path: string[]): unknown[] {
  const v = get(obj, ...path);
  return Array.isArray(v) ? v : [];
}

export function getRecords(obj: unknown, ...path: string[]): Record<string, unknown>[] {
  return getArray(obj, ...path).map(asRecord).filter((r): r is Record<string, unknown> => r !== undefined);
}

export function annotationsOf(obj: KubeObj): Record<string, string> {
  const a = asRecord(get(obj, "metadata", "annotations"));
  const out: Record<string, string> = {};
  if (a) for (const [k, v] of Object.entries(a)) if (typeof v === "string") out[k] = v;
  return out;
}

/** apiVersion "apps/v1" → group "apps"; "v1" → "". */
export function groupOf(obj: KubeObj): string {
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  const slash = apiVersion.indexOf("/");
  return slash >= 0 ? apiVersion.slice(0, slash) : "";
}

export function versionOf(obj: KubeObj): string {
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  const slash = apiVersion.indexOf("/");
  return slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
}

export function kindOf(obj: KubeObj): string {
  return typeof obj.kind === "string" ? obj.kind : "";
}

/** Go's %q for the plain names Kubernetes allows. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

export function findCondition(obj: KubeObj, type: string): Record<string, unknown> | undefined {
  return getRecords(obj, "status", "conditions").find((c) => c.type === type);
}
