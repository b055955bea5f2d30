// The LOGS tab of a resource panel (argo-cd-server.md §1.3 `.../logs`, §5.2): a Pod's logs, or
// those of a Deployment's (StatefulSet's, Job's…) pods. Container, follow, tail, since, previous,
// filter (a leading `!` inverts it) with match case, timestamps, wrap, and download (the server's
// download=true). The stream is read with fetch as NDJSON, so the server's refusal (e.g. 403 or
// too many pods) shows as its own message; at most MAX_LINES are kept.
import { useEffect, useState, type ReactNode } from "react";
import { errorText, get, HttpError, query } from "../api";
import type { App } from "../apps";
import { containersOf, logFormErrors, logQuery, type LogForm } from "../appOps";
import type { GraphNode } from "../tree";
import "../app-ops.css";

interface LogEntry { content?: string; timeStampStr?: string; podName?: string; last?: boolean }
const MAX_LINES = 5000;

export function LogsTab({ app, node }: { app: App; node: GraphNode }): ReactNode {
  const appName = app.metadata.name;
  const appNamespace = app.metadata.namespace;
  const target = { group: node.group, kind: node.kind, namespace: node.namespace, name: node.name };
  const [containers, setContainers] = useState<string[]>([]);
  const [form, setForm] = useState<LogForm>({ container: "", follow: true, tailLines: "1000", sinceSeconds: "", previous: false, filter: "", matchCase: false });
  const [timestamps, setTimestamps] = useState(false);
  const [wrap, setWrap] = useState(false);
  const [lines, setLines] = useState<LogEntry[]>([]);
  const [state, setState] = useState<{ error?: string; streaming: boolean; done: boolean }>({ streaming: false, done: false });
  const errors = logFormErrors(form);

  // The containers, from the live object (a Pod's or the pod template's).
  useEffect(() => {
    let live = true;
    get<{ manifest?: string }>(`api/v1/applications/${encodeURIComponent(appName)}/resource${query({ namespace: node.namespace, resourceName: node.name, version: node.version, group: node.group, kind: node.kind, appNamespace })}`)
      .then((r) => { if (live) setContainers(containersOf(r.manifest ? JSON.parse(r.manifest) : undefined)); })
      .catch(() => { if (live) setContainers([]); });
    return () => { live = false; };
  }, [appName, appNamespace, node.id]);

  const q = logQuery(target, form, appNamespace);
  const url = `api/v1/applications/${encodeURIComponent(appName)}/logs${query(q)}`;
  useEffect(() => {
    if (errors.length > 0) return;
    const abort = new AbortController();
    setLines([]);
    setState({ streaming: true, done: false });
    void (async () => {
      try {
        const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: abort.signal });
        if (!res.ok || !res.body) {
          const text = await res.text();
          let message = text || res.statusText;
          try { message = (JSON.parse(text) as { message?: string; error?: { message?: string } }).message ?? (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message; } catch { /* plain text */ }
          throw new HttpError(res.status, message);
        }
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          const parts = buffer.split("\n");
          buffer = parts.pop() ?? "";
          const batch: LogEntry[] = [];
          for (const part of parts) {
            if (!part.trim()) continue;
            const msg = JSON.parse(part) as { result?: LogEntry; error?: { message?: string } };
            if (msg.error) throw new Error(msg.error.message ?? "the log stream failed");
            if (msg.result && !msg.result.last) batch.push(msg.result);
          }
          if (batch.length > 0) setLines((prev) => [...prev, ...batch].slice(-MAX_LINES));
        }
        setState({ streaming: false, done: true });
      } catch (err) {
        if (abort.signal.aborted) return;
        setState({ streaming: false, done: true, error: errorText(err) });
      }
    })();
    return () => abort.abort();
  }, [url, errors.length]);

  const set = (change: Partial<LogForm>): void => setForm((f) => ({ ...f, ...change }));
  const multiPod = node.kind !== "Pod";
  return (
    <div data-testid="logs-tab">
      <div className="log-controls" role="group" aria-label="Log options">
        <label className="field inline">Container
          <select value={form.container} onChange={(e) => set({ container: e.target.value })} data-testid="logs-container">
            <option value="">(default)</option>
            {containers.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
        <label className="check"><input type="checkbox" checked={form.follow} onChange={(e) => set({ follow: e.target.checked })} data-testid="logs-follow" /> Follow</label>
        <label className="field inline">Tail <input value={form.tailLines} onChange={(e) => set({ tailLines: e.target.value })} data-testid="logs-tail" size={6} /></label>
        <label className="field inline">Since (s) <input value={form.sinceSeconds} onChange={(e) => set({ sinceSeconds: e.target.value })} data-testid="logs-since" size={6} /></label>
        <label className="check"><input type="checkbox" checked={form.previous} onChange={(e) => set({ previous: e.target.checked })} data-testid="logs-previous" /> Previous</label>
        <label className="field inline">Filter <input value={form.filter} onChange={(e) => set({ filter: e.target.value })} data-testid="logs-filter" placeholder="text or !text" size={12} /></label>
        <label className="check"><input type="checkbox" checked={form.matchCase} onChange={(e) => set({ matchCase: e.target.checked })} data-testid="logs-match-case" /> Match case</label>
        <label className="check"><input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} data-testid="logs-timestamps" /> Timestamps</label>
        <label className="check"><input type="checkbox" checked={wrap} onChange={(e) => setWrap(e.target.checked)} data-testid="logs-wrap" /> Wrap</label>
        <a className="button" href={`api/v1/applications/${encodeURIComponent(appName)}/logs${query(logQuery(target, form, appNamespace, true))}`} download data-testid="logs-download">Download</a>
        <span className="muted" data-testid="logs-state">{state.streaming ? (form.follow ? "● following" : "loading…") : state.done ? `${lines.length} lines` : ""}</span>
      </div>
      {errors.length > 0 && <ul className="error" role="alert">{errors.map((e) => <li key={e}>{e}</li>)}</ul>}
      {state.error && <p className="error" role="alert" data-testid="logs-error">{state.error}</p>}
      <pre className={`logs mono ${wrap ? "wrap" : ""}`} data-testid="logs" aria-live="off">
        {lines.map((l, i) => (
          <span key={i} className="log-line" data-testid="log-line">
            {multiPod && <span className="log-pod">{l.podName}</span>}
            {timestamps && <span className="log-time">{l.timeStampStr}</span>}
            {l.content}
          </span>
        ))}
      </pre>
    </div>
  );
}
