// argocd-cm `globalProjects`: AppProjects that lend parts of their spec to every project whose
// labels match a selector. As in Argo CD (its "virtual project"), a matching project gets the
// global project's cluster and namespace resource allow and deny lists, sync windows, source
// repositories, destinations and destinationServiceAccounts appended to its own; nothing else
// (roles, sourceNamespaces, signature keys, orphaned-resource settings) carries over. Pure.
import { isRecord } from "../util/index.js";
import { selectorMatches, type LabelSelectorSpec } from "../util/labels.js";

export interface GlobalProjectSetting {
  /** The AppProject (in the control namespace) whose fields are lent. */
  projectName: string;
  labelSelector: LabelSelectorSpec;
}

/** The spec fields a global project lends, in Argo's order (appended after the project's own). */
export const GLOBAL_PROJECT_FIELDS = [
  "clusterResourceWhitelist", "clusterResourceBlacklist", "namespaceResourceWhitelist", "namespaceResourceBlacklist",
  "syncWindows", "sourceRepos", "destinations", "destinationServiceAccounts",
] as const;

const OPERATORS = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);

/**
 * Reads `globalProjects` (already parsed from YAML): a list of `{projectName, labelSelector}`.
 * Anything malformed is an error naming the entry; the caller refuses to guess a partial list.
 */
export function parseGlobalProjects(value: unknown): { entries: GlobalProjectSetting[]; error?: string } {
  if (value === undefined || value === null) return { entries: [] };
  if (!Array.isArray(value)) return { entries: [], error: "globalProjects: want a list of {projectName, labelSelector}" };
  const entries: GlobalProjectSetting[] = [];
  for (const [i, raw] of value.entries()) {
    const at = `globalProjects[${i}]`;
    if (!isRecord(raw) || typeof raw.projectName !== "string" || raw.projectName === "") return { entries: [], error: `${at}.projectName: want the name of an AppProject` };
    const sel = raw.labelSelector ?? {};
    if (!isRecord(sel)) return { entries: [], error: `${at}.labelSelector: want matchLabels and/or matchExpressions` };
    const matchLabels: Record<string, string> = {};
    if (sel.matchLabels !== undefined) {
      if (!isRecord(sel.matchLabels)) return { entries: [], error: `${at}.labelSelector.matchLabels: want a map of strings` };
      for (const [k, v] of Object.entries(sel.matchLabels)) {
        if (typeof v !== "string") return { entries: [], error: `${at}.labelSelector.matchLabels.${k}: want a string` };
        matchLabels[k] = v;
      }
    }
    const matchExpressions: NonNullable<LabelSelectorSpec["matchExpressions"]> = [];
    for (const [j, e] of (Array.isArray(sel.matchExpressions) ? sel.matchExpressions : sel.matchExpressions === undefined ? [] : [null]).entries()) {
      const where = `${at}.labelSelector.matchExpressions[${j}]`;
      if (!isRecord(e) || typeof e.key !== "string" || typeof e.operator !== "string") return { entries: [], error: `${where}: want key and operator` };
      if (!OPERATORS.has(e.operator)) return { entries: [], error: `${where}.operator: "${e.operator}" is not In, NotIn, Exists or DoesNotExist` };
      const values = Array.isArray(e.values) ? e.values.filter((v): v is string => typeof v === "string") : [];
      matchExpressions.push({ key: e.key, operator: e.operator, values });
    }
    entries.push({ projectName: raw.projectName, labelSelector: { matchLabels, matchExpressions } });
  }
  return { entries };
}

interface ProjectLike { metadata: { name?: string; labels?: Record<string, string> }; spec?: Record<string, unknown> | object }

/**
 * The global projects that apply to `project`, in the order argocd-cm lists them: those whose
 * selector matches its labels, never the project itself, skipping ones that do not exist.
 * An empty selector matches every project, as Kubernetes' does.
 */
export function globalProjectsFor<P extends ProjectLike>(project: P, entries: readonly GlobalProjectSetting[], lookup: (name: string) => P | undefined): P[] {
  const out: P[] = [];
  for (const entry of entries) {
    if (entry.projectName === project.metadata.name) continue;
    if (!selectorMatches(entry.labelSelector, project.metadata.labels ?? {})) continue;
    const global = lookup(entry.projectName);
    if (global) out.push(global);
  }
  return out;
}

/** The project with the lent fields of its global projects appended (Argo's virtual project); the input is not changed. */
export function withGlobalProjects<P extends ProjectLike>(project: P, globals: readonly P[]): P {
  if (globals.length === 0) return project;
  const spec: Record<string, unknown> = { ...((project.spec ?? {}) as Record<string, unknown>) };
  for (const g of globals) {
    const gs = (g.spec ?? {}) as Record<string, unknown>;
    for (const field of GLOBAL_PROJECT_FIELDS) {
      const lent = gs[field];
      if (!Array.isArray(lent) || lent.length === 0) continue;
      const own = Array.isArray(spec[field]) ? (spec[field] as unknown[]) : [];
      spec[field] = [...own, ...(structuredClone(lent) as unknown[])];
    }
  }
  return { ...project, spec };
}
