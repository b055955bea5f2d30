// The predicted live object when no server-side dry run is available: what applying `desired` to
// `live` would leave, given `original` (the last-applied configuration, or desired itself when there
// is none — Argo's two-way fallback). The rule, a client-side approximation of a strategic merge:
//   - fields in desired replace live's values (recursively for objects);
//   - fields only in live are kept (defaults, other controllers), unless they are in original and
//     no longer in desired: then we set them before and removed them, so they go;
//   - lists of objects that share a merge key (name, containerPort, port, mountPath, …) merge item
//     by item, keeping live's order and live-only items; other lists are replaced, except that lists
//     of objects with the same length merge index by index (so defaults inside items do not count);
//   - an empty list or map in desired equals an absent field in live (the apiserver omits them);
//   - for built-in kinds, a zero scalar in desired ("", false, 0) equals an absent field in live:
//     the apiserver serialises typed objects with omitempty, so `env: [{name: X, value: ""}]` or
//     `readOnly: false` come back without the field (Argo gets the same by round-tripping known
//     types through their Go structs). Pointer fields keep their zero (`replicas: 0` stays in
//     live), so a real change to zero is still seen. Custom resources are stored as sent: no rule,
//     except below the fields argocd-cm's `knownTypeFields` names (a Rollout's PodSpec at
//     spec.template.spec): those subtrees are Kubernetes types and get the same rule.
//   - a quantity equal in value to live's (cpu "1000m" vs "1") keeps live's spelling.
import { isObject, quantitiesEqual, type Json, type JsonObject } from "./fields.js";
import { deepEqual } from "../../util/index.js";

const MERGE_KEYS = ["name", "containerPort", "port", "mountPath", "devicePath", "ip", "topologyKey"];
// Maps whose values are quantities (resources.limits/requests, ResourceQuota hard, PV capacity).
const QUANTITY_PARENTS = new Set(["limits", "requests", "hard", "capacity"]);
// API groups served by kube-apiserver itself from typed Go structs (omitempty applies).
const BUILT_IN_GROUPS = new Set([
  "", "apps", "batch", "autoscaling", "policy", "extensions", "networking.k8s.io", "rbac.authorization.k8s.io",
  "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io",
  "certificates.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
  "flowcontrol.apiserver.k8s.io", "events.k8s.io", "resource.k8s.io", "internal.apiserver.k8s.io",
  "storagemigration.k8s.io",
]);

function isBuiltIn(apiVersion: Json | undefined): boolean {
  if (typeof apiVersion !== "string") return false;
  const slash = apiVersion.indexOf("/");
  return BUILT_IN_GROUPS.has(slash < 0 ? "" : apiVersion.slice(0, slash));
}

const isZeroScalar = (v: Json): boolean => v === "" || v === false || v === 0;

function mergeKey(lists: Json[][]): string | undefined {
  return MERGE_KEYS.find((key) =>
    lists.every((list) => {
      const seen = new Set<string>();
      return list.every((item) => {
        if (!isObject(item) || item[key] === undefined) return false;
        const id = JSON.stringify(item[key]);
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    }),
  );
}

/**
 * `typedFields`: paths (["spec", "template", "spec"]) below which a custom resource holds a
 * Kubernetes type (argocd-cm knownTypeFields).
 */
export function predictLive(live: JsonObject, desired: JsonObject, original: JsonObject, typedFields: readonly string[][] = []): JsonObject {
  const typed = isBuiltIn(desired.apiVersion);
  return merge(live, desired, original, "", false, typed, typed ? [] : typedFields) as JsonObject;
}

/** The typed-field paths left below key `k`, and whether `k` itself starts a typed subtree. */
function descend(paths: readonly string[][], k: string): { typed: boolean; rest: string[][] } {
  const rest: string[][] = [];
  let typed = false;
  for (const p of paths) {
    if (p[0] !== k) continue;
    if (p.length === 1) typed = true;
    else rest.push(p.slice(1));
  }
  return { typed, rest };
}

function isEmptyCollection(v: Json): boolean {
  return Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0;
}

function merge(live: Json | undefined, desired: Json, original: Json | undefined, ownKey: string, isQuantity: boolean, typed: boolean, typedFields: readonly string[][] = []): Json {
  if (isObject(desired) && isObject(live)) {
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(desired)) {
      // An empty list or map in git is what the apiserver omits (omitempty): absent in live is equal.
      if (live[k] === undefined && isEmptyCollection(v)) continue;
      if (typed && live[k] === undefined && isZeroScalar(v)) continue;
      const below = typedFields.length > 0 ? descend(typedFields, k) : { typed: false, rest: [] };
      out[k] = merge(live[k], v, isObject(original) ? original[k] : undefined, k, QUANTITY_PARENTS.has(ownKey), typed || below.typed, below.rest);
    }
    if (isObject(original)) for (const k of Object.keys(original)) if (!(k in desired)) delete out[k];
    return out;
  }
  if (Array.isArray(desired) && Array.isArray(live)) return mergeList(live, desired, Array.isArray(original) ? original : undefined, ownKey, typed, typedFields);
  if (isQuantity && live !== undefined && !deepEqual(live, desired) && quantitiesEqual(live, desired)) return live;
  return desired;
}

function mergeList(live: Json[], desired: Json[], original: Json[] | undefined, ownKey: string, typed: boolean, typedFields: readonly string[][]): Json[] {
  const key = desired.length > 0 && live.length > 0 ? mergeKey(original ? [live, desired, original] : [live, desired]) : undefined;
  if (key) {
    const id = (item: Json): string => JSON.stringify((item as JsonObject)[key]);
    const desiredById = new Map(desired.map((d) => [id(d), d]));
    const originalIds = new Set((original ?? []).map(id));
    const out: Json[] = [];
    const liveIds = new Set<string>();
    for (const l of live) {
      const k = id(l);
      liveIds.add(k);
      const d = desiredById.get(k);
      if (d !== undefined) out.push(merge(l, d, original?.find((o) => id(o) === k), ownKey, false, typed, typedFields));
      else if (!originalIds.has(k)) out.push(l);
    }
    for (const d of desired) if (!liveIds.has(id(d))) out.push(d);
    return out;
  }
  if (live.length === desired.length && desired.every(isObject) && live.every(isObject)) {
    return desired.map((d, i) => merge(live[i], d, original?.length === desired.length ? original[i] : undefined, ownKey, false, typed, typedFields));
  }
  return desired;
}
