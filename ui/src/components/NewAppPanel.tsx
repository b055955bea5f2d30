// The New App panel of the applications list (`new=` URL parameter, argo-cd-server.md §5.1, "Create
// panel" in §5.2): a form (general, sync policy, source, destination, the tool's parameters) or
// the Application as YAML, created with POST /api/v1/applications. Suggestions come from the
// server: the repositories it knows, a repository's branches and tags (refs), the directories
// that look like applications (apps) and, for the chosen path, the tool and its parameters
// (appdetails); for a Helm repository, its charts and their versions (helmcharts) instead of
// refs and paths. A server refusal is shown under the field it names.
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { parse } from "yaml";
import { errorText, get, post, query } from "../api";
import type { App } from "../apps";
import {
  checkNewApp, emptyNewApp, fieldOfError, helmDefaults, newAppToApp, newAppYaml, yamlToNewApp,
  type FieldKey, type NewAppForm, type SourceDetails,
} from "../newApp";
import { ParamsFields } from "./ParamsFields";
import "../app-ops.css";

interface Repo { repo: string; type?: string }
interface Named { metadata?: { name?: string } }
interface Cluster { server?: string; name?: string }

const repoPath = (url: string): string => `api/v1/repositories/${encodeURIComponent(url)}`;

/** Suggestions fetched for a key; an error leaves none (the user can still type). */
function useFetched<T>(key: string | undefined, load: () => Promise<T>): T | undefined {
  const [state, setState] = useState<{ key?: string; value?: T }>({});
  useEffect(() => {
    if (!key) return;
    let live = true;
    load().then((value) => { if (live) setState({ key, value }); }, () => { if (live) setState({ key }); });
    return () => { live = false; };
    // `load` is rebuilt each render; `key` says when to fetch again.
  }, [key]);
  return key && state.key === key ? state.value : undefined;
}

export function NewAppPanel({ initial, onClose }: { initial: NewAppForm | undefined; onClose: (created?: App) => void }): ReactNode {
  const [form, setForm] = useState<NewAppForm>(() => initial ?? emptyNewApp());
  const [yaml, setYaml] = useState<string | undefined>(undefined);
  const [errors, setErrors] = useState<Partial<Record<FieldKey, string>>>({});
  const [general, setGeneral] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<NewAppForm>): void => {
    setForm((f) => ({ ...f, ...change }));
    // An error stays under its field until the user changes that field.
    setErrors((e) => (Object.keys(change).some((k) => k in e) ? Object.fromEntries(Object.entries(e).filter(([k]) => !(k in change))) : e));
  };

  const repos = useFetched("repos", () => get<{ items?: Repo[] }>("api/v1/repositories").then((r) => r.items ?? []));
  const projects = useFetched("projects", () => get<{ items?: Named[] }>("api/v1/projects").then((r) => (r.items ?? []).map((p) => p.metadata?.name ?? "").filter(Boolean)));
  const clusters = useFetched("clusters", () => get<{ items?: Cluster[] }>("api/v1/clusters").then((r) => r.items ?? []));
  const repo = form.repoURL.trim();
  const known = repos?.some((r) => r.repo === repo) === true;
  // A Helm repository's source is a chart at a version, not a path at a git revision.
  const helmRepo = repos?.some((r) => r.repo === repo && r.type === "helm") === true || form.chart.trim() !== "";
  // Refs and app directories are asked for known repositories only: the server answers for others
  // too, but a half-typed URL would start a clone per keystroke.
  // "HEAD" means nothing to a Helm repository: the version is asked for instead. A chart is
  // rendered by Helm (the server reads no details of a repository's chart yet: its parameters are typed).
  const hasChart = form.chart.trim() !== "";
  useEffect(() => {
    if (helmRepo && form.targetRevision === "HEAD") setForm((f) => ({ ...f, targetRevision: "" }));
    if (hasChart && !form.params.tool) setForm((f) => ({ ...f, params: { ...f.params, tool: "Helm" } }));
  }, [helmRepo, hasChart, form.targetRevision, form.params.tool]);
  const charts = useFetched(known && helmRepo ? `charts:${repo}` : undefined,
    () => get<{ items?: Array<{ name: string; versions?: string[] }> }>(`${repoPath(repo)}/helmcharts${query({ appProject: form.project })}`).then((r) => r.items ?? []));
  const chartVersions = charts?.find((c) => c.name === form.chart.trim())?.versions ?? [];
  const refs = useFetched(known && !helmRepo ? repo : undefined, () => get<{ branches?: string[]; tags?: string[] }>(`${repoPath(repo)}/refs${query({ appProject: form.project })}`));
  const appDirs = useFetched(known && !helmRepo ? `${repo}@${form.targetRevision}` : undefined,
    () => get<{ items?: Array<{ path: string; type?: string }> }>(`${repoPath(repo)}/apps${query({ revision: form.targetRevision, appName: form.name, appProject: form.project })}`).then((r) => r.items ?? []));
  const detailsKey = repo && form.path.trim() && !hasChart ? JSON.stringify([repo, form.path.trim(), form.targetRevision]) : undefined;
  const [details, setDetails] = useState<{ key?: string; value?: SourceDetails; error?: string }>({});
  useEffect(() => {
    if (!detailsKey) return;
    let live = true;
    const t = window.setTimeout(() => {
      post<SourceDetails>(`${repoPath(repo)}/appdetails`, { source: { repoURL: repo, path: form.path.trim(), targetRevision: form.targetRevision }, appName: form.name, appProject: form.project })
        .then((value) => {
          if (!live) return;
          setDetails({ key: detailsKey, value });
          // The detected tool becomes the form's unless the user chose one already.
          setForm((f) => (f.params.tool ? f : { ...f, params: { ...f.params, tool: value.type ?? "" } }));
        })
        .catch((err: unknown) => { if (live) setDetails({ key: detailsKey, error: errorText(err) }); });
    }, 300);
    return () => { live = false; window.clearTimeout(t); };
  }, [detailsKey]);
  const sourceDetails = details.key === detailsKey ? details.value : undefined;
  const defaults = useMemo(() => helmDefaults(sourceDetails), [sourceDetails]);

  const toYaml = (): void => { setYaml(newAppYaml(form, defaults)); setGeneral(undefined); };
  const toForm = (): void => {
    try {
      setForm(yamlToNewApp(yaml ?? ""));
      setYaml(undefined);
      setGeneral(undefined);
    } catch (err) {
      setGeneral(`YAML: ${errorText(err)}`);
    }
  };

  const create = (): void => {
    let body: unknown;
    if (yaml !== undefined) {
      try {
        const f = yamlToNewApp(yaml);
        const found = checkNewApp(f);
        if (Object.keys(found).length > 0) { setGeneral(Object.values(found).join("; ")); return; }
        body = { apiVersion: "argoproj.io/v1alpha1", kind: "Application", ...(parse(yaml) as object) };
      } catch (err) {
        setGeneral(`YAML: ${errorText(err)}`);
        return;
      }
    } else {
      const found = checkNewApp(form);
      setErrors(found);
      if (Object.keys(found).length > 0) { setGeneral(undefined); return; }
      body = newAppToApp(form, defaults);
    }
    setBusy(true);
    setGeneral(undefined);
    setErrors({});
    post<App>(`api/v1/applications${query({ validate: "true" })}`, body)
      .then((created) => onClose(created))
      .catch((err: unknown) => {
        setBusy(false);
        const text = errorText(err);
        const field = yaml === undefined ? fieldOfError(text) : undefined;
        if (field) setErrors({ [field]: text }); else setGeneral(text);
      });
  };

  const text = (label: string, key: Exclude<FieldKey, never> & keyof NewAppForm, o: { list?: string; placeholder?: string; multiline?: boolean } = {}): ReactNode => {
    const id = `new-app-${key}`;
    const error = errors[key];
    const value = form[key];
    return (
      <label className="field" htmlFor={id}>{label}
        {o.multiline
          ? <textarea id={id} value={value} onChange={(e) => set({ [key]: e.target.value })} data-testid={id} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
          : <input id={id} value={value} list={o.list} placeholder={o.placeholder} onChange={(e) => set({ [key]: e.target.value })} data-testid={id} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />}
        {error && <span className="error field-error" id={`${id}-error`} role="alert" data-testid={`${id}-error`}>{error}</span>}
      </label>
    );
  };
  const check = (label: string, key: "automated" | "prune" | "selfHeal" | "createNamespace", disabled = false): ReactNode => (
    <label className="check"><input type="checkbox" checked={form[key]} disabled={disabled} onChange={(e) => set({ [key]: e.target.checked })} data-testid={`new-app-${key}`} /> {label}</label>
  );

  return (
    <div className="dialog-backdrop">
      <aside className="resource-panel new-app-panel" role="dialog" aria-modal="true" aria-label="New application" data-testid="new-app-panel">
        <div className="panel-head">
          <h2>New application</h2>
          <div className="segmented" role="group" aria-label="Edit mode">
            <button aria-pressed={yaml === undefined} onClick={() => { if (yaml !== undefined) toForm(); }} data-testid="new-app-form-mode">Form</button>
            <button aria-pressed={yaml !== undefined} onClick={() => { if (yaml === undefined) toYaml(); }} data-testid="new-app-yaml-mode">Edit as YAML</button>
          </div>
          <button onClick={() => onClose()} aria-label="Close">✕</button>
        </div>
        <form onSubmit={(e) => { e.preventDefault(); create(); }} aria-label="Create application" data-testid="new-app-form">
          {yaml !== undefined ? (
            <label className="field" htmlFor="new-app-yaml">Application YAML
              <textarea id="new-app-yaml" className="mono yaml-editor" rows={28} value={yaml} onChange={(e) => setYaml(e.target.value)} spellCheck={false} data-testid="new-app-yaml" />
            </label>
          ) : (
            <>
              <fieldset>
                <legend>General</legend>
                {text("Application name", "name")}
                {text("Project", "project", { list: "new-app-projects" })}
                <datalist id="new-app-projects">{(projects ?? []).map((p) => <option key={p} value={p} />)}</datalist>
                {text("Application namespace (empty: the control namespace)", "appNamespace")}
              </fieldset>
              <fieldset>
                <legend>Sync policy</legend>
                {check("Automated", "automated")}
                {check("Prune resources", "prune", !form.automated)}
                {check("Self heal", "selfHeal", !form.automated)}
                {check("Auto-create namespace", "createNamespace")}
                {text("Other sync options (one a line, e.g. ServerSideApply=true)", "syncOptions", { multiline: true })}
              </fieldset>
              <fieldset>
                <legend>Source</legend>
                {text("Repository URL", "repoURL", { list: "new-app-repos", placeholder: "https://…" })}
                <datalist id="new-app-repos" data-testid="new-app-repo-options">{(repos ?? []).map((r) => <option key={r.repo} value={r.repo}>{r.type ?? "git"}</option>)}</datalist>
                {helmRepo ? (
                  <>
                    {text("Chart", "chart", { list: "new-app-charts" })}
                    <datalist id="new-app-charts" data-testid="new-app-chart-options">{(charts ?? []).map((c) => <option key={c.name} value={c.name} />)}</datalist>
                    {text("Chart version", "targetRevision", { list: "new-app-chart-versions" })}
                    <datalist id="new-app-chart-versions" data-testid="new-app-chart-version-options">{chartVersions.map((v) => <option key={v} value={v} />)}</datalist>
                  </>
                ) : (
                  <>
                    {text("Revision", "targetRevision", { list: "new-app-revisions" })}
                    <datalist id="new-app-revisions" data-testid="new-app-revision-options">
                      {["HEAD", ...(refs?.branches ?? []), ...(refs?.tags ?? [])].map((r) => <option key={r} value={r} />)}
                    </datalist>
                    {text("Path", "path", { list: "new-app-paths" })}
                    <datalist id="new-app-paths" data-testid="new-app-path-options">{(appDirs ?? []).map((a) => <option key={a.path} value={a.path}>{a.type}</option>)}</datalist>
                  </>
                )}
              </fieldset>
              <fieldset>
                <legend>Destination</legend>
                {text("Cluster URL", "destServer", { list: "new-app-clusters" })}
                <datalist id="new-app-clusters">{(clusters ?? []).filter((c) => c.server).map((c) => <option key={c.server} value={c.server}>{c.name}</option>)}</datalist>
                {text("Cluster name (instead of the URL)", "destName")}
                {text("Namespace", "destNamespace")}
              </fieldset>
              <fieldset data-testid="new-app-params">
                <legend>Parameters</legend>
                {details.key === detailsKey && details.error && <p className="muted" data-testid="new-app-details-error">Could not read the source: {details.error}</p>}
                <ParamsFields form={form.params} details={sourceDetails} onChange={(params) => set({ params })} />
              </fieldset>
            </>
          )}
          {general && <p className="error" role="alert" data-testid="new-app-error">{general}</p>}
          <div className="dialog-buttons">
            <button type="submit" className="primary" disabled={busy} data-testid="new-app-create">Create</button>
            <button type="button" onClick={() => onClose()}>Cancel</button>
          </div>
        </form>
      </aside>
    </div>
  );
}
