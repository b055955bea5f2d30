// Helm-repository charts through the real API server on the real control plane: appdetails of a
// chart in an index repository behind basic auth (a type helm repository Secret registered through
// the API) and of one in an OCI registry (HTTPS, basic auth, `insecure`), at exact versions and
// constraints; Application create validation refusing a chart, a version or a registry that is not
// there, naming spec.source.chart / targetRevision / repoURL, with nothing written; attacks (a
// chart name with `../`, one that is a flag, credentials in an OCI reference) refused before any
// request reaches the repository; the OCI registry's repository validate (a one-off login); and no
// response body carrying either password.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { API, IN_CLUSTER, createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse as show } from "../support/api-session.js";
import { startHelmRepo } from "../support/helm-repo.js";
import { startOciRegistry } from "../support/oci-registry.js";
import { startServerProcess } from "../support/operator-process.js";
import { generatePki } from "../../operator/devcluster/pki.js";

const PASSWORD = "helm-index-password-do-not-leak-7";
const OCI_PASSWORD = "oci-registry-password-do-not-leak-8";
const VALUES = (tag: string): string => `image:\n  repository: example/web\n  tag: "${tag}"\nreplicas: 2\n`;

interface Details { type: string; helm?: { name?: string; valueFiles?: string[]; parameters?: Array<{ name: string; value: string }>; values?: string } }

test("API server: appdetails and create validation of Helm-repository and OCI charts; traversal and missing versions refused; no password in any body", async (t) => {
  const w = await createWorld(t, { name: "helmch", startOperator: false });
  const { client, ns } = w;
  // The operator (not started here) would create it; the server's validation needs it.
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "default", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] } });

  const dir = await mkdtemp(join(tmpdir(), "hawser-e2e-helm-charts-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const chartDirs: string[] = [];
  for (const version of ["1.0.0", "1.2.0"]) {
    const d = join(dir, `web-${version}`);
    await mkdir(join(d, "templates"), { recursive: true });
    await writeFile(join(d, "Chart.yaml"), `apiVersion: v2\nname: web\nversion: ${version}\n`);
    await writeFile(join(d, "values.yaml"), VALUES(version.slice(0, 3)));
    await writeFile(join(d, "values-prod.yaml"), "replicas: 5\n");
    await writeFile(join(d, "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n");
    chartDirs.push(d);
  }
  const repo = await startHelmRepo({ chartDirs, auth: { username: "hb", password: PASSWORD } });
  t.after(() => repo.close());
  const pki = await generatePki(join(dir, "pki"));
  const [cert, key] = await Promise.all([pki.apiserverCert, pki.apiserverKey].map((f) => readFile(f, "utf8")));
  const registry = await startOciRegistry({ chartDirs: [chartDirs[0]!], auth: { username: "ob", password: OCI_PASSWORD }, tls: { cert: cert!, key: key! } });
  t.after(() => registry.close());

  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const bodies: string[] = [];
  const call = jsonCaller(await server.url(), { onText: (text) => bodies.push(text) });
  const token = await sessionToken(call, "admin", await initialAdminPassword(client, ns));
  const api = (method: string, path: string, body?: unknown) => call(method, path, body, token);
  const enc = encodeURIComponent;
  const message = (r: { body: unknown }): string => {
    const m = (r.body as { message?: unknown } | undefined)?.message;
    return typeof m === "string" ? m : "";
  };

  // The index repository through the API, the OCI registry as a user applies its Secret.
  const added = await api("POST", "/api/v1/repositories", { repo: repo.url, type: "helm", name: "charts", username: "hb", password: PASSWORD });
  assert.equal(added.status, 200, show(added));
  await client.create({
    apiVersion: "v1", kind: "Secret", metadata: { name: "oci-charts", namespace: ns, labels: { "argocd.argoproj.io/secret-type": "repository" } },
    stringData: { type: "helm", name: "oci", url: registry.url, enableOCI: "true", username: "ob", password: OCI_PASSWORD, insecure: "true" },
  });
  const details = (repoURL: string, source: Record<string, unknown>) => api("POST", `/api/v1/repositories/${enc(repoURL)}/appdetails`, { source: { repoURL, ...source }, appProject: "default" });

  await t.test("appdetails of an index repository's chart: Argo's helm shape, read from the chart at the resolved version", async () => {
    const r = await eventually(async () => {
      const x = await details(repo.url, { chart: "web", targetRevision: "1.0.0", helm: { valueFiles: ["values-prod.yaml"] } });
      assert.equal(x.status, 200, show(x));
      return x;
    }, { timeoutMs: 20_000 });
    assert.deepEqual(r.body, {
      type: "Helm",
      helm: {
        name: "web",
        valueFiles: ["values-prod.yaml", "values.yaml"],
        parameters: [{ name: "image.repository", value: "example/web" }, { name: "image.tag", value: "1.0" }, { name: "replicas", value: "5" }],
        values: VALUES("1.0"),
      },
    }, show(r));
    const latest = await details(repo.url, { chart: "web", targetRevision: "^1.0" });
    assert.equal(latest.status, 200, show(latest));
    assert.equal((latest.body as Details).helm?.parameters?.find((p) => p.name === "image.tag")?.value, "1.2", `a constraint reads 1.2.0: ${show(latest)}`);
    const charts = await api("GET", `/api/v1/repositories/${enc(repo.url)}/helmcharts`);
    assert.equal(charts.status, 200, show(charts));
    assert.deepEqual((charts.body as { items: Array<{ name: string; versions: string[] }> }).items.map((i) => [i.name, [...i.versions].sort()]), [["web", ["1.0.0", "1.2.0"]]], show(charts));
  });

  await t.test("appdetails refuses a traversal name, a flag and a missing version with the field named, before any request for them", async () => {
    const before = repo.requests.length;
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ["a chart name with ../", { chart: "../web", targetRevision: "1.0.0" }, /source\.chart: "\.\.\/web" must be a chart name/],
      ["a chart name with ../ deeper", { chart: "web/../../../etc", targetRevision: "1.0.0" }, /source\.chart: /],
      ["a chart name that is a flag", { chart: "--help" }, /source\.chart: "--help" is not a chart name/],
    ];
    for (const [what, source, why] of cases) {
      const r = await details(repo.url, source);
      assert.equal(r.status, 400, `${what}: ${show(r)}`);
      assert.match(message(r), why, `${what}: ${show(r)}`);
    }
    assert.equal(repo.requests.length, before, `no request reached the repository for a refused name: ${repo.requests.slice(before).join(", ")}`);
    const missing = await details(repo.url, { chart: "web", targetRevision: "9.9.9" });
    assert.equal(missing.status, 400, show(missing));
    assert.match(message(missing), /source\.targetRevision: no version of chart "web" in Helm repository .* matches "9\.9\.9"/, show(missing));
    assert.ok(!repo.requests.slice(before).some((p) => p.endsWith(".tgz")), "nothing was pulled for a missing version");
    const unknown = await details(repo.url, { chart: "nope", targetRevision: "1.0.0" });
    assert.equal(unknown.status, 400, show(unknown));
    assert.match(message(unknown), /source\.chart: chart "nope" not found in Helm repository/, show(unknown));
  });

  await t.test("appdetails of an OCI registry's chart, and a tag it does not have", async () => {
    const r = await eventually(async () => {
      const x = await details(registry.url, { chart: "web", targetRevision: "1.0.0" });
      assert.equal(x.status, 200, show(x));
      return x;
    }, { timeoutMs: 20_000 });
    const d = r.body as Details;
    assert.equal(d.type, "Helm", show(r));
    assert.equal(d.helm?.name, "web", show(r));
    assert.equal(d.helm?.values, VALUES("1.0"), show(r));
    const missing = await details(registry.url, { chart: "web", targetRevision: "9.9.9" });
    assert.equal(missing.status, 400, show(missing));
    assert.match(message(missing), /source\.targetRevision: chart "web" version "9\.9\.9" not found in OCI registry/, show(missing));
    // The repository validate call logs in to the registry once: a wrong password is refused.
    const validate = (password: string) => api("POST", `/api/v1/repositories/${enc(registry.url)}/validate?type=helm&enableOci=true&insecure=true&username=ob&password=${enc(password)}`, registry.url);
    const wrong = await validate("wrong-oci-password-do-not-leak-9");
    assert.equal(wrong.status, 400, show(wrong));
    assert.match(message(wrong), /^Unable to connect to repository: .*login failed/, show(wrong));
    assert.ok(!wrong.text.includes("wrong-oci-password-do-not-leak-9"), `the wrong password is not echoed: ${show(wrong)}`);
    const right = await validate(OCI_PASSWORD);
    assert.equal(right.status, 200, show(right));
    const badRef = await api("POST", `/api/v1/repositories/${enc("oci://127.0.0.1:1/Bad/../x")}/validate?type=helm`, "oci://127.0.0.1:1/Bad/../x");
    assert.equal(badRef.status, 400, show(badRef));
    assert.match(message(badRef), /^repo: the OCI registry reference has a path that is not an OCI repository name/, show(badRef));
  });

  await t.test("create validates chart sources: the chart, the version and the registry must be there; a refusal writes nothing", async () => {
    const dest = w.dest("charts");
    const app = (name: string, source: Record<string, unknown>) => ({ apiVersion: API, kind: "Application", metadata: { name, namespace: ns }, spec: { project: "default", source, destination: { server: IN_CLUSTER, namespace: dest } } });
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ["a chart without a version (Argo's rule: no newest-version default)", { repoURL: repo.url, chart: "web" }, /InvalidSpecError: spec\.source\.targetRevision is required if the manifest source is a helm chart/],
      ["a chart the index does not list", { repoURL: repo.url, chart: "nope", targetRevision: "1.0.0" }, /InvalidSpecError: spec\.source\.chart: chart "nope" not found in Helm repository/],
      ["a version the index does not list", { repoURL: repo.url, chart: "web", targetRevision: "9.9.9" }, /InvalidSpecError: spec\.source\.targetRevision: no version of chart "web"/],
      ["a constraint nothing satisfies", { repoURL: repo.url, chart: "web", targetRevision: ">=2.0.0" }, /InvalidSpecError: spec\.source\.targetRevision: no version of chart "web" .* matches ">=2\.0\.0"/],
      ["a chart name with ../", { repoURL: repo.url, chart: "../web", targetRevision: "1.0.0" }, /InvalidSpecError: spec\.source\.chart: "\.\.\/web" must be a chart name/],
      ["a tag the OCI registry does not have", { repoURL: registry.url, chart: "web", targetRevision: "9.9.9" }, /InvalidSpecError: spec\.source\.targetRevision: chart "web" version "9\.9\.9" not found in OCI registry/],
      ["credentials in an OCI reference", { repoURL: `oci://ob:${OCI_PASSWORD}@127.0.0.1:1/charts`, chart: "web", targetRevision: "1.0.0" }, /InvalidSpecError: spec\.source\.repoURL: the OCI registry reference must not carry credentials/],
      ["an OCI registry that does not answer", { repoURL: "oci://127.0.0.1:1/charts", chart: "web", targetRevision: "1.0.0" }, /InvalidSpecError: spec\.source\.repoURL: OCI registry oci:\/\/127\.0\.0\.1:1\/charts is not accessible/],
    ];
    for (const [what, source, why] of cases) {
      const r = await api("POST", "/api/v1/applications", app("charted", source));
      assert.equal(r.status, 400, `${what}: ${show(r)}`);
      assert.equal((r.body as { code: number }).code, 3, `${what}: InvalidArgument`);
      assert.match(message(r), /^application spec for charted is invalid: /, `${what}: Argo's wording`);
      assert.match(message(r), why, `${what}: the field and the problem are named: ${show(r)}`);
      assert.equal(await w.getApp("charted"), undefined, `${what}: nothing was written`);
    }
    for (const [name, source] of [["indexed", { repoURL: repo.url, chart: "web", targetRevision: "^1" }], ["oci", { repoURL: registry.url, chart: "web", targetRevision: "1.0.0" }]] as const) {
      const ok = await api("POST", "/api/v1/applications", app(name, source));
      assert.equal(ok.status, 200, `${name}: a chart the repository has is accepted: ${show(ok)}`);
      assert.equal((await api("DELETE", `/api/v1/applications/${name}?cascade=false`)).status, 200, `${name}: clean-up`);
    }
  });

  assert.ok(bodies.length > 10, `responses were recorded (${bodies.length})`);
  for (const text of bodies) {
    assert.ok(!text.includes(PASSWORD) && !text.includes(OCI_PASSWORD), `no password in a response body: ${text.replaceAll(PASSWORD, "<index password>").replaceAll(OCI_PASSWORD, "<OCI password>").slice(0, 400)}`);
  }
});
