// `hawser server` end to end: the operator and the API server as processes on the real control
// plane, a real OpenID provider on loopback, and HTTP calls written as a script for Argo CD's REST
// API would make them. Covers: the initial admin password and local login; list, sync and the
// NDJSON stream until the sync finishes; a role:readonly user refused a sync (403, nothing
// written); a project role token working until it is deleted; an SSO user of group
// backend-developers (seed 000's backend-team project role) seeing and syncing backend-team apps
// and nothing else, the stream included; an SSO ID token longer than one cookie split over
// argocd.token=<N>:…, argocd.token-1… (each within 4093 bytes, at most 20) and joined back; and
// requests without a session refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { freePort } from "../../operator/devcluster/process.js";
import { stringify } from "yaml";
import { API, createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { initialAdminPassword, jsonCaller, type JsonResponse } from "../support/api-session.js";
import { SEED_USERS, startOidcProvider } from "../support/oidc-provider.js";
import { startServerProcess } from "../support/operator-process.js";
import type { Application } from "../../operator/api/index.js";

type Res = JsonResponse;

test("API server: local and SSO sessions, RBAC on every route and the stream, project role tokens", async (t) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Alice's ID token names no team; only the UserInfo endpoint says backend-developers, so her
  // access below proves the server asked it (enableUserInfoGroups).
  const users = structuredClone(SEED_USERS);
  users.alice = { ...users.alice!, groups: ["no-team"], userInfoGroups: ["backend-developers"] };
  // Wide's ID token carries so many groups that it takes more than one 4 KB cookie.
  users.wide = { password: "wide-password-1", email: "wide@example.com", groups: Array.from({ length: 150 }, (_, i) => `a-team-with-a-rather-long-group-name-${i}`) };
  const idp = await startOidcProvider({ clients: [{ clientId: "hawser", clientSecret: "hawser-oidc-secret-0123456789", redirectUris: [`${base}/auth/callback`] }], users, requirePkce: true, refreshTokens: true });
  t.after(() => idp.close());
  const w = await createWorld(t, {
    name: "api",
    repos: { app: { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-cm\ndata:\n  k: v\n" } },
    argocdCm: {
      url: base,
      "accounts.reader": "login",
      "oidc.config": stringify({
        name: "Test IdP", issuer: idp.issuer, clientID: "hawser", clientSecret: "$oidc.hawser.clientSecret", enablePKCEAuthentication: true,
        enableUserInfoGroups: true, userInfoPath: "/me",
        // The provider's ID tokens live 1h: with 2h every one is due for a refresh at once.
        refreshTokenThreshold: "2h",
        logoutURL: `${idp.issuer}/session/end?id_token_hint={{token}}&post_logout_redirect_uri={{logoutRedirectURL}}`,
      }),
    },
  });
  const { client, ns } = w;
  const beDest = w.dest("be");
  const feDest = w.dest("fe");
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: { "policy.csv": "g, reader, role:readonly\n" } });
  const backendTeam = {
    apiVersion: API, kind: "AppProject", metadata: { name: "backend-team", namespace: ns },
    spec: {
      sourceRepos: ["*"], destinations: [{ server: "https://kubernetes.default.svc", namespace: beDest }], clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
      // Seed 000's roles.
      roles: [
        { name: "developer", policies: ["p, proj:backend-team:developer, applications, get, backend-team/*, allow", "p, proj:backend-team:developer, applications, sync, backend-team/*, allow"], groups: ["backend-developers"] },
        { name: "viewer", policies: ["p, proj:backend-team:viewer, applications, get, backend-team/*, allow"], groups: ["backend-viewers"] },
      ],
    },
  };
  await client.create(backendTeam);
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "frontend", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "https://kubernetes.default.svc", namespace: feDest }], clusterResourceWhitelist: [{ group: "", kind: "Namespace" }] } });
  const syncOpts = { syncOptions: ["CreateNamespace=true"] };
  await client.create(w.application("be-api", { repo: "app", path: ".", dest: beDest, project: "backend-team", syncPolicy: syncOpts }));
  await client.create(w.application("fe-web", { repo: "app", path: ".", dest: feDest, project: "frontend", syncPolicy: syncOpts }));

  // A low per-source limit, so the spraying at the end locks this test's address quickly.
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--port", String(port)], env: { HAWSER_SESSION_SOURCE_MAX_FAIL_COUNT: "6" } });
  t.after(() => server.stop("SIGKILL"));
  assert.equal(await server.url(), base);
  // The client secret lives in argocd-secret, referenced as $oidc.hawser.clientSecret.
  await client.patch({ apiVersion: "v1", kind: "Secret", name: "argocd-secret", namespace: ns }, { stringData: { "oidc.hawser.clientSecret": "hawser-oidc-secret-0123456789" } });

  // Redirects stay answers: the SSO flow below follows them by hand.
  const json = jsonCaller(base, { redirect: "manual" });
  const call = (method: string, path: string, opts: { token?: string; cookie?: string; body?: unknown; accept?: string } = {}): Promise<Res> => json(method, path, opts.body, opts);
  const show = (r: Res): string => `HTTP ${r.status}: ${r.text.slice(0, 600)}`;

  // ---- local admin: the initial password, then a session token ----
  const adminPassword = await initialAdminPassword(client, ns);
  assert.match(adminPassword, /^[0-9A-Za-z-]{16}$/, "a 16-character initial password");
  const wrong = await call("POST", "/api/v1/session", { body: { username: "admin", password: "not-it" } });
  assert.equal(wrong.status, 401, show(wrong));
  assert.equal((wrong.body as { message: string }).message, "Invalid username or password");
  const login = await call("POST", "/api/v1/session", { body: { username: "admin", password: adminPassword } });
  assert.equal(login.status, 200, show(login));
  const admin = (login.body as { token: string }).token;
  assert.match(login.headers.get("set-cookie") ?? "", /argocd\.token=/, "the session cookie is set");
  assert.ok(!login.text.includes(adminPassword), "the password is not echoed");

  // ---- no session ----
  const anon = await call("GET", "/api/v1/applications");
  assert.equal(anon.status, 401, show(anon));
  assert.equal((anon.body as { message: string }).message, "no session information");
  const version = await call("GET", "/api/version");
  assert.equal(version.status, 200, "version needs no session");

  // ---- list, sync, and watch the sync finish on the stream ----
  const list = await call("GET", "/api/v1/applications?fields=items.metadata.name,items.spec.project", { token: admin });
  assert.equal(list.status, 200, show(list));
  const names = (list.body as { items: Application[] }).items.map((a) => a.metadata.name);
  assert.deepEqual(names, ["be-api", "fe-web"], show(list));
  const stream = fetch(`${base}/api/v1/stream/applications?name=be-api`, { headers: { authorization: `Bearer ${admin}` } });
  const sync = await call("POST", "/api/v1/applications/be-api/sync", { token: admin, body: { prune: false } });
  assert.equal(sync.status, 200, show(sync));
  assert.equal((sync.body as Application).operation?.initiatedBy?.username, "admin", "the operation names the caller");
  const phases: string[] = [];
  const reader = (await stream).body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder();
  let buffer = "";
  const deadline = Date.now() + 120_000;
  let finished: Application | undefined;
  while (!finished && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as { result: { type: string; application: Application } };
      const app = msg.result.application;
      assert.equal(app.metadata.name, "be-api", "the stream holds only the named app");
      if (app.status?.operationState?.phase) phases.push(app.status.operationState.phase);
      if (app.status?.operationState?.phase === "Succeeded" && app.status.sync?.status === "Synced") finished = app;
    }
  }
  await reader.cancel();
  assert.ok(finished, `the stream showed the sync finish; phases seen: ${phases.join(",")}`);
  assert.ok(await client.get("v1", "ConfigMap", "api-cm", beDest), "the sync applied the ConfigMap");

  // ---- a role:readonly user: get yes, sync no (403, nothing written) ----
  const setPw = await call("PUT", "/api/v1/account/password", { token: admin, body: { name: "reader", currentPassword: adminPassword, newPassword: "reader-pass-123" } });
  assert.equal(setPw.status, 200, show(setPw));
  const readerLogin = await call("POST", "/api/v1/session", { body: { username: "reader", password: "reader-pass-123" } });
  assert.equal(readerLogin.status, 200, show(readerLogin));
  const readerToken = (readerLogin.body as { token: string }).token;
  assert.equal((await call("GET", "/api/v1/applications/fe-web", { token: readerToken })).status, 200, "readonly may get");
  const refused = await call("POST", "/api/v1/applications/fe-web/sync", { token: readerToken, body: {} });
  assert.equal(refused.status, 403, show(refused));
  assert.match((refused.body as { message: string }).message, /^permission denied/, show(refused));
  const feAfter = await client.get<Application>(API, "Application", "fe-web", ns);
  assert.equal(feAfter?.operation, undefined, "a refused sync writes nothing");

  // ---- a project role token: works inside its project until deleted ----
  const tok = await call("POST", "/api/v1/projects/backend-team/roles/developer/token", { token: admin, body: { id: "ci-1", expiresIn: 3600 } });
  assert.equal(tok.status, 200, show(tok));
  const projToken = (tok.body as { token: string }).token;
  assert.equal((await call("GET", "/api/v1/applications/be-api", { token: projToken })).status, 200, "the role may get its project's app");
  const outside = await call("GET", "/api/v1/applications/fe-web", { token: projToken });
  assert.equal(outside.status, 403, `not another project's app: ${show(outside)}`);
  const projList = await call("GET", "/api/v1/applications", { token: projToken });
  assert.deepEqual((projList.body as { items: Application[] }).items.map((a) => a.metadata.name), ["be-api"], show(projList));
  const proj = await client.get<{ status?: { jwtTokensByRole?: Record<string, { items: Array<{ id: string; iat: number }> }> } } & import("../../operator/kube/client.js").KubeObject>(API, "AppProject", "backend-team", ns);
  const entry = proj?.status?.jwtTokensByRole?.developer?.items.find((i) => i.id === "ci-1");
  assert.ok(entry, "the token is recorded in the project's status");
  const del = await call("DELETE", `/api/v1/projects/backend-team/roles/developer/token/${entry.iat}?id=ci-1`, { token: admin });
  assert.equal(del.status, 200, show(del));
  await eventually(async () => assert.equal((await call("GET", "/api/v1/applications/be-api", { token: projToken })).status, 401, "a deleted token is refused"), { timeoutMs: 20_000 });

  // ---- SSO: alice (backend-developers) through the real provider ----
  const start = await call("GET", `/auth/login?return_url=${encodeURIComponent(`${base}/applications`)}`);
  assert.equal(start.status, 303, show(start));
  const stateCookie = (start.headers.get("set-cookie") ?? "").split(";")[0]!;
  assert.match(stateCookie, /^argocd\.oauthstate=/);
  assert.match(start.headers.get("set-cookie") ?? "", /Max-Age=300\b/i, "the state cookie lives Argo's 5 minutes (the state itself is accepted for server.oidc.cache.expiration, 3m)");
  const callbackUrl = await idp.login(start.headers.get("location")!, "alice", SEED_USERS.alice!.password);
  const back = await call("GET", `${callbackUrl.pathname}${callbackUrl.search}`, { cookie: stateCookie });
  assert.equal(back.status, 303, show(back));
  assert.equal(back.headers.get("location"), `${base}/applications`);
  const sessionCookie = (back.headers.getSetCookie?.() ?? [back.headers.get("set-cookie") ?? ""]).map((c) => c.split(";")[0]!).filter((c) => c.startsWith("argocd.token")).join("; ");
  assert.match(sessionCookie, /argocd\.token=/, "the ID token is the session cookie");
  const me = await call("GET", "/api/v1/session/userinfo", { cookie: sessionCookie });
  assert.equal((me.body as { username: string }).username, "alice@example.com", show(me));
  assert.deepEqual((me.body as { groups: string[] }).groups, ["backend-developers"], `groups from UserInfo, not the ID token's no-team: ${show(me)}`);
  // refreshTokenThreshold: the call renewed the session through the IdP's refresh token.
  const renewedCookie = me.headers.getSetCookie().map((c) => c.split(";")[0]!).filter((c) => c.startsWith("argocd.token")).join("; ");
  assert.match(renewedCookie, /^argocd\.token=[\w-]+\.[\w-]+\.[\w-]+/, `a renewed ID token is set as the cookie: ${me.headers.getSetCookie().join(" | ")}`);
  const meRenewed = await call("GET", "/api/v1/session/userinfo", { cookie: renewedCookie });
  assert.deepEqual((meRenewed.body as { groups: string[] }).groups, ["backend-developers"], `the renewed token works, with UserInfo groups: ${show(meRenewed)}`);
  const aliceList = await call("GET", "/api/v1/applications", { cookie: sessionCookie });
  assert.deepEqual((aliceList.body as { items: Application[] }).items.map((a) => a.metadata.name), ["be-api"], `alice sees backend-team apps only: ${show(aliceList)}`);
  assert.equal((await call("GET", "/api/v1/applications/fe-web", { cookie: sessionCookie })).status, 403, "alice may not see fe-web");
  const aliceSync = await call("POST", "/api/v1/applications/be-api/sync", { cookie: sessionCookie, body: {} });
  assert.equal(aliceSync.status, 200, show(aliceSync));
  const aliceFe = await call("POST", "/api/v1/applications/fe-web/sync", { cookie: sessionCookie, body: {} });
  assert.equal(aliceFe.status, 403, show(aliceFe));
  // Her stream never carries fe-web, even when it changes.
  const aliceStream = await fetch(`${base}/api/v1/stream/applications`, { headers: { cookie: sessionCookie } });
  await client.patch({ apiVersion: API, kind: "Application", name: "fe-web", namespace: ns }, { metadata: { labels: { touched: "yes" } } });
  const r2 = aliceStream.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let seen = "";
  const until = Date.now() + 5_000;
  while (Date.now() < until) {
    const chunk = await Promise.race([r2.read(), new Promise<{ done: true; value: undefined }>((res) => setTimeout(() => res({ done: true, value: undefined }), until - Date.now()))]);
    if (chunk.done) break;
    seen += decoder.decode(chunk.value);
  }
  await r2.cancel();
  assert.match(seen, /"be-api"/, "alice's stream shows her app");
  assert.doesNotMatch(seen, /"fe-web"/, "alice's stream never shows fe-web");

  // ---- an ID token longer than one cookie: argocd.token=<N>:<part>, argocd.token-1, ... ----
  const wideStart = await call("GET", `/auth/login?return_url=${encodeURIComponent(`${base}/applications`)}`);
  assert.equal(wideStart.status, 303, show(wideStart));
  const wideState = (wideStart.headers.get("set-cookie") ?? "").split(";")[0]!;
  const wideCallback = await idp.login(wideStart.headers.get("location")!, "wide", users.wide.password);
  const wideBack = await call("GET", `${wideCallback.pathname}${wideCallback.search}`, { cookie: wideState });
  assert.equal(wideBack.status, 303, show(wideBack));
  const parts = wideBack.headers.getSetCookie().filter((c) => c.startsWith("argocd.token"));
  assert.ok(parts.length >= 2 && parts.length <= 20, `split over ${parts.length} cookies, at most server.http.cookie.maxnumber's default 20: ${parts.map((c) => c.slice(0, 30)).join(" | ")}`);
  assert.match(parts[0]!, new RegExp(`^argocd\\.token=${parts.length}:`), "the first cookie says how many parts follow");
  parts.slice(1).forEach((c, i) => assert.match(c, new RegExp(`^argocd\\.token-${i + 1}=`), `part ${i + 1} is argocd.token-${i + 1}`));
  for (const c of parts) assert.ok(Buffer.byteLength(c) <= 4093, `each cookie, attributes included, within 4093 bytes (${Buffer.byteLength(c)})`);
  const wideCookie = parts.map((c) => c.split(";")[0]!).join("; ");
  const wideMe = await call("GET", "/api/v1/session/userinfo", { cookie: wideCookie });
  assert.equal((wideMe.body as { username?: string }).username, "wide@example.com", `the parts are joined back into the ID token: ${show(wideMe)}`);
  const partial = await call("GET", "/api/v1/applications", { cookie: wideCookie.split("; ").slice(0, -1).join("; ") });
  assert.equal(partial.status, 401, `a missing part is refused: ${show(partial)}`);

  // ---- logout with the cookie only: the IdP's logout URL gets the token from the cookie ----
  const out = await call("GET", "/auth/logout", { cookie: sessionCookie });
  assert.equal(out.status, 303, show(out));
  const rawSso = sessionCookie.split("; ").find((c) => c.startsWith("argocd.token="))!.slice("argocd.token=".length);
  assert.equal(out.headers.get("location"), `${idp.issuer}/session/end?id_token_hint=${rawSso}&post_logout_redirect_uri=${encodeURIComponent(base)}`, "the IdP logout URL, token from the cookie");
  assert.match(out.headers.getSetCookie().join(" | "), /argocd\.token=;/, "the cookie is cleared");
  const replayed = await call("GET", "/api/v1/applications", { cookie: sessionCookie });
  assert.equal(replayed.status, 401, `the logged-out ID token (no jti) is refused if replayed: ${show(replayed)}`);
  assert.match((replayed.body as { message: string }).message, /revoked/, show(replayed));

  // ---- DELETE /api/v1/session revokes the caller's token ----
  assert.equal((await call("GET", "/api/v1/applications/fe-web", { token: readerToken })).status, 200, "the reader's token works before");
  const delSession = await call("DELETE", "/api/v1/session", { token: readerToken });
  assert.equal(delSession.status, 200, show(delSession));
  const afterDelete = await call("GET", "/api/v1/applications/fe-web", { token: readerToken });
  assert.equal(afterDelete.status, 401, show(afterDelete));
  assert.match((afterDelete.body as { message: string }).message, /revoked/, show(afterDelete));

  // ---- password spraying from one source: a few guesses at many names lock the source ----
  // One failure so far (admin's wrong password); five more reach the limit of six, each at a
  // different name (none near the per-user limit of five) and with a made-up X-Forwarded-For,
  // which the server must not take as the source.
  for (const [i, name] of ["admin", "reader", "ghost", "root", "ops"].entries()) {
    const res = await fetch(`${base}/api/v1/session`, {
      method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": `203.0.113.${i + 1}` },
      body: JSON.stringify({ username: name, password: `spray-${i}` }),
    });
    assert.equal(res.status, 401, `guess ${i} is refused`);
  }
  const lockedOut = await call("POST", "/api/v1/session", { body: { username: "admin", password: adminPassword } });
  assert.equal(lockedOut.status, 401, `the right password is refused while the source is locked: ${show(lockedOut)}`);
  assert.equal((lockedOut.body as { message: string }).message, "Invalid username or password", "and says no more than a wrong one");
  await server.waitForLog((l) => l.msg === "login refused: source address is locked out after repeated failures", 10_000);
  assert.equal((await call("GET", "/api/v1/applications/be-api", { token: admin })).status, 200, "sessions already open are not affected");
});
