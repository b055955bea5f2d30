// Helm repositories trust argocd-tls-certs-cm as git https repositories do: the ConfigMap on the
// real control plane, read by the operator's watcher (GitTrustWatch) into files (GitTrustFiles),
// reaches the index.yaml lookup (Node's https client), `helm pull` (as a --ca-file) and an OCI
// registry's `helm registry login` / `show chart` / `pull`, and `helm dependency build` of a chart
// in git whose dependency lives in the https repository. The servers' certificates are signed
// by a CA made for this test with openssl; a second CA signed nothing here.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Application } from "../../operator/api/index.js";
import { generatePki } from "../../operator/devcluster/pki.js";
import { SecretCredentialStore } from "../../operator/git/credentials.js";
import { RepoCache } from "../../operator/git/repo-cache.js";
import { GitTrustFiles } from "../../operator/git/trust.js";
import { GitTrustWatch } from "../../operator/git/trust-watch.js";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { memoryLogger } from "../../operator/runtime/logger.js";
import { RenderCache, renderApplication } from "../../operator/render/index.js";
import { createChartCache } from "../../plugins/helm/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer, type GitServer } from "../support/git-server.js";
import { startHelmRepo, type HelmRepo } from "../support/helm-repo.js";
import { startOciRegistry, type OciRegistry } from "../support/oci-registry.js";

const ns = `helm-tls-${randomBytes(3).toString("hex")}`;
const chart = join(import.meta.dirname, "..", "..", "plugins", "helm", "testdata", "basic", "repo", "chart");
let dir: string;
let client: KubeClient;
let repo: HelmRepo;
let registry: OciRegistry;
let git: GitServer;
let ca: string;
let otherCa: string;

const configMap = (data: Record<string, string>): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-tls-certs-cm", namespace: ns }, data });

const chartApp = (repoURL: string, targetRevision: string): Application => ({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application",
  metadata: { name: "charted", namespace: ns },
  spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, source: { repoURL, chart: "basic", targetRevision } },
});

before(async () => {
  const cluster = await sharedCluster();
  client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  dir = await mkdtemp(join(tmpdir(), "hawser-helm-tls-it-"));
  const pki = await generatePki(join(dir, "pki"));
  const [cert, key] = await Promise.all([readFile(pki.apiserverCert, "utf8"), readFile(pki.apiserverKey, "utf8")]);
  ca = await readFile(pki.caCert, "utf8");
  otherCa = await readFile(pki.frontProxyCaCert, "utf8");
  repo = await startHelmRepo({ chartDirs: [chart], tls: { cert, key } });
  registry = await startOciRegistry({ chartDirs: [chart], auth: { username: "oci-user", password: "oci-Passw0rd" }, tls: { cert, key } });
  git = await startGitServer();
});

after(async () => {
  await repo?.close();
  await registry?.close();
  await git?.stop();
  await client?.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined);
  client?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("https Helm repository and OCI registry: refused without their CA in argocd-tls-certs-cm, rendered with it, refused again when it changes or breaks", async (t) => {
  assert.match(repo.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const { logger } = memoryLogger();
  const files = new GitTrustFiles({ baseDir: dir });
  const watch = new GitTrustWatch({ client, namespace: ns, files, log: logger });
  t.after(() => watch.stop());
  await watch.start();
  const credentials = new SecretCredentialStore([{
    metadata: { name: "oci", namespace: ns, labels: { "argocd.argoproj.io/secret-type": "repository" } },
    stringData: { type: "helm", url: registry.url, username: "oci-user", password: "oci-Passw0rd" },
  }]);
  const repos = new RepoCache({ baseDir: join(dir, "git"), credentials, trust: () => files.current() });
  t.after(() => repos.close());
  let n = 0;
  // A fresh render cache and chart cache per attempt: every attempt really talks to the servers.
  const render = (app: Application): ReturnType<typeof renderApplication> =>
    renderApplication(app, { repos, plugins: builtinPlugins(), cache: new RenderCache(), charts: createChartCache({ dir: join(dir, `charts-${++n}`) }) });
  // A chart in git depending on the https repository's chart: helm dependency build fetches it.
  await git.createRepo("umbrella", {
    "umbrella/Chart.yaml": `apiVersion: v2\nname: umbrella\nversion: 1.0.0\ndependencies:\n  - name: basic\n    version: 0.1.0\n    repository: ${repo.url}\n`,
  });
  const gitApp: Application = { ...chartApp(git.baseUrl("umbrella"), "main"), spec: { ...chartApp("", "").spec, source: { repoURL: git.baseUrl("umbrella"), path: "umbrella", targetRevision: "main" } } };
  const rendered = (out: Awaited<ReturnType<typeof renderApplication>>): boolean => out.manifests.some((m) => m.kind === "ConfigMap");

  // No ConfigMap: the system CAs do not know the test CA. A constraint reads index.yaml (Node's
  // client); an exact version goes straight to `helm pull`; OCI goes through helm's registry client.
  await assert.rejects(render(chartApp(repo.url, "^0.1")), /Helm repository https:\/\/127\.0\.0\.1:\d+: TLS certificate verification failed \(add the server's CA to argocd-tls-certs-cm/);
  await assert.rejects(render(chartApp(repo.url, "0.1.0")), /pulling basic 0\.1\.0 failed: .*certificate/);
  await assert.rejects(render(chartApp(registry.url, "0.1.0")), /certificate/);
  await assert.rejects(render(gitApp), /helm repo add.*certificate|certificate.*helm repo add|x509/);

  await client.create(configMap({ "127.0.0.1": ca }));
  await eventually(async () => assert.ok(rendered(await render(chartApp(repo.url, "^0.1"))), "the index and the chart are fetched with the CA"), { timeoutMs: 20_000 });
  assert.ok(repo.requests.includes("/index.yaml") && repo.requests.some((p) => p.endsWith(".tgz")), `index.yaml and the chart were served: ${repo.requests.join(", ")}`);
  const exact = await render(chartApp(repo.url, "0.1.0"));
  assert.deepEqual(exact.revisions, ["0.1.0"]);
  assert.ok(rendered(exact), "helm pull verified the server with the CA file");
  const oci = await render(chartApp(registry.url, "^0.1"));
  assert.deepEqual(oci.revisions, ["0.1.0"], "helm show chart resolved the constraint over TLS");
  assert.ok(rendered(oci), "the OCI chart was pulled with the CA file");
  assert.ok(rendered(await render(gitApp)), "helm dependency build fetched the dependency with the CA file");

  // Another CA for the host replaces the first: refused again.
  await client.replace(configMap({ "127.0.0.1": otherCa }));
  await eventually(() => assert.rejects(render(chartApp(repo.url, "^0.1")), /TLS certificate verification failed/), { timeoutMs: 20_000 });
  await assert.rejects(render(chartApp(repo.url, "0.1.0")), /pulling basic 0\.1\.0 failed: .*certificate/);

  // A broken entry fails closed, naming the key, rather than falling back to the system CAs.
  await client.replace(configMap({ "127.0.0.1": "not a certificate" }));
  await eventually(() => assert.rejects(render(chartApp(repo.url, "0.1.0")),
    /cannot verify the TLS certificate of Helm repository https:\/\/127\.0\.0\.1:\d+: argocd-tls-certs-cm key "127\.0\.0\.1" holds no PEM certificate/), { timeoutMs: 20_000 });
});
