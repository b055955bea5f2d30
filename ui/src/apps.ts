// The applications list's logic, kept free of React and the DOM so it is unit-tested
// (apps.test.ts): the Application shape the UI reads, the filters and how the URL holds them,
// matching, the counts beside each filter option, and sorting.

export interface AppCondition { type: string; message?: string; lastTransitionTime?: string }
export interface ResourceStatus {
  group?: string; version?: string; kind: string; namespace?: string; name: string;
  status?: string; health?: { status?: string; message?: string }; hook?: boolean; requiresPruning?: boolean;
}
export interface AppSource {
  repoURL?: string; path?: string; targetRevision?: string; chart?: string;
  /** A multi-source app's name for this source's checkout (`$ref/...` value files of other sources). */
  ref?: string; name?: string;
  // The tool blocks the PARAMETERS tab shows (appOps.ts sourceParameters).
  helm?: {
    releaseName?: string; valueFiles?: string[]; values?: string; valuesObject?: unknown;
    parameters?: Array<{ name?: string; value?: string }>; fileParameters?: Array<{ name?: string; path?: string }>;
  };
  kustomize?: {
    namePrefix?: string; nameSuffix?: string; namespace?: string; images?: string[]; replicas?: unknown; patches?: unknown;
    commonLabels?: Record<string, string>; commonAnnotations?: Record<string, string>;
  };
  directory?: { recurse?: boolean; include?: string; exclude?: string; jsonnet?: { extVars?: Array<{ name?: string; value?: string }>; tlas?: Array<{ name?: string; value?: string }> } };
  plugin?: { name?: string; env?: Array<{ name?: string; value?: string }>; parameters?: Array<{ name?: string; string?: string; array?: string[]; map?: Record<string, string> }> };
}
export interface RetryStrategy { limit?: number; backoff?: { duration?: string; factor?: number; maxDuration?: string } }
export interface OperationState {
  phase?: string; message?: string; startedAt?: string; finishedAt?: string;
  operation?: { initiatedBy?: { username?: string; automated?: boolean }; sync?: { revision?: string; revisions?: string[] } };
  syncResult?: { revision?: string; revisions?: string[]; resources?: Array<ResourceStatus & { message?: string; hookPhase?: string; syncPhase?: string }> };
}
export interface HistoryEntry {
  id: number; revision?: string; revisions?: string[]; deployedAt?: string; deployStartedAt?: string;
  source?: AppSource; sources?: AppSource[]; initiatedBy?: { username?: string; automated?: boolean };
}
export interface App {
  metadata: {
    name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>;
    creationTimestamp?: string; deletionTimestamp?: string; resourceVersion?: string;
  };
  spec?: {
    project?: string; source?: AppSource; sources?: AppSource[];
    destination?: { server?: string; name?: string; namespace?: string };
    syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean } | null; syncOptions?: string[]; retry?: RetryStrategy };
  };
  status?: {
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string; message?: string };
    operationState?: OperationState;
    conditions?: AppCondition[];
    resources?: ResourceStatus[];
    summary?: { images?: string[]; externalURLs?: string[] };
    reconciledAt?: string;
    history?: HistoryEntry[];
  };
  operation?: unknown;
}

export const SYNC_STATUSES = ["Synced", "OutOfSync", "Unknown"] as const;
export const HEALTH_STATUSES = ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"] as const;
export const AUTO_SYNC = ["Enabled", "Disabled"] as const;

/** The filter groups; each is a URL parameter of Argo's UI holding comma-separated values. */
export const FACETS = ["proj", "sync", "autoSync", "health", "cluster", "namespace", "labels"] as const;
export type Facet = (typeof FACETS)[number];

export type ViewMode = "tiles" | "list" | "summary";
export type SortKey = "name" | "created" | "synchronized";

export interface ListState {
  filters: Record<Facet, string[]>;
  search: string;
  showFavorites: boolean;
  view: ViewMode;
  sort: SortKey;
}

export function emptyFilters(): Record<Facet, string[]> {
  return { proj: [], sync: [], autoSync: [], health: [], cluster: [], namespace: [], labels: [] };
}

const VIEWS: readonly ViewMode[] = ["tiles", "list", "summary"];
const SORTS: readonly SortKey[] = ["name", "created", "synchronized"];

/** The list's state from the page URL's query (the filters are shareable links). */
export function parseListQuery(q: URLSearchParams): ListState {
  const filters = emptyFilters();
  for (const f of FACETS) {
    filters[f] = (q.get(f) ?? "").split(",").map((v) => v.trim()).filter(Boolean);
  }
  const view = q.get("view") as ViewMode | null;
  const sort = q.get("sort") as SortKey | null;
  return {
    filters,
    search: q.get("search") ?? "",
    showFavorites: q.get("showFavorites") === "true",
    view: view && VIEWS.includes(view) ? view : "tiles",
    sort: sort && SORTS.includes(sort) ? sort : "name",
  };
}

/** The query that holds `state`, defaults left out so a plain list has a plain URL. */
export function listQuery(state: ListState): URLSearchParams {
  const q = new URLSearchParams();
  for (const f of FACETS) if (state.filters[f].length > 0) q.set(f, state.filters[f].join(","));
  if (state.search) q.set("search", state.search);
  if (state.showFavorites) q.set("showFavorites", "true");
  if (state.view !== "tiles") q.set("view", state.view);
  if (state.sort !== "name") q.set("sort", state.sort);
  return q;
}

/** namespace/name: the key of an app (two namespaces may hold the same name). */
export function appKey(app: App): string {
  return `${app.metadata.namespace ?? ""}/${app.metadata.name}`;
}

export function clusterOf(app: App): string {
  return app.spec?.destination?.name || app.spec?.destination?.server || "";
}

export function isAutoSync(app: App): boolean {
  const a = app.spec?.syncPolicy?.automated;
  return a !== undefined && a !== null && a.enabled !== false;
}

export function syncOf(app: App): string {
  return app.status?.sync?.status || "Unknown";
}

export function healthOf(app: App): string {
  return app.status?.health?.status || "Unknown";
}

/** The app's first source as the controller reads it: `spec.sources` when non-empty, else `spec.source`. */
export function sourceOf(app: App): AppSource | undefined {
  return app.spec?.sources?.[0] ?? app.spec?.source;
}

/** The values an app has for a facet (labels: every `key=value`). */
export function facetValues(app: App, facet: Facet): string[] {
  switch (facet) {
    case "proj": return [app.spec?.project || "default"];
    case "sync": return [syncOf(app)];
    case "health": return [healthOf(app)];
    case "autoSync": return [isAutoSync(app) ? "Enabled" : "Disabled"];
    case "cluster": return [clusterOf(app)];
    case "namespace": return [app.spec?.destination?.namespace ?? ""];
    case "labels": return Object.entries(app.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  }
}

/** A label filter item: `key=value`, `key!=value`, or `key` (present). */
export function matchesLabel(labels: Record<string, string> | undefined, expr: string): boolean {
  const l = labels ?? {};
  const neq = expr.indexOf("!=");
  if (neq > 0) return l[expr.slice(0, neq).trim()] !== expr.slice(neq + 2).trim();
  const eq = expr.indexOf("=");
  if (eq > 0) return l[expr.slice(0, eq).trim()] === expr.slice(eq + 1).trim();
  return expr.trim() in l;
}

function matchesFacet(app: App, facet: Facet, selected: string[]): boolean {
  if (selected.length === 0) return true;
  // Labels narrow (every one must hold); other facets widen (any selected value).
  if (facet === "labels") return selected.every((e) => matchesLabel(app.metadata.labels, e));
  const values = facetValues(app, facet);
  return selected.some((s) => values.includes(s));
}

/** The search box: `/regex/` as a regular expression, else a case-insensitive substring of name, namespace or project. */
export function searchMatcher(search: string): (app: App) => boolean {
  const s = search.trim();
  if (!s) return () => true;
  const re = /^\/(.+)\/([a-z]*)$/.exec(s);
  if (re) {
    try {
      const rx = new RegExp(re[1]!, re[2]!.replace(/[^imsu]/g, ""));
      return (app) => rx.test(app.metadata.name);
    } catch {
      return () => false;
    }
  }
  const needle = s.toLowerCase();
  return (app) => app.metadata.name.toLowerCase().includes(needle)
    || (app.metadata.namespace ?? "").toLowerCase().includes(needle)
    || (app.spec?.project ?? "").toLowerCase().includes(needle);
}

/** Does the app pass every filter (but `except`, when counting that facet's options)? */
export function matchesState(app: App, state: ListState, favourites: ReadonlySet<string>, except?: Facet, search = searchMatcher(state.search)): boolean {
  if (state.showFavorites && !favourites.has(appKey(app))) return false;
  if (!search(app)) return false;
  return FACETS.every((f) => f === except || matchesFacet(app, f, state.filters[f]));
}

export function filterApps(apps: readonly App[], state: ListState, favourites: ReadonlySet<string>): App[] {
  const search = searchMatcher(state.search);
  return apps.filter((a) => matchesState(a, state, favourites, undefined, search));
}

/**
 * For each facet, how many apps each option would show: counted over the apps that pass every
 * other filter, so a count is what clicking the option gives. Fixed options (sync, health,
 * auto-sync) are listed even at zero; the others as they occur.
 */
export function facetCounts(apps: readonly App[], state: ListState, favourites: ReadonlySet<string>): Record<Facet, Map<string, number>> {
  const search = searchMatcher(state.search);
  const out = {} as Record<Facet, Map<string, number>>;
  const fixed: Partial<Record<Facet, readonly string[]>> = { sync: SYNC_STATUSES, health: HEALTH_STATUSES, autoSync: AUTO_SYNC };
  for (const f of FACETS) {
    const counts = new Map<string, number>((fixed[f] ?? []).map((v) => [v, 0]));
    for (const app of apps) {
      if (!matchesState(app, state, favourites, f, search)) continue;
      for (const v of facetValues(app, f)) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    // Selected options stay listed even when nothing matches them, so they can be cleared.
    for (const s of state.filters[f]) if (!counts.has(s)) counts.set(s, 0);
    out[f] = counts;
  }
  return out;
}

export function sortApps(apps: App[], sort: SortKey): App[] {
  const byName = (a: App, b: App): number => a.metadata.name.localeCompare(b.metadata.name) || (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "");
  switch (sort) {
    case "name": return apps.sort(byName);
    // Newest first, as people look for what they just made.
    case "created": return apps.sort((a, b) => (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? "") || byName(a, b));
    // Last synchronised first (the latest operation's end, or start while it runs).
    case "synchronized": {
      const at = (a: App): string => a.status?.operationState?.finishedAt ?? a.status?.operationState?.startedAt ?? "";
      return apps.sort((a, b) => at(b).localeCompare(at(a)) || byName(a, b));
    }
  }
}

/** Applies one watch event to the map of apps by key; returns whether anything changed. */
export function applyWatchEvent(apps: Map<string, App>, event: { type?: string; application?: App }): boolean {
  const app = event.application;
  if (!app?.metadata?.name) return false;
  const key = appKey(app);
  if (event.type === "DELETED") return apps.delete(key);
  apps.set(key, app);
  return true;
}

/** The RBAC object can-i takes for an app: project/namespace/name (the server drops the control namespace). */
export function rbacObject(app: App): string {
  return `${app.spec?.project || "default"}/${app.metadata.namespace ?? ""}/${app.metadata.name}`;
}

/** The fields the list asks for (the server's fixed set), so 10,000 apps stay small on the wire. */
export const LIST_FIELDS = [
  "metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations", "metadata.creationTimestamp", "metadata.deletionTimestamp",
  "spec", "status.sync.status", "status.sync.revision", "status.health", "status.summary",
  "status.operationState.startedAt", "status.operationState.finishedAt", "status.operationState.phase", "status.operationState.operation.sync", "operation.sync",
];
