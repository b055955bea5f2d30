// Helm-repository charts outside a render: checkRepoChart (the API's create/update validation)
// and repoChartDetails (appdetails, notifications' repo.GetAppDetails) against a loopback index
// repository behind basic auth and a loopback OCI registry, both serving charts packaged by the
// real helm. Each wrong field is named, names that cannot be charts are refused before any
// request, and no message carries a password.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePki } from "../devcluster/pki.js";
import { SecretCredentialStore, type SecretLike } from "../git/credentials.js";
import { createChartCache } from "../../plugins/helm/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import { startHelmRepo } from "../../test/support/helm-repo.js";
import { LocalRepoSource } from "../../test/support/local-repos.js";
import { startOciRegistry } from "../../test/support/oci-registry.js";
import { repoChartDetails } from "./app-details.js";
import { checkRepoChart, fetchRepoChart, type RepoChartCheck } from "./index.js";

const PASSWORD = "chart-repo-s3cret-pw";
const WRONG = "not-the-chart-pw-42";
const OCI_PASSWORD = "oci-registry-s3cret-pw";
const VALUES_1 = "image:\n  repository: example/web\n  tag: \"1.0\"\nreplicas: 2\n";

/** Two versions of chart "web" (1.0.0 and 1.2.0), each with values.yaml and values-prod.yaml. */
async function webCharts(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const [version, values] of [["1.0.0", VALUES_1], ["1.2.0", "image:\n  repository: example/web\n  tag: \"1.2\"\nreplicas: 2\n"]] as const) {
    const d = join(dir, `web-${version}`);
    await mkdir(join(d, "templates"), { recursive: true });
    await writeFile(join(d, "Chart.yaml"), `apiVersion: v2\nname: web\nversion: ${version}\n`);
    await writeFile(join(d, "values.yaml"), values);
    await writeFile(join(d, "values-prod.yaml"), "replicas: 5\n");
    await writeFile(join(d, "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  tag: {{ .Values.image.tag | quote }}\n");
    out.push(d);
  }
  return out;
}

function secretsRepo(secrets: SecretLike[]): LocalRepoSource {
  const store = new SecretCredentialStore(secrets);
  return Object.assign(new LocalRepoSource({}), { credentialsFor: (url: string) => store.credentialsFor(url) });
}

const helmSecret = (name: string, url: string, data: Record<string, string>): SecretLike => ({
  metadata: { name, namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repository" } },
  stringData: { type: "helm", name, url, ...data },
});

const problemOf = (c: RepoChartCheck): { field: string; message: string } | undefined => ("version" in c ? undefined : c);

test("checkRepoChart on an index repository: versions resolve; a missing chart, version or repository names its field; bad names never reach the network", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-repo-chart-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const repo = await startHelmRepo({ chartDirs: await webCharts(dir), auth: { username: "u", password: PASSWORD } });
  t.after(() => repo.close());
  const deps = { repos: secretsRepo([helmSecret("charts", repo.url, { username: "u", password: PASSWORD })]), charts: createChartCache({ dir: join(dir, "cache") }) };
  const src = (chart: string, targetRevision?: string) => ({ repoURL: repo.url, chart, ...(targetRevision !== undefined ? { targetRevision } : {}) });

  assert.deepEqual(await checkRepoChart(src("web", "1.0.0"), deps), { version: "1.0.0" }, "an exact listed version");
  assert.deepEqual(await checkRepoChart(src("web", "^1.0"), deps), { version: "1.2.0" }, "a constraint picks the highest match");
  assert.deepEqual(await checkRepoChart(src("web"), deps), { version: "1.2.0" }, "no targetRevision: the latest");

  const missingVersion = problemOf(await checkRepoChart(src("web", "9.9.9"), deps));
  assert.equal(missingVersion?.field, "targetRevision", `an exact version the index does not list: ${JSON.stringify(missingVersion)}`);
  assert.match(missingVersion?.message ?? "", /no version of chart "web" in Helm repository .* matches "9\.9\.9" \(available: .*1\.0\.0/);
  const missingChart = problemOf(await checkRepoChart(src("nope", "1.0.0"), deps));
  assert.deepEqual(missingChart, { field: "chart", message: `chart "nope" not found in Helm repository ${repo.url}` }, "a chart the index does not list");
  assert.equal(problemOf(await checkRepoChart(src("constructor"), deps))?.field, "chart", "an inherited property name is no chart of the index");

  const requests = repo.requests.length;
  for (const name of ["../web", "../../etc/passwd", "--help", "web/../../x", ".."]) {
    const p = problemOf(await checkRepoChart(src(name, "1.0.0"), deps));
    assert.equal(p?.field, "chart", `${name} is refused as a chart name: ${JSON.stringify(p)}`);
  }
  assert.equal(repo.requests.length, requests, `no request was made for a refused name: ${repo.requests.slice(requests).join(", ")}`);

  const wrong = { ...deps, repos: secretsRepo([helmSecret("charts", repo.url, { username: "u", password: WRONG })]) };
  const denied = problemOf(await checkRepoChart(src("web", "1.0.0"), wrong));
  assert.equal(denied?.field, "repoURL", `wrong credentials are the repository's problem: ${JSON.stringify(denied)}`);
  assert.match(denied?.message ?? "", /rejected the credentials/);
  assert.ok(!denied.message.includes(WRONG) && !denied.message.includes(PASSWORD), `no password in: ${denied.message}`);
  const gone = problemOf(await checkRepoChart({ repoURL: "http://127.0.0.1:1", chart: "web" }, { repos: new LocalRepoSource({}) }));
  assert.equal(gone?.field, "repoURL", `a repository that does not answer: ${JSON.stringify(gone)}`);
});

test("repoChartDetails reads the pulled chart at the resolved version, with the source's value files and parameters applied", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-repo-chart-details-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const repo = await startHelmRepo({ chartDirs: await webCharts(dir), auth: { username: "u", password: PASSWORD } });
  t.after(() => repo.close());
  const deps = { repos: secretsRepo([helmSecret("charts", repo.url, { username: "u", password: PASSWORD })]), charts: createChartCache({ dir: join(dir, "cache") }) };

  const details = await repoChartDetails({ repoURL: repo.url, chart: "web", targetRevision: "1.0.0", helm: { valueFiles: ["values-prod.yaml"], parameters: [{ name: "image.tag", value: "x" }] } }, deps, builtinPlugins());
  assert.deepEqual(details, {
    type: "Helm",
    helm: {
      name: "web",
      valueFiles: ["values-prod.yaml", "values.yaml"],
      parameters: [{ name: "image.repository", value: "example/web" }, { name: "image.tag", value: "x" }, { name: "replicas", value: "5" }],
      values: VALUES_1,
    },
  }, "Argo's helm details: the chart's name, value files, values.yaml's text, parameters after the source's files and parameters");
  assert.ok(repo.requests.some((r) => r.endsWith("web-1.0.0.tgz")), `version 1.0.0 was pulled: ${repo.requests.join(", ")}`);

  const latest = await repoChartDetails({ repoURL: repo.url, chart: "web", targetRevision: ">=1.1" }, deps, builtinPlugins());
  assert.equal(latest.helm?.parameters?.find((p) => p.name === "image.tag")?.value, "1.2", "a constraint reads the version it resolves to");

  const before = repo.requests.length;
  await assert.rejects(fetchRepoChart({ repoURL: repo.url, chart: "../web", targetRevision: "1.0.0" }, deps), /source\.chart: "\.\.\/web" must be a chart name/, "a traversal name is refused");
  await assert.rejects(fetchRepoChart({ repoURL: repo.url, chart: "web", targetRevision: "3.0.0" }, deps), /source\.targetRevision: no version of chart "web"/, "a version that does not exist");
  assert.ok(!repo.requests.slice(before).some((r) => r.endsWith(".tgz")), "nothing was pulled for either");
  await assert.rejects(fetchRepoChart({ repoURL: repo.url, chart: "web" }, { ...deps, settings: { disabledTools: ["helm"] } }), /helm is disabled/, "helm.enable: false holds here too");
});

test("an OCI registry: details of its chart, a missing version named as targetRevision, a reference with credentials refused without repeating them", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-repo-chart-oci-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pki = await generatePki(join(dir, "pki"));
  const [cert, key] = await Promise.all([pki.apiserverCert, pki.apiserverKey].map((f) => readFile(f, "utf8")));
  const [web1] = await webCharts(dir);
  const registry = await startOciRegistry({ chartDirs: [web1!], auth: { username: "o", password: OCI_PASSWORD }, tls: { cert: cert!, key: key! } });
  t.after(() => registry.close());
  const deps = { repos: secretsRepo([helmSecret("oci", registry.url, { username: "o", password: OCI_PASSWORD, insecure: "true", enableOCI: "true" })]), charts: createChartCache({ dir: join(dir, "cache") }) };

  assert.deepEqual(await checkRepoChart({ repoURL: registry.url, chart: "web", targetRevision: "1.0.0" }, deps), { version: "1.0.0" }, "the registry has the chart at that version");
  const missing = problemOf(await checkRepoChart({ repoURL: registry.url, chart: "web", targetRevision: "9.9.9" }, deps));
  assert.equal(missing?.field, "targetRevision", `a tag the registry does not have: ${JSON.stringify(missing)}`);
  assert.match(missing?.message ?? "", /chart "web" version "9\.9\.9" not found in OCI registry/);
  assert.ok(!missing.message.includes(OCI_PASSWORD), `no password in: ${missing.message}`);

  const withCreds = problemOf(await checkRepoChart({ repoURL: `oci://o:${OCI_PASSWORD}@127.0.0.1:1/charts`, chart: "web" }, deps));
  assert.equal(withCreds?.field, "repoURL", "credentials in the reference");
  assert.ok(!withCreds.message.includes(OCI_PASSWORD), `the reference is not repeated: ${withCreds.message}`);
  assert.equal(problemOf(await checkRepoChart({ repoURL: registry.url, chart: "a/../web" }, deps))?.field, "chart", "a traversal in an OCI chart path");
  const silent = problemOf(await checkRepoChart({ repoURL: "oci://127.0.0.1:1/charts", chart: "web", targetRevision: "1.0.0" }, { repos: new LocalRepoSource({}) }));
  assert.equal(silent?.field, "repoURL", `a registry that does not answer: ${JSON.stringify(silent)}`);

  const details = await repoChartDetails({ repoURL: registry.url, chart: "web", targetRevision: "1.0.0" }, deps, builtinPlugins());
  assert.equal(details.type, "Helm", "a Helm source");
  assert.equal(details.helm?.name, "web", "the chart's name from its Chart.yaml");
  assert.equal(details.helm?.values, VALUES_1, "values.yaml of the pulled chart");
});

test("an OCI registry on plain HTTP: insecureOCIForceHttp on the Secret makes helm log in, resolve and pull with --plain-http", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-repo-chart-plain-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [web1] = await webCharts(dir);
  const registry = await startOciRegistry({ chartDirs: [web1!], auth: { username: "o", password: OCI_PASSWORD } });
  t.after(() => registry.close());
  const source = { repoURL: registry.url, chart: "web", targetRevision: "1.0.0" };
  const forced = { repos: secretsRepo([helmSecret("oci", registry.url, { username: "o", password: OCI_PASSWORD, enableOCI: "true", insecureOCIForceHttp: "true" })]), charts: createChartCache({ dir: join(dir, "cache") }) };
  const pulled = await fetchRepoChart(source, forced);
  assert.equal(pulled.version, "1.0.0");
  assert.match(await readFile(join(pulled.chartDir, "values.yaml"), "utf8"), /tag: "1\.0"/, "the chart was pulled over plain HTTP");
  assert.ok(registry.authorized.some((r) => r.includes("/blobs/")), "with the Secret's credentials");
  const tls = { repos: secretsRepo([helmSecret("oci", registry.url, { username: "o", password: OCI_PASSWORD, enableOCI: "true" })]), charts: createChartCache({ dir: join(dir, "cache2") }) };
  const refused = problemOf(await checkRepoChart(source, tls));
  assert.ok(refused, "without it helm speaks TLS to a plain-HTTP registry and fails");
  assert.ok(!refused.message.includes(OCI_PASSWORD), refused.message);
});
