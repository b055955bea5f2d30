// The sync dialog (argo-cd-server.md §5.2 "Sync panel"): revision (one per source for a multi-source
// app), the resource checklist, Prune,
// Dry run, Apply only, Force, the sync options, prune propagation and retry. The body is built by
// appOps.ts syncRequest; a sync that would prune every selected resource asks the user to type
// `prune` first. Opened from the toolbar (all resources) or a resource's panel (that resource).
import { useMemo, useState, type ReactNode } from "react";
import { errorText, post } from "../api";
import type { App } from "../apps";
import {
  initialSyncForm, PRUNE_PROPAGATION, prunesEverything, resourceKey, SYNC_OPTIONS, syncableResources, syncFormErrors, syncRequest,
  type RetryForm, type SyncForm,
} from "../appOps";
import "../app-ops.css";

type Message = { text: string; error: boolean };

export function SyncDialog({ app, onlyKey, onClose }: { app: App; onlyKey?: string; onClose: (msg?: Message) => void }): ReactNode {
  const all = useMemo(() => syncableResources(app), [app]);
  const [form, setForm] = useState<SyncForm>(() => initialSyncForm(app, onlyKey));
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const set = (change: Partial<SyncForm>): void => setForm((f) => ({ ...f, ...change }));
  const errors = syncFormErrors(form, all);
  const confirmPrune = prunesEverything(form, all);
  const selected = new Set(form.selected);
  const submit = (): void => {
    setBusy(true);
    setError(undefined);
    post(`api/v1/applications/${encodeURIComponent(app.metadata.name)}/sync`, syncRequest(app, form, all))
      .then(() => onClose({ text: form.dryRun ? "Dry-run sync started" : "Sync started", error: false }))
      .catch((err: unknown) => { setError(errorText(err)); setBusy(false); });
  };
  const check = (label: string, value: boolean, onChange: (v: boolean) => void, testId: string, title?: string): ReactNode => (
    <label className="check" title={title}><input type="checkbox" checked={value} onChange={(e) => onChange(e.target.checked)} data-testid={testId} /> {label}</label>
  );
  return (
    <div className="dialog-backdrop">
      <div className="dialog sync-dialog" role="dialog" aria-modal="true" aria-label={`Sync ${app.metadata.name}`} data-testid="sync-dialog">
        <h2>Synchronize {app.metadata.name}</h2>
        {form.revisions.length > 0 ? (
          // A multi-source app: a revision per source (Argo's sync panel lists them the same way).
          <fieldset data-testid="sync-revisions">
            <legend>Revisions</legend>
            {(app.spec?.sources ?? []).map((src, i) => (
              <label key={i} className="field">Source {i + 1}: <span className="mono">{src.repoURL}{src.chart ? ` chart ${src.chart}` : src.path ? ` ${src.path}` : ""}</span>
                <input value={form.revisions[i] ?? ""} onChange={(e) => set({ revisions: form.revisions.map((r, n) => (n === i ? e.target.value : r)) })} data-testid={`sync-revision-${i}`} />
              </label>
            ))}
          </fieldset>
        ) : (
          <label className="field">Revision
            <input value={form.revision} onChange={(e) => set({ revision: e.target.value })} data-testid="sync-revision" />
          </label>
        )}
        <div className="option-columns">
          <fieldset>
            <legend>Sync</legend>
            {check("Prune", form.prune, (v) => set({ prune: v }), "sync-prune", "delete resources that are no longer in Git")}
            {check("Dry run", form.dryRun, (v) => set({ dryRun: v }), "sync-dry-run")}
            {check("Apply only", form.applyOnly, (v) => set({ applyOnly: v }), "sync-apply-only", "skip hooks")}
            {check("Force", form.force, (v) => set({ force: v }), "sync-force", "delete and re-create resources that cannot be patched")}
          </fieldset>
          <fieldset>
            <legend>Sync options</legend>
            {SYNC_OPTIONS.map((o) => check(o.label, form.options[o.key], (v) => set({ options: { ...form.options, [o.key]: v } }), `sync-option-${o.key}`, `${o.key}=${o.on}`))}
            <label className="field">Prune propagation policy
              <select value={form.prunePropagation} onChange={(e) => set({ prunePropagation: e.target.value as SyncForm["prunePropagation"] })} data-testid="sync-propagation">
                {PRUNE_PROPAGATION.map((p) => <option key={p} value={p}>{p}</option>)}
              </select>
            </label>
          </fieldset>
        </div>
        <RetryFields retry={form.retry} onChange={(retry) => set({ retry })} />
        <fieldset>
          <legend>Resources ({form.selected.length} of {all.length})</legend>
          <div className="toolbar">
            <button className="link" onClick={() => set({ selected: all.map(resourceKey) })}>all</button>
            <button className="link" onClick={() => set({ selected: all.filter((r) => r.status === "OutOfSync").map(resourceKey) })}>out of sync</button>
            <button className="link" onClick={() => set({ selected: [] })}>none</button>
            {/* Only one kind, e.g. to prune the ConfigMaps removed from Git and keep the rest for later. */}
            <select aria-label="Select only one kind" value="" onChange={(e) => set({ selected: all.filter((r) => r.kind === e.target.value).map(resourceKey) })} data-testid="sync-select-kind">
              <option value="">only kind…</option>
              {[...new Set(all.map((r) => r.kind))].sort().map((k) => <option key={k} value={k}>{k}</option>)}
            </select>
          </div>
          <div className="dialog-list">
            {all.map((r) => {
              const key = resourceKey(r);
              return (
                <label key={key} className="check">
                  <input type="checkbox" checked={selected.has(key)} data-testid="sync-resource" data-key={key}
                    onChange={(e) => set({ selected: e.target.checked ? [...form.selected, key] : form.selected.filter((k) => k !== key) })} />
                  <span className="mono">{r.kind}/{r.namespace ? `${r.namespace}/` : ""}{r.name}</span>
                  <span className={`sync-${r.status ?? "Unknown"}`}>{r.status}</span>
                  {r.requiresPruning && <span className="muted">(to prune)</span>}
                </label>
              );
            })}
          </div>
        </fieldset>
        {confirmPrune && (
          <label className="field warning">Every selected resource will be deleted. Type <strong>prune</strong> to confirm
            <input value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="sync-prune-confirm" />
          </label>
        )}
        {errors.length > 0 && <ul className="error" role="alert">{errors.map((e) => <li key={e}>{e}</li>)}</ul>}
        {error && <p className="error" role="alert" data-testid="sync-error">{error}</p>}
        <div className="dialog-buttons">
          <button className="primary" onClick={submit} disabled={busy || errors.length > 0 || (confirmPrune && typed !== "prune")} data-testid="sync-confirm">Synchronize</button>
          <button onClick={() => onClose()}>Cancel</button>
        </div>
      </div>
    </div>
  );
}

/** Retry: on/off, limit, backoff duration, factor, max duration (shared with the summary editor). */
export function RetryFields({ retry, onChange }: { retry: RetryForm; onChange: (r: RetryForm) => void }): ReactNode {
  const field = (label: string, key: keyof Omit<RetryForm, "enabled">): ReactNode => (
    <label className="field inline">{label}
      <input value={retry[key]} onChange={(e) => onChange({ ...retry, [key]: e.target.value })} data-testid={`retry-${key}`} size={6} />
    </label>
  );
  return (
    <fieldset>
      <legend><label className="check"><input type="checkbox" checked={retry.enabled} onChange={(e) => onChange({ ...retry, enabled: e.target.checked })} data-testid="retry-enabled" /> Retry</label></legend>
      {retry.enabled && <div className="toolbar">{field("Limit", "limit")}{field("Duration", "duration")}{field("Factor", "factor")}{field("Max duration", "maxDuration")}</div>}
    </fieldset>
  );
}
