// The CLI through `hawser server` end to end (issue 13 item 5): the operator and the API server (TLS
// with its self-signed certificate) as processes on the real control plane, the CLI as a user runs
// it. `hawser login` with the initial admin password, then seed 003's operations lines (app diff,
// app sync --force, app sync --revision, app rollback) through the server, the same with --core,
// and logout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Application } from "../../operator/api/index.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { fromDir } from "../support/git-server.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, createWorld, showRun as show, type CliRun } from "../support/world.js";
import { initialAdminPassword } from "../support/api-session.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const seed = join(root, "hack", "demo", "seed-002");
const repoDir = join(seed, "repo-argocd-kustomize-demo");

type Container = { env?: Array<{ name: string; value: string }> };
const appNameEnv = (d: KubeObject | undefined): string | undefined =>
  ((d?.spec as { template: { spec: { containers: Container[] } } } | undefined)?.template.spec.containers[0]?.env ?? []).find((e) => e.name === "APP_NAME")?.value;

test("hawser login, then app diff / sync --force / sync --revision / rollback through the server, and with --core", async (t) => {
  const w = await createWorld(t, { name: "clisrv", repos: { demo: fromDir(repoDir) } });
  const { client, git, ns } = w;
  const dest = w.dest("dev");
  const appName = `demo-dev-${w.id}`;
  const sha1 = w.initialCommits.demo!;
  // The test operator's installation id (its --installation-id flag) in argocd-cm, where the API
  // server reads it, so both see the same resources as the app's.
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { installationID: ns } });

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

  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, tls: true });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/, "TLS with the self-signed certificate");
  const hostPort = url.slice("https://".length);
  const password = await initialAdminPassword(client, ns);

  const dir = await mkdtemp(join(tmpdir(), "hawser-cli-e2e-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, "config");
  const hawser = (...args: string[]): Promise<CliRun> => new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", ...args], { cwd: root, encoding: "utf8", maxBuffer: 16 << 20, env: { ...process.env, HAWSER_CONFIG: config, HAWSER_AUTH_TOKEN: "", ARGOCD_AUTH_TOKEN: "" } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
  });

  // ---- login ----
  const untrusted = await hawser("login", hostPort, "--username", "admin", "--password", password);
  assert.equal(untrusted.code, 2, show(untrusted));
  assert.match(untrusted.stderr, /not trusted .*--insecure/, show(untrusted));
  const wrong = await hawser("login", hostPort, "--insecure", "--username", "admin", "--password", "not-the-password");
  assert.equal(wrong.code, 2, show(wrong));
  assert.match(wrong.stderr, /^hawser login: Invalid username or password\n$/, show(wrong));
  const login = await hawser("login", hostPort, "--insecure", "--username", "admin", "--password", password);
  assert.equal(login.code, 0, show(login));
  assert.ok(!login.stdout.includes(password) && !login.stderr.includes(password), "the password is not printed");
  assert.equal((await stat(config)).mode & 0o777, 0o600, "the config holds a token: owner only");
  const ctx = await hawser("context");
  assert.match(ctx.stdout, new RegExp(`^\\*\\s+${hostPort.replace(/\./g, "\\.")}\\s+${hostPort.replace(/\./g, "\\.")}$`, "m"), show(ctx));

  // ---- through the server ----
  const list = await hawser("app", "list");
  assert.equal(list.code, 0, show(list));
  assert.match(list.stdout, new RegExp(`^${ns}/${appName}\\s+https://kubernetes.default.svc\\s+${dest}\\s+default\\s+OutOfSync`, "m"), show(list));
  const before = await hawser("app", "diff", appName);
  assert.equal(before.code, 1, `nothing deployed yet: a diff\n${show(before)}`);
  assert.match(before.stdout, /^===== apps\/Deployment .*\/dev-demo ======$/m, show(before));

  // argocd app sync <app-name> --force
  const forced = await hawser("app", "sync", appName, "--force", "--timeout", "120");
  assert.equal(forced.code, 0, show(forced));
  assert.match(forced.stdout, /^apps\s+Deployment\s+\S+\s+dev-demo\s+Synced/m, show(forced));
  assert.match(forced.stdout, /^Phase:\s+Succeeded$/m, show(forced));
  const afterForce = await getApp();
  assert.equal(afterForce?.status?.operationState?.operation.initiatedBy?.username, "admin", "the server records the logged-in user");
  assert.equal(afterForce?.status?.operationState?.operation.sync?.syncStrategy?.hook?.force, true, "--force went through as argocd sends it");
  const healthy = await hawser("app", "wait", appName, "--health", "--timeout", "120");
  assert.equal(healthy.code, 0, show(healthy));
  // argocd app diff <app-name>
  const clean = await hawser("app", "diff", appName);
  assert.equal(clean.code, 0, show(clean));
  assert.equal(clean.stdout, "", show(clean));

  // argocd app sync <app-name> --revision <commit-hash>
  const overlay = (await readFile(join(repoDir, "overlays", "dev", "kustomization.yaml"), "utf8")).replace('value: "Dev"', 'value: "Dev2"');
  const sha2 = await git.commitFiles("demo", { "overlays/dev/kustomization.yaml": overlay }, "dev: new APP_NAME");
  const byRevision = await hawser("app", "sync", appName, "--revision", sha2, "--timeout", "120");
  assert.equal(byRevision.code, 0, show(byRevision));
  assert.equal(appNameEnv(await client.get("apps/v1", "Deployment", "dev-demo", dest)), "Dev2", "the second commit is deployed");

  // argocd app rollback <app-name> <revision>: the history id of the first sync.
  const history = (await getApp())?.status?.history ?? [];
  const first = history.find((h) => h.revision === sha1);
  assert.ok(first, `a history entry for ${sha1}: ${JSON.stringify(history)}`);
  const rb = await hawser("app", "rollback", appName, String(first.id), "--timeout", "120");
  assert.equal(rb.code, 0, show(rb));
  assert.equal((await getApp())?.status?.operationState?.operation.sync?.revision, sha1, "rolled back to the first revision");
  assert.equal(appNameEnv(await client.get("apps/v1", "Deployment", "dev-demo", dest)), "Dev", "the first commit is deployed again");

  // Refusals come back with the server's message.
  const unknown = await hawser("app", "get", "nope");
  assert.equal(unknown.code, 2, show(unknown));
  assert.match(unknown.stderr, /^hawser app get: permission denied/, show(unknown));

  // ---- the same lines with --core, straight to Kubernetes ----
  // After the rollback the app is behind its branch (at sha2): both ways in print the same diff.
  const core = w.hawserApp;
  const serverDiff = await hawser("app", "diff", appName);
  assert.equal(serverDiff.code, 1, show(serverDiff));
  assert.match(serverDiff.stdout, /^-\s+value: Dev\n\+\s+value: Dev2$/m, show(serverDiff));
  const coreDiff = await core("diff", appName);
  assert.equal(coreDiff.code, 1, show(coreDiff));
  assert.equal(coreDiff.stdout, serverDiff.stdout, "--core and the server print the same diff");
  const coreForce = await core("sync", appName, "--force", "--timeout", "120");
  assert.equal(coreForce.code, 0, show(coreForce));
  assert.equal((await getApp())?.status?.operationState?.operation.initiatedBy?.username, process.env.USER || "hawser-cli", "--core writes as the local user");
  const coreRev = await core("sync", appName, "--revision", sha2, "--timeout", "120");
  assert.equal(coreRev.code, 0, show(coreRev));
  assert.equal(appNameEnv(await client.get("apps/v1", "Deployment", "dev-demo", dest)), "Dev2", "--core sync by revision");
  const coreRb = await core("rollback", appName, String(first.id), "--timeout", "120");
  assert.equal(coreRb.code, 0, show(coreRb));
  assert.equal(appNameEnv(await client.get("apps/v1", "Deployment", "dev-demo", dest)), "Dev", "--core rollback");

  // ---- logout: the token is gone, the server says so ----
  const out = await hawser("logout");
  assert.equal(out.code, 0, show(out));
  const denied = await hawser("app", "list");
  assert.equal(denied.code, 2, show(denied));
  assert.match(denied.stderr, /no session information \(log in again: hawser login SERVER/, show(denied));
});
