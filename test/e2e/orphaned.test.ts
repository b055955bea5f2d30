// AppProject orphanedResources.warn (issue 4): an object in the destination namespace that no
// Application tracks gives the app an OrphanedResourceWarning; ignored names and namespace
// furniture (kube-root-ca.crt) do not count, and the condition goes when the stray object goes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

interface AppStatus { sync?: { status?: string }; conditions?: Array<{ type: string; message: string }> }

test("orphaned resources in the destination namespace are warned about when the project asks", async (t) => {
  const w = await createWorld(t, {
    name: "orphan",
    repos: { o: { "app/cm.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "managed" }, data: { a: "1" } }) } },
  });
  const { client, ns } = w;
  const dest = w.dest("orphan");
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "watched", namespace: ns },
    spec: {
      sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }],
      orphanedResources: { warn: true, ignore: [{ kind: "ConfigMap", name: "ignored-*" }] },
    },
  });
  await client.create(w.application("o", {
    repo: "o", path: "app", dest, project: "watched",
    syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] },
  }));
  const conditions = async (): Promise<Array<{ type: string; message: string }>> => (await w.status<AppStatus>("o"))?.conditions ?? [];
  const status = async (): Promise<string | undefined> => (await w.status<AppStatus>("o"))?.sync?.status;
  await eventually(async () => { assert.equal(await status(), "Synced", "synced"); }, { timeoutMs: 90_000 });
  assert.ok(!(await conditions()).some((c) => c.type === "OrphanedResourceWarning"), "no orphans yet (kube-root-ca.crt does not count)");

  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "stray", namespace: dest }, data: {} });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ignored-one", namespace: dest }, data: {} });
  await w.refresh("o");
  await eventually(async () => {
    const c = (await conditions()).find((x) => x.type === "OrphanedResourceWarning");
    assert.equal(c?.message, "Application has 1 orphaned resources", `one orphan (the ignored one does not count): ${JSON.stringify(await conditions())}`);
  }, { timeoutMs: 60_000 });
  assert.equal(await status(), "Synced", "an orphan does not make the app OutOfSync");

  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "stray", namespace: dest });
  await w.refresh("o");
  await eventually(async () => {
    assert.ok(!(await conditions()).some((x) => x.type === "OrphanedResourceWarning"), "the warning goes with the orphan");
  }, { timeoutMs: 60_000 });
});
