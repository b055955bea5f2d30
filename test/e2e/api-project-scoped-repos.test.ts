// Project-scoped repository Secrets in the API server, attacked through the real server on the
// real control plane with a git server that demands a password. Project team-a's Secret holds
// the right password; team-b's Secret for the same repository a wrong one. Requests naming
// team-a (refs, apps, appdetails, an app's manifests, the connection state) are served with
// team-a's credentials; requests naming team-b, or no project, are refused, and the git server
// never sees team-a's user on their behalf, even after team-a's clone is in the server's cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import { API, IN_CLUSTER, createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse as show } from "../support/api-session.js";
import { startServerProcess } from "../support/operator-process.js";

const TEAM_A_PASSWORD = "team-a-git-password-do-not-leak-1";
const TEAM_B_PASSWORD = "team-b-wrong-password-do-not-leak-2";
const CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scoped-cm\ndata:\n  k: v\n";

test("API server: a project-scoped repository Secret serves its project's requests only; another project's request never gets its credentials", async (t) => {
  const w = await createWorld(t, { name: "scopedrepo", startOperator: false });
  const { client, ns } = w;
  await w.git.createRepo("private", { "app/cm.yaml": CM }, { auth: { username: "alice", password: TEAM_A_PASSWORD } });
  const url = w.git.baseUrl("private");
  for (const name of ["team-a", "team-b"]) {
    // team-b's role may manage team-b's repositories only (for the API create/delete attacks).
    const roles = name === "team-b" ? { roles: [{ name: "repos", policies: ["get", "create", "update", "delete"].map((a) => `p, proj:team-b:repos, repositories, ${a}, team-b/*, allow`) }] } : {};
    await client.create({ apiVersion: API, kind: "AppProject", metadata: { name, namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], ...roles } });
  }
  const repoSecret = (name: string, project: string, username: string, password: string) => client.create({
    apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns, labels: { "argocd.argoproj.io/secret-type": "repository" } },
    stringData: { url, project, username, password },
  });
  await repoSecret("repo-team-a", "team-a", "alice", TEAM_A_PASSWORD);
  await repoSecret("repo-team-b", "team-b", "bob", TEAM_B_PASSWORD);
  const dest = w.dest("scoped");
  for (const [name, project] of [["a-app", "team-a"], ["b-app", "team-b"]] as const) {
    await client.create({ apiVersion: API, kind: "Application", metadata: { name, namespace: ns }, spec: { project, source: { repoURL: url, path: "app", targetRevision: "HEAD" }, destination: { server: IN_CLUSTER, namespace: dest } } });
  }

  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const bodies: string[] = [];
  const call = jsonCaller(await server.url(), { onText: (text) => bodies.push(text) });
  const token = await sessionToken(call, "admin", await initialAdminPassword(client, ns));
  const api = (method: string, path: string, body?: unknown) => call(method, path, body, token);
  const enc = encodeURIComponent;
  const refs = (project?: string) => api("GET", `/api/v1/repositories/${enc(url)}/refs${project ? `?appProject=${project}` : ""}`);
  const apps = (project: string) => api("GET", `/api/v1/repositories/${enc(url)}/apps?appProject=${project}`);
  const details = (project: string) => api("POST", `/api/v1/repositories/${enc(url)}/appdetails`, { source: { repoURL: url, path: "app", targetRevision: "HEAD" }, appProject: project });
  const manifests = (app: string) => api("GET", `/api/v1/applications/${app}/manifests`);

  await t.test("team-a's requests are served with team-a's Secret", async () => {
    // The server's cache must hold the Secrets first.
    const r = await eventually(async () => {
      const res = await refs("team-a");
      assert.equal(res.status, 200, show(res));
      return res;
    }, { timeoutMs: 30_000 });
    assert.deepEqual(r.body, { branches: ["main"] }, show(r));
    const a = await apps("team-a");
    assert.equal(a.status, 200, show(a));
    assert.deepEqual((a.body as { items: unknown[] }).items, [{ path: "app", type: "Directory" }], show(a));
    const d = await details("team-a");
    assert.equal(d.status, 200, show(d));
    assert.deepEqual(d.body, { type: "Directory", directory: {} }, show(d));
    const m = await eventually(async () => {
      const res = await manifests("a-app");
      assert.equal(res.status, 200, show(res));
      return res;
    }, { timeoutMs: 30_000 });
    assert.ok(((m.body as { manifests?: string[] }).manifests ?? []).some((x) => x.includes("scoped-cm")), `the app's manifest came from the private repository: ${show(m)}`);
    assert.ok(w.git.requests.some((q) => q.repo === "private" && q.user === "alice"), "team-a's credentials were accepted by the git server");
  });

  await t.test("team-b's requests (and ones naming no project) never get team-a's credentials, though team-a's clone is cached", async () => {
    const mark = w.git.requests.length;
    for (const [what, res] of [
      ["refs of team-b", await refs("team-b")],
      ["refs without a project", await refs()],
      ["apps of team-b", await apps("team-b")],
      ["appdetails of team-b", await details("team-b")],
      ["manifests of team-b's app", await manifests("b-app")],
    ] as const) {
      assert.ok(res.status >= 400 && res.status < 600, `${what} is refused: ${show(res)}`);
    }
    const after = w.git.requests.slice(mark).filter((q) => q.repo === "private");
    assert.ok(after.length > 0, "the server did ask the git server (so the refusals are the git server's, not a short cut)");
    // The git server records the user only for a request whose credentials it accepted.
    assert.deepEqual(after.filter((q) => q.user === "alice"), [], "team-a's credentials were never sent for them");
    assert.deepEqual(after.filter((q) => q.status !== 401), [], "every one of their requests was refused by the git server");
  });

  await t.test("the connection state is probed per Secret with that Secret's credentials", async () => {
    const list = await api("GET", "/api/v1/repositories");
    assert.equal(list.status, 200, show(list));
    const states = Object.fromEntries((list.body as { items: Array<{ repo: string; project?: string; connectionState?: { status?: string } }> }).items
      .filter((i) => i.repo === url).map((i) => [i.project ?? "", i.connectionState?.status]));
    assert.deepEqual(states, { "team-a": "Successful", "team-b": "Failed" }, show(list));
  });

  await t.test("appdetails naming team-a's app reads only the app's own sources with team-a's credentials", async () => {
    const asApp = (source: Record<string, unknown>) => api("POST", `/api/v1/repositories/${enc(url)}/appdetails`, { source, appName: "a-app", appProject: "team-a" });
    const own = await eventually(async () => {
      const res = await asApp({ repoURL: url, path: "app", targetRevision: "HEAD" });
      assert.equal(res.status, 200, show(res));
      return res;
    }, { timeoutMs: 30_000 });
    assert.deepEqual(own.body, { type: "Directory", directory: {} }, show(own));
    // Attacks: `applications, get` on the app is no licence to read other paths or revisions of the repository.
    const mark = w.git.requests.length;
    for (const source of [{ repoURL: url, path: ".", targetRevision: "HEAD" }, { repoURL: url, path: "app", targetRevision: "main" }, { repoURL: url, path: "app", targetRevision: "HEAD", directory: { recurse: true } }]) {
      const res = await asApp(source);
      assert.equal(res.status, 403, `${JSON.stringify(source)}: ${show(res)}`);
      assert.match((res.body as { message?: string }).message ?? "", /source is neither a source of application a-app nor in its history/, show(res));
    }
    assert.deepEqual(w.git.requests.slice(mark).filter((q) => q.repo === "private"), [], "refused before git was asked");
  });

  await t.test("the API registers one URL once unscoped and once per project; get, list and delete name the project", async () => {
    const u = w.git.baseUrl("registered-thrice");
    const create = (body: Record<string, unknown>, as = token) => call("POST", "/api/v1/repositories", body, as);
    const secretsOf = async (): Promise<Record<string, string>> => Object.fromEntries((await client.list("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=repository" })).items
      .map((s) => ({ name: s.metadata.name ?? "", data: Object.fromEntries(Object.entries((s as { data?: Record<string, string> }).data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()])) }))
      .filter((s) => s.data.url === u).map((s) => [s.data.project ?? "", `${s.name} ${s.data.username}`]));
    for (const project of ["team-a", "team-b", ""]) {
      const res = await create({ repo: u, username: `user-${project || "unscoped"}`, password: `pw-${project || "unscoped"}-do-not-leak`, ...(project ? { project } : {}) });
      assert.equal(res.status, 200, `${project || "unscoped"}: ${show(res)}`);
    }
    const again = await create({ repo: u, project: "team-a", username: "intruder", password: "intruder-pw" });
    assert.equal(again.status, 400, `a second team-a registration without upsert is refused: ${show(again)}`);
    const stored = await secretsOf();
    assert.deepEqual(Object.keys(stored).sort(), ["", "team-a", "team-b"], JSON.stringify(stored));
    assert.equal(new Set(Object.values(stored).map((v) => v.split(" ")[0])).size, 3, `three Secrets of their own: ${JSON.stringify(stored)}`);
    assert.match(stored["team-a"]!, / user-team-a$/, "the refused create changed nothing");

    const list = await api("GET", `/api/v1/repositories?repo=${enc(u)}`);
    assert.deepEqual((list.body as { items: Array<{ project?: string }> }).items.map((i) => i.project ?? "").sort(), ["", "team-a", "team-b"], show(list));
    const listA = await api("GET", `/api/v1/repositories?repo=${enc(u)}&appProject=team-a`);
    assert.deepEqual((listA.body as { items: Array<{ project?: string; username?: string }> }).items.map((i) => [i.project, i.username]), [["team-a", "user-team-a"]], show(listA));
    const get = async (query: string) => {
      const res = await api("GET", `/api/v1/repositories/${enc(u)}${query}`);
      assert.equal(res.status, 200, show(res));
      return (res.body as { username?: string }).username;
    };
    assert.equal(await get("?appProject=team-b"), "user-team-b");
    assert.equal(await get("?appProject=team-c"), "user-unscoped", "a project without its own gets the unscoped one");
    assert.equal(await get(""), "user-unscoped");

    // team-b's role manages team-b's repositories, nothing else.
    const role = await api("POST", "/api/v1/projects/team-b/roles/repos/token", { expiresIn: 3600 });
    assert.equal(role.status, 200, show(role));
    const teamB = (role.body as { token: string }).token;
    // appdetails reveals what a repository holds: as Argo, a request for no existing app also needs
    // applications get and create in the project, which team-b's repository role does not have.
    const details = await call("POST", `/api/v1/repositories/${enc(u)}/appdetails`, { source: { repoURL: u, path: "app", targetRevision: "HEAD" }, appProject: "team-b" }, teamB);
    assert.equal(details.status, 403, `appdetails needs applications get and create: ${show(details)}`);
    assert.match(JSON.stringify(details.body), /applications/, show(details));
    const newApp = await call("POST", `/api/v1/repositories/${enc(u)}/appdetails`, { source: { repoURL: u, path: "app", targetRevision: "HEAD" }, appName: "not-yet", appProject: "team-b" }, teamB);
    assert.equal(newApp.status, 403, `appdetails for an app not yet created needs applications create: ${show(newApp)}`);
    const del = (query: string, as: string) => call("DELETE", `/api/v1/repositories/${enc(u)}${query}`, undefined, as);
    for (const [what, res] of [
      ["delete team-a's", await del("?appProject=team-a", teamB)],
      ["delete the unscoped one", await del("", teamB)],
      ["create in team-a", await create({ repo: u, project: "team-a", username: "x", password: "y" }, teamB)],
      ["upsert team-a's", await call("POST", "/api/v1/repositories?upsert=true", { repo: u, project: "team-a", username: "x", password: "y" }, teamB)],
    ] as const) {
      assert.equal(res.status, 403, `team-b's role may not ${what}: ${show(res)}`);
    }
    assert.deepEqual(await secretsOf(), stored, "the refused requests changed nothing");
    const ownDelete = await del("?appProject=team-b", teamB);
    assert.equal(ownDelete.status, 200, show(ownDelete));
    const afterB = await secretsOf();
    assert.deepEqual(Object.keys(afterB).sort(), ["", "team-a"], "only team-b's Secret went");
    const adminDelete = await del("?appProject=team-a", token);
    assert.equal(adminDelete.status, 200, show(adminDelete));
    assert.deepEqual(await secretsOf(), { "": stored[""] }, "only team-a's Secret went; the unscoped one stays");
    // A delete naming a project without a registration of its own does not fall back to the unscoped one.
    const noOwn = await del("?appProject=team-c", token);
    assert.equal(noOwn.status, 404, show(noOwn));
    assert.match((noOwn.body as { message?: string }).message ?? "", /not found in project team-c; it is registered unscoped/, show(noOwn));
    assert.deepEqual(await secretsOf(), { "": stored[""] }, "the unscoped Secret stays");
  });

  await t.test("repo-creds: a delete without a project never removes a project's template; it says which projects hold it", async () => {
    const prefix = w.git.baseUrl("creds-scoped-only");
    const credsOf = async (): Promise<string[]> => (await client.list("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=repo-creds" })).items
      .map((s) => Object.fromEntries(Object.entries((s as { data?: Record<string, string> }).data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()])))
      .filter((d) => d.url === prefix).map((d) => d.project ?? "").sort();
    for (const project of ["team-a", "team-b"]) {
      const res = await api("POST", "/api/v1/repocreds", { url: prefix, project, username: `u-${project}`, password: `pw-${project}-do-not-leak` });
      assert.equal(res.status, 200, show(res));
    }
    const delCreds = (query: string, as = token) => call("DELETE", `/api/v1/repocreds/${enc(prefix)}${query}`, undefined, as);
    const ambiguous = await delCreds("");
    assert.equal(ambiguous.status, 404, show(ambiguous));
    assert.match((ambiguous.body as { message?: string }).message ?? "", /not found unscoped; it is registered in projects team-a, team-b \(name one with appProject=team-a/, show(ambiguous));
    assert.deepEqual(await credsOf(), ["team-a", "team-b"], "nothing was deleted");
    assert.equal((await delCreds("?appProject=team-a")).status, 200);
    assert.deepEqual(await credsOf(), ["team-b"], "only team-a's template went");
    // One project's template left: still not the one a project-less delete removes.
    const single = await delCreds("");
    assert.equal(single.status, 404, show(single));
    assert.match((single.body as { message?: string }).message ?? "", /registered in project team-b /, show(single));
    assert.deepEqual(await credsOf(), ["team-b"], "team-b's template stays");
    // A caller who may not see team-a's registration is not told of it.
    const role = await api("POST", "/api/v1/projects/team-b/roles/repos/token", { expiresIn: 3600 });
    assert.equal(role.status, 200, show(role));
    assert.equal((await api("POST", "/api/v1/repocreds", { url: prefix, project: "team-a", username: "u-team-a", password: "pw-team-a-do-not-leak" })).status, 200);
    const teamB = (role.body as { token: string }).token;
    const asB = await delCreds("?appProject=team-c", teamB);
    assert.equal(asB.status, 403, `team-b's role may not delete in team-c: ${show(asB)}`);
    assert.equal((await delCreds("?appProject=team-b", teamB)).status, 200, "team-b deletes its own");
    assert.deepEqual(await credsOf(), ["team-a"]);
    const gone = await delCreds("?appProject=team-b", teamB);
    assert.equal(gone.status, 404, show(gone));
    assert.equal((gone.body as { message?: string }).message, `repository credentials '${prefix}' not found in project team-b`, `team-a's registration is not named to team-b: ${show(gone)}`);
    assert.deepEqual(await credsOf(), ["team-a"]);
    // An update naming no project finds the URL's one registration, team-a's: it stays team-a's,
    // not made everyone's by a body that left `project` out.
    const put = await api("PUT", `/api/v1/repocreds/${enc(prefix)}`, { url: prefix, username: "u-team-a-2", password: "pw-team-a-2-do-not-leak" });
    assert.equal(put.status, 200, show(put));
    assert.equal((put.body as { project?: string }).project, "team-a", show(put));
    assert.deepEqual(await credsOf(), ["team-a"], "still team-a's, not unscoped");
  });

  assert.ok(!bodies.some((b) => b.includes(TEAM_A_PASSWORD) || b.includes(TEAM_B_PASSWORD) || b.includes("do-not-leak")), "no response body carries a password");
});
