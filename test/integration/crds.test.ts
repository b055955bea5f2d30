// The CRDs against a real kube-apiserver: they install (twice, without change), every seed
// manifest is accepted, defaulting fills spec.project, and invalid objects are refused with a
// 422 whose field errors name the offending field. All creates are server-side dry runs, except
// the status check, which needs a stored object in a namespace of its own.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { API_VERSION, type Application, type ApplicationSet } from "../../operator/api/index.js";
import { KubeApiError, KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { CRD_API_VERSION, CRD_KIND, installCrds, loadCrds } from "../../operator/kube/crd-install.js";
import { argoSeedManifests, seedsDir } from "../crds/seeds.js";
import { sharedCluster } from "../support/cluster.js";

let client: KubeClient;
const testNamespace = `crds-test-${process.pid}`;

before(async () => {
  const { kubeConfig } = await sharedCluster();
  client = new KubeClient(kubeConfig);
  await installCrds(client);
  await ensureNamespace(testNamespace);
});

after(async () => {
  await client?.delete({ apiVersion: "v1", kind: "Namespace", name: testNamespace }).catch(() => undefined);
  client?.close();
});

async function ensureNamespace(name: string): Promise<void> {
  try {
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.isConflict)) throw err;
  }
}

function app(spec: Record<string, unknown>, name = "invalid"): KubeObject {
  return { apiVersion: API_VERSION, kind: "Application", metadata: { name, namespace: testNamespace }, spec };
}

function appSet(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API_VERSION, kind: "ApplicationSet", metadata: { name: "invalid", namespace: testNamespace }, spec };
}

const validTemplate = { metadata: { name: "x" }, spec: { project: "default", destination: { server: "https://kubernetes.default.svc" } } };

/** Asserts a 422 whose causes include `field` (and, when given, a message matching `message`). */
async function assertRejected(obj: KubeObject, field: string, message?: RegExp, write?: () => Promise<unknown>): Promise<void> {
  const err = await (write ?? (() => client.create(obj, { dryRun: true })))().then(
    () => assert.fail(`${obj.kind} was accepted; expected a 422 on ${field}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof KubeApiError, String(err));
  assert.equal(err.statusCode, 422, err.message);
  const causes = (err.details as { causes?: { field?: string; message?: string }[] } | undefined)?.causes ?? [];
  const hit = causes.find((c) => c.field === field);
  assert.ok(hit, `no field error on ${field}; got ${JSON.stringify(causes)}`);
  if (message) assert.match(hit.message ?? "", message);
}

describe("CRD installation", () => {
  it("serves the three kinds, namespaced, under their Argo CD names", async () => {
    for (const [kind, plural] of [["Application", "applications"], ["AppProject", "appprojects"], ["ApplicationSet", "applicationsets"]] as const) {
      const info = await client.resourceInfo(API_VERSION, kind);
      assert.equal(info.plural, plural);
      assert.equal(info.namespaced, true);
    }
  });

  it("is idempotent: a second install changes nothing", async () => {
    const versions = async (): Promise<(string | undefined)[]> =>
      Promise.all(loadCrds().map(async (c) => (await client.get(CRD_API_VERSION, CRD_KIND, c.metadata.name!))?.metadata.resourceVersion));
    const before = await versions();
    await installCrds(client);
    assert.deepEqual(await versions(), before);
  });
});

describe("seed manifests", () => {
  const dir = seedsDir();
  it("are all accepted by a server-side dry-run create", { skip: dir ? false : "seed fixtures not found (set HAWSER_SEEDS_DIR)" }, async () => {
    const seeds = argoSeedManifests(dir!);
    assert.ok(seeds.length >= 25, `found only ${seeds.length} seed manifests`);
    for (const ns of new Set(seeds.map((s) => s.obj.metadata.namespace ?? "default"))) await ensureNamespace(ns);
    for (const { source, obj } of seeds) {
      await client.create(obj, { dryRun: true }).catch((err: unknown) => assert.fail(`${source}: ${err instanceof Error ? err.message : String(err)}`));
    }
  });

  it("default spec.project to default, in Applications and ApplicationSet templates", async () => {
    const created = await client.create<Application>(app({ destination: { server: "https://kubernetes.default.svc", namespace: "x" }, source: { repoURL: "https://example.com/r.git" } }, "no-project"), { dryRun: true });
    assert.equal(created.spec.project, "default");
    const set = await client.create<ApplicationSet>(appSet({ generators: [{ list: { elements: [{ a: "b" }] } }], template: { metadata: { name: "x" }, spec: { destination: { server: "" } } } }), { dryRun: true });
    assert.equal(set.spec.template.spec.project, "default");
  });

  it("keep Kustomize images in both the string and the object form", async () => {
    const images = ["my-app=registry.example.com/my-app:v2", { name: "other", newName: "registry.example.com/other", newTag: "v3" }];
    const created = await client.create<Application>(app({ destination: { name: "in-cluster" }, source: { repoURL: "https://example.com/r.git", kustomize: { images } } }, "images"), { dryRun: true });
    assert.deepEqual(created.spec.source?.kustomize?.images, images);
  });
});

describe("invalid objects are refused with the field named", () => {
  const dest = { server: "https://kubernetes.default.svc" };
  const src = { repoURL: "https://example.com/r.git" };

  it("wrong types", async () => {
    await assertRejected(app({ destination: dest, source: src, revisionHistoryLimit: "ten" }), "spec.revisionHistoryLimit", /must be of type integer/);
    await assertRejected(app({ destination: dest, source: src, syncPolicy: { retry: { limit: "3" } } }), "spec.syncPolicy.retry.limit", /integer/);
    await assertRejected(app({ destination: dest, source: src, syncPolicy: { syncOptions: "CreateNamespace=true" } }), "spec.syncPolicy.syncOptions", /array/);
    await assertRejected(app({ destination: dest, source: { repoURL: "r", kustomize: { replicas: [{ name: "x", count: true }] } } }), "spec.source.kustomize.replicas[0].count");
  });

  it("missing required fields", async () => {
    await assertRejected(app({ source: src }), "spec.destination", /Required value/);
    await assertRejected(app({ destination: dest, source: { path: "p" } }), "spec.source.repoURL", /Required value/);
    await assertRejected(appSet({ template: validTemplate }), "spec.generators", /Required value/);
    await assertRejected(
      { apiVersion: API_VERSION, kind: "AppProject", metadata: { name: "invalid", namespace: testNamespace }, spec: { clusterResourceWhitelist: [{ group: "" }] } },
      "spec.clusterResourceWhitelist[0].kind",
      /Required value/,
    );
  });

  it("a destination with both or neither of server and name", async () => {
    const message = /exactly one of destination.server and destination.name must be set/;
    await assertRejected(app({ destination: { server: "https://kubernetes.default.svc", name: "in-cluster" }, source: src }), "spec.destination", message);
    await assertRejected(app({ destination: { namespace: "x" }, source: src }), "spec.destination", message);
    await assertRejected(app({ destination: { server: "", name: "" }, source: src }), "spec.destination", message);
    // Empty counts as unset, as in Argo CD.
    await client.create(app({ destination: { server: "", name: "in-cluster" }, source: src }, "empty-server"), { dryRun: true });
  });

  it("values outside an enum", async () => {
    await assertRejected(appSet({ generators: [], template: validTemplate, syncPolicy: { applicationsSync: "create-and-forget" } }), "spec.syncPolicy.applicationsSync", /supported values/);
    await assertRejected(appSet({ generators: [], template: validTemplate, strategy: { type: "Rolling" } }), "spec.strategy.type", /supported values/);
    await assertRejected(
      { apiVersion: API_VERSION, kind: "AppProject", metadata: { name: "invalid", namespace: testNamespace }, spec: { syncWindows: [{ kind: "block", schedule: "* * * * *", duration: "1h" }] } },
      "spec.syncWindows[0].kind",
      /supported values/,
    );
  });

  it("accepts int-or-string where Argo CD does", async () => {
    await client.create(appSet({ generators: [], template: validTemplate, strategy: { type: "RollingSync", rollingSync: { steps: [{ maxUpdate: "25%" }, { maxUpdate: 2 }] } } }), { dryRun: true });
    await assertRejected(appSet({ generators: [], template: validTemplate, strategy: { type: "RollingSync", rollingSync: { steps: [{ maxUpdate: true }] } } }), "spec.strategy.rollingSync.steps[0].maxUpdate");
  });

  it("status values outside an enum, written through the status subresource", async () => {
    const stored = await client.create<Application>(app({ destination: dest, source: src }, "status-check"));
    const ref = { apiVersion: API_VERSION, kind: "Application", name: "status-check", namespace: testNamespace };
    await assertRejected(stored, "status.operationState.phase", /supported values/, () =>
      client.patch(ref, { status: { operationState: { operation: {}, phase: "Done", startedAt: "2026-01-01T00:00:00Z" } } }, { subresource: "status", dryRun: true }),
    );
    await assertRejected(stored, "status.health.status", /supported values/, () =>
      client.patch(ref, { status: { health: { status: "Fine" } } }, { subresource: "status", dryRun: true }),
    );
    const ok = await client.patch<Application>(ref, { status: { sync: { status: "Synced", revision: "abc" }, health: { status: "Healthy" } } }, { subresource: "status" });
    assert.equal(ok.status?.sync?.status, "Synced");
    // The main resource ignores status: the subresource is the only way to write it.
    const viaMain = await client.patch<Application>(ref, { status: { sync: { status: "OutOfSync" } } });
    assert.equal(viaMain.status?.sync?.status, "Synced");
  });
});
