// P5 at a small size (shared/spec/benchmarks.md; bench/scale/scenarios/p5.ts runs it at 1,000): a
// monorepo of 50 apps, directory and kustomize mixed, each annotated
// `argocd.argoproj.io/manifest-generate-paths: .`. A commit touching 3 app paths, announced by a
// push webhook listing its files, renders exactly those 3 (hawser_manifest_renders_total, cache
// misses only), and they sync to the new content; a refresh of all 50 at that commit afterwards
// renders nothing more, because the other 47 paths hash the same as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { postHeadersFirst } from "../support/http-post.js";
import { createWorld } from "../support/world.js";

const APPS = 50;
const TOUCHED = [3, 20, 41];
const name = (i: number): string => `mono-${String(i).padStart(2, "0")}`;
const kustomized = (i: number): boolean => i % 2 === 1;

function files(round: string, only?: number[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < APPS; i++) {
    if (only && !only.includes(i)) continue;
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${name(i)}\ndata:\n  round: "${round}"\n`;
    out[`apps/${name(i)}/cm.yaml`] = cm;
    if (kustomized(i)) out[`apps/${name(i)}/kustomization.yaml`] = "resources:\n- cm.yaml\ncommonLabels:\n  tool: kustomize\n";
  }
  return out;
}

interface AppStatus { sync?: { status?: string; revision?: string }; sourceType?: string; reconciledAt?: string }

test("manifest-generate-paths: a commit touching 3 of 50 monorepo apps renders exactly 3, and a full refresh renders none more", async (t) => {
  const w = await createWorld(t, { name: "mgp", repos: { mono: files("1") } });
  const { client, git } = w;
  const dest = w.dest("mono");
  await w.createNamespace(dest);
  for (let i = 0; i < APPS; i++) {
    await client.create(w.application(name(i), {
      repo: "mono", path: `apps/${name(i)}`, dest, syncPolicy: { automated: { prune: true } },
      metadata: { annotations: { "argocd.argoproj.io/manifest-generate-paths": "." } },
    }));
  }
  const statuses = async (): Promise<Array<AppStatus | undefined>> => Promise.all(Array.from({ length: APPS }, (_, i) => w.status<AppStatus>(name(i))));
  await eventually(async () => {
    const all = await statuses();
    const synced = all.filter((s) => s?.sync?.status === "Synced" && s.sync.revision === w.initialCommits.mono);
    assert.equal(synced.length, APPS, "every app Synced at the first commit");
    assert.deepEqual(new Set(all.map((s) => s?.sourceType)), new Set(["Directory", "Kustomize"]), "both tools in the mix");
  }, { timeoutMs: 180_000 });

  const metricsUrl = `${await w.op.probeUrl()}/metrics`;
  const renders = async (): Promise<number> => {
    const text = await (await fetch(metricsUrl)).text();
    let total = 0;
    for (const line of text.split("\n")) if (line.startsWith("hawser_manifest_renders_total{")) total += Number(line.split(" ").pop());
    return total;
  };
  // Each app was rendered once at least; its sync and the refresh after it were cache hits.
  const before = await renders();
  assert.ok(before >= APPS, `the first round rendered every app (${before} renders counted)`);

  const touchedFiles = Object.keys(files("2", TOUCHED)).filter((f) => f.endsWith("cm.yaml"));
  const commit = await git.commitFiles("mono", Object.fromEntries(touchedFiles.map((f) => [f, files("2", TOUCHED)[f]!])), "touch 3 apps");
  const hookUrl = `http://${String((await w.op.waitForLog((l) => l.msg === "serving git webhooks")).address)}/api/webhook`;
  const push = JSON.stringify({
    ref: "refs/heads/main", after: commit,
    repository: { clone_url: git.baseUrl("mono"), default_branch: "main" },
    commits: [{ id: commit, added: [], modified: touchedFiles, removed: [] }],
  });
  const res = await postHeadersFirst(hookUrl, { "Content-Type": "application/json", "X-GitHub-Event": "push" }, push);
  assert.equal(res.status, 200, res.text);
  await eventually(async () => {
    for (const i of TOUCHED) {
      const s = await w.status<AppStatus>(name(i));
      assert.equal(s?.sync?.revision, commit, `${name(i)} compared at the new commit`);
      assert.equal(s?.sync?.status, "Synced", `${name(i)} synced`);
    }
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>("v1", "ConfigMap", `cm-${name(TOUCHED[0]!)}`, dest);
    assert.equal(cm?.data?.round, "2", "the new content is applied");
  }, { timeoutMs: 120_000 });
  assert.equal(await renders() - before, TOUCHED.length, "exactly the touched apps were rendered");
  const refreshed = w.op.logs.filter((l) => l.msg === "webhook push: refreshing applications").at(-1);
  assert.equal(refreshed?.applications, TOUCHED.length, "the webhook refreshed only the apps whose paths the push touched");

  // What polling would do: every app refreshed at the new commit. The 47 untouched paths hash as
  // before, so their renders come from the cache.
  for (let i = 0; i < APPS; i++) await w.refresh(name(i));
  await eventually(async () => {
    const all = await statuses();
    assert.equal(all.filter((s) => s?.sync?.revision === commit && s.sync.status === "Synced").length, APPS, "every app Synced at the new commit");
  }, { timeoutMs: 120_000 });
  assert.equal(await renders() - before, TOUCHED.length, "no untouched app was rendered again");
});
