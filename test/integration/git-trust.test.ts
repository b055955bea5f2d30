// argocd-tls-certs-cm and argocd-ssh-known-hosts-cm on the real control plane: the ConfigMaps are
// read by the operator's watcher (GitTrustWatch), turned into files (GitTrustFiles) and used by the
// repository cache's git commands against the loopback https git server, whose certificate is
// signed by a CA made for this test with openssl.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePki } from "../../operator/devcluster/pki.js";
import { RepoCache } from "../../operator/git/repo-cache.js";
import { GitTrustFiles } from "../../operator/git/trust.js";
import { GitTrustWatch } from "../../operator/git/trust-watch.js";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { memoryLogger } from "../../operator/runtime/logger.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer, type GitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";

const ns = `git-trust-${randomBytes(3).toString("hex")}`;
let dir: string;
let client: KubeClient;
let server: GitServer;
let ca: string;
let otherCa: string;

const configMap = (name: string, data: Record<string, string>): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data });

before(async () => {
  const cluster = await sharedCluster();
  client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  dir = await mkdtemp(join(tmpdir(), "hawser-git-trust-it-"));
  // A CA and a server certificate for 127.0.0.1 signed by it; the second CA signed nothing here.
  const pki = await generatePki(join(dir, "pki"));
  const [cert, key] = await Promise.all([readFile(pki.apiserverCert, "utf8"), readFile(pki.apiserverKey, "utf8")]);
  ca = await readFile(pki.caCert, "utf8");
  otherCa = await readFile(pki.frontProxyCaCert, "utf8");
  server = await startGitServer({ tls: { cert, key } });
});

after(async () => {
  await server?.stop();
  await client?.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined);
  client?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("https with a custom CA: refused without it in argocd-tls-certs-cm, accepted with it, refused again when it changes", async (t) => {
  const sha = await server.createRepo("trusted", { "app/cm.yaml": "kind: ConfigMap\n" });
  const url = server.baseUrl("trusted");
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/trusted\.git$/);

  const { logger, lines } = memoryLogger();
  const files = new GitTrustFiles({ baseDir: dir });
  const watch = new GitTrustWatch({ client, namespace: ns, files, log: logger });
  t.after(() => watch.stop());
  const first = await watch.start();
  assert.deepEqual(first, { strictHostKeys: false, knownHostEntries: 0, caServers: [], errors: [] });
  const cli = new RepoCache({ baseDir: join(dir, "cache-cli"), refsTtlMs: 0, trust: () => files.current() });
  const iso = new RepoCache({ baseDir: join(dir, "cache-iso"), refsTtlMs: 0, transport: "isomorphic-git", trust: () => files.current() });

  // No ConfigMap: the system CAs do not know the test CA.
  await assert.rejects(cli.resolveRevision(url, "main"), /TLS certificate verification failed \(add the server's CA to argocd-tls-certs-cm/);

  await client.create(configMap("argocd-tls-certs-cm", { "127.0.0.1": ca }));
  await eventually(async () => assert.equal(await cli.resolveRevision(url, "main"), sha), { timeoutMs: 20_000 });
  assert.deepEqual(await cli.listFiles(url, sha, "**/*.yaml"), ["app/cm.yaml"], "the fetch verifies the server too");
  // isomorphic-git cannot take a per-server CA: such a server goes through the CLI, which can.
  assert.equal(await iso.resolveRevision(url, "main"), sha);

  // Another CA for the server replaces the first: the next command is refused again.
  await client.replace(configMap("argocd-tls-certs-cm", { "127.0.0.1": otherCa }));
  await eventually(() => assert.rejects(cli.resolveRevision(url, "main"), /TLS certificate verification failed/), { timeoutMs: 20_000 });

  // A broken entry fails closed with the key named, rather than falling back to the system CAs.
  await client.replace(configMap("argocd-tls-certs-cm", { "127.0.0.1": "not a certificate" }));
  await eventually(() => assert.rejects(cli.resolveRevision(url, "main"), /argocd-tls-certs-cm key "127\.0\.0\.1" holds no PEM certificate/), { timeoutMs: 20_000 });
  assert.ok(lines.some((l) => l.level === "warn" && /argocd-tls-certs-cm key "127\.0\.0\.1" holds no PEM certificate/.test(String(l.msg))), "the problem is logged");

  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-tls-certs-cm", namespace: ns });
  await eventually(() => assert.rejects(cli.resolveRevision(url, "main"), /TLS certificate verification failed/), { timeoutMs: 20_000 });
});

test("argocd-ssh-known-hosts-cm: its presence switches ssh to strict checking against its content, said in the log", async (t) => {
  const { logger, lines } = memoryLogger();
  const files = new GitTrustFiles({ baseDir: dir });
  const watch = new GitTrustWatch({ client, namespace: ns, files, log: logger });
  t.after(() => watch.stop());
  await watch.start();
  const msgs = (): string[] => lines.map((l) => String(l.msg));
  assert.equal(files.current()?.knownHostsFile, undefined, "no ConfigMap: trust on first use");
  assert.equal(msgs().filter((m) => /trusted on first use/.test(m)).length, 1, `one start-up line says so: ${msgs().join(" | ")}`);

  const hostKey = "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
  await client.create(configMap("argocd-ssh-known-hosts-cm", { ssh_known_hosts: `${hostKey}\n` }));
  await eventually(async () => {
    const file = files.current()?.knownHostsFile;
    assert.ok(file, "strict mode once the ConfigMap exists");
    assert.equal(await readFile(file, "utf8"), `${hostKey}\n`);
  }, { timeoutMs: 20_000 });
  // The files change first and the mode line is logged right after: wait for it, do not race it.
  await eventually(() => assert.ok(msgs().some((m) => m === "ssh host keys are checked strictly against argocd-ssh-known-hosts-cm"), "the switch is logged"), { timeoutMs: 5_000 });

  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-ssh-known-hosts-cm", namespace: ns });
  await eventually(() => assert.equal(files.current()?.knownHostsFile, undefined, "deleted: back to trust on first use"), { timeoutMs: 20_000 });
  await eventually(() => assert.equal(msgs().filter((m) => /trusted on first use/.test(m)).length, 2, "and that is logged again"), { timeoutMs: 5_000 });
});

test("the operator says at start-up, in one line, that ssh host keys are trusted on first use without the ConfigMap, and logs the switch to strict", async (t) => {
  const opNs = `git-trust-op-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: opNs } });
  t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: opNs }).catch(() => undefined); });
  const cluster = await sharedCluster();
  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: opNs, args: ["--app-resync", "0", "--webhook-addr", ""] });
  t.after(async () => { await op.stop("SIGKILL"); });
  const tofu = (l: Record<string, unknown>): boolean => typeof l.msg === "string" && l.msg.startsWith("argocd-ssh-known-hosts-cm not found");
  const line = await op.waitForLog(tofu);
  assert.equal(line.level, "warn");
  assert.equal(line.msg, `argocd-ssh-known-hosts-cm not found in namespace ${opNs}: ssh host keys are trusted on first use (create it to check them strictly, as Argo CD does)`);
  await op.waitForLog((l) => l.msg === "controllers started");
  assert.equal(op.logs.filter(tofu).length, 1, "one line");

  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-ssh-known-hosts-cm", namespace: opNs }, data: { ssh_known_hosts: "git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n" } });
  const strict = await op.waitForLog((l) => l.msg === "ssh host keys are checked strictly against argocd-ssh-known-hosts-cm");
  assert.equal(strict.knownHosts, 1, "the entry count is logged, not the keys");
});
