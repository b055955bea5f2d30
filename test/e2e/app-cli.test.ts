// `hawser app ...` end to end: seed 002's dev Application (automated sync off) in a cluster with the
// operator and a loopback git server, driven by the CLI as a user runs it (a subprocess).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Application } from "../../operator/api/index.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { fromDir } from "../support/git-server.js";
import { API, createWorld, showRun as show } from "../support/world.js";

const seed = fileURLToPath(new URL("../../hack/demo/seed-002", import.meta.url));
const repoDir = join(seed, "repo-argocd-kustomize-demo");

type Container = { env?: Array<{ name: string; value: string }> };
const appNameEnv = (d: KubeObject | undefined): string | undefined =>
  ((d?.spec as { template: { spec: { containers: Container[] } } } | undefined)?.template.spec.containers[0]?.env ?? []).find((e) => e.name === "APP_NAME")?.value;

test("hawser app: list, get, sync, wait, diff, history, rollback, terminate-op, delete against the operator", async (t) => {
  const w = await createWorld(t, { name: "cli", repos: { demo: fromDir(repoDir) } });
  const { client, git, ns } = w;
  const dest = w.dest("dev");
  // Unique app names: tracking ids carry only the app name, so another test's operator on the
  // shared cluster would count objects of a same-named app as its own.
  const appName = `demo-dev-${w.id}`;
  const hookedName = `hooked-${w.id}`;
  const sha1 = w.initialCommits.demo!;
  const hawser = w.hawserApp;

  // The seed's dev app with automated sync off, so the CLI drives every sync.
  const app = parse(await readFile(join(seed, "app-demo-dev.yaml"), "utf8")) as KubeObject;
  app.metadata.namespace = ns;
  app.metadata.name = appName;
  const spec = app.spec as { project: string; source: { repoURL: string }; destination: { namespace: string }; syncPolicy: Record<string, unknown> };
  spec.project = "default";
  spec.source.repoURL = git.baseUrl("demo");
  spec.destination.namespace = dest;
  delete spec.syncPolicy.automated;
  await client.create(app);
  const getApp = async (): Promise<Application | undefined> => client.get<Application>(API, "Application", appName, ns);
  await eventually(async () => assert.equal((await getApp())?.status?.sync?.status, "OutOfSync", "compared, not synced yet"), { timeoutMs: 90_000 });

  // list / get
  const list = await hawser("list");
  assert.equal(list.code, 0, show(list));
  assert.match(list.stdout, /^NAME\s+CLUSTER\s+NAMESPACE\s+PROJECT\s+STATUS\s+HEALTH\s+SYNCPOLICY\s+CONDITIONS$/m, show(list));
  assert.match(list.stdout, new RegExp(`^${ns}/${appName}\\s+https://kubernetes.default.svc\\s+${dest}\\s+default\\s+OutOfSync\\s+\\S+\\s+Manual`, "m"), show(list));
  const get = await hawser("get", appName);
  assert.equal(get.code, 0, show(get));
  assert.match(get.stdout, /^Sync Status:\s+OutOfSync to main \(/m, show(get));
  assert.match(get.stdout, /^apps\s+Deployment\s+\S+\s+dev-demo\s+OutOfSync/m, show(get));
  const getJson = await hawser("get", appName, "-o", "json");
  assert.equal((JSON.parse(getJson.stdout) as Application).metadata.name, appName, show(getJson));
  const missing = await hawser("get", "nope");
  assert.equal(missing.code, 2, show(missing));
  assert.match(missing.stderr, /application .*\/nope not found/, show(missing));

  // sync --prune waits for the operation and prints its results.
  const sync = await hawser("sync", appName, "--prune", "--timeout", "120");
  assert.equal(sync.code, 0, show(sync));
  assert.match(sync.stdout, /^apps\s+Deployment\s+\S+\s+dev-demo\s+Synced/m, show(sync));
  assert.match(sync.stdout, /^Phase:\s+Succeeded$/m, show(sync));
  const synced = await getApp();
  assert.equal(synced?.operation, undefined, "operation cleared");
  assert.equal(synced?.status?.operationState?.operation.initiatedBy?.username, process.env.USER || "hawser-cli", "initiated by the CLI user");
  assert.equal(synced?.status?.operationState?.operation.sync?.prune, true, "prune requested");

  const waited = await hawser("wait", appName, "--health", "--timeout", "120");
  assert.equal(waited.code, 0, show(waited));
  assert.match(waited.stdout, /^Health Status:\s+Healthy$/m, show(waited));
  const all = await hawser("wait", appName, "--timeout", "60");
  assert.equal(all.code, 0, show(all));

  // diff: nothing after the sync; the replicas after a hand edit.
  const clean = await hawser("diff", appName);
  assert.equal(clean.code, 0, show(clean));
  assert.equal(clean.stdout, "", show(clean));
  const local = await hawser("diff", appName, "--local", join(repoDir, "overlays", "dev"), "--local-repo-root", repoDir);
  assert.equal(local.code, 0, show(local));
  await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "dev-demo", namespace: dest }, { spec: { replicas: 3 } });
  const drift = await hawser("diff", appName);
  assert.equal(drift.code, 1, show(drift));
  assert.match(drift.stdout, /^===== apps\/Deployment .*\/dev-demo ======$/m, show(drift));
  assert.match(drift.stdout, /^-\s+replicas: 3$/m, show(drift));
  assert.match(drift.stdout, /^\+\s+replicas: 1$/m, show(drift));

  // wait --sync times out (exit 1) and says what it last saw.
  await eventually(async () => assert.equal((await getApp())?.status?.sync?.status, "OutOfSync", "drift seen"), { timeoutMs: 60_000 });
  const timedOut = await hawser("wait", appName, "--sync", "--timeout", "2");
  assert.equal(timedOut.code, 1, show(timedOut));
  assert.match(timedOut.stderr, /timed out after 2s .*sync status is OutOfSync, want Synced/, show(timedOut));

  const idle = await hawser("terminate-op", appName);
  assert.equal(idle.code, 2, show(idle));
  assert.match(idle.stderr, new RegExp(`${appName}: cannot terminate: no operation is in progress`), show(idle));

  // A second commit synced by revision, so history has two entries.
  const overlay = (await readFile(join(repoDir, "overlays", "dev", "kustomization.yaml"), "utf8")).replace('value: "Dev"', 'value: "Dev2"');
  const sha2 = await git.commitFiles("demo", { "overlays/dev/kustomization.yaml": overlay }, "dev: new APP_NAME");
  const sync2 = await hawser("sync", appName, "--revision", sha2, "--timeout", "120");
  assert.equal(sync2.code, 0, show(sync2));
  assert.equal(appNameEnv(await client.get("apps/v1", "Deployment", "dev-demo", dest)), "Dev2", "second commit deployed");
  const hist = await hawser("history", appName);
  assert.equal(hist.code, 0, show(hist));
  assert.match(hist.stdout, /^ID\s+DATE\s+REVISION\s+SOURCE$/m, show(hist));
  assert.match(hist.stdout, new RegExp(`^0\\s+\\S+\\s+${sha1.slice(0, 7)}\\s+${git.baseUrl("demo")} overlays/dev$`, "m"), show(hist));
  assert.match(hist.stdout, new RegExp(`^1\\s+\\S+\\s+${sha2.slice(0, 7)}\\s`, "m"), show(hist));

  // rollback (default: the entry before the latest) writes the entry's revision and source.
  const rb = await hawser("rollback", appName, "--timeout", "120");
  assert.equal(rb.code, 0, show(rb));
  const rolled = await getApp();
  assert.equal(rolled?.status?.operationState?.operation.sync?.revision, sha1, "rollback to the first revision");
  assert.equal(rolled?.status?.operationState?.operation.sync?.source?.path, "overlays/dev", "with that entry's source");
  assert.ok(rolled?.status?.operationState?.operation.sync?.syncStrategy?.apply, "apply strategy, as Argo's rollback");
  assert.equal(appNameEnv(await client.get("apps/v1", "Deployment", "dev-demo", dest)), "Dev", "first commit deployed again");
  const atSha1 = await hawser("diff", appName, "--revision", sha1);
  assert.equal(atSha1.code, 0, show(atSha1));
  const unknownId = await hawser("rollback", appName, "42");
  assert.equal(unknownId.code, 2, show(unknownId));
  assert.match(unknownId.stderr, new RegExp(`${appName}: no history entry with id 42`), show(unknownId));

  // An operation held by a PreSync hook Pod that cannot be scheduled: a second sync is refused,
  // terminate-op stops it, and a cascading delete removes the Application.
  await git.createRepo("hooks", {
    "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-hook\ndata:\n  a: b\n",
    "hook.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: presync-wait\n  annotations:\n    argocd.argoproj.io/hook: PreSync\nspec:\n  nodeSelector:\n    hawser.test/no-such-node: \"true\"\n  containers:\n  - name: c\n    image: busybox\n",
  });
  await client.create({
    apiVersion: API, kind: "Application", metadata: { name: hookedName, namespace: ns },
    spec: { project: "default", source: { repoURL: git.baseUrl("hooks"), path: ".", targetRevision: "HEAD" }, destination: { server: "https://kubernetes.default.svc", namespace: dest } },
  });
  const hooked = async (): Promise<Application | undefined> => client.get<Application>(API, "Application", hookedName, ns);
  await eventually(async () => assert.equal((await hooked())?.status?.sync?.status, "OutOfSync", "hooked compared"), { timeoutMs: 60_000 });
  const started = await hawser("sync", hookedName, "--async");
  assert.equal(started.code, 0, show(started));
  assert.match(started.stdout, new RegExp(`${hookedName}: sync requested`), show(started));
  await eventually(async () => {
    const s = (await hooked())?.status?.operationState;
    assert.equal(s?.phase, "Running", "the operation runs");
    assert.ok((s?.syncResult?.resources ?? []).some((r) => r.kind === "Pod" && r.hookPhase === "Running"), "and waits for the hook Pod");
  }, { timeoutMs: 60_000 });
  const refused = await hawser("sync", hookedName);
  assert.equal(refused.code, 2, show(refused));
  assert.match(refused.stderr, new RegExp(`application ${hookedName}: cannot sync: another operation is already in progress \\(phase Running`), show(refused));
  const term = await hawser("terminate-op", hookedName);
  assert.equal(term.code, 0, show(term));
  const opDone = await hawser("wait", hookedName, "--operation", "--timeout", "60");
  assert.equal(opDone.code, 0, show(opDone));
  const after = (await hooked())?.status?.operationState;
  assert.equal(after?.phase, "Failed", "terminated operations fail");
  assert.equal(after?.message, "Operation terminated", "with Argo's message");
  // The terminated hook loses its finalizer and is deleted by the controller (Argo's terminate).
  await eventually(async () => {
    const left = await client.get("v1", "Pod", "presync-wait", dest);
    assert.ok(!left?.metadata.finalizers?.includes("argocd.argoproj.io/hook-finalizer"), `the terminated hook keeps no hook finalizer: ${JSON.stringify(left?.metadata)}`);
  }, { timeoutMs: 30_000 });
  const gone = await hawser("delete", hookedName, "--wait", "--timeout", "60");
  assert.equal(gone.code, 0, show(gone));
  assert.equal(await hooked(), undefined, "the hooked app is deleted");

  // delete --cascade=false: the Application goes, its Deployment stays.
  const del = await hawser("delete", appName, "--cascade=false", "--wait", "--timeout", "60");
  assert.equal(del.code, 0, show(del));
  assert.equal(await getApp(), undefined, "the Application is gone");
  assert.ok(await client.get("apps/v1", "Deployment", "dev-demo", dest), "the Deployment is kept");
});
