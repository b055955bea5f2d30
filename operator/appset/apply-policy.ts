// What the ApplicationSet controller changes, decided from the desired Applications, the ones it
// already owns, and `syncPolicy.applicationsSync` (Argo's create-only, create-update,
// create-delete, sync). Pure: the controller carries the plan out.
import type { GeneratedApplication } from "./render.js";

export type ApplicationsSyncPolicy = "create-only" | "create-update" | "create-delete" | "sync";

export interface CurrentApplication {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  spec?: Record<string, unknown>;
}

export interface ApplicationPlan {
  create: GeneratedApplication[];
  /** Desired state for Applications whose spec, labels, annotations or finalizers differ. */
  update: GeneratedApplication[];
  delete: string[];
}

/** Annotations the controller never removes (Argo keeps notification and refresh state). */
export const ALWAYS_PRESERVED_ANNOTATIONS = ["notified.notifications.argoproj.io", "argocd.argoproj.io/refresh", "argocd.argoproj.io/hydrate"];

export function parsePolicy(value: unknown): ApplicationsSyncPolicy {
  return value === "create-only" || value === "create-update" || value === "create-delete" ? value : "sync";
}

/** The annotations to write: the desired ones plus preserved keys already on the Application. */
export function mergedAnnotations(desired: Record<string, string> | undefined, current: Record<string, string> | undefined, preserved: string[]): Record<string, string> | undefined {
  const out: Record<string, string> = { ...(desired ?? {}) };
  for (const key of [...ALWAYS_PRESERVED_ANNOTATIONS, ...preserved]) {
    const v = current?.[key];
    if (v !== undefined && !(key in out)) out[key] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Deep equality over JSON values, ignoring key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function planApplications(desired: GeneratedApplication[], current: CurrentApplication[], policy: ApplicationsSyncPolicy, preservedAnnotations: string[] = [], preservedLabels: string[] = []): ApplicationPlan {
  const byName = new Map(current.map((c) => [c.metadata.name, c]));
  const plan: ApplicationPlan = { create: [], update: [], delete: [] };
  const allowUpdate = policy === "sync" || policy === "create-update";
  const allowDelete = policy === "sync" || policy === "create-delete";
  for (const app of desired) {
    const cur = byName.get(app.metadata.name);
    if (!cur) {
      plan.create.push(app);
      continue;
    }
    if (!allowUpdate) continue;
    const want: GeneratedApplication = structuredClone(app);
    const annotations = mergedAnnotations(app.metadata.annotations, cur.metadata.annotations, preservedAnnotations);
    if (annotations) want.metadata.annotations = annotations;
    const labels: Record<string, string> = { ...(app.metadata.labels ?? {}) };
    for (const key of preservedLabels) {
      const v = cur.metadata.labels?.[key];
      if (v !== undefined && !(key in labels)) labels[key] = v;
    }
    if (Object.keys(labels).length > 0) want.metadata.labels = labels;
    const same =
      jsonEqual(want.spec, cur.spec ?? {}) &&
      jsonEqual(want.metadata.labels ?? {}, cur.metadata.labels ?? {}) &&
      jsonEqual(want.metadata.annotations ?? {}, cur.metadata.annotations ?? {}) &&
      jsonEqual(want.metadata.finalizers ?? [], cur.metadata.finalizers ?? []);
    if (!same) plan.update.push(want);
  }
  if (allowDelete) {
    const wanted = new Set(desired.map((a) => a.metadata.name));
    for (const c of current) if (!wanted.has(c.metadata.name)) plan.delete.push(c.metadata.name);
  }
  return plan;
}
