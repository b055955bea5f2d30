// ApplicationSets through the running operator: seed 000's list ApplicationSet creates one
// Application per element (owned by the set); removing an element deletes its Application; seed
// 001's published set reports an error condition and creates nothing.
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
