// What the ApplicationSet controller changes, decided from the desired Applications, the ones it
// already owns, and `syncPolicy.applicationsSync` (Argo's create-only, create-update,
// create-delete, sync), `preservedFields` and `ignoreApplicationDifferences`. No I/O: the
// controller carries the plan out.
import { applyIgnoreApplicationDifferences, parseIgnoreApplicationDifferences, rulesFor, type AppFields, type IgnoreApplicationDifference } from "./ignore-differences.js";
import type { GeneratedApplication } from "./render.js";
import { isRecord } from "../util/index.js";

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
  /** ignoreApplicationDifferences rules that could not be applied. */
  warnings: string[];
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

export interface PlanOptions {
  /** `preservedFields.annotations` (plus the always-preserved ones). */
  preservedAnnotations?: string[];
  /** `preservedFields.labels`. */
  preservedLabels?: string[];
  /** `ignoreApplicationDifferences`. */
  ignore?: IgnoreApplicationDifference[];
}

/** The ApplicationSet's own options for planning: preservedFields and ignoreApplicationDifferences. */
export function planOptionsFrom(spec: Record<string, unknown>): PlanOptions {
  const preserved = isRecord(spec.preservedFields) ? spec.preservedFields : {};
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  return { preservedAnnotations: strings(preserved.annotations), preservedLabels: strings(preserved.labels), ignore: parseIgnoreApplicationDifferences(spec.ignoreApplicationDifferences) };
}

export async function planApplications(desired: GeneratedApplication[], current: CurrentApplication[], policy: ApplicationsSyncPolicy, options: PlanOptions = {}): Promise<ApplicationPlan> {
  const byName = new Map(current.map((c) => [c.metadata.name, c]));
  const plan: ApplicationPlan = { create: [], update: [], delete: [], warnings: [] };
  const allowUpdate = policy === "sync" || policy === "create-update";
  const allowDelete = policy === "sync" || policy === "create-delete";
  for (const app of desired) {
    const cur = byName.get(app.metadata.name);
    if (!cur) {
      plan.create.push(app);
      continue;
    }
    if (!allowUpdate) continue;
    let want: GeneratedApplication = structuredClone(app);
    const annotations = mergedAnnotations(app.metadata.annotations, cur.metadata.annotations, options.preservedAnnotations ?? []);
    if (annotations) want.metadata.annotations = annotations;
    const labels: Record<string, string> = { ...(app.metadata.labels ?? {}) };
    for (const key of options.preservedLabels ?? []) {
      const v = cur.metadata.labels?.[key];
      if (v !== undefined && !(key in labels)) labels[key] = v;
    }
    if (Object.keys(labels).length > 0) want.metadata.labels = labels;
    const rules = rulesFor(options.ignore ?? [], app.metadata.name);
    if (rules.length > 0) {
      want = await withIgnoredFromLive(want, cur, rules, plan.warnings);
    }
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

async function withIgnoredFromLive(want: GeneratedApplication, cur: CurrentApplication, rules: IgnoreApplicationDifference[], warnings: string[]): Promise<GeneratedApplication> {
  const pick = (m: CurrentApplication["metadata"] | GeneratedApplication["metadata"]): AppFields["metadata"] => ({
    ...(m.labels ? { labels: m.labels } : {}),
    ...(m.annotations ? { annotations: m.annotations } : {}),
    ...(m.finalizers ? { finalizers: m.finalizers } : {}),
  });
  const out = await applyIgnoreApplicationDifferences({ metadata: pick(want.metadata), spec: want.spec }, { metadata: pick(cur.metadata), spec: cur.spec ?? {} }, rules);
  for (const w of out.warnings) warnings.push(`application "${want.metadata.name}": ignoreApplicationDifferences: ${w}`);
  const { labels: _l, annotations: _a, finalizers: _f, ...identity } = want.metadata;
  const m = out.desired.metadata;
  return {
    ...want,
    metadata: { ...identity, ...(m.labels && Object.keys(m.labels).length > 0 ? { labels: m.labels } : {}), ...(m.annotations && Object.keys(m.annotations).length > 0 ? { annotations: m.annotations } : {}), ...(m.finalizers ? { finalizers: m.finalizers } : {}) },
    spec: out.desired.spec,
  };
}
