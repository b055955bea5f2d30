// The /resources page's logic (argo-cd-server.md §5.1): every app's `status.resources` as one
// list of rows, the filters (kind, sync, health, namespace, app, and a search over names) and how
// the URL holds them, the counts beside each filter option, and the summary's tallies. Free of
// React and the DOM so it is unit-tested (resources.test.ts); the page virtualises the rows.
import { appKey, HEALTH_STATUSES, SYNC_STATUSES, type App, type ResourceStatus } from "./apps";

/** One managed resource of one app. */
export interface ResourceRow {
  /** Unique over all apps: the app's key and the resource's group/kind/namespace/name. */
  key: string;
  app: string;
  appNamespace: string;
  project: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  sync: string;
  health: string;
  requiresPruning: boolean;
}

export const RESOURCE_FACETS = ["kind", "sync", "health", "namespace", "app"] as const;
export type ResourceFacet = (typeof RESOURCE_FACETS)[number];
export type ResourceView = "list" | "summary";

export interface ResourceListState {
  filters: Record<ResourceFacet, string[]>;
  search: string;
  view: ResourceView;
}

export function emptyResourceFilters(): Record<ResourceFacet, string[]> {
  return { kind: [], sync: [], health: [], namespace: [], app: [] };
}

/** The rows of every app, sorted by kind, namespace, name, then app (the order does not jump as apps change). */
export function resourceRows(apps: readonly App[]): ResourceRow[] {
  const rows: ResourceRow[] = [];
  for (const app of apps) {
    const base = { app: app.metadata.name, appNamespace: app.metadata.namespace ?? "", project: app.spec?.project || "default" };
    const key = appKey(app);
    for (const r of app.status?.resources ?? []) rows.push(row(key, base, r));
  }
  return rows.sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name)
    || a.app.localeCompare(b.app) || a.appNamespace.localeCompare(b.appNamespace));
}

function row(appKeyText: string, base: Pick<ResourceRow, "app" | "appNamespace" | "project">, r: ResourceStatus): ResourceRow {
  const group = r.group ?? "";
  const namespace = r.namespace ?? "";
  return {
    key: `${appKeyText}|${group}/${r.kind}/${namespace}/${r.name}`,
    ...base, group, kind: r.kind, namespace, name: r.name,
    sync: r.status || "Unknown",
    // A resource without health (a ConfigMap, say) has none to show or filter by.
    health: r.health?.status ?? "",
    requiresPruning: r.requiresPruning === true,
  };
}

/** The value a row has for a facet; the app facet is `namespace/name` when the app has a namespace, else its name. */
export function rowFacet(r: ResourceRow, facet: ResourceFacet): string {
  switch (facet) {
    case "kind": return r.kind;
    case "sync": return r.sync;
    case "health": return r.health;
    case "namespace": return r.namespace;
    case "app": return r.appNamespace ? `${r.appNamespace}/${r.app}` : r.app;
  }
}

const VIEWS: readonly ResourceView[] = ["list", "summary"];

export function parseResourceQuery(q: URLSearchParams): ResourceListState {
  const filters = emptyResourceFilters();
  for (const f of RESOURCE_FACETS) filters[f] = (q.get(f) ?? "").split(",").map((v) => v.trim()).filter(Boolean);
  const view = q.get("view") as ResourceView | null;
  return { filters, search: q.get("search") ?? "", view: view && VIEWS.includes(view) ? view : "list" };
}

/** The query that holds `state`; defaults left out. */
export function resourceQuery(state: ResourceListState): URLSearchParams {
  const q = new URLSearchParams();
  for (const f of RESOURCE_FACETS) if (state.filters[f].length > 0) q.set(f, state.filters[f].join(","));
  if (state.search) q.set("search", state.search);
  if (state.view !== "list") q.set("view", state.view);
  return q;
}

/** The search box: a case-insensitive substring of the resource's name, kind, namespace or app. */
function searchMatcher(search: string): (r: ResourceRow) => boolean {
  const needle = search.trim().toLowerCase();
  if (!needle) return () => true;
  return (r) => r.name.toLowerCase().includes(needle) || r.kind.toLowerCase().includes(needle)
    || r.namespace.toLowerCase().includes(needle) || r.app.toLowerCase().includes(needle);
}

function matches(r: ResourceRow, state: ResourceListState, search: (r: ResourceRow) => boolean, except?: ResourceFacet): boolean {
  if (!search(r)) return false;
  // Within a facet any selected value matches; across facets every facet must.
  return RESOURCE_FACETS.every((f) => f === except || state.filters[f].length === 0 || state.filters[f].includes(rowFacet(r, f)));
}

export function filterResources(rows: readonly ResourceRow[], state: ResourceListState): ResourceRow[] {
  const search = searchMatcher(state.search);
  return rows.filter((r) => matches(r, state, search));
}

/**
 * For each facet, how many rows each option would show (counted over the rows that pass every
 * other filter). Sync and health options are listed even at zero; selected ones always.
 */
export function resourceFacetCounts(rows: readonly ResourceRow[], state: ResourceListState): Record<ResourceFacet, Map<string, number>> {
  const search = searchMatcher(state.search);
  const fixed: Partial<Record<ResourceFacet, readonly string[]>> = { sync: SYNC_STATUSES, health: HEALTH_STATUSES };
  const out = {} as Record<ResourceFacet, Map<string, number>>;
  for (const f of RESOURCE_FACETS) out[f] = new Map((fixed[f] ?? []).map((v) => [v, 0]));
  // One pass over the rows: a row counts for facet f when it passes every filter but f's.
  for (const r of rows) {
    if (!search(r)) continue;
    const failing = RESOURCE_FACETS.filter((f) => state.filters[f].length > 0 && !state.filters[f].includes(rowFacet(r, f)));
    if (failing.length > 1) continue;
    for (const f of RESOURCE_FACETS) {
      if (failing.length === 1 && failing[0] !== f) continue;
      const v = rowFacet(r, f);
      // Resources without health are not an option of the health filter.
      if (f === "health" && v === "") continue;
      out[f].set(v, (out[f].get(v) ?? 0) + 1);
    }
  }
  for (const f of RESOURCE_FACETS) for (const s of state.filters[f]) if (!out[f].has(s)) out[f].set(s, 0);
  return out;
}

/** The summary view: totals, and counts by kind (most first), sync and health. */
export function resourceSummary(rows: readonly ResourceRow[]): { total: number; apps: number; byKind: Array<[string, number]>; bySync: Map<string, number>; byHealth: Map<string, number> } {
  const byKind = new Map<string, number>();
  const bySync = new Map<string, number>(SYNC_STATUSES.map((s) => [s, 0]));
  const byHealth = new Map<string, number>(HEALTH_STATUSES.map((s) => [s, 0]));
  const apps = new Set<string>();
  for (const r of rows) {
    byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
    bySync.set(r.sync, (bySync.get(r.sync) ?? 0) + 1);
    if (r.health) byHealth.set(r.health, (byHealth.get(r.health) ?? 0) + 1);
    apps.add(`${r.appNamespace}/${r.app}`);
  }
  return { total: rows.length, apps: apps.size, byKind: [...byKind].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])), bySync, byHealth };
}
