// /settings/repos: the repositories with their connection state (Refresh asks again with
// forceRefresh), connecting one over HTTPS (username/password) or SSH (private key), git, Helm or
// OCI (an oci:// reference; Force HTTP for a registry without TLS),
// optionally scoped to a project, or saving the credentials as a template for every URL under a
// prefix; removing either. Secrets go only into the request body and are never shown back.
import { useState, type FormEvent, type ReactNode } from "react";
import { Link } from "react-router";
import { repoBody, type RepoForm } from "../admin";
import { request } from "../api";
import { Dialog, LoadError, NoteLine, pollUntil, useAction, useLoad } from "../components/Admin";
import { useCan } from "../session";
import { ConnectionBadge } from "./Clusters";

interface Repo { repo: string; type?: string; name?: string; project?: string; connectionState?: { status?: string; message?: string } }
interface RepoCreds { url: string; type?: string; username?: string }

/** A repository's row and request identity: one URL may be registered unscoped and once per project. */
const rowKey = (r: Repo): string => `${r.project ?? ""}\u0000${r.repo}`;
const repoPath = (r: Repo, query = ""): string => {
  const params = new URLSearchParams(query);
  if (r.project) params.set("appProject", r.project);
  const q = params.toString();
  return `api/v1/repositories/${encodeURIComponent(r.repo)}${q ? `?${q}` : ""}`;
};

/** Remove, offered when `repositories, delete` allows this repository's own object (a project-scoped one is `<project>/<url>`). */
function RemoveButton({ object, label, disabled, onRemove }: { object: string; label: string; disabled: boolean; onRemove: () => void }): ReactNode {
  const may = useCan("repositories", "delete", object);
  return may === true ? <button onClick={onRemove} disabled={disabled} aria-label={label}>Remove</button> : null;
}

export function ReposPage(): ReactNode {
  const repos = useLoad<{ items?: Repo[] }>("api/v1/repositories");
  const creds = useLoad<{ items?: RepoCreds[] }>("api/v1/repocreds");
  const mayCreate = useCan("repositories", "create", "*");
  const [connecting, setConnecting] = useState(false);
  const [rows, setRows] = useState<Record<string, Repo>>({});
  const { busy, note, run } = useAction();
  const refresh = (r: Repo): void => {
    void run("", () => request<Repo>("GET", repoPath(r, "forceRefresh=true"))).then((fresh) => { if (fresh) setRows({ ...rows, [rowKey(r)]: fresh }); });
  };
  const remove = (path: string, what: string): void => {
    if (!window.confirm(`Remove ${what}?`)) return;
    void run(`${what} removed`, () => request("DELETE", path)).then(() => { repos.reload(); creds.reload(); });
  };
  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/settings">Settings</Link> / <span>Repositories</span></nav>
      <div className="toolbar"><h1>Repositories</h1>{mayCreate === true && <button className="primary" onClick={() => setConnecting(true)} data-testid="connect-repo">Connect repository</button>}</div>
      <LoadError error={repos.error} />
      <NoteLine note={note} />
      {repos.data === undefined ? <p className="muted">Loading repositories…</p> : (repos.data.items ?? []).length === 0 ? <p className="muted">No repositories connected.</p> : (
        <table className="table" aria-label="Repositories">
          <thead><tr><th scope="col">Type</th><th scope="col">Name</th><th scope="col">Repository</th><th scope="col">Project</th><th scope="col">Connection</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>{(repos.data.items ?? []).map((r0) => {
            const r = rows[rowKey(r0)] ?? r0;
            const scoped = r.project ? ` in project ${r.project}` : "";
            return (
              <tr key={rowKey(r)} data-repo={r.repo} data-project={r.project ?? ""}>
                <td>{r.type ?? "git"}</td><td>{r.name}</td><td className="mono">{r.repo}</td><td>{r.project}</td>
                <td><ConnectionBadge status={r.connectionState?.status} message={r.connectionState?.message} />{r.connectionState?.status === "Failed" && <div className="muted small">{r.connectionState.message}</div>}</td>
                <td className="actions">
                  <button onClick={() => refresh(r)} disabled={busy} aria-label={`Refresh ${r.repo}${scoped}`}>Refresh</button>
                  <Link className="button" to={`/applications?new=${encodeURIComponent(JSON.stringify({ spec: { project: r.project || "default", source: { repoURL: r.repo } } }))}`} aria-label={`Create application from ${r.repo}`}>Create application</Link>
                  <RemoveButton object={r.project ? `${r.project}/${r.repo}` : r.repo} label={`Remove ${r.repo}${scoped}`} disabled={busy} onRemove={() => remove(repoPath(r), `repository ${r.repo}${scoped}`)} />
                </td>
              </tr>
            );
          })}</tbody>
        </table>
      )}
      <h2>Credentials templates</h2>
      <LoadError error={creds.error} />
      {(creds.data?.items ?? []).length === 0 ? <p className="muted">No credentials templates.</p> : (
        <table className="table" aria-label="Credentials templates">
          <thead><tr><th scope="col">URL prefix</th><th scope="col">Type</th><th scope="col">Username</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>{(creds.data?.items ?? []).map((c) => (
            <tr key={c.url} data-creds={c.url}><td className="mono">{c.url}</td><td>{c.type ?? "git"}</td><td>{c.username}</td>
              <td><RemoveButton object={c.url} label={`Remove template ${c.url}`} disabled={busy} onRemove={() => remove(`api/v1/repocreds/${encodeURIComponent(c.url)}`, `credentials template ${c.url}`)} /></td></tr>
          ))}</tbody>
        </table>
      )}
      {connecting && <ConnectRepo onClose={(done) => { setConnecting(false); if (done) { repos.reload(); creds.reload(); } }} />}
    </div>
  );
}

function ConnectRepo({ onClose }: { onClose: (done: boolean) => void }): ReactNode {
  const [f, setF] = useState<RepoForm>({ method: "https", type: "git", name: "", project: "", url: "", username: "", password: "", sshPrivateKey: "", insecure: false, forceHttp: false });
  const { busy, note, run } = useAction();
  const set = (change: Partial<RepoForm>): void => setF({ ...f, ...change });
  const connect = (asTemplate: boolean) => (e?: FormEvent): void => {
    e?.preventDefault();
    void run("", async () => {
      const body = repoBody(f, asTemplate);
      const r = await request("POST", asTemplate ? "api/v1/repocreds" : "api/v1/repositories", { body });
      const url = String(body.repo ?? body.url);
      await pollUntil<{ items?: Array<{ repo?: string; url?: string }> }>(asTemplate ? "api/v1/repocreds" : "api/v1/repositories", (l) => (l?.items ?? []).some((x) => (x.repo ?? x.url) === url));
      return r;
    }).then((r) => { if (r) onClose(true); });
  };
  return (
    <Dialog title="Connect repository" onClose={() => onClose(false)}>
      <form onSubmit={connect(false)} aria-label="Connect repository" className="form">
        <fieldset className="inline-form"><legend>Connection method</legend>
          <label className="check"><input type="radio" name="method" checked={f.method === "https"} onChange={() => set({ method: "https" })} /> HTTPS</label>
          <label className="check"><input type="radio" name="method" checked={f.method === "ssh"} onChange={() => set({ method: "ssh", type: "git", forceHttp: false })} /> SSH</label>
        </fieldset>
        <label>Type<select name="type" value={f.type} onChange={(e) => { const type = e.target.value as RepoForm["type"]; set({ type, forceHttp: type === "oci" && f.forceHttp }); }}><option value="git">git</option>{f.method === "https" && <><option value="helm">helm</option><option value="oci">oci</option></>}</select></label>
        <label>Name (optional{f.type === "helm" ? ", the Helm repository's name" : ""})<input name="name" value={f.name} onChange={(e) => set({ name: e.target.value })} /></label>
        <label>Project (optional: scopes the repository to one project)<input name="project" value={f.project} onChange={(e) => set({ project: e.target.value })} /></label>
        <label>Repository URL<input name="url" value={f.url} onChange={(e) => set({ url: e.target.value })} required placeholder={f.method === "ssh" ? "git@github.com:org/repo.git" : f.type === "oci" ? "oci://registry.example.com/org/app" : "https://github.com/org/repo.git"} /></label>
        {f.method === "https" ? (
          <>
            <label>Username<input name="username" autoComplete="off" value={f.username} onChange={(e) => set({ username: e.target.value })} /></label>
            <label>Password<input name="password" type="password" autoComplete="new-password" value={f.password} onChange={(e) => set({ password: e.target.value })} /></label>
          </>
        ) : (
          <label>SSH private key<textarea name="sshPrivateKey" rows={5} className="mono" value={f.sshPrivateKey} onChange={(e) => set({ sshPrivateKey: e.target.value })} /></label>
        )}
        <label className="check"><input type="checkbox" name="insecure" checked={f.insecure} onChange={(e) => set({ insecure: e.target.checked })} /> Skip server verification</label>
        {f.type === "oci" && <label className="check"><input type="checkbox" name="forceHttp" checked={f.forceHttp} onChange={(e) => set({ forceHttp: e.target.checked })} /> Force HTTP (the registry serves plain HTTP)</label>}
        <NoteLine note={note} />
        <div className="dialog-buttons">
          <button className="primary" type="submit" disabled={busy} data-testid="repo-connect">Connect</button>
          <button type="button" onClick={() => connect(true)()} disabled={busy}>Save as credentials template</button>
          <button type="button" onClick={() => onClose(false)}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}
