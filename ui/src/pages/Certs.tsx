// /settings/certs and /settings/gpgkeys: the TLS certificates and SSH known hosts the git layer
// trusts, and the GnuPG public keys that verify signed commits; each can be added and removed.
import { useState, type FormEvent, type ReactNode } from "react";
import { Link } from "react-router";
import { base64, knownHostsItems, type CertItem } from "../admin";
import { query, request } from "../api";
import { Dialog, LoadError, NoteLine, useAction, useLoad } from "../components/Admin";
import { useCan } from "../session";

interface Cert { serverName: string; certType: string; certSubType?: string; certInfo?: string }
interface GpgKey { keyID: string; fingerprint?: string; owner?: string; trust?: string; subType?: string }

export function CertsPage(): ReactNode {
  const { data, error, reload } = useLoad<{ items?: Cert[] }>("api/v1/certificates");
  const mayCreate = useCan("certificates", "create", "*");
  const mayDelete = useCan("certificates", "delete", "*");
  const [adding, setAdding] = useState<"https" | "ssh" | undefined>(undefined);
  const { busy, note, run } = useAction();
  const remove = (c: Cert): void => {
    if (!window.confirm(`Remove the ${c.certType} entry for ${c.serverName}?`)) return;
    void run(`${c.serverName} removed`, () => request("DELETE", `api/v1/certificates${query({ hostNamePattern: c.serverName, certType: c.certType, certSubType: c.certSubType })}`)).then(reload);
  };
  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/settings">Settings</Link> / <span>Certificates and known hosts</span></nav>
      <div className="toolbar">
        <h1>Repository certificates and known hosts</h1>
        {mayCreate === true && <button onClick={() => setAdding("https")}>Add TLS certificate</button>}
        {mayCreate === true && <button onClick={() => setAdding("ssh")}>Add SSH known hosts</button>}
      </div>
      <LoadError error={error} />
      <NoteLine note={note} />
      {data === undefined ? <p className="muted">Loading…</p> : (data.items ?? []).length === 0 ? <p className="muted">No certificates or known hosts.</p> : (
        <table className="table" aria-label="Certificates and known hosts">
          <thead><tr><th scope="col">Server</th><th scope="col">Type</th><th scope="col">Subtype</th><th scope="col">Info</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>{(data.items ?? []).map((c, i) => (
            <tr key={i} data-cert={c.serverName}><td>{c.serverName}</td><td>{c.certType}</td><td>{c.certSubType}</td><td className="mono small">{c.certInfo}</td>
              <td>{mayDelete === true && <button onClick={() => remove(c)} disabled={busy} aria-label={`Remove ${c.certType} ${c.serverName}`}>Remove</button>}</td></tr>
          ))}</tbody>
        </table>
      )}
      {adding && <AddCert kind={adding} onClose={(done) => { setAdding(undefined); if (done) reload(); }} />}
    </div>
  );
}

function AddCert({ kind, onClose }: { kind: "https" | "ssh"; onClose: (done: boolean) => void }): ReactNode {
  const [serverName, setServerName] = useState("");
  const [data, setData] = useState("");
  const { busy, note, run } = useAction();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void run("", async () => {
      const items: CertItem[] = kind === "ssh" ? knownHostsItems(data) : [{ serverName: serverName.trim(), certType: "https", certData: base64(data.trim()) }];
      return request("POST", "api/v1/certificates", { body: { items } });
    }).then((r) => { if (r) onClose(true); });
  };
  return (
    <Dialog title={kind === "ssh" ? "Add SSH known hosts" : "Add TLS certificate"} onClose={() => onClose(false)}>
      <form onSubmit={submit} className="form" aria-label={kind === "ssh" ? "Add SSH known hosts" : "Add TLS certificate"}>
        {kind === "https" && <label>Repository server name<input name="serverName" value={serverName} onChange={(e) => setServerName(e.target.value)} required placeholder="git.example.com" /></label>}
        <label>{kind === "ssh" ? "SSH known hosts entries (known_hosts lines)" : "TLS certificate (PEM)"}<textarea name="certData" rows={8} className="mono" value={data} onChange={(e) => setData(e.target.value)} required /></label>
        <NoteLine note={note} />
        <div className="dialog-buttons"><button type="submit" className="primary" disabled={busy}>Add</button><button type="button" onClick={() => onClose(false)}>Cancel</button></div>
      </form>
    </Dialog>
  );
}

export function GpgKeysPage(): ReactNode {
  const { data, error, reload } = useLoad<{ items?: GpgKey[] }>("api/v1/gpgkeys");
  const mayCreate = useCan("gpgkeys", "create", "*");
  const mayDelete = useCan("gpgkeys", "delete", "*");
  const [adding, setAdding] = useState(false);
  const [keyData, setKeyData] = useState("");
  const { busy, note, run } = useAction();
  const add = (e: FormEvent): void => {
    e.preventDefault();
    void run("Key added", () => request<{ created?: { items?: GpgKey[] }; skipped?: string[] }>("POST", "api/v1/gpgkeys", { body: { keyData } }))
      .then((r) => { if (r) { setAdding(false); setKeyData(""); reload(); } });
  };
  const remove = (k: GpgKey): void => {
    if (!window.confirm(`Remove GnuPG key ${k.keyID}?`)) return;
    void run(`Key ${k.keyID} removed`, () => request("DELETE", `api/v1/gpgkeys${query({ keyID: k.keyID })}`)).then(reload);
  };
  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/settings">Settings</Link> / <span>GnuPG keys</span></nav>
      <div className="toolbar"><h1>GnuPG keys</h1>{mayCreate === true && <button onClick={() => setAdding(true)}>Add GnuPG key</button>}</div>
      <LoadError error={error} />
      <NoteLine note={note} />
      {data === undefined ? <p className="muted">Loading…</p> : (data.items ?? []).length === 0 ? <p className="muted">No GnuPG keys.</p> : (
        <table className="table" aria-label="GnuPG keys">
          <thead><tr><th scope="col">Key ID</th><th scope="col">Type</th><th scope="col">Owner</th><th scope="col">Trust</th><th scope="col">Fingerprint</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>{(data.items ?? []).map((k) => (
            <tr key={k.keyID} data-key={k.keyID}><td className="mono">{k.keyID}</td><td>{k.subType}</td><td>{k.owner}</td><td>{k.trust}</td><td className="mono small">{k.fingerprint}</td>
              <td>{mayDelete === true && <button onClick={() => remove(k)} disabled={busy} aria-label={`Remove key ${k.keyID}`}>Remove</button>}</td></tr>
          ))}</tbody>
        </table>
      )}
      {adding && (
        <Dialog title="Add GnuPG key" onClose={() => setAdding(false)}>
          <form onSubmit={add} className="form" aria-label="Add GnuPG key">
            <label>ASCII-armoured public key<textarea name="keyData" rows={10} className="mono" value={keyData} onChange={(e) => setKeyData(e.target.value)} required /></label>
            <NoteLine note={note} />
            <div className="dialog-buttons"><button type="submit" className="primary" disabled={busy}>Add</button><button type="button" onClick={() => setAdding(false)}>Cancel</button></div>
          </form>
        </Dialog>
      )}
    </div>
  );
}
