// Per-resource diff: diff(desired, live, opts) → {modified, normalizedLive, predictedLive, …}.
// Both sides are normalised (normalize.ts), then live is compared with the *predicted* live object:
//   - server-side mode: the caller passes `predictedLive`, the result of a server-side apply dry
//     run of desired (ServerSideDryRunner; see docs/decisions.md). Defaults, webhooks and other
//     managers' fields are then exactly the apiserver's.
//   - client-side mode (default): predictLive (merge.ts) approximates the apply: fields present in
//     desired must match live; fields only in live are ignored unless they were in the
//     last-applied configuration (we set them once and removed them since). With no last-applied
//     annotation desired itself stands in for it (Argo's two-way fallback).
import { ANNOTATION_COMPARE_OPTIONS } from "../../api/annotations.js";
import { DEFAULT_COMPARE_OPTIONS, knownTypeFieldPaths, settingsIgnoreDifferences, type ArgoSettings } from "../settings.js";
import type { IgnoreDifferencesEntry } from "./normalize.js";
import { clone, isObject, projectFieldSet, type Json, type JsonObject } from "./fields.js";
import { predictLive } from "./merge.js";
import { applyIgnoreRules, ignoreRulesOf, LAST_APPLIED_ANNOTATION, managedFieldSets, matchingRules, preNormalize, resourceIdOf } from "./normalize.js";
import { deepEqual } from "../../util/index.js";

export { deepEqual } from "../../util/index.js";
export { keepDecodedFields, quantityNanos, quantitiesEqual, type Json, type JsonObject } from "./fields.js";
export { unifiedDiff } from "./unified.js";
// For the sync path (RespectIgnoreDifferences) and the controller's own normalisation needs.
export { applyIgnoreRules, matchingRules, resourceIdOf } from "./normalize.js";
export { respectIgnoreDifferences, type RespectOptions } from "./respect.js";

/** The controller implements this with a server-side apply dry run (dryRun=All, its field manager). */
export interface ServerSideDryRunner {
  /** The object the apiserver would store if `desired` were applied now. */
  dryRunApply(desired: JsonObject): Promise<JsonObject>;
}

export type { IgnoreDifferencesEntry } from "./normalize.js";

export interface DiffOptions {
  /** The Application's spec.ignoreDifferences. */
  ignoreDifferences?: IgnoreDifferencesEntry[];
  /** argocd-cm settings: compare options and resource.customizations.ignoreDifferences.*. */
  settings?: Pick<ArgoSettings, "resourceOverrides" | "compareOptions">;
  /** Result of ServerSideDryRunner.dryRunApply(desired); switches to server-side mode. */
  predictedLive?: JsonObject;
  /**
   * The field manager our server-side applies use. Without a last-applied annotation, the fields
   * it owns in live (managedFields) stand for what was last applied, so a field removed from git
   * is seen as drift (three-way), as kubectl's annotation lets Argo see it.
   */
  fieldManager?: string;
}

export type DiffMode = "server-side" | "three-way" | "two-way" | "create" | "prune" | "none";

export interface DiffResult {
  modified: boolean;
  mode: DiffMode;
  normalizedDesired: JsonObject | null;
  normalizedLive: JsonObject | null;
  predictedLive: JsonObject | null;
  /** The resource carries compare-options IgnoreExtraneous: an extra live copy does not count. */
  ignoreExtraneous: boolean;
  /** Normaliser problems (a failing jq expression, a bad pointer); the diff still ran without them. */
  warnings: string[];
}

function hasIgnoreExtraneous(obj: JsonObject | null): boolean {
  const meta = obj && isObject(obj.metadata) ? obj.metadata : undefined;
  const value = meta && isObject(meta.annotations) ? meta.annotations[ANNOTATION_COMPARE_OPTIONS] : undefined;
  return typeof value === "string" && value.split(",").some((o) => o.trim() === "IgnoreExtraneous");
}

/** What `manager` last applied, as far as managedFields tell: the live values of the fields it owns. */
function appliedBy(live: JsonObject, manager: string): JsonObject | undefined {
  const meta = isObject(live.metadata) ? live.metadata : undefined;
  const entries = meta && Array.isArray(meta.managedFields) ? meta.managedFields : [];
  const mine = entries.find((e): e is JsonObject => isObject(e) && e.manager === manager && e.operation === "Apply" && (e.subresource ?? "") === "");
  if (!mine) return undefined;
  const projected = projectFieldSet(live, mine.fieldsV1);
  if (!isObject(projected)) return undefined;
  return { ...projected, apiVersion: live.apiVersion ?? "", kind: live.kind ?? "" };
}

function lastApplied(live: JsonObject): JsonObject | undefined {
  const meta = isObject(live.metadata) ? live.metadata : undefined;
  const raw = meta && isObject(meta.annotations) ? meta.annotations[LAST_APPLIED_ANNOTATION] : undefined;
  if (typeof raw !== "string") return undefined;
  try {
    const parsed = JSON.parse(raw) as Json;
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function diff(desired: JsonObject | null, live: JsonObject | null, opts: DiffOptions = {}): Promise<DiffResult> {
  const compare = opts.settings?.compareOptions ?? DEFAULT_COMPARE_OPTIONS;
  const ignoreExtraneous = hasIgnoreExtraneous(desired) || hasIgnoreExtraneous(live);
  const anchor = desired ?? live;
  if (!anchor) return { modified: false, mode: "none", normalizedDesired: null, normalizedLive: null, predictedLive: null, ignoreExtraneous, warnings: [] };
  const rules = matchingRules([...ignoreRulesOf(opts.ignoreDifferences), ...(opts.settings ? settingsIgnoreDifferences(opts.settings) : [])], resourceIdOf(anchor));
  const owned = managedFieldSets(live, [...new Set(rules.flatMap((r) => r.managedFieldsManagers))]);
  const warnings: string[] = [];
  const normalize = async (obj: JsonObject): Promise<JsonObject> => {
    const copy = clone(obj);
    preNormalize(copy, compare);
    const res = await applyIgnoreRules(copy, rules, owned);
    warnings.push(...res.warnings);
    return res.obj;
  };

  const normDesired = desired ? await normalize(desired) : null;
  const normLive = live ? await normalize(live) : null;
  const result = (modified: boolean, mode: DiffMode, predicted: JsonObject | null): DiffResult => ({
    modified, mode, normalizedDesired: normDesired, normalizedLive: normLive, predictedLive: predicted, ignoreExtraneous, warnings: [...new Set(warnings)],
  });
  if (!normDesired) return result(true, "prune", null);
  if (!normLive || !live) return result(true, "create", normDesired);

  if (opts.predictedLive) {
    const predicted = await normalize(opts.predictedLive);
    return result(!deepEqual(predicted, normLive), "server-side", predicted);
  }
  const applied = lastApplied(live) ?? (opts.fieldManager ? appliedBy(live, opts.fieldManager) : undefined);
  const original = applied ? await normalize(applied) : normDesired;
  const anchorId = resourceIdOf(normDesired);
  const typedFields = opts.settings ? knownTypeFieldPaths(opts.settings, anchorId.group, anchorId.kind) : [];
  const predicted = predictLive(normLive, normDesired, original, typedFields);
  return result(!deepEqual(predicted, normLive), applied ? "three-way" : "two-way", predicted);
}

/** diff() in server-side mode, asking the runner for the predicted object (not for creates). */
export async function diffServerSide(desired: JsonObject | null, live: JsonObject | null, runner: ServerSideDryRunner, opts: DiffOptions = {}): Promise<DiffResult> {
  if (!desired || !live) return diff(desired, live, opts);
  return diff(desired, live, { ...opts, predictedLive: await runner.dryRunApply(desired) });
}

const MASK = "++++++++";

/**
 * Secrets' data values replaced by masks for display: equal values share a mask, changed ones
 * differ. A Secret's last-applied-configuration annotation holds its data in clear (kubectl apply
 * writes it), so it is masked too, as Argo does. `sensitiveAnnotations` (argocd-cm
 * resource.sensitive.mask.annotations) masks those annotations' values the same way, on every
 * kind: Argo masks them on Secrets; a key the admin listed as sensitive is hidden wherever it is.
 */
export function maskSecrets(a: JsonObject | null, b: JsonObject | null, sensitiveAnnotations: readonly string[] = []): [JsonObject | null, JsonObject | null] {
  const anchor = a ?? b;
  if (!anchor) return [a, b];
  const secret = resourceIdOf(anchor).group === "" && resourceIdOf(anchor).kind === "Secret";
  const keys = secret ? [...sensitiveAnnotations, LAST_APPLIED_ANNOTATION] : [...sensitiveAnnotations];
  if (!secret && !keys.some((k) => hasAnnotation(a, k) || hasAnnotation(b, k))) return [a, b];
  const ma = a ? clone(a) : null;
  const mb = b ? clone(b) : null;
  const maskFields = (da: JsonObject | undefined, db: JsonObject | undefined, only?: readonly string[]): void => {
    for (const k of new Set([...Object.keys(da ?? {}), ...Object.keys(db ?? {})])) {
      if (only && !only.includes(k)) continue;
      const same = da?.[k] !== undefined && db?.[k] !== undefined && deepEqual(da[k], db[k]);
      if (da && da[k] !== undefined) da[k] = MASK;
      if (db && db[k] !== undefined) db[k] = same ? MASK : `${MASK}+`;
    }
  };
  if (secret) {
    for (const field of ["data", "stringData"]) {
      maskFields(ma && isObject(ma[field]) ? ma[field] : undefined, mb && isObject(mb[field]) ? mb[field] : undefined);
    }
  }
  maskFields(annotationsOf(ma), annotationsOf(mb), keys);
  return [ma, mb];
}

function annotationsOf(o: JsonObject | null): JsonObject | undefined {
  const meta = o && isObject(o.metadata) ? o.metadata : undefined;
  return meta && isObject(meta.annotations) ? meta.annotations : undefined;
}

function hasAnnotation(o: JsonObject | null, key: string): boolean {
  return annotationsOf(o)?.[key] !== undefined;
}

/** argocd-cm resource.sensitive.mask.annotations: comma-separated annotation keys. */
export function sensitiveAnnotationKeys(cm: Record<string, string> | undefined): string[] {
  return (cm?.["resource.sensitive.mask.annotations"] ?? "").split(",").map((k) => k.trim()).filter((k) => k !== "");
}
