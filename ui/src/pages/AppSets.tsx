// /applicationsets and /applicationsets/:namespace/:name: the ApplicationSets the user may see;
// a set's generators, the Applications it owns with their sync and health (links to their pages),
// its conditions, and for a RollingSync its steps with the applications in each; Preview Apps asks
// the server what the generators make now (POST /api/v1/applicationsets/generate, nothing written).
import { useState, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { describeGenerator, rolloutSteps, type AppStatusEntry, type RolloutStep } from "../admin";
import { query, request } from "../api";
import { LoadError, NoteLine, useAction, useLoad } from "../components/Admin";
import { HealthBadge, SyncBadge } from "../components/Status";
import { useCan } from "../session";
import { sourceOf, type App } from "../apps";

interface Condition { type: string; status?: string; reason?: string; message?: string; lastTransitionTime?: string }
export interface AppSet {
  apiVersion?: string; kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    generators?: Array<Record<string, unknown>>;
    template?: { metadata?: { name?: string }; spec?: { project?: string } };
    strategy?: { type?: string; rollingSync?: { steps?: RolloutStep[] } };
    syncPolicy?: { applicationsSync?: string; preserveResourcesOnDeletion?: boolean };
    goTemplate?: boolean;
  };
  status?: {
    conditions?: Condition[];
    resources?: Array<{ name: string; namespace?: string; status?: string; health?: { status?: string } }>;
    applicationStatus?: AppStatusEntry[];
  };
}

const appLink = (name: string, namespace: string | undefined): string => `/applications/${encodeURIComponent(namespace ?? "")}/${encodeURIComponent(name)}`;
const setLink = (s: AppSet): string => `/applicationsets/${encodeURIComponent(s.metadata.namespace ?? "")}/${encodeURIComponent(s.metadata.name)}`;
/** Argo marks a set in trouble with ErrorOccurred (True) or ResourcesUpToDate (False). */
const troubled = (s: AppSet): Condition | undefined => s.status?.conditions?.find((c) => (c.type === "ErrorOccurred" && c.status === "True") || (c.type === "ResourcesUpToDate" && c.status === "False"));

export function AppSetsPage(): ReactNode {
  const { data, error } = useLoad<{ items?: AppSet[] }>("api/v1/applicationsets");
  return (
    <div className="page">
      <h1>ApplicationSets</h1>
      <LoadError error={error} />
      {data === undefined ? <p className="muted">Loading ApplicationSets…</p> : (data.items ?? []).length === 0 ? <p className="empty">No ApplicationSets.</p> : (
        <table className="table" aria-label="ApplicationSets">
          <thead><tr><th scope="col">Name</th><th scope="col">Namespace</th><th scope="col">Generators</th><th scope="col">Applications</th><th scope="col">Strategy</th><th scope="col">Status</th></tr></thead>
          <tbody>{(data.items ?? []).map((s) => {
            const bad = troubled(s);
            return (
              <tr key={`${s.metadata.namespace}/${s.metadata.name}`} data-appset={s.metadata.name}>
                <td><Link to={setLink(s)}>{s.metadata.name}</Link></td>
                <td>{s.metadata.namespace}</td>
                <td>{(s.spec?.generators ?? []).map(describeGenerator).join("; ")}</td>
                <td>{s.status?.resources?.length ?? 0}</td>
                <td>{s.spec?.strategy?.type ?? "AllAtOnce"}</td>
                <td className={bad ? "error" : ""}>{bad ? `${bad.type}: ${bad.message ?? ""}` : "OK"}</td>
              </tr>
            );
          })}</tbody>
        </table>
      )}
    </div>
  );
}

export function AppSetPage(): ReactNode {
  const { namespace, name = "" } = useParams();
  const { data: set, error } = useLoad<AppSet>(`api/v1/applicationsets/${encodeURIComponent(name)}${query({ appsetNamespace: namespace })}`);
  const project = set?.spec?.template?.spec?.project ?? "default";
  const mayPreview = useCan("applicationsets", "create", set ? `${project}/${set.metadata.namespace ?? ""}/${name}` : undefined);
  const [preview, setPreview] = useState<App[] | undefined>(undefined);
  const { busy, note, run } = useAction();
  const doPreview = (): void => {
    if (!set) return;
    const { status: _status, ...rest } = set;
    void _status;
    const body = { applicationSet: { ...rest, apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", metadata: { name: set.metadata.name, namespace: set.metadata.namespace } } };
    void run("", () => request<{ applications?: App[] }>("POST", "api/v1/applicationsets/generate", { body })).then((r) => { if (r) setPreview(r.applications ?? []); });
  };
  const rollout = set?.spec?.strategy?.type === "RollingSync" ? rolloutSteps(set.spec.strategy.rollingSync?.steps, set.status?.applicationStatus) : undefined;
  const stepOf = new Map((set?.status?.applicationStatus ?? []).map((a) => [a.application, a]));
  return (
    <div className="page" data-testid="appset-page" data-appset={name}>
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/applicationsets">ApplicationSets</Link> / <span>{name}</span></nav>
      <div className="toolbar"><h1>{name}</h1>{mayPreview === true && <button onClick={doPreview} disabled={busy || !set} data-testid="preview-apps">Preview apps</button>}</div>
      <LoadError error={error} />
      <NoteLine note={note} />
      {!set ? <p className="muted">Loading {name}…</p> : (
        <>
          <section aria-label="Details">
            <dl className="fields">
              <dt>Namespace</dt><dd>{set.metadata.namespace}</dd>
              <dt>Generators</dt><dd><ul className="plain">{(set.spec?.generators ?? []).map((g, i) => <li key={i} data-generator={i}>{describeGenerator(g)}</li>)}</ul></dd>
              <dt>Template</dt><dd><code>{set.spec?.template?.metadata?.name}</code>{set.spec?.goTemplate ? " (Go template)" : ""}, project {project}</dd>
              <dt>Strategy</dt><dd>{set.spec?.strategy?.type ?? "AllAtOnce"}</dd>
              <dt>Sync policy</dt><dd>{set.spec?.syncPolicy?.applicationsSync ?? "sync"}{set.spec?.syncPolicy?.preserveResourcesOnDeletion ? ", resources kept on deletion" : ""}</dd>
            </dl>
          </section>
          <section aria-label="Conditions" className="conditions">
            <h2>Conditions</h2>
            {(set.status?.conditions ?? []).length === 0 ? <p className="muted">None</p> : (
              <ul>{(set.status?.conditions ?? []).map((c, i) => <li key={i} className={troubled({ ...set, status: { conditions: [c] } }) ? "condition-bad" : ""}><strong>{c.type}</strong> ({c.status}{c.reason ? `, ${c.reason}` : ""}): {c.message}</li>)}</ul>
            )}
          </section>
          <section aria-label="Applications">
            <h2>Applications</h2>
            {(set.status?.resources ?? []).length === 0 ? <p className="muted">No applications.</p> : (
              <table className="table" aria-label="Generated applications">
                <thead><tr><th scope="col">Application</th><th scope="col">Sync</th><th scope="col">Health</th>{rollout && <th scope="col">Step</th>}{rollout && <th scope="col">Rollout status</th>}</tr></thead>
                <tbody>{(set.status?.resources ?? []).map((r) => (
                  <tr key={r.name} data-app={r.name}>
                    <td><Link to={appLink(r.name, r.namespace)}>{r.name}</Link></td>
                    <td><SyncBadge status={r.status} /></td><td><HealthBadge status={r.health?.status} /></td>
                    {rollout && <td>{stepOf.get(r.name)?.step ?? ""}</td>}
                    {rollout && <td>{stepOf.get(r.name)?.status ?? ""}{stepOf.get(r.name)?.message ? `: ${stepOf.get(r.name)?.message}` : ""}</td>}
                  </tr>
                ))}</tbody>
              </table>
            )}
          </section>
          {rollout && (
            <section aria-label="RollingSync steps">
              <h2>RollingSync steps</h2>
              <ol className="steps">{rollout.steps.map((s) => (
                <li key={s.index} data-step={s.index}>
                  <strong>Step {s.index}</strong>: {s.match}{s.maxUpdate !== undefined ? `, at most ${s.maxUpdate} at a time` : ""}
                  <div>{s.apps.length === 0 ? <span className="muted">no applications</span> : s.apps.map((a) => <span key={a.application} className="step-app"><Link to={appLink(a.application, set.metadata.namespace)}>{a.application}</Link> <span className="muted">{a.status}</span></span>)}</div>
                </li>
              ))}</ol>
              {rollout.unplaced.length > 0 && <p className="muted">Not in any step (never synced by the rollout): {rollout.unplaced.map((a) => a.application).join(", ")}</p>}
            </section>
          )}
          {preview && (
            <section aria-label="Preview" data-testid="preview">
              <h2>Preview: {preview.length} application(s) the generators make now</h2>
              <table className="table" aria-label="Previewed applications">
                <thead><tr><th scope="col">Name</th><th scope="col">Project</th><th scope="col">Source</th><th scope="col">Destination</th></tr></thead>
                <tbody>{preview.map((a) => (
                  <tr key={a.metadata.name} data-preview={a.metadata.name}><td>{a.metadata.name}</td><td>{a.spec?.project}</td><td className="mono small">{sourceOf(a)?.repoURL} {sourceOf(a)?.path}</td><td>{a.spec?.destination?.name || a.spec?.destination?.server} / {a.spec?.destination?.namespace}</td></tr>
                ))}</tbody>
              </table>
            </section>
          )}
        </>
      )}
    </div>
  );
}
