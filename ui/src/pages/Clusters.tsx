// /settings/clusters and /settings/clusters/:server: the destination clusters with their connection
// state, Kubernetes version and application count; a cluster's details with edit (name, namespaces,
// project) and Invalidate Cache. The server URL is percent-encoded whole in the route, as in Argo.
import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { request } from "../api";
import { List, LoadError, NoteLine, useAction, useLoad } from "../components/Admin";
import { clusterRbacObject } from "../admin";
import { useCan } from "../session";

export interface Cluster {
  server: string; name?: string; namespaces?: string[]; project?: string; clusterResources?: boolean;
  labels?: Record<string, string>; annotations?: Record<string, string>;
  config?: { tlsClientConfig?: { insecure?: boolean; serverName?: string } };
  info?: { serverVersion?: string; applicationsCount?: number; connectionState?: { status?: string; message?: string; attemptedAt?: string }; cacheInfo?: { resourcesCount?: number; apisCount?: number; lastCacheSyncTime?: string } };
  refreshRequestedAt?: string;
}

export function ConnectionBadge({ status, message }: { status: string | undefined; message?: string | undefined }): ReactNode {
  const s = status || "Unknown";
  const cls = s === "Successful" ? "health-Healthy" : s === "Failed" ? "health-Degraded" : "health-Unknown";
  return <span className={`badge ${cls}`} data-connection={s} title={message}><span aria-hidden="true">{s === "Successful" ? "✔" : s === "Failed" ? "✖" : "?"}</span> {s}</span>;
}

export function ClustersPage(): ReactNode {
  const { data, error, reload } = useLoad<{ items?: Cluster[] }>("api/v1/clusters");
  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/settings">Settings</Link> / <span>Clusters</span></nav>
      <h1>Clusters</h1>
      <LoadError error={error} />
      {data === undefined ? <p className="muted">Loading clusters…</p> : (
        <table className="table" aria-label="Clusters">
          <thead><tr><th scope="col">Name</th><th scope="col">Server</th><th scope="col">Version</th><th scope="col">Connection</th><th scope="col">Applications</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>{(data.items ?? []).map((c) => <ClusterRow key={c.server} c={c} onChange={reload} />)}</tbody>
        </table>
      )}
    </div>
  );
}

/** One cluster of the list; its Invalidate cache is enabled only where can-i allows `clusters, update` on it. */
function ClusterRow({ c, onChange }: { c: Cluster; onChange: () => void }): ReactNode {
  const mayUpdate = useCan("clusters", "update", clusterRbacObject(c));
  const { busy, note, run } = useAction();
  const label = c.name || c.server;
  return (
    <tr data-cluster={c.name ?? c.server} data-may-update={mayUpdate === undefined ? "asking" : String(mayUpdate)}>
      <td><Link to={`/settings/clusters/${encodeURIComponent(c.server)}`}>{label}</Link></td>
      <td className="mono">{c.server}</td>
      <td>{c.info?.serverVersion}</td>
      <td><ConnectionBadge status={c.info?.connectionState?.status} message={c.info?.connectionState?.message} />{c.info?.connectionState?.status === "Failed" && c.info.connectionState.message && <div className="muted small">{c.info.connectionState.message}</div>}</td>
      <td>{c.info?.applicationsCount ?? 0}</td>
      <td>
        <button onClick={() => void run("Cache invalidated", () => request("POST", `api/v1/clusters/${encodeURIComponent(c.server)}/invalidate-cache`, { body: {} })).then(onChange)}
          disabled={mayUpdate !== true || busy} title={mayUpdate === false ? "You may not update this cluster" : undefined}
          aria-label={`Invalidate cache of ${label}`} data-testid="row-invalidate-cache">Invalidate cache</button>
        <NoteLine note={note} />
      </td>
    </tr>
  );
}

export function ClusterPage(): ReactNode {
  const server = useParams().server ?? "";
  const path = `api/v1/clusters/${encodeURIComponent(server)}`;
  const { data: c, error, reload } = useLoad<Cluster>(path);
  // Asked once the cluster is loaded: a project-scoped cluster's object is `<project>/<server>`.
  const mayUpdate = useCan("clusters", "update", c ? clusterRbacObject(c) : undefined);
  const [editing, setEditing] = useState(false);
  const { busy, note, run } = useAction();
  return (
    <div className="page" data-testid="cluster-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/settings">Settings</Link> / <Link to="/settings/clusters">Clusters</Link> / <span>{c?.name ?? server}</span></nav>
      <div className="toolbar">
        <h1>{c?.name || server}</h1>
        {mayUpdate === true && <button onClick={() => setEditing(!editing)} aria-expanded={editing}>Edit</button>}
        {mayUpdate === true && <button onClick={() => void run("Cache invalidated: the cluster's resources are being read again", () => request("POST", `${path}/invalidate-cache`, { body: {} })).then(reload)} disabled={busy} data-testid="invalidate-cache">Invalidate cache</button>}
      </div>
      <LoadError error={error} />
      <NoteLine note={note} />
      {c && editing && <EditCluster c={c} path={path} onDone={() => { setEditing(false); reload(); }} />}
      {c && (
        <dl className="fields">
          <dt>Server</dt><dd className="mono">{c.server}</dd>
          <dt>Name</dt><dd>{c.name}</dd>
          <dt>Credentials</dt><dd>{c.config?.tlsClientConfig?.insecure ? "TLS verification off" : "TLS verified"}{c.config?.tlsClientConfig?.serverName ? `, server name ${c.config.tlsClientConfig.serverName}` : ""}</dd>
          <dt>Project</dt><dd>{c.project || <span className="muted">none (global)</span>}</dd>
          <dt>Namespaces</dt><dd><List items={c.namespaces} empty="all" /></dd>
          <dt>Labels</dt><dd><List items={Object.entries(c.labels ?? {}).map(([k, v]) => `${k}=${v}`)} /></dd>
          <dt>Annotations</dt><dd><List items={Object.entries(c.annotations ?? {}).map(([k, v]) => `${k}=${v}`)} /></dd>
          <dt>Version</dt><dd>{c.info?.serverVersion}</dd>
          <dt>Connection</dt><dd><ConnectionBadge status={c.info?.connectionState?.status} message={c.info?.connectionState?.message} /> {c.info?.connectionState?.message}</dd>
          <dt>Applications</dt><dd>{c.info?.applicationsCount ?? 0}</dd>
          <dt>Cache</dt><dd>{c.info?.cacheInfo ? `${c.info.cacheInfo.resourcesCount ?? 0} resources, ${c.info.cacheInfo.apisCount ?? 0} APIs${c.info.cacheInfo.lastCacheSyncTime ? `, synced ${c.info.cacheInfo.lastCacheSyncTime}` : ""}` : "not loaded"}</dd>
          {c.refreshRequestedAt && <><dt>Refresh requested</dt><dd>{c.refreshRequestedAt}</dd></>}
        </dl>
      )}
    </div>
  );
}

function EditCluster({ c, path, onDone }: { c: Cluster; path: string; onDone: () => void }): ReactNode {
  const [name, setName] = useState(c.name ?? "");
  const [namespaces, setNamespaces] = useState((c.namespaces ?? []).join(", "));
  const [project, setProject] = useState(c.project ?? "");
  const { busy, note, run } = useAction();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const body = { server: c.server, name: name.trim(), namespaces: namespaces.split(",").map((n) => n.trim()).filter(Boolean), project: project.trim() };
    void run("", () => request("PUT", `${path}?updatedFields=name&updatedFields=namespaces&updatedFields=project`, { body })).then((r) => { if (r) onDone(); });
  };
  return (
    <form className="form card" onSubmit={submit} aria-label="Edit cluster">
      <label>Name<input name="name" value={name} onChange={(e) => setName(e.target.value)} required /></label>
      <label>Namespaces (comma-separated, empty for all)<input name="namespaces" value={namespaces} onChange={(e) => setNamespaces(e.target.value)} /></label>
      <label>Project<input name="project" value={project} onChange={(e) => setProject(e.target.value)} /></label>
      <NoteLine note={note} />
      <button type="submit" className="primary" disabled={busy}>Save</button>
    </form>
  );
}
