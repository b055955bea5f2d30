// A resource's operations in its panel (argo-cd-server.md §5.2 "Resource context menu"): Sync this
// resource (the sync dialog with only it selected), Delete (DELETE .../resource with force or
// orphan), and its resource actions (GET .../resource/actions, run with POST .../actions/v2,
// asking for the action's parameters first). Only resources with a live object have actions.
// Delete and each action are offered only when can-i allows their fine-grained RBAC action
// (`delete/<g>/<k>/<ns>/<n>`, `action/<g>/<k>/<action>`, §3.3), which is what the server checks;
// an action the user may not run is shown disabled, so the user knows it exists.
import { useEffect, useState, type ReactNode } from "react";
import { errorText, get, post, query, request } from "../api";
import { rbacObject, type App } from "../apps";
import { canI, useCan } from "../session";
import type { GraphNode } from "../tree";
import "../app-ops.css";

interface ResourceAction { name: string; displayName?: string; disabled?: boolean; params?: Array<{ name: string; type?: string; default?: string }> }
type Message = { text: string; error: boolean };

export function ResourceActions({ app, node, managed, maySync, onSync }: {
  /** mayDelete (the app's delete right) is not used: a resource's delete has its own fine-grained action. */
  app: App; node: GraphNode; managed: boolean; maySync: boolean; mayDelete: boolean; onSync: () => void;
}): ReactNode {
  const object = rbacObject(app);
  const deleteAnswer = useCan("applications", `delete/${node.group}/${node.kind}/${node.namespace}/${node.name}`, object);
  const mayDelete = deleteAnswer === true;
  const [allowed, setAllowed] = useState<Record<string, boolean>>({});
  const appName = app.metadata.name;
  const rid = { namespace: node.namespace, resourceName: node.name, version: node.version, group: node.group, kind: node.kind, appNamespace: app.metadata.namespace };
  const [actions, setActions] = useState<{ items?: ResourceAction[]; error?: string }>({});
  const [open, setOpen] = useState<"delete" | ResourceAction | undefined>(undefined);
  const [message, setMessage] = useState<Message | undefined>(undefined);

  useEffect(() => {
    let live = true;
    setActions({});
    if (!node.uid) return;
    get<{ actions?: ResourceAction[] }>(`api/v1/applications/${encodeURIComponent(appName)}/resource/actions${query(rid)}`)
      .then(async (r) => {
        const items = r.actions ?? [];
        const answers = await Promise.all(items.map((a) => canI("applications", `action/${node.group}/${node.kind}/${a.name}`, object)));
        if (!live) return;
        setAllowed(Object.fromEntries(items.map((a, i) => [a.name, answers[i] === true])));
        setActions({ items });
      })
      .catch((err: unknown) => { if (live) setActions({ error: errorText(err) }); });
    return () => { live = false; };
  }, [appName, app.metadata.namespace, node.id, node.uid]);

  const done = (m: Message): void => { setOpen(undefined); setMessage(m); };
  return (
    <div data-testid="resource-actions" data-rbac={deleteAnswer !== undefined && (!node.uid || actions.items !== undefined || actions.error !== undefined) ? "ready" : "asking"}>
      <div className="action-bar" role="toolbar" aria-label="Resource actions">
        {maySync && managed && <button onClick={onSync} data-testid="resource-sync">Sync</button>}
        {mayDelete && node.uid && <button onClick={() => { setOpen("delete"); setMessage(undefined); }} data-testid="resource-delete">Delete</button>}
        {(actions.items ?? []).map((a) => (
          <button key={a.name} disabled={a.disabled || allowed[a.name] !== true} title={allowed[a.name] !== true ? "You may not run this action" : undefined}
            onClick={() => { setOpen(a); setMessage(undefined); }} data-testid="resource-action" data-action={a.name} data-allowed={String(allowed[a.name] === true)}>{a.displayName || a.name}</button>
        ))}
        {actions.error && <span className="error" title={actions.error}>actions: {actions.error}</span>}
      </div>
      {open === "delete" && <DeleteResource app={app} node={node} rid={rid} onDone={done} onCancel={() => setOpen(undefined)} />}
      {open && open !== "delete" && <RunAction app={app} node={node} action={open} onDone={done} onCancel={() => setOpen(undefined)} />}
      {message && <p className={message.error ? "error" : "notice"} role={message.error ? "alert" : "status"} data-testid="resource-action-message">{message.text}</p>}
    </div>
  );
}

function DeleteResource({ app, node, rid, onDone, onCancel }: {
  app: App; node: GraphNode; rid: Record<string, string | undefined>; onDone: (m: Message) => void; onCancel: () => void;
}): ReactNode {
  const [force, setForce] = useState(false);
  const [orphan, setOrphan] = useState(false);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = (): void => {
    setBusy(true);
    request("DELETE", `api/v1/applications/${encodeURIComponent(app.metadata.name)}/resource${query({ ...rid, force: force ? "true" : undefined, orphan: orphan ? "true" : undefined })}`)
      .then(() => onDone({ text: `${node.kind} ${node.name} deleted`, error: false }))
      .catch((err: unknown) => { setError(errorText(err)); setBusy(false); });
  };
  return (
    <div className="action-form" role="group" aria-label={`Delete ${node.kind} ${node.name}`} data-testid="resource-delete-form">
      <label className="check"><input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} data-testid="resource-delete-force" /> Force (no grace period)</label>
      <label className="check"><input type="checkbox" checked={orphan} onChange={(e) => setOrphan(e.target.checked)} data-testid="resource-delete-orphan" /> Orphan its dependents (non-cascading)</label>
      <label className="field">Type <strong>{node.name}</strong> to confirm
        <input value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="resource-delete-name" />
      </label>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="dialog-buttons">
        <button className="primary" disabled={busy || typed !== node.name} onClick={submit} data-testid="resource-delete-confirm">Delete</button>
        <button onClick={onCancel}>Cancel</button>
      </div>
    </div>
  );
}

function RunAction({ app, node, action, onDone, onCancel }: { app: App; node: GraphNode; action: ResourceAction; onDone: (m: Message) => void; onCancel: () => void }): ReactNode {
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries((action.params ?? []).map((p) => [p.name, p.default ?? ""])));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const missing = (action.params ?? []).filter((p) => !values[p.name]?.trim()).map((p) => p.name);
  const submit = (): void => {
    setBusy(true);
    post(`api/v1/applications/${encodeURIComponent(app.metadata.name)}/resource/actions/v2`, {
      name: app.metadata.name, appNamespace: app.metadata.namespace,
      namespace: node.namespace, resourceName: node.name, version: node.version, group: node.group, kind: node.kind,
      action: action.name,
      resourceActionParameters: (action.params ?? []).map((p) => ({ name: p.name, value: values[p.name] ?? "" })),
    })
      .then(() => onDone({ text: `Action ${action.displayName || action.name} ran on ${node.kind} ${node.name}`, error: false }))
      .catch((err: unknown) => { setError(errorText(err)); setBusy(false); });
  };
  return (
    <div className="action-form" role="group" aria-label={`Run ${action.name}`} data-testid="resource-action-form">
      <p>Run <strong>{action.displayName || action.name}</strong> on {node.kind} {node.name}?</p>
      {(action.params ?? []).map((p) => (
        <label key={p.name} className="field">{p.name}
          <input value={values[p.name] ?? ""} onChange={(e) => setValues({ ...values, [p.name]: e.target.value })} data-testid="resource-action-param" data-param={p.name} />
        </label>
      ))}
      {missing.length > 0 && <p className="muted">Required: {missing.join(", ")}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <div className="dialog-buttons">
        <button className="primary" disabled={busy || missing.length > 0} onClick={submit} data-testid="resource-action-confirm">Run</button>
        <button onClick={onCancel}>Cancel</button>
      </div>
    </div>
  );
}
