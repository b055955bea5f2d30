// The ApplicationSet reconciler against a real kube-apiserver: it creates the Applications a list
// generator describes (owned by the set, in the set's namespace), updates and deletes them as the
// generator changes, honours applicationsSync, reports Argo's conditions, changes nothing when
// generation or validation fails (the published seed 001), and the garbage collector removes the
// Applications with their ApplicationSet.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { builtinGenerators } from "../../generators/index.js";
import { ApplicationSetReconciler, type ApplicationSetCondition } from "../../operator/controllers/applicationset/reconciler.js";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { installCrds } from "../../operator/kube/crd-install.js";
import { packageRoot } from "../../operator/paths.js";
import { memoryLogger } from "../../operator/runtime/logger.js";
import { WaitingError } from "../../operator/runtime/reconciler.js";
import { seedsDir } from "../crds/seeds.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";

const API = "argoproj.io/v1alpha1";
const ns = `appset-test-${process.pid}`;
let client: KubeClient;
let reconciler: ApplicationSetReconciler;
let kubeconfigPath: string;

function hawser(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join(packageRoot(), "operator", "cli.ts"), "appset", ...args, "--kubeconfig", kubeconfigPath, "-n", ns], { cwd: packageRoot() }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  const cluster = await sharedCluster();
  kubeconfigPath = cluster.kubeconfigPath;
  client = new KubeClient(cluster.kubeConfig);
  await installCrds(client);
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "default", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  reconciler = new ApplicationSetReconciler({ client, registry: builtinGenerators(), controlNamespace: ns });
});

after(async () => {
  await client?.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined);
  client?.close();
});

const reconcile = (name: string): ReturnType<ApplicationSetReconciler["reconcile"]> =>
  reconciler.reconcile({ key: `${ns}/${name}`, log: memoryLogger().logger, signal: new AbortController().signal, retries: 0 });

/** Live Applications; ones being deleted are left out (their resources finalizer waits for the Application controller). */
async function apps(): Promise<KubeObject[]> {
  return (await client.list(API, "Application", { namespace: ns })).items.filter((a) => !a.metadata.deletionTimestamp).sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1));
}

async function conditions(name: string): Promise<ApplicationSetCondition[]> {
  const set = await client.get<KubeObject & { status?: { conditions?: ApplicationSetCondition[] } }>(API, "ApplicationSet", name, ns);
  return set?.status?.conditions ?? [];
}

const listAppSet = (name: string, envs: string[], extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: API,
  kind: "ApplicationSet",
  metadata: { name, namespace: ns },
  spec: {
    goTemplate: true,
    generators: [{ list: { elements: envs.map((env) => ({ env })) } }],
    template: {
      metadata: { name: "svc-{{ .env }}", namespace: "ignored", labels: { env: "{{ .env }}" } },
      spec: { project: "default", source: { repoURL: "https://git.example/svc.git", path: "envs/{{ .env }}" }, destination: { server: "https://kubernetes.default.svc", namespace: "{{ .env }}" } },
    },
    ...extra,
  },
});

describe("ApplicationSet reconciler on a real apiserver", () => {
  it("creates, updates and deletes owned Applications and reports conditions", async () => {
    const created = await client.create(listAppSet("svc", ["dev", "prod"]));
    await reconcile("svc");
    let list = await apps();
    assert.deepEqual(list.map((a) => a.metadata.name), ["svc-dev", "svc-prod"]);
    assert.equal(list[0]?.metadata.namespace, ns);
    assert.deepEqual(list[0]?.metadata.labels, { env: "dev" });
    assert.deepEqual(list[0]?.metadata.finalizers, ["resources-finalizer.argocd.argoproj.io"]);
    assert.deepEqual(list[0]?.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]), [["ApplicationSet", "svc", created.metadata.uid, true]]);
    assert.deepEqual((await conditions("svc")).map((c) => [c.type, c.status, c.reason]), [
      ["ErrorOccurred", "False", "ApplicationSetUpToDate"],
      ["ParametersGenerated", "True", "ParametersGenerated"],
      ["ResourcesUpToDate", "True", "ApplicationSetUpToDate"],
    ]);
    const rv = list[1]?.metadata.resourceVersion;
    // A second reconcile with nothing changed writes nothing.
    await reconcile("svc");
    assert.equal((await apps())[1]?.metadata.resourceVersion, rv);

    // staging added, prod removed, dev's template changed.
    const current = await client.get(API, "ApplicationSet", "svc", ns);
    const next = listAppSet("svc", ["dev", "staging"]);
    ((next.spec as { template: { spec: { source: { path: string } } } }).template.spec.source).path = "v2/{{ .env }}";
    await client.replace({ ...next, metadata: { ...next.metadata, resourceVersion: current?.metadata.resourceVersion } });
    await reconcile("svc");
    list = await apps();
    assert.deepEqual(list.map((a) => a.metadata.name), ["svc-dev", "svc-staging"]);
    assert.equal((list[0]?.spec as { source: { path: string } }).source.path, "v2/dev");
  });

  it("create-only leaves existing Applications alone", async () => {
    await client.create(listAppSet("only", ["a"], { syncPolicy: { applicationsSync: "create-only" } }));
    await reconcile("only");
    const set = await client.get(API, "ApplicationSet", "only", ns);
    const next = listAppSet("only", ["b"], { syncPolicy: { applicationsSync: "create-only" } });
    await client.replace({ ...next, metadata: { ...next.metadata, resourceVersion: set?.metadata.resourceVersion } });
    await reconcile("only");
    assert.deepEqual((await apps()).map((a) => a.metadata.name).filter((n) => n?.startsWith("svc-a") || n?.startsWith("svc-b")), ["svc-a", "svc-b"]);
  });

  it("ignoreApplicationDifferences: a hand edit of an ignored field survives reconciles", async () => {
    const set = listAppSet("ign", ["x"], { ignoreApplicationDifferences: [{ jsonPointers: ["/spec/syncPolicy"] }] });
    ((set.spec as { template: { spec: Record<string, unknown> } }).template.spec).syncPolicy = { automated: { prune: true } };
    await client.create(set);
    await reconcile("ign");
    const app = await client.get(API, "Application", "svc-x", ns);
    assert.deepEqual((app?.spec as { syncPolicy?: unknown }).syncPolicy, { automated: { prune: true } });
    // A user turns autosync off by hand; the set's next reconcile leaves that alone and writes nothing.
    const { syncPolicy: _drop, ...spec } = app?.spec as Record<string, unknown>;
    const edited = await client.replace({ ...(app as KubeObject), spec });
    await reconcile("ign");
    const after = await client.get(API, "Application", "svc-x", ns);
    assert.equal(after?.metadata.resourceVersion, edited.metadata.resourceVersion, "no write for an ignored difference");
    assert.equal((after?.spec as { syncPolicy?: unknown }).syncPolicy, undefined);
  });

  it("a render error and an Application the apiserver rejects report Argo's reasons", async () => {
    const missing = listAppSet("render-err", ["x"], { goTemplateOptions: ["missingkey=error"] });
    ((missing.spec as { template: { metadata: Record<string, unknown> } }).template.metadata).name = "svc-{{ .nope }}";
    await client.create(missing);
    // A generation error waits (WaitingError) for the set or its inputs to change; the status says why.
    await assert.rejects(reconcile("render-err"), (err: unknown) => err instanceof WaitingError && err.reason === "RenderTemplateParamsError");
    assert.deepEqual((await conditions("render-err")).map((c) => [c.type, c.status, c.reason]), [
      ["ErrorOccurred", "True", "RenderTemplateParamsError"],
      ["ParametersGenerated", "False", "ErrorOccurred"],
      ["ResourcesUpToDate", "False", "RenderTemplateParamsError"],
    ]);
    // templatePatch can put a non-string where the CRD schema wants a string: the create fails.
    await client.create(listAppSet("create-err", ["y"], { templatePatch: "spec:\n  source:\n    path: [1, 2]\n" }));
    await assert.rejects(reconcile("create-err"), /failed to create application "svc-y"/);
    const cs = await conditions("create-err");
    assert.deepEqual(cs.map((c) => [c.type, c.status, c.reason]), [
      ["ErrorOccurred", "True", "CreateApplicationError"],
      ["ParametersGenerated", "True", "ParametersGenerated"],
      ["ResourcesUpToDate", "False", "CreateApplicationError"],
    ]);
    assert.equal((await apps()).some((a) => a.metadata.name === "svc-y"), false, "nothing was created");
  });

  it("the published seed 001 reports a validation error and creates nothing; a later error changes nothing", { skip: !seedsDir() }, async () => {
    const published = parse(readFileSync(join(seedsDir() as string, "001/appset-ai-app-all-envs-as-published.yaml"), "utf8")) as KubeObject;
    await client.create({ ...published, metadata: { ...published.metadata, namespace: ns } });
    const before = (await apps()).map((a) => a.metadata.name);
    await assert.rejects(reconcile("ai-app-all-envs"), (err: unknown) => err instanceof WaitingError && err.requeueAfterMs === 180_000 && err.reason === "ApplicationValidationError");
    assert.deepEqual((await apps()).map((a) => a.metadata.name), before);
    const err = (await conditions("ai-app-all-envs")).find((c) => c.type === "ErrorOccurred");
    assert.equal(err?.status, "True");
    assert.equal(err?.reason, "ApplicationValidationError");
    assert.match(err?.message ?? "", /duplicate name: "ai-app-" \(3 times\)/);
    assert.match(err?.message ?? "", /needs a server or a name/);

    // Breaking the first set (two elements → one name) leaves its Applications as they were.
    const set = await client.get(API, "ApplicationSet", "svc", ns);
    const broken = listAppSet("svc", ["dev", "dev"]);
    await client.replace({ ...broken, metadata: { ...broken.metadata, resourceVersion: set?.metadata.resourceVersion } });
    const snapshot = (await apps()).map((a) => [a.metadata.name, a.metadata.resourceVersion]);
    await assert.rejects(reconcile("svc"), WaitingError);
    assert.deepEqual((await apps()).map((a) => [a.metadata.name, a.metadata.resourceVersion]), snapshot);
    assert.equal((await conditions("svc")).find((c) => c.type === "ResourcesUpToDate")?.status, "False");
  });

  it("hawser appset list, get and diff read the cluster", async () => {
    const listed = await hawser(["list"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^only\s+UpToDate\s+2$/m);
    assert.match(listed.stdout, /^ai-app-all-envs\s+Error\(ApplicationValidationError\)\s+0$/m);
    const got = await hawser(["get", "only"]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /Applications:\n {2}svc-a\n {2}svc-b/);
    const dir = mkdtempSync(join(tmpdir(), "hawser-appset-diff-"));
    try {
      const file = join(dir, "only.yaml");
      writeFileSync(file, JSON.stringify(listAppSet("only", ["a", "b", "c"], { syncPolicy: { applicationsSync: "create-only" } })));
      const d = await hawser(["diff", file]);
      assert.equal(d.code, 1, d.stderr);
      assert.match(d.stdout, /ApplicationSet .*\/only: 1 change\(s\)\n {2}\+ svc-c/);
      writeFileSync(file, JSON.stringify(listAppSet("only", ["a", "b"], { syncPolicy: { applicationsSync: "create-only" } })));
      const same = await hawser(["diff", file]);
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stdout, /no changes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("deleting the ApplicationSet garbage-collects its Applications (they enter deletion)", async () => {
    await client.delete({ apiVersion: API, kind: "ApplicationSet", name: "svc", namespace: ns });
    await eventually(async () => {
      const names = (await apps()).map((a) => a.metadata.name);
      assert.ok(!names.includes("svc-dev") && !names.includes("svc-staging"), `still there: ${names.join(", ")}`);
    }, { timeoutMs: 60_000, message: "owned Applications deleted" });
  });
});
