// Normalisations applied to both sides before comparing (Argo CD gitops-engine diff.go and
// util/argo/normalizers): server-owned metadata, status per ignoreResourceStatusField, Secret
// stringData, aggregated ClusterRole rules, and ignoreDifferences rules (JSON pointers, jq path
// expressions, fields owned by named managers).
import { json as jq } from "jq-wasm";
import type { ResourceIgnoreDifferences } from "../../api/generated/application.js";
import { gobwasMatch } from "../../util/glob.js";
import type { CompareOptions, ResolvedIgnoreDifferences } from "../settings.js";
import { isObject, removeFieldSet, removePointer, type Json, type JsonObject } from "./fields.js";
import { errorFirstLine, errorMessage } from "../../util/index.js";

/** App-level spec.ignoreDifferences entry (the Application CRD's shape). */
export type IgnoreDifferencesEntry = ResourceIgnoreDifferences;

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/** Metadata the apiserver owns; never part of a comparison. */
const SERVER_METADATA = ["managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"];

export interface ResourceId {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export function resourceIdOf(obj: JsonObject): ResourceId {
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  return {
    group: apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "",
    kind: typeof obj.kind === "string" ? obj.kind : "",
    namespace: typeof meta.namespace === "string" ? meta.namespace : "",
    name: typeof meta.name === "string" ? meta.name : "",
  };
}

/** In place: removes null-valued fields, which the apiserver treats as absent (Argo's remarshal drops them too). */
export function dropNulls(v: Json): void {
  if (Array.isArray(v)) v.forEach(dropNulls);
  else if (isObject(v)) {
    for (const [k, child] of Object.entries(v)) {
      if (child === null) delete v[k];
      else dropNulls(child);
    }
  }
}

/** In place: drops nulls, server-owned metadata, status per the compare options, and Secret stringData. */
export function preNormalize(obj: JsonObject, compare: CompareOptions): void {
  dropNulls(obj);
  const meta = obj.metadata;
  if (isObject(meta)) {
    for (const k of SERVER_METADATA) delete meta[k];
    if (isObject(meta.annotations)) {
      delete meta.annotations[LAST_APPLIED_ANNOTATION];
      if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
    }
    if (isObject(meta.labels) && Object.keys(meta.labels).length === 0) delete meta.labels;
  }
  const id = resourceIdOf(obj);
  const isCRD = id.group === "apiextensions.k8s.io" && id.kind === "CustomResourceDefinition";
  if (compare.ignoreResourceStatusField === "all" || (compare.ignoreResourceStatusField === "crd" && isCRD)) delete obj.status;
  if (id.group === "" && id.kind === "Secret" && isObject(obj.stringData)) {
    // The apiserver folds stringData into data (stringData wins), so compare in that form.
    const data: JsonObject = isObject(obj.data) ? obj.data : {};
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(typeof v === "string" ? v : JSON.stringify(v), "utf8").toString("base64");
    obj.data = data;
    delete obj.stringData;
  }
  if (compare.ignoreAggregatedRoles && id.group === "rbac.authorization.k8s.io" && id.kind === "ClusterRole" && obj.aggregationRule !== undefined) {
    // The aggregation controller fills rules in; they are not ours to compare.
    delete obj.rules;
  }
}

/** App-level spec.ignoreDifferences entries as resolved rules. */
export function ignoreRulesOf(entries: IgnoreDifferencesEntry[] | undefined): ResolvedIgnoreDifferences[] {
  return (entries ?? []).map((e) => ({
    group: e.group ?? "",
    kind: e.kind,
    name: e.name,
    namespace: e.namespace,
    jsonPointers: e.jsonPointers ?? [],
    jqPathExpressions: e.jqPathExpressions ?? [],
    managedFieldsManagers: e.managedFieldsManagers ?? [],
  }));
}

/** Rules that apply to a resource: group/kind globs ("*" for all), exact name/namespace when set. */
export function matchingRules(rules: ResolvedIgnoreDifferences[], id: ResourceId): ResolvedIgnoreDifferences[] {
  return rules.filter(
    (r) => gobwasMatch(r.group || "", id.group) && gobwasMatch(r.kind, id.kind) && (!r.name || r.name === id.name) && (!r.namespace || r.namespace === id.namespace),
  );
}

/** Field sets of managedFields entries owned by the given managers, from the live object. */
export function managedFieldSets(live: JsonObject | null, managers: string[]): Json[] {
  if (!live || managers.length === 0) return [];
  const meta = isObject(live.metadata) ? live.metadata : {};
  const entries = Array.isArray(meta.managedFields) ? meta.managedFields : [];
  return entries.filter((e): e is JsonObject => isObject(e) && typeof e.manager === "string" && managers.includes(e.manager)).map((e) => e.fieldsV1 ?? null);
}

// jq-wasm's runtime sets process.exitCode to jq's exit status on every call (0, or 3/5 on errors);
// restore it so evaluating a user's expression cannot change this process's exit status.
export async function runJq(input: JsonObject, filter: string): Promise<unknown> {
  const saved = process.exitCode;
  try {
    return await jq(input, filter, ["-c"]);
  } finally {
    process.exitCode = saved;
  }
}

export interface IgnoreResult {
  obj: JsonObject;
  warnings: string[];
}

/**
 * Applies ignoreDifferences rules to one object. JSON pointers and managed-field sets are applied
 * in place; jq expressions run as `del(<expr>)` (Argo's form), and a failing one is skipped with a
 * warning, as Argo logs and continues.
 */
export async function applyIgnoreRules(obj: JsonObject, rules: ResolvedIgnoreDifferences[], ownedSets: Json[]): Promise<IgnoreResult> {
  const warnings: string[] = [];
  let cur = obj;
  for (const set of ownedSets) removeFieldSet(cur, set);
  for (const rule of rules) {
    for (const p of rule.jsonPointers) {
      try {
        removePointer(cur, p);
      } catch (err) {
        warnings.push(errorMessage(err));
      }
    }
    for (const expr of rule.jqPathExpressions) {
      try {
        const out = await runJq(cur, `del(${expr})`);
        if (isObject(out)) cur = out;
        else warnings.push(`jq path expression ${expr} did not produce an object`);
      } catch (err) {
        warnings.push(`jq path expression ${expr}: ${errorFirstLine(err)}`);
      }
    }
  }
  return { obj: cur, warnings };
}
