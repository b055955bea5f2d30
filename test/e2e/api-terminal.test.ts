// The web terminal `GET /terminal` (argo-cd-server.md §0, §3.6) through the real server on the real
// control plane, where the dev cluster's kwok runs exec'd commands on this host in a temp
// directory (ClusterExec, docs/control-plane.md): a WebSocket session runs a shell in an app's pod
// and its output comes back in Argo's stdout frames, resize reaches the pty, an unlisted shell
// is skipped for the next one, each session leaves an audit Event on the Application; refused
// before anything runs: exec disabled, no `exec, create`, a pod outside the app's tree, a shell
// not in `exec.shells`, an expired token; a revoked token ends an open session.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { initialAdminPassword, jsonCaller, showResponse } from "../support/api-session.js";
import type { KubeObject } from "../../operator/kube/client.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`;

interface Refusal { status: number; body: string }
interface Session { ws: WebSocket; output: () => string; closed: Promise<{ code: number; reason: string }> }

/** Opens a terminal WebSocket; resolves to the open session or to the HTTP refusal of the upgrade. */
function openTerminal(base: string, query: Record<string, string>, token: string | undefined, headers: Record<string, string> = {}): Promise<Session | Refusal> {
  const url = `${base.replace(/^http/, "ws")}/terminal?${new URLSearchParams(query).toString()}`;
  const ws = new WebSocket(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  let out = "";
  ws.on("message", (data: Buffer) => {
    const text = data.toString("utf8");
    const msg = JSON.parse(text) as { operation: string; data: string };
    assert.equal(msg.operation, "stdout", `the server only sends stdout frames: ${text}`);
    out += msg.data;
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { body += c; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("open", () => resolve({ ws, output: () => out, closed }));
    ws.on("error", (err) => { if (ws.readyState !== ws.CLOSED) reject(err); });
  });
}

const isSession = (r: Session | Refusal): r is Session => "ws" in r;
const showRefusal = (r: Session | Refusal): string => (isSession(r) ? `an open session (output so far: ${JSON.stringify(r.output())})` : `HTTP ${r.status}: ${r.body}`);
const stdin = (data: string): string => JSON.stringify({ operation: "stdin", data });

test("API server: /terminal execs a shell in an app's pod over a WebSocket, and refuses everything else", async (t) => {
  const w = await createWorld(t, {
    name: "term",
    repos: { app: { "deploy.yaml": deployment } },
    // The first listed shell does not exist: a session without `shell` goes on to the next.
    argocdCm: { "exec.enabled": "true", "exec.shells": "no-such-shell-hawser,sh", "accounts.viewer": "apiKey", "accounts.ops": "apiKey" },
  });
  const { client, ns } = w;
  const dest = w.dest("term");
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: { "policy.csv": "p, role:applist, applications, get, */*, allow\ng, viewer, role:applist\ng, ops, role:admin\n" } });
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  const call = jsonCaller(base);
  const login = await call("POST", "/api/v1/session", { username: "admin", password: await initialAdminPassword(client, ns) });
  assert.equal(login.status, 200, showResponse(login));
  const admin = (login.body as { token: string }).token;
  const tokenOf = async (account: string, body: Record<string, unknown> = {}): Promise<string> => {
    const r = await call("POST", `/api/v1/account/${account}/token`, body, admin);
    assert.equal(r.status, 200, showResponse(r));
    return (r.body as { token: string }).token;
  };
  const viewer = await tokenOf("viewer");

  await client.create(w.application("web", { repo: "app", path: ".", dest, syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] } }));
  const pod = await eventually(async () => {
    const list = await client.list<KubeObject & { status?: { phase?: string } }>("v1", "Pod", { namespace: dest, labelSelector: "app=web" });
    assert.equal(list.items.length, 1, "the Deployment's pod exists");
    assert.equal(list.items[0]!.status?.phase, "Running", "kwok runs it");
    const app = await client.get<KubeObject & { status?: { resources?: unknown[] } }>("argoproj.io/v1alpha1", "Application", "web", ns);
    assert.ok((app?.status?.resources ?? []).length > 0, "the app lists its resources");
    return list.items[0]!.metadata.name!;
  }, { timeoutMs: 120_000 });
  const q = (extra: Record<string, string> = {}): Record<string, string> => ({ pod, container: "web", appName: "web", projectName: "default", namespace: dest, ...extra });

  const settings = await call("GET", "/api/v1/settings");
  assert.equal((settings.body as { execEnabled?: boolean }).execEnabled, true, `settings.execEnabled follows exec.enabled: ${showResponse(settings)}`);

  // ---- a session: the shell's output comes back as stdout frames; resize reaches the pty ----
  const opened = await openTerminal(base, q(), admin);
  assert.ok(isSession(opened), `admin may open a terminal: ${showRefusal(opened)}`);
  opened.ws.send(JSON.stringify({ operation: "resize", rows: 33, cols: 101 }));
  // Typing starts at the prompt, as a user's would: what is typed before it goes to the shell
  // being tried (here the missing first one of exec.shells).
  await eventually(async () => assert.notEqual(opened.output(), "", "the shell's prompt arrives"), { timeoutMs: 30_000 });
  // $((6*7)) is expanded by the shell: "hawser-42" in the output means the command really ran
  // (the pty echoes the typed line, which holds "hawser-$((6*7))", not "hawser-42").
  opened.ws.send(stdin("pwd; echo hawser-$((6*7)); stty size\n"));
  await eventually(async () => assert.match(opened.output(), /33 101/, `the commands' output arrives: ${JSON.stringify(opened.output())}`), { timeoutMs: 30_000 });
  opened.ws.send(stdin("exit\n"));
  const end = await opened.closed;
  const out = opened.output();
  assert.match(out, /hawser-42/, `echo ran in the pod's shell: ${JSON.stringify(out)}`);
  assert.match(out, /33 101/, `the resize message set the pty's size: ${JSON.stringify(out)}`);
  const cwd = /^(\/\S*hawser-\S+-exec-\S*)\r?$/m.exec(out)?.[1];
  assert.ok(cwd !== undefined && cwd.startsWith(tmpdir()) && !cwd.startsWith(root), `kwok runs it in the cluster's temp directory, not the repository: ${JSON.stringify(out)}`);
  assert.equal(end.code, 1000, `the session ends normally when the shell exits: ${JSON.stringify(end)}`);

  // The audit Event on the Application names the user, the pod and the shell that started.
  await eventually(async () => {
    const events = await client.list<KubeObject & { reason?: string; message?: string }>("v1", "Event", { namespace: ns, fieldSelector: "involvedObject.kind=Application,involvedObject.name=web" });
    const audit = events.items.filter((e) => e.reason === "TerminalSessionStarted");
    assert.equal(audit.length, 1, `one audit Event: ${JSON.stringify(events.items.map((e) => [e.reason, e.message]))}`);
    assert.equal(audit[0]!.message, `admin started a terminal session (sh) in container web of pod ${dest}/${pod}`);
  }, { timeoutMs: 20_000 });

  // ---- refusals, before anything runs ----
  const noExec = await openTerminal(base, q(), viewer);
  assert.ok(!isSession(noExec), showRefusal(noExec));
  assert.equal(noExec.status, 403, `applications,get without exec,create: ${showRefusal(noExec)}`);
  assert.match(noExec.body, /permission denied: exec, create, default\/web, sub: viewer/);
  const asked = await openTerminal(base, q({ shell: "bash" }), admin);
  assert.ok(!isSession(asked), showRefusal(asked));
  assert.equal(asked.status, 400, `bash is not in exec.shells: ${showRefusal(asked)}`);
  assert.match(asked.body, /shell "bash" is not allowed: argocd-cm exec.shells is "no-such-shell-hawser,sh"/);
  await client.create({ apiVersion: "v1", kind: "Pod", metadata: { name: "intruder", namespace: dest }, spec: { containers: [{ name: "web", image: "busybox" }] } });
  const intruder = await openTerminal(base, q({ pod: "intruder" }), admin);
  assert.ok(!isSession(intruder), showRefusal(intruder));
  assert.equal(intruder.status, 404, `a pod outside the app's tree: ${showRefusal(intruder)}`);
  assert.match(intruder.body, new RegExp(`pod ${dest}/intruder is not in the resource tree of application web`));
  const wrongProject = await openTerminal(base, q({ projectName: "other" }), admin);
  assert.ok(!isSession(wrongProject) && wrongProject.status === 404, `the app is not in project "other": ${showRefusal(wrongProject)}`);
  const missing = await openTerminal(base, { pod, appName: "web" }, admin);
  assert.ok(!isSession(missing) && missing.status === 400 && /Missing required parameters: container, projectName, namespace/.test(missing.body), showRefusal(missing));
  const anonymous = await openTerminal(base, q(), undefined);
  assert.ok(!isSession(anonymous) && anonymous.status === 401, `no session: ${showRefusal(anonymous)}`);
  const crossSite = await openTerminal(base, q(), admin, { origin: "https://evil.example" });
  assert.ok(!isSession(crossSite) && crossSite.status === 403 && /may not open a terminal/.test(crossSite.body), `another site's page: ${showRefusal(crossSite)}`);
  const plain = await fetch(`${base}/terminal?${new URLSearchParams(q()).toString()}`, { headers: { authorization: `Bearer ${admin}` } });
  assert.equal(plain.status, 400, "a plain GET is no session");

  // An expired token is refused at the upgrade.
  const shortLived = await tokenOf("ops", { expiresIn: 1 });
  await new Promise((r) => setTimeout(r, 2500));
  const expired = await openTerminal(base, q(), shortLived);
  assert.ok(!isSession(expired), showRefusal(expired));
  assert.equal(expired.status, 401, `expired token: ${showRefusal(expired)}`);

  // A token revoked while its session is open ends the session.
  const ops = await tokenOf("ops", { id: "term-1" });
  const live = await openTerminal(base, q(), ops);
  assert.ok(isSession(live), `ops (role:admin) may open a terminal: ${showRefusal(live)}`);
  await eventually(async () => assert.notEqual(live.output(), "", "the shell's prompt arrives"), { timeoutMs: 30_000 });
  const revoke = await call("DELETE", "/api/v1/account/ops/token/term-1", undefined, admin);
  assert.equal(revoke.status, 200, showResponse(revoke));
  const cut = await live.closed;
  assert.equal(cut.code, 1008, `the session is closed as no longer valid: ${JSON.stringify(cut)} ${JSON.stringify(live.output())}`);
  assert.match(live.output(), /terminal session ended: /, "the terminal says why");

  // Audit: exactly one more Event (ops's session), none for the refused requests.
  const events = await client.list<KubeObject & { reason?: string; message?: string; count?: number }>("v1", "Event", { namespace: ns, fieldSelector: "involvedObject.kind=Application,involvedObject.name=web" });
  const audit = events.items.filter((e) => e.reason === "TerminalSessionStarted").map((e) => e.message ?? "").sort();
  assert.deepEqual(audit, [`admin started a terminal session (sh) in container web of pod ${dest}/${pod}`, `ops started a terminal session (sh) in container web of pod ${dest}/${pod}`], "only the two sessions that ran are recorded");

  // ---- exec disabled: refused, and settings say so ----
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: { "exec.enabled": "false" } });
  await eventually(async () => {
    const off = await openTerminal(base, q(), admin);
    assert.ok(!isSession(off), showRefusal(off));
    assert.equal(off.status, 404, showRefusal(off));
    assert.match(off.body, /terminal not enabled/);
  }, { timeoutMs: 20_000 });
  const after = await call("GET", "/api/v1/settings");
  assert.equal((after.body as { execEnabled?: boolean }).execEnabled, undefined, `execEnabled is left out when false (omitempty): ${showResponse(after)}`);
});
