// The argocd-cm keys the diff and health engines use, parsed from a ConfigMap's `data` with Argo
// CD's names and defaults (util/settings): resource.customizations (the YAML blob and the split
// `resource.customizations.<type>.<group_Kind>` keys), resource.compareoptions and
// resource.exclusions/inclusions. Problems are collected in `errors` rather than thrown, so one bad
// key does not disable the others (the controller reports them as a condition).
import { parseGlobalProjects, type GlobalProjectSetting } from "./global-projects.js";
import { parse } from "yaml";
import { gobwasMatch } from "../util/glob.js";
import { parseGoDuration } from "./sync/duration.js";
import { errorFirstLine, errorMessage, isRecord } from "../util/index.js";
import type { TrackingMethod } from "./tracking.js";

export interface IgnoreDifferencesRule {
  jsonPointers: string[];
  jqPathExpressions: string[];
  managedFieldsManagers: string[];
}

export interface ResourceOverride {
  healthLua?: string;
  useOpenLibs?: boolean;
  actions?: string;
  ignoreDifferences?: IgnoreDifferencesRule;
  ignoreResourceUpdates?: IgnoreDifferencesRule;
  knownTypeFields?: { field: string; type: string }[];
}

export type IgnoreResourceStatusField = "all" | "crd" | "none";

export interface CompareOptions {
  ignoreAggregatedRoles: boolean;
  /** Which objects' `status` is left out of diffs; Argo's default since 3.0 is `all`. */
  ignoreResourceStatusField: IgnoreResourceStatusField;
  ignoreDifferencesOnResourceUpdates: boolean;
}

export interface FilteredResource {
  apiGroups: string[];
  kinds: string[];
  clusters: string[];
}

export interface ArgoSettings {
  /** Keyed like Argo: "group/Kind", "Kind" for the core group; "*" wildcards allowed. */
  resourceOverrides: Map<string, ResourceOverride>;
  compareOptions: CompareOptions;
  resourceExclusions: FilteredResource[];
  resourceInclusions: FilteredResource[];
  /** `installationID`: marks this instance's resources when several share a cluster. */
  installationID?: string;
  /** `application.resourceTrackingMethod` (Argo 3 default: annotation). */
  trackingMethod: TrackingMethod;
  /** `application.instanceLabelKey`. */
  instanceLabelKey: string;
  /**
   * `timeout.reconciliation` (Go duration; "0" turns periodic refresh off) and
   * `timeout.reconciliation.jitter`; undefined when argocd-cm does not set them.
   */
  reconciliationTimeoutMs?: number;
  reconciliationJitterMs?: number;
  /** `timeout.hard.reconciliation` (Go duration; "0" is off); undefined when argocd-cm does not set it. */
  hardReconciliationTimeoutMs?: number;
  /**
   * `cluster.inClusterEnabled`: false hides the implicit in-cluster destination. A value other than
   * "true" or "false" disables it too (fail closed) and is described in `inClusterError`.
   */
  inClusterEnabled: boolean;
  inClusterError?: string;
  /** `application.sync.impersonation.enabled`: syncs run as the project's destinationServiceAccounts. */
  syncImpersonationEnabled: boolean;
  /** `globalProjects`: projects lending parts of their spec to label-selected projects (engine/global-projects.ts). */
  globalProjects: GlobalProjectSetting[];
  /** Why `globalProjects` could not be read; every app is then refused (its project's rules are unknown). */
  globalProjectsError?: string;
  errors: string[];
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  ignoreAggregatedRoles: false,
  ignoreResourceStatusField: "all",
  ignoreDifferencesOnResourceUpdates: false,
};

export function defaultSettings(): ArgoSettings {
  return {
    resourceOverrides: new Map(), compareOptions: { ...DEFAULT_COMPARE_OPTIONS }, resourceExclusions: [], resourceInclusions: [],
    trackingMethod: "annotation", instanceLabelKey: "app.kubernetes.io/instance", inClusterEnabled: true, syncImpersonationEnabled: false, globalProjects: [], errors: [],
  };
}

const PREFIX = "resource.customizations.";
const SPLIT_TYPES = ["health", "useOpenLibs", "actions", "ignoreDifferences", "ignoreResourceUpdates", "knownTypeFields"] as const;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

function parseYaml(text: string, key: string, errors: string[]): unknown {
  try {
    return parse(text, { version: "1.1", maxAliasCount: 100 }) as unknown;
  } catch (err) {
    errors.push(`${key}: invalid YAML: ${errorFirstLine(err)}`);
    return undefined;
  }
}

function toIgnoreRule(v: unknown): IgnoreDifferencesRule {
  const r = isRecord(v) ? v : {};
  return { jsonPointers: strings(r.jsonPointers), jqPathExpressions: strings(r.jqPathExpressions), managedFieldsManagers: strings(r.managedFieldsManagers) };
}

function toKnownTypeFields(v: unknown): { field: string; type: string }[] {
  return (Array.isArray(v) ? v : []).filter(isRecord).map((f) => ({ field: typeof f.field === "string" ? f.field : "", type: typeof f.type === "string" ? f.type : "" }));
}

/** `<group>_<Kind>` → "group/Kind"; `<Kind>` → "Kind"; `all` → "*\/*" (Argo convertToOverrideKey). */
export function overrideKeyFromSuffix(suffix: string): string | undefined {
  if (suffix === "all") return "*/*";
  const parts = suffix.split("_");
  if (parts.length === 2 && parts[0] !== "" && parts[1] !== "") return `${parts[0]}/${parts[1]}`;
  if (parts.length === 1 && suffix !== "") return suffix;
  return undefined;
}

/** The override key for a group and Kind: "Kind" for the core group, else "group/Kind". */
export function overrideKey(group: string, kind: string): string {
  return group === "" ? kind : `${group}/${kind}`;
}

/** Splits an override key back into group and Kind ("Kind" alone is the core group). */
export function groupKindOfKey(key: string): { group: string; kind: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { group: "", kind: key } : { group: key.slice(0, slash), kind: key.slice(slash + 1) };
}

function parseFilteredResources(text: string, key: string, errors: string[]): FilteredResource[] {
  const v = parseYaml(text, key, errors);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    errors.push(`${key}: expected a list of {apiGroups, kinds, clusters}`);
    return [];
  }
  return v.filter(isRecord).map((r) => ({ apiGroups: strings(r.apiGroups), kinds: strings(r.kinds), clusters: strings(r.clusters) }));
}

function parseCompareOptions(text: string, errors: string[]): CompareOptions {
  const out = { ...DEFAULT_COMPARE_OPTIONS };
  const v = parseYaml(text, "resource.compareoptions", errors);
  if (!isRecord(v)) return out;
  if (typeof v.ignoreAggregatedRoles === "boolean") out.ignoreAggregatedRoles = v.ignoreAggregatedRoles;
  if (typeof v.ignoreDifferencesOnResourceUpdates === "boolean") out.ignoreDifferencesOnResourceUpdates = v.ignoreDifferencesOnResourceUpdates;
  const field = v.ignoreResourceStatusField;
  if (field !== undefined) {
    // Argo accepts "off" as a synonym of "none".
    if (field === "all" || field === "crd" || field === "none") out.ignoreResourceStatusField = field;
    // YAML 1.1 reads an unquoted `off` as false.
    else if (field === "off" || field === false) out.ignoreResourceStatusField = "none";
    else errors.push(`resource.compareoptions: unknown ignoreResourceStatusField ${JSON.stringify(field)} (all, crd, none)`);
  }
  return out;
}

/**
 * argocd-cm `cluster.inClusterEnabled`: on unless "false", as Argo reads it; a value other than
 * "true" or "false" turns it off (fail closed) and says why.
 */
export function parseInClusterEnabled(raw: string | undefined): { enabled: boolean; error?: string } {
  const v = raw?.trim();
  if (v === undefined || v === "" || v === "true") return { enabled: true };
  if (v === "false") return { enabled: false };
  return { enabled: false, error: `cluster.inClusterEnabled must be "true" or "false", got ${JSON.stringify(raw)}` };
}

export function parseArgoSettings(data: Record<string, string> | undefined): ArgoSettings {
  const settings = defaultSettings();
  const { errors, resourceOverrides: overrides } = settings;
  const d = data ?? {};
  if (d.installationID?.trim()) settings.installationID = d.installationID.trim();
  const method = d["application.resourceTrackingMethod"]?.trim();
  if (method === "annotation" || method === "label" || method === "annotation+label") settings.trackingMethod = method;
  else if (method) errors.push(`application.resourceTrackingMethod: unknown method "${method}" (annotation, label or annotation+label)`);
  const impersonation = d["application.sync.impersonation.enabled"]?.trim();
  if (impersonation !== undefined && impersonation !== "") {
    // Go's ParseBool spellings. Anything else fails closed: the user meant to turn it on, and
    // reading it as "off" would sync with the operator's own, wider rights.
    if (["1", "t", "T", "true", "TRUE", "True"].includes(impersonation)) settings.syncImpersonationEnabled = true;
    else if (!["0", "f", "F", "false", "FALSE", "False"].includes(impersonation)) {
      settings.syncImpersonationEnabled = true;
      errors.push(`application.sync.impersonation.enabled: "${impersonation}" is not true or false; impersonation stays on until it is fixed`);
    }
  }
  if (d["application.instanceLabelKey"]?.trim()) settings.instanceLabelKey = d["application.instanceLabelKey"].trim();
  if (d.globalProjects?.trim()) {
    const yamlErrors: string[] = [];
    const parsed = parseGlobalProjects(parseYaml(d.globalProjects, "globalProjects", yamlErrors));
    const error = yamlErrors[0] ?? parsed.error;
    if (error) {
      settings.globalProjectsError = error;
      errors.push(error);
    } else settings.globalProjects = parsed.entries;
  }
  const get = (key: string): ResourceOverride => {
    let o = overrides.get(key);
    if (!o) overrides.set(key, (o = {}));
    return o;
  };

  // The legacy blob first: the split keys override it (Argo merges them on top).
  const blob = d["resource.customizations"];
  if (blob !== undefined) {
    const v = parseYaml(blob, "resource.customizations", errors);
    if (isRecord(v)) {
      for (const [key, raw] of Object.entries(v)) {
        if (!isRecord(raw)) continue;
        const o = get(key);
        if (typeof raw["health.lua"] === "string") o.healthLua = raw["health.lua"];
        if (typeof raw["health.lua.useOpenLibs"] === "boolean") o.useOpenLibs = raw["health.lua.useOpenLibs"];
        if (typeof raw.actions === "string") o.actions = raw.actions;
        if (typeof raw.ignoreDifferences === "string") o.ignoreDifferences = toIgnoreRule(parseYaml(raw.ignoreDifferences, `resource.customizations[${key}].ignoreDifferences`, errors));
        if (typeof raw.ignoreResourceUpdates === "string") o.ignoreResourceUpdates = toIgnoreRule(parseYaml(raw.ignoreResourceUpdates, `resource.customizations[${key}].ignoreResourceUpdates`, errors));
        if (raw.knownTypeFields !== undefined) o.knownTypeFields = toKnownTypeFields(raw.knownTypeFields);
      }
    } else if (v !== undefined && v !== null) errors.push("resource.customizations: expected a map keyed by group/Kind");
  }

  for (const [fullKey, value] of Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!fullKey.startsWith(PREFIX)) continue;
    const rest = fullKey.slice(PREFIX.length);
    const type = SPLIT_TYPES.find((t) => rest.startsWith(`${t}.`));
    if (!type) continue;
    const key = overrideKeyFromSuffix(rest.slice(type.length + 1));
    if (!key) {
      errors.push(`${fullKey}: expected resource.customizations.${type}.<group>_<Kind> or .<Kind>`);
      continue;
    }
    if (key === "*/*" && type !== "ignoreDifferences" && type !== "ignoreResourceUpdates") {
      errors.push(`${fullKey}: "all" is only valid for ignoreDifferences and ignoreResourceUpdates`);
      continue;
    }
    const o = get(key);
    switch (type) {
      case "health":
        o.healthLua = value;
        break;
      case "useOpenLibs":
        o.useOpenLibs = value.trim() === "true";
        break;
      case "actions":
        o.actions = value;
        break;
      case "ignoreDifferences":
        o.ignoreDifferences = toIgnoreRule(parseYaml(value, fullKey, errors));
        break;
      case "ignoreResourceUpdates":
        o.ignoreResourceUpdates = toIgnoreRule(parseYaml(value, fullKey, errors));
        break;
      case "knownTypeFields":
        o.knownTypeFields = toKnownTypeFields(parseYaml(value, fullKey, errors));
        break;
    }
  }

  for (const [key, field] of [["timeout.reconciliation", "reconciliationTimeoutMs"], ["timeout.reconciliation.jitter", "reconciliationJitterMs"], ["timeout.hard.reconciliation", "hardReconciliationTimeoutMs"]] as const) {
    const raw = d[key]?.trim();
    if (raw === undefined || raw === "") continue;
    try {
      const ms = parseGoDuration(raw);
      if (ms < 0) errors.push(`${key}: must not be negative`);
      else settings[field] = ms;
    } catch (err) {
      errors.push(`${key}: ${errorMessage(err)}`);
    }
  }
  const inCluster = parseInClusterEnabled(d["cluster.inClusterEnabled"]);
  settings.inClusterEnabled = inCluster.enabled;
  if (inCluster.error !== undefined) {
    settings.inClusterError = inCluster.error;
    errors.push(inCluster.error);
  }
  if (d["resource.compareoptions"] !== undefined) settings.compareOptions = parseCompareOptions(d["resource.compareoptions"], errors);
  if (d["resource.exclusions"] !== undefined) settings.resourceExclusions = parseFilteredResources(d["resource.exclusions"], "resource.exclusions", errors);
  if (d["resource.inclusions"] !== undefined) settings.resourceInclusions = parseFilteredResources(d["resource.inclusions"], "resource.inclusions", errors);
  return settings;
}

/** Never watched or diffed, whatever the settings say (Argo's core exclusions). */
const CORE_EXCLUSIONS: FilteredResource[] = [
  { apiGroups: ["events.k8s.io", "metrics.k8s.io"], kinds: [], clusters: [] },
  { apiGroups: [""], kinds: ["Event"], clusters: [] },
  { apiGroups: ["coordination.k8s.io"], kinds: ["Lease"], clusters: [] },
];

// Argo's FilteredResource.Match: an empty list matches everything; groups and clusters are globs,
// kinds compare case-insensitively with "*" as the only wildcard.
function matches(r: FilteredResource, group: string, kind: string, cluster: string): boolean {
  const groupOk = r.apiGroups.length === 0 || r.apiGroups.some((g) => gobwasMatch(g, group));
  const kindOk = r.kinds.length === 0 || r.kinds.some((k) => k === "*" || k.toLowerCase() === kind.toLowerCase());
  const clusterOk = r.clusters.length === 0 || r.clusters.some((c) => gobwasMatch(c, cluster));
  return groupOk && kindOk && clusterOk;
}

/**
 * Whether a group/Kind on a cluster (its server URL) is left out of management: excluded when an
 * exclusion matches; otherwise included when an inclusion matches; otherwise excluded exactly when
 * there are inclusion rules.
 */
export function isExcluded(group: string, kind: string, cluster: string, settings: Pick<ArgoSettings, "resourceExclusions" | "resourceInclusions">): boolean {
  if ([...CORE_EXCLUSIONS, ...settings.resourceExclusions].some((r) => matches(r, group, kind, cluster))) return true;
  if (settings.resourceInclusions.some((r) => matches(r, group, kind, cluster))) return false;
  return settings.resourceInclusions.length > 0;
}

export interface ResolvedIgnoreDifferences extends IgnoreDifferencesRule {
  group: string;
  kind: string;
  name?: string;
  namespace?: string;
}

/** argocd-cm ignoreDifferences rules as app-style entries (group/kind may be globs). */
/**
 * The fields argocd-cm's `knownTypeFields` declares for a kind, as paths: below them a custom
 * resource holds a Kubernetes type (compared with the typed omitempty rule).
 */
export function knownTypeFieldPaths(settings: Pick<ArgoSettings, "resourceOverrides">, group: string, kind: string): string[][] {
  const out: string[][] = [];
  for (const [key, o] of settings.resourceOverrides) {
    if (!o.knownTypeFields?.length) continue;
    const k = groupKindOfKey(key);
    if (k.group !== group || k.kind !== kind) continue;
    for (const f of o.knownTypeFields) if (f.field) out.push(f.field.split("."));
  }
  return out;
}

export function settingsIgnoreDifferences(settings: Pick<ArgoSettings, "resourceOverrides">): ResolvedIgnoreDifferences[] {
  const out: ResolvedIgnoreDifferences[] = [];
  for (const [key, o] of settings.resourceOverrides) {
    if (!o.ignoreDifferences) continue;
    const { group, kind } = groupKindOfKey(key);
    out.push({ group, kind, ...o.ignoreDifferences });
  }
  return out;
}
