// Issue 13's CLI leftovers end to end: `hawser server` on the real control plane, the CLI as a
// user runs it, through the server and with --core.
// - cluster set changes only the fields given (PUT updatedFields through the server; the cluster
//   Secret with --core), the credentials in `config` untouched, by server URL and by name;
// - repocreds add (password from stdin) / list / rm write and remove Argo's repo-creds Secret,
//   and no output shows the password;
// - appset create --dry-run prints the Applications the list generator makes (the server's
//   generate; --core runs the same generation here) and writes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { secretData } from "../../operator/cluster/clusters.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { initialAdminPassword } from "../support/api-session.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, createWorld, IN_CLUSTER, showRun as show, type CliRun } from "../support/world.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const CREDS_PASSWORD = "creds-pass-41d9e27a";
const CORE_CREDS_PASSWORD = "core-creds-8f03b5c1";
const CLUSTER_TOKEN = "cluster-token-5e6a0c93";

test("hawser cluster set, repocreds add/list/rm and appset create --dry-run through the server and --core", async (t) => {
  const w = await createWorld(t, { name: "clisetcreds", repos: { app: { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n" } }, startOperator: false });
  const { client, ns, id } = w;
  const kubeconfig = w.cluster.kubeconfigPath;
  // No operator runs here: the project the ApplicationSet's template names is made by hand.
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "default", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  const server = startServerProcess({ kubeconfig, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const hostPort = (await server.url()).replace(/^http:\/\//, "");
  const adminPassword = await initialAdminPassword(client, ns);

  const dir = await mkdtemp(join(tmpdir(), "hawser-cli-set-creds-"));
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
  const admin = (args: string[], input = ""): Promise<CliRun> => run(join(dir, "admin"), args, input);
  const core = (args: string[], input = ""): Promise<CliRun> => run(join(dir, "none"), [...args, "--core"], input);
  const login = await admin(["login", hostPort, "--plaintext", "--username", "admin", "--password", adminPassword]);
  assert.equal(login.code, 0, show(login));

  // ---- cluster set ----
  const clusterUrl = `https://set-${id}.example:6443`;
  const secretName = `cluster-set-${id}`;
  const config = JSON.stringify({ bearerToken: CLUSTER_TOKEN, tlsClientConfig: { insecure: true } });
  await client.create({ apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: { name: secretName, namespace: ns, labels: { "argocd.argoproj.io/secret-type": "cluster", old: "label" } }, stringData: { name: "before", server: clusterUrl, config } });
  const stored = async (): Promise<{ data: Record<string, string>; labels: Record<string, string> }> => {
    const s = await client.get("v1", "Secret", secretName, ns);
    assert.ok(s, "the cluster Secret exists");
    return { data: secretData(s), labels: s.metadata.labels ?? {} };
  };
  // The server finds clusters in its watch cache, which follows the create shortly.
  const set1 = await eventually(async () => {
    const r = await admin(["cluster", "set", clusterUrl, "--name", "after", "--namespace", "a", "--namespace", "b", "--cluster-resources", "--project", "team", "--shard", "1", "--label", "env=dev"]);
    assert.equal(r.code, 0, show(r));
    return r;
  }, { timeoutMs: 30_000 });
  assert.equal(set1.stdout, `Cluster '${clusterUrl}' updated.\n`, show(set1));
  let now = await stored();
  assert.deepEqual(now.data, { name: "after", server: clusterUrl, config, namespaces: "a,b", clusterResources: "true", project: "team", shard: "1" }, "every field given was written; config (the credentials) kept as it was");
  assert.deepEqual(now.labels, { env: "dev", "argocd.argoproj.io/secret-type": "cluster" }, "labels replaced by --label, the secret type kept");

  const set2 = await eventually(async () => {
    const r = await admin(["cluster", "set", "after", "--name", "renamed"]);
    assert.equal(r.code, 0, show(r));
    return r;
  }, { timeoutMs: 30_000 });
  assert.equal(set2.stdout, "Cluster 'after' updated.\n", show(set2));
  now = await stored();
  assert.deepEqual([now.data.name, now.data.namespaces, now.data.project, now.labels.env], ["renamed", "a,b", "team", "dev"], "by name, only the name changed");

  const coreSet = await core(["cluster", "set", "renamed", "--namespace", "*", "--cluster-resources=false", "--project", "", "--shard", "-1", "--control-namespace", ns]);
  assert.equal(coreSet.code, 0, show(coreSet));
  assert.equal(coreSet.stdout, "Cluster 'renamed' updated.\n", show(coreSet));
  now = await stored();
  assert.deepEqual(now.data, { name: "renamed", server: clusterUrl, config }, "--core cleared namespaces, clusterResources, project and shard in the Secret; config kept");
  assert.deepEqual(now.labels, { env: "dev", "argocd.argoproj.io/secret-type": "cluster" }, "labels untouched without --label");

  const nothing = await admin(["cluster", "set", "renamed"]);
  assert.equal(nothing.code, 2, show(nothing));
  assert.match(nothing.stderr, /Specify the cluster field to be updated/, show(nothing));
  const missing = await core(["cluster", "set", "no-such-cluster", "--name", "x", "--control-namespace", ns]);
  assert.equal(missing.code, 2, show(missing));
  assert.match(missing.stderr, /cluster "no-such-cluster" not found/, show(missing));

  // ---- repocreds ----
  const prefix = `${w.git.baseUrl("app").replace(/\/[^/]*$/, "")}/`;
  const credsSecrets = async (): Promise<KubeObject[]> => (await client.list("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=repo-creds" })).items;
  const added = await admin(["repocreds", "add", prefix, "--username", "alice", "--password-stdin"], `${CREDS_PASSWORD}\n`);
  assert.equal(added.code, 0, show(added));
  assert.equal(added.stdout, `Repository credentials for '${prefix}' added\n`, show(added));
  const [credsSecret] = await credsSecrets();
  assert.ok(credsSecret, "a repo-creds Secret was written");
  assert.deepEqual([secretData(credsSecret).url, secretData(credsSecret).username, secretData(credsSecret).password], [prefix, "alice", CREDS_PASSWORD], "holding the prefix and the credentials");
  await eventually(async () => {
    const listed = await admin(["repocreds", "list", "-o", "json"]);
    assert.equal(listed.code, 0, show(listed));
    assert.deepEqual(JSON.parse(listed.stdout), [{ url: prefix, username: "alice", type: "git" }], show(listed));
  }, { timeoutMs: 30_000 });
  const again = await admin(["repocreds", "add", prefix, "--username", "alice", "--password-stdin"], `${CREDS_PASSWORD}\n`);
  assert.equal(again.code, 2, show(again));
  assert.match(again.stderr, /already exist/, show(again));
  const table = await admin(["repocreds", "list"]);
  assert.match(table.stdout, new RegExp(`^${prefix.replace(/[.]/g, "\\.")}\\s+git\\s+alice\\s*$`, "m"), show(table));
  const removed = await admin(["repocreds", "rm", prefix, "-y"]);
  assert.equal(removed.code, 0, show(removed));
  assert.equal(removed.stdout, `Repository credentials for '${prefix}' removed\n`, show(removed));
  assert.equal((await credsSecrets()).length, 0, "repocreds rm removed the Secret");

  const coreAdded = await core(["repocreds", "add", prefix, "--username", "bob", "--password-stdin", "--type", "helm", "--enable-oci", "-n", ns], `${CORE_CREDS_PASSWORD}\n`);
  assert.equal(coreAdded.code, 0, show(coreAdded));
  const [coreSecret] = await credsSecrets();
  assert.ok(coreSecret, "--core wrote a repo-creds Secret");
  assert.deepEqual(secretData(coreSecret), { url: prefix, type: "helm", username: "bob", password: CORE_CREDS_PASSWORD, enableOCI: "true" }, "Argo's repo-creds fields");
  const coreList = await core(["repocreds", "list", "-n", ns, "-o", "json"]);
  assert.equal(coreList.code, 0, show(coreList));
  assert.deepEqual(JSON.parse(coreList.stdout), [{ url: prefix, type: "helm", username: "bob", enableOCI: true }], show(coreList));
  const coreRemoved = await core(["repocreds", "rm", prefix, "-n", ns, "-y"]);
  assert.equal(coreRemoved.code, 0, show(coreRemoved));
  assert.equal((await credsSecrets()).length, 0, "--core repocreds rm removed the Secret");

  // A project's template is removed only when rm names its project, both ways in.
  const scoped = await core(["repocreds", "add", prefix, "--username", "carol", "--password-stdin", "--project", "default", "-n", ns], `${CORE_CREDS_PASSWORD}
`);
  assert.equal(scoped.code, 0, show(scoped));
  for (const [way, res] of [["through the server", await admin(["repocreds", "rm", prefix, "-y"])], ["--core", await core(["repocreds", "rm", prefix, "-n", ns, "-y"])]] as const) {
    assert.equal(res.code, 2, `${way}: ${show(res)}`);
    assert.match(res.stderr, /not found unscoped; it is registered in project default \(name one with .*--project default/, `${way}: ${show(res)}`);
    assert.equal((await credsSecrets()).length, 1, `${way}: the project's template stays`);
  }
  const named = await admin(["repocreds", "rm", prefix, "--project", "default", "-y"]);
  assert.equal(named.code, 0, show(named));
  assert.equal((await credsSecrets()).length, 0, "rm --project removed the project's template");

  // ---- appset create --dry-run ----
  const setName = `dry-${id}`;
  const setFile = join(dir, "appset.yaml");
  await writeFile(setFile, stringify({
    apiVersion: API, kind: "ApplicationSet", metadata: { name: setName, namespace: ns },
    spec: {
      generators: [{ list: { elements: [{ env: "dev" }, { env: "prod" }] } }],
      template: { metadata: { name: `{{env}}-${id}` }, spec: { project: "default", source: { repoURL: w.git.baseUrl("app"), path: ".", targetRevision: "HEAD" }, destination: { server: IN_CLUSTER, namespace: "{{env}}" } } },
    },
  }));
  const apps = (out: string): Array<{ name?: string; namespace?: string; dest?: string }> => (JSON.parse(out) as Array<{ metadata: { name?: string; namespace?: string }; spec: { destination?: { namespace?: string } } }>).map((a) => ({ name: a.metadata.name, namespace: a.metadata.namespace, dest: a.spec.destination?.namespace }));
  const expected = [{ name: `dev-${id}`, namespace: ns, dest: "dev" }, { name: `prod-${id}`, namespace: ns, dest: "prod" }];
  const dry = await admin(["appset", "create", setFile, "--dry-run", "-o", "json"]);
  assert.equal(dry.code, 0, show(dry));
  assert.deepEqual(apps(dry.stdout), expected, `the server's generate made both Applications\n${show(dry)}`);
  const dryText = await admin(["appset", "create", setFile, "--dry-run"]);
  assert.equal(dryText.stdout, `ApplicationSet '${setName}' created (dry run)\n  Application ${ns}/dev-${id}\n  Application ${ns}/prod-${id}\n`, show(dryText));
  const coreDry = await core(["appset", "create", setFile, "--dry-run", "-o", "json", "-n", ns]);
  assert.equal(coreDry.code, 0, show(coreDry));
  assert.deepEqual(apps(coreDry.stdout), expected, `--core generated the same Applications\n${show(coreDry)}`);
  assert.equal(await client.get(API, "ApplicationSet", setName, ns), undefined, "no dry run created the ApplicationSet");
  assert.equal((await client.list(API, "Application", { namespace: ns })).items.length, 0, "nor any Application");

  // ---- no credential ever reached the terminal ----
  for (const secret of [CREDS_PASSWORD, CORE_CREDS_PASSWORD, CLUSTER_TOKEN]) {
    const leaks = outputs.filter((o) => o.stdout.includes(secret) || o.stderr.includes(secret));
    assert.equal(leaks.length, 0, `a credential appeared in CLI output:\n${leaks.map(show).join("\n")}`);
  }
});
