// The API server's administration routes through the real server on the real control plane:
// cluster update (updatedFields keeps the credentials), rotate-auth (a new service-account token
// Secret, the cluster Secret switched to it, the old token Secret deleted), invalidate-cache;
// repository refs from the test git server, apps and appdetails of a Helm chart and a
// kustomization, validate with wrong credentials (clear error, nothing stored) and right ones,
// repository and repo-creds update; certificates in argocd-tls-certs-cm; GPG keys (a broken key
// refused, a real one stored and read back); the status badge (Synced/Healthy, Not Found, Unknown
// when disabled); a role:readonly user refused every write with nothing changed; and no response
// body carrying a secret the test stored.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { API, createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { initialAdminPassword, jsonCaller, sessionToken } from "../support/api-session.js";
import { SigningFixture } from "../support/gpg.js";
import { startHelmRepo } from "../support/helm-repo.js";
import { startServerProcess } from "../support/operator-process.js";
import { selfSignedCertificate } from "../../operator/server/http/tls.js";
import type { Application } from "../../operator/api/index.js";
import { KubeApiError, KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { kubeConfigForCluster } from "../../operator/cluster/clusters.js";

type SecretObj = KubeObject & { data?: Record<string, string> };
type ConfigMapObj = KubeObject & { data?: Record<string, string> };
const decode = (s: string | undefined): string => Buffer.from(s ?? "", "base64").toString("utf8");

const chart = {
  "helm/Chart.yaml": "apiVersion: v2\nname: demo-chart\nversion: 0.1.0\n",
  "helm/values.yaml": "image:\n  repository: nginx\n  tag: \"1.0\"\nreplicas: 2\n",
  "helm/values-prod.yaml": "replicas: 5\n",
  "helm/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: helm-cm\ndata:\n  tag: {{ .Values.image.tag | quote }}\n",
  "kust/kustomization.yaml": "resources: [cm.yaml, deploy.yaml]\nimages:\n- name: nginx\n  newName: my/nginx\n  newTag: \"2.0\"\n",
  "kust/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kust-cm\ndata:\n  k: v\n",
  "kust/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: \"nginx:1.27\"}]\n",
  "plain/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: badge-cm\ndata:\n  k: v\n",
};

const REPO_PASSWORD = "repo-password-do-not-leak-1";
const WRONG_PASSWORD = "wrong-password-do-not-leak-2";
const HELM_PASSWORD = "helm-password-do-not-leak-3";

test("API server admin routes: clusters, repository details, certificates, GPG keys, badge, read-only refusals, no secrets in bodies", async (t) => {
  const w = await createWorld(t, {
    name: "admin",
    repos: { app: chart },
    argocdCm: { "accounts.reader": "login", "accounts.creator": "login", "statusbadge.enabled": "true" },
  });
  const { client, ns } = w;
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: { "policy.csv": "g, reader, role:readonly\np, creator, clusters, get, *, allow\np, creator, clusters, create, *, allow\np, creator, repositories, get, team-a/*, allow\np, creator, repositories, create, team-a/*, allow\n" } });
  // Branches and a tag the refs answer must list.
  await w.git.commitFiles("app", { "feature.txt": "x\n" }, "feature", { branch: "feature-x" });
  await w.git.tag("app", "v1.0.0");
  await w.git.createRepo("private", { "cm.yaml": chart["plain/cm.yaml"] }, { auth: { username: "bob", password: REPO_PASSWORD } });
  const dest = w.dest("badge");
  await client.create(w.application("badged", { repo: "app", path: "plain", dest, syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] } }));

  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  const password = await initialAdminPassword(client, ns);
  const bodies: string[] = [];
  const call = jsonCaller(base, { onText: (text) => bodies.push(text) });
  const admin = await sessionToken(call, "admin", password);
  const api = (method: string, path: string, body?: unknown) => call(method, path, body, admin);
  const show = (r: { status: number; text: string }): string => `HTTP ${r.status}: ${r.text.slice(0, 800)}`;
  const enc = encodeURIComponent;
  const appRepo = w.git.baseUrl("app");
  const privateRepo = w.git.baseUrl("private");

  // ---- clusters: a service account whose legacy token Secret the cluster is registered with ----
  const saNs = w.dest("sa");
  await w.createNamespace(saNs);
  await client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "argocd-manager", namespace: saNs } });
  await client.create({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "token-admin", namespace: saNs }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "create", "delete"] }] });
  await client.create({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "token-admin", namespace: saNs }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "token-admin" }, subjects: [{ kind: "ServiceAccount", name: "argocd-manager", namespace: saNs }] });
  await client.create({ apiVersion: "v1", kind: "Secret", type: "kubernetes.io/service-account-token", metadata: { name: "argocd-manager-token-old", namespace: saNs, annotations: { "kubernetes.io/service-account.name": "argocd-manager" } } });
  const oldToken = await eventually(async () => {
    const s = await client.get<SecretObj>("v1", "Secret", "argocd-manager-token-old", saNs);
    assert.ok(s?.data?.token, "the token controller filled the token in");
    return decode(s.data.token);
  }, { timeoutMs: 60_000 });
  const server2 = w.cluster.server;
  const added = await api("POST", "/api/v1/clusters", { server: server2, name: "self", config: { bearerToken: oldToken, tlsClientConfig: { insecure: true } } });
  assert.equal(added.status, 200, show(added));
  const clusterSecret = async (): Promise<SecretObj> => {
    const list = await client.list<SecretObj>("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=cluster" });
    const s = list.items.find((x) => decode(x.data?.server) === server2);
    assert.ok(s, "the cluster Secret exists");
    return s;
  };
  const tokenOf = (s: SecretObj): string => (JSON.parse(decode(s.data?.config)) as { bearerToken?: string }).bearerToken ?? "";

  const put = await api("PUT", `/api/v1/clusters/${enc(server2)}?updatedFields=namespaces`, { server: server2, namespaces: ["team-a", "team-b"] });
  assert.equal(put.status, 200, show(put));
  assert.deepEqual((put.body as { namespaces: string[] }).namespaces, ["team-a", "team-b"], show(put));
  const afterPut = await clusterSecret();
  assert.equal(decode(afterPut.data?.namespaces), "team-a,team-b", "the namespaces were written");
  assert.equal(tokenOf(afterPut), oldToken, "updatedFields=namespaces keeps the bearer token");
  assert.equal(decode(afterPut.data?.name), "self", "and the name");
  const badField = await api("PUT", `/api/v1/clusters/${enc(server2)}?updatedFields=server`, { server: server2 });
  assert.equal(badField.status, 400, show(badField));
  assert.match((badField.body as { message: string }).message, /updatedFields: "server" cannot be updated/);

  const inval = await api("POST", `/api/v1/clusters/${enc(server2)}/invalidate-cache`, {});
  assert.equal(inval.status, 200, show(inval));
  const refreshedAt = (inval.body as { refreshRequestedAt?: string }).refreshRequestedAt;
  assert.ok(refreshedAt && !Number.isNaN(Date.parse(refreshedAt)), `refreshRequestedAt is a time: ${show(inval)}`);
  assert.equal((await clusterSecret()).metadata.annotations?.["argocd.argoproj.io/refresh"], refreshedAt, "the request is recorded on the Secret, which the controller watches");

  const rotated = await api("POST", `/api/v1/clusters/${enc(server2)}/rotate-auth`, {});
  assert.equal(rotated.status, 200, show(rotated));
  const afterRotate = await clusterSecret();
  const newToken = tokenOf(afterRotate);
  assert.ok(newToken && newToken !== oldToken, "the cluster Secret holds a new token");
  assert.deepEqual(decode(afterRotate.data?.namespaces), "team-a,team-b", "rotation keeps the other fields");
  const tokenSecrets = (await client.list<SecretObj & { type?: string }>("v1", "Secret", { namespace: saNs })).items.filter((s) => s.type === "kubernetes.io/service-account-token");
  assert.deepEqual(tokenSecrets.map((s) => decode(s.data?.token)), [newToken], "one token Secret is left: the new one; the old one was deleted");
  // The new token is accepted by the cluster and the old one no longer is. (The cluster's
  // connection state is the application controller's, which keeps no cache of a cluster that no
  // app uses: Argo's "not being monitored"; test/e2e/cluster-info.test.ts covers it.)
  const versionWith = (token: string): Promise<string> => {
    const c = new KubeClient(kubeConfigForCluster({ name: "self", server: server2, namespaces: [], clusterResources: false, config: { bearerToken: token, tlsClientConfig: { insecure: true } } }));
    return c.serverVersion().finally(() => c.close());
  };
  assert.match(await versionWith(newToken), /^\d+\.\d+/, "the rotated token authenticates");
  await eventually(async () => {
    await assert.rejects(versionWith(oldToken), (err: unknown) => err instanceof KubeApiError && err.statusCode === 401, "the old token is refused once its Secret is gone");
  }, { timeoutMs: 30_000 });
  const got = await api("GET", `/api/v1/clusters/${enc(server2)}`);
  assert.equal(got.status, 200, show(got));

  // ---- repositories: refs, apps, appdetails ----
  const refs = await api("GET", `/api/v1/repositories/${enc(appRepo)}/refs`);
  assert.equal(refs.status, 200, show(refs));
  assert.deepEqual(refs.body, { branches: ["feature-x", "main"], tags: ["v1.0.0"] }, show(refs));
  const apps = await api("GET", `/api/v1/repositories/${enc(appRepo)}/apps`);
  assert.equal(apps.status, 200, show(apps));
  assert.deepEqual((apps.body as { items: unknown[] }).items, [{ path: "helm", type: "Helm" }, { path: "kust", type: "Kustomize" }, { path: "plain", type: "Directory" }], show(apps));
  const helm = await api("POST", `/api/v1/repositories/${enc(appRepo)}/appdetails`, { source: { repoURL: appRepo, path: "helm", targetRevision: "HEAD", helm: { valueFiles: ["values-prod.yaml"] } } });
  assert.equal(helm.status, 200, show(helm));
  const hd = helm.body as { type: string; helm: { name: string; valueFiles: string[]; parameters: Array<{ name: string; value: string }>; values: string } };
  assert.equal(hd.type, "Helm");
  assert.equal(hd.helm.name, "demo-chart");
  assert.deepEqual(hd.helm.valueFiles, ["values-prod.yaml", "values.yaml"]);
  assert.deepEqual(hd.helm.parameters, [{ name: "image.repository", value: "nginx" }, { name: "image.tag", value: "1.0" }, { name: "replicas", value: "5" }], "values.yaml flattened, the source's value file applied");
  assert.match(hd.helm.values, /repository: nginx/);
  const kust = await api("POST", `/api/v1/repositories/${enc(appRepo)}/appdetails`, { source: { repoURL: appRepo, path: "kust" } });
  assert.equal(kust.status, 200, show(kust));
  assert.deepEqual(kust.body, { type: "Kustomize", kustomize: { images: ["my/nginx:2.0"] } }, "the built output's images, after the kustomization's override");
  const escape = await api("POST", `/api/v1/repositories/${enc(appRepo)}/appdetails`, { source: { repoURL: appRepo, path: "../.." } });
  assert.equal(escape.status, 400, `a path out of the repository is refused: ${show(escape)}`);
  const oci = await api("GET", `/api/v1/repositories/${enc(appRepo)}/oci-tags`);
  assert.equal(oci.status, 400, show(oci));
  assert.match((oci.body as { message: string }).message, /is of type git: only OCI repositories have tags listed here/, show(oci));

  // ---- validate: wrong credentials fail clearly and store nothing; right ones pass ----
  const wrong = await api("POST", `/api/v1/repositories/${enc(privateRepo)}/validate?username=bob&password=${enc(WRONG_PASSWORD)}`, privateRepo);
  assert.equal(wrong.status, 400, show(wrong));
  assert.match((wrong.body as { message: string }).message, /^Unable to connect to repository: /, show(wrong));
  const repoSecrets = async (): Promise<SecretObj[]> => (await client.list<SecretObj>("v1", "Secret", { namespace: ns })).items.filter((s) => decode(s.data?.url) === privateRepo);
  assert.deepEqual(await repoSecrets(), [], "validate stores nothing");
  const right = await api("POST", `/api/v1/repositories/${enc(privateRepo)}/validate?username=bob&password=${enc(REPO_PASSWORD)}`, privateRepo);
  assert.equal(right.status, 200, show(right));

  // ---- repository and repo-creds update ----
  const reg = await api("POST", "/api/v1/repositories", { repo: privateRepo, username: "bob", password: REPO_PASSWORD });
  assert.equal(reg.status, 200, show(reg));
  const upd = await api("PUT", `/api/v1/repositories/${enc(privateRepo)}`, { repo: privateRepo, name: "private-one", username: "bob", password: REPO_PASSWORD });
  assert.equal(upd.status, 200, show(upd));
  assert.equal((upd.body as { name?: string }).name, "private-one", show(upd));
  const [stored] = await repoSecrets();
  assert.equal(decode(stored?.data?.password), REPO_PASSWORD, "the password is stored");
  assert.equal(decode(stored?.data?.name), "private-one");
  const missing = await api("PUT", `/api/v1/repositories/${enc(`${appRepo}-nope`)}`, { repo: `${appRepo}-nope` });
  assert.equal(missing.status, 404, show(missing));
  // A prefix no repository of this test is under, so these credentials change no fetch.
  const credsUrl = `${w.git.url}/no-such-group/`;
  assert.equal((await api("POST", "/api/v1/repocreds", { url: credsUrl, username: "bob", password: REPO_PASSWORD })).status, 200);
  const credsPut = await api("PUT", `/api/v1/repocreds/${enc(credsUrl)}`, { url: credsUrl, username: "carol", password: REPO_PASSWORD });
  assert.equal(credsPut.status, 200, show(credsPut));
  assert.equal((credsPut.body as { username?: string }).username, "carol", show(credsPut));

  // ---- a Helm repository behind basic auth: its charts, and validate against it ----
  const chartDir = await mkdtemp(join(tmpdir(), "hawser-admin-chart-"));
  t.after(() => rm(chartDir, { recursive: true, force: true }));
  await mkdir(join(chartDir, "demo-chart/templates"), { recursive: true });
  await writeFile(join(chartDir, "demo-chart/Chart.yaml"), chart["helm/Chart.yaml"]);
  await writeFile(join(chartDir, "demo-chart/templates/cm.yaml"), chart["plain/cm.yaml"]);
  const helmRepo = await startHelmRepo({ chartDirs: [join(chartDir, "demo-chart")], auth: { username: "hb", password: HELM_PASSWORD } });
  t.after(() => helmRepo.close());
  const helmWrong = await api("POST", `/api/v1/repositories/${enc(helmRepo.url)}/validate?type=helm&username=hb&password=${enc(WRONG_PASSWORD)}`, helmRepo.url);
  assert.equal(helmWrong.status, 400, show(helmWrong));
  assert.match((helmWrong.body as { message: string }).message, /^Unable to connect to repository: .*rejected the credentials/, show(helmWrong));
  assert.equal((await api("POST", "/api/v1/repositories", { repo: helmRepo.url, type: "helm", name: "charts", username: "hb", password: HELM_PASSWORD })).status, 200);
  const charts = await eventually(async () => {
    const r = await api("GET", `/api/v1/repositories/${enc(helmRepo.url)}/helmcharts`);
    assert.equal(r.status, 200, show(r));
    return r.body;
  }, { timeoutMs: 20_000 });
  assert.deepEqual(charts, { items: [{ name: "demo-chart", versions: ["0.1.0"] }] });
  const notHelm = await api("GET", `/api/v1/repositories/${enc(appRepo)}/helmcharts`);
  assert.equal(notHelm.status, 400, `a git repository has no charts: ${show(notHelm)}`);

  // ---- certificates ----
  const pem = selfSignedCertificate(["git.example.com"]).cert;
  const cert = await api("POST", "/api/v1/certificates", { items: [{ serverName: "git.example.com", certType: "https", certData: Buffer.from(pem).toString("base64") }] });
  assert.equal(cert.status, 200, show(cert));
  const tlsCm = await client.get<ConfigMapObj>("v1", "ConfigMap", "argocd-tls-certs-cm", ns);
  assert.match(tlsCm?.data?.["git.example.com"] ?? "", /BEGIN CERTIFICATE/, "the certificate is in argocd-tls-certs-cm");
  const certs = await eventually(async () => {
    const r = await api("GET", "/api/v1/certificates?certType=https");
    assert.deepEqual((r.body as { items: Array<{ serverName: string }> }).items.map((i) => i.serverName), ["git.example.com"], show(r));
    return r;
  }, { timeoutMs: 20_000 });
  assert.match((certs.body as { items: Array<{ certInfo: string }> }).items[0]!.certInfo, /CN=/);
  const badCert = await api("POST", "/api/v1/certificates", { items: [{ serverName: "x.example.com", certType: "https", certData: Buffer.from("junk").toString("base64") }] });
  assert.equal(badCert.status, 400, show(badCert));
  assert.match((badCert.body as { message: string }).message, /items\[0\]\.certData/);

  // ---- GPG keys: a broken key refused, a real one stored and read back ----
  const fx = await SigningFixture.create();
  t.after(() => fx.cleanup());
  const key = await fx.key("signer");
  const broken = await api("POST", "/api/v1/gpgkeys", { keyData: key.armoured.replace(/\n([A-Za-z0-9+/]{20})/, "\n!!!!$1") });
  assert.equal(broken.status, 400, show(broken));
  assert.match((broken.body as { message: string }).message, /keyData (could not be imported|holds no public key)/, show(broken));
  assert.equal(await client.get("v1", "ConfigMap", "argocd-gpg-keys-cm", ns), undefined, "a refused key writes nothing");
  const gpgAdd = await api("POST", "/api/v1/gpgkeys", { keyData: key.armoured });
  assert.equal(gpgAdd.status, 200, show(gpgAdd));
  const keyID = key.keyID.toUpperCase();
  assert.deepEqual((gpgAdd.body as { created: { items: Array<{ keyID: string }> } }).created.items.map((k) => k.keyID), [keyID]);
  const gotKey = await eventually(async () => {
    const r = await api("GET", `/api/v1/gpgkeys/${keyID}`);
    assert.equal(r.status, 200, show(r));
    return r.body as { fingerprint: string; owner: string };
  }, { timeoutMs: 20_000 });
  assert.equal(gotKey.fingerprint, key.fpr.toUpperCase());
  assert.equal(gotKey.owner, "signer <signer@hawser.invalid>");

  assert.equal((await api("GET", "/api/v1/settings/plugins")).status, 200, "settings/plugins answers a logged-in caller");

  // ---- a role:readonly user: 403 on every write, and nothing changes ----
  const setPw = await api("PUT", "/api/v1/account/password", { name: "reader", currentPassword: password, newPassword: "reader-pass-123" });
  assert.equal(setPw.status, 200, show(setPw));
  const reader = await sessionToken(call, "reader", "reader-pass-123");
  const before = {
    cluster: (await clusterSecret()).metadata.resourceVersion,
    tls: (await client.get("v1", "ConfigMap", "argocd-tls-certs-cm", ns))?.metadata.resourceVersion,
    gpg: (await client.get("v1", "ConfigMap", "argocd-gpg-keys-cm", ns))?.metadata.resourceVersion,
    repo: (await repoSecrets())[0]?.metadata.resourceVersion,
  };
  const writes: Array<[string, string, unknown]> = [
    ["PUT", `/api/v1/clusters/${enc(server2)}?updatedFields=namespaces`, { server: server2, namespaces: ["x"] }],
    ["POST", `/api/v1/clusters/${enc(server2)}/rotate-auth`, {}],
    ["POST", `/api/v1/clusters/${enc(server2)}/invalidate-cache`, {}],
    ["PUT", `/api/v1/repositories/${enc(privateRepo)}`, { repo: privateRepo, name: "hijacked" }],
    ["PUT", `/api/v1/repocreds/${enc(credsUrl)}`, { url: credsUrl, username: "x" }],
    ["POST", `/api/v1/repositories/${enc(privateRepo)}/validate?username=bob&password=${enc(REPO_PASSWORD)}`, privateRepo],
    ["POST", "/api/v1/certificates?upsert=true", { items: [{ serverName: "git.example.com", certType: "https", certData: Buffer.from(selfSignedCertificate(["other"]).cert).toString("base64") }] }],
    ["DELETE", "/api/v1/certificates?hostNamePattern=*", undefined],
    ["POST", "/api/v1/gpgkeys?upsert=true", { keyData: key.armoured }],
    ["DELETE", `/api/v1/gpgkeys?keyID=${keyID}`, undefined],
  ];
  for (const [method, path, body] of writes) {
    const r = await call(method, path, body, reader);
    assert.equal(r.status, 403, `${method} ${path.split("?")[0]} by role:readonly: ${show(r)}`);
    assert.match((r.body as { message: string }).message, /^permission denied: /, show(r));
  }
  assert.equal((await call("GET", "/api/v1/certificates", undefined, reader)).status, 200, "readonly may list certificates");
  assert.equal((await call("GET", "/api/v1/gpgkeys", undefined, reader)).status, 200, "readonly may list GPG keys");
  const after = {
    cluster: (await clusterSecret()).metadata.resourceVersion,
    tls: (await client.get("v1", "ConfigMap", "argocd-tls-certs-cm", ns))?.metadata.resourceVersion,
    gpg: (await client.get("v1", "ConfigMap", "argocd-gpg-keys-cm", ns))?.metadata.resourceVersion,
    repo: (await repoSecrets())[0]?.metadata.resourceVersion,
  };
  assert.deepEqual(after, before, "the refused writes changed nothing");

  // ---- may create clusters but not update them: an upsert over an existing one is an update ----
  assert.equal((await api("PUT", "/api/v1/account/password", { name: "creator", currentPassword: password, newPassword: "creator-pass-123" })).status, 200);
  const creator = ((await call("POST", "/api/v1/session", { username: "creator", password: "creator-pass-123" })).body as { token: string }).token;
  const clusterBefore = (await clusterSecret()).metadata.resourceVersion;
  const upsert = await call("POST", "/api/v1/clusters?upsert=true", { server: server2, name: "taken-over", config: { bearerToken: "attacker" } }, creator);
  assert.equal(upsert.status, 403, show(upsert));
  assert.match((upsert.body as { message: string }).message, /^permission denied: clusters, update, /, show(upsert));
  assert.equal((await clusterSecret()).metadata.resourceVersion, clusterBefore, "the refused upsert changed nothing");

  // ---- project-scoped repo creds are checked as <project>/<url>, like repositories ----
  const teamCreds = `${w.git.url}/team-a-only/`;
  const own = await call("POST", "/api/v1/repocreds", { url: teamCreds, project: "team-a", username: "t", password: REPO_PASSWORD }, creator);
  assert.equal(own.status, 200, `creds of the caller's project: ${show(own)}`);
  const foreign = await call("POST", "/api/v1/repocreds", { url: `${w.git.url}/team-b-only/`, project: "team-b", username: "t", password: REPO_PASSWORD }, creator);
  assert.equal(foreign.status, 403, show(foreign));
  assert.ok((foreign.body as { message: string }).message.startsWith(`permission denied: repositories, create, team-b/${w.git.url}/team-b-only/`), `checked on <project>/<url>: ${show(foreign)}`);
  const unscoped = await call("POST", "/api/v1/repocreds", { url: `${w.git.url}/anyone/`, username: "t", password: REPO_PASSWORD }, creator);
  assert.equal(unscoped.status, 403, `creds of no project are checked on the bare URL: ${show(unscoped)}`);
  const seen = await call("GET", "/api/v1/repocreds", undefined, creator);
  assert.equal(seen.status, 200, show(seen));
  assert.deepEqual((seen.body as { items: Array<{ url: string }> }).items.map((c) => c.url), [teamCreds], `the list shows only team-a's creds: ${show(seen)}`);

  // ---- delete what was added (admin) ----
  const delCert = await api("DELETE", "/api/v1/certificates?hostNamePattern=git.example.com&certType=https");
  assert.equal(delCert.status, 200, show(delCert));
  assert.equal((delCert.body as { items: unknown[] }).items.length, 1, show(delCert));
  assert.equal((await client.get<ConfigMapObj>("v1", "ConfigMap", "argocd-tls-certs-cm", ns))?.data?.["git.example.com"], undefined, "removed from the ConfigMap");
  assert.equal((await api("DELETE", `/api/v1/gpgkeys?keyID=${keyID}`)).status, 200);
  assert.equal((await client.get<ConfigMapObj>("v1", "ConfigMap", "argocd-gpg-keys-cm", ns))?.data?.[keyID], undefined, "the key is gone");

  // ---- the status badge: no login; Synced/Healthy, Not Found, Unknown when disabled ----
  await eventually(async () => {
    const a = await client.get<Application>(API, "Application", "badged", ns);
    assert.equal(a?.status?.sync?.status, "Synced");
    assert.equal(a?.status?.health?.status, "Healthy");
  }, { timeoutMs: 120_000 });
  const badge = await eventually(async () => {
    const r = await call("GET", "/api/badge?name=badged&revision=true&showAppName=true");
    assert.equal(r.status, 200, show(r));
    assert.match(r.text, />Healthy</, `the badge shows the health: ${r.text}`);
    assert.match(r.text, />Synced</, `and the sync status: ${r.text}`);
    return r;
  }, { timeoutMs: 30_000 });
  assert.equal(badge.headers.get("content-type"), "image/svg+xml");
  assert.equal(badge.headers.get("cache-control"), "private, no-store");
  assert.equal(badge.headers.get("access-control-allow-origin"), "*");
  assert.match(badge.text, />badged</, "showAppName adds the name");
  const revision = (await client.get<Application>(API, "Application", "badged", ns))?.status?.sync?.revision ?? "";
  assert.ok(badge.text.includes(`>${revision.slice(0, 7)}<`) && !badge.text.includes(revision), "revision=true shows 7 characters of the synced revision");
  const project = await call("GET", "/api/badge?project=default");
  assert.match(project.text, />Healthy</, `a project's apps together: ${project.text}`);
  const notFound = await call("GET", "/api/badge?name=no-such-app");
  assert.equal(notFound.status, 200);
  assert.match(notFound.text, />Not Found</, notFound.text);
  assert.equal((await call("GET", "/api/badge?name=Bad_Name")).status, 400, "an invalid name is 400");
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: { "statusbadge.enabled": "false" } });
  await eventually(async () => {
    const r = await call("GET", "/api/badge?name=badged");
    assert.doesNotMatch(r.text, />Healthy<|>Synced</, `disabled: no status shown: ${r.text}`);
    assert.match(r.text, />Unknown</, r.text);
  }, { timeoutMs: 30_000 });
  const hidden = await call("GET", "/api/badge?name=no-such-app");
  assert.doesNotMatch(hidden.text, /Not Found/, "disabled: a missing app looks like any other");

  // ---- no response body carried a secret the test stored or sent ----
  for (const text of bodies) {
    for (const secret of [oldToken, newToken, REPO_PASSWORD, WRONG_PASSWORD, HELM_PASSWORD]) assert.ok(!text.includes(secret), `a response body holds a secret: ${text.slice(0, 300)}`);
    assert.ok(!/"(password|bearerToken|sshPrivateKey|tlsClientCertKey|keyData)"\s*:\s*"[^"]/.test(text.replace(/"keyData":"-----BEGIN PGP PUBLIC KEY BLOCK-----[^"]*"/g, "")), `no credential field in a body: ${text.slice(0, 300)}`);
  }
  assert.ok(bodies.length > 40, "the bodies of every call were checked");
});
