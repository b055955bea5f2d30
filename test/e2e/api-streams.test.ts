// The API server's tree and ApplicationSet streams, server-side diff and per-source sync, through
// the real server on the real control plane with the operator running:
// - the tree stream sends a new tree when the app's Deployment is deleted with kubectl and again
//   when the controller (self-heal) recreates it; a caller who may not get the app gets 403 and
//   no tree;
// - the ApplicationSet stream shows ADDED then MODIFIED for a set the caller may see, and never
//   a set it may not; the set's resource tree lists the Application it generated;
// - server-side-diff reports the hand-edited ConfigMap of an out-of-sync app, and nothing when
//   the given targetManifests are what is live;
// - a multi-source sync with per-source revisions lands each source at its own revision.
import { test } from "node:test";
import assert from "node:assert/strict";
import { API, createWorld, IN_CLUSTER } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { kubectl } from "../support/kubectl.js";
import { startServerProcess } from "../support/operator-process.js";
import type { Application } from "../../operator/api/index.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse, type JsonResponse } from "../support/api-session.js";

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
const configMap = (name: string, v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: ${v}\n`;

interface TreeNode { kind: string; name: string; uid?: string; parentRefs?: Array<{ kind: string }> }
type Res = JsonResponse;

/** An open NDJSON stream: the messages so far, and whether it ended. */
interface Stream { status: number; messages: Array<Record<string, unknown>>; ended: boolean; close(): void }

test("API streams: tree watch, ApplicationSet watch and tree, server-side diff, per-source sync", async (t) => {
  const w = await createWorld(t, {
    name: "streams",
    repos: { web: { "deploy.yaml": deployment }, a: { "cm.yaml": configMap("cm-a", "main") }, b: { "cm.yaml": configMap("cm-b", "main") } },
  });
  const { client, ns, git } = w;
  // A project whose role may see only the project's apps and sets.
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "other", namespace: ns },
    spec: {
      sourceRepos: ["*"], destinations: [{ server: IN_CLUSTER, namespace: "*" }],
      roles: [{ name: "viewer", policies: ["p, proj:other:viewer, applications, get, other/*, allow", "p, proj:other:viewer, applicationsets, get, other/*, allow"] }],
    },
  });
  const webDest = w.dest("web");
  await client.create(w.application("web", { repo: "web", path: ".", dest: webDest, syncPolicy: { automated: { selfHeal: true }, syncOptions: ["CreateNamespace=true"] } }));

  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  const password = await initialAdminPassword(client, ns);
  const call = jsonCaller(base);
  const admin = await sessionToken(call, "admin", password);
  const api = (method: string, path: string, body?: unknown): Promise<Res> => call(method, path, body, admin);
  const show = showResponse;
  const roleToken = await api("POST", "/api/v1/projects/other/roles/viewer/token", { expiresIn: 3600 });
  assert.equal(roleToken.status, 200, show(roleToken));
  const viewer = (roleToken.body as { token: string }).token;

  const openStream = async (path: string, token: string): Promise<Stream> => {
    const abort = new AbortController();
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    const stream: Stream = { status: res.status, messages: [], ended: false, close: () => abort.abort() };
    t.after(() => abort.abort());
    void (async () => {
      const reader = res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
      const decoder = new TextDecoder();
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let i: number;
          while ((i = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, i).trim();
            buffer = buffer.slice(i + 1);
            if (line) stream.messages.push(JSON.parse(line) as Record<string, unknown>);
          }
        }
      } catch { /* aborted by the test */ }
      stream.ended = true;
    })();
    return stream;
  };

  // ---- the tree stream follows a kubectl delete and the self-heal ----
  await eventually(async () => {
    const a = await client.get<Application>(API, "Application", "web", ns);
    assert.equal(a?.status?.sync?.status, "Synced", "web synced");
    assert.ok(a?.status?.resources?.some((r) => r.kind === "Deployment"), "the Deployment is in the status");
  }, { timeoutMs: 120_000 });
  const trees = await openStream("/api/v1/stream/applications/web/resource-tree", admin);
  assert.equal(trees.status, 200);
  const treeOf = (m: Record<string, unknown>): TreeNode[] => ((m.result as { nodes?: TreeNode[] } | undefined)?.nodes ?? []);
  const deploymentUid = (m: Record<string, unknown>): string | undefined => treeOf(m).find((n) => n.kind === "Deployment")?.uid;
  const first = await eventually(() => {
    const m = trees.messages.find((x) => deploymentUid(x) !== undefined && treeOf(x).some((n) => n.kind === "ReplicaSet"));
    assert.ok(m, `a tree with the Deployment and its ReplicaSet: ${JSON.stringify(trees.messages).slice(0, 800)}`);
    return m;
  }, { timeoutMs: 60_000 });
  const oldUid = deploymentUid(first)!;
  const seenBeforeDelete = trees.messages.length;
  await kubectl(w.cluster.kubeconfigPath, ["delete", "deployment", "web", "-n", webDest, "--wait=false"]);
  const goneAt = await eventually(() => {
    const i = trees.messages.findIndex((m, idx) => idx >= seenBeforeDelete && deploymentUid(m) !== oldUid);
    assert.ok(i >= 0, `a tree without the deleted Deployment (${trees.messages.length} messages)`);
    return i + 1;
  }, { timeoutMs: 60_000 });
  const recreated = await eventually(() => {
    const m = trees.messages.slice(goneAt - 1).find((x) => deploymentUid(x) !== undefined && deploymentUid(x) !== oldUid);
    assert.ok(m, `a tree with the recreated Deployment: last ${JSON.stringify(trees.messages.at(-1)).slice(0, 600)}`);
    return m;
  }, { timeoutMs: 180_000 });
  assert.notEqual(deploymentUid(recreated), oldUid, "the controller recreated the Deployment (a new uid)");
  trees.close();

  // A caller who may not get the app: 403 with the stream's error object, and no tree.
  const refused = await openStream("/api/v1/stream/applications/web/resource-tree", viewer);
  await eventually(() => assert.ok(refused.ended, "the refused stream ends"), { timeoutMs: 30_000 });
  assert.equal(refused.status, 403);
  assert.equal(refused.messages.length, 1, JSON.stringify(refused.messages));
  assert.equal((refused.messages[0]!.error as { http_code: number }).http_code, 403);
  assert.ok(!JSON.stringify(refused.messages).includes("Deployment"), "no tree reaches the refused caller");

  // ---- the ApplicationSet stream: ADDED then MODIFIED, never a set the caller may not see ----
  const sets = await openStream("/api/v1/stream/applicationsets", viewer);
  const genDest = w.dest("gen");
  const appSet = (name: string, project: string, elements: Array<Record<string, string>>): KubeObject => ({
    apiVersion: API, kind: "ApplicationSet", metadata: { name, namespace: ns },
    spec: {
      generators: [{ list: { elements } }],
      template: { metadata: { name: `${name}-{{env}}` }, spec: { project, source: { repoURL: git.baseUrl("a"), path: ".", targetRevision: "HEAD" }, destination: { server: IN_CLUSTER, namespace: genDest } } },
    },
  });
  await client.create(appSet("hidden", "default", [{ env: "x" }]));
  await client.create(appSet("visible", "other", [{ env: "y" }]));
  const setEvents = (): Array<{ type: string; name: string; labels?: Record<string, string> }> => sets.messages.map((m) => {
    const r = m.result as { type: string; applicationSet: { metadata: { name: string; labels?: Record<string, string> } } };
    return { type: r.type, name: r.applicationSet.metadata.name, ...(r.applicationSet.metadata.labels ? { labels: r.applicationSet.metadata.labels } : {}) };
  });
  await eventually(() => assert.ok(setEvents().some((e) => e.type === "ADDED" && e.name === "visible"), `ADDED visible: ${JSON.stringify(setEvents())}`), { timeoutMs: 30_000 });
  // The hidden set changes first; the visible one's change arrives after it on the same watch.
  await client.patch({ apiVersion: API, kind: "ApplicationSet", name: "hidden", namespace: ns }, { metadata: { labels: { touched: "yes" } } });
  await client.patch({ apiVersion: API, kind: "ApplicationSet", name: "visible", namespace: ns }, { metadata: { labels: { touched: "yes" } } });
  await eventually(() => assert.ok(setEvents().some((e) => e.type === "MODIFIED" && e.name === "visible" && e.labels?.touched === "yes"), `MODIFIED visible: ${JSON.stringify(setEvents())}`), { timeoutMs: 30_000 });
  assert.ok(setEvents().every((e) => e.name === "visible"), `only the visible set reaches the viewer: ${JSON.stringify(setEvents())}`);
  const addedAt = setEvents().findIndex((e) => e.type === "ADDED");
  const modifiedAt = setEvents().findIndex((e) => e.type === "MODIFIED");
  assert.ok(addedAt >= 0 && addedAt < modifiedAt, "ADDED comes before MODIFIED");
  sets.close();

  // The set's tree: the Application it generated, under the set.
  const setTree = await eventually(async () => {
    const r = await api("GET", "/api/v1/applicationsets/visible/resource-tree");
    assert.equal(r.status, 200, show(r));
    const nodes = (r.body as { nodes?: TreeNode[] }).nodes ?? [];
    assert.ok(nodes.some((n) => n.kind === "Application" && n.name === "visible-y"), show(r));
    return nodes;
  }, { timeoutMs: 60_000 });
  assert.equal(setTree.find((n) => n.name === "visible-y")?.parentRefs?.[0]?.kind, "ApplicationSet");
  const hiddenTree = await call("GET", "/api/v1/applicationsets/hidden/resource-tree", undefined, viewer);
  assert.equal(hiddenTree.status, 403, `the viewer may not see the hidden set's tree: ${show(hiddenTree)}`);

  // ---- server-side diff of an out-of-sync app ----
  const driftDest = w.dest("drift");
  await client.create(w.application("drift", { repo: "a", path: ".", dest: driftDest, syncPolicy: { syncOptions: ["CreateNamespace=true"] } }));
  await eventually(async () => assert.ok((await client.get<Application>(API, "Application", "drift", ns))?.status?.sync?.status, "compared"), { timeoutMs: 90_000 });
  const synced = await api("POST", "/api/v1/applications/drift/sync", {});
  assert.equal(synced.status, 200, show(synced));
  await eventually(async () => assert.equal((await client.get<Application>(API, "Application", "drift", ns))?.status?.operationState?.phase, "Succeeded"), { timeoutMs: 90_000 });
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "cm-a", namespace: driftDest }, { data: { v: "edited" } });
  const ssd = await api("GET", "/api/v1/applications/drift/server-side-diff");
  assert.equal(ssd.status, 200, show(ssd));
  const ssdBody = ssd.body as { items: Array<Record<string, unknown>>; modified?: boolean };
  assert.equal(ssdBody.modified, true, show(ssd));
  const cm = ssdBody.items.find((i) => i.kind === "ConfigMap" && i.name === "cm-a");
  assert.ok(cm && cm.modified === true, `the ConfigMap is modified: ${show(ssd)}`);
  assert.equal((JSON.parse(String(cm.predictedLiveState)) as { data: { v: string } }).data.v, "main", "the apiserver's dry run predicts git's value");
  assert.equal((JSON.parse(String(cm.normalizedLiveState)) as { data: { v: string } }).data.v, "edited", "live holds the edit");
  const asLive = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm-a", namespace: driftDest }, data: { v: "edited" } });
  const same = await api("GET", `/api/v1/applications/drift/server-side-diff?targetManifests=${encodeURIComponent(asLive)}`);
  assert.equal(same.status, 200, show(same));
  assert.equal((same.body as { modified?: boolean }).modified, undefined, `the given target equals live: nothing modified: ${show(same)}`);
  const ssdRefused = await call("GET", "/api/v1/applications/drift/server-side-diff", undefined, viewer);
  assert.equal(ssdRefused.status, 403, show(ssdRefused));

  // ---- a multi-source sync with per-source revisions ----
  const release = await git.commitFiles("a", { "cm.yaml": configMap("cm-a", "release") }, "release", { branch: "release" });
  const next = await git.commitFiles("b", { "cm.yaml": configMap("cm-b", "v2") }, "v2", { branch: "next" });
  const v2 = await git.tag("b", "v2", next);
  const multiDest = w.dest("multi");
  await client.create({
    apiVersion: API, kind: "Application", metadata: { name: "multi", namespace: ns },
    spec: {
      project: "default", destination: { server: IN_CLUSTER, namespace: multiDest }, syncPolicy: { syncOptions: ["CreateNamespace=true"] },
      sources: [{ repoURL: git.baseUrl("a"), path: ".", targetRevision: "main" }, { repoURL: git.baseUrl("b"), path: ".", targetRevision: "main" }],
    },
  });
  await eventually(async () => assert.ok((await client.get<Application>(API, "Application", "multi", ns))?.status?.sync?.status, "compared"), { timeoutMs: 90_000 });
  const outOfRange = await api("POST", "/api/v1/applications/multi/sync", { revisions: ["x"], sourcePositions: [3] });
  assert.equal(outOfRange.status, 400, show(outOfRange));
  assert.match((outOfRange.body as { message: string }).message, /sourcePositions\[0\] = 3 is out of range/);
  const single = await api("POST", "/api/v1/applications/multi/sync", { revision: "release" });
  assert.equal(single.status, 400, `a single revision is refused for a multi-source app: ${show(single)}`);
  const local = await api("POST", "/api/v1/applications/multi/sync", { manifests: [configMap("x", "y")] });
  assert.equal(local.status, 501, show(local));
  assert.match((local.body as { message: string }).message, /^manifests: /, "the refusal names the field");
  const perSource = await api("POST", "/api/v1/applications/multi/sync", { revisions: ["release", "v2"], sourcePositions: [1, 2] });
  assert.equal(perSource.status, 200, show(perSource));
  assert.deepEqual((perSource.body as Application).operation?.sync?.revisions, ["release", "v2"]);
  await eventually(async () => {
    const a = await client.get<Application>(API, "Application", "multi", ns);
    assert.equal(a?.status?.operationState?.phase, "Succeeded", JSON.stringify(a?.status?.operationState));
    assert.deepEqual(a?.status?.operationState?.syncResult?.revisions, [release, v2], "each source synced at its own revision's commit");
  }, { timeoutMs: 120_000 });
  const cmA = await client.get("v1", "ConfigMap", "cm-a", multiDest) as unknown as { data: { v: string } };
  const cmB = await client.get("v1", "ConfigMap", "cm-b", multiDest) as unknown as { data: { v: string } };
  assert.equal(cmA.data.v, "release", "source 1 at branch release");
  assert.equal(cmB.data.v, "v2", "source 2 at tag v2");
});
