// /settings/accounts and /settings/accounts/:name: the local accounts (enabled, capabilities) and
// an account's API tokens, generated (with an id and expiry, shown once) and deleted.
import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { expiryText, parseExpiresIn } from "../admin";
import { request } from "../api";
import { LoadError, NoteLine, TokenOnce, useAction, useLoad } from "../components/Admin";
import { useCan, useSession } from "../session";

interface Account { name: string; enabled?: boolean; capabilities?: string[]; tokens?: Array<{ id: string; issuedAt?: number; expiresAt?: number }> }

export function AccountsPage(): ReactNode {
  const { data, error } = useLoad<{ items?: Account[] }>("api/v1/account");
  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/settings">Settings</Link> / <span>Accounts</span></nav>
      <h1>Accounts</h1>
      <LoadError error={error} />
      {data === undefined ? <p className="muted">Loading accounts…</p> : (
        <table className="table" aria-label="Accounts">
          <thead><tr><th scope="col">Name</th><th scope="col">Enabled</th><th scope="col">Capabilities</th><th scope="col">Tokens</th></tr></thead>
          <tbody>{(data.items ?? []).map((a) => (
            <tr key={a.name} data-account={a.name}><td><Link to={`/settings/accounts/${encodeURIComponent(a.name)}`}>{a.name}</Link></td><td>{a.enabled ? "yes" : "no"}</td><td>{(a.capabilities ?? []).join(", ")}</td><td>{a.tokens?.length ?? 0}</td></tr>
          ))}</tbody>
        </table>
      )}
    </div>
  );
}

export function AccountPage(): ReactNode {
  const name = useParams().name ?? "";
  const { user } = useSession();
  const { data: a, error, reload } = useLoad<Account>(`api/v1/account/${encodeURIComponent(name)}`);
  const canUpdate = useCan("accounts", "update", name);
  // A local user manages their own tokens without any RBAC grant.
  const mayUpdate = canUpdate === true || (user?.iss === "argocd" && user.username === name);
  const [id, setId] = useState("");
  const [expires, setExpires] = useState("");
  const [token, setToken] = useState<string | undefined>(undefined);
  const { busy, note, run } = useAction();
  const generate = (e: FormEvent): void => {
    e.preventDefault();
    void run("", async () => {
      const expiresIn = parseExpiresIn(expires);
      return request<{ token?: string }>("POST", `api/v1/account/${encodeURIComponent(name)}/token`, { body: { name, ...(expiresIn ? { expiresIn } : {}), ...(id.trim() ? { id: id.trim() } : {}) } });
    }).then((r) => { if (r?.token) { setToken(r.token); setId(""); setExpires(""); reload(); } });
  };
  const remove = (tid: string): void => {
    void run(`Token ${tid} deleted`, () => request("DELETE", `api/v1/account/${encodeURIComponent(name)}/token/${encodeURIComponent(tid)}`)).then(reload);
  };
  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/settings">Settings</Link> / <Link to="/settings/accounts">Accounts</Link> / <span>{name}</span></nav>
      <h1>{name}</h1>
      <LoadError error={error} />
      {a && (
        <>
          <dl className="fields"><dt>Enabled</dt><dd>{a.enabled ? "yes" : "no"}</dd><dt>Capabilities</dt><dd>{(a.capabilities ?? []).join(", ") || "none"}</dd></dl>
          <h2>Tokens</h2>
          <NoteLine note={note} />
          {token && <TokenOnce token={token} onDone={() => setToken(undefined)} />}
          {(a.tokens ?? []).length === 0 ? <p className="muted">No tokens.</p> : (
            <table className="table" aria-label="Tokens">
              <thead><tr><th scope="col">ID</th><th scope="col">Issued</th><th scope="col">Expires</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>{(a.tokens ?? []).map((t) => (
                <tr key={t.id} data-token={t.id}><td className="mono">{t.id}</td><td>{t.issuedAt ? new Date(t.issuedAt * 1000).toISOString() : ""}</td><td>{expiryText(t.expiresAt)}</td>
                  <td>{mayUpdate && <button onClick={() => remove(t.id)} disabled={busy} aria-label={`Delete token ${t.id}`}>Delete</button>}</td></tr>
              ))}</tbody>
            </table>
          )}
          {mayUpdate && (a.capabilities ?? []).includes("apiKey") && (
            <form className="inline-form" onSubmit={generate} aria-label="Generate token">
              <label>Token ID<input name="tokenId" value={id} onChange={(e) => setId(e.target.value)} placeholder="random if empty" /></label>
              <label>Expires in<input name="expiresIn" value={expires} onChange={(e) => setExpires(e.target.value)} placeholder="e.g. 24h; empty: never" /></label>
              <button type="submit" className="primary" disabled={busy}>Generate</button>
            </form>
          )}
          {!(a.capabilities ?? []).includes("apiKey") && <p className="muted">This account has no apiKey capability (argocd-cm accounts.{name}), so it cannot have tokens.</p>}
        </>
      )}
    </div>
  );
}
