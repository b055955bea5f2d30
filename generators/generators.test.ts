import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { goTemplateEngine } from "../operator/appset/gotemplate-wasm.js";
import { createRenderer } from "../operator/appset/template.js";
import { pathspecMatch } from "../operator/util/glob.js";
import type { RepoReader } from "../operator/git/types.js";
import { memoryLogger } from "../operator/runtime/logger.js";
import { defaultGitRequeueMs } from "./git.js";
import { builtinGenerators, transform } from "./index.js";
import type { ClusterSecret, GeneratorContext, KubeLookup, Params } from "./types.js";

/** An in-memory repository at one commit: path → content. */
function fakeRepo(files: Record<string, string>): RepoReader {
  const dirs = new Set<string>();
  for (const f of Object.keys(files)) {
    const parts = f.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return {
    resolveRevision: async (_url, rev) => (rev === "main" || rev === "HEAD" ? "c0ffee" : Promise.reject(new Error(`unknown revision ${rev}`))),
    listFiles: async (_url, _commit, pattern) => Object.keys(files).filter((f) => pathspecMatch(pattern, f)),
    listDirectories: async () => [...dirs],
    readFile: async (_url, _commit, path) => Buffer.from(files[path] ?? ""),
  };
}

function ctx(goTemplate: boolean, extra: Partial<GeneratorContext> = {}): GeneratorContext {
  const renderer = createRenderer({ goTemplate }, goTemplateEngine);
  return {
    appSet: { metadata: { name: "set", namespace: "argocd" }, spec: { goTemplate } },
    log: memoryLogger().logger,
    render: (v, p) => renderer.render(v, p),
    ...extra,
  };
}

const secret = (name: string, server: string, labels: Record<string, string> = {}, extra: Record<string, string> = {}): ClusterSecret => ({
  secretName: `cluster-${name}`,
  labels: { "argocd.argoproj.io/secret-type": "cluster", ...labels },
  annotations: { owner: "team-a" },
  data: { name, server, ...extra },
});

const clusters = [secret("prod-eu", "https://eu.example", { environment: "production" }, { project: "infra" }), secret("Dev_1", "https://dev.example", { environment: "dev" })];
const lister = { listClusterSecrets: async () => clusters };

const run = async (entry: unknown, c: GeneratorContext): Promise<Params[]> => (await transform(entry, builtinGenerators(), c)).params;

test("clusters: all secrets plus the implicit in-cluster entry when the selector is empty", async () => {
  const params = await run({ clusters: {} }, ctx(false, { clusters: lister }));
  assert.deepEqual(params.map((p) => [p.name, p.nameNormalized, p.server, p.project]), [
    ["in-cluster", "in-cluster", "https://kubernetes.default.svc", ""],
    ["Dev_1", "dev-1", "https://dev.example", ""],
    ["prod-eu", "prod-eu", "https://eu.example", "infra"],
  ]);
  assert.equal(params[2]?.["metadata.labels.environment"], "production");
  assert.equal(params[2]?.["metadata.annotations.owner"], "team-a");
});

test("clusters: a selector filters secrets and drops in-cluster; values are templated; goTemplate nests metadata", async () => {
  const spec = { clusters: { selector: { matchLabels: { environment: "production" } }, values: { ns: "mon-{{name}}" } } };
  const flat = await run(spec, ctx(false, { clusters: lister }));
  assert.deepEqual(flat.map((p) => [p.name, p["values.ns"]]), [["prod-eu", "mon-prod-eu"]]);
  const goSpec = { clusters: { selector: { matchExpressions: [{ key: "environment", operator: "In", values: ["production"] }] }, values: { ns: "mon-{{ .name }}" } } };
  const go = await run(goSpec, ctx(true, { clusters: lister }));
  assert.deepEqual(go[0]?.metadata, { labels: { "argocd.argoproj.io/secret-type": "cluster", environment: "production" }, annotations: { owner: "team-a" } });
  assert.deepEqual(go[0]?.values, { ns: "mon-prod-eu" });
});

test("clusters: no implicit entry when a secret registers the local cluster or inClusterEnabled is false; flatList", async () => {
  const local = { listClusterSecrets: async () => [secret("local", "https://kubernetes.default.svc")] };
  assert.deepEqual((await run({ clusters: {} }, ctx(false, { clusters: local }))).map((p) => p.name), ["local"]);
  assert.deepEqual((await run({ clusters: {} }, ctx(false, { clusters: lister, inClusterEnabled: false }))).map((p) => p.name), ["Dev_1", "prod-eu"]);
  const flat = await run({ clusters: { flatList: true } }, ctx(true, { clusters: lister }));
  assert.equal(flat.length, 1);
  assert.deepEqual((flat[0]?.clusters as Params[]).map((p) => p.name), ["in-cluster", "Dev_1", "prod-eu"]);
});

const repo = fakeRepo({
  "apps/api/overlays/production/kustomization.yaml": "",
  "apps/web/overlays/production/kustomization.yaml": "",
  "apps/web/overlays/staging/kustomization.yaml": "",
  "apps/.hidden/kustomization.yaml": "",
  "apps/legacy/x.yaml": "",
  "clusters/eu/config.json": JSON.stringify({ cluster: { name: "eu", replicas: 3 }, tags: ["a", "b"] }),
  "clusters/us/config.json": "- {cluster: {name: us-1}}\n- {cluster: {name: us-2}}\n",
  "clusters/empty/config.json": "",
  "clusters/skip/config.json": JSON.stringify({ cluster: { name: "skip" } }),
  "clusters/bad/config.yaml": "just a string",
});

test("git directories: path.Match, exclusions win, hidden directories skipped, path params", async () => {
  const c = ctx(false, { repos: repo });
  const prod = await run({ git: { repoURL: "https://git.example/r.git", revision: "main", directories: [{ path: "apps/*/overlays/production" }] } }, c);
  assert.deepEqual(prod.map((p) => [p.path, p["path.basename"], p["path[1]"]]), [["apps/api/overlays/production", "production", "api"], ["apps/web/overlays/production", "production", "web"]]);
  const apps = await run({ git: { repoURL: "u", revision: "main", directories: [{ path: "apps/legacy", exclude: true }, { path: "apps/*" }] } }, c);
  assert.deepEqual(apps.map((p) => p.path), ["apps/api", "apps/web"]);
  const go = await run({ git: { repoURL: "u", revision: "HEAD", directories: [{ path: "apps/api" }], values: { p: "{{ .path.basename }}" } } }, ctx(true, { repos: repo }));
  assert.deepEqual(go, [{ path: { path: "apps/api", basename: "api", basenameNormalized: "api", segments: ["apps", "api"] }, values: { p: "api" } }]);
  const prefixed = await run({ git: { repoURL: "u", revision: "main", pathParamPrefix: "src", directories: [{ path: "apps/api" }] } }, c);
  assert.deepEqual(Object.keys(prefixed[0] ?? {}).sort(), ["src.path", "src.path.basename", "src.path.basenameNormalized", "src.path[0]", "src.path[1]"]);
  await assert.rejects(run({ git: { repoURL: "u", revision: "nope", directories: [{ path: "*" }] } }, c), /unknown revision nope/);
});

test("git files: objects and lists, flattened or structured, excludes, empty files, parse errors", async () => {
  const spec = { git: { repoURL: "u", revision: "main", files: [{ path: "clusters/*/config.json" }, { path: "clusters/skip/*", exclude: true }] } };
  const flat = await run(spec, ctx(false, { repos: repo }));
  assert.deepEqual(flat.map((p) => [p.path, p["cluster.name"] ?? "", p["path.filename"]]), [
    ["clusters/empty", "", "config.json"],
    ["clusters/eu", "eu", "config.json"],
    ["clusters/us", "us-1", "config.json"],
    ["clusters/us", "us-2", "config.json"],
  ]);
  assert.equal(flat[1]?.["cluster.replicas"], "3");
  assert.equal(flat[1]?.["tags.1"], "b");
  const go = await run(spec, ctx(true, { repos: repo }));
  assert.deepEqual(go[1]?.cluster, { name: "eu", replicas: 3 });
  assert.deepEqual((go[1]?.path as Params).segments, ["clusters", "eu"]);
  assert.equal((go[1]?.path as Params).filenameNormalized, "config.json");
  await assert.rejects(run({ git: { repoURL: "u", revision: "main", files: [{ path: "clusters/bad/*" }] } }, ctx(false, { repos: repo })), /unable to parse file clusters\/bad\/config.yaml/);
});

test("git requeue: 180 s by default, requeueAfterSeconds otherwise", () => {
  const g = builtinGenerators().get("git");
  assert.equal(g?.requeueAfterMs?.({ repoURL: "u" }), 180_000);
  assert.equal(g?.requeueAfterMs?.({ repoURL: "u", requeueAfterSeconds: 30 }), 30_000);
});

const list = (...elements: Params[]): Params => ({ list: { elements } });

test("matrix: cartesian product; the second child uses the first's params; later keys win", async () => {
  const spec = { matrix: { generators: [list({ env: "dev", shared: "first" }, { env: "prod", shared: "first" }), list({ app: "api-{{env}}", shared: "second" }, { app: "web" })] } };
  const out = await run(spec, ctx(false));
  assert.deepEqual(out, [
    { env: "dev", shared: "second", app: "api-dev" },
    { env: "dev", shared: "first", app: "web" },
    { env: "prod", shared: "second", app: "api-prod" },
    { env: "prod", shared: "first", app: "web" },
  ]);
  const go = await run({ matrix: { generators: [{ git: { repoURL: "u", revision: "main", directories: [{ path: "apps/*" }, { path: "apps/legacy", exclude: true }] } }, { list: { elementsYaml: "- {name: '{{ .path.basename }}-a'}\n" } }] } }, ctx(true, { repos: repo }));
  assert.deepEqual(go.map((p) => [p.name, (p.path as Params).basename]), [["api-a", "api"], ["web-a", "web"]]);
});

test("matrix: exactly two children; child selectors apply; nesting is limited to one level", async () => {
  await assert.rejects(run({ matrix: { generators: [list({ a: "1" })] } }, ctx(false)), /less than two generators/);
  await assert.rejects(run({ matrix: { generators: [list(), list(), list()] } }, ctx(false)), /more than two generators/);
  const selected = await run({ matrix: { generators: [{ ...list({ env: "dev" }, { env: "prod" }), selector: { matchLabels: { env: "prod" } } }, list({ app: "x" })] } }, ctx(false));
  assert.deepEqual(selected, [{ env: "prod", app: "x" }]);
  const twoLevels = { matrix: { generators: [{ matrix: { generators: [list({ a: "1" }), list({ b: "2" })] } }, list({ c: "3" })] } };
  assert.deepEqual(await run(twoLevels, ctx(false)), [{ a: "1", b: "2", c: "3" }]);
  const threeLevels = { matrix: { generators: [{ matrix: { generators: [{ matrix: { generators: [list(), list()] } }, list()] } }, list({ c: "3" })] } };
  await assert.rejects(run(threeLevels, ctx(false)), /nested only one level deep/);
  const mergeInMatrix = { matrix: { generators: [{ merge: { mergeKeys: ["a"], generators: [list({ a: "1", b: "x" }), list({ a: "1", b: "y" })] } }, list({ c: "3" })] } };
  assert.deepEqual(await run(mergeInMatrix, ctx(false)), [{ a: "1", b: "y", c: "3" }]);
});

test("merge: base = first generator, matching sets overridden in order, unmatched dropped, duplicates an error", async () => {
  const spec = {
    merge: {
      mergeKeys: ["server"],
      generators: [list({ server: "a", v: "base" }, { server: "b", v: "base" }), list({ server: "b", v: "second" }, { server: "z", v: "dropped" }), list({ server: "b", v: "third", extra: "e" })],
    },
  };
  assert.deepEqual(await run(spec, ctx(false)), [{ server: "a", v: "base" }, { server: "b", v: "third", extra: "e" }]);
  const goSpec = { merge: { mergeKeys: ["server"], generators: [list({ server: "a", cfg: { x: 1, y: 2 } }), list({ server: "a", cfg: { y: 3 } })] } };
  assert.deepEqual(await run(goSpec, ctx(true)), [{ server: "a", cfg: { x: 1, y: 3 } }]);
  await assert.rejects(run({ merge: { mergeKeys: ["server"], generators: [list({ server: "a" }, { server: "a" }), list()] } }, ctx(false)), /not unique by the given mergeKeys.*Duplicate key was \{"server":"a"\}/);
  await assert.rejects(run({ merge: { mergeKeys: [], generators: [list(), list()] } }, ctx(false)), /no merge keys/);
  await assert.rejects(run({ merge: { mergeKeys: ["a"], generators: [list()] } }, ctx(false)), /less than two generators/);
});

test("matrix/merge requeue is the smallest of the children", () => {
  const reg = builtinGenerators();
  assert.equal(reg.get("matrix")?.requeueAfterMs?.({ generators: [list(), { git: { repoURL: "u", requeueAfterSeconds: 60 } }] }), 60_000);
  assert.equal(reg.get("merge")?.requeueAfterMs?.({ generators: [list(), list()] }), undefined);
});

test("a top-level generator's template override is returned by transform", async () => {
  const r = await transform({ list: { elements: [{ a: "1" }], template: { metadata: { name: "x" } } } }, builtinGenerators(), ctx(false));
  assert.deepEqual(r.template, { metadata: { name: "x" } });
});

test("plugin: Argo's HTTP protocol with the token from a Secret; errors are clear and carry no token", async () => {
  const seen: { auth?: string; body?: unknown; url?: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ auth: req.headers.authorization, body: JSON.parse(body) as unknown, url: req.url });
      if (req.headers.authorization !== "Bearer s3cr3t-token") {
        res.writeHead(403).end("forbidden for Bearer s3cr3t-token");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ output: { parameters: [{ name: "one", deep: { k: "v" } }, { name: "two", deep: { k: "w" } }] } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const kube = (token: string): KubeLookup => ({
      getConfigMap: async (n) => (n === "plugin-cm" ? { baseUrl: base, token: "$plugin-secret:token", requestTimeout: "5" } : undefined),
      getSecret: async (n) => (n === "plugin-secret" ? { token } : undefined),
    });
    const spec = { plugin: { configMapRef: { name: "plugin-cm" }, input: { parameters: { team: "a" } }, values: { v: "x-{{name}}" } } };
    const out = await run(spec, ctx(false, { kube: kube("s3cr3t-token") }));
    assert.deepEqual(out.map((p) => [p.name, p["deep.k"], p["values.v"]]), [["one", "v", "x-one"], ["two", "w", "x-two"]]);
    assert.deepEqual(out[0]?.generator, { input: { parameters: { team: "a" } } });
    assert.deepEqual(seen[0], { auth: "Bearer s3cr3t-token", body: { applicationSetName: "set", input: { parameters: { team: "a" } } }, url: "/api/v1/getparams.execute" });
    const go = await run({ plugin: { ...spec.plugin, values: { v: "x-{{ .deep.k }}" } } }, ctx(true, { kube: kube("s3cr3t-token") }));
    assert.deepEqual([go[1]?.deep, go[1]?.values], [{ k: "w" }, { v: "x-w" }]);
    await assert.rejects(run(spec, ctx(false, { kube: kube("wrong-token-value") })), (err: unknown) => {
      assert.match((err as Error).message, /answered HTTP 403/);
      assert.doesNotMatch((err as Error).message, /s3cr3t-token/);
      return true;
    });
    await assert.rejects(run({ plugin: { configMapRef: { name: "absent" } } }, ctx(false, { kube: kube("t") })), /ConfigMap absent was not found/);
    assert.equal(builtinGenerators().get("plugin")?.requeueAfterMs?.({}), 30 * 60_000);
  } finally {
    server.close();
  }
});

test("git default requeue follows ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER (a Go duration)", () => {
  assert.equal(defaultGitRequeueMs({}), 180_000);
  assert.equal(defaultGitRequeueMs({ ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER: "30s" }), 30_000);
  assert.equal(defaultGitRequeueMs({ ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER: "1h2m3.5s" }), 3_723_500);
  assert.equal(defaultGitRequeueMs({ ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER: "250ms" }), 250);
  assert.equal(defaultGitRequeueMs({ ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER: "soon" }), 180_000, "unparseable: the default");
  assert.equal(defaultGitRequeueMs({ ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER: "30" }), 180_000, "Go needs a unit");
});
