// The app's side panels: History and rollback (from status.history, newest first, each source of
// a multi-source app with the revision it was deployed at; rollback is
// POST .../rollback with the entry's id, refused by the server while auto-sync is on), and the
// whole app's diff (every managed resource whose live state differs from Git).
import { useEffect, useState, type ReactNode } from "react";
import { errorText, get, post, query } from "../api";
import type { App } from "../apps";
import { deployedSources, shortRevision } from "../appOps";
import { ago } from "./Status";
import { manifestDiff, toYaml } from "../manifests";
import { UnifiedDiff, type ResourceDiff } from "./ResourcePanel";

type Message = { text: string; error: boolean };

export function HistoryPanel({ app, maySync, onClose }: { app: App; maySync: boolean; onClose: (msg?: Message) => void }): ReactNode {
  const history = [...(app.status?.history ?? [])].reverse();
  const [confirm, setConfirm] = useState<number | undefined>(undefined);
  const [prune, setPrune] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const auto = Boolean(app.spec?.syncPolicy?.automated && app.spec.syncPolicy.automated.enabled !== false);
  const rollback = (id: number): void => {
    setBusy(true);
    setError(undefined);
    post(`api/v1/applications/${encodeURIComponent(app.metadata.name)}/rollback`, { id, prune, appNamespace: app.metadata.namespace })
      .then(() => onClose({ text: `Rollback to history ${id} started`, error: false }))
      .catch((err: unknown) => { setError(errorText(err)); setBusy(false); });
  };
  return (
    <aside className="resource-panel" role="dialog" aria-label="History and rollback" data-testid="history-panel">
      <div className="panel-head"><h2>History and rollback</h2><button onClick={() => onClose()} aria-label="Close">✕</button></div>
      {auto && <p className="muted">Auto-sync is on: the server refuses a rollback until it is turned off.</p>}
      {error && <p className="error" role="alert">{error}</p>}
      {history.length === 0 ? <p className="muted">No deployments yet.</p> : (
        <table className="events">
          <thead><tr><th>ID</th><th>Revision</th><th>Deployed</th><th>By</th><th /></tr></thead>
          <tbody>
            {history.map((h) => (
              <tr key={h.id} data-testid="history-entry" data-id={h.id}>
                <td>{h.id}</td>
                <td className="mono" data-testid="history-revisions">{deployedSources(h).map((d, i) => (
                  <div key={i} title={`${d.label}: ${d.revision}`} data-testid="history-revision" data-revision={d.revision}>
                    {shortRevision(d.revision)}{h.revisions && <span className="muted"> {d.label}</span>}
                  </div>
                ))}</td>
                <td title={h.deployedAt}>{ago(h.deployedAt)}</td>
                <td>{h.initiatedBy?.automated ? "auto-sync" : h.initiatedBy?.username ?? ""}</td>
                <td>{maySync && (confirm === h.id
                  ? <span><label className="check"><input type="checkbox" checked={prune} onChange={(e) => setPrune(e.target.checked)} /> Prune</label>
                    <button className="primary" disabled={busy} onClick={() => rollback(h.id)} data-testid="rollback-confirm">Roll back</button> <button onClick={() => setConfirm(undefined)}>Cancel</button></span>
                  : <button onClick={() => setConfirm(h.id)} data-testid="rollback-button">Rollback</button>)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </aside>
  );
}

export function AppDiffPanel({ app, onClose }: { app: App; onClose: () => void }): ReactNode {
  const [state, setState] = useState<{ items?: ResourceDiff[]; error?: string }>({});
  useEffect(() => {
    let current = true;
    get<{ items?: ResourceDiff[] }>(`api/v1/applications/${encodeURIComponent(app.metadata.name)}/managed-resources${query({ appNamespace: app.metadata.namespace })}`)
      .then((r) => { if (current) setState({ items: r.items ?? [] }); })
      .catch((err: unknown) => { if (current) setState({ error: errorText(err) }); });
    return () => { current = false; };
  }, [app.metadata.name, app.metadata.namespace, app.status?.reconciledAt]);
  const diffs = (state.items ?? [])
    .map((d) => ({ d, patch: manifestDiff(`${d.kind}/${d.name}`, toYaml(d.normalizedLiveState ?? d.liveState), toYaml(d.predictedLiveState ?? d.targetState)) }))
    .filter((x) => x.patch !== "");
  return (
    <aside className="resource-panel" role="dialog" aria-label="Application diff" data-testid="app-diff-panel">
      <div className="panel-head"><h2>Diff</h2><button onClick={onClose} aria-label="Close">✕</button></div>
      {state.error ? <p className="error" role="alert">{state.error}</p>
        : !state.items ? <p className="muted">Loading…</p>
        : diffs.length === 0 ? <p className="muted" data-testid="app-diff-none">Every resource matches Git.</p>
        : diffs.map(({ d, patch }) => (
          <section key={`${d.group ?? ""}/${d.kind}/${d.namespace ?? ""}/${d.name}`} data-testid="app-diff-item" data-kind={d.kind} data-name={d.name}>
            <h3>{d.kind} {d.namespace ? `${d.namespace}/` : ""}{d.name}</h3>
            <UnifiedDiff patch={patch} />
          </section>
        ))}
    </aside>
  );
}
