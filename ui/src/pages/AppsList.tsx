// /applications: every application the user may see, live. Tiles, list and summary views; filters
// with counts, search, sort and favourites, all held in the URL (a filtered view is a link);
// tiles and rows are virtualised so only what is on screen is in the DOM; bulk sync and refresh of
// the selected apps; New App (the `new=` parameter, shown to users who may create an app in
// some project).
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Link, useSearchParams } from "react-router";
import {
  appKey, clusterOf, facetCounts, FACETS, filterApps, healthOf, isAutoSync, listQuery, parseListQuery, rbacObject, sortApps, sourceOf, syncOf,
  HEALTH_STATUSES, SYNC_STATUSES, type App, type Facet, type ListState, type SortKey, type ViewMode,
} from "../apps";
import { errorText, get, post, query } from "../api";
import { ago, HealthBadge, PhaseBadge, SyncBadge } from "../components/Status";
import { FacetGroup } from "../components/FacetGroup";
import { NewAppPanel } from "../components/NewAppPanel";
import { newAppFromParam } from "../newApp";
import { canI } from "../session";
import { useAppsWatch } from "../watch";

const FACET_TITLES: Record<Facet, string> = {
  proj: "Projects", sync: "Sync status", autoSync: "Auto sync", health: "Health status", cluster: "Clusters", namespace: "Namespaces", labels: "Labels",
};
// Facets whose values have a fixed order (statuses, on/off); the others sort by count.
const FIXED_ORDER = new Set<Facet>(["sync", "health", "autoSync"]);
const FAVOURITES_KEY = "hawser.favourites";

function loadFavourites(): Set<string> {
  try {
    const v = JSON.parse(window.localStorage.getItem(FAVOURITES_KEY) ?? "[]") as unknown;
    return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  } catch {
    return new Set();
  }
}

export function appPath(app: App): string {
  return `/applications/${encodeURIComponent(app.metadata.namespace ?? "")}/${encodeURIComponent(app.metadata.name)}`;
}

export function AppsListPage(): ReactNode {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => parseListQuery(params), [params]);
  const { apps, error, live } = useAppsWatch();
  const [favourites, setFavourites] = useState(loadFavourites);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [searchText, setSearchText] = useState(state.search);

  const update = useCallback((change: Partial<ListState>): void => {
    setParams(listQuery({ ...state, ...change }), { replace: true });
  }, [state, setParams]);

  // The search box updates the URL as one types, a little behind, so typing stays smooth.
  useEffect(() => {
    if (searchText === state.search) return;
    const t = window.setTimeout(() => update({ search: searchText }), 150);
    return () => window.clearTimeout(t);
  }, [searchText, state.search, update]);

  const visible = useMemo(() => sortApps(filterApps(apps ?? [], state, favourites), state.sort), [apps, state, favourites]);
  const counts = useMemo(() => facetCounts(apps ?? [], state, favourites), [apps, state, favourites]);

  const toggleFavourite = (key: string): void => {
    const next = new Set(favourites);
    if (!next.delete(key)) next.add(key);
    window.localStorage.setItem(FAVOURITES_KEY, JSON.stringify([...next]));
    setFavourites(next);
  };
  const toggleSelected = (key: string): void => {
    const next = new Set(selected);
    if (!next.delete(key)) next.add(key);
    setSelected(next);
  };
  const toggleFilter = (facet: Facet, value: string): void => {
    const cur = state.filters[facet];
    const next = cur.includes(value) ? cur.filter((v) => v !== value) : [...cur, value];
    update({ filters: { ...state.filters, [facet]: next } });
  };
  const mayCreate = useMayCreateApps(apps);
  const newParam = params.get("new");
  const [created, setCreated] = useState<string | undefined>(undefined);
  const setNew = (value: string | undefined): void => {
    const next = new URLSearchParams(params);
    if (value === undefined) next.delete("new"); else next.set("new", value);
    setParams(next, { replace: true });
  };
  const selectedApps = useMemo(() => (apps ?? []).filter((a) => selected.has(appKey(a))), [apps, selected]);
  const anyFilter = FACETS.some((f) => state.filters[f].length > 0) || state.search !== "" || state.showFavorites;

  return (
    <div className="apps-page">
      <aside className="filters" aria-label="Filters">
        <div className="filters-head">
          <h2>Filters</h2>
          {anyFilter && <button className="link" onClick={() => { setSearchText(""); update({ filters: { proj: [], sync: [], autoSync: [], health: [], cluster: [], namespace: [], labels: [] }, search: "", showFavorites: false }); }}>Clear all</button>}
        </div>
        <label className="check"><input type="checkbox" checked={state.showFavorites} onChange={(e) => update({ showFavorites: e.target.checked })} /> Favourites only</label>
        {FACETS.map((f) => <FacetGroup key={f} facet={f} title={FACET_TITLES[f]} counts={counts[f]} selected={state.filters[f]} fixedOrder={FIXED_ORDER.has(f)} onToggle={(v) => toggleFilter(f, v)} />)}
      </aside>
      <section className="apps-main">
        <div className="toolbar" role="toolbar" aria-label="Applications" data-may-create={mayCreate === undefined ? "asking" : String(mayCreate)}>
          {mayCreate === true && <button className="primary" onClick={() => { setCreated(undefined); setNew("{}"); }} data-testid="new-app-button">New app</button>}
          <input className="search" type="search" placeholder="Search applications (/regex/)" aria-label="Search applications" value={searchText} onChange={(e) => setSearchText(e.target.value)} />
          <div className="segmented" role="group" aria-label="View">
            {(["tiles", "list", "summary"] as ViewMode[]).map((v) => (
              <button key={v} aria-pressed={state.view === v} onClick={() => update({ view: v })}>{v[0]!.toUpperCase() + v.slice(1)}</button>
            ))}
          </div>
          <label>Sort <select value={state.sort} onChange={(e) => update({ sort: e.target.value as SortKey })}>
            <option value="name">Name</option><option value="created">Created</option><option value="synchronized">Synchronized</option>
          </select></label>
          <span className={`live ${live ? "on" : ""}`} title={live ? "Receiving live updates" : "Waiting for the update stream"}>{live ? "● live" : "○ connecting"}</span>
          <span className="count" data-testid="app-count">{visible.length} of {apps?.length ?? 0} applications</span>
        </div>
        <BulkBar apps={selectedApps} visible={visible} onSelect={(keys) => setSelected(new Set(keys))} />
        {error && <p className="error" role="alert">{error}</p>}
        {created && <p className="notice" role="status" data-testid="new-app-created">Application {created} created</p>}
        {newParam !== null && mayCreate === true && <NewAppPanel initial={newAppFromParam(newParam)} onClose={(app) => { setNew(undefined); if (app) setCreated(app.metadata.name); }} />}
        {apps === undefined ? <p className="muted">Loading applications…</p>
          : apps.length === 0 ? <p className="empty">No applications yet.</p>
          : visible.length === 0 ? <p className="empty">No applications match the filters.</p>
          : state.view === "summary" ? <Summary apps={visible} />
          : <AppsGrid apps={visible} view={state.view} favourites={favourites} selected={selected} onFavourite={toggleFavourite} onSelect={toggleSelected} />}
      </section>
    </div>
  );
}

/**
 * Whether to offer New App: the user may create an application (`applications, create,
 * <project>/*`) in a project they can see, in the project of an app they can see, or in any
 * (`*`): a user with project rights only and no `projects, get` is offered it too. The server
 * checks the real name on create.
 */
function useMayCreateApps(apps: App[] | undefined): boolean | undefined {
  const [may, setMay] = useState<boolean | undefined>(undefined);
  const [listed, setListed] = useState<string[] | undefined>(undefined);
  useEffect(() => {
    let live = true;
    get<{ items?: Array<{ metadata?: { name?: string } }> }>("api/v1/projects")
      .then((r) => { if (live) setListed((r.items ?? []).map((p) => p.metadata?.name ?? "").filter(Boolean)); })
      .catch(() => { if (live) setListed([]); });
    return () => { live = false; };
  }, []);
  const candidates = useMemo(() => {
    if (listed === undefined) return undefined;
    return [...new Set(["*", ...listed, ...(apps ?? []).map((a) => a.spec?.project || "default")])].sort().join("\n");
  }, [listed, apps]);
  useEffect(() => {
    if (candidates === undefined || may === true) return;
    let live = true;
    void Promise.all(candidates.split("\n").map((p) => canI("applications", "create", `${p}/*`)))
      .then((answers) => { if (live) setMay(answers.some(Boolean)); });
    return () => { live = false; };
  }, [candidates, may]);
  return may;
}

const TILE_WIDTH = 340;

function AppsGrid({ apps, view, favourites, selected, onFavourite, onSelect }: {
  apps: App[]; view: ViewMode; favourites: Set<string>; selected: Set<string>; onFavourite: (k: string) => void; onSelect: (k: string) => void;
}): ReactNode {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(1000);
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);
  const columns = view === "tiles" ? Math.max(1, Math.floor(width / TILE_WIDTH)) : 1;
  const rows = Math.ceil(apps.length / columns);
  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => (view === "tiles" ? 178 : 48),
    overscan: 6,
  });
  return (
    // The list view is one ARIA table (header row + virtualised rows, aria-rowcount telling the
    // real size); tiles are a list. Screen readers then announce rows, columns and totals.
    <div className="apps-scroll" ref={scrollRef} data-testid="apps-scroll" {...(view === "list" ? { role: "table", "aria-label": "Applications", "aria-rowcount": apps.length + 1 } : {})}>
      {view === "list" && (
        <div role="rowgroup">
          <div className="list-row list-head" role="row" aria-rowindex={1}>
            <span role="columnheader"><span className="sr-only">Select and favourite</span></span>{["Name", "Project", "Sync", "Health", "Destination", "Source", "Last sync"].map((h) => <span key={h} role="columnheader">{h}</span>)}
          </div>
        </div>
      )}
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }} role={view === "list" ? "rowgroup" : "list"} {...(view === "list" ? {} : { "aria-label": "Applications" })}>
        {virtualizer.getVirtualItems().map((row) => (
          <div key={row.key} className={view === "tiles" ? "tile-row" : ""} style={{ position: "absolute", top: 0, left: 0, right: 0, transform: `translateY(${row.start}px)`, height: row.size }}>
            {apps.slice(row.index * columns, row.index * columns + columns).map((app) => {
              const key = appKey(app);
              const props = { app, favourite: favourites.has(key), selected: selected.has(key), onFavourite: () => onFavourite(key), onSelect: () => onSelect(key) };
              return view === "tiles" ? <AppTile key={key} {...props} /> : <AppRow key={key} {...props} />;
            })}
          </div>
        ))}
      </div>
    </div>
  );
}

interface ItemProps { app: App; favourite: boolean; selected: boolean; onFavourite: () => void; onSelect: () => void }

function FavButton({ favourite, onFavourite, name }: { favourite: boolean; onFavourite: () => void; name: string }): ReactNode {
  return <button className={`fav ${favourite ? "on" : ""}`} aria-pressed={favourite} aria-label={`Favourite ${name}`} onClick={onFavourite}>{favourite ? "★" : "☆"}</button>;
}

function AppTile({ app, favourite, selected, onFavourite, onSelect }: ItemProps): ReactNode {
  const src = sourceOf(app);
  const op = app.status?.operationState;
  return (
    <article className={`tile health-border-${healthOf(app)}`} data-testid="app-tile" data-app={app.metadata.name} role="listitem">
      <div className="tile-head">
        <input type="checkbox" checked={selected} onChange={onSelect} aria-label={`Select ${app.metadata.name}`} />
        <Link to={appPath(app)} className="app-name">{app.metadata.name}</Link>
        <FavButton favourite={favourite} onFavourite={onFavourite} name={app.metadata.name} />
      </div>
      <dl className="tile-fields">
        <dt>Project</dt><dd>{app.spec?.project || "default"}</dd>
        <dt>Status</dt><dd><HealthBadge status={healthOf(app)} /> <SyncBadge status={syncOf(app)} /> {app.operation !== undefined || op?.phase === "Running" ? <PhaseBadge phase="Running" /> : null}</dd>
        <dt>Repository</dt><dd className="ellipsis" title={src?.repoURL}>{src?.repoURL}</dd>
        <dt>Path</dt><dd className="ellipsis">{src?.chart ?? src?.path} @ {src?.targetRevision || "HEAD"}</dd>
        <dt>Destination</dt><dd className="ellipsis">{clusterOf(app)} / {app.spec?.destination?.namespace}</dd>
        <dt>Auto sync</dt><dd>{isAutoSync(app) ? "Enabled" : "Disabled"}{op?.finishedAt ? ` · synced ${ago(op.finishedAt)}` : ""}</dd>
      </dl>
    </article>
  );
}

function AppRow({ app, favourite, selected, onFavourite, onSelect }: ItemProps): ReactNode {
  const src = sourceOf(app);
  return (
    <div className="list-row" data-testid="app-row" data-app={app.metadata.name} role="row">
      <span role="cell"><input type="checkbox" checked={selected} onChange={onSelect} aria-label={`Select ${app.metadata.name}`} /> <FavButton favourite={favourite} onFavourite={onFavourite} name={app.metadata.name} /></span>
      <span role="cell"><Link to={appPath(app)} className="app-name">{app.metadata.name}</Link></span>
      <span role="cell">{app.spec?.project || "default"}</span>
      <span role="cell"><SyncBadge status={syncOf(app)} /></span>
      <span role="cell"><HealthBadge status={healthOf(app)} /></span>
      <span role="cell" className="ellipsis">{clusterOf(app)} / {app.spec?.destination?.namespace}</span>
      <span role="cell" className="ellipsis" title={src?.repoURL}>{src?.chart ?? src?.path}</span>
      <span role="cell">{ago(app.status?.operationState?.finishedAt)}</span>
    </div>
  );
}

function Summary({ apps }: { apps: App[] }): ReactNode {
  const count = (f: (a: App) => string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const a of apps) m.set(f(a), (m.get(f(a)) ?? 0) + 1);
    return m;
  };
  const sync = count(syncOf);
  const health = count(healthOf);
  return (
    <div className="summary" data-testid="summary">
      <div className="summary-box"><h3>Applications</h3><p className="big">{apps.length}</p></div>
      <div className="summary-box"><h3>Sync</h3>{SYNC_STATUSES.map((s) => <p key={s}><SyncBadge status={s} /> {sync.get(s) ?? 0}</p>)}</div>
      <div className="summary-box"><h3>Health</h3>{HEALTH_STATUSES.map((s) => <p key={s}><HealthBadge status={s} /> {health.get(s) ?? 0}</p>)}</div>
      <div className="summary-box"><h3>Destinations</h3><p className="big">{count((a) => `${clusterOf(a)}/${a.spec?.destination?.namespace ?? ""}`).size}</p></div>
    </div>
  );
}

/** Runs `work` over items, a few at a time (a bulk action on hundreds of apps must not flood the server). */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

function BulkBar({ apps, visible, onSelect }: { apps: App[]; visible: App[]; onSelect: (keys: string[]) => void }): ReactNode {
  const [syncable, setSyncable] = useState<App[]>([]);
  const [dialog, setDialog] = useState(false);
  const [prune, setPrune] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [result, setResult] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  // Sync is offered only for the selected apps the user may sync (the server refuses the rest anyway).
  useEffect(() => {
    let live = true;
    void Promise.all(apps.map(async (a) => ((await canI("applications", "sync", rbacObject(a))) ? a : undefined)))
      .then((r) => { if (live) setSyncable(r.filter((a): a is App => a !== undefined)); });
    return () => { live = false; };
  }, [apps]);

  const run = async (what: string, targets: App[], call: (a: App) => Promise<unknown>): Promise<void> => {
    setBusy(true);
    const failures: string[] = [];
    await eachLimited(targets, 6, async (a) => {
      try { await call(a); } catch (err) { failures.push(`${a.metadata.name}: ${errorText(err)}`); }
    });
    setBusy(false);
    setResult(`${what}: ${targets.length - failures.length} of ${targets.length} started${failures.length ? `; ${failures.join("; ")}` : ""}`);
  };
  const syncAll = (): void => {
    setDialog(false);
    void run("Sync", syncable, (a) => post(`api/v1/applications/${encodeURIComponent(a.metadata.name)}/sync`, { appNamespace: a.metadata.namespace, prune, dryRun }));
  };
  const refreshAll = (): void => {
    void run("Refresh", apps, (a) => get(`api/v1/applications/${encodeURIComponent(a.metadata.name)}${query({ refresh: "normal", appNamespace: a.metadata.namespace })}`));
  };

  return (
    <div className="bulk" aria-label="Selection">
      <button onClick={() => onSelect(visible.map(appKey))}>Select all ({visible.length})</button>
      {apps.length > 0 && <button onClick={() => onSelect([])}>Clear selection</button>}
      <span className="muted">{apps.length} selected</span>
      <button className="primary" disabled={busy || syncable.length === 0} onClick={() => setDialog(true)} title={apps.length > 0 && syncable.length === 0 ? "You may not sync the selected applications" : undefined}>Sync apps{syncable.length ? ` (${syncable.length})` : ""}</button>
      <button disabled={busy || apps.length === 0} onClick={refreshAll}>Refresh apps</button>
      {result && <span className="bulk-result" role="status">{result}</span>}
      {dialog && (
        <div className="dialog-backdrop">
          <div className="dialog" role="dialog" aria-modal="true" aria-label="Sync applications">
            <h2>Sync {syncable.length} application{syncable.length === 1 ? "" : "s"}</h2>
            <ul className="dialog-list">{syncable.slice(0, 20).map((a) => <li key={appKey(a)}>{a.metadata.name}</li>)}{syncable.length > 20 && <li>… and {syncable.length - 20} more</li>}</ul>
            <label className="check"><input type="checkbox" checked={prune} onChange={(e) => setPrune(e.target.checked)} /> Prune</label>
            <label className="check"><input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run</label>
            <div className="dialog-buttons"><button className="primary" onClick={syncAll}>Sync</button><button onClick={() => setDialog(false)}>Cancel</button></div>
          </div>
        </div>
      )}
    </div>
  );
}
