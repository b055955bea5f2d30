// Helm and OCI repositories through the real API server on the real control plane: their
// connection state is a real probe (a Helm repository's index.yaml with its credentials; an OCI
// registry's distribution API through the token flow, over HTTPS trusted through
// argocd-tls-certs-cm), so a wrong password, a missing repository or a dead host shows Failed with
// the reason; oci-tags lists an OCI repository's tags across pages, and a chart's tags in a Helm
// OCI registry; what has no tags is refused in Argo's error shape, and RBAC `repositories, get`
// guards it. No response body carries a password.
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse as show, type JsonResponse } from "../support/api-session.js";
import { startOciRegistry, type OciArtifact } from "../support/oci-registry.js";
import { serveLoopback, type AfterHook } from "../support/loopback-server.js";
import { startServerProcess } from "../support/operator-process.js";
import { generatePki } from "../../operator/devcluster/pki.js";

const HELM_PASSWORD = "helm-index-pw-do-not-leak-31";
const OCI_PASSWORD = "oci-token-pw-do-not-leak-32";
const WRONG_PASSWORD = "wrong-pw-do-not-leak-33";
const BUILD_TAGS = Array.from({ length: 1100 }, (_, i) => `build-${String(i).padStart(4, "0")}`);

interface ConnectionState { status?: string; message?: string }

/** A Helm repository: an index.yaml behind basic auth, served under any path (…/index.yaml). */
async function indexServer(t: AfterHook, username: string, password: string): Promise<{ url: string }> {
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const { url } = await serveLoopback(t, (req, res) => {
    if (req.headers.authorization !== expected) return void res.writeHead(401, { "www-authenticate": 'Basic realm="charts"' }).end();
    if (!(req.url ?? "").endsWith("/index.yaml")) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/yaml" }).end("apiVersion: v1\nentries:\n  web:\n  - name: web\n    version: 1.0.0\n");
  });
  return { url };
}

test("API server: Helm and OCI repositories' connection state is probed; oci-tags lists tags across pages; no password in any body", async (t) => {
  const w = await createWorld(t, { name: "ocirepo", startOperator: false, argocdCm: { "accounts.viewer": "login" } });
  const { client, ns } = w;

  const dir = await mkdtemp(join(tmpdir(), "hawser-e2e-oci-repos-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const helmRepo = await indexServer(t, "hb", HELM_PASSWORD);
  const pki = await generatePki(join(dir, "pki"));
  const [cert, key, ca] = await Promise.all([pki.apiserverCert, pki.apiserverKey, pki.caCert].map((f) => readFile(f, "utf8")));
  const manifests = (tag: string): OciArtifact => ({
    repository: "manifests/guestbook", tag, artifactType: "application/vnd.example.manifests",
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", body: Buffer.from(`manifests of ${tag}`) }],
  });
  // 1.0.0 is a real artifact (a tar+gzip of a directory of manifests); the others only have tags.
  await mkdir(join(dir, "bundle", "guestbook"), { recursive: true });
  await writeFile(join(dir, "bundle", "guestbook", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\n");
  assert.equal(spawnSync("tar", ["-czf", join(dir, "bundle.tgz"), "-C", join(dir, "bundle"), "."]).status, 0);
  const real: OciArtifact = { repository: "manifests/guestbook", tag: "1.0.0", layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", body: await readFile(join(dir, "bundle.tgz")) }] };
  const registry = await startOciRegistry({
    artifacts: [real, ...["1.1.0", ...BUILD_TAGS].map(manifests), {
      // A chart's repository in the registry's "charts" namespace (listing tags reads no layer).
      repository: "charts/web", tag: "1.0.0",
      config: { mediaType: "application/vnd.cncf.helm.config.v1+json", body: Buffer.from('{"name":"web","version":"1.0.0"}') },
      layers: [{ mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", body: Buffer.from("chart") }],
    }],
    auth: { username: "ob", password: OCI_PASSWORD }, authScheme: "bearer", tls: { cert: cert!, key: key! },
  });
  t.after(() => registry.close());
  const guestbook = `oci://${registry.host}/manifests/guestbook`;

  // The registry's CA is trusted through argocd-tls-certs-cm, as Argo reads it for OCI registries.
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-tls-certs-cm", namespace: ns }, data: { "127.0.0.1": ca! } });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: {
    "policy.csv": `p, role:oci-viewer, repositories, get, ${guestbook}, allow\ng, viewer, role:oci-viewer\n`,
  } });
  const repoSecret = (name: string, data: Record<string, string>) => client.create({
    apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns, labels: { "argocd.argoproj.io/secret-type": "repository" } }, stringData: data,
  });
  await repoSecret("helm-ok", { type: "helm", name: "helm-ok", url: helmRepo.url, username: "hb", password: HELM_PASSWORD });
  // The same index under another path (the server serves it there too), with a wrong password.
  await repoSecret("helm-wrong", { type: "helm", name: "helm-wrong", url: `${helmRepo.url}/wrong`, username: "hb", password: WRONG_PASSWORD });
  await repoSecret("helm-dead", { type: "helm", name: "helm-dead", url: "http://127.0.0.1:1/charts" });
  await repoSecret("helm-oci", { type: "helm", name: "helm-oci", url: `${registry.host}/charts`, enableOCI: "true", username: "ob", password: OCI_PASSWORD });
  await repoSecret("helm-oci-wrong", { type: "helm", name: "helm-oci-wrong", url: `oci://${registry.host}/charts-elsewhere`, username: "ob", password: WRONG_PASSWORD });
  await repoSecret("oci-guestbook", { type: "oci", name: "guestbook", url: guestbook, username: "ob", password: OCI_PASSWORD });
  await repoSecret("oci-missing", { type: "oci", name: "missing", url: `oci://${registry.host}/manifests/missing`, username: "ob", password: OCI_PASSWORD });
  await repoSecret("oci-anonymous", { type: "oci", name: "anonymous", url: `oci://${registry.host}/manifests/anonymous` });
  await repoSecret("git-repo", { type: "git", name: "git", url: "https://git.example.invalid/org/app.git" });

  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const bodies: string[] = [];
  const call = jsonCaller(await server.url(), { onText: (text) => bodies.push(text) });
  const adminPassword = await initialAdminPassword(client, ns);
  const token = await sessionToken(call, "admin", adminPassword);
  const api = (method: string, path: string, body?: unknown, as = token): Promise<JsonResponse> => call(method, path, body, as);
  const enc = encodeURIComponent;
  const message = (r: { body: unknown }): string => {
    const m = (r.body as { message?: unknown } | undefined)?.message;
    return typeof m === "string" ? m : "";
  };
  const state = async (url: string): Promise<ConnectionState> => {
    const r = await eventually(async () => {
      const x = await api("GET", `/api/v1/repositories/${enc(url)}?forceRefresh=true`);
      assert.equal(x.status, 200, show(x));
      return x;
    }, { timeoutMs: 20_000 });
    return (r.body as { connectionState?: ConnectionState }).connectionState ?? {};
  };

  await t.test("connection state: each kind of repository is probed, and a failure names its reason", async () => {
    const cases: Array<[string, string, "Successful" | "Failed", RegExp?]> = [
      ["a Helm repository with its password", helmRepo.url, "Successful"],
      ["a Helm repository with a wrong password", `${helmRepo.url}/wrong`, "Failed", /^Unable to connect to repository: Helm repository http:\/\/127\.0\.0\.1:\d+\/wrong: index\.yaml returned HTTP 401: the repository rejected the credentials$/],
      ["a Helm repository nobody serves", "http://127.0.0.1:1/charts", "Failed", /^Unable to connect to repository: Helm repository http:\/\/127\.0\.0\.1:1\/charts: .*ECONNREFUSED/],
      ["a Helm OCI registry with its password (token flow, CA from argocd-tls-certs-cm)", `${registry.host}/charts`, "Successful"],
      ["a Helm OCI registry with a wrong password", `oci://${registry.host}/charts-elsewhere`, "Failed", /^Unable to connect to repository: registry 127\.0\.0\.1:\d+: the token service rejected the credentials \(HTTP 401\)$/],
      ["an OCI repository with its password", guestbook, "Successful"],
      ["an OCI repository the registry does not have", `oci://${registry.host}/manifests/missing`, "Failed", /^Unable to connect to repository: registry 127\.0\.0\.1:\d+ has no tags of manifests\/missing \(HTTP 404\)$/],
      ["an OCI repository without credentials", `oci://${registry.host}/manifests/anonymous`, "Failed", /^Unable to connect to repository: registry 127\.0\.0\.1:\d+: the token service needs credentials/],
    ];
    for (const [what, url, status, why] of cases) {
      const s = await state(url);
      assert.equal(s.status, status, `${what}: ${JSON.stringify(s)}`);
      if (why) assert.match(s.message ?? "", why, `${what}: the reason is named`);
    }
    // The listing shows the same states (each probed once and cached).
    const list = await api("GET", "/api/v1/repositories");
    assert.equal(list.status, 200, show(list));
    const byUrl = new Map((list.body as { items: Array<{ repo: string; connectionState?: ConnectionState }> }).items.map((i) => [i.repo, i.connectionState?.status]));
    assert.equal(byUrl.get(guestbook), "Successful", show(list));
    assert.equal(byUrl.get(`oci://${registry.host}/manifests/missing`), "Failed", show(list));
  });

  await t.test("oci-tags: every page of an OCI repository's tags, a chart's tags in a Helm OCI registry", async () => {
    const r = await api("GET", `/api/v1/repositories/${enc(guestbook)}/oci-tags`);
    assert.equal(r.status, 200, show(r));
    const tags = (r.body as { tags: string[] }).tags;
    assert.equal(tags.length, 1102, `every tag, over two pages: ${tags.length}`);
    assert.deepEqual([...tags].sort(), ["1.0.0", "1.1.0", ...BUILD_TAGS].sort());
    assert.ok(registry.requests.some((q) => /^GET \/v2\/manifests\/guestbook\/tags\/list\?n=1000&last=/.test(q)), "the Link header's next page was read");
    const chartTags = await api("GET", `/api/v1/repositories/${enc(`${registry.host}/charts/web`)}/oci-tags`);
    assert.equal(chartTags.status, 200, show(chartTags));
    assert.deepEqual(chartTags.body, { tags: ["1.0.0"] }, "the chart's repository, read with the registry Secret's credentials");
  });

  await t.test("an OCI artifact's application directories and app details, read from the artifact at a tag", async () => {
    const apps = await api("GET", `/api/v1/repositories/${enc(guestbook)}/apps?revision=1.0.0`);
    assert.equal(apps.status, 200, show(apps));
    assert.deepEqual(apps.body, { items: [{ path: "guestbook", type: "Directory" }] }, show(apps));
    const details = await api("POST", `/api/v1/repositories/${enc(guestbook)}/appdetails`, { source: { repoURL: guestbook, path: "guestbook", targetRevision: "1.0.0" } });
    assert.equal(details.status, 200, show(details));
    assert.equal((details.body as { type?: string }).type, "Directory", show(details));
    const refs = await api("GET", `/api/v1/repositories/${enc(guestbook)}/refs`);
    assert.equal(refs.status, 400, show(refs));
    assert.match(message(refs), /is of type oci: only git repositories have branches and tags \(an OCI repository's tags: \.\.\.\/oci-tags\)/, show(refs));
  });

  await t.test("oci-tags refuses what has no OCI tags, in Argo's error shape", async () => {
    const cases: Array<[string, string, number, number, RegExp]> = [
      ["a Helm OCI registry itself", `${registry.host}/charts`, 400, 9, /is a Helm OCI registry \(its charts are repositories below it\): ask for the tags of one chart/],
      ["a Helm index repository", helmRepo.url, 400, 9, /is of type helm without enableOCI: only OCI repositories have tags/],
      ["a git repository", "https://git.example.invalid/org/app.git", 400, 9, /is of type git: only OCI repositories have tags listed here/],
      ["a repository the registry does not have", `oci://${registry.host}/manifests/missing`, 404, 5, /has no tags of manifests\/missing \(HTTP 404\)/],
      ["an unregistered repository of an unreachable registry", "oci://127.0.0.1:1/x/y", 400, 9, /registry 127\.0\.0\.1:1: .*ECONNREFUSED/],
      ["a reference with credentials in it", `oci://ob:${OCI_PASSWORD}@${registry.host}/manifests/guestbook`, 400, 9, /must not carry credentials/],
    ];
    for (const [what, url, status, code, why] of cases) {
      const r = await api("GET", `/api/v1/repositories/${enc(url)}/oci-tags`);
      assert.equal(r.status, status, `${what}: ${show(r)}`);
      assert.equal((r.body as { code?: number }).code, code, `${what}: gRPC code`);
      assert.equal((r.body as { error?: string }).error, message(r), `${what}: Argo's {error, code, message}`);
      assert.match(message(r), why, `${what}: ${show(r)}`);
    }
  });

  await t.test("oci-tags needs repositories, get on the repository", async () => {
    const set = await api("PUT", "/api/v1/account/password", { name: "viewer", currentPassword: adminPassword, newPassword: "viewer-pass-123" });
    assert.equal(set.status, 200, show(set));
    const viewer = await eventually(() => sessionToken(call, "viewer", "viewer-pass-123"), { timeoutMs: 15_000 });
    const allowed = await api("GET", `/api/v1/repositories/${enc(guestbook)}/oci-tags`, undefined, viewer);
    assert.equal(allowed.status, 200, show(allowed));
    const before = registry.requests.length;
    const denied = await api("GET", `/api/v1/repositories/${enc(`oci://${registry.host}/charts/web`)}/oci-tags`, undefined, viewer);
    assert.equal(denied.status, 403, show(denied));
    // Checked on the registered registry that holds the chart.
    assert.match(message(denied), /^permission denied: repositories, get, 127\.0\.0\.1:\d+\/charts, /, show(denied));
    assert.equal(registry.requests.length, before, "a denied call reaches no registry");
  });

  assert.ok(bodies.length > 10, `responses were recorded (${bodies.length})`);
  for (const text of bodies) {
    for (const pw of [HELM_PASSWORD, OCI_PASSWORD, WRONG_PASSWORD]) assert.ok(!text.includes(pw), `no password in a response body: ${text.split(pw).join("<password>").slice(0, 400)}`);
  }
});
