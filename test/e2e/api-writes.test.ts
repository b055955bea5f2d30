// The API server's writes under concurrency, on the real control plane with the operator running
// (its status writes move every app's resourceVersion on): concurrent PATCHes and PUTs of one app
// all land, each on the latest object (server-side conflict retries, as Argo's updateApp, counted
// from the server's "write conflict" debug lines so the test proves 409s really happened), while
// a patch carrying its own stale resourceVersion gets the caller's 409; the same for projects;
// a read right after a DELETE no longer shows the object (or shows the deletionTimestamp of one a
// finalizer holds); sync `infos` reach status.operationState.operation.info; create, PUT and
// PATCH validate the spec (project rules, destination cluster, repository, revision, path), the
// sources only when a write changes them or the project, validate=false skipping only the
// repository checks; a source with neither path nor chart is Argo's InvalidSpecError: on the
// controller (sync Unknown, nothing applied), from the API and in the CLI's message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { API, createWorld, IN_CLUSTER, showRun, type CliRun } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse as show } from "../support/api-session.js";
import type { Application, AppProject } from "../../operator/api/index.js";
import type { KubeObject } from "../../operator/kube/client.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: writes-cm\ndata:\n  k: v\n";

test("API server writes: conflict retries, the caller's own resourceVersion, deletes seen at once, sync infos", async (t) => {
  const w = await createWorld(t, { name: "apiwr", repos: { app: { "cm.yaml": cm } } });
  const { client, ns } = w;
  const dest = w.dest("wr");
  // Debug logs: the server logs each write conflict it retries ("write conflict"), which the tests count.
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--loglevel", "debug"] });
  const conflictsOf = (object: string): number => server.logs.filter((l) => l.msg === "write conflict" && l.object === object).length;
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  const call = jsonCaller(base);
  const token = await sessionToken(call, "admin", await initialAdminPassword(client, ns));
  const api = (method: string, path: string, body?: unknown) => call(method, path, body, token);
  const syncPolicy = { syncOptions: ["CreateNamespace=true"] };

  const created = await api("POST", "/api/v1/applications", w.application("web", { repo: "app", path: ".", dest, syncPolicy }));
  assert.equal(created.status, 200, show(created));

  await t.test("concurrent PATCHes all land, each on the latest object, after retried conflicts", async () => {
    const n = 8;
    const before = conflictsOf("Application web");
    const answers = await Promise.all(Array.from({ length: n }, (_, i) =>
      api("PATCH", "/api/v1/applications/web", { patchType: "merge", patch: JSON.stringify({ metadata: { labels: { [`writer-${i}`]: "yes" } } }) })));
    for (const r of answers) assert.equal(r.status, 200, `every patch succeeds although all read the same cached version: ${show(r)}`);
    const live = (await w.getApp("web")) as Application | undefined;
    for (let i = 0; i < n; i++) assert.equal(live?.metadata.labels?.[`writer-${i}`], "yes", `writer ${i}'s label survives the others (labels: ${JSON.stringify(live?.metadata.labels)})`);
    // All read the same cached version, so at most one could write it: the others met a 409 and
    // were re-read and written again (each such conflict is a debug line of the server's).
    const retried = await eventually(async () => {
      const c = conflictsOf("Application web") - before;
      assert.ok(c >= 1, `the server retried at least one conflict (saw ${c})`);
      return c;
    }, { timeoutMs: 10_000 });
    assert.ok(retried >= 1, `conflicts retried: ${retried}`);
  });

  await t.test("concurrent PUTs of an app read earlier all land (the body's stale resourceVersion is ignored, as Argo)", async () => {
    const read = await api("GET", "/api/v1/applications/web");
    assert.equal(read.status, 200, show(read));
    const app = read.body as Application;
    // Another writer moves the app on, so the copy read above is certainly stale.
    await client.patch({ apiVersion: API, kind: "Application", name: "web", namespace: ns }, { metadata: { annotations: { "example.com/touched": "by-someone-else" } } });
    const before = conflictsOf("Application web");
    const answers = await Promise.all([1, 2, 3, 4].map((i) =>
      api("PUT", "/api/v1/applications/web", { ...app, spec: { ...app.spec, revisionHistoryLimit: i } })));
    for (const r of answers) assert.equal(r.status, 200, `a PUT is retried on the re-read app: ${show(r)}`);
    const live = (await w.getApp("web")) as Application | undefined;
    assert.ok([1, 2, 3, 4].includes(live?.spec.revisionHistoryLimit ?? 0), `one of the PUTs is the final spec: ${JSON.stringify(live?.spec)}`);
    await eventually(async () => assert.ok(conflictsOf("Application web") - before >= 1, "at least one PUT met a conflict and was retried"), { timeoutMs: 10_000 });
    const spec = await api("PUT", "/api/v1/applications/web/spec", { ...live!.spec, revisionHistoryLimit: 7 });
    assert.equal(spec.status, 200, show(spec));
    assert.equal(((await w.getApp("web")) as Application | undefined)?.spec.revisionHistoryLimit, 7, "the spec PUT is written");
  });

  await t.test("a patch carrying a stale resourceVersion of its own is the caller's 409, nothing written", async () => {
    const before = (await w.getApp("web")) as Application;
    await client.patch({ apiVersion: API, kind: "Application", name: "web", namespace: ns }, { metadata: { labels: { bump: "1" } } });
    const r = await api("PATCH", "/api/v1/applications/web", { patchType: "merge", patch: JSON.stringify({ metadata: { resourceVersion: before.metadata.resourceVersion, labels: { optimistic: "yes" } } }) });
    assert.equal(r.status, 409, show(r));
    assert.equal((r.body as { code: number }).code, 10, "Aborted, as Kubernetes' Conflict maps");
    assert.match((r.body as { message: string }).message, /has been modified/, "the apiserver's reason is passed on");
    assert.equal(((await w.getApp("web")) as Application).metadata.labels?.optimistic, undefined, "the refused patch wrote nothing");
  });

  await t.test("projects: concurrent updates without a resourceVersion land, a stale one is 409", async () => {
    const p = await api("POST", "/api/v1/projects", { project: { metadata: { name: "team" }, spec: { sourceRepos: ["*"], destinations: [{ server: "https://kubernetes.default.svc", namespace: "*" }] } } });
    assert.equal(p.status, 200, show(p));
    const stale = p.body as AppProject;
    const answers = await Promise.all([1, 2, 3, 4].map((i) =>
      api("PUT", "/api/v1/projects/team", { project: { metadata: { name: "team" }, spec: { ...stale.spec, description: `edit ${i}` } } })));
    for (const r of answers) assert.equal(r.status, 200, `an update without a resourceVersion is retried: ${show(r)}`);
    const r = await api("PUT", "/api/v1/projects/team", { project: { metadata: { name: "team", resourceVersion: stale.metadata.resourceVersion }, spec: { ...stale.spec, description: "optimistic" } } });
    assert.equal(r.status, 409, `the caller's own stale resourceVersion is a precondition: ${show(r)}`);
    const live = await client.get<AppProject & KubeObject>(API, "AppProject", "team", ns);
    assert.match(live?.spec.description ?? "", /^edit [1-4]$/, "the refused update wrote nothing");
  });

  await t.test("sync infos are stored in the operation and shown in the operation state", async () => {
    const bad = await api("POST", "/api/v1/applications/web/sync", { infos: [{ name: "", value: "x" }] });
    assert.equal(bad.status, 400, show(bad));
    assert.equal((bad.body as { message: string }).message, "infos[0].name must be a non-empty string");
    const infos = [{ name: "reason", value: "release 1.2" }, { name: "ticket", value: "OPS-42" }];
    const r = await api("POST", "/api/v1/applications/web/sync", { infos });
    assert.equal(r.status, 200, show(r));
    assert.deepEqual((r.body as Application).operation?.info, infos, "the answer carries the operation with its infos");
    const state = await eventually(async () => {
      const s = ((await w.getApp("web")) as Application | undefined)?.status?.operationState;
      return s?.phase === "Succeeded" && s;
    }, { timeoutMs: 90_000 });
    assert.deepEqual(state.operation.info, infos, "status.operationState.operation.info holds the infos");
  });

  await t.test("create, PUT and PATCH validate the spec as Argo; validate=false skips the repository checks; a refusal writes nothing", async () => {
    await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "narrow", namespace: ns }, spec: { sourceRepos: ["https://elsewhere.example/*"], destinations: [{ server: "https://kubernetes.default.svc", namespace: "only-here" }] } });
    await eventually(async () => (await api("GET", "/api/v1/projects/narrow")).status === 200, { timeoutMs: 10_000 });
    const good = w.application("checked", { repo: "app", path: ".", dest, syncPolicy }) as unknown as Application;
    const src = good.spec.source!;
    const cases: Array<[string, Partial<Application["spec"]>, RegExp]> = [
      ["a path missing at the revision", { source: { ...src, path: "no/such/dir" } }, /spec\.source\.path: app path does not exist: no\/such\/dir/],
      ["a revision that does not resolve", { source: { ...src, targetRevision: "no-such-branch" } }, /spec\.source\.targetRevision: unable to resolve revision "no-such-branch"/],
      ["a repository that is not there", { source: { ...src, repoURL: w.git.baseUrl("no-such-repo") } }, /spec\.source\.repoURL: repository .*no-such-repo.* is not accessible/],
      ["an unregistered cluster", { destination: { server: "https://10.255.255.1:6443", namespace: dest } }, /cluster 'https:\/\/10\.255\.255\.1:6443' has not been configured/],
      ["a repository the project does not permit", { project: "narrow", destination: { server: "https://kubernetes.default.svc", namespace: "only-here" } }, /application repo .* is not permitted in project 'narrow'/],
      ["a destination the project does not permit", { project: "narrow", source: { ...src, repoURL: "https://elsewhere.example/x.git" } }, /application destination server 'https:\/\/kubernetes\.default\.svc' and namespace '[^']+' do not match any of the allowed destinations in project 'narrow'/],
    ];
    for (const [what, change, message] of cases) {
      const r = await api("POST", "/api/v1/applications", { ...good, spec: { ...good.spec, ...change } });
      assert.equal(r.status, 400, `${what}: ${show(r)}`);
      assert.equal((r.body as { code: number }).code, 3, `${what}: InvalidArgument`);
      assert.match((r.body as { message: string }).message, /^application spec for checked is invalid: InvalidSpecError: /, `${what}: Argo's wording`);
      assert.match((r.body as { message: string }).message, message, `${what}: the field and the problem are named`);
      assert.equal(await w.getApp("checked"), undefined, `${what}: nothing was written`);
    }
    const noProject = await api("POST", "/api/v1/applications?validate=false", { ...good, spec: { ...good.spec, project: "narrow" } });
    assert.equal(noProject.status, 400, `validate=false still applies the project's rules, as Argo's ValidatePermissions: ${show(noProject)}`);
    assert.match((noProject.body as { message: string }).message, /application repo .* is not permitted in project 'narrow'/);
    assert.equal(await w.getApp("checked"), undefined, "nothing was written");
    const unchecked = await api("POST", "/api/v1/applications?validate=false", { ...good, spec: { ...good.spec, source: { ...src, path: "no/such/dir" } } });
    assert.equal(unchecked.status, 200, `validate=false writes the spec unchecked: ${show(unchecked)}`);
    const fixed = await api("PUT", "/api/v1/applications/checked", { ...good, spec: { ...good.spec, source: { ...src, path: "." } } });
    assert.equal(fixed.status, 200, `a valid PUT: ${show(fixed)}`);
    const badPut = await api("PUT", "/api/v1/applications/checked", { ...good, spec: { ...good.spec, source: { ...src, path: "gone" } } });
    assert.equal(badPut.status, 400, show(badPut));
    assert.match((badPut.body as { message: string }).message, /spec\.source\.path: app path does not exist: gone/, "the PUT names the field");
    const badPatch = await api("PATCH", "/api/v1/applications/checked", { patchType: "merge", patch: JSON.stringify({ spec: { source: { targetRevision: "no-such-branch" } } }) });
    assert.equal(badPatch.status, 400, show(badPatch));
    const badSpec = await api("PUT", "/api/v1/applications/checked/spec", { ...good.spec, source: { ...src, path: "gone" } });
    assert.equal(badSpec.status, 400, show(badSpec));
    assert.equal(((await w.getApp("checked")) as Application).spec.source?.path, ".", "the refused writes left the app as the valid PUT wrote it");
    const unchecked2 = await api("PUT", "/api/v1/applications/checked?validate=false", { ...good, spec: { ...good.spec, source: { ...src, path: "gone" } } });
    assert.equal(unchecked2.status, 200, `PUT with validate=false: ${show(unchecked2)}`);
    // The stored sources are not checked again when a write leaves them and the project as they
    // are (no repository I/O for a label or destination edit); the rest of the spec still is.
    const labelOnly = await api("PATCH", "/api/v1/applications/checked", { patchType: "merge", patch: JSON.stringify({ metadata: { labels: { edited: "yes" } } }) });
    assert.equal(labelOnly.status, 200, `a patch that keeps the sources is not refused for them: ${show(labelOnly)}`);
    const badDest = await api("PATCH", "/api/v1/applications/checked", { patchType: "merge", patch: JSON.stringify({ spec: { destination: { server: "https://10.255.255.1:6443", namespace: dest } } }) });
    assert.equal(badDest.status, 400, `the destination is still validated: ${show(badDest)}`);
    assert.match((badDest.body as { message: string }).message, /cluster 'https:\/\/10\.255\.255\.1:6443' has not been configured/);
    assert.doesNotMatch((badDest.body as { message: string }).message, /app path does not exist/, "the unchanged source is not re-checked");
    const movedPath = await api("PATCH", "/api/v1/applications/checked", { patchType: "merge", patch: JSON.stringify({ spec: { source: { path: "still-gone" } } }) });
    assert.equal(movedPath.status, 400, `a changed source is checked: ${show(movedPath)}`);
    assert.match((movedPath.body as { message: string }).message, /spec\.source\.path: app path does not exist: still-gone/);
    assert.equal((await api("DELETE", "/api/v1/applications/checked?cascade=false")).status, 200, "clean-up");
  });

  await t.test("a source with neither path nor chart: InvalidSpecError on the app (sync Unknown, nothing applied), refused by the API and the CLI", async () => {
    const single = "spec.source.repoURL and either spec.source.path or spec.source.chart are required";
    // Written past the API server, as kubectl would: the controller reports it. The repository's
    // root holds writes-cm; automated sync with CreateNamespace would create the namespace and it.
    const target = w.dest("nopath");
    const raw = w.application("nopath", { repo: "app", path: "", dest: target, syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] } });
    await client.create(raw);
    const status = await eventually(async () => {
      const st = ((await w.getApp("nopath")) as Application | undefined)?.status;
      assert.deepEqual(st?.conditions?.map((c) => [c.type, c.message]), [["InvalidSpecError", single]], `the condition: ${JSON.stringify(st)}`);
      assert.equal(st?.sync?.status, "Unknown", `sync status: ${JSON.stringify(st?.sync)}`);
      return st;
    }, { timeoutMs: 60_000 });
    assert.equal(status?.operationState, undefined, "no sync was started");
    assert.equal(await client.get("v1", "Namespace", target), undefined, "nothing was applied: not even the namespace CreateNamespace would make");
    const viaApi = await api("GET", "/api/v1/applications/nopath");
    assert.equal(viaApi.status, 200, show(viaApi));
    assert.deepEqual((viaApi.body as Application).status?.conditions?.map((c) => c.message), [single], "the API shows the condition");
    // The same source at "." (the repository root) is valid: the app then syncs that root.
    await client.patch({ apiVersion: API, kind: "Application", name: "nopath", namespace: ns }, { spec: { source: { path: "." } } });
    await eventually(async () => {
      const st = ((await w.getApp("nopath")) as Application | undefined)?.status;
      assert.equal(st?.conditions, undefined, `the condition clears: ${JSON.stringify(st?.conditions)}`);
      assert.equal(st?.sync?.status, "Synced", `synced: ${JSON.stringify(st?.sync)}`);
      assert.ok(await client.get("v1", "ConfigMap", "writes-cm", target), "the root's ConfigMap is applied");
    }, { timeoutMs: 90_000 });
    assert.equal((await api("DELETE", "/api/v1/applications/nopath?cascade=false")).status, 200, "clean-up");

    // The API server refuses it on create and update, validate=false or not, naming the field.
    const good = w.application("shapeless", { repo: "app", path: ".", dest }) as unknown as Application;
    const src = good.spec.source!;
    const { path: _path, ...noPath } = src;
    const cases: Array<[string, string, Partial<Application["spec"]>, string]> = [
      ["no path", "", { source: noPath }, single],
      ["an empty path", "", { source: { ...src, path: "" } }, single],
      ["an empty path, validate=false", "?validate=false", { source: { ...src, path: "" } }, single],
      ["a multi-source app's source with nothing to render", "", { source: undefined, sources: [src, { ...noPath, targetRevision: "HEAD" }] },
        "spec.sources[1].repoURL and either spec.sources[1].path, spec.sources[1].chart, or spec.sources[1].ref are required"],
    ];
    for (const [what, query, change, message] of cases) {
      const r = await api("POST", `/api/v1/applications${query}`, { ...good, spec: { ...good.spec, ...change } });
      assert.equal(r.status, 400, `${what}: ${show(r)}`);
      assert.equal((r.body as { message: string }).message, `application spec for shapeless is invalid: InvalidSpecError: ${message}`, `${what}: Argo's wording, the field named`);
      assert.equal(await w.getApp("shapeless"), undefined, `${what}: nothing was written`);
    }
    const multiRef = await api("POST", "/api/v1/applications", { ...good, spec: { ...good.spec, source: undefined, sources: [src, { ...noPath, ref: "values" }] } });
    assert.equal(multiRef.status, 200, `a ref-only source of a multi-source app is valid: ${show(multiRef)}`);
    const put = await api("PUT", "/api/v1/applications/shapeless/spec", { ...good.spec, source: { ...src, path: "" } });
    assert.equal(put.status, 400, `an update to an empty path is refused: ${show(put)}`);
    assert.equal(((await w.getApp("shapeless")) as Application).spec.sources?.length, 2, "the refused update wrote nothing");
    assert.equal((await api("DELETE", "/api/v1/applications/shapeless?cascade=false")).status, 200, "clean-up");

    // The CLI, as argocd's: `app create` without --path is refused by the server, its message printed.
    const dir = await mkdtemp(join(tmpdir(), "hawser-nopath-"));
    try {
      const cli = await new Promise<CliRun>((resolve) => {
        execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", "app", "create", "from-cli", "--repo", src.repoURL, "--dest-server", IN_CLUSTER, "--dest-namespace", dest, "--server", base.replace(/^http:\/\//, ""), "--plaintext"],
          // The token in the environment: not on a command line.
          { cwd: root, encoding: "utf8", env: { ...process.env, HAWSER_CONFIG: join(dir, "config"), HAWSER_AUTH_TOKEN: token, ARGOCD_AUTH_TOKEN: "" } },
          (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
      });
      assert.equal(cli.code, 2, showRun(cli));
      assert.equal(cli.stderr, `hawser app create: application spec for from-cli is invalid: InvalidSpecError: ${single}\n`, showRun(cli));
      assert.equal(await w.getApp("from-cli"), undefined, "nothing was written");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  await t.test("a read right after a DELETE no longer shows the object, or shows its deletionTimestamp", async () => {
    for (const name of ["gone", "held"]) {
      const r = await api("POST", "/api/v1/applications", w.application(name, { repo: "app", path: ".", dest, metadata: name === "held" ? { finalizers: ["example.com/hold"] } : {} }));
      assert.equal(r.status, 200, show(r));
    }
    const del = await api("DELETE", "/api/v1/applications/gone?cascade=false");
    assert.equal(del.status, 200, show(del));
    const get = await api("GET", "/api/v1/applications/gone?project=default");
    assert.equal(get.status, 404, `the deleted app is not found right away: ${show(get)}`);
    const list = await api("GET", "/api/v1/applications?fields=items.metadata.name");
    assert.ok(!(list.body as { items: Application[] }).items.some((a) => a.metadata.name === "gone"), `the list right after the delete lacks it: ${show(list)}`);

    const delHeld = await api("DELETE", "/api/v1/applications/held?cascade=false");
    assert.equal(delHeld.status, 200, show(delHeld));
    const held = await api("GET", "/api/v1/applications/held");
    assert.equal(held.status, 200, show(held));
    assert.ok((held.body as Application).metadata.deletionTimestamp, `a finalizer-held app shows its deletionTimestamp at once: ${show(held)}`);
    await client.patch({ apiVersion: API, kind: "Application", name: "held", namespace: ns }, { metadata: { finalizers: null } });

    const delProj = await api("DELETE", "/api/v1/projects/team");
    assert.equal(delProj.status, 200, show(delProj));
    const proj = await api("GET", "/api/v1/projects/team");
    assert.equal(proj.status, 404, `the deleted project is gone right away: ${show(proj)}`);
  });
});
