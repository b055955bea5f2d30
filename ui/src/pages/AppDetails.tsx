// /applications/:namespace/:name (and /applications/:name in the control namespace): the app's
// status, live from the watch stream: health, sync, the operation (running or last), conditions
// and the managed resources as a live tree or list (a click opens the resource's panel); Sync
// (dialog, `deploy=all|<node>`), Sync status with Terminate (`operation=true`), Toggle auto-sync,
// Delete, Refresh / Hard refresh, the app's details panel with edit (`details=true`), the app's
// diff, and history with rollback. Each control is shown only to users who may use it (can-i);
// the server checks anyway.
import { useMemo, useState, type ReactNode } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { healthOf, rbacObject, sourceOf, syncOf, type App, type AppSource } from "../apps";
import { errorText, get, query, request } from "../api";
import { autoSyncOn, autoSyncPatch, shortRevision } from "../appOps";
import { AppDetailsPanel } from "../components/AppDetailsPanel";
import { DeepLinks } from "../components/DeepLinks";
import { DeleteDialog } from "../components/DeleteDialog";
import { SyncDialog } from "../components/SyncDialog";
import { SyncStatusPanel } from "../components/SyncStatusPanel";
import { ago, HealthBadge, PhaseBadge, SyncBadge } from "../components/Status";
import { AppDiffPanel, HistoryPanel } from "../components/AppPanels";
import { ResourcePanel } from "../components/ResourcePanel";
import { ResourceTree } from "../components/ResourceTree";
import { useCan, useSession } from "../session";
import { resourceNodes } from "../tree";
import { useTreeWatch } from "../treeWatch";
import { APP_VIEWS, parsePodSortMode, parseView } from "../views";
import { useAppsWatch } from "../watch";

export function AppDetailsPage(): ReactNode {
  const params = useParams();
  const { settings } = useSession();
  const name = params.name ?? "";
  const appNamespace = params.namespace || settings?.controllerNamespace || undefined;
  const { apps, error } = useAppsWatch({ name, ...(params.namespace ? { appNamespace: params.namespace } : {}), fields: false });
  const app = apps?.find((a) => a.metadata.name === name && (!appNamespace || a.metadata.namespace === appNamespace)) ?? apps?.[0];
  if (!app) {
    return (
      <div className="app-details">
        <nav className="breadcrumbs"><Link to="/applications">Applications</Link> / {name}</nav>
        {error ? <p className="error" role="alert">{error}</p> : <p className="muted">Loading {name}…</p>}
        {apps !== undefined && !error && <p className="empty">Application {name} was not found (or you may not see it).</p>}
      </div>
    );
  }
  return <AppDetails app={app} error={error} />;
}

function AppDetails({ app, error }: { app: App; error: string | undefined }): ReactNode {
  const maySync = useCan("applications", "sync", rbacObject(app));
  const mayUpdate = useCan("applications", "update", rbacObject(app));
  const mayDelete = useCan("applications", "delete", rbacObject(app));
  // can-i's rollback is sync unless argocd-cm enforces rollback, as the server checks it.
  const mayRollback = useCan("applications", "rollback", rbacObject(app));
  const [deleting, setDeleting] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const name = app.metadata.name;
  const op = app.status?.operationState;
  const src = sourceOf(app);
  // A multi-source app is compared at each source's target revision.
  const targets: Array<AppSource | undefined> = app.spec?.sources?.length ? app.spec.sources : [src];
  const running = app.operation !== undefined || op?.phase === "Running" || op?.phase === "Terminating";
  // The view, the selected node and the open panels are URL parameters (as in Argo's UI), so a link shows the same.
  const [params, setParams] = useSearchParams();
  const setParam = (change: Record<string, string | undefined>): void => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(change)) { if (v === undefined) next.delete(k); else next.set(k, v); }
    setParams(next, { replace: true });
  };
  const view = parseView(params.get("view"));
  const treeWatch = useTreeWatch(name, app.metadata.namespace);
  const resources = useMemo(() => app.status?.resources ?? [], [app.status?.resources]);
  const selectedKey = params.get("node") ?? undefined;
  const selectedNode = useMemo(() => (selectedKey ? resourceNodes(treeWatch.tree, resources).find((n) => n.id === selectedKey) : undefined), [selectedKey, treeWatch.tree, resources]);

  const refresh = (kind: "normal" | "hard"): void => {
    setBusy(true);
    setMessage(undefined);
    get(`api/v1/applications/${encodeURIComponent(name)}${query({ refresh: kind, appNamespace: app.metadata.namespace })}`)
      .then(() => setMessage({ text: kind === "hard" ? "Hard refresh done" : "Refresh done", error: false }))
      .catch((err: unknown) => setMessage({ text: errorText(err), error: true }))
      .finally(() => setBusy(false));
  };
  const auto = autoSyncOn(app);
  const toggleAutoSync = (): void => {
    setBusy(true);
    setMessage(undefined);
    request("PATCH", `api/v1/applications/${encodeURIComponent(name)}`, {
      body: { name, appNamespace: app.metadata.namespace, patchType: "merge", patch: JSON.stringify(autoSyncPatch(app, !auto)) },
    })
      .then(() => setMessage({ text: auto ? "Auto-sync disabled" : "Auto-sync enabled", error: false }))
      .catch((err: unknown) => setMessage({ text: errorText(err), error: true }))
      .finally(() => setBusy(false));
  };
  const deploy = params.get("deploy") ?? undefined;

  return (
    <div className="app-details" data-testid="app-details" data-app={name}>
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/applications">Applications</Link> / <span>{name}</span></nav>
      <div className="toolbar" role="toolbar" aria-label="Application actions" data-rbac={maySync !== undefined && mayUpdate !== undefined && mayDelete !== undefined ? "ready" : "asking"}>
        <h1>{name}</h1>
        <button onClick={() => setParam({ details: "true" })} data-testid="details-button">Details</button>
        {maySync === true && <button className="primary" onClick={() => setParam({ deploy: "all" })} disabled={running || busy} data-testid="sync-button">Sync</button>}
        <button onClick={() => setParam({ operation: "true" })} data-testid="sync-status-button">Sync status</button>
        {mayUpdate === true && <button onClick={toggleAutoSync} disabled={busy} aria-pressed={auto} data-testid="auto-sync-toggle">{auto ? "Disable auto-sync" : "Enable auto-sync"}</button>}
        {mayDelete === true && <button onClick={() => setDeleting(true)} disabled={busy || app.metadata.deletionTimestamp !== undefined} data-testid="delete-button">Delete</button>}
        <button onClick={() => refresh("normal")} disabled={busy} data-testid="refresh-button">Refresh</button>
        <button onClick={() => refresh("hard")} disabled={busy} data-testid="hard-refresh-button">Hard refresh</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {message && <p className={message.error ? "error" : "notice"} role={message.error ? "alert" : "status"}>{message.text}</p>}

      <section className="status-panel" aria-label="Status">
        <div className="status-box">
          <h3>App health</h3>
          <HealthBadge status={healthOf(app)} />
          {app.status?.health?.message && <p className="muted">{app.status.health.message}</p>}
        </div>
        <div className="status-box">
          <h3>Sync status</h3>
          <SyncBadge status={syncOf(app)} /> <span className="muted">to {targets.map((s) => s?.targetRevision || "HEAD").join(", ")}</span>
          {/* A multi-source app is compared at one revision per source (status.sync.revisions). */}
          {(app.status?.sync?.revisions ?? (app.status?.sync?.revision ? [app.status.sync.revision] : [])).map((r, i) => <p key={i} className="mono" title={r}>{shortRevision(r)}</p>)}
        </div>
        <div className="status-box" data-testid="operation">
          <h3>{running ? "Operation" : "Last sync"}</h3>
          {op ? (
            <>
              <PhaseBadge phase={op.phase} /> <span className="muted" data-testid="operation-started" data-started={op.startedAt}>{op.startedAt ? `started ${ago(op.startedAt)}` : ""}</span>
              {op.operation?.initiatedBy && <p className="muted">by {op.operation.initiatedBy.automated ? "automated sync policy" : op.operation.initiatedBy.username}</p>}
              {op.message && <p className="op-message">{op.message}</p>}
            </>
          ) : <p className="muted">never synced</p>}
        </div>
      </section>

      <section aria-label="Conditions" className="conditions">
        <h2>Conditions</h2>
        {(app.status?.conditions ?? []).length === 0 ? <p className="muted">None</p> : (
          <ul>{(app.status?.conditions ?? []).map((c, i) => <li key={i} className={/Error|Warning/.test(c.type) ? "condition-bad" : ""}><strong>{c.type}</strong>: {c.message}</li>)}</ul>
        )}
      </section>

      <section aria-label="Details" className="details">
        <h2>Details</h2>
        <DeepLinks path={`api/v1/applications/${encodeURIComponent(name)}/links${query({ namespace: app.metadata.namespace })}`} testId="app-links" />
        <dl className="fields">
          <dt>Project</dt><dd>{app.spec?.project || "default"}</dd>
          <dt>Repository</dt><dd>{src?.repoURL}</dd>
          <dt>Path</dt><dd>{src?.chart ?? src?.path}</dd>
          <dt>Target revision</dt><dd>{src?.targetRevision || "HEAD"}</dd>
          <dt>Destination</dt><dd>{app.spec?.destination?.name || app.spec?.destination?.server} / {app.spec?.destination?.namespace}</dd>
          <dt>Sync policy</dt><dd>{app.spec?.syncPolicy?.automated ? `Automated${app.spec.syncPolicy.automated.prune ? ", prune" : ""}${app.spec.syncPolicy.automated.selfHeal ? ", self-heal" : ""}` : "Manual"}</dd>
        </dl>
      </section>

      <section aria-label="Resources" className="resources">
        <div className="toolbar">
          <h2>Resources</h2>
          <div className="segmented" role="group" aria-label="Resource view">
            {APP_VIEWS.map((v) => <button key={v} aria-pressed={view === v} onClick={() => setParam({ view: v })} data-testid={`view-${v}`}>{v[0]!.toUpperCase() + v.slice(1)}</button>)}
          </div>
          <span className={`live ${treeWatch.live ? "on" : ""}`} data-testid="tree-live">{treeWatch.live ? "● live" : "○ connecting"}</span>
          <button onClick={() => setParam({ diff: "true" })} data-testid="app-diff-button">Diff</button>
          <button onClick={() => setParam({ history: "true" })} data-testid="history-button">History and rollback</button>
        </div>
        {treeWatch.error && <p className="error" role="alert">{treeWatch.error}</p>}
        {treeWatch.tree === undefined && !treeWatch.error ? <p className="muted">Loading the resource tree…</p>
          : <ResourceTree appName={name} tree={treeWatch.tree} resources={resources} view={view} selected={selectedKey} onSelect={(k) => setParam({ node: k, tab: undefined })}
              podSortMode={parsePodSortMode(params.get("podSortMode"))} onPodSortMode={(m) => setParam({ podSortMode: m })} />}
      </section>

      {selectedNode && <ResourcePanel app={app} node={selectedNode} tab={params.get("tab") ?? undefined} onTab={(t) => setParam({ tab: t })} onClose={() => setParam({ node: undefined, tab: undefined })}
        ops={{ maySync: maySync === true, mayDelete: mayDelete === true, onSync: () => setParam({ deploy: selectedNode.id }) }} />}
      {selectedKey && !selectedNode && treeWatch.tree && (
        <aside className="resource-panel" data-testid="resource-panel-missing"><p className="muted">{selectedKey} is not part of the application (any more).</p><button onClick={() => setParam({ node: undefined })}>Close</button></aside>
      )}
      {params.get("history") === "true" && <HistoryPanel app={app} maySync={mayRollback === true} onClose={(msg) => { setParam({ history: undefined }); if (msg) setMessage(msg); }} />}
      {params.get("diff") === "true" && <AppDiffPanel app={app} onClose={() => setParam({ diff: undefined })} />}

      {params.get("details") === "true" && <AppDetailsPanel app={app} mayUpdate={mayUpdate === true} tab={params.get("appTab") ?? undefined} onTab={(t) => setParam({ appTab: t })}
        onClose={(msg) => { setParam({ details: undefined, appTab: undefined }); if (msg) setMessage(msg); }} />}
      {params.get("operation") === "true" && <SyncStatusPanel app={app} maySync={maySync === true} onClose={(msg) => { setParam({ operation: undefined }); if (msg) setMessage(msg); }} />}
      {deploy && maySync === true && <SyncDialog app={app} {...(deploy !== "all" ? { onlyKey: deploy } : {})} onClose={(msg) => { setParam({ deploy: undefined }); if (msg) setMessage(msg); }} />}
      {deleting && <DeleteDialog app={app} onClose={(msg) => { setDeleting(false); if (msg) setMessage(msg); }} />}
    </div>
  );
}
