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
    await client.create({ apiVersion: API, kind: "AppProject", metadata: { name, namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
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

  assert.ok(!bodies.some((b) => b.includes(TEAM_A_PASSWORD) || b.includes(TEAM_B_PASSWORD)), "no response body carries a password");
});
