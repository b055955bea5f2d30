// The web terminal, `GET /terminal` (argo-cd-server.md §0, §3.6): a WebSocket upgrade that execs a
// shell in a container of one of the app's pods on the app's destination cluster, with the
// server's credentials for that cluster. Before anything runs: argocd-cm `exec.enabled: "true"`,
// a valid query, a browser's Origin that is this server, a valid session, `applications, get` and
// `exec, create` on the app, the pod in the app's resource tree (the pod-logs check), running,
// with that container, and a shell from `exec.shells`. Messages are Argo's terminal JSON
// (operator/engine/terminal.ts). The session ends when the shell does, the browser leaves, or the
// caller's token expires, is revoked or loses either permission (checked every few seconds and
// at the token's `exp`). Each session records an Event on the Application.
import type http from "node:http";
import type { Duplex } from "node:stream";
import { PassThrough, Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { Exec, type V1Status } from "@kubernetes/client-node";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { ARGO_API_VERSION } from "../../api/annotations.js";
import { selectPods } from "../../engine/pod-logs.js";
import { allowedShells, execEnabled, isShellNotFound, parseClientMessage, parseTerminalQuery, shellsToTry, stdoutMessage, TerminalRequestError, type TerminalQuery } from "../../engine/terminal.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { EventRecorder } from "../../runtime/events.js";
import type { Logger } from "../../runtime/logger.js";
import { errorMessage } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ApplicationObject, ServerCache } from "../cache.js";
import { makeCaller, type Caller } from "../http/api.js";
import { toApiError } from "../http/errors.js";
import { appTreeNodes } from "../pod-logs.js";
import type { Authenticator, Enforcer } from "../types.js";
import type { AppFinder } from "./app-access.js";
import { appRbacName } from "./applications.js";

export interface TerminalServiceDeps {
  cache: ServerCache;
  apps: AppFinder;
  reader: AppStateReader;
  /** The control plane's client: the audit Events go there. */
  client: KubeClient;
  authenticator: Authenticator;
  enforcer: Enforcer;
  rootPath: string;
  log: Logger;
  /** How often a session re-checks the caller's token and permissions. */
  recheckMs?: number;
}

/** Argo's reason is free text; this names what happened for `kubectl get events`. */
export const TERMINAL_EVENT_REASON = "TerminalSessionStarted";
const MAX_MESSAGE_BYTES = 64 * 1024;
const DEFAULT_SIZE = { cols: 80, rows: 24 };

/** The session's output stream: writes become stdout frames; it carries the terminal size for the exec's resize channel. */
class TerminalOutput extends Writable {
  columns = DEFAULT_SIZE.cols;
  rows = DEFAULT_SIZE.rows;
  wrote = false;
  /** Called once, with the first output: the shell has started. */
  onFirstOutput: (() => void) | undefined;
  private readonly decoder = new StringDecoder("utf8");

  constructor(private readonly ws: WebSocket) { super(); }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const text = this.decoder.write(chunk);
    if (text) {
      if (!this.wrote) this.onFirstOutput?.();
      this.wrote = true;
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(stdoutMessage(text));
    }
    done();
  }

  resize(rows: number, cols: number): void {
    this.rows = rows;
    this.columns = cols;
    this.emit("resize");
  }
}

export class TerminalService {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly sessions = new Set<WebSocket>();
  private readonly events: EventRecorder;

  constructor(private readonly deps: TerminalServiceDeps) {
    this.events = new EventRecorder(deps.client, "hawser-server", deps.log);
  }

  /** Answers upgrades to `<rootpath>/terminal` on `server`; no other path upgrades (404). */
  attach(server: http.Server): void {
    server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? "").split("?")[0];
      if (path !== `${this.deps.rootPath}/terminal`) {
        refuse(socket, 404, "Not Found");
        return;
      }
      this.upgrade(req, socket, head).catch((err: unknown) => {
        const e = err instanceof TerminalRequestError ? err : toApiError(err);
        const status = e instanceof TerminalRequestError ? e.status : e.httpStatus;
        if (status >= 500) this.deps.log.warn("terminal request failed", { error: e.message });
        refuse(socket, status, e.message);
      });
    });
  }

  /** Ends every open session (server shutdown). */
  close(): void {
    for (const ws of this.sessions) ws.close(1001, "server shutting down");
    this.wss.close();
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const cm = this.deps.cache.configMap("argocd-cm");
    // Argo answers 404 when the terminal is off; the body says why.
    if (!execEnabled(cm)) throw new TerminalRequestError(404, "terminal not enabled: argocd-cm exec.enabled is not \"true\"");
    const url = new URL(req.url ?? "/", "http://server");
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
    const q = parseTerminalQuery(query);
    checkOrigin(req);
    const auth = await this.deps.authenticator.authenticate({ headers: req.headers, remoteAddress: req.socket.remoteAddress });
    const caller = makeCaller(auth.claims, this.deps.enforcer);
    const app = this.deps.apps.findApp(caller, q.appName, { project: q.projectName, ...(q.appNamespace ? { appNamespace: q.appNamespace } : {}) }, "get");
    const rbacName = appRbacName(app, this.deps.cache.namespace);
    caller.require("exec", "create", rbacName);
    const shells = shellsToTry(allowedShells(cm), q.shell);
    const { client } = this.deps.reader.destination(app);
    await this.requirePod(app, client, q);

    const ws = await new Promise<WebSocket>((resolve) => this.wss.handleUpgrade(req, socket, head, resolve));
    this.sessions.add(ws);
    ws.on("close", () => this.sessions.delete(ws));
    this.deps.log.info("terminal session starting", { application: rbacName, pod: `${q.namespace}/${q.pod}`, container: q.container, user: caller.username });
    try {
      await this.run(ws, { q, app, rbacName, client, shells, caller, headers: req.headers, remoteAddress: req.socket.remoteAddress, exp: auth.claims?.exp });
    } catch (err) {
      // Past the upgrade there is no HTTP answer any more: the terminal gets the message.
      this.deps.log.warn("terminal session failed", { application: rbacName, error: errorMessage(err) });
      if (ws.readyState === ws.OPEN) {
        ws.send(stdoutMessage(`\r\nterminal session failed: ${toApiError(err).message}\r\n`));
        ws.close(1011, "session failed");
      }
    }
  }

  /** The pod must be one of the app's (its resource tree, as for pod logs), running, with the container. */
  private async requirePod(app: ApplicationObject, client: KubeClient, q: TerminalQuery): Promise<void> {
    const nodes = await appTreeNodes(app, client, (kind, err) => this.deps.log.debug("terminal: kind not listed", { kind, error: errorMessage(err) }));
    if (selectPods(nodes, { podName: q.pod, namespace: q.namespace }).length === 0) {
      throw new TerminalRequestError(404, `pod ${q.namespace}/${q.pod} is not in the resource tree of application ${app.metadata.name}`);
    }
    const pod = await client.get<KubeObject & { spec?: { containers?: Array<{ name: string }> }; status?: { phase?: string } }>("v1", "Pod", q.pod, q.namespace);
    if (!pod) throw new TerminalRequestError(404, `pod ${q.namespace}/${q.pod} not found`);
    if (pod.status?.phase !== "Running") throw new TerminalRequestError(400, `pod ${q.namespace}/${q.pod} is not running (phase ${pod.status?.phase ?? "unknown"})`);
    if (!(pod.spec?.containers ?? []).some((c) => c.name === q.container)) throw new TerminalRequestError(400, `container ${q.container} not found in pod ${q.namespace}/${q.pod}`);
  }

  private async run(ws: WebSocket, s: {
    q: TerminalQuery; app: ApplicationObject; rbacName: string; client: KubeClient; shells: string[]; caller: Caller;
    headers: http.IncomingHttpHeaders; remoteAddress: string | undefined; exp: number | undefined;
  }): Promise<void> {
    // One output stream per exec: the client ends it when its exec closes.
    let output = new TerminalOutput(ws);
    let stdin = new PassThrough();
    let exec: WebSocket | undefined;
    let ended = false;
    const end = (code: number, reason: string): void => {
      if (ended) return;
      ended = true;
      clearInterval(recheck);
      clearTimeout(expiry);
      stdin.end();
      exec?.close();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason.slice(0, 120));
    };
    // The caller's right to the session is re-checked: an expired or revoked token, or a policy
    // that no longer allows it, ends the session with a line saying why.
    const revalidate = async (): Promise<void> => {
      try {
        const auth = await this.deps.authenticator.authenticate({ headers: s.headers, remoteAddress: s.remoteAddress });
        const caller = makeCaller(auth.claims, this.deps.enforcer);
        caller.require("applications", "get", s.rbacName);
        caller.require("exec", "create", s.rbacName);
      } catch (err) {
        if (ended) return;
        const why = toApiError(err).message;
        if (ws.readyState === ws.OPEN) ws.send(stdoutMessage(`\r\nterminal session ended: ${why}\r\n`));
        this.deps.log.info("terminal session ended by a failed re-check", { application: s.rbacName, error: why });
        end(1008, "session no longer valid");
      }
    };
    const recheck = setInterval(() => { void revalidate(); }, this.deps.recheckMs ?? 5000);
    let expiry: NodeJS.Timeout | undefined;
    if (s.exp !== undefined) {
      // setTimeout's limit is ~24.8 days; a later expiry is caught by the periodic re-check.
      const ms = s.exp * 1000 - Date.now();
      if (ms < 2 ** 31 - 1) expiry = setTimeout(() => { void revalidate(); }, Math.max(0, ms) + 50);
    }
    ws.on("close", () => end(1000, ""));
    ws.on("message", (data) => {
      if (ended) return;
      try {
        const msg = parseClientMessage(rawText(data));
        if (msg.operation === "stdin") stdin.write(msg.data);
        else output.resize(msg.rows, msg.cols);
      } catch (err) {
        if (ws.readyState === ws.OPEN) ws.send(stdoutMessage(`\r\n${errorMessage(err)}\r\n`));
        end(1007, "invalid terminal message");
      }
    });

    let lastError = "";
    // The audit Event is written once the shell has really started (its first output, or an end
    // that is not "no such shell"), so a missing shell tried on the way is not recorded.
    let recorded = false;
    const record = (shell: string): void => {
      if (recorded) return;
      recorded = true;
      void this.recordStart(s.app, s.caller.username, s.q, shell);
    };
    for (const [i, shell] of s.shells.entries()) {
      if (ended) return;
      if (i > 0) {
        stdin = new PassThrough();
        const next = new TerminalOutput(ws);
        next.resize(output.rows, output.columns);
        output = next;
      }
      const result: { status?: V1Status } = {};
      // The exec is over at its status (the apiserver may keep the connection open after it).
      let statusArrived: () => void = () => undefined;
      const statusSeen = new Promise<void>((resolve) => { statusArrived = resolve; });
      output.onFirstOutput = () => record(shell);
      this.deps.log.debug("terminal: starting exec", { application: s.rbacName, shell });
      try {
        exec = await new Exec(s.client.kubeConfig).exec(s.q.namespace, s.q.pod, s.q.container, [shell], output, null, stdin, true, (st) => { result.status = st; statusArrived(); });
      } catch (err) {
        // The Kubernetes client rejects with ws's ErrorEvent, not an Error.
        const message = (err as { message?: unknown } | undefined)?.message;
        lastError = typeof message === "string" && message ? message : errorMessage(err);
        this.deps.log.info("terminal: exec refused", { application: s.rbacName, shell, error: lastError });
        continue;
      }
      const conn = exec;
      await Promise.race([statusSeen, new Promise<void>((resolve) => {
        if (conn.readyState === conn.CLOSED) resolve();
        else conn.once("close", () => resolve());
      })]);
      conn.close();
      const failure = result.status?.status === "Failure" ? result.status.message ?? "" : "";
      // Only a shell that is missing from the container makes the next one worth trying.
      if (failure && !output.wrote && isShellNotFound(failure)) {
        lastError = failure;
        continue;
      }
      record(shell);
      end(1000, "");
      return;
    }
    if (!ended && ws.readyState === ws.OPEN) ws.send(stdoutMessage(`\r\nFailed to exec container: ${lastError || "no allowed shell could be started"}\r\n`));
    end(1011, "exec failed");
  }

  /** The audit record: who opened a shell where. */
  private async recordStart(app: ApplicationObject, user: string, q: TerminalQuery, shell: string): Promise<void> {
    const who = user || "anonymous";
    await this.events.record({ ...(app as unknown as KubeObject), apiVersion: ARGO_API_VERSION, kind: "Application" }, "Normal", TERMINAL_EVENT_REASON,
      `${who} started a terminal session (${shell}) in container ${q.container} of pod ${q.namespace}/${q.pod}`);
  }
}

/**
 * A browser always sends Origin on a WebSocket upgrade, and cookies with it: a page of another
 * site must not open a shell with the user's session, so the Origin's host must be this server's.
 * Clients that send no Origin (CLIs) authenticate with a header a page cannot set.
 */
function checkOrigin(req: http.IncomingMessage): void {
  const origin = req.headers.origin;
  if (!origin) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new TerminalRequestError(403, "the request's Origin is not a URL");
  }
  if (host !== req.headers.host) throw new TerminalRequestError(403, `origin ${origin.slice(0, 200)} may not open a terminal on this server`);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  return Buffer.from(new Uint8Array(data)).toString("utf8");
}

/** An HTTP answer on the raw socket of a refused upgrade. */
function refuse(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) { socket.destroy(); return; }
  const body = `${message}\n`;
  const reason: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable" };
  socket.end(`HTTP/1.1 ${status} ${reason[status] ?? "Error"}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
