// /resources: Argo's cross-app resource list (argo-cd-server.md §5.1): every managed resource of
// every application the user may see (their `status.resources`, live through the applications
// watch), as a list or a summary, filtered by kind, sync, health, namespace and app with counts,
// all held in the URL. Rows are virtualised as the app list's are, so 10,000 apps stay fast. A row
// opens its app with the resource selected. argocd-cm `ui.view.resources.disabled: "true"` turns
// the page off (and its link in the navigation).
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Link, useSearchParams } from "react-router";
import { HEALTH_STATUSES, SYNC_STATUSES } from "../apps";
import { FacetGroup } from "../components/FacetGroup";
import { HealthBadge, SyncBadge } from "../components/Status";
import {
  filterResources, parseResourceQuery, RESOURCE_FACETS, resourceFacetCounts, resourceQuery, resourceRows, resourceSummary,
  type ResourceFacet, type ResourceListState, type ResourceRow, type ResourceView,
} from "../resources";
import { useSession } from "../session";
import { nodeKey } from "../tree";
import { useAppsWatch } from "../watch";

const FACET_TITLES: Record<ResourceFacet, string> = { kind: "Kinds", sync: "Sync status", health: "Health status", namespace: "Namespaces", app: "Applications" };
const RESOURCE_FIELDS = ["status.resources"] as const;

export function ResourcesPage(): ReactNode {
  const { settings } = useSession();
  if (settings?.uiViewResourcesDisabled) {
    return <p className="empty" data-testid="resources-disabled">The resource list is turned off on this instance (argocd-cm ui.view.resources.disabled).</p>;
  }
  return <ResourceList />;
}

function ResourceList(): ReactNode {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => parseResourceQuery(params), [params]);
  const { apps, error, live } = useAppsWatch({ extraFields: RESOURCE_FIELDS });
  const [searchText, setSearchText] = useState(state.search);
  const update = useCallback((change: Partial<ResourceListState>): void => {
    setParams(resourceQuery({ ...state, ...change }), { replace: true });
  }, [state, setParams]);
  useEffect(() => {
    if (searchText === state.search) return;
    const t = window.setTimeout(() => update({ search: searchText }), 150);
    return () => window.clearTimeout(t);
  }, [searchText, state.search, update]);

  const rows = useMemo(() => resourceRows(apps ?? []), [apps]);
  const visible = useMemo(() => filterResources(rows, state), [rows, state]);
  const counts = useMemo(() => resourceFacetCounts(rows, state), [rows, state]);
  const toggle = (facet: ResourceFacet, value: string): void => {
    const cur = state.filters[facet];
    update({ filters: { ...state.filters, [facet]: cur.includes(value) ? cur.filter((v) => v !== value) : [...cur, value] } });
  };
  const anyFilter = RESOURCE_FACETS.some((f) => state.filters[f].length > 0) || state.search !== "";

  return (
    <div className="apps-page">
      <aside className="filters" aria-label="Filters">
        <div className="filters-head">
          <h2>Filters</h2>
          {anyFilter && <button className="link" onClick={() => { setSearchText(""); update({ filters: { kind: [], sync: [], health: [], namespace: [], app: [] }, search: "" }); }}>Clear all</button>}
        </div>
        {RESOURCE_FACETS.map((f) => <FacetGroup key={f} facet={f} title={FACET_TITLES[f]} counts={counts[f]} selected={state.filters[f]} fixedOrder={f === "sync" || f === "health"} onToggle={(v) => toggle(f, v)} />)}
      </aside>
      <section className="apps-main">
        <div className="toolbar" role="toolbar" aria-label="Resources">
          <input className="search" type="search" placeholder="Search resources" aria-label="Search resources" value={searchText} onChange={(e) => setSearchText(e.target.value)} data-testid="resources-search" />
          <div className="segmented" role="group" aria-label="View">
            {(["list", "summary"] as ResourceView[]).map((v) => (
              <button key={v} aria-pressed={state.view === v} onClick={() => update({ view: v })} data-testid={`resources-view-${v}`}>{v[0]!.toUpperCase() + v.slice(1)}</button>
            ))}
          </div>
          <span className={`live ${live ? "on" : ""}`} title={live ? "Receiving live updates" : "Waiting for the update stream"}>{live ? "● live" : "○ connecting"}</span>
          <span className="count" data-testid="resource-count">{visible.length} of {rows.length} resources</span>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {apps === undefined ? <p className="muted">Loading resources…</p>
          : rows.length === 0 ? <p className="empty">No resources: the applications you may see manage none yet.</p>
          : visible.length === 0 ? <p className="empty">No resources match the filters.</p>
          : state.view === "summary" ? <Summary rows={visible} />
          : <ResourceTable rows={visible} />}
      </section>
    </div>
  );
}

/** The app page with the resource selected (its panel open). */
function resourceLink(r: ResourceRow): string {
  const q = new URLSearchParams({ node: nodeKey({ group: r.group, kind: r.kind, namespace: r.namespace, name: r.name }) });
  return `/applications/${encodeURIComponent(r.appNamespace)}/${encodeURIComponent(r.app)}?${q.toString()}`;
}

const COLUMNS = ["Kind", "Name", "Namespace", "Application", "Sync", "Health"];

function ResourceTable({ rows }: { rows: ResourceRow[] }): ReactNode {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => 40, overscan: 10 });
  return (
    // One ARIA table: the header row and the rows on screen, aria-rowcount telling the real size.
    <div className="apps-scroll" ref={scrollRef} role="table" aria-label="Resources" aria-rowcount={rows.length + 1} data-testid="resources-scroll">
      <div role="rowgroup">
        <div className="list-row resource-row list-head" role="row" aria-rowindex={1}>{COLUMNS.map((h) => <span key={h} role="columnheader">{h}</span>)}</div>
      </div>
      <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualizer.getVirtualItems().map((item) => {
          const r = rows[item.index]!;
          return (
            <div key={r.key} className="list-row resource-row" role="row" aria-rowindex={item.index + 2} data-testid="resource-row"
              data-kind={r.kind} data-name={r.name} data-app={r.app}
              style={{ position: "absolute", top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)`, height: item.size }}>
              <span role="cell" className="ellipsis" title={r.group ? `${r.group}/${r.kind}` : r.kind}>{r.kind}</span>
              <span role="cell" className="ellipsis"><Link to={resourceLink(r)} title={`${r.kind} ${r.name} in ${r.app}`}>{r.name}</Link></span>
              <span role="cell" className="ellipsis">{r.namespace || "–"}</span>
              <span role="cell" className="ellipsis"><Link to={`/applications/${encodeURIComponent(r.appNamespace)}/${encodeURIComponent(r.app)}`}>{r.app}</Link></span>
              <span role="cell"><SyncBadge status={r.sync} />{r.requiresPruning ? <span className="muted"> (prune)</span> : null}</span>
              <span role="cell">{r.health ? <HealthBadge status={r.health} /> : <span className="muted">–</span>}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

function Summary({ rows }: { rows: ResourceRow[] }): ReactNode {
  const s = useMemo(() => resourceSummary(rows), [rows]);
  return (
    <div className="summary" data-testid="resources-summary">
      <div className="summary-box"><h3>Resources</h3><p className="big" data-testid="resources-total">{s.total}</p><p className="muted">in {s.apps} application{s.apps === 1 ? "" : "s"}</p></div>
      <div className="summary-box"><h3>Sync</h3>{SYNC_STATUSES.map((k) => <p key={k}><SyncBadge status={k} /> {s.bySync.get(k) ?? 0}</p>)}</div>
      <div className="summary-box"><h3>Health</h3>{HEALTH_STATUSES.map((k) => <p key={k}><HealthBadge status={k} /> {s.byHealth.get(k) ?? 0}</p>)}</div>
      <div className="summary-box" data-testid="resources-by-kind"><h3>Kinds</h3>
        {s.byKind.slice(0, 12).map(([kind, n]) => <p key={kind} data-kind={kind}>{kind} <strong>{n}</strong></p>)}
        {s.byKind.length > 12 && <p className="muted">and {s.byKind.length - 12} more kinds</p>}
      </div>
    </div>
  );
}
