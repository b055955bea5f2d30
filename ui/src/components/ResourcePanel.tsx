// The panel of one resource (the `node=` URL parameter): its live manifest (from the cluster,
// fetched again whenever the tree reports a new resourceVersion; managed fields hidden unless the
// user asks), its desired manifest and the diff of the two (from managed-resources; only managed
// resources have one), its deep links (resource.links), its events, a pod's logs and, when the
// server allows exec and the user may, a terminal in the pod.
import { lazy, Suspense, useEffect, useMemo, useState, type ReactNode } from "react";
import { errorText, get, query } from "../api";
import type { App } from "../apps";
import { diffLines, manifestDiff, toYaml, withoutManagedFields } from "../manifests";
import { rbacObject } from "../apps";
import { useCan, useSession } from "../session";
import { DeepLinks } from "./DeepLinks";
// xterm.js is loaded only when a terminal is opened (its own chunk), not with every page.
const TerminalTab = lazy(() => import("./TerminalTab").then((m) => ({ default: m.TerminalTab })));
import type { GraphNode } from "../tree";
import { ago } from "./Status";
import { LogsTab } from "./LogsTab";
import { ResourceActions } from "./ResourceActions";
import { LOG_KINDS } from "../appOps";

export interface ResourceDiff {
  group?: string; kind: string; namespace?: string; name: string;
  targetState?: string | null; liveState?: string; normalizedLiveState?: string; predictedLiveState?: string; modified?: boolean; hook?: boolean;
}
interface KubeEvent { type?: string; reason?: string; message?: string; count?: number; lastTimestamp?: string; eventTime?: string; metadata?: { uid?: string; creationTimestamp?: string } }

export function UnifiedDiff({ patch, testId }: { patch: string; testId?: string }): ReactNode {
  if (!patch) return <p className="muted" data-testid={testId}>No differences.</p>;
  return (
    <pre className="diff mono" data-testid={testId}>
      {diffLines(patch).map((l, i) => <span key={i} className={`diff-line diff-${l.kind}`}>{l.text || " "}</span>)}
    </pre>
  );
}

/** `exec` is Argo's key of the Terminal tab (`tab=exec`). */
type Tab = "summary" | "diff" | "events" | "logs" | "exec";
const TAB_LABELS: Record<Tab, string> = { summary: "SUMMARY", diff: "DIFF", events: "EVENTS", logs: "LOGS", exec: "TERMINAL" };

/** What the user may do to the resource (from can-i) and how to start a sync of it alone. */
export interface ResourceOps { maySync: boolean; mayDelete: boolean; onSync: () => void }

export function ResourcePanel({ app, node, tab, onTab, onClose, ops }: { app: App; node: GraphNode; tab: string | undefined; onTab: (t: Tab) => void; onClose: () => void; ops?: ResourceOps }): ReactNode {
  // Logs for pods and what owns pods, once the object exists.
  const hasLogs = LOG_KINDS.has(node.kind) && node.uid !== "";
  // A terminal needs exec.enabled on the server and `exec, create` on the app (the server checks both again).
  const { settings } = useSession();
  const isPod = node.kind === "Pod" && node.group === "" && node.uid !== "";
  const mayExec = useCan("exec", "create", isPod && settings?.execEnabled === true ? rbacObject(app) : undefined) === true;
  const tabs: Tab[] = ["summary", "diff", "events", ...(hasLogs ? ["logs" as const] : []), ...(mayExec ? ["exec" as const] : [])];
  const current: Tab = tabs.find((t) => t === tab) ?? "summary";
  const [hideManaged, setHideManaged] = useState(true);
  const appName = app.metadata.name;
  const appNamespace = app.metadata.namespace;
  const rid = { namespace: node.namespace, resourceName: node.name, version: node.version, group: node.group, kind: node.kind, appNamespace };
  const [live, setLive] = useState<{ json?: string; error?: string }>({});
  const [managed, setManaged] = useState<{ item?: ResourceDiff; error?: string; loaded: boolean }>({ loaded: false });
  const [events, setEvents] = useState<{ items?: KubeEvent[]; error?: string }>({});

  useEffect(() => {
    let current = true;
    if (!node.uid) { setLive({ error: "The resource does not exist in the cluster." }); return; }
    get<{ manifest?: string }>(`api/v1/applications/${encodeURIComponent(appName)}/resource${query(rid)}`)
      .then((r) => { if (current) setLive(r.manifest !== undefined ? { json: r.manifest } : {}); })
      .catch((err: unknown) => { if (current) setLive({ error: errorText(err) }); });
    return () => { current = false; };
    // The manifest is read again when the tree reports a new version (or a new object, e.g. after a re-create).
  }, [appName, appNamespace, node.id, node.uid, node.resourceVersion]);

  useEffect(() => {
    let current = true;
    get<{ items?: ResourceDiff[] }>(`api/v1/applications/${encodeURIComponent(appName)}/managed-resources${query({ appNamespace, group: node.group, kind: node.kind, namespace: node.namespace, name: node.name })}`)
      .then((r) => {
        if (!current) return;
        const item = (r.items ?? []).find((d) => d.kind === node.kind && d.name === node.name && (d.namespace ?? "") === node.namespace && (d.group ?? "") === node.group);
        setManaged({ ...(item ? { item } : {}), loaded: true });
      })
      .catch((err: unknown) => { if (current) setManaged({ error: errorText(err), loaded: true }); });
    return () => { current = false; };
  }, [appName, appNamespace, node.id, node.group, node.kind, node.name, node.namespace, app.status?.sync?.revision, app.status?.reconciledAt]);

  useEffect(() => {
    if (current !== "events") return;
    let live = true;
    get<{ items?: KubeEvent[] }>(`api/v1/applications/${encodeURIComponent(appName)}/events${query({ appNamespace, resourceNamespace: node.namespace, resourceName: node.name, resourceUID: node.uid })}`)
      .then((r) => { if (live) setEvents({ items: r.items ?? [] }); })
      .catch((err: unknown) => { if (live) setEvents({ error: errorText(err) }); });
    return () => { live = false; };
  }, [current, appName, appNamespace, node.namespace, node.name, node.uid]);

  const desired = toYaml(managed.item?.targetState);
  const liveYaml = live.json === undefined ? undefined : toYaml(hideManaged ? withoutManagedFields(live.json) : live.json);
  const containers = useMemo(() => {
    if (!isPod || live.json === undefined) return [];
    try {
      const pod = JSON.parse(live.json) as { spec?: { containers?: Array<{ name?: string }> } };
      return (pod.spec?.containers ?? []).map((c) => c.name ?? "").filter(Boolean);
    } catch {
      return [];
    }
  }, [isPod, live.json]);
  const patch = managed.item ? manifestDiff(node.name, toYaml(managed.item.normalizedLiveState ?? managed.item.liveState), toYaml(managed.item.predictedLiveState ?? managed.item.targetState)) : "";
  return (
    <aside className="resource-panel" role="dialog" aria-label={`${node.kind} ${node.name}`} data-testid="resource-panel" data-kind={node.kind} data-name={node.name}>
      <div className="panel-head">
        <h2>{node.kind} {node.name}</h2>
        <button onClick={onClose} aria-label="Close">✕</button>
      </div>
      {ops && <ResourceActions app={app} node={node} managed={managed.item !== undefined} maySync={ops.maySync} mayDelete={ops.mayDelete} onSync={ops.onSync} />}
      <div className="segmented" role="tablist">
        {tabs.map((t) => <button key={t} role="tab" aria-selected={current === t} onClick={() => onTab(t)} data-testid={`resource-tab-${t}`}>{TAB_LABELS[t]}</button>)}
      </div>
      {current === "summary" && (
        <>
          <dl className="fields">
            <dt>Namespace</dt><dd>{node.namespace || "(cluster)"}</dd>
            <dt>UID</dt><dd className="mono">{node.uid || "–"}</dd>
            <dt>Health</dt><dd>{node.health ?? "–"}</dd>
            <dt>Sync</dt><dd>{node.sync ?? "–"}</dd>
          </dl>
          {node.uid !== "" && <DeepLinks path={`api/v1/applications/${encodeURIComponent(appName)}/resource/links${query(rid)}`} testId="resource-links" />}
          <div className="manifest-options">
            <h3>Live manifest</h3>
            <label><input type="checkbox" checked={hideManaged} onChange={(e) => setHideManaged(e.target.checked)} data-testid="hide-managed-fields" /> Hide managed fields</label>
          </div>
          {live.error ? <p className="error" data-testid="live-manifest-error">{live.error}</p>
            : <pre className="manifest mono" data-testid="live-manifest" data-version={node.resourceVersion} data-managed-fields={hideManaged ? "hidden" : "shown"}>{liveYaml ?? "Loading…"}</pre>}
          <h3>Desired manifest</h3>
          {managed.error ? <p className="error">{managed.error}</p>
            : !managed.loaded ? <p className="muted">Loading…</p>
            : desired ? <pre className="manifest mono" data-testid="desired-manifest">{desired}</pre>
            : <p className="muted" data-testid="desired-manifest-none">{managed.item ? "Not in Git (to be pruned)." : "Not managed by the application (created by its owner)."}</p>}
        </>
      )}
      {current === "diff" && (managed.error ? <p className="error">{managed.error}</p> : !managed.loaded ? <p className="muted">Loading…</p>
        : managed.item ? <UnifiedDiff patch={patch} testId="resource-diff" /> : <p className="muted">Only managed resources have a desired state.</p>)}
      {current === "events" && (events.error ? <p className="error">{events.error}</p> : !events.items ? <p className="muted">Loading…</p>
        : events.items.length === 0 ? <p className="muted" data-testid="resource-events">No events.</p> : (
          <table className="events" data-testid="resource-events">
            <thead><tr><th>Type</th><th>Reason</th><th>Message</th><th>Count</th><th>Last seen</th></tr></thead>
            <tbody>{events.items.map((e, i) => <tr key={e.metadata?.uid ?? i}><td>{e.type}</td><td>{e.reason}</td><td>{e.message}</td><td>{e.count ?? 1}</td><td>{ago(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp)}</td></tr>)}</tbody>
          </table>
        ))}
      {current === "logs" && <LogsTab app={app} node={node} />}
      {current === "exec" && <Suspense fallback={<p className="muted">Loading the terminal…</p>}><TerminalTab app={app} node={node} containers={containers} /></Suspense>}
    </aside>
  );
}
