// The sync status panel (`operation=true`, argo-cd-server.md §5.2): the running or last operation
// with its phase, revision, times and message, and the result of each resource (sync status, hook
// phase, message), live from the app watch. Terminate (DELETE .../operation) while it runs, for
// users who may sync.
import { useState, type ReactNode } from "react";
import { errorText, query, request } from "../api";
import type { App } from "../apps";
import { ago, PhaseBadge } from "./Status";
import "../app-ops.css";

type Message = { text: string; error: boolean };

export function SyncStatusPanel({ app, maySync, onClose }: { app: App; maySync: boolean; onClose: (msg?: Message) => void }): ReactNode {
  const op = app.status?.operationState;
  const running = op?.phase === "Running" || op?.phase === "Terminating" || (app.operation !== undefined && app.operation !== null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const terminate = (): void => {
    setBusy(true);
    setError(undefined);
    request("DELETE", `api/v1/applications/${encodeURIComponent(app.metadata.name)}/operation${query({ appNamespace: app.metadata.namespace })}`)
      .then(() => onClose({ text: "Termination requested", error: false }))
      .catch((err: unknown) => { setError(errorText(err)); setBusy(false); });
  };
  const results = op?.syncResult?.resources ?? [];
  return (
    <aside className="resource-panel" role="dialog" aria-label="Sync status" data-testid="sync-status-panel" data-phase={op?.phase ?? ""}>
      <div className="panel-head"><h2>Sync status</h2><button onClick={() => onClose()} aria-label="Close">✕</button></div>
      {error && <p className="error" role="alert">{error}</p>}
      {!op ? <p className="muted">No operation yet.</p> : (
        <>
          <dl className="fields">
            <dt>Phase</dt><dd><PhaseBadge phase={op.phase} /></dd>
            <dt>Initiated by</dt><dd>{op.operation?.initiatedBy?.automated ? "automated sync policy" : op.operation?.initiatedBy?.username ?? "–"}</dd>
            <dt>Revision</dt><dd className="mono">{(op.syncResult?.revisions ?? op.operation?.sync?.revisions)?.join(", ") ?? op.syncResult?.revision ?? op.operation?.sync?.revision ?? "–"}</dd>
            <dt>Started</dt><dd title={op.startedAt}>{op.startedAt ? ago(op.startedAt) : "–"}</dd>
            <dt>Finished</dt><dd title={op.finishedAt}>{op.finishedAt ? ago(op.finishedAt) : running ? "running" : "–"}</dd>
            <dt>Message</dt><dd data-testid="operation-message">{op.message ?? ""}</dd>
          </dl>
          {running && maySync && <p><button onClick={terminate} disabled={busy || op.phase === "Terminating"} data-testid="terminate-button">Terminate</button></p>}
          <h3>Result</h3>
          {results.length === 0 ? <p className="muted">No resource results yet.</p> : (
            <table className="results" data-testid="sync-results">
              <thead><tr><th>Kind</th><th>Namespace</th><th>Name</th><th>Status</th><th>Hook</th><th>Message</th></tr></thead>
              <tbody>
                {results.map((r, i) => (
                  <tr key={`${r.group ?? ""}/${r.kind}/${r.namespace ?? ""}/${r.name}/${i}`} data-testid="sync-result" data-kind={r.kind} data-name={r.name} data-status={r.status ?? ""}>
                    <td>{r.kind}</td><td>{r.namespace}</td><td>{r.name}</td><td>{r.status}</td>
                    <td>{r.hookPhase ? `${r.syncPhase ?? ""} ${r.hookPhase}` : ""}</td><td>{r.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </aside>
  );
}
