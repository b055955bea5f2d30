// A git directory generator through the running operator against a loopback repository: a
// directory added in git adds an Application and a removed one deletes it (policy sync), seen at
// once through a GitHub push webhook; a set with a short requeueAfterSeconds sees commits without
// one, and its create-update policy keeps the Application of a removed directory.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata: {}\n`;

test("git directory generator: directories added and removed in git add and delete Applications", async (t) => {
  const w = await createWorld(t, { name: "asg", repos: { apps: { "apps/a/cm.yaml": cm("a"), "apps/b/cm.yaml": cm("b"), "README.md": "x\n" } } });
  const { client, git, ns, op } = w;
  const hook = await op.waitForLog((l) => l.msg === "serving git webhooks");

  const appSet = (name: string, requeueAfterSeconds: number, applicationsSync: string): KubeObject => ({
    apiVersion: API,
    kind: "ApplicationSet",
    metadata: { name, namespace: ns },
    spec: {
      goTemplate: true,
      generators: [{ git: { repoURL: git.baseUrl("apps"), revision: "HEAD", directories: [{ path: "apps/*" }], requeueAfterSeconds } }],
      template: {
        metadata: { name: `${name}-{{ .path.basename }}` },
        spec: { project: "default", source: { repoURL: git.baseUrl("apps"), path: "{{ .path.path }}", targetRevision: "HEAD" }, destination: { server: "https://kubernetes.default.svc", namespace: ns } },
      },
      syncPolicy: { applicationsSync, preserveResourcesOnDeletion: true },
    },
  });
  const names = async (set: string): Promise<string[]> => (await client.list(API, "Application", { namespace: ns })).items
    .filter((a) => !a.metadata.deletionTimestamp && a.metadata.ownerReferences?.some((o) => o.kind === "ApplicationSet" && o.name === set))
    .map((a) => a.metadata.name ?? "").sort();

  // "hooked" only hears of commits through the webhook (an hour's requeue); "polled" every 2 s.
  await client.create(appSet("hooked", 3600, "sync"));
  await client.create(appSet("polled", 2, "create-update"));
  await eventually(async () => assert.deepEqual(await names("hooked"), ["hooked-a", "hooked-b"]), { timeoutMs: 60_000 });
  await eventually(async () => assert.deepEqual(await names("polled"), ["polled-a", "polled-b"]), { timeoutMs: 60_000 });

  const push = async (after: string): Promise<void> => {
    const res = await fetch(`http://${String(hook.address)}/api/webhook`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-GitHub-Event": "push" },
      body: JSON.stringify({ ref: "refs/heads/main", after, repository: { clone_url: git.baseUrl("apps"), html_url: git.baseUrl("apps"), default_branch: "main" }, commits: [] }),
    });
    assert.equal(res.status, 200, await res.text());
  };

  // A new directory: the polled set sees it on its own; the hooked one once the push arrives.
  const added = await git.commitFiles("apps", { "apps/c/cm.yaml": cm("c") }, "add c");
  await eventually(async () => assert.deepEqual(await names("polled"), ["polled-a", "polled-b", "polled-c"]), { timeoutMs: 60_000 });
  assert.deepEqual(await names("hooked"), ["hooked-a", "hooked-b"], "no push yet, no requeue due: unchanged");
  await push(added);
  await eventually(async () => assert.deepEqual(await names("hooked"), ["hooked-a", "hooked-b", "hooked-c"]), { timeoutMs: 30_000 });
  await op.waitForLog((l) => l.msg === "webhook push: refreshing applications" && l.applicationSets === 2);

  // A removed directory: deleted under sync, kept under create-update.
  const removed = await git.commitFiles("apps", {}, "remove a", { delete: ["apps/a"] });
  await push(removed);
  await eventually(async () => assert.deepEqual(await names("hooked"), ["hooked-b", "hooked-c"]), { timeoutMs: 30_000 });
  // Give the polled set several requeues to (wrongly) delete polled-a: it must still be there.
  await new Promise((r) => setTimeout(r, 5_000));
  assert.deepEqual(await names("polled"), ["polled-a", "polled-b", "polled-c"], "create-update never deletes");
});
