// The CLI's cluster, repo and appset management end to end (issue 13 item 5): `hawser server` on
// the real control plane, the CLI as a user runs it, through the server and with --core.
// - cluster add of the dev cluster's own context (a second, named entry) installs the manager
//   ServiceAccount with its ClusterRole/binding and token, and writes Argo's cluster Secret whose
//   token works against the apiserver; cluster rm removes it; the same with --core;
// - repo add with credentials writes the Secret, repo list/get show it without the password (which
//   no CLI output ever contains); repo rm; --core likewise;
// - appset create (then unchanged, --dry-run listing the Applications), appset delete;
// - a role:readonly user's cluster add and repo add are refused (exit 2, permission denied) and
//   write nothing, not even the ServiceAccount.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { KubeConfig } from "@kubernetes/client-node";
import { kubeConfigForCluster, parseClusterSecret, secretData } from "../../operator/cluster/clusters.js";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { initialAdminPassword } from "../support/api-session.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, createWorld, IN_CLUSTER, showRun as show, type CliRun } from "../support/world.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const REPO_PASSWORD = "repo-pass-7c1e94d2";
const CORE_REPO_PASSWORD = "core-pass-5b8a03f6";

test("hawser cluster add/rm, repo add/list/rm, appset create/delete through the server and --core; readonly refused", async (t) => {
  const w = await createWorld(t, {
    name: "climgmt",
    repos: { app: { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: v\n" } },
    argocdCm: { "accounts.reader": "login" },
    startOperator: false,
  });
  const { client, ns, id } = w;
  const kubeconfig = w.cluster.kubeconfigPath;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const context = kc.getCurrentContext();
  const apiserver = kc.getCurrentCluster()!.server.replace(/\/+$/, "");
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: { "policy.csv": "g, reader, role:readonly\n" } });
  // No operator runs here: the default project an ApplicationSet's template names is created by hand.
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "default", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] } });

  // Manager objects in kube-system, named per test so teardown removes only this test's.
  const sa = `hawser-mgr-${id}`;
  const coreSa = `hawser-core-${id}`;
  const readerSa = `hawser-ro-${id}`;
  t.after(async () => {
    for (const name of [sa, coreSa, readerSa]) {
      await client.delete({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", name: `${name}-role-binding` }).catch(() => undefined);
      await client.delete({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name: `${name}-role` }).catch(() => undefined);
      await client.delete({ apiVersion: "v1", kind: "Secret", name: `${name}-long-lived-token`, namespace: "kube-system" }).catch(() => undefined);
      await client.delete({ apiVersion: "v1", kind: "ServiceAccount", name, namespace: "kube-system" }).catch(() => undefined);
    }
  });

  const server = startServerProcess({ kubeconfig, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const hostPort = (await server.url()).replace(/^http:\/\//, "");
  const adminPassword = await initialAdminPassword(client, ns);

  const dir = await mkdtemp(join(tmpdir(), "hawser-cli-manage-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const outputs: CliRun[] = [];
  const run = (config: string, args: string[], input = ""): Promise<CliRun> => new Promise((resolve) => {
    const child = execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", ...args], { cwd: root, encoding: "utf8", maxBuffer: 16 << 20, env: { ...process.env, HAWSER_CONFIG: config, HAWSER_AUTH_TOKEN: "", ARGOCD_AUTH_TOKEN: "", KUBECONFIG: kubeconfig } },
      (err, stdout, stderr) => {
        const r = { code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr };
        outputs.push(r);
        if (process.env.HAWSER_TEST_VERBOSE) process.stderr.write(`$ hawser ${args.join(" ")}\n${show(r)}\n`);
        resolve(r);
      });
    child.stdin?.end(input);
  });
  const admin = (...args: string[]): Promise<CliRun> => run(join(dir, "admin"), args);
  const reader = (...args: string[]): Promise<CliRun> => run(join(dir, "reader"), args);
  const core = (...args: string[]): Promise<CliRun> => run(join(dir, "none"), [...args, "--core"]);

  const login = await admin("login", hostPort, "--plaintext", "--username", "admin", "--password", adminPassword);
  assert.equal(login.code, 0, show(login));

  const clusterSecrets = async (): Promise<KubeObject[]> => (await client.list("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=cluster" })).items;
  const tokenWorks = async (secret: KubeObject): Promise<void> => {
    const entry = parseClusterSecret(secret);
    assert.ok(!("error" in entry), `the cluster Secret parses: ${JSON.stringify(entry)}`);
    assert.ok(entry.config.bearerToken, "the Secret's config has a bearer token");
    assert.ok(entry.config.tlsClientConfig?.caData, "and the CA of the kubeconfig's cluster");
    const asManager = new KubeClient(kubeConfigForCluster(entry));
    try {
      const namespaces = await asManager.list("v1", "Namespace");
      assert.ok(namespaces.items.some((n) => n.metadata.name === ns), "the manager token lists namespaces (cluster-wide rights)");
      const review = await asManager.request<{ status?: { userInfo?: { username?: string } } }>("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } });
      assert.match(review.status?.userInfo?.username ?? "", /^system:serviceaccount:kube-system:hawser-(mgr|core)-/, "the token is the manager ServiceAccount's");
    } finally {
      asManager.close();
    }
  };

  // ---- cluster add through the server ----
  const name = `second-${id}`;
  const added = await admin("cluster", "add", context, "--name", name, "--service-account", sa, "--kubeconfig", kubeconfig, "-y");
  assert.equal(added.code, 0, show(added));
  assert.equal(added.stdout, `Cluster '${apiserver}' added\n`, show(added));
  assert.match(added.stderr, new RegExp(`ServiceAccount "${sa}" in namespace "kube-system" created`), show(added));
  assert.ok(await client.get("v1", "ServiceAccount", sa, "kube-system"), "the manager ServiceAccount exists");
  const binding = await client.get<KubeObject & { subjects?: Array<{ name?: string }> }>("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", `${sa}-role-binding`);
  assert.equal(binding?.subjects?.[0]?.name, sa, "bound to its ClusterRole");
  const [secret] = await clusterSecrets();
  assert.ok(secret, "a cluster Secret in the control namespace");
  const data = secretData(secret);
  assert.deepEqual([data.name, data.server], [name, apiserver], "named entry for the context's server");
  await tokenWorks(secret);
  const token = (JSON.parse(data.config!) as { bearerToken: string }).bearerToken;

  // The server answers from its watch cache, which follows the write shortly.
  await eventually(async () => {
    const listed = await admin("cluster", "list");
    assert.equal(listed.code, 0, show(listed));
    assert.match(listed.stdout, new RegExp(`^${apiserver.replace(/[.]/g, "\\.")}\\s+${name}\\s`, "m"), show(listed));
  }, { timeoutMs: 30_000 });
  const got = await admin("cluster", "get", name, "-o", "json");
  assert.equal(got.code, 0, show(got));
  assert.equal((JSON.parse(got.stdout) as { server: string }).server, apiserver, show(got));
  const again = await admin("cluster", "add", context, "--name", name, "--service-account", sa, "--kubeconfig", kubeconfig, "-y");
  assert.equal(again.code, 2, show(again));
  assert.match(again.stderr, /already exists/, show(again));
  const upserted = await admin("cluster", "add", context, "--name", name, "--service-account", sa, "--kubeconfig", kubeconfig, "-y", "--upsert");
  assert.equal(upserted.code, 0, show(upserted));
  assert.equal((await clusterSecrets()).length, 1, "--upsert replaced the one Secret");

  const removed = await admin("cluster", "rm", apiserver, "-y");
  assert.equal(removed.code, 0, show(removed));
  assert.equal((await clusterSecrets()).length, 0, "cluster rm removed the Secret");
  assert.ok(await client.get("v1", "ServiceAccount", sa, "kube-system"), "the ServiceAccount stays, as with argocd");

  // ---- cluster add / rm with --core ----
  const coreName = `core-${id}`;
  const coreAdd = await core("cluster", "add", context, "--name", coreName, "--service-account", coreSa, "--kubeconfig", kubeconfig, "--control-namespace", ns, "-y");
  assert.equal(coreAdd.code, 0, show(coreAdd));
  const [coreSecret] = await clusterSecrets();
  assert.equal(coreSecret ? secretData(coreSecret).name : undefined, coreName, "--core wrote the cluster Secret itself");
  await tokenWorks(coreSecret!);
  const coreGet = await core("cluster", "get", coreName, "--control-namespace", ns, "-o", "json");
  assert.equal(coreGet.code, 0, show(coreGet));
  assert.equal((JSON.parse(coreGet.stdout) as { name: string }).name, coreName, show(coreGet));
  const coreRm = await core("cluster", "rm", coreName, "--control-namespace", ns, "-y");
  assert.equal(coreRm.code, 0, show(coreRm));
  assert.equal((await clusterSecrets()).length, 0, "--core rm by name removed the Secret");

  // ---- repo add with credentials, list, get, rm ----
  const repoUrl = w.git.baseUrl("app");
  const repoSecrets = async (): Promise<KubeObject[]> => (await client.list("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=repository" })).items;
  const repoAdd = await run(join(dir, "admin"), ["repo", "add", repoUrl, "--username", "alice", "--password-stdin", "--name", "app"], `${REPO_PASSWORD}\n`);
  assert.equal(repoAdd.code, 0, show(repoAdd));
  assert.equal(repoAdd.stdout, `Repository '${repoUrl}' added\n`, show(repoAdd));
  const [repoSecret] = await repoSecrets();
  assert.deepEqual(repoSecret ? [secretData(repoSecret).url, secretData(repoSecret).username, secretData(repoSecret).password] : [], [repoUrl, "alice", REPO_PASSWORD], "the Secret holds the credentials");
  await eventually(async () => {
    const repoList = await admin("repo", "list");
    assert.equal(repoList.code, 0, show(repoList));
    assert.match(repoList.stdout, new RegExp(`^git\\s+app\\s+${repoUrl.replace(/[.]/g, "\\.")}\\s+false\\s+false\\s+false\\s+true\\s`, "m"), `listed with CREDS true\n${show(repoList)}`);
  }, { timeoutMs: 30_000 });
  const repoGet = await admin("repo", "get", repoUrl, "-o", "json");
  assert.equal(repoGet.code, 0, show(repoGet));
  assert.equal((JSON.parse(repoGet.stdout) as { username?: string; password?: string }).username, "alice", show(repoGet));
  const repoRm = await admin("repo", "rm", repoUrl, "-y");
  assert.equal(repoRm.code, 0, show(repoRm));
  assert.equal((await repoSecrets()).length, 0, "repo rm removed the Secret");
  const coreRepoAdd = await core("repo", "add", repoUrl, "--username", "bob", "--password", CORE_REPO_PASSWORD, "-n", ns, "--enable-lfs");
  assert.equal(coreRepoAdd.code, 0, show(coreRepoAdd));
  const coreRepoList = await core("repo", "list", "-n", ns, "-o", "json");
  assert.equal(coreRepoList.code, 0, show(coreRepoList));
  assert.deepEqual(JSON.parse(coreRepoList.stdout), [{ repo: repoUrl, type: "git", username: "bob", enableLfs: true }], show(coreRepoList));
  const coreRepoRm = await core("repo", "rm", repoUrl, "-n", ns, "-y");
  assert.equal(coreRepoRm.code, 0, show(coreRepoRm));
  assert.equal((await repoSecrets()).length, 0, "--core repo rm removed the Secret");

  // ---- appset create / delete ----
  const setName = `set-${id}`;
  const dest = w.dest("as");
  const appSet = (elements: string[]): string => stringify({
    apiVersion: API, kind: "ApplicationSet", metadata: { name: setName, namespace: ns },
    spec: {
      generators: [{ list: { elements: elements.map((e) => ({ env: e })) } }],
      template: { metadata: { name: `{{env}}-${id}` }, spec: { project: "default", source: { repoURL: repoUrl, path: ".", targetRevision: "HEAD" }, destination: { server: IN_CLUSTER, namespace: dest } } },
    },
  });
  const setFile = join(dir, "appset.yaml");
  await writeFile(setFile, appSet(["dev"]));
  const created = await admin("appset", "create", setFile);
  assert.equal(created.code, 0, show(created));
  assert.equal(created.stdout, `ApplicationSet '${setName}' created\n`, show(created));
  assert.ok(await client.get(API, "ApplicationSet", setName, ns), "the ApplicationSet exists");
  await eventually(async () => {
    const unchanged = await admin("appset", "create", setFile);
    assert.equal(unchanged.stdout, `ApplicationSet '${setName}' unchanged\n`, show(unchanged));
  }, { timeoutMs: 30_000 });
  await writeFile(setFile, appSet(["dev", "prod"]));
  const differs = await admin("appset", "create", setFile);
  assert.equal(differs.code, 2, show(differs));
  assert.match(differs.stderr, /use upsert flag/, show(differs));
  const dry = await admin("appset", "create", setFile, "--upsert", "--dry-run");
  assert.equal(dry.code, 0, show(dry));
  assert.match(dry.stdout, new RegExp(`^ApplicationSet '${setName}' updated \\(dry run\\)\n  Application ${ns}/dev-${id}\n  Application ${ns}/prod-${id}\n$`), show(dry));
  assert.equal(((await client.get<KubeObject & { spec: { generators: Array<{ list: { elements: unknown[] } }> } }>(API, "ApplicationSet", setName, ns))?.spec.generators[0]?.list.elements.length), 1, "the dry run changed nothing");
  const deleted = await admin("appset", "delete", setName, "-y");
  assert.equal(deleted.code, 0, show(deleted));
  assert.equal(deleted.stdout, `applicationset '${setName}' deleted\n`, show(deleted));
  await eventually(async () => assert.equal(await client.get(API, "ApplicationSet", setName, ns), undefined, "deleted"), { timeoutMs: 30_000 });
  const coreCreated = await core("appset", "create", setFile, "-n", ns);
  assert.equal(coreCreated.code, 0, show(coreCreated));
  const coreDeleted = await core("appset", "delete", setName, "-n", ns, "-y");
  assert.equal(coreDeleted.code, 0, show(coreDeleted));
  await eventually(async () => assert.equal(await client.get(API, "ApplicationSet", setName, ns), undefined, "--core deleted"), { timeoutMs: 30_000 });

  // ---- a role:readonly user: refused, nothing written ----
  const setPw = await admin("account", "update-password", "--account", "reader", "--current-password", adminPassword, "--new-password", "reader-pass-123");
  assert.equal(setPw.code, 0, show(setPw));
  const readerLogin = await reader("login", hostPort, "--plaintext", "--username", "reader", "--password", "reader-pass-123");
  assert.equal(readerLogin.code, 0, show(readerLogin));
  const refused = await reader("cluster", "add", context, "--name", `ro-${id}`, "--service-account", readerSa, "--kubeconfig", kubeconfig, "-y");
  assert.equal(refused.code, 2, show(refused));
  assert.match(refused.stderr, new RegExp(`^hawser cluster add: permission denied: clusters, create, ${apiserver.replace(/[.]/g, "\\.")}`), show(refused));
  assert.equal(await client.get("v1", "ServiceAccount", readerSa, "kube-system"), undefined, "no ServiceAccount was installed");
  assert.equal((await clusterSecrets()).length, 0, "no cluster Secret was written");
  const refusedRepo = await run(join(dir, "reader"), ["repo", "add", repoUrl, "--username", "alice", "--password-stdin"], `${REPO_PASSWORD}\n`);
  assert.equal(refusedRepo.code, 2, show(refusedRepo));
  assert.match(refusedRepo.stderr, /^hawser repo add: permission denied: repositories, create/, show(refusedRepo));
  assert.equal((await repoSecrets()).length, 0, "no repository Secret was written");

  // ---- no credential ever reached the terminal ----
  for (const secretText of [REPO_PASSWORD, CORE_REPO_PASSWORD, token]) {
    const leaks = outputs.filter((o) => o.stdout.includes(secretText) || o.stderr.includes(secretText));
    assert.equal(leaks.length, 0, `a credential appeared in CLI output:\n${leaks.map(show).join("\n")}`);
  }
});
