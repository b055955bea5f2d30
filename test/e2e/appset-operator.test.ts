// ApplicationSets through the running operator: seed 000's list ApplicationSet creates one
// Application per element (owned by the set); removing an element deletes its Application; seed
// 001's published set reports an error condition and creates nothing. Applications naming a project
// that does not exist are held back (not created, updated or deleted) while the set's others
// proceed, as in Argo; a plain-named missing project stops the set before it generates anything,
// unless a generator's own template gives its Applications another project (each app's project is
// then checked). Creating the missing project requeues the set at once (no touch, no 3-minute wait).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { seedsDir } from "../crds/seeds.js";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

test("the operator turns ApplicationSets into Applications, and refuses a broken one whole", async (t) => {
  const seeds = seedsDir();
  if (!seeds) {
    t.skip("seed fixtures not found");
    return;
  }
  const w = await createWorld(t, { name: "as" });
  const { client, ns } = w;

  const appset = parse(await readFile(join(seeds, "000", "appset-list-envs.yaml"), "utf8")) as KubeObject;
  appset.metadata.namespace = ns;
  await client.create(appset);
  const appNames = async () => (await client.list(API, "Application", { namespace: ns })).items
    .filter((a) => a.metadata.ownerReferences?.some((o) => o.kind === "ApplicationSet" && o.name === "my-api-envs"))
    .map((a) => a.metadata.name).sort();
  await eventually(async () => assert.deepEqual(await appNames(), ["my-api-production", "my-api-staging"]), { timeoutMs: 60_000 });
  const prod = await client.get(API, "Application", "my-api-production", ns);
  const spec = prod!.spec as { source: { targetRevision: string; path: string }; destination: { namespace: string } };
  assert.equal(spec.source.targetRevision, "main");
  assert.equal(spec.source.path, "apps/my-api/overlays/production");
  assert.equal(spec.destination.namespace, "production");

  // Removing an element deletes its Application (default policy: sync).
  const current = await client.get(API, "ApplicationSet", "my-api-envs", ns);
  const gens = (current!.spec as { generators: Array<{ list: { elements: unknown[] } }> }).generators;
  gens[0]!.list.elements = gens[0]!.list.elements.slice(1);
  await client.replace(current!);
  await eventually(async () => assert.deepEqual(await appNames(), ["my-api-production"]), { timeoutMs: 60_000 });

  // Seed 001 as published: duplicate names and an empty server; nothing is created.
  const broken = parse(await readFile(join(seeds, "001", "appset-ai-app-all-envs-as-published.yaml"), "utf8")) as KubeObject;
  broken.metadata.namespace = ns;
  await client.create(broken);
  await eventually(async () => {
    const s = await client.get(API, "ApplicationSet", broken.metadata.name!, ns);
    const conds = (s?.status as { conditions?: Array<{ type: string; status: string; message: string }> } | undefined)?.conditions ?? [];
    const err = conds.find((c) => c.type === "ErrorOccurred");
    assert.equal(err?.status, "True", "ErrorOccurred is set");
    assert.match(err.message, /duplicate|same name/i);
  }, { timeoutMs: 60_000 });
  const all = (await client.list(API, "Application", { namespace: ns })).items.map((a) => a.metadata.name);
  assert.deepEqual(all, ["my-api-production"], "the broken set created nothing");
});

type Cond = { type: string; status: string; reason: string; message: string };

test("an ApplicationSet whose Applications name a project that does not exist: those are held back, never deleted; the others proceed; the set says so", async (t) => {
  const w = await createWorld(t, { name: "asproj" });
  const { client, ns } = w;
  const project = (name: string) => client.create({ apiVersion: API, kind: "AppProject", metadata: { name, namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  const deleteProject = async (name: string) => {
    await client.delete({ apiVersion: API, kind: "AppProject", name, namespace: ns });
    await eventually(async () => assert.equal(await client.get(API, "AppProject", name, ns), undefined), { timeoutMs: 30_000 });
  };
  const apps = async (set: string): Promise<Record<string, KubeObject>> => Object.fromEntries((await client.list(API, "Application", { namespace: ns })).items
    .filter((a) => a.metadata.ownerReferences?.some((o) => o.kind === "ApplicationSet" && o.name === set)).map((a) => [a.metadata.name!, a]));
  const errorOf = async (set: string): Promise<Cond | undefined> => ((await client.get(API, "ApplicationSet", set, ns))?.status as { conditions?: Cond[] } | undefined)?.conditions?.find((c) => c.type === "ErrorOccurred");
  const spec = (elements: unknown[], projectField: string) => ({
    goTemplate: true,
    // No resources finalizer: Applications of a deleted project could not finish deleting at teardown.
    syncPolicy: { preserveResourcesOnDeletion: true },
    generators: [{ list: { elements } }],
    template: {
      metadata: { name: "{{ .name }}" },
      spec: { project: projectField, source: { repoURL: "https://git.example/never-fetched.git", path: "{{ .path }}", targetRevision: "HEAD" }, destination: { server: "https://kubernetes.default.svc", namespace: "{{ .name }}" } },
    },
  });
  // Each change of the set's spec or annotations is reconciled at once (not after the 3-minute requeue).
  const update = async (set: string, change: (s: KubeObject) => void) => {
    const cur = (await client.get(API, "ApplicationSet", set, ns))!;
    change(cur);
    cur.metadata.annotations = { ...cur.metadata.annotations, "test/touch": String(Date.now()) };
    await client.replace(cur);
  };
  await project("team-a");

  // A templated project: team-b's Application is not created; team-a's is, and the set says why.
  await client.create({ apiVersion: API, kind: "ApplicationSet", metadata: { name: "teams", namespace: ns }, spec: spec([{ name: "t-a", team: "team-a", path: "a" }, { name: "t-b", team: "team-b", path: "b" }], "{{ .team }}") });
  await eventually(async () => {
    assert.deepEqual(Object.keys(await apps("teams")), ["t-a"], "team-a's Application proceeds");
    const err = await errorOf("teams");
    assert.equal(err?.status, "True", JSON.stringify(err));
    assert.equal(err.reason, "ApplicationValidationError");
    assert.match(err.message, /application "t-b": application references project team-b which does not exist/);
  }, { timeoutMs: 60_000 });
  await eventually(async () => {
    const events = (await client.list("v1", "Event", { namespace: ns })).items as Array<KubeObject & { involvedObject?: { kind?: string; name?: string }; type?: string; reason?: string; message?: string }>;
    const mine = events.filter((e) => e.involvedObject?.kind === "ApplicationSet" && e.involvedObject.name === "teams");
    assert.ok(mine.some((e) => e.type === "Warning" && e.reason === "ApplicationValidationError" && /project team-b which does not exist/.test(e.message ?? "")), JSON.stringify(mine.map((e) => [e.type, e.reason, e.message])));
  }, { timeoutMs: 30_000 });

  // Once team-b exists, its Application is created and the error clears: the project's creation
  // requeues the set (nothing else touches it; its own requeue would come after 180 s).
  await project("team-b");
  await eventually(async () => {
    assert.deepEqual(Object.keys(await apps("teams")), ["t-a", "t-b"]);
    assert.equal((await errorOf("teams"))?.status, "False");
  }, { timeoutMs: 60_000 });

  // team-b deleted, and both elements changed: t-b is neither updated nor deleted, t-a is updated.
  await deleteProject("team-b");
  await update("teams", (s) => { (s.spec as { generators: Array<{ list: { elements: Array<Record<string, string>> } }> }).generators[0]!.list.elements.forEach((e) => { e.path = `${e.path}2`; }); });
  await eventually(async () => {
    const now = await apps("teams");
    assert.equal((now["t-a"]?.spec as { source: { path: string } }).source.path, "a2", "t-a is updated");
    assert.match((await errorOf("teams"))?.message ?? "", /project team-b which does not exist/);
  }, { timeoutMs: 60_000 });
  const heldBack = (await apps("teams"))["t-b"];
  assert.ok(heldBack, "t-b is not deleted because its project is missing");
  assert.equal((heldBack.spec as { source: { path: string } }).source.path, "b", "nor updated");

  // A plain-named project that does not exist: the set stops before generating, so even a set that
  // now generates nothing deletes none of its Applications.
  await project("team-c");
  await client.create({ apiVersion: API, kind: "ApplicationSet", metadata: { name: "plain", namespace: ns }, spec: spec([{ name: "p-1", path: "p" }], "team-c") });
  await eventually(async () => assert.deepEqual(Object.keys(await apps("plain")), ["p-1"]), { timeoutMs: 60_000 });
  await deleteProject("team-c");
  await update("plain", (s) => { (s.spec as { generators: Array<{ list: { elements: unknown[] } }> }).generators[0]!.list.elements = []; });
  await eventually(async () => {
    const err = await errorOf("plain");
    assert.equal(err?.status, "True", JSON.stringify(err));
    assert.equal(err.reason, "ApplicationGenerationFromParamsError");
    assert.match(err.message, /^application references project team-c which does not exist/);
  }, { timeoutMs: 60_000 });
  assert.deepEqual(Object.keys(await apps("plain")), ["p-1"], "p-1 stays");
  // Created again: the set that stopped for it goes on by itself, and now deletes p-1 (no elements).
  await project("team-c");
  await eventually(async () => {
    assert.deepEqual(Object.keys(await apps("plain")), []);
    assert.equal((await errorOf("plain"))?.status, "False");
  }, { timeoutMs: 60_000 });

  // A generator's own template project: the set's project team-d is missing, but generators[0]
  // puts its Applications in team-a. Those are created; generators[1]'s (team-d's) are held back,
  // the condition naming the app and the project. Creating team-d lets them through, unprompted.
  const mixed = {
    ...spec([], "team-d"),
    generators: [
      { list: { elements: [{ name: "g-a", path: "a" }], template: { metadata: {}, spec: { project: "team-a" } } } },
      { list: { elements: [{ name: "g-d", path: "d" }] } },
    ],
  };
  await client.create({ apiVersion: API, kind: "ApplicationSet", metadata: { name: "mixed", namespace: ns }, spec: mixed });
  await eventually(async () => {
    const now = await apps("mixed");
    assert.deepEqual(Object.keys(now), ["g-a"], "the overriding generator's app is written");
    assert.equal((now["g-a"]?.spec as { project?: string }).project, "team-a");
    const err = await errorOf("mixed");
    assert.equal(err?.status, "True", JSON.stringify(err));
    assert.match(err.message, /application "g-d": application references project team-d which does not exist/);
  }, { timeoutMs: 60_000 });
  await project("team-d");
  await eventually(async () => {
    const now = await apps("mixed");
    assert.deepEqual(Object.keys(now).sort(), ["g-a", "g-d"]);
    assert.equal((now["g-d"]?.spec as { project?: string }).project, "team-d");
    assert.equal((await errorOf("mixed"))?.status, "False");
  }, { timeoutMs: 60_000 });
});
