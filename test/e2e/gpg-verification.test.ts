// GPG commit verification (issue 12): an AppProject with signatureKeys lets its apps sync only to
// commits signed by one of those keys, checked against argocd-gpg-keys-cm's public keys. Real gpg
// keys made here, real signed commits pushed to the loopback git server, the real operator: a
// commit signed by the allowed key syncs; an unsigned one and one signed by a key that is in the
// ConfigMap but not in the project are refused (ComparisonError naming the commit and the key, an
// operation to it ends in Error) and nothing of them is applied.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { packageRoot } from "../../operator/paths.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { configMapYaml, signedRepo } from "../support/gpg.js";
import { startOperatorProcess } from "../support/operator-process.js";

const API = "argoproj.io/v1alpha1";

test("projects with signatureKeys sync only commits signed by an allowed key", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-gpg-${id}`;
  const dest = `gpg-${id}`;

  const git = await startGitServer();
  t.after(() => git.stop());
  // "allowed" is the project's key; "other" is trusted by argocd-gpg-keys-cm but not by the project.
  const repo = await signedRepo(git, "s");
  t.after(() => repo.cleanup());
  const { allowed, other } = repo;
  const push = repo.push;

  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-gpg-keys-cm", namespace: ns }, data: { [allowed.keyID]: allowed.armoured, [other.keyID]: other.armoured } });
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "signed", namespace: ns },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }], signatureKeys: [{ keyID: allowed.keyID }] },
  });

  const good = await push("good", allowed);
  await client.create({
    apiVersion: API, kind: "Application", metadata: { name: "s", namespace: ns },
    spec: {
      project: "signed",
      source: { repoURL: git.baseUrl("s"), path: "app", targetRevision: "main" },
      destination: { server: "https://kubernetes.default.svc", namespace: dest },
      syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] },
    },
  });
  type Status = { sync?: { status?: string; revision?: string }; conditions?: Array<{ type: string; message: string }>; operationState?: { phase?: string; message?: string; operation?: { sync?: { revision?: string } } } };
  const status = async (): Promise<Status> => (await client.get(API, "Application", "s", ns))?.status ?? {};
  const liveValue = async (): Promise<string | undefined> => ((await client.get("v1", "ConfigMap", "signed", dest)) as { data?: { value?: string } } | undefined)?.data?.value;
  await eventually(async () => {
    const s = await status();
    assert.equal(s.sync?.status, "Synced", `a commit signed by the allowed key syncs: ${JSON.stringify(s)}`);
    assert.equal(s.sync?.revision, good, "synced to the signed commit");
  }, { timeoutMs: 90_000 });
  assert.equal(await liveValue(), "good", "the signed commit's ConfigMap is applied");

  const refresh = (): Promise<unknown> => client.patch({ apiVersion: API, kind: "Application", name: "s", namespace: ns }, { metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } });
  /** `hawser app diff s` as a user runs it (the operator's installation id is its namespace). */
  const cliDiff = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", "app", "diff", "s", ...args, "--kubeconfig", cluster.kubeconfigPath, "-n", ns],
      { cwd: packageRoot(), encoding: "utf8", env: { ...process.env, HAWSER_INSTALLATION_ID: ns } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
  });
  const refusedWith = async (message: string): Promise<void> => {
    await refresh();
    await eventually(async () => {
      const s = await status();
      const c = s.conditions?.find((x) => x.type === "ComparisonError");
      assert.equal(c?.message, message, `the refresh shows the refusal: ${JSON.stringify(s.conditions)}`);
      assert.equal(s.sync?.status, "Unknown", "a refused commit is not compared");
    }, { timeoutMs: 60_000 });
    // An explicit sync to it is refused too, before anything is applied.
    const sha = /[0-9a-f]{40}/.exec(message)?.[0] ?? "";
    await client.patch({ apiVersion: API, kind: "Application", name: "s", namespace: ns }, { operation: { initiatedBy: { username: "test" }, sync: { revision: sha } } });
    await eventually(async () => {
      const o = (await status()).operationState;
      assert.equal(o?.operation?.sync?.revision, sha, `the operation to ${sha} has run: ${JSON.stringify(o)}`);
      assert.equal(o?.phase, "Error", `the operation is refused: ${JSON.stringify(o)}`);
      assert.equal(o?.message, `ComparisonError: ${message}`, "the operation says why");
    }, { timeoutMs: 60_000 });
    assert.equal(await liveValue(), "good", "nothing of the refused commit was applied");
    // `hawser app diff` refuses the same commit with the same words (one pipeline, one check).
    const diff = await cliDiff();
    assert.equal(diff.code, 2, `the CLI diff fails: ${JSON.stringify(diff)}`);
    assert.ok(diff.stderr.includes(message), `and names the refusal: ${diff.stderr}`);
    assert.equal(diff.stdout, "", "no diff is printed for a refused commit");
  };

  const unsigned = await push("unsigned");
  await refusedWith(`Target revision ${unsigned} in Git is not signed, but a signature is required`);

  const byOther = await push("other", other);
  await refusedWith(`Found good signature made with key ${other.keyID} on revision ${byOther}, but this key is not allowed in AppProject`);

  // Signed by the allowed key again: the refusal clears and automated sync goes on.
  const again = await push("again", allowed);
  await refresh();
  await eventually(async () => {
    const s = await status();
    assert.equal(s.sync?.revision, again, `synced to ${again}: ${JSON.stringify(s)}`);
    assert.equal(s.sync?.status, "Synced", "synced again");
    assert.ok(!s.conditions?.some((c) => c.type === "ComparisonError"), `no ComparisonError left: ${JSON.stringify(s.conditions)}`);
  }, { timeoutMs: 90_000 });
  assert.equal(await liveValue(), "again", "the newly signed commit is applied");
  const clean = await cliDiff();
  assert.equal(clean.code, 0, `the CLI diff of the signed, synced commit passes verification and finds nothing: ${JSON.stringify(clean)}`);
  const local = await mkdtemp(join(tmpdir(), "hawser-gpg-local-"));
  t.after(() => rm(local, { recursive: true, force: true }));
  await writeFile(join(local, "cm.yaml"), configMapYaml("local"));
  const fromLocal = await cliDiff("--local", local);
  assert.equal(fromLocal.code, 2, `--local is refused for a project requiring signatures: ${JSON.stringify(fromLocal)}`);
  assert.match(fromLocal.stderr, /AppProject signed requires signed commits \(signatureKeys\), and a --local directory has no commit to verify/);

  // sourceIntegrity's per-repository policies are not implemented: a project setting one is
  // refused as a whole (controller and CLI), rather than rendering commits it did not verify.
  const integrity = "AppProject signed: spec.sourceIntegrity.git.policies is not supported by Hawser yet, so its signature policies cannot be enforced; use spec.signatureKeys (GPG verification of each target commit) instead, or remove the policies";
  await client.patch({ apiVersion: API, kind: "AppProject", name: "signed", namespace: ns }, { spec: { sourceIntegrity: { git: { policies: [{ repos: [{ url: "*" }], gpg: { mode: "head", keys: [allowed.keyID] } }] } } } });
  await refresh();
  await eventually(async () => {
    const c = (await status()).conditions?.find((x) => x.type === "InvalidSpecError");
    assert.equal(c?.message, integrity, `the app is refused, naming the field: ${JSON.stringify((await status()).conditions)}`);
  }, { timeoutMs: 60_000 });
  const refusedDiff = await cliDiff();
  assert.equal(refusedDiff.code, 2, `the CLI diff fails too: ${JSON.stringify(refusedDiff)}`);
  assert.ok(refusedDiff.stderr.includes(integrity), `with the same message: ${refusedDiff.stderr}`);
});
