// `hawser server` with Argo's argocd-cmd-params-cm server settings, on the real control plane, the
// server a process as users run it. Server 1 (TLS, the settings from the ConfigMap): a TLS 1.2
// client refused when server.tls.minversion is 1.3 while 1.3 is served; gzip (the default) on a
// JSON answer and on the application list, each decoding to the uncompressed answer; the NDJSON
// stream compressed and its first event delivered while the stream is open; the UI's
// X-Frame-Options from the key and no Content-Security-Policy when the key is empty; a token
// split over cookies read back up to server.http.cookie.maxnumber parts and refused beyond; a
// cluster's connection state probed again after server.connection.status.cache.expiration; an
// SSO login's state refused once older than server.oidc.cache.expiration; failed logins forgotten after server.login.attempts.expiration; every log line JSON. Server 2
// (server.disable.auth, gzip off, text logs): requests without a token act as admin, nothing is
// compressed, the connection state is reused under the 1h default, and the loud warning is a
// text line. Server 3: an unknown cipher stops the server
// with the key named.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import { freePort } from "../../operator/devcluster/process.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { gunzipSync, createGunzip } from "node:zlib";
import bcrypt from "bcryptjs";
import { stringify } from "yaml";
import { createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { initialAdminPassword, jsonCaller, showResponse } from "../support/api-session.js";
import { startServerProcess } from "../support/operator-process.js";
import { SEED_USERS, startOidcProvider } from "../support/oidc-provider.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** One HTTPS/1.1 request to the self-signed server, the body as it came off the wire (not decoded). */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method ?? "GET", headers: { ...(opts.body !== undefined ? { "content-type": "application/json" } : {}), ...opts.headers }, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
  });
}

const show = (r: Raw): string => `HTTP ${r.status} ${JSON.stringify(r.headers)}: ${(r.headers["content-encoding"] === "gzip" ? gunzipSync(r.body) : r.body).toString("utf8").slice(0, 500)}`;

/** Whether a TLS handshake with at most/at least these versions completes. */
function handshake(hostPort: string, versions: { minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion }): Promise<{ ok: boolean; protocol?: string | null; error?: string }> {
  const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(":")), Number(hostPort.slice(hostPort.lastIndexOf(":") + 1))];
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ...versions }, () => {
      const protocol = socket.getProtocol();
      socket.end();
      resolve({ ok: true, protocol });
    });
    socket.on("error", (err: Error) => resolve({ ok: false, error: err.message }));
  });
}

test("API server settings from argocd-cmd-params-cm: TLS versions, gzip, UI headers, login attempts, JSON logs; disable.auth with text logs; a bad cipher refused", async (t) => {
  const w = await createWorld(t, { name: "srvset", startOperator: false, repos: { app: { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n" } }, argocdCm: { "accounts.carol": "login" } });
  const { client, ns } = w;
  for (let i = 0; i < 40; i++) await client.create(w.application(`app-${i}`, { repo: "app", path: ".", dest: w.dest("d") }));
  const ui = await mkdtemp(join(tmpdir(), "hawser-ui-"));
  t.after(() => rm(ui, { recursive: true, force: true }));
  await writeFile(join(ui, "index.html"), `<!doctype html><html><head><base href="/"></head><body>${"hawser ".repeat(200)}</body></html>`);
  // carol, a local account with a known password, is the one locked out below.
  const carolPassword = "carol-password-123";
  const params = {
    "server.tls.minversion": "1.3", "server.x.frame.options": "deny", "server.content.security.policy": "", "server.login.attempts.expiration": "3s",
    "server.http.cookie.maxnumber": "2", "server.connection.status.cache.expiration": "2s", "server.oidc.cache.expiration": "2s",
  };
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: ns }, data: params });

  // ---- server 1: TLS ----
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, tls: true, args: ["--staticassets", ui], env: { ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT: "1", HAWSER_SESSION_SOURCE_MAX_FAIL_COUNT: "0" } });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  const hostPort = url.slice("https://".length);

  const tls12 = await handshake(hostPort, { maxVersion: "TLSv1.2" });
  assert.equal(tls12.ok, false, `a TLS 1.2 client is refused when server.tls.minversion is 1.3 (${JSON.stringify(tls12)})`);
  const tls13 = await handshake(hostPort, { minVersion: "TLSv1.3" });
  assert.deepEqual([tls13.ok, tls13.protocol], [true, "TLSv1.3"], `TLS 1.3 is served (${JSON.stringify(tls13)})`);

  const password = await initialAdminPassword(client, ns);
  const login = await request(`${url}/api/v1/session`, { method: "POST", body: { username: "admin", password } });
  assert.equal(login.status, 200, show(login));
  const token = (JSON.parse((login.headers["content-encoding"] === "gzip" ? gunzipSync(login.body) : login.body).toString()) as { token: string }).token;
  const auth = { authorization: `Bearer ${token}` };
  await client.patch({ apiVersion: "v1", kind: "Secret", name: "argocd-secret", namespace: ns }, { stringData: { "accounts.carol.password": bcrypt.hashSync(carolPassword, 10) } });

  // gzip, on by default: the decoded body is the plain one.
  for (const path of ["/api/v1/settings", "/api/v1/applications"]) {
    const plain = await request(`${url}${path}`, { headers: auth });
    assert.equal(plain.status, 200, show(plain));
    assert.equal(plain.headers["content-encoding"], undefined, `${path}: no gzip for a client that did not ask`);
    const zipped = await request(`${url}${path}`, { headers: { ...auth, "accept-encoding": "gzip" } });
    assert.equal(zipped.status, 200, show(zipped));
    assert.equal(zipped.headers["content-encoding"], "gzip", `${path}: Content-Encoding gzip`);
    assert.deepEqual(JSON.parse(gunzipSync(zipped.body).toString("utf8")), JSON.parse(plain.body.toString("utf8")), `${path}: the decoded body equals the uncompressed answer`);
    if (path.endsWith("applications")) {
      assert.equal((JSON.parse(plain.body.toString()) as { items: unknown[] }).items.length, 40, "the list holds the 40 apps");
      assert.ok(zipped.body.length < plain.body.length / 3, `the list compresses (${zipped.body.length} of ${plain.body.length} bytes)`);
    }
  }

  // The NDJSON stream is compressed, and its first event arrives while the stream stays open.
  const firstEvent = await new Promise<{ encoding: string | undefined; line: string }>((resolve, reject) => {
    const req = https.get(`${url}/api/v1/stream/applications?name=app-7`, { headers: { ...auth, "accept-encoding": "gzip" }, rejectUnauthorized: false }, (res) => {
      let text = "";
      res.pipe(createGunzip()).on("data", (c: Buffer) => {
        text += c.toString("utf8");
        const line = text.split("\n").find((l) => l.trim() !== "");
        if (line !== undefined && text.includes("\n")) {
          resolve({ encoding: res.headers["content-encoding"], line });
          req.destroy();
        }
      }).on("error", reject);
    });
    req.on("error", (err) => { if (!req.destroyed) reject(err); });
  });
  assert.equal(firstEvent.encoding, "gzip", "the stream is gzipped");
  const event = JSON.parse(firstEvent.line) as { result: { type: string; application: { metadata: { name: string } } } };
  assert.deepEqual([event.result.type, event.result.application.metadata.name], ["ADDED", "app-7"], "the first event decodes while the stream is open");

  // The UI's headers: X-Frame-Options from the key, no CSP (the key is empty).
  const page = await request(`${url}/applications`, { headers: { "accept-encoding": "gzip" } });
  assert.equal(page.status, 200, show(page));
  assert.equal(page.headers["x-frame-options"], "deny", "server.x.frame.options");
  assert.equal(page.headers["content-security-policy"], undefined, "an empty server.content.security.policy sends none");
  assert.equal(page.headers["content-encoding"], "gzip", "UI files are compressed too");
  assert.match(gunzipSync(page.body).toString(), /<base href="\/">/, "index.html decodes");

  // server.http.cookie.maxnumber 2: a token split over two cookies (argocd.token=2:<part>,
  // argocd.token-1=<part>) is joined back and accepted; one claiming three parts is refused.
  const third = Math.ceil(token.length / 3);
  const twoParts = `argocd.token=2:${token.slice(0, third)}; argocd.token-1=${token.slice(third)}`;
  const threeParts = `argocd.token=3:${token.slice(0, third)}; argocd.token-1=${token.slice(third, 2 * third)}; argocd.token-2=${token.slice(2 * third)}`;
  const viaTwo = await request(`${url}/api/v1/applications`, { headers: { cookie: twoParts } });
  assert.equal(viaTwo.status, 200, `two cookie parts, within the maximum: ${show(viaTwo)}`);
  const viaThree = await request(`${url}/api/v1/applications`, { headers: { cookie: threeParts } });
  assert.equal(viaThree.status, 401, `three parts, over server.http.cookie.maxnumber: ${show(viaThree)}`);
  assert.match(viaThree.body.toString("utf8"), /invalid session: the argocd\.token cookie claims 3 parts; at most 2 are allowed/, show(viaThree));

  // server.connection.status.cache.expiration 2s: the in-cluster entry's connection state is
  // probed again once its copy is older than that.
  const attemptedAt = async (base: string, headers: Record<string, string>): Promise<string> => {
    const r = base.startsWith("https:") ? await request(`${base}/api/v1/clusters`, { headers }) : await (async (): Promise<Raw> => {
      const f = await fetch(`${base}/api/v1/clusters`, { headers });
      return { status: f.status, headers: {}, body: Buffer.from(await f.arrayBuffer()) };
    })();
    assert.equal(r.status, 200, show(r));
    const items = (JSON.parse(r.body.toString("utf8")) as { items: Array<{ server: string; connectionState?: { status: string; attemptedAt: string } }> }).items;
    const inCluster = items.find((c) => c.server === "https://kubernetes.default.svc");
    assert.equal(inCluster?.connectionState?.status, "Successful", JSON.stringify(items));
    return inCluster.connectionState.attemptedAt;
  };
  const firstProbe = await attemptedAt(url, auth);
  await eventually(async () => assert.notEqual(await attemptedAt(url, auth), firstProbe, "probed again after 2s"), { timeoutMs: 30_000 });

  // Failed logins: one locks carol out (ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT=1, window 300 s),
  // and server.login.attempts.expiration (3s) forgets it well before the window ends.
  const carol = (pw: string): Promise<Raw> => request(`${url}/api/v1/session`, { method: "POST", body: { username: "carol", password: pw } });
  assert.equal((await carol("wrong-password")).status, 401, "a wrong password");
  const locked = await carol(carolPassword);
  assert.equal(locked.status, 401, `locked out: the right password is refused too (${show(locked)})`);
  await eventually(async () => {
    const r = await carol(carolPassword);
    assert.equal(r.status, 200, `the failure expired: ${show(r)}`);
  }, { timeoutMs: 30_000 });

  // server.oidc.cache.expiration 2s: a login's state is refused back from the IdP once older than
  // that, though its cookie (Argo's 5 minutes) is still sent; with Argo's 3m default it would pass.
  const idp = await startOidcProvider({ clients: [{ clientId: "hawser", clientSecret: "hawser-oidc-secret-0123456789", redirectUris: [`${url}/auth/callback`] }], users: SEED_USERS });
  t.after(() => idp.close());
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: {
    url, "oidc.config": stringify({ name: "Test IdP", issuer: idp.issuer, clientID: "hawser", clientSecret: "hawser-oidc-secret-0123456789" }),
  } });
  const ssoStart = await eventually(async () => {
    const r = await request(`${url}/auth/login`);
    assert.equal(r.status, 303, `SSO is configured once the server sees the new argocd-cm: ${show(r)}`);
    return r;
  }, { timeoutMs: 30_000 });
  const startedAt = Date.now();
  const stateCookie = ([ssoStart.headers["set-cookie"] ?? []].flat().find((c) => c.startsWith("argocd.oauthstate=")) ?? "").split(";")[0]!;
  assert.match(stateCookie, /^argocd\.oauthstate=./, show(ssoStart));
  const callbackUrl = await idp.login(String(ssoStart.headers.location), "alice", SEED_USERS.alice!.password);
  await new Promise((r) => setTimeout(r, Math.max(0, 3_000 - (Date.now() - startedAt))));
  const late = await request(`${url}${callbackUrl.pathname}${callbackUrl.search}`, { headers: { cookie: stateCookie } });
  assert.equal(late.status, 400, `the state outlived server.oidc.cache.expiration: ${show(late)}`);
  assert.match(late.body.toString("utf8"), /has expired/, show(late));

  // Every log line is JSON (server.log.format json, the default).
  assert.ok(server.logs.length > 3, "the server logged");
  for (const line of server.logs) assert.ok(typeof line.level === "string" && typeof line.ts === "string", `a JSON log line with level and ts: ${JSON.stringify(line)}`);
  await server.stop("SIGTERM");

  // ---- server 2: disable.auth, gzip off, text logs ----
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cmd-params-cm", namespace: ns }, { data: {
    "server.tls.minversion": null, "server.connection.status.cache.expiration": null, "server.http.cookie.maxnumber": null, "server.disable.auth": "true", "server.enable.gzip": "false", "server.log.format": "text", "server.log.level": "debug",
  } });
  const port = await freePort();
  const open = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--port", String(port)] });
  t.after(() => open.stop("SIGKILL"));
  await open.waitForLog((l) => typeof l.msg === "string" && /^time=\S+ level=info msg="API server listening" /.test(l.msg), 90_000);
  const warning = open.logs.find((l) => typeof l.msg === "string" && l.msg.includes("AUTHENTICATION AND RBAC ARE DISABLED"));
  assert.match(String(warning?.msg), /^time=\S+ level=warn msg="AUTHENTICATION AND RBAC ARE DISABLED/, "the loud warning, as a text line");
  assert.ok(open.logs.some((l) => typeof l.msg === "string" && / level=debug /.test(l.msg)), "server.log.level debug applies");
  assert.ok(open.logs.every((l) => typeof l.msg === "string" && /^time=/.test(l.msg)), "every line is text, none JSON");
  const call = jsonCaller(`http://127.0.0.1:${port}`);
  const info = await call("GET", "/api/v1/session/userinfo");
  assert.deepEqual(info.body, { loggedIn: true, username: "admin", iss: "argocd" }, `without a token the caller is admin: ${showResponse(info)}`);
  const list = await call("GET", "/api/v1/applications");
  assert.equal(list.status, 200, showResponse(list));
  assert.equal((list.body as { items: unknown[] }).items.length, 40, "every app, without a token");
  const created = await call("POST", "/api/v1/projects", { project: { metadata: { name: "made-without-token" }, spec: { sourceRepos: ["*"] } } });
  assert.equal(created.status, 200, `a write without a token: ${showResponse(created)}`);
  const raw = await fetch(`http://127.0.0.1:${port}/api/v1/applications`, { headers: { "accept-encoding": "gzip" } });
  assert.equal(raw.headers.get("content-encoding"), null, "server.enable.gzip false: nothing compressed");
  await raw.arrayBuffer();
  // No server.connection.status.cache.expiration here: Argo's 1h, so a state probed a few
  // seconds ago is still the one shown (server 1, with 2s, probed again by now).
  const cachedProbe = await attemptedAt(`http://127.0.0.1:${port}`, {});
  await new Promise((r) => setTimeout(r, 3_000));
  assert.equal(await attemptedAt(`http://127.0.0.1:${port}`, {}), cachedProbe, "the connection state is reused under the 1h default");
  await open.stop("SIGTERM");

  // ---- server 3: an unknown cipher stops the server, naming the setting ----
  const refused = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", "server", "--kubeconfig", w.cluster.kubeconfigPath, "--namespace", ns, "--address", "127.0.0.1", "--port", "0", "--metrics-port", "0",
      "--tlsciphers", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_NOT_A_CIPHER"], { cwd: root, encoding: "utf8" }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stderr });
    });
  });
  assert.equal(refused.code, 2, `exit status 2: ${refused.stderr}`);
  assert.match(refused.stderr, /^hawser: --tlsciphers: unknown cipher suite "TLS_NOT_A_CIPHER"/m, "the message names the flag and the cipher");
});
