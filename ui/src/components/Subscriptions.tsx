// The app's notification subscriptions on its details panel (argo-cd-server.md §5.2): the
// `notifications.argoproj.io/subscribe.*` annotations as rows (trigger, service, recipients), each
// removable, and a form to add one with the trigger and service picked from argocd-notifications-cm
// (`api/v1/notifications/triggers|services`). Changes are merge patches of the app's annotations
// through the API's PATCH (update RBAC); the new state arrives through the app's watch.
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { errorText, get, request } from "../api";
import type { App } from "../apps";
import { annotationPatch, subscriptionAnnotation, subscriptions } from "../subscriptions";

interface NameList { items?: Array<{ name?: string }> }

const names = (l: NameList): string[] => (l.items ?? []).map((i) => i.name ?? "").filter(Boolean);

export function Subscriptions({ app, mayUpdate }: { app: App; mayUpdate: boolean }): ReactNode {
  const subs = subscriptions(app.metadata.annotations);
  const [triggers, setTriggers] = useState<string[]>([]);
  const [services, setServices] = useState<string[]>([]);
  const [form, setForm] = useState({ trigger: "", service: "", recipients: "" });
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!mayUpdate) return;
    let live = true;
    get<NameList>("api/v1/notifications/triggers").then((l) => { if (live) setTriggers(names(l)); }).catch(() => undefined);
    get<NameList>("api/v1/notifications/services").then((l) => { if (live) setServices(names(l)); }).catch(() => undefined);
    return () => { live = false; };
  }, [mayUpdate]);

  const patch = (key: string, value: string | null): Promise<void> => request<unknown>("PATCH", `api/v1/applications/${encodeURIComponent(app.metadata.name)}`, {
    body: { name: app.metadata.name, appNamespace: app.metadata.namespace, patchType: "merge", patch: JSON.stringify(annotationPatch(key, value)) },
  }).then(() => undefined);
  const run = (p: Promise<void>, after?: () => void): void => {
    setBusy(true);
    p.then(() => { setErrors([]); after?.(); }).catch((err: unknown) => setErrors([errorText(err)])).finally(() => setBusy(false));
  };
  const add = (e: FormEvent): void => {
    e.preventDefault();
    const a = subscriptionAnnotation(form);
    if (!a.key) { setErrors(a.errors); return; }
    run(patch(a.key, a.value ?? ""), () => setForm({ trigger: "", service: "", recipients: "" }));
  };

  return (
    <section className="subscriptions" data-testid="subscriptions" aria-labelledby="subscriptions-title">
      <h3 id="subscriptions-title">Notification subscriptions</h3>
      {subs.length === 0 ? <p className="muted" data-testid="subscriptions-none">None</p> : (
        <table className="table" aria-labelledby="subscriptions-title">
          <thead><tr><th scope="col">Trigger</th><th scope="col">Service</th><th scope="col">Recipients</th>{mayUpdate && <th scope="col"><span className="sr-only">Actions</span></th>}</tr></thead>
          <tbody>
            {subs.map((s) => (
              <tr key={s.key} data-testid="subscription" data-trigger={s.trigger ?? ""} data-service={s.service} data-recipients={s.recipients.join(";")}>
                <td>{s.trigger ?? <span className="muted">default triggers</span>}</td>
                <td>{s.service}</td>
                <td className="mono">{s.recipients.join("; ") || "–"}</td>
                {mayUpdate && <td><button type="button" disabled={busy} onClick={() => run(patch(s.key, null))} aria-label={`Remove the ${s.service} subscription${s.trigger ? ` to ${s.trigger}` : ""}`} data-testid="subscription-remove">Remove</button></td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mayUpdate && (
        <form className="subscription-form" onSubmit={add} aria-label="Add a notification subscription" data-testid="subscription-form">
          <label className="field">Trigger
            <select value={form.trigger} onChange={(e) => setForm({ ...form, trigger: e.target.value })} data-testid="subscription-trigger">
              <option value="">(the service's default triggers)</option>
              {triggers.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
          </label>
          <label className="field">Service
            <select value={form.service} onChange={(e) => setForm({ ...form, service: e.target.value })} required data-testid="subscription-service">
              <option value="">Choose a service…</option>
              {services.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </label>
          <label className="field">Recipients (separated by ;)
            <input value={form.recipients} onChange={(e) => setForm({ ...form, recipients: e.target.value })} data-testid="subscription-recipients" />
          </label>
          <button type="submit" disabled={busy} data-testid="subscription-add">Add subscription</button>
        </form>
      )}
      {errors.length > 0 && <ul className="error" role="alert">{errors.map((e) => <li key={e}>{e}</li>)}</ul>}
    </section>
  );
}
