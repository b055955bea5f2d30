// The web terminal's rules (argo-cd-server.md §0 `/terminal`, §3.6), apart from its I/O: which
// query a session needs, which shells argocd-cm allows, and the JSON messages Argo's terminal
// exchanges over the WebSocket (`{operation, data, rows, cols}`). operator/server/services/
// terminal.ts does the upgrade, the checks against the cluster and the exec.

/** A refused terminal request; `status` is the HTTP status the upgrade is answered with. */
export class TerminalRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "TerminalRequestError";
  }
}

export interface TerminalQuery {
  pod: string;
  container: string;
  appName: string;
  projectName: string;
  /** The pod's namespace. */
  namespace: string;
  /** The Application's namespace; undefined = the control namespace. */
  appNamespace?: string;
  shell?: string;
}

/** Argo's default argocd-cm `exec.shells`, tried in this order when no shell is asked for. */
export const DEFAULT_SHELLS = ["bash", "sh", "powershell", "cmd"] as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const REQUIRED = ["pod", "container", "appName", "projectName", "namespace"] as const;

/**
 * The session's query, every name checked as Kubernetes would (pods, apps and projects are DNS
 * subdomains, containers and namespaces DNS labels), so nothing odd reaches the exec URL.
 */
export function parseTerminalQuery(q: Record<string, string | string[] | undefined>): TerminalQuery {
  const one = (key: string): string | undefined => {
    const v = q[key];
    if (Array.isArray(v)) {
      if (v.length > 1) throw new TerminalRequestError(400, `query parameter "${key}" given ${v.length} times; at most once`);
      return v[0] || undefined;
    }
    return v || undefined;
  };
  const missing = REQUIRED.filter((k) => one(k) === undefined);
  if (missing.length > 0) throw new TerminalRequestError(400, `Missing required parameters: ${missing.join(", ")}`);
  const out: TerminalQuery = { pod: one("pod")!, container: one("container")!, appName: one("appName")!, projectName: one("projectName")!, namespace: one("namespace")! };
  const check = (value: string, re: RegExp, what: string): void => {
    if (!re.test(value)) throw new TerminalRequestError(400, `${what} is not valid: "${value.slice(0, 300)}"`);
  };
  check(out.pod, DNS_SUBDOMAIN, "Pod name");
  check(out.container, DNS_LABEL, "Container name");
  check(out.appName, DNS_SUBDOMAIN, "App name");
  check(out.projectName, DNS_SUBDOMAIN, "Project name");
  check(out.namespace, DNS_LABEL, "Namespace name");
  const appNamespace = one("appNamespace");
  if (appNamespace !== undefined) {
    check(appNamespace, DNS_LABEL, "App namespace name");
    out.appNamespace = appNamespace;
  }
  const shell = one("shell");
  if (shell !== undefined) out.shell = shell;
  return out;
}

/** argocd-cm `exec.shells`: comma-separated, blanks dropped; unset or empty = Argo's default. */
export function allowedShells(cm: Record<string, string> | undefined): string[] {
  const listed = (cm?.["exec.shells"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return listed.length > 0 ? listed : [...DEFAULT_SHELLS];
}

/** argocd-cm `exec.enabled`: only the exact string "true" turns the terminal on. */
export function execEnabled(cm: Record<string, string> | undefined): boolean {
  return cm?.["exec.enabled"] === "true";
}

/**
 * The shells to try, in order: the asked-for one alone (it must be listed: a shell outside the
 * list is refused, never run), else every allowed shell until one starts.
 */
export function shellsToTry(allowed: readonly string[], requested: string | undefined): string[] {
  if (requested === undefined) return [...allowed];
  if (!allowed.includes(requested)) {
    throw new TerminalRequestError(400, `shell "${requested.slice(0, 100)}" is not allowed: argocd-cm exec.shells is "${allowed.join(",")}"`);
  }
  return [requested];
}

/** What the browser sends: keystrokes, or the terminal's new size. */
export type ClientMessage = { operation: "stdin"; data: string } | { operation: "resize"; rows: number; cols: number };

/** Parses one WebSocket text message of Argo's terminal protocol; throws a readable error on anything else. */
export function parseClientMessage(raw: string): ClientMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    throw new Error("a terminal message must be JSON {operation, data, rows, cols}");
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) throw new Error("a terminal message must be a JSON object");
  const m = msg as Record<string, unknown>;
  if (m.operation === "stdin") {
    if (typeof m.data !== "string") throw new Error("a stdin message needs a string \"data\"");
    return { operation: "stdin", data: m.data };
  }
  if (m.operation === "resize") {
    const size = (k: "rows" | "cols"): number => {
      const v = m[k];
      // uint16 in Argo's TerminalMessage; 0 would make the pty unusable.
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) throw new Error(`a resize message needs "${k}" between 1 and 65535, got ${JSON.stringify(v)}`);
      return v;
    };
    return { operation: "resize", rows: size("rows"), cols: size("cols") };
  }
  throw new Error(`unknown terminal operation ${JSON.stringify(m.operation)}: expected "stdin" or "resize"`);
}

/** A frame of the command's output, as Argo's terminal sends it. */
export function stdoutMessage(data: string): string {
  return JSON.stringify({ operation: "stdout", data, rows: 0, cols: 0 });
}

/** Whether an exec failure means the shell is not in the container (so the next allowed one may be tried). */
export function isShellNotFound(message: string): boolean {
  return /executable file not found|no such file or directory|not found in \$PATH|command not found/i.test(message);
}
