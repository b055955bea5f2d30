// RespectIgnoreDifferences=true: before a sync applies an object, the fields its ignoreDifferences
// rules match keep their live values instead of git's, as Argo copies the live values of ignored
// fields into the target (controller/sync.go normalizeTargetResources). An HPA-scaled
// `spec.replicas` that the app ignores then survives a sync that changes something else.
//
// The same normalisation as the diff: both sides lose the ignored fields (JSON pointers, jq paths,
// fields owned by the named managers); what the live side lost is then put back into the target.
import { settingsIgnoreDifferences, type ArgoSettings } from "../settings.js";
import { deepEqual } from "../../util/index.js";
import { clone, isObject, type Json, type JsonObject } from "./fields.js";
import { applyIgnoreRules, ignoreRulesOf, managedFieldSets, matchingRules, resourceIdOf, type IgnoreDifferencesEntry, type IgnoreResult } from "./normalize.js";

export interface RespectOptions {
  /** The Application's spec.ignoreDifferences. */
  ignoreDifferences?: IgnoreDifferencesEntry[];
  /** argocd-cm resource.customizations.ignoreDifferences.*. */
  settings?: Pick<ArgoSettings, "resourceOverrides">;
}

/**
 * The target with the live values at its ignored paths (absent where live has none). Without a
 * live object, or without a matching rule, the target is returned as it is. Inputs are not modified.
 */
export async function respectIgnoreDifferences(target: JsonObject, live: JsonObject | null | undefined, opts: RespectOptions): Promise<IgnoreResult> {
  if (!live) return { obj: target, warnings: [] };
  const rules = matchingRules([...ignoreRulesOf(opts.ignoreDifferences), ...(opts.settings ? settingsIgnoreDifferences(opts.settings) : [])], resourceIdOf(target));
  if (rules.length === 0) return { obj: target, warnings: [] };
  const owned = managedFieldSets(live, [...new Set(rules.flatMap((r) => r.managedFieldsManagers))]);
  const normTarget = await applyIgnoreRules(clone(target), rules, owned);
  const normLive = await applyIgnoreRules(clone(live), rules, owned);
  const obj = restoreIgnored(normTarget.obj, live, normLive.obj);
  return { obj: isObject(obj) ? obj : normTarget.obj, warnings: [...new Set([...normTarget.warnings, ...normLive.warnings])] };
}

/**
 * Puts back into `target` (in place where it can) what normalising `live` into `normLive` removed.
 * Object fields are restored by name; list items removed from live (a jq `select`) are inserted
 * at their live position; items changed inside are restored item by item.
 */
function restoreIgnored(target: Json | undefined, live: Json, normLive: Json | undefined): Json | undefined {
  if (normLive === undefined) return clone(live);
  if (deepEqual(live, normLive)) return target;
  if (isObject(live) && isObject(normLive)) {
    const out: JsonObject = isObject(target) ? target : {};
    for (const [k, v] of Object.entries(live)) {
      if (k in normLive && deepEqual(v, normLive[k])) continue;
      const restored = restoreIgnored(out[k], v, normLive[k]);
      if (restored !== undefined) out[k] = restored;
    }
    return out;
  }
  if (Array.isArray(live) && Array.isArray(normLive)) {
    // Without a list in git there is nothing to merge into: the live list stands.
    if (!Array.isArray(target)) return clone(live);
    const out = [...target];
    if (live.length === normLive.length) {
      live.forEach((item, i) => {
        if (i < out.length && !deepEqual(item, normLive[i])) out[i] = restoreIgnored(out[i], item, normLive[i]) ?? out[i]!;
      });
      return out;
    }
    // Items dropped whole: match the kept ones in order, re-insert the others where live has them.
    let kept = 0;
    live.forEach((item, i) => {
      if (kept < normLive.length && deepEqual(item, normLive[kept])) kept++;
      else out.splice(Math.min(i, out.length), 0, clone(item));
    });
    return out;
  }
  return target;
}
