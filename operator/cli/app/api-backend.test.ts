// `hawser app`, `login`, `context` and `logout` through a server: the commands run in-process
// against a loopback HTTP server that answers Argo's REST routes (argo-cd-server.md §1.3) with
// fixtures, so what the CLI sends and how it prints the answers is checked on the wire.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Application } from "../../api/index.js";
import { main } from "../../cli.js";
import { readConfig } from "../api/config.js";
import { appListTable, operationSummary, syncResultTable } from "./format.js";
import { managedResourcesDiff } from "./api-backend.js";

interface Call { method: string; path: string; query: URLSearchParams; auth?: string; body: unknown }

function app(name: string, extra: Partial<Application> = {}): Application {
  return {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application",
    metadata: { name, namespace: "argocd", resourceVersion: "10" },
    spec: { project: "default", source: { repoURL: "https://git.example/r.git", path: name, targetRevision: "HEAD" }, destination: { server: "https://kubernetes.default.svc", namespace: name } },
    status: { sync: { status: "OutOfSync", revision: "a".repeat(40) }, health: { status: "Healthy" }, history: [
      { id: 1, revision: "1".repeat(40), deployedAt: "2026-12-01T00:00:00Z", source: { repoURL: "https://git.example/r.git", path: name } },
      { id: 2, revision: "2".repeat(40), deployedAt: "2026-12-02T00:00:00Z", source: { repoURL: "https://git.example/r.git", path: name } },
    ] },
    ...extra,
  };
}

const finishedAt = "2026-12-06T10:00:05Z";
function synced(withOp: Application): Application {
  // The controller clears .operation when it finishes.
  const { operation: _done, ...a } = withOp;
  return {
    ...a, status: {
      ...a.status!, sync: { status: "Synced", revision: "b".repeat(40) },
      operationState: {
        operation: { sync: { revision: "abc" }, initiatedBy: { username: "admin" } }, phase: "Succeeded", message: "successfully synced (all tasks run)",
        startedAt: "2026-12-06T10:00:00Z", finishedAt,
        syncResult: { revision: "b".repeat(40), resources: [{ group: "apps", kind: "Deployment", namespace: "web", name: "web", version: "v1", status: "Synced", message: "deployment.apps/web configured" }] },
      },
    },
  };
}

/** A loopback server with Argo's routes over fixtures; records every call. */
async function fakeApi(t: { after: (fn: () => unknown) => void }): Promise<{ server: string; calls: Call[] }> {
  const calls: Call[] = [];
  const apps = new Map([["web", app("web")], ["api", app("api")]]);
  const json = (res: http.ServerResponse, status: number, body: unknown): void => { res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body)); };
  const denied = (res: http.ServerResponse, what: string): void => json(res, 403, { error: `permission denied: ${what}`, code: 7, message: `permission denied: ${what}` });
  const srv = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => { raw += c.toString(); });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const call: Call = { method: req.method ?? "", path: url.pathname, query: url.searchParams, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body: raw ? JSON.parse(raw) as unknown : undefined };
      calls.push(call);
      const m = /^\/api\/v1\/applications\/([^/]+)(\/.*)?$/.exec(url.pathname);
      if (req.headers.authorization !== "Bearer good.to.ken" && url.pathname !== "/api/v1/session") { json(res, 401, { error: "invalid session: token expired", code: 16, message: "invalid session: token expired" }); return; }
      if (url.pathname === "/api/v1/session" && req.method === "POST") {
        const b = call.body as { username?: string; password?: string };
        if (b.username === "admin" && b.password === "s3cret-pw") json(res, 200, { token: "good.to.ken" });
        else json(res, 401, { error: "Invalid username or password", code: 16, message: "Invalid username or password" });
        return;
      }
      const extra = otherRoutes(req.method ?? "", url.pathname, call.body);
      if (extra) { json(res, extra[0], extra[1]); return; }
      if (url.pathname === "/api/v1/applications" && req.method === "GET") { json(res, 200, { metadata: { resourceVersion: "10" }, items: [...apps.values()] }); return; }
      if (url.pathname === "/api/v1/stream/applications") {
        const a = apps.get(url.searchParams.get("name") ?? "");
        res.writeHead(200, { "Content-Type": "application/json" });
        if (!a) { res.end(JSON.stringify({ error: { grpc_code: 7, http_code: 403, message: "permission denied", http_status: "Forbidden" } }) + "\n"); return; }
        res.write(JSON.stringify({ result: { type: "ADDED", application: a } }) + "\n");
        // A sync in flight finishes a moment later, as the controller would report it.
        if (a.operation) setTimeout(() => res.write(JSON.stringify({ result: { type: "MODIFIED", application: synced(a) } }) + "\n"), 20);
        return;
      }
      const inControlNs = (url.searchParams.get("appNamespace") ?? "argocd") === "argocd";
      const a = m && inControlNs ? apps.get(decodeURIComponent(m[1]!)) : undefined;
      if (m && !a) { denied(res, `applications, get, ${m[1]}`); return; }
      if (a && m && !m[2] && req.method === "GET") { json(res, 200, a); return; }
      if (a && m?.[2] === "/sync" && req.method === "POST") {
        const next = { ...a, operation: { sync: {}, initiatedBy: { username: "admin" } } } as Application;
        apps.set(a.metadata.name!, next);
        json(res, 200, next);
        return;
      }
      if (a && m?.[2] === "/rollback" && req.method === "POST") { json(res, 200, { ...a, operation: { sync: {}, initiatedBy: { username: "admin" } } }); return; }
      if (a && m?.[2] === "/managed-resources") {
        const live = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "web" }, spec: { replicas: 1 } };
        json(res, 200, { items: [
          { group: "apps", kind: "Deployment", namespace: "web", name: "web", normalizedLiveState: JSON.stringify(live), predictedLiveState: JSON.stringify({ ...live, spec: { replicas: 2 } }), modified: true },
          { group: "", kind: "Service", namespace: "web", name: "web", normalizedLiveState: "{}", predictedLiveState: "{}", modified: false },
          { group: "batch", kind: "Job", namespace: "web", name: "hook", normalizedLiveState: "{}", predictedLiveState: '{"a":1}', modified: true, hook: true },
        ] });
        return;
      }
      res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  t.after(() => { srv.closeAllConnections(); srv.close(); });
  return { server: `127.0.0.1:${(srv.address() as AddressInfo).port}`, calls };
}

const jwt = (claims: Record<string, unknown>): string => `h.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;

/** The project, account, cluster and repository routes the other commands use. */
function otherRoutes(method: string, path: string, body: unknown): [number, unknown] | undefined {
  const route = `${method} ${path}`;
  switch (route) {
    case "POST /api/v1/projects/team/roles/ci/token": return [200, { token: jwt({ sub: "proj:team:ci", jti: (body as { id?: string }).id ?? "generated", iat: 1_800_000_000, exp: 1_800_086_400 }) }];
    case "POST /api/v1/projects/team/roles/nope/token": return [404, { error: "project 'team' does not have role 'nope'", code: 5, message: "project 'team' does not have role 'nope'" }];
    case "GET /api/v1/session/userinfo": return [200, { loggedIn: true, username: "admin", iss: "argocd" }];
    case "PUT /api/v1/account/password":
      return (body as { currentPassword?: string }).currentPassword === "s3cret-pw" ? [200, {}] : [400, { error: "current password does not match", code: 3, message: "current password does not match" }];
    case "POST /api/v1/account/ci/token": return [200, { token: "ci.api.key" }];
    case "GET /api/v1/clusters": return [200, { items: [{ server: "https://kubernetes.default.svc", name: "in-cluster", info: { serverVersion: "1.36", connectionState: { status: "Successful" } } }] }];
    case "GET /api/v1/repositories": return [200, { items: [{ repo: "https://git.example/r.git", type: "git", username: "bot", connectionState: { status: "Successful" } }] }];
    case "GET /api/v1/projects": return [200, { items: [{ metadata: { name: "team" }, spec: { description: "the team", sourceRepos: ["*"], destinations: [{ server: "*", namespace: "team-*" }] } }] }];
    case "POST /api/v1/applications": return [200, body];
    case "PUT /api/v1/applications/web/spec": return [200, body];
    default: return undefined;
  }
}

/** Runs `hawser ...` in this process, capturing its output. */
async function hawser(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => { stdout += String(c); return true; });
  process.stderr.write = ((c: string | Uint8Array) => { stderr += String(c); return true; });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

async function tmpConfig(t: { after: (fn: () => unknown) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hawser-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, "config");
}

test("login stores the session; app commands then go through the server; logout forgets the token", async (t) => {
  const { server, calls } = await fakeApi(t);
  const config = await tmpConfig(t);
  const noTty = await hawser("login", server, "--plaintext", "--username", "admin", "--config", config);
  assert.equal(noTty.code, 2, "no password and no terminal: refused");
  assert.match(noTty.stderr, /--password is required when stdin is not a terminal/, noTty.stderr);
  const bad = await hawser("login", server, "--plaintext", "--username", "admin", "--password", "wrong-pw", "--config", config);
  assert.equal(bad.code, 2, "a wrong password fails");
  assert.match(bad.stderr, /Invalid username or password/, "the server's message is shown");
  const ok = await hawser("login", server, "--plaintext", "--username", "admin", "--password", "s3cret-pw", "--name", "local", "--config", config);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(calls.at(-1)?.body, { username: "admin", password: "s3cret-pw" }, "POST /api/v1/session with the credentials");
  const cfg = await readConfig(config);
  assert.equal(cfg["current-context"], "local", "the new context is current");
  assert.deepEqual(cfg.servers, [{ server, plainText: true }], "the server's TLS setting is remembered");
  assert.equal(cfg.users[0]?.["auth-token"], "good.to.ken", "the token is stored");
  assert.ok(!ok.stdout.includes("good.to.ken") && !ok.stdout.includes("s3cret"), "neither token nor password is printed");

  const ctx = await hawser("context", "--config", config);
  assert.equal(ctx.stdout, `CURRENT  NAME   SERVER\n*        local  ${server}\n`, "context lists the contexts, the current one marked");

  const list = await hawser("app", "list", "--config", config);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, appListTable([app("api"), app("web")], false), "the same table as with --core, sorted by name");
  assert.equal(calls.at(-1)?.auth, "Bearer good.to.ken", "the stored token is sent");

  const out = await hawser("logout", "--config", config);
  assert.equal(out.code, 0, out.stderr);
  const after = await hawser("app", "list", "--config", config);
  assert.equal(after.code, 2, "without a token the server refuses");
  assert.match(after.stderr, /invalid session: token expired \(log in again: hawser login SERVER/, "a 401 says how to fix it");
  const envToken = await hawser("app", "list", "--config", config, "-o", "name");
  assert.equal(envToken.code, 2, "still no token");
  process.env.HAWSER_AUTH_TOKEN = "good.to.ken";
  try {
    const viaEnv = await hawser("app", "list", "--config", config, "-o", "name");
    assert.equal(viaEnv.stdout, "argocd/api\nargocd/web\n", "HAWSER_AUTH_TOKEN stands in for the context's token");
  } finally {
    delete process.env.HAWSER_AUTH_TOKEN;
  }
});

test("sync through the server: Argo's sync request, the result from the watch stream", async (t) => {
  const { server, calls } = await fakeApi(t);
  const config = await tmpConfig(t);
  const conn = ["--server", server, "--plaintext", "--auth-token", "good.to.ken", "--config", config];
  const r = await hawser("app", "sync", "web", "--revision", "abc", "--prune", "--force", "--resource", "apps:Deployment:web/web", "--server-side", ...conn);
  assert.equal(r.code, 0, r.stderr);
  const post = calls.find((c) => c.method === "POST" && c.path === "/api/v1/applications/web/sync");
  assert.deepEqual(post?.body, {
    revision: "abc", prune: true, strategy: { hook: { force: true } },
    resources: [{ group: "apps", kind: "Deployment", name: "web", namespace: "web" }], syncOptions: { items: ["ServerSideApply=true"] },
  }, "argocd's SyncRequest body");
  const stream = calls.find((c) => c.path === "/api/v1/stream/applications");
  assert.equal(stream?.query.get("name"), "web", "the wait follows the app on the stream instead of polling");
  const state = synced(app("web")).status!.operationState!;
  assert.equal(r.stdout, syncResultTable(state) + "\n" + operationSummary(state) + "\n", "the same result table as with --core");

  const denied = await hawser("app", "sync", "nope", ...conn);
  assert.equal(denied.code, 2, "a refused sync exits 2");
  assert.match(denied.stderr, /^hawser app sync: permission denied: applications, get, nope\n$/, "the server's message, nothing else");

  const rb = await hawser("app", "rollback", "api", "--async", ...conn);
  assert.equal(rb.code, 0, rb.stderr);
  assert.deepEqual(calls.find((c) => c.path === "/api/v1/applications/api/rollback")?.body, { id: 1 }, "rollback sends the entry before the latest, chosen as argocd does");
  assert.equal(rb.stdout, "application api: roll back requested\n", "--async returns once requested");

  // The stream stays open and the app never gets there: the wait ends at its limit, exit 1, saying what it saw.
  const waited = await hawser("app", "wait", "api", "--sync", "--timeout", "1", ...conn);
  assert.equal(waited.code, 1, waited.stderr);
  assert.equal(waited.stderr, "hawser app wait: timed out after 1s waiting for application api: sync status is OutOfSync, want Synced\n", "the last state seen on the stream");

  const ns = await hawser("app", "get", "team-a/web", ...conn);
  assert.equal(calls.at(-1)?.query.get("appNamespace"), "team-a", "NAMESPACE/NAME is Argo's appNamespace");
  assert.equal(ns.code, 2, "the fixture has no web in team-a");
  assert.match(ns.stderr, /permission denied/, "the server hides whether it exists, and the CLI says what the server said");
});

test("diff through the server prints managed-resources as --core prints its diff; options it cannot honour are refused", async (t) => {
  const { server } = await fakeApi(t);
  const config = await tmpConfig(t);
  const conn = ["--server", `http://${server}`, "--auth-token", "good.to.ken", "--config", config];
  const d = await hawser("app", "diff", "web", ...conn);
  assert.equal(d.code, 1, `a diff exits 1: ${d.stderr}`);
  assert.match(d.stdout, /^===== apps\/Deployment web\/web ======\n--- live\n\+\+\+ target\n/, d.stdout);
  assert.match(d.stdout, /- {2}replicas: 1\n\+ {2}replicas: 2\n/, "the changed field");
  assert.ok(!d.stdout.includes("Service") && !d.stdout.includes("hook"), "unmodified resources and hooks are left out");
  const local = await hawser("app", "diff", "web", "--local", ".", ...conn);
  assert.equal(local.code, 2, "--local through a server is refused");
  assert.match(local.stderr, /use --core/, local.stderr);
  assert.deepEqual(managedResourcesDiff([]), { output: "", modified: false }, "no resources, no diff");
  const both = await hawser("app", "list", "--core", ...conn);
  assert.equal(both.code, 2, "--core with --server is refused");
  assert.match(both.stderr, /--core and --server exclude each other/, both.stderr);
});

test("proj, account, cluster and repo commands through the server; --core refuses them by name", async (t) => {
  const { server, calls } = await fakeApi(t);
  const config = await tmpConfig(t);
  const conn = ["--server", server, "--plaintext", "--auth-token", "good.to.ken", "--config", config];
  const tok = await hawser("proj", "role", "create-token", "team", "ci", "--expires-in", "24h", "--id", "ci-1", ...conn);
  assert.equal(tok.code, 0, tok.stderr);
  assert.deepEqual(calls.at(-1)?.body, { project: "team", role: "ci", expiresIn: 86400, id: "ci-1" }, "Argo's token request, the duration in seconds");
  assert.match(tok.stdout, /^Create token succeeded for proj:team:ci\.\n {2}ID: ci-1\n {2}Issued At: 2027-01-15T08:00:00Z\n {2}Expires At: 2027-01-16T08:00:00Z\n {2}Token: h\./, tok.stdout);
  const only = await hawser("proj", "role", "create-token", "team", "ci", "-t", ...conn);
  assert.match(only.stdout, /^h\.[^\s]+\.sig\n$/, "-t prints the token alone");
  const noRole = await hawser("proj", "role", "create-token", "team", "nope", ...conn);
  assert.equal(noRole.code, 2, "a missing role fails");
  assert.equal(noRole.stderr, "hawser proj role create-token: project 'team' does not have role 'nope'\n", "with the server's message");
  const badDuration = await hawser("proj", "role", "create-token", "team", "ci", "--expires-in", "soon", ...conn);
  assert.match(badDuration.stderr, /--expires-in wants a duration/, "a bad duration is named before any call");

  const projects = await hawser("proj", "list", ...conn);
  assert.match(projects.stdout, /^NAME +DESCRIPTION +DESTINATIONS +SOURCES/, projects.stdout);
  assert.match(projects.stdout, /\nteam +the team +\*,team-\* +\* +<none>/, projects.stdout);

  const pw = await hawser("account", "update-password", "--current-password", "wrong-pw", "--new-password", "n3w-password", ...conn);
  assert.equal(pw.code, 2, "a wrong current password fails");
  assert.match(pw.stderr, /^hawser account update-password: current password does not match\n$/, "the server's message, no password in it");
  const pwOk = await hawser("account", "update-password", "--current-password", "s3cret-pw", "--new-password", "n3w-password", ...conn);
  assert.equal(pwOk.code, 0, pwOk.stderr);
  assert.deepEqual(calls.filter((c) => c.path === "/api/v1/account/password").at(-1)?.body, { name: "admin", currentPassword: "s3cret-pw", newPassword: "n3w-password" }, "own account by default (from userinfo)");
  const noTty = await hawser("account", "update-password", ...conn);
  assert.match(noTty.stderr, /--current-password is required when stdin is not a terminal/, "no prompt without a terminal");
  const key = await hawser("account", "generate-token", "--account", "ci", "--expires-in", "7d", ...conn);
  assert.equal(key.stdout, "ci.api.key\n", "the API key alone");
  assert.deepEqual(calls.at(-1)?.body, { name: "ci", expiresIn: 604800 }, "the token request");

  const clusters = await hawser("cluster", "list", ...conn);
  assert.equal(clusters.stdout, "SERVER                          NAME        VERSION  STATUS      MESSAGE  PROJECT\nhttps://kubernetes.default.svc  in-cluster  1.36     Successful\n", clusters.stdout);
  const repos = await hawser("repo", "list", ...conn);
  assert.match(repos.stdout, /\ngit +https:\/\/git\.example\/r\.git +false +false +false +true +Successful/, repos.stdout);
  assert.ok(!repos.stdout.includes("bot"), "no credential is printed");

  for (const args of [["cluster", "list", "--core"], ["proj", "list", "--core"], ["app", "manifests", "web", "--core"], ["account", "generate-token", "--core"]]) {
    const r = await hawser(...args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /needs the API server/, `${args.join(" ")}: ${r.stderr}`);
  }
});

test("app create and set through the server", async (t) => {
  const { server, calls } = await fakeApi(t);
  const config = await tmpConfig(t);
  const conn = ["--server", server, "--plaintext", "--auth-token", "good.to.ken", "--config", config];
  const c = await hawser("app", "create", "guestbook", "--repo", "https://git.example/r.git", "--path", "guestbook", "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", "gb", "--upsert", ...conn);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout, "application 'guestbook' created\n", "the confirmation");
  const post = calls.at(-1);
  assert.equal(post?.query.get("upsert"), "true", "--upsert");
  assert.equal((post?.body as Application).spec.destination.namespace, "gb", "the Application from the flags");
  const s = await hawser("app", "set", "web", "--revision", "v2", "--sync-policy", "automated", ...conn);
  assert.equal(s.code, 0, s.stderr);
  const put = calls.at(-1);
  assert.equal(put?.path, "/api/v1/applications/web/spec", "argocd's UpdateSpec");
  assert.equal((put?.body as Application["spec"]).source?.targetRevision, "v2", "the new revision");
  assert.deepEqual((put?.body as Application["spec"]).syncPolicy, { automated: {} }, "auto-sync on");
  const none = await hawser("app", "set", "web", ...conn);
  assert.match(none.stderr, /set wants at least one of/, "set without a change is refused");
});
