// The application's details panel (`details=true`, tab in `appTab=`; argo-cd-server.md §5.2 "App
// panel tabs"): SUMMARY with an editor for project, labels, annotations, destination, source,
// sync policy (automated, prune, self-heal, allow empty), sync options and retry, saved with PUT
// (the whole Application, so the server's update RBAC and validation apply; a multi-source app
// shows and edits every source, adds one and removes one, with New App's source checks; "Add
// source" on a single-source app makes it multi-source in that one update, as Argo's UI does);
// PARAMETERS of the source's tool (SOURCES for a multi-source app, one section per source), with
// the tool and the chart's parameters from appdetails, edited and saved the same way; the
// Application's MANIFEST; its EVENTS; and its conditions. Editing is offered only to a user with
// `applications, update` on the app.
import { useEffect, useState, type ReactNode } from "react";
import { stringify } from "yaml";
import { errorText, get, post, query, request } from "../api";
import type { App, AppSource } from "../apps";
import {
  addSummarySource, applySummary, isMultiSourceApp, removeSummarySource, sourceParameters, summaryForm, type ParameterGroup, type SourceRow, type SourceRowField, type SummaryForm,
} from "../appOps";
import { applyParams, helmDefaults, paramsForm, type ParamsForm, type SourceDetails } from "../newApp";
import { ParamsFields } from "./ParamsFields";
import { ago } from "./Status";
import { RetryFields } from "./SyncDialog";
import { Subscriptions } from "./Subscriptions";
import "../app-ops.css";

type Message = { text: string; error: boolean };
const TABS = ["summary", "parameters", "manifest", "events"] as const;
type Tab = (typeof TABS)[number];
interface KubeEvent { type?: string; reason?: string; message?: string; count?: number; lastTimestamp?: string; eventTime?: string; metadata?: { uid?: string; creationTimestamp?: string } }

export function AppDetailsPanel({ app, mayUpdate, tab, onTab, onClose }: {
  app: App; mayUpdate: boolean; tab: string | undefined; onTab: (t: Tab) => void; onClose: (msg?: Message) => void;
}): ReactNode {
  // A multi-source app's PARAMETERS tab is Argo's SOURCES (`appTab=sources` is taken as the same tab).
  const requested = tab === "sources" ? "parameters" : tab;
  const current: Tab = (TABS as readonly string[]).includes(requested ?? "") ? requested as Tab : "summary";
  const label = (t: Tab): string => (t === "parameters" && isMultiSourceApp(app) ? "SOURCES" : t.toUpperCase());
  return (
    <aside className="resource-panel" role="dialog" aria-label={`Application ${app.metadata.name}`} data-testid="app-details-panel">
      <div className="panel-head"><h2>{app.metadata.name}</h2><button onClick={() => onClose()} aria-label="Close">✕</button></div>
      <div className="segmented panel-tabs" role="tablist">
        {TABS.map((t) => <button key={t} role="tab" aria-selected={current === t} onClick={() => onTab(t)} data-testid={`app-tab-${t}`}>{label(t)}</button>)}
      </div>
      {current === "summary" && <SummaryTab app={app} mayUpdate={mayUpdate} onSaved={(m) => onClose(m)} />}
      {current === "parameters" && <ParametersTab app={app} mayUpdate={mayUpdate} onSaved={(m) => onClose(m)} />}
      {current === "manifest" && <pre className="manifest mono" data-testid="app-manifest">{stringify({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", ...app })}</pre>}
      {current === "events" && <AppEvents app={app} />}
    </aside>
  );
}

function SummaryTab({ app, mayUpdate, onSaved }: { app: App; mayUpdate: boolean; onSaved: (m: Message) => void }): ReactNode {
  const [editing, setEditing] = useState<SummaryForm | undefined>(undefined);
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const view = summaryForm(app);
  const save = (): void => {
    if (!editing) return;
    const r = applySummary(app, editing);
    setErrors(r.errors);
    if (!r.app) return;
    setBusy(true);
    request("PUT", `api/v1/applications/${encodeURIComponent(app.metadata.name)}${query({ validate: "true" })}`, { body: r.app })
      .then(() => { setEditing(undefined); setBusy(false); onSaved({ text: `${app.metadata.name} updated`, error: false }); })
      .catch((err: unknown) => { setErrors([errorText(err)]); setBusy(false); });
  };
  const conditions = app.status?.conditions ?? [];
  if (!editing) {
    return (
      <>
        <div className="action-bar">{mayUpdate && (
          <>
            <button onClick={() => { setEditing(view); setErrors([]); }} data-testid="summary-edit">Edit</button>
            <button onClick={() => { setEditing(addSummarySource(view)); setErrors([]); }} data-testid="app-add-source">Add source</button>
          </>
        )}</div>
        <dl className="fields" data-testid="app-summary">
          <dt>Project</dt><dd>{view.project}</dd>
          <dt>Labels</dt><dd className="mono">{view.labels || "–"}</dd>
          <dt>Annotations</dt><dd className="mono">{view.annotations || "–"}</dd>
          <dt>Cluster</dt><dd>{view.destServer || view.destName}</dd>
          <dt>Namespace</dt><dd>{view.destNamespace || "–"}</dd>
          {view.multi ? (
            <>
              <dt>Sources</dt>
              <dd><ol className="source-list" data-testid="summary-sources">{view.sources.map((r, i) => (
                <li key={i} data-testid="summary-source">
                  <span className="mono">{r.repoURL}</span>{r.chart ? ` chart ${r.chart}` : r.path ? ` path ${r.path}` : ""} @ {r.targetRevision || "HEAD"}
                  {r.ref && <span className="muted"> (ref ${r.ref})</span>}
                </li>
              ))}</ol></dd>
            </>
          ) : (
            <>
              <dt>Repository</dt><dd>{view.sources[0]?.repoURL}</dd>
              <dt>{view.sources[0]?.chart ? "Chart" : "Path"}</dt><dd>{view.sources[0]?.chart || view.sources[0]?.path}</dd>
              <dt>Target revision</dt><dd>{view.sources[0]?.targetRevision || "HEAD"}</dd>
            </>
          )}
          <dt>Sync policy</dt><dd data-testid="summary-sync-policy">{view.automated ? `Automated${view.prune ? ", prune" : ""}${view.selfHeal ? ", self-heal" : ""}${view.allowEmpty ? ", allow empty" : ""}` : "Manual"}</dd>
          <dt>Sync options</dt><dd className="mono">{view.syncOptions.replace(/\n/g, ", ") || "–"}</dd>
          <dt>Retry</dt><dd>{view.retry.enabled ? `limit ${view.retry.limit}, ${view.retry.duration} × ${view.retry.factor} up to ${view.retry.maxDuration}` : "–"}</dd>
          <dt>Images</dt><dd className="mono">{(app.status?.summary?.images ?? []).join(", ") || "–"}</dd>
          <dt>Links</dt><dd>{(app.status?.summary?.externalURLs ?? []).map((u) => <a key={u} href={u} target="_blank" rel="noreferrer">{u} </a>)}</dd>
        </dl>
        <Subscriptions app={app} mayUpdate={mayUpdate} />
        <h3>Conditions</h3>
        {conditions.length === 0 ? <p className="muted">None</p>
          : <ul>{conditions.map((c, i) => <li key={i}><strong>{c.type}</strong>: {c.message} <span className="muted">{c.lastTransitionTime ? ago(c.lastTransitionTime) : ""}</span></li>)}</ul>}
      </>
    );
  }
  const f = editing;
  const set = (change: Partial<SummaryForm>): void => setEditing({ ...f, ...change });
  type TextKey = { [K in keyof SummaryForm]-?: SummaryForm[K] extends string ? K : never }[keyof SummaryForm];
  const text = (label: string, key: TextKey, multiline = false): ReactNode => (
    <label className="field">{label}
      {multiline
        ? <textarea value={f[key]} onChange={(e) => set({ [key]: e.target.value })} data-testid={`summary-${key}`} />
        : <input value={f[key]} onChange={(e) => set({ [key]: e.target.value })} data-testid={`summary-${key}`} />}
    </label>
  );
  const check = (label: string, key: "automated" | "prune" | "selfHeal" | "allowEmpty", disabled = false): ReactNode => (
    <label className="check"><input type="checkbox" checked={f[key]} disabled={disabled} onChange={(e) => set({ [key]: e.target.checked })} data-testid={`summary-${key}`} /> {label}</label>
  );
  return (
    <form onSubmit={(e) => { e.preventDefault(); save(); }} aria-label="Edit application" data-testid="summary-form">
      {text("Project", "project")}
      {text("Labels (key=value, one a line)", "labels", true)}
      {text("Annotations (key=value, one a line)", "annotations", true)}
      {text("Cluster URL", "destServer")}
      {text("Cluster name (instead of the URL)", "destName")}
      {text("Namespace", "destNamespace")}
      {f.sources.map((row, i) => {
        const setRow = (change: Partial<SourceRow>): void => set({ sources: f.sources.map((r, n) => (n === i ? { ...r, ...change } : r)) });
        // The first source keeps the plain test ids; source i > 0 adds `-i`.
        const field = (label: string, key: SourceRowField): ReactNode => (
          <label className="field">{label}<input value={row[key]} onChange={(e) => setRow({ [key]: e.target.value })} data-testid={`summary-${key}${i === 0 ? "" : `-${i}`}`} /></label>
        );
        const fields = (
          <>
            {field("Repository URL", "repoURL")}
            {field("Path", "path")}
            {field("Chart", "chart")}
            {field("Target revision", "targetRevision")}
            {f.multi && field("Ref (other sources' value files read $ref/<file>)", "ref")}
          </>
        );
        const remove = (): void => {
          const r = removeSummarySource(f, i);
          if (r.form) { setEditing(r.form); setErrors([]); } else setErrors([r.error ?? "The source cannot be removed"]);
        };
        return f.multi ? (
          <fieldset key={i} data-testid={`summary-source-${i}`}><legend>Source {i + 1}</legend>{fields}
            {f.sources.length > 1 && <button type="button" onClick={remove} aria-label={`Remove source ${i + 1}`} data-testid={`summary-remove-source-${i}`}>Remove source</button>}
          </fieldset>
        ) : <div key={i}>{fields}</div>;
      })}
      <button type="button" onClick={() => set(addSummarySource(f))} data-testid="summary-add-source">Add source</button>
      {f.fromSingle && <p className="muted" data-testid="summary-to-multi">Saving makes this a multi-source application: its source becomes spec.sources[0], followed by the new one.</p>}
      <fieldset>
        <legend>Sync policy</legend>
        {check("Automated", "automated")}
        {check("Prune resources", "prune", !f.automated)}
        {check("Self heal", "selfHeal", !f.automated)}
        {check("Allow empty", "allowEmpty", !f.automated)}
      </fieldset>
      {text("Sync options (one a line, e.g. CreateNamespace=true)", "syncOptions", true)}
      <RetryFields retry={f.retry} onChange={(retry) => set({ retry })} />
      {errors.length > 0 && <ul className="error" role="alert">{errors.map((e) => <li key={e}>{e}</li>)}</ul>}
      <div className="dialog-buttons">
        <button type="submit" className="primary" disabled={busy} data-testid="summary-save">Save</button>
        <button type="button" onClick={() => { setEditing(undefined); setErrors([]); }}>Cancel</button>
      </div>
    </form>
  );
}

/** PARAMETERS (SOURCES for a multi-source app, as Argo names it): each source's tool parameters, each edited and saved on its own. */
function ParametersTab({ app, mayUpdate, onSaved }: { app: App; mayUpdate: boolean; onSaved: (m: Message) => void }): ReactNode {
  const multi = isMultiSourceApp(app);
  const sources = multi ? app.spec?.sources ?? [] : app.spec?.source ? [app.spec.source] : [];
  const groups = sourceParameters(app);
  if (sources.length === 0) return <p className="muted">The application has no source.</p>;
  return (
    <div data-testid="app-parameters">
      {sources.map((src, i) => (
        <SourceParameters key={i} app={app} index={i} multi={multi} src={src} group={groups[i]} mayUpdate={mayUpdate} onSaved={onSaved} />
      ))}
    </div>
  );
}

function SourceParameters({ app, index, multi, src, group, mayUpdate, onSaved }: {
  app: App; index: number; multi: boolean; src: AppSource; group: ParameterGroup | undefined; mayUpdate: boolean; onSaved: (m: Message) => void;
}): ReactNode {
  const [details, setDetails] = useState<{ value?: SourceDetails; error?: string }>({});
  const [editing, setEditing] = useState<ParamsForm | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  // A ref-only source (a ref and no path) is not rendered: it only lends its files to `$ref/...`.
  const refOnly = Boolean(src.ref) && !src.path && !src.chart;
  // The tool and the chart's parameters with their defaults, as the server renders the source;
  // asked again only when the source changes (the watch delivers a new object on every status change).
  const srcKey = JSON.stringify(src);
  useEffect(() => {
    if (!src.repoURL || refOnly) return;
    let live = true;
    post<SourceDetails>(`api/v1/repositories/${encodeURIComponent(src.repoURL)}/appdetails`, {
      // Qualified, so an app outside the control namespace is found; its ref sources lend `$ref` value files.
      source: src, appName: app.metadata.namespace ? `${app.metadata.namespace}/${app.metadata.name}` : app.metadata.name, appProject: app.spec?.project || "default", ...(multi ? { sourceIndex: index } : {}),
    })
      .then((value) => { if (live) setDetails({ value }); })
      .catch((err: unknown) => { if (live) setDetails({ error: errorText(err) }); });
    return () => { live = false; };
  }, [app.metadata.namespace, app.metadata.name, app.spec?.project, srcKey, index]);
  const save = (): void => {
    if (!editing) return;
    setBusy(true);
    setError(undefined);
    const written = applyParams(src, editing, helmDefaults(details.value));
    const spec = multi
      ? { ...app.spec, sources: (app.spec?.sources ?? []).map((s, n) => (n === index ? written : s)) }
      : { ...app.spec, source: written };
    const next = { ...app, spec };
    delete (next as { status?: unknown }).status;
    request("PUT", `api/v1/applications/${encodeURIComponent(app.metadata.name)}${query({ validate: "true" })}`, { body: next })
      .then(() => { setEditing(undefined); setBusy(false); onSaved({ text: `${app.metadata.name} ${multi ? `source ${index + 1} ` : ""}parameters updated`, error: false }); })
      .catch((err: unknown) => { setError(errorText(err)); setBusy(false); });
  };
  const head = multi && (
    <h3 data-testid="app-source-title">Source {index + 1}: <span className="mono">{src.repoURL}</span>
      {" "}<span className="muted">{src.chart ? `chart ${src.chart}` : src.path ? `path ${src.path}` : ""}{src.targetRevision ? ` @ ${src.targetRevision}` : ""}{src.ref ? ` (ref $${src.ref})` : ""}</span></h3>
  );
  if (editing) {
    return (
      <section data-testid={`app-source-${index}`}>
        {head}
        <form onSubmit={(e) => { e.preventDefault(); save(); }} aria-label={multi ? `Edit parameters of source ${index + 1}` : "Edit parameters"} data-testid="params-form">
          <ParamsFields form={editing} details={details.value} onChange={setEditing} />
          {error && <p className="error" role="alert" data-testid="params-error">{error}</p>}
          <div className="dialog-buttons">
            <button type="submit" className="primary" disabled={busy} data-testid="params-save">Save</button>
            <button type="button" onClick={() => { setEditing(undefined); setError(undefined); }}>Cancel</button>
          </div>
        </form>
      </section>
    );
  }
  return (
    <section data-testid={`app-source-${index}`}>
      {head}
      <div className="action-bar">
        {mayUpdate && !refOnly && (
          <button onClick={() => setEditing(paramsForm(src, details.value))} disabled={!details.value && !details.error} data-testid="params-edit"
            aria-label={multi ? `Edit parameters of source ${index + 1}` : undefined}>Edit</button>
        )}
        {details.value?.type && <span className="muted" data-testid="params-detected">Tool: {details.value.type}</span>}
        {details.error && <span className="muted" data-testid="params-details-error">Could not read the source: {details.error}</span>}
      </div>
      {refOnly ? <p className="muted" data-testid="params-ref-only">Not rendered: other sources read its files as <span className="mono">${src.ref}/…</span></p> : group && (
        <>
          {multi ? null : <h3>{group.title}</h3>}
          {group.rows.length === 0 ? <p className="muted">No parameters set.</p> : (
            <dl className="fields" data-testid="params-rows">{group.rows.map((r, i) => <div key={i} style={{ display: "contents" }}><dt className="mono">{r.name}</dt><dd className="mono" style={{ whiteSpace: "pre-wrap" }}>{r.value}</dd></div>)}</dl>
          )}
        </>
      )}
      {details.value?.type === "Helm" && (details.value.helm?.parameters ?? []).length > 0 && (
        <>
          <h4>Chart parameters (defaults)</h4>
          <dl className="fields" data-testid="params-chart-defaults">{(details.value.helm?.parameters ?? []).map((p) => <div key={p.name} style={{ display: "contents" }}><dt className="mono">{p.name}</dt><dd className="mono">{p.value}</dd></div>)}</dl>
        </>
      )}
    </section>
  );
}

function AppEvents({ app }: { app: App }): ReactNode {
  const [state, setState] = useState<{ items?: KubeEvent[]; error?: string }>({});
  useEffect(() => {
    let live = true;
    get<{ items?: KubeEvent[] }>(`api/v1/applications/${encodeURIComponent(app.metadata.name)}/events${query({ appNamespace: app.metadata.namespace })}`)
      .then((r) => { if (live) setState({ items: r.items ?? [] }); })
      .catch((err: unknown) => { if (live) setState({ error: errorText(err) }); });
    return () => { live = false; };
  }, [app.metadata.name, app.metadata.namespace, app.status?.reconciledAt]);
  if (state.error) return <p className="error" role="alert">{state.error}</p>;
  if (!state.items) return <p className="muted">Loading…</p>;
  if (state.items.length === 0) return <p className="muted" data-testid="app-events">No events.</p>;
  return (
    <table className="events" data-testid="app-events">
      <thead><tr><th>Type</th><th>Reason</th><th>Message</th><th>Count</th><th>Last seen</th></tr></thead>
      <tbody>{state.items.map((e, i) => <tr key={e.metadata?.uid ?? i}><td>{e.type}</td><td>{e.reason}</td><td>{e.message}</td><td>{e.count ?? 1}</td><td>{ago(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp)}</td></tr>)}</tbody>
    </table>
  );
}
