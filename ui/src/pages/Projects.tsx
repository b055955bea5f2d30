// /settings/projects and /settings/projects/:name: the AppProjects the user may see, creating one,
// and a project's tabs: Summary (sources, destinations, resource allow/deny lists, signature keys,
// orphaned-resource monitoring), Roles (policies, groups, JWT tokens made and deleted here), Sync
// Windows with whether each is in effect now, and Events. Controls the user may not use are hidden.
import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { DeepLinks } from "../components/DeepLinks";
import { destinationKey, destinationRbacObject, editDestinations, expiryText, parseExpiresIn, windowsNow, type Destination, type SyncWindow } from "../admin";
import { request } from "../api";
import { Dialog, List, LoadError, NoteLine, pollUntil, TokenOnce, useAction, useLoad } from "../components/Admin";
import { useCan } from "../session";

interface GroupKind { group?: string; kind?: string }
interface JwtToken { iat: number; exp?: number; id?: string }
interface Role { name: string; description?: string; policies?: string[]; groups?: string[]; jwtTokens?: JwtToken[] }
export interface Project {
  metadata: { name: string; resourceVersion?: string };
  spec?: {
    description?: string; sourceRepos?: string[]; sourceNamespaces?: string[];
    destinations?: Array<{ server?: string; name?: string; namespace?: string }>;
    clusterResourceWhitelist?: GroupKind[]; clusterResourceBlacklist?: GroupKind[];
    namespaceResourceWhitelist?: GroupKind[]; namespaceResourceBlacklist?: GroupKind[];
    signatureKeys?: Array<{ keyID: string }>;
    orphanedResources?: { warn?: boolean; ignore?: Array<{ group?: string; kind?: string; name?: string }> };
    roles?: Role[]; syncWindows?: SyncWindow[];
  };
  status?: { jwtTokensByRole?: Record<string, { items?: JwtToken[] }> };
}
interface KubeEvent { type?: string; reason?: string; message?: string; lastTimestamp?: string; eventTime?: string; count?: number }

const gk = (x: GroupKind): string => `${x.group || "(core)"}/${x.kind ?? "*"}`;

export function ProjectsPage(): ReactNode {
  const { data, error, reload } = useLoad<{ items?: Project[] }>("api/v1/projects");
  const mayCreate = useCan("projects", "create", "*");
  const [creating, setCreating] = useState(false);
  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/settings">Settings</Link> / <span>Projects</span></nav>
      <div className="toolbar"><h1>Projects</h1>{mayCreate === true && <button className="primary" onClick={() => setCreating(true)} data-testid="new-project">New project</button>}</div>
      <LoadError error={error} />
      {data === undefined ? <p className="muted">Loading projects…</p> : (
        <table className="table" aria-label="Projects">
          <thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Sources</th><th scope="col">Destinations</th></tr></thead>
          <tbody>{(data.items ?? []).map((p) => (
            <tr key={p.metadata.name} data-project={p.metadata.name}>
              <td><Link to={`/settings/projects/${encodeURIComponent(p.metadata.name)}`}>{p.metadata.name}</Link></td>
              <td>{p.spec?.description}</td>
              <td>{(p.spec?.sourceRepos ?? []).join(", ")}</td>
              <td>{(p.spec?.destinations ?? []).map((d) => `${d.name || d.server || ""}/${d.namespace ?? ""}`).join(", ")}</td>
            </tr>
          ))}</tbody>
        </table>
      )}
      {creating && <CreateProject onClose={(done) => { setCreating(false); if (done) reload(); }} />}
    </div>
  );
}

function CreateProject({ onClose }: { onClose: (created: boolean) => void }): ReactNode {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const { busy, note, run } = useAction();
  const navigate = useNavigate();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const n = name.trim();
    void run("", async () => {
      const r = await request("POST", "api/v1/projects", { body: { project: { metadata: { name: n }, spec: description ? { description } : {} } } });
      await pollUntil(`api/v1/projects/${encodeURIComponent(n)}`, (p) => p !== undefined);
      return r;
    }).then((r) => { if (r) { onClose(true); void navigate(`/settings/projects/${encodeURIComponent(n)}`); } });
  };
  return (
    <Dialog title="Create project" onClose={() => onClose(false)}>
      <form onSubmit={submit} aria-label="Create project" className="form">
        <label>Project name<input name="name" value={name} onChange={(e) => setName(e.target.value)} required /></label>
        <label>Description<input name="description" value={description} onChange={(e) => setDescription(e.target.value)} /></label>
        <NoteLine note={note} />
        <div className="dialog-buttons"><button className="primary" type="submit" disabled={busy}>Create</button><button type="button" onClick={() => onClose(false)}>Cancel</button></div>
      </form>
    </Dialog>
  );
}

const TABS = ["summary", "roles", "windows", "events"] as const;
const TAB_TITLES: Record<(typeof TABS)[number], string> = { summary: "Summary", roles: "Roles", windows: "Sync windows", events: "Events" };

export function ProjectPage(): ReactNode {
  const name = useParams().name ?? "";
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get("tab") ?? "") ? params.get("tab") as (typeof TABS)[number] : "summary";
  const { data, error, reload } = useLoad<{ project: Project }>(`api/v1/projects/${encodeURIComponent(name)}/detailed`);
  const mayUpdate = useCan("projects", "update", name);
  const project = data?.project;
  return (
    <div className="page" data-testid="project-page" data-project={name}>
      <nav className="breadcrumbs" aria-label="Breadcrumbs"><Link to="/settings">Settings</Link> / <Link to="/settings/projects">Projects</Link> / <span>{name}</span></nav>
      <h1>{name}</h1>
      <DeepLinks path={`api/v1/projects/${encodeURIComponent(name)}/links`} testId="project-links" />
      <LoadError error={error} />
      <div role="tablist" aria-label="Project" className="tabs">
        {TABS.map((t) => <button key={t} role="tab" id={`tab-${t}`} aria-selected={tab === t} aria-controls={`panel-${t}`} onClick={() => setParams({ tab: t }, { replace: true })} data-testid={`tab-${t}`}>{TAB_TITLES[t]}</button>)}
      </div>
      <section role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
        {!project ? <p className="muted">Loading {name}…</p>
          : tab === "summary" ? <><Summary p={project} /><Destinations p={project} mayUpdate={mayUpdate === true} asking={mayUpdate === undefined} onChange={reload} /></>
          : tab === "roles" ? <Roles p={project} mayUpdate={mayUpdate === true} onChange={reload} />
          : tab === "windows" ? <Windows p={project} />
          : <Events name={name} />}
      </section>
    </div>
  );
}

function Summary({ p }: { p: Project }): ReactNode {
  const s = p.spec ?? {};
  return (
    <dl className="fields">
      <dt>Description</dt><dd>{s.description || <span className="muted">none</span>}</dd>
      <dt>Source repositories</dt><dd><List items={s.sourceRepos} /></dd>
      <dt>Source namespaces</dt><dd><List items={s.sourceNamespaces} /></dd>
      <dt>Cluster resources allowed</dt><dd><List items={s.clusterResourceWhitelist?.map(gk)} empty="none" /></dd>
      <dt>Cluster resources denied</dt><dd><List items={s.clusterResourceBlacklist?.map(gk)} empty="none" /></dd>
      <dt>Namespaced resources allowed</dt><dd><List items={s.namespaceResourceWhitelist?.map(gk)} empty="all" /></dd>
      <dt>Namespaced resources denied</dt><dd><List items={s.namespaceResourceBlacklist?.map(gk)} empty="none" /></dd>
      <dt>Signature keys</dt><dd><List items={s.signatureKeys?.map((k) => k.keyID)} empty="none (commits are not verified)" /></dd>
      <dt>Orphaned resources</dt><dd>{s.orphanedResources ? `monitored${s.orphanedResources.warn ? ", with a warning condition" : ""}${s.orphanedResources.ignore?.length ? `; ignoring ${s.orphanedResources.ignore.map((i) => `${i.group || "(core)"}/${i.kind ?? "*"}/${i.name ?? "*"}`).join(", ")}` : ""}` : "not monitored"}</dd>
    </dl>
  );
}

/**
 * The project's destinations, each removable and new ones added (PUT of the project). As the
 * Applications pages do per app, each destination's Remove is enabled only where can-i allows both
 * `projects, update` on the project and `clusters, update` on its cluster; Add is enabled once the
 * typed cluster passes the same check (the server checks it again for each added destination).
 */
function Destinations({ p, mayUpdate, asking, onChange }: { p: Project; mayUpdate: boolean; asking: boolean; onChange: () => void }): ReactNode {
  const destinations = p.spec?.destinations ?? [];
  const [form, setForm] = useState({ server: "", name: "", namespace: "" });
  const { busy, note, run, setNote } = useAction();
  const typed = destinationRbacObject({ server: form.server.trim(), name: form.name.trim() });
  const mayAddHere = useCan("clusters", "update", mayUpdate && typed ? typed : undefined);
  const save = (next: Destination[], label: string, after?: () => void): void => {
    const project = { ...p, spec: { ...p.spec, destinations: next } };
    void run(label, async () => {
      const r = await request("PUT", `api/v1/projects/${encodeURIComponent(p.metadata.name)}`, { body: { project } });
      await pollUntil<{ project: Project }>(`api/v1/projects/${encodeURIComponent(p.metadata.name)}/detailed`, (d) => (d?.project.spec?.destinations ?? []).length === next.length);
      return r;
    }).then((r) => { if (r) { after?.(); onChange(); } });
  };
  const add = (e: FormEvent): void => {
    e.preventDefault();
    const r = editDestinations(destinations, { add: form });
    if (!r.destinations) { setNote({ text: r.error ?? "", error: true }); return; }
    save(r.destinations, "Destination added", () => setForm({ server: "", name: "", namespace: "" }));
  };
  return (
    <section className="card" aria-labelledby="destinations-title" data-testid="project-destinations">
      <h2 id="destinations-title">Destinations</h2>
      {destinations.length === 0 ? <p className="muted">None: no application of this project may deploy anywhere.</p> : (
        <table className="table" aria-labelledby="destinations-title">
          <thead><tr><th scope="col">Cluster</th><th scope="col">Namespace</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>{destinations.map((d) => (
            <DestinationRow key={destinationKey(d)} d={d} mayUpdate={mayUpdate} asking={asking} busy={busy}
              onRemove={() => save(editDestinations(destinations, { remove: destinationKey(d) }).destinations ?? destinations, "Destination removed")} />
          ))}</tbody>
        </table>
      )}
      {mayUpdate && (
        <form className="form inline-form" onSubmit={add} aria-label="Add destination" data-testid="add-destination">
          <label>Server URL<input name="destServer" value={form.server} onChange={(e) => setForm({ ...form, server: e.target.value })} placeholder="https://kubernetes.default.svc" /></label>
          <label>or cluster name<input name="destName" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></label>
          <label>Namespace<input name="destNamespace" value={form.namespace} onChange={(e) => setForm({ ...form, namespace: e.target.value })} placeholder="* for all" /></label>
          <button type="submit" disabled={busy || !typed || mayAddHere !== true} data-testid="destination-add"
            title={typed && mayAddHere === false ? "You may not update this cluster" : undefined}>Add destination</button>
          {typed && mayAddHere === false && <p className="muted" data-testid="destination-add-refused">You may not add destinations on {typed}.</p>}
        </form>
      )}
      <NoteLine note={note} />
    </section>
  );
}

function DestinationRow({ d, mayUpdate, asking, busy, onRemove }: { d: Destination; mayUpdate: boolean; asking: boolean; busy: boolean; onRemove: () => void }): ReactNode {
  const object = destinationRbacObject(d);
  const mayCluster = useCan("clusters", "update", mayUpdate && object ? object : undefined);
  const allowed = mayUpdate && mayCluster === true;
  const label = `${d.server || d.name || ""} / ${d.namespace ?? ""}`;
  return (
    <tr data-testid="destination" data-server={d.server ?? ""} data-name={d.name ?? ""} data-namespace={d.namespace ?? ""} data-may-update={asking || (mayUpdate && mayCluster === undefined) ? "asking" : String(allowed)}>
      <td className="mono">{d.server || d.name}</td>
      <td className="mono">{d.namespace}</td>
      <td>
        {mayUpdate && <button onClick={onRemove} disabled={!allowed || busy} title={mayCluster === false ? "You may not update this cluster" : undefined}
          aria-label={`Remove destination ${label}`} data-testid="destination-remove">Remove</button>}
      </td>
    </tr>
  );
}

/** A role's tokens: spec.roles[].jwtTokens merged with status.jwtTokensByRole, by id. */
function tokensOf(p: Project, role: Role): JwtToken[] {
  const byId = new Map<string, JwtToken>();
  for (const t of [...(role.jwtTokens ?? []), ...(p.status?.jwtTokensByRole?.[role.name]?.items ?? [])]) byId.set(t.id ?? String(t.iat), t);
  return [...byId.values()].sort((a, b) => b.iat - a.iat);
}

function Roles({ p, mayUpdate, onChange }: { p: Project; mayUpdate: boolean; onChange: () => void }): ReactNode {
  const { busy, note, run } = useAction();
  const [adding, setAdding] = useState(false);
  const [token, setToken] = useState<string | undefined>(undefined);
  const name = p.metadata.name;
  const base = `api/v1/projects/${encodeURIComponent(name)}/roles`;
  const detailed = `api/v1/projects/${encodeURIComponent(name)}/detailed`;
  const hasToken = (d: { project: Project } | undefined, role: string, key: string): boolean =>
    (d?.project.spec?.roles ?? []).some((r) => r.name === role && tokensOf(d!.project, r).some((t) => (t.id ?? String(t.iat)) === key));
  const deleteToken = (role: string, t: JwtToken): void => {
    const key = t.id ?? String(t.iat);
    void run(`Token ${key} deleted`, async () => {
      await request("DELETE", `${base}/${encodeURIComponent(role)}/token/${t.iat}${t.id ? `?id=${encodeURIComponent(t.id)}` : ""}`);
      await pollUntil<{ project: Project }>(detailed, (d) => !hasToken(d, role, key));
    }).then(onChange);
  };
  const deleteExpired = async (role: Role): Promise<void> => {
    const now = Date.now() / 1000;
    for (const t of tokensOf(p, role).filter((x) => x.exp && x.exp < now)) {
      await request("DELETE", `${base}/${encodeURIComponent(role.name)}/token/${t.iat}${t.id ? `?id=${encodeURIComponent(t.id)}` : ""}`);
    }
  };
  return (
    <div>
      {mayUpdate && <button onClick={() => setAdding(true)} data-testid="add-role">Add role</button>}
      <NoteLine note={note} />
      {token && <TokenOnce token={token} onDone={() => setToken(undefined)} />}
      {(p.spec?.roles ?? []).length === 0 && <p className="muted">No roles.</p>}
      {(p.spec?.roles ?? []).map((role) => {
        const tokens = tokensOf(p, role);
        return (
          <article key={role.name} className="card" data-role={role.name} aria-label={`Role ${role.name}`}>
            <h3>{role.name}</h3>
            {role.description && <p>{role.description}</p>}
            <dl className="fields">
              <dt>Policies</dt><dd><List items={role.policies?.map((x) => <code>{x}</code>)} /></dd>
              <dt>Groups</dt><dd><List items={role.groups} /></dd>
            </dl>
            <h4>JWT tokens</h4>
            {tokens.length === 0 ? <p className="muted">No tokens.</p> : (
              <table className="table" aria-label={`Tokens of ${role.name}`}>
                <thead><tr><th scope="col">ID</th><th scope="col">Issued</th><th scope="col">Expires</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
                <tbody>{tokens.map((t) => (
                  <tr key={t.id ?? t.iat} data-token={t.id ?? t.iat}>
                    <td className="mono">{t.id ?? t.iat}</td><td>{new Date(t.iat * 1000).toISOString()}</td><td>{expiryText(t.exp)}</td>
                    <td>{mayUpdate && <button onClick={() => deleteToken(role.name, t)} disabled={busy} aria-label={`Delete token ${t.id ?? t.iat}`}>Delete</button>}</td>
                  </tr>
                ))}</tbody>
              </table>
            )}
            {mayUpdate && <TokenForm project={name} role={role.name} onToken={(tok) => { setToken(tok); onChange(); }} />}
            {mayUpdate && tokens.some((t) => t.exp && t.exp * 1000 < Date.now()) && <button onClick={() => void run("Expired tokens deleted", () => deleteExpired(role)).then(onChange)}>Delete expired tokens</button>}
          </article>
        );
      })}
      {adding && <AddRole p={p} onClose={(done) => { setAdding(false); if (done) onChange(); }} />}
    </div>
  );
}

function TokenForm({ project, role, onToken }: { project: string; role: string; onToken: (token: string) => void }): ReactNode {
  const [id, setId] = useState("");
  const [expires, setExpires] = useState("");
  const { busy, note, run } = useAction();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void run("", async () => {
      const expiresIn = parseExpiresIn(expires);
      return request<{ token?: string }>("POST", `api/v1/projects/${encodeURIComponent(project)}/roles/${encodeURIComponent(role)}/token`,
        { body: { project, role, ...(id.trim() ? { id: id.trim() } : {}), ...(expiresIn ? { expiresIn } : {}) } });
    }).then((r) => { if (r?.token) { setId(""); setExpires(""); onToken(r.token); } });
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label={`Create token for ${role}`}>
      <label>Token ID<input name="tokenId" value={id} onChange={(e) => setId(e.target.value)} placeholder="random if empty" /></label>
      <label>Expires in<input name="expiresIn" value={expires} onChange={(e) => setExpires(e.target.value)} placeholder="e.g. 24h, 7d; empty: never" /></label>
      <button type="submit" className="primary" disabled={busy} data-testid="create-token">Create token</button>
      <NoteLine note={note} />
    </form>
  );
}

function AddRole({ p, onClose }: { p: Project; onClose: (done: boolean) => void }): ReactNode {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [policies, setPolicies] = useState("");
  const [groups, setGroups] = useState("");
  const { busy, note, run } = useAction();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const role: Role = {
      name: name.trim(),
      ...(description ? { description } : {}),
      policies: policies.split("\n").map((l) => l.trim()).filter(Boolean),
      groups: groups.split(",").map((g) => g.trim()).filter(Boolean),
    };
    if ((p.spec?.roles ?? []).some((r) => r.name === role.name)) {
      void run("", () => Promise.reject(new Error(`Role name: the project already has a role "${role.name}"`)));
      return;
    }
    const project = { ...p, spec: { ...p.spec, roles: [...(p.spec?.roles ?? []), role] } };
    void run("", async () => {
      const r = await request("PUT", `api/v1/projects/${encodeURIComponent(p.metadata.name)}`, { body: { project } });
      await pollUntil<{ project: Project }>(`api/v1/projects/${encodeURIComponent(p.metadata.name)}/detailed`, (d) => (d?.project.spec?.roles ?? []).some((x) => x.name === role.name));
      return r;
    }).then((r) => { if (r) onClose(true); });
  };
  return (
    <Dialog title="Add role" onClose={() => onClose(false)}>
      <form onSubmit={submit} aria-label="Add role" className="form">
        <label>Role name<input name="roleName" value={name} onChange={(e) => setName(e.target.value)} required /></label>
        <label>Description<input name="roleDescription" value={description} onChange={(e) => setDescription(e.target.value)} /></label>
        <label>Policies (one per line)<textarea name="policies" rows={4} value={policies} onChange={(e) => setPolicies(e.target.value)} placeholder={`p, proj:${p.metadata.name}:ROLE, applications, get, ${p.metadata.name}/*, allow`} /></label>
        <label>Groups (comma-separated)<input name="groups" value={groups} onChange={(e) => setGroups(e.target.value)} /></label>
        <NoteLine note={note} />
        <div className="dialog-buttons"><button className="primary" type="submit" disabled={busy}>Save</button><button type="button" onClick={() => onClose(false)}>Cancel</button></div>
      </form>
    </Dialog>
  );
}

function Windows({ p }: { p: Project }): ReactNode {
  const { data, error } = useLoad<{ windows?: SyncWindow[] }>(`api/v1/projects/${encodeURIComponent(p.metadata.name)}/syncwindows`);
  const states = windowsNow(p.spec?.syncWindows, data?.windows);
  if (states.length === 0) return <p className="muted">No sync windows: syncs may run at any time.</p>;
  return (
    <>
      <LoadError error={error} />
      <table className="table" aria-label="Sync windows">
        <thead><tr><th scope="col">State now</th><th scope="col">Kind</th><th scope="col">Schedule</th><th scope="col">Duration</th><th scope="col">Time zone</th><th scope="col">Applications</th><th scope="col">Namespaces</th><th scope="col">Clusters</th><th scope="col">Manual sync</th></tr></thead>
        <tbody>{states.map((s, i) => (
          <tr key={i} data-window={i} data-active={s.active}>
            <td className={s.active ? (s.window.kind === "deny" ? "error" : "notice") : "muted"}>{data === undefined ? "…" : s.state}</td>
            <td>{s.window.kind}</td><td className="mono">{s.window.schedule}</td><td>{s.window.duration}</td><td>{s.window.timeZone || "UTC"}</td>
            <td>{(s.window.applications ?? []).join(", ")}</td><td>{(s.window.namespaces ?? []).join(", ")}</td><td>{(s.window.clusters ?? []).join(", ")}</td>
            <td>{s.window.manualSync ? "allowed" : "no"}</td>
          </tr>
        ))}</tbody>
      </table>
    </>
  );
}

function Events({ name }: { name: string }): ReactNode {
  const { data, error } = useLoad<{ items?: KubeEvent[] }>(`api/v1/projects/${encodeURIComponent(name)}/events`);
  return <EventsTable items={data?.items} error={error} loading={data === undefined} />;
}

export function EventsTable({ items, error, loading }: { items: KubeEvent[] | undefined; error: string | undefined; loading: boolean }): ReactNode {
  if (error) return <LoadError error={error} />;
  if (loading) return <p className="muted">Loading events…</p>;
  if (!items?.length) return <p className="muted">No events.</p>;
  return (
    <table className="table" aria-label="Events">
      <thead><tr><th scope="col">Type</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Count</th><th scope="col">Last seen</th></tr></thead>
      <tbody>{items.map((e, i) => <tr key={i}><td>{e.type}</td><td>{e.reason}</td><td>{e.message}</td><td>{e.count ?? 1}</td><td>{e.lastTimestamp ?? e.eventTime}</td></tr>)}</tbody>
    </table>
  );
}
