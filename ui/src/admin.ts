// The settings and ApplicationSet pages' logic, free of React and the DOM so it is unit-tested
// (admin.test.ts): token expiry input, known_hosts lines to certificate items, the repository
// connect form to the API body, sync windows' state now, and where each app stands in a RollingSync.

/** "Expires in" as typed (`3600`, `30m`, `24h`, `7d`, empty for never) to seconds; 0 means no expiry. */
export function parseExpiresIn(text: string): number {
  const t = text.trim();
  if (t === "" || t === "0") return 0;
  const m = /^(\d+)\s*([smhd]?)$/.exec(t);
  if (!m) throw new Error(`Expires in: "${t}" is not a duration (a number of seconds, or e.g. 30m, 24h, 7d; empty for never)`);
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}

export interface CertItem { serverName: string; certType: "ssh" | "https"; certSubType?: string; certData: string }

/** Base64 of a string's UTF-8 bytes (the API's certData and keyData encodings). */
export function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * known_hosts lines (`host[,host...] key-type base64-key`, comments and blanks skipped) to the
 * certificate API's items, one per host; a malformed line is an error naming its number.
 */
export function knownHostsItems(text: string): CertItem[] {
  const items: CertItem[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const parts = line.split(/\s+/);
    if (parts.length < 3 || !/^[A-Za-z0-9+/=]+$/.test(parts[2]!)) throw new Error(`SSH known hosts line ${i + 1}: expected "host key-type base64-key", got "${line.slice(0, 60)}"`);
    for (const host of parts[0]!.split(",").filter(Boolean)) {
      items.push({ serverName: host, certType: "ssh", certSubType: parts[1]!, certData: base64(parts[2]!) });
    }
  });
  if (items.length === 0) throw new Error("SSH known hosts: no entries given");
  return items;
}

export interface RepoForm {
  method: "https" | "ssh";
  type: "git" | "helm" | "oci";
  name: string;
  project: string;
  url: string;
  username: string;
  password: string;
  sshPrivateKey: string;
  insecure: boolean;
  /** OCI only: the registry speaks plain HTTP (the Secret's `insecureOCIForceHttp`). */
  forceHttp: boolean;
}

/** The body of POST /api/v1/repositories (or /repocreds with `url` for a template) from the connect form. */
export function repoBody(f: RepoForm, asTemplate: boolean): Record<string, unknown> {
  const url = f.url.trim();
  if (!url) throw new Error("Repository URL is required");
  if (f.method === "ssh") {
    if (f.type !== "git") throw new Error(`SSH connects git repositories only; use HTTPS for ${f.type === "oci" ? "OCI" : "Helm"}`);
    if (!/^(ssh:\/\/|[\w.-]+@[\w.-]+:)/.test(url)) throw new Error(`Repository URL: "${url}" is not an SSH URL (ssh://host/path or user@host:path)`);
    if (!asTemplate && !f.sshPrivateKey.trim()) throw new Error("SSH private key is required");
  } else if (f.type === "oci") {
    if (!/^oci:\/\/[^/\s]/.test(url)) throw new Error(`Repository URL: "${url}" is not an OCI reference (oci://registry/repository)`);
    // Credentials go in the username and password fields; the server refuses them in the reference.
    if (/^oci:\/\/[^/]*@/.test(url)) throw new Error("Repository URL: put the credentials in Username and Password, not in the URL");
  } else if (!/^https?:\/\//.test(url)) {
    throw new Error(`Repository URL: "${url}" is not an HTTP(S) URL`);
  }
  if (f.forceHttp && f.type !== "oci") throw new Error("Force HTTP applies to OCI repositories only");
  if (f.method === "https" && f.password && !f.username) throw new Error("Username is required with a password");
  const body: Record<string, unknown> = { [asTemplate ? "url" : "repo"]: url, type: f.type };
  if (!asTemplate && f.name.trim()) body.name = f.name.trim();
  if (f.project.trim()) body.project = f.project.trim();
  if (f.method === "https") {
    if (f.username) body.username = f.username;
    if (f.password) body.password = f.password;
    if (f.insecure) body.insecure = true;
    if (f.forceHttp) body.insecureOCIForceHttp = true;
  } else {
    if (f.sshPrivateKey.trim()) body.sshPrivateKey = f.sshPrivateKey.trim() + "\n";
    if (f.insecure) body.insecure = true;
  }
  return body;
}

export interface SyncWindow {
  kind?: string; schedule?: string; duration?: string; applications?: string[]; namespaces?: string[]; clusters?: string[];
  manualSync?: boolean; timeZone?: string; andOperator?: boolean; description?: string;
}

/**
 * Each of the project's windows with whether it is in effect now, from the server's list of the
 * windows active now (GET /api/v1/projects/{name}/syncwindows returns the window objects themselves).
 * An active allow window opens syncs, an active deny window blocks them.
 */
export function windowsNow(windows: SyncWindow[] | undefined, active: SyncWindow[] | undefined): Array<{ window: SyncWindow; active: boolean; state: string }> {
  const key = (w: SyncWindow): string => JSON.stringify(w, Object.keys(w).sort());
  const on = new Map<string, number>();
  for (const w of active ?? []) on.set(key(w), (on.get(key(w)) ?? 0) + 1);
  return (windows ?? []).map((w) => {
    const n = on.get(key(w)) ?? 0;
    if (n > 0) on.set(key(w), n - 1);
    const isOn = n > 0;
    const state = !isOn ? "Inactive" : w.kind === "deny" ? "Active: syncs blocked" : "Active: syncs allowed";
    return { window: w, active: isOn, state };
  });
}

export interface MatchExpression { key?: string; operator?: string; values?: string[] }
export interface RolloutStep { matchExpressions?: MatchExpression[]; maxUpdate?: number | string }
export interface AppStatusEntry { application: string; status?: string; step?: string; message?: string }

export function describeExpression(e: MatchExpression): string {
  return `${e.key ?? "?"} ${e.operator ?? "In"} (${(e.values ?? []).join(", ")})`;
}

/**
 * A RollingSync's steps with the applications the controller put in each (status.applicationStatus
 * `step`, 1-based), and the applications it has not placed.
 */
export function rolloutSteps(steps: RolloutStep[] | undefined, statuses: AppStatusEntry[] | undefined): { steps: Array<{ index: number; match: string; maxUpdate?: number | string; apps: AppStatusEntry[] }>; unplaced: AppStatusEntry[] } {
  const out = (steps ?? []).map((s, i) => ({
    index: i + 1,
    match: (s.matchExpressions ?? []).map(describeExpression).join(" and ") || "(every application)",
    ...(s.maxUpdate !== undefined ? { maxUpdate: s.maxUpdate } : {}),
    apps: [] as AppStatusEntry[],
  }));
  const unplaced: AppStatusEntry[] = [];
  for (const st of statuses ?? []) {
    const n = Number(st.step);
    const step = Number.isInteger(n) ? out[n - 1] : undefined;
    if (step) step.apps.push(st); else unplaced.push(st);
  }
  for (const s of out) s.apps.sort((a, b) => a.application.localeCompare(b.application));
  return { steps: out, unplaced };
}

/** One line per generator: its kind and what it draws from (nested ones for matrix and merge). */
export function describeGenerator(g: Record<string, unknown>): string {
  const kind = Object.keys(g).find((k) => k !== "selector" && k !== "values");
  if (!kind) return "(empty generator)";
  const v = (g[kind] ?? {}) as Record<string, unknown>;
  switch (kind) {
    case "list": return `list: ${Array.isArray(v.elements) ? v.elements.length : 0} element(s)`;
    case "clusters": return `clusters${v.selector ? ` matching ${JSON.stringify(v.selector)}` : ": every cluster"}`;
    case "git": {
      const what = Array.isArray(v.files) ? `files ${v.files.map((f) => (f as { path?: string }).path).join(", ")}` : Array.isArray(v.directories) ? `directories ${v.directories.map((d) => (d as { path?: string }).path).join(", ")}` : "";
      const str = (x: unknown, d: string): string => (typeof x === "string" && x ? x : d);
      return `git: ${str(v.repoURL, "")} @ ${str(v.revision, "HEAD")}${what ? `, ${what}` : ""}`;
    }
    case "matrix":
    case "merge": {
      const inner = Array.isArray(v.generators) ? v.generators.map((x) => describeGenerator(x as Record<string, unknown>)) : [];
      return `${kind} of [${inner.join("; ")}]`;
    }
    default: return kind;
  }
}

/** A token's expiry for display; `exp` in seconds since the epoch, absent or 0 for never. */
export function expiryText(exp: number | undefined, now = Date.now()): string {
  if (!exp) return "never";
  const at = new Date(exp * 1000).toISOString().replace(".000Z", "Z");
  return exp * 1000 < now ? `${at} (expired)` : at;
}

/** A cluster's RBAC object, as the server checks it: `<project>/<server>` for a project-scoped cluster, else the server URL. */
export function clusterRbacObject(c: { server: string; project?: string | undefined }): string {
  return c.project ? `${c.project}/${c.server}` : c.server;
}

export interface Destination { server?: string; name?: string; namespace?: string }

/** The object `clusters, update` is checked on when a project gains (or loses) a destination: its server, else its name. */
export function destinationRbacObject(d: Destination): string {
  return d.server || d.name || "";
}

/** A destination's stable identity within a project's list. */
export function destinationKey(d: Destination): string {
  return `${d.server ?? ""}|${d.name ?? ""}|${d.namespace ?? ""}`;
}

/**
 * The project's destinations with one added (from the form) or removed (by key), or the error
 * naming the field: a destination needs a server URL or a cluster name (not both) and a
 * namespace (`*` for all), and is not already listed.
 */
export function editDestinations(current: readonly Destination[], change: { add: { server: string; name: string; namespace: string } } | { remove: string }): { destinations?: Destination[]; error?: string } {
  if ("remove" in change) return { destinations: current.filter((d) => destinationKey(d) !== change.remove) };
  const server = change.add.server.trim();
  const name = change.add.name.trim();
  const namespace = change.add.namespace.trim();
  if (!server && !name) return { error: "Server: give the cluster's server URL or its name" };
  if (server && name) return { error: "Server: give the server URL or the cluster name, not both" };
  if (!namespace) return { error: "Namespace: give a namespace (* for all)" };
  const d: Destination = { ...(server ? { server } : { name }), namespace };
  if (current.some((c) => destinationKey(c) === destinationKey(d))) return { error: "This destination is already listed" };
  return { destinations: [...current, d] };
}
