// The New App panel of the applications list (`new=` URL parameter, argo-cd-server.md §5.1, "Create
// panel" in §5.2): a form (general, sync policy, one or more sources with their tools'
// parameters, destination) or the Application as YAML, created with POST /api/v1/applications.
// "Add source" makes it Argo's multi-source app (`spec.sources`): each source has its own
// repository, revision, path or chart, `ref` (the name other sources' `$ref/...` value files use)
// and parameters. Suggestions come from the server: the repositories it knows, a repository's
// branches and tags (refs), the directories that look like applications (apps) and, for the chosen
// path, the tool and its parameters (appdetails); for a Helm repository, its charts and their
// versions (helmcharts) instead of refs and paths. A server refusal is shown under the field it names.
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { parse } from "yaml";
import { errorText, get, post, query } from "../api";
import type { App } from "../apps";
import {
  checkNewApp, emptyNewApp, emptySource, fieldOfError, helmDefaults, isMultiSource, newAppRemovalProblem, newAppToApp, newAppYaml, sourceField, yamlToNewApp,
  type FieldKey, type GeneralKey, type NewAppForm, type SourceDetails, type SourceForm, type SourceKey,
} from "../newApp";
import { ParamsFields } from "./ParamsFields";
import "../app-ops.css";

interface Repo { repo: string; type?: string }
interface Named { metadata?: { name?: string } }
interface Cluster { server?: string; name?: string }
type Errors = Partial<Record<FieldKey, string>>;

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

/** A text field with its error under it; `id` is also the test id. */
function TextField({ id, label, value, error, onChange, list, placeholder, multiline }: {
  id: string; label: string; value: string; error: string | undefined; onChange: (v: string) => void; list?: string; placeholder?: string; multiline?: boolean;
}): ReactNode {
  const aria = { "aria-invalid": error ? true : undefined, "aria-describedby": error ? `${id}-error` : undefined } as const;
  return (
    <label className="field" htmlFor={id}>{label}
      {multiline
        ? <textarea id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid={id} {...aria} />
        : <input id={id} value={value} list={list} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} data-testid={id} {...aria} />}
      {error && <span className="error field-error" id={`${id}-error`} role="alert" data-testid={`${id}-error`}>{error}</span>}
    </label>
  );
}

export function NewAppPanel({ initial, onClose }: { initial: NewAppForm | undefined; onClose: (created?: App) => void }): ReactNode {
  const [form, setForm] = useState<NewAppForm>(() => initial ?? emptyNewApp());
  const [yaml, setYaml] = useState<string | undefined>(undefined);
  const [errors, setErrors] = useState<Errors>({});
  const [general, setGeneral] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  // Each source's chart defaults (from appdetails): only parameters that differ are written.
  const [defaults, setDefaults] = useState<Array<Record<string, string> | undefined>>([]);
  // An error stays under its field until the user changes that field.
  const clearErrors = (keys: string[]): void => setErrors((e) => (keys.some((k) => k in e) ? Object.fromEntries(Object.entries(e).filter(([k]) => !keys.includes(k))) : e));
  const set = (change: Partial<Omit<NewAppForm, "sources">>): void => {
    setForm((f) => ({ ...f, ...change }));
    clearErrors(Object.keys(change));
  };
  const setSource = (i: number, change: Partial<SourceForm> | ((s: SourceForm) => Partial<SourceForm>)): void => {
    setForm((f) => ({ ...f, sources: f.sources.map((s, n) => (n === i ? { ...s, ...(typeof change === "function" ? change(s) : change) } : s)) }));
    if (typeof change !== "function") clearErrors(Object.keys(change).map((k) => sourceField(i, (k === "params" ? "valueFiles" : k) as SourceKey)));
  };
  const addSource = (): void => {
    setForm((f) => ({ ...f, multiSource: true, sources: [...f.sources, emptySource()] }));
  };
  const removeSource = (i: number): void => {
    // Refused as in the app page's SUMMARY: a source whose ref another source's value files read.
    const problem = newAppRemovalProblem(form, i);
    if (problem) {
      setGeneral(problem);
      return;
    }
    setForm((f) => ({ ...f, sources: f.sources.filter((_, n) => n !== i) }));
    setDefaults((d) => d.filter((_, n) => n !== i));
    // The indices after it moved: errors of sources are asked for again on Create.
    setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith("sources["))));
  };

  const repos = useFetched("repos", () => get<{ items?: Repo[] }>("api/v1/repositories").then((r) => r.items ?? []));
  const projects = useFetched("projects", () => get<{ items?: Named[] }>("api/v1/projects").then((r) => (r.items ?? []).map((p) => p.metadata?.name ?? "").filter(Boolean)));
  const clusters = useFetched("clusters", () => get<{ items?: Cluster[] }>("api/v1/clusters").then((r) => r.items ?? []));
  const multi = isMultiSource(form);

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
        const field = yaml === undefined ? fieldOfError(text, multi) : undefined;
        if (field && (!field.startsWith("sources[") || Number(/\d+/.exec(field)?.[0]) < form.sources.length)) setErrors({ [field]: text }); else setGeneral(text);
      });
  };

  const text = (label: string, key: GeneralKey, o: { list?: string; placeholder?: string; multiline?: boolean } = {}): ReactNode => (
    <TextField id={`new-app-${key}`} label={label} value={form[key]} error={errors[key]} onChange={(v) => set({ [key]: v })} {...o} />
  );
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
              <datalist id="new-app-repos" data-testid="new-app-repo-options">{(repos ?? []).map((r) => <option key={r.repo} value={r.repo}>{r.type ?? "git"}</option>)}</datalist>
              {form.sources.map((s, i) => (
                <SourceFields key={i} index={i} source={s} multi={multi} form={form} repos={repos} errors={errors}
                  onChange={(change) => setSource(i, change)} onDefaults={(d) => setDefaults((all) => { const next = [...all]; next[i] = d; return next; })}
                  onRemove={form.sources.length > 1 ? () => removeSource(i) : undefined} />
              ))}
              <div className="action-bar">
                <button type="button" onClick={addSource} data-testid="new-app-add-source">Add source</button>
                {multi && <span className="muted">A multi-source app: each source is rendered, and a source with a ref lends its files to the others&apos; <code>$ref/…</code> value files.</span>}
              </div>
              <fieldset>
                <legend>Destination</legend>
                {text("Cluster URL", "destServer", { list: "new-app-clusters" })}
                <datalist id="new-app-clusters">{(clusters ?? []).filter((c) => c.server).map((c) => <option key={c.server} value={c.server}>{c.name}</option>)}</datalist>
                {text("Cluster name (instead of the URL)", "destName")}
                {text("Namespace", "destNamespace")}
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

/**
 * One source of the form with its suggestions and its tool's parameters. The first source keeps
 * the plain ids (`new-app-repoURL`); source i > 0 adds `-i` to each id.
 */
function SourceFields({ index, source: s, multi, form, repos, errors, onChange, onDefaults, onRemove }: {
  index: number; source: SourceForm; multi: boolean; form: NewAppForm; repos: Repo[] | undefined; errors: Errors;
  onChange: (change: Partial<SourceForm> | ((s: SourceForm) => Partial<SourceForm>)) => void;
  onDefaults: (d: Record<string, string> | undefined) => void; onRemove: (() => void) | undefined;
}): ReactNode {
  const suffix = index === 0 ? "" : `-${index}`;
  const repo = s.repoURL.trim();
  const known = repos?.some((r) => r.repo === repo) === true;
  // A Helm repository's source is a chart at a version, not a path at a git revision.
  const hasChart = s.chart.trim() !== "";
  const helmRepo = repos?.some((r) => r.repo === repo && r.type === "helm") === true || hasChart;
  // "HEAD" means nothing to a Helm repository: the version is asked for instead.
  useEffect(() => {
    if (helmRepo && s.targetRevision === "HEAD") onChange((cur) => (cur.targetRevision === "HEAD" ? { targetRevision: "" } : {}));
    if (hasChart && !s.params.tool) onChange((cur) => (cur.params.tool ? {} : { params: { ...cur.params, tool: "Helm" } }));
  }, [helmRepo, hasChart, s.targetRevision, s.params.tool]);
  // Refs and app directories are asked for known repositories only: the server answers for others
  // too, but a half-typed URL would start a clone per keystroke.
  const charts = useFetched(known && helmRepo ? `charts:${repo}` : undefined,
    () => get<{ items?: Array<{ name: string; versions?: string[] }> }>(`${repoPath(repo)}/helmcharts${query({ appProject: form.project })}`).then((r) => r.items ?? []));
  const chartVersions = charts?.find((c) => c.name === s.chart.trim())?.versions ?? [];
  const refs = useFetched(known && !helmRepo ? repo : undefined, () => get<{ branches?: string[]; tags?: string[] }>(`${repoPath(repo)}/refs${query({ appProject: form.project })}`));
  const appDirs = useFetched(known && !helmRepo ? `${repo}@${s.targetRevision}` : undefined,
    () => get<{ items?: Array<{ path: string; type?: string }> }>(`${repoPath(repo)}/apps${query({ revision: s.targetRevision, appName: form.name, appProject: form.project })}`).then((r) => r.items ?? []));
  // A ref-only source (a ref and no path) is not rendered: it has no tool to detect.
  const detailsKey = repo && s.path.trim() && !hasChart ? JSON.stringify([repo, s.path.trim(), s.targetRevision]) : undefined;
  const [details, setDetails] = useState<{ key?: string; value?: SourceDetails; error?: string }>({});
  useEffect(() => {
    if (!detailsKey) return;
    let live = true;
    const t = window.setTimeout(() => {
      post<SourceDetails>(`${repoPath(repo)}/appdetails`, { source: { repoURL: repo, path: s.path.trim(), targetRevision: s.targetRevision }, appName: form.name, appProject: form.project })
        .then((value) => {
          if (!live) return;
          setDetails({ key: detailsKey, value });
          // The detected tool becomes the source's unless the user chose one already.
          onChange((cur) => (cur.params.tool ? {} : { params: { ...cur.params, tool: value.type ?? "" } }));
        })
        .catch((err: unknown) => { if (live) setDetails({ key: detailsKey, error: errorText(err) }); });
    }, 300);
    return () => { live = false; window.clearTimeout(t); };
  }, [detailsKey]);
  const sourceDetails = details.key === detailsKey ? details.value : undefined;
  const defaults = useMemo(() => helmDefaults(sourceDetails), [sourceDetails]);
  useEffect(() => onDefaults(defaults), [defaults, index]);

  const field = (label: string, key: Exclude<SourceKey, "valueFiles">, o: { list?: string; placeholder?: string } = {}): ReactNode => (
    <TextField id={`new-app-${key}${suffix}`} label={label} value={s[key]} error={errors[sourceField(index, key)]} onChange={(v) => onChange({ [key]: v })} {...o} />
  );
  const list = (name: string): string => `new-app-${name}${suffix}`;
  const valueFilesError = errors[sourceField(index, "valueFiles")];
  return (
    <fieldset data-testid={`new-app-source${suffix}`}>
      <legend>{multi ? `Source ${index + 1}` : "Source"}</legend>
      {onRemove && <button type="button" onClick={onRemove} aria-label={`Remove source ${index + 1}`} data-testid={`new-app-remove-source${suffix}`}>Remove source</button>}
      {field("Repository URL", "repoURL", { list: "new-app-repos", placeholder: "https://…" })}
      {helmRepo ? (
        <>
          {field("Chart", "chart", { list: list("charts") })}
          <datalist id={list("charts")} data-testid={`new-app-chart-options${suffix}`}>{(charts ?? []).map((c) => <option key={c.name} value={c.name} />)}</datalist>
          {field("Chart version", "targetRevision", { list: list("chart-versions") })}
          <datalist id={list("chart-versions")} data-testid={`new-app-chart-version-options${suffix}`}>{chartVersions.map((v) => <option key={v} value={v} />)}</datalist>
        </>
      ) : (
        <>
          {field("Revision", "targetRevision", { list: list("revisions") })}
          <datalist id={list("revisions")} data-testid={`new-app-revision-options${suffix}`}>
            {["HEAD", ...(refs?.branches ?? []), ...(refs?.tags ?? [])].map((r) => <option key={r} value={r} />)}
          </datalist>
          {field(multi ? "Path (empty with a ref: the source only lends its files)" : "Path", "path", { list: list("paths") })}
          <datalist id={list("paths")} data-testid={`new-app-path-options${suffix}`}>{(appDirs ?? []).map((a) => <option key={a.path} value={a.path}>{a.type}</option>)}</datalist>
        </>
      )}
      {(multi || s.ref) && field("Ref (other sources' value files read $ref/<file>)", "ref")}
      <fieldset data-testid={`new-app-params${suffix}`}>
        <legend>Parameters</legend>
        {details.key === detailsKey && details.error && <p className="muted" data-testid={`new-app-details-error${suffix}`}>Could not read the source: {details.error}</p>}
        <ParamsFields form={s.params} details={sourceDetails} onChange={(params) => onChange({ params })} />
        {valueFilesError && <span className="error field-error" role="alert" data-testid={`new-app-valueFiles${suffix}-error`}>{valueFilesError}</span>}
      </fieldset>
    </fieldset>
  );
}
