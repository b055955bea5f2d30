// Prune=confirm (issue 11, item 3): a prune of a resource marked Prune=confirm waits for the
// Application's argocd.argoproj.io/deletion-approved annotation, and only an approval given since
// the operation started counts. An approval left on the Application from an earlier operation must
// not confirm later prunes (it used to: any value did).
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

const APPROVED = "argocd.argoproj.io/deletion-approved";

interface OpState { phase?: string; message?: string; startedAt?: string }

test("Prune=confirm waits for an approval given since the operation started; a stale one confirms nothing", async (t) => {
  const cm = (name: string): string => stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, annotations: { "argocd.argoproj.io/sync-options": "Prune=confirm" } }, data: { a: "1" } });
  const w = await createWorld(t, {
    name: "confirm",
    repos: { c: { "app/one.yaml": cm("one"), "app/two.yaml": cm("two"), "app/keep.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "keep" }, data: {} }) } },
  });
  const { client, git, ns } = w;
  const dest = w.dest("confirm");
  await w.createNamespace(dest);
  await client.create(w.application("c", { repo: "c", path: "app", dest }));
  const ref = { apiVersion: API, kind: "Application", name: "c", namespace: ns };
  const opState = async (): Promise<OpState | undefined> => (await w.status<{ operationState?: OpState }>("c"))?.operationState;
  const exists = async (name: string): Promise<boolean> => (await client.get("v1", "ConfigMap", name, dest)) !== undefined;
  // The commit is named, so the operation does not depend on when the ref listing is refreshed.
  const syncWithPrune = async (revision?: string): Promise<OpState> => {
    const before = (await opState())?.startedAt;
    await client.patch(ref, { operation: { sync: { prune: true, ...(revision ? { revision } : {}) }, initiatedBy: { username: "test" } } });
    let state: OpState | undefined;
    await eventually(async () => {
      state = await opState();
      assert.ok(state?.startedAt && state.startedAt !== before, `a new operation started: ${JSON.stringify(state)}`);
    }, { timeoutMs: 60_000 });
    return state!;
  };
  const waitsForConfirmation = async (name: string): Promise<void> => {
    await eventually(async () => {
      const s = await opState();
      assert.equal(s?.phase, "Running", `still running: ${JSON.stringify(s)}`);
      assert.match(s?.message ?? "", new RegExp(`Waiting for pruning confirmation of ConfigMap ${dest}/${name}`), `waits for ${name}: ${s?.message}`);
    }, { timeoutMs: 60_000 });
  };
  const succeeds = async (): Promise<void> => {
    await eventually(async () => { assert.equal((await opState())?.phase, "Succeeded", "operation succeeded"); }, { timeoutMs: 60_000 });
  };

  await syncWithPrune();
  await succeeds();
  assert.ok(await exists("one") && await exists("two"), "both created");

  // One file goes from git: the prune waits, and an approval older than the operation does not help.
  const first = await syncWithPrune(await git.commitFiles("c", {}, "drop one", { delete: ["app/one.yaml"] }));
  await waitsForConfirmation("one");
  const stale = new Date(Date.parse(first.startedAt!) - 60_000).toISOString().replace(/\.\d+Z$/, "Z");
  await client.patch(ref, { metadata: { annotations: { [APPROVED]: stale } } });
  await waitsForConfirmation("one");
  assert.equal(await exists("one"), true, "a stale approval pruned nothing");
  await client.patch(ref, { metadata: { annotations: { [APPROVED]: new Date().toISOString().replace(/\.\d+Z$/, "Z") } } });
  await succeeds();
  assert.equal(await exists("one"), false, "pruned after a fresh approval");

  // The approval stays on the Application; the next operation's prune must ask again.
  await syncWithPrune(await git.commitFiles("c", {}, "drop two", { delete: ["app/two.yaml"] }));
  await waitsForConfirmation("two");
  assert.equal(await exists("two"), true, "the earlier approval did not confirm this prune");
  await client.patch(ref, { metadata: { annotations: { [APPROVED]: new Date(Date.now() + 1000).toISOString().replace(/\.\d+Z$/, "Z") } } });
  await succeeds();
  assert.equal(await exists("two"), false, "pruned once approved again");
  assert.equal(await exists("keep"), true, "the rest is untouched");
});
