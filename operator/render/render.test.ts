import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import type { Application } from "../api/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import { createChartCache } from "../../plugins/helm/index.js";
import { seedsDir } from "../../test/crds/seeds.js";
import { startHelmRepo } from "../../test/support/helm-repo.js";
import { generatePki } from "../devcluster/pki.js";
import { SecretCredentialStore, type SecretLike } from "../git/credentials.js";
import { LocalGitRepo, LocalRepoSource } from "../../test/support/local-repos.js";
import { applyOverrides, deduplicate, manifestGeneratePaths, applyMergePatch, RenderCache, renderApplication, type RenderDeps, type RenderInfo } from "./index.js";

const helmChart = join(import.meta.dirname, "..", "..", "plugins", "helm", "testdata", "basic", "repo", "chart");

async function filesOf(dir: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out[join(prefix, relative(dir, join(d, e.name)))] = await readFile(join(d, e.name), "utf8");
    }
  };
  await walk(dir);
  return out;
}

function app(name: string, spec: Partial<Application["spec"]>, annotations: Record<string, string> = {}): Application {
  return {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application",
    metadata: { name, namespace: "argocd", annotations },
    spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, ...spec },
  };
}

const cm = (name: string, extra = "") => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;

function deps(repos: LocalRepoSource, renders: RenderInfo[], extra: Partial<RenderDeps> = {}): RenderDeps {
  return { repos, plugins: builtinPlugins(), cache: new RenderCache(), kubeVersion: "1.36.3", apiVersions: ["v1"], onRender: (i) => renders.push(i), ...extra };
}

test("pure helpers: merge patch, duplicate rule, manifest-generate-paths", () => {
  assert.deepEqual(applyMergePatch({ helm: { values: "a", parameters: [1] }, path: "x" }, { helm: { parameters: [2], values: null } }), { helm: { parameters: [2] }, path: "x" });
  const m = (kind: string, name: string, ns?: string, v?: string) => ({ apiVersion: kind === "Deployment" ? "apps/v1" : "v1", kind, metadata: { name, ...(ns ? { namespace: ns } : {}) }, v });
  const d = deduplicate([m("ConfigMap", "a", undefined, "1"), m("Deployment", "a"), m("ConfigMap", "a", "dest", "2"), m("ConfigMap", "a", "other")], "dest");
  assert.deepEqual(d.manifests.map((x) => [x.kind, x.metadata.namespace, (x as { v?: string }).v]), [["Deployment", undefined, undefined], ["ConfigMap", "dest", "2"], ["ConfigMap", "other", undefined]]);
  assert.deepEqual(d.warnings, ["Resource /ConfigMap/dest/a appeared 2 times among application resources."]);
  assert.deepEqual(manifestGeneratePaths(".;../base;/shared", "apps/a"), ["apps/a", "apps/base", "shared"]);
  assert.equal(manifestGeneratePaths("../../..", "apps/a"), undefined);
  assert.equal(manifestGeneratePaths(undefined, "apps/a"), undefined);
});

test("seed 002 overlays render from git; unchanged input is served from the cache", async (t) => {
  const seeds = seedsDir();
  if (!seeds) return t.skip("seeds not found");
  const git = await LocalGitRepo.create(await filesOf(join(seeds, "002", "repo-argocd-kustomize-demo")));
  const repos = new LocalRepoSource({ "https://github.com/eocndp/argocd-kustomize-demo": git });
  const renders: RenderInfo[] = [];
  const d = deps(repos, renders);
  const seedApp = parseYaml(await readFile(join(seeds, "002", "app-demo-dev.yaml"), "utf8")) as Application;
  const first = await renderApplication(seedApp, d);
  assert.deepEqual(first.sourceTypes, ["Kustomize"]);
  assert.match(first.revisions[0]!, /^[0-9a-f]{40}$/);
  assert.deepEqual(first.manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort(), ["Deployment/dev-demo", "Service/dev-demo"]);
  const second = await renderApplication(seedApp, d);
  assert.equal(renders.length, 1, "second render is a cache hit");
  assert.equal(second.sources[0]!.cached, true);
  assert.deepEqual(second.manifests, first.manifests);
  second.manifests[0]!.metadata.name = "mutated";
  assert.notEqual((await renderApplication(seedApp, d)).manifests[0]!.metadata.name, "mutated", "callers can't corrupt the cache");
  // A hard refresh renders again at the same commit.
  const hard = await renderApplication(seedApp, d, { hard: true });
  assert.equal(renders.length, 2, "a hard refresh is not served from the cache");
  assert.equal(hard.sources[0]!.cached, false);
  assert.deepEqual(hard.manifests, first.manifests);
  renders.length = 1;
  // An unrelated commit re-renders (keyed by commit without manifest-generate-paths) …
  await git.commit({ "README.md": "docs" });
  await renderApplication(seedApp, d);
  assert.equal(renders.length, 2);
  await git.dispose();
  await repos.dispose();
});

test("manifest-generate-paths: a commit to another app's path does not re-render this one", async () => {
  const git = await LocalGitRepo.create({ "apps/a/cm.yaml": cm("a"), "apps/b/cm.yaml": cm("b"), "apps/base/x.yaml": cm("x") });
  const repos = new LocalRepoSource({ "https://git.example.com/mono.git": git });
  const renders: RenderInfo[] = [];
  const d = deps(repos, renders);
  const a = app("a", { source: { repoURL: "https://git.example.com/mono.git", path: "apps/a", targetRevision: "main" } }, { "argocd.argoproj.io/manifest-generate-paths": ".;../base" });
  const r1 = await renderApplication(a, d);
  const c2 = await git.commit({ "apps/b/cm.yaml": cm("b", "data: {v: '2'}\n") });
  const r2 = await renderApplication(a, d);
  assert.equal(renders.length, 1, "apps/b changed: no re-render");
  assert.equal(r2.revisions[0], c2, "the reported revision still moves to the new commit");
  assert.notEqual(r1.revisions[0], c2);
  await git.commit({ "apps/base/x.yaml": cm("x", "data: {v: '2'}\n") });
  await renderApplication(a, d);
  assert.equal(renders.length, 2, "a listed path changed: re-render");
  await git.commit({ "apps/a/cm.yaml": cm("a", "data: {v: '3'}\n") });
  const r4 = await renderApplication(a, d);
  assert.equal(renders.length, 3);
  assert.deepEqual(r4.manifests[0]!.data, { v: "3" });
  // Without tree hashes from the RepoSource, the renderer falls back to keying by commit.
  const noHash = new LocalRepoSource({ "https://git.example.com/mono.git": git }, { treeHash: false });
  const renders2: RenderInfo[] = [];
  const d2 = deps(noHash, renders2);
  await renderApplication(a, d2);
  await git.commit({ "apps/b/cm.yaml": cm("b", "data: {v: '9'}\n") });
  await renderApplication(a, d2);
  assert.equal(renders2.length, 2);
  await git.dispose();
  await repos.dispose();
  await noHash.dispose();
});

test(".argocd-source.yaml and .argocd-source-<app>.yaml overrides are merged into the tool options", async () => {
  const files = await filesOf(helmChart, "chart");
  files["chart/.argocd-source.yaml"] = "helm:\n  parameters:\n    - {name: color, value: from-source-file}\n    - {name: size, value: from-source-file}\n";
  files["chart/.argocd-source-special.yaml"] = "helm:\n  parameters:\n    - {name: color, value: from-app-file}\n";
  const git = await LocalGitRepo.create(files);
  const repos = new LocalRepoSource({ "https://git.example.com/charts.git": git });
  const renders: RenderInfo[] = [];
  const d = deps(repos, renders);
  const src = { repoURL: "https://git.example.com/charts.git", path: "chart", helm: { valueFiles: ["values-prod.yaml"] } };
  const data = async (name: string) => (await renderApplication(app(name, { source: src }), d)).manifests.find((m) => m.kind === "ConfigMap")!.data as Record<string, string>;
  const plain = await data("plain");
  assert.equal(plain.color, "from-source-file");
  const special = await data("special");
  assert.equal(special.color, "from-app-file", "the app-specific file wins; its parameters replace the list");
  assert.equal(special.size, "small");
  await git.commit({ "chart/.argocd-source-special.yaml": null });
  assert.equal((await data("special")).color, "from-source-file");
  assert.equal(renders.length, 3);
  await git.dispose();
  await repos.dispose();
});

test("override files change only the tool blocks: repoURL, path, targetRevision, ref and name stay the spec's; null removes a block", async () => {
  const git = await LocalGitRepo.create({
    "app/kustomization.yaml": "resources: [cm.yaml]\n",
    "app/cm.yaml": cm("web"),
    "other/cm.yaml": cm("from-other-path"),
    "app/.argocd-source.yaml": "repoURL: https://git.example.com/elsewhere.git\npath: other\ntargetRevision: nope\nref: stolen\nname: renamed\nkustomize:\n  namePrefix: file-\n",
  });
  const repos = new LocalRepoSource({ "https://git.example.com/k.git": git });
  const src = { repoURL: "https://git.example.com/k.git", path: "app", targetRevision: "HEAD", kustomize: { nameSuffix: "-spec" } };
  const first = await applyOverrides(repos, src, await repos.resolveRevision(src.repoURL, "HEAD"), { name: "web", namespace: "argocd" });
  assert.deepEqual(first.source, { repoURL: "https://git.example.com/k.git", path: "app", targetRevision: "HEAD", kustomize: { nameSuffix: "-spec", namePrefix: "file-" } });
  const out = await renderApplication(app("web", { source: src }), deps(repos, []));
  assert.deepEqual(out.manifests.map((m) => m.metadata.name), ["file-web-spec"], "rendered from app/ with both the spec's and the file's options");

  const next = await git.commit({ "app/.argocd-source-web.yaml": "kustomize: null\ndirectory: {recurse: true}\n" });
  const second = await applyOverrides(repos, src, next, { name: "web", namespace: "argocd" });
  assert.deepEqual(second.source, { repoURL: "https://git.example.com/k.git", path: "app", targetRevision: "HEAD", directory: { recurse: true } }, "the app's file, merged last, removes the kustomize block");
  await git.dispose();
  await repos.dispose();
});

test("multi-source: repository chart with $values from a git ref source that also renders; last duplicate wins", async () => {
  const helmRepo = await startHelmRepo({ chartDirs: [helmChart] });
  const git = await LocalGitRepo.create({
    "applications/argocd/helm-values.yaml": "color: from-values-repo\n",
    "charts/common/cm.yaml": cm("argocd-cfg", "data: {color: overridden-by-git-source}\n"),
    "charts/common/extra.yaml": cm("extra"),
  });
  const repos = new LocalRepoSource({ "https://github.com/Lumie-Edu/lumie-infra.git": git });
  const cacheDir = await mkdtemp(join(tmpdir(), "hawser-render-charts-"));
  const renders: RenderInfo[] = [];
  const d = deps(repos, renders, { charts: createChartCache({ dir: cacheDir }) });
  const a = app("argocd", {
    sources: [
      { repoURL: helmRepo.url, chart: "basic", targetRevision: "^0.1.0", helm: { valueFiles: ["$values/applications/argocd/helm-values.yaml"], skipCrds: true, skipTests: true } },
      { repoURL: "https://github.com/Lumie-Edu/lumie-infra.git", targetRevision: "main", ref: "values", path: "charts/common" },
      { repoURL: "https://github.com/Lumie-Edu/lumie-infra.git", targetRevision: "main", ref: "unused" },
    ],
  });
  const out = await renderApplication(a, d);
  assert.deepEqual(out.sourceTypes, ["Helm", "Directory", undefined]);
  assert.equal(out.revisions[0], "0.1.0", "constraint resolved to a chart version");
  assert.match(out.revisions[1]!, /^[0-9a-f]{40}$/);
  assert.deepEqual(out.manifests.map((m) => m.metadata.name).sort(), ["argocd-cfg", "extra"]);
  assert.deepEqual(out.manifests.find((m) => m.metadata.name === "argocd-cfg")!.data, { color: "overridden-by-git-source" }, "last source wins");
  assert.deepEqual(out.repeatedResourceWarnings, ["Resource /ConfigMap/dest/argocd-cfg appeared 2 times among application resources."]);
  // The helm output before the duplicate rule used the ref source's values.
  const chartOnly = await renderApplication(app("argocd", { sources: [a.spec.sources![0]!, { ...a.spec.sources![1]!, path: undefined }] }), d);
  assert.equal((chartOnly.manifests[0]!.data as Record<string, string>).color, "from-values-repo");
  const before = renders.length;
  await renderApplication(a, d);
  assert.equal(renders.length, before, "unchanged multi-source app is a cache hit");
  await git.commit({ "applications/argocd/helm-values.yaml": "color: v2\n" });
  await renderApplication(a, d);
  assert.equal(renders.length, before + 2, "a new commit of the ref source re-renders the chart too");
  await helmRepo.close();
  await git.dispose();
  await repos.dispose();
  await rm(cacheDir, { recursive: true, force: true });
});

test("errors: path escaping the repo, missing source, disabled tool, two tools named", async () => {
  const git = await LocalGitRepo.create({ "app/cm.yaml": cm("a"), "app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n" });
  const repos = new LocalRepoSource({ "https://git.example.com/r.git": git });
  const d = deps(repos, []);
  const r = (source: Record<string, unknown>, extra: Partial<RenderDeps> = {}) => renderApplication(app("x", { source: { repoURL: "https://git.example.com/r.git", ...source } }), { ...d, ...extra });
  await assert.rejects(r({ path: "../../etc" }), /outside the repository/);
  await assert.rejects(r({ path: "/etc" }), /relative to the repository root/);
  await assert.rejects(renderApplication(app("x", {}), d), /no source/);
  await assert.rejects(r({ path: "app", kustomize: { namePrefix: "p" } }, { settings: { disabledTools: ["kustomize"] } }), /kustomize is disabled/);
  const fallback = await r({ path: "app" }, { settings: { disabledTools: ["kustomize"] } });
  assert.deepEqual(fallback.sourceTypes, ["Directory"], "discovery skips a disabled tool");
  await assert.rejects(r({ path: "app", kustomize: { namePrefix: "p" }, helm: { releaseName: "x" } }), /multiple application sources defined/);
  await git.dispose();
  await repos.dispose();
});

test("seeds 000 redis and 004 nginx: charts pulled by name and version from a Helm repository", async (t) => {
  const seeds = seedsDir();
  if (!seeds) return t.skip("seeds not found");
  // The seeds' public repository is out of reach: minimal charts with the same names and versions.
  const charts = await mkdtemp(join(tmpdir(), "hawser-seed-charts-"));
  const write = async (files: Record<string, string>) => {
    for (const [p, c] of Object.entries(files)) {
      await mkdir(join(charts, p, ".."), { recursive: true });
      await writeFile(join(charts, p), c);
    }
  };
  await write({
    "redis/Chart.yaml": "apiVersion: v2\nname: redis\nversion: 18.6.1\n",
    "redis/values.yaml": "architecture: replication\nauth: {enabled: false, password: ''}\n",
    "redis/templates/sts.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: {{ .Release.Name }}-master, namespace: {{ .Release.Namespace }}}\nspec:\n  replicas: {{ if eq .Values.architecture \"standalone\" }}1{{ else }}3{{ end }}\n  serviceName: x\n  selector: {matchLabels: {app: redis}}\n  template: {metadata: {labels: {app: redis}}, spec: {containers: [{name: redis, image: redis}]}}\n",
    "redis/templates/secret.yaml": "{{- if .Values.auth.enabled }}\napiVersion: v1\nkind: Secret\nmetadata: {name: {{ .Release.Name }}}\nstringData: {redis-password: {{ .Values.auth.password | quote }}}\n{{- end }}\n",
    "nginx/Chart.yaml": "apiVersion: v2\nname: nginx\nversion: 15.0.0\n",
    "nginx/values.yaml": "replicaCount: 1\nimage: {repository: bitnami/nginx, tag: '1.24'}\nservice: {type: LoadBalancer}\n",
    "nginx/values-prod.yaml": "replicaCount: 2\nservice: {type: NodePort}\nimage: {tag: '1.23'}\n",
    "nginx/templates/all.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: {{ .Release.Name }}}\nspec:\n  replicas: {{ .Values.replicaCount }}\n  selector: {matchLabels: {app: nginx}}\n  template: {metadata: {labels: {app: nginx}}, spec: {containers: [{name: nginx, image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"}]}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: {{ .Release.Name }}}\nspec: {type: {{ .Values.service.type }}, selector: {app: nginx}, ports: [{port: 80}]}\n",
  });
  const helmRepo = await startHelmRepo({ chartDirs: [join(charts, "redis"), join(charts, "nginx")] });
  const cacheDir = await mkdtemp(join(tmpdir(), "hawser-seed-chart-cache-"));
  const repos = new LocalRepoSource({});
  const d = deps(repos, [], { charts: createChartCache({ dir: cacheDir }) });
  const load = async (file: string) => {
    const a = parseYaml(await readFile(join(seeds, file), "utf8")) as Application;
    a.spec.source!.repoURL = helmRepo.url; // the seed's URL, mapped to loopback
    return a;
  };
  const redis = await renderApplication(await load("000/app-redis-helm-repo.yaml"), d);
  assert.deepEqual(redis.revisions, ["18.6.1"]);
  assert.deepEqual(redis.sourceTypes, ["Helm"]);
  const sts = redis.manifests.find((m) => m.kind === "StatefulSet") as unknown as { metadata: { name: string; namespace: string }; spec: { replicas: number } };
  assert.equal(sts.metadata.name, "redis-master");
  assert.equal(sts.metadata.namespace, "production");
  assert.equal(sts.spec.replicas, 1, "inline values: architecture standalone");
  assert.ok(redis.manifests.some((m) => m.kind === "Secret"), "inline values: auth enabled");
  const nginx = await renderApplication(await load("004/app-helm-repo-nginx.yaml"), d);
  assert.deepEqual(nginx.revisions, ["15.0.0"]);
  const dep = nginx.manifests.find((m) => m.kind === "Deployment") as unknown as { metadata: { name: string }; spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } };
  assert.equal(dep.metadata.name, "my-nginx");
  assert.equal(dep.spec.replicas, 3, "inline values beat the chart's values-prod.yaml");
  assert.equal(dep.spec.template.spec.containers[0]!.image, "bitnami/nginx:1.25", "parameter beats every file");
  assert.equal((nginx.manifests.find((m) => m.kind === "Service") as unknown as { spec: { type: string } }).spec.type, "ClusterIP");
  await helmRepo.close();
  await repos.dispose();
  await rm(charts, { recursive: true, force: true });
  await rm(cacheDir, { recursive: true, force: true });
});

test("changed settings or cluster version miss the cache", async () => {
  const git = await LocalGitRepo.create({ "app/cm.yaml": cm("a") });
  const repos = new LocalRepoSource({ "https://git.example.com/r.git": git });
  const renders: RenderInfo[] = [];
  const d = deps(repos, renders);
  const a = app("x", { source: { repoURL: "https://git.example.com/r.git", path: "app" } });
  await renderApplication(a, d);
  await renderApplication(a, d);
  assert.equal(renders.length, 1);
  await renderApplication(a, { ...d, kubeVersion: "1.37.0" });
  assert.equal(renders.length, 2);
  await renderApplication(a, { ...d, settings: { kustomizeBuildOptions: "--enable-helm" } });
  assert.equal(renders.length, 3);
  await renderApplication(app("y", { source: { repoURL: "https://git.example.com/r.git", path: "app" } }), d);
  assert.equal(renders.length, 4, "another app's render is its own (its name reaches the build environment)");
  await git.dispose();
  await repos.dispose();
});

/** A RepoSource with no git content, only the repository Secrets given. */
function secretsOnly(secrets: SecretLike[]): LocalRepoSource {
  const store = new SecretCredentialStore(secrets);
  return Object.assign(new LocalRepoSource({}), { credentialsFor: (url: string) => store.credentialsFor(url) });
}

const helmSecret = (url: string, data: Record<string, string>): SecretLike => ({
  metadata: { name: "charts", namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repository" } },
  stringData: { type: "helm", name: "charts", url, ...data },
});

const chartApp = (repoURL: string, targetRevision = "0.1.0") => app("charted", { source: { repoURL, chart: "basic", targetRevision } });

test("Helm repository credentials come from repository Secrets (type helm); a wrong password names the repo, not the password", async () => {
  const helmRepo = await startHelmRepo({ chartDirs: [helmChart], auth: { username: "chart-user", password: "s3cret-chart-pass" } });
  const cacheDir = await mkdtemp(join(tmpdir(), "hawser-helm-auth-cache-"));
  try {
    const charts = createChartCache({ dir: cacheDir });
    const good = secretsOnly([helmSecret(helmRepo.url, { username: "chart-user", password: "s3cret-chart-pass" })]);
    // A constraint: index.yaml must be read with the credentials, then the chart pulled with them.
    const out = await renderApplication(chartApp(helmRepo.url, "^0.1"), deps(good, [], { charts }));
    assert.deepEqual(out.revisions, ["0.1.0"]);
    assert.ok(out.manifests.some((m) => m.kind === "ConfigMap"), "the chart rendered");
    assert.ok(helmRepo.requests.some((r) => r.endsWith(".tgz")), "the chart was downloaded from the repository");

    const wrong = secretsOnly([helmSecret(helmRepo.url, { username: "chart-user", password: "not-the-password-123" })]);
    const err = await renderApplication(chartApp(helmRepo.url, "^0.1"), deps(wrong, [], { charts: createChartCache({ dir: join(cacheDir, "other") }) })).then(() => undefined, (e: unknown) => e as Error);
    assert.ok(err instanceof Error, "a wrong password fails the render");
    assert.match(err.message, new RegExp(`Helm repository ${helmRepo.url.replace(/[.]/g, "\\.")}: index\\.yaml returned HTTP 401: the repository rejected the credentials`));
    assert.ok(!err.message.includes("not-the-password-123") && !err.message.includes("s3cret-chart-pass"), `no password in: ${err.message}`);

    // An exact version skips index.yaml: the pull itself must fail the same way, without the password.
    const pullErr = await renderApplication(chartApp(helmRepo.url, "0.1.0"), deps(wrong, [], { charts: createChartCache({ dir: join(cacheDir, "third") }) })).then(() => undefined, (e: unknown) => e as Error);
    assert.ok(pullErr instanceof Error, "a wrong password fails the pull");
    assert.match(pullErr.message, new RegExp(`Helm repository ${helmRepo.url.replace(/[.]/g, "\\.")}: pulling basic 0\\.1\\.0 failed`));
    assert.ok(!pullErr.message.includes("not-the-password-123"), `no password in: ${pullErr.message}`);

    const none = await renderApplication(chartApp(helmRepo.url, "^0.1"), deps(secretsOnly([]), [], { charts })).then(() => undefined, (e: unknown) => e as Error);
    assert.match(none?.message ?? "", /HTTP 401: the repository needs credentials/);

    // The chart pulled above with the right password is in `charts`: a render with another
    // password, or none (another project's Secret, say), must not be served from it.
    for (const [who, repos] of [["a wrong password", wrong], ["no credentials", secretsOnly([])]] as const) {
      const served = await renderApplication(chartApp(helmRepo.url, "0.1.0"), deps(repos, [], { charts })).then(() => undefined, (e: unknown) => e as Error);
      assert.ok(served instanceof Error, `${who}: the chart cached for the right credentials is not served`);
      assert.match(served.message, /pulling basic 0\.1\.0 failed/, who);
    }
    assert.ok((await renderApplication(chartApp(helmRepo.url, "0.1.0"), deps(good, [], { charts }))).manifests.length > 0, "the right credentials still get it");
  } finally {
    await helmRepo.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("Helm repository over https: insecure and a TLS client certificate from the repository Secret", async () => {
  const pkiDir = await mkdtemp(join(tmpdir(), "hawser-helm-tls-pki-"));
  const pki = await generatePki(pkiDir);
  const [cert, key, ca, clientCert, clientKey] = await Promise.all([pki.apiserverCert, pki.apiserverKey, pki.caCert, pki.adminCert, pki.adminKey].map((f) => readFile(f, "utf8")));
  const helmRepo = await startHelmRepo({ chartDirs: [helmChart], tls: { cert: cert!, key: key!, clientCa: ca! } });
  const cacheDir = await mkdtemp(join(tmpdir(), "hawser-helm-tls-cache-"));
  try {
    assert.match(helmRepo.url, /^https:/);
    const tlsRepos = secretsOnly([helmSecret(helmRepo.url, { insecure: "true", tlsClientCertData: clientCert!, tlsClientCertKey: clientKey! })]);
    const out = await renderApplication(chartApp(helmRepo.url, "^0.1"), deps(tlsRepos, [], { charts: createChartCache({ dir: cacheDir }) }));
    assert.deepEqual(out.revisions, ["0.1.0"]);
    assert.ok(out.manifests.some((m) => m.kind === "ConfigMap"), "the chart rendered over https with a client certificate");

    // Without the client certificate the server refuses the handshake; without insecure the
    // self-signed CA is not trusted.
    const noCert = secretsOnly([helmSecret(helmRepo.url, { insecure: "true" })]);
    await assert.rejects(renderApplication(chartApp(helmRepo.url, "^0.1"), deps(noCert, [], { charts: createChartCache({ dir: join(cacheDir, "b") }) })), /Helm repository https:\/\/127\.0\.0\.1:\d+: /);
    const notInsecure = secretsOnly([helmSecret(helmRepo.url, { tlsClientCertData: clientCert!, tlsClientCertKey: clientKey! })]);
    await assert.rejects(renderApplication(chartApp(helmRepo.url, "^0.1"), deps(notInsecure, [], { charts: createChartCache({ dir: join(cacheDir, "c") }) })), /certificate/);
  } finally {
    await helmRepo.close();
    await rm(cacheDir, { recursive: true, force: true });
    await rm(pkiDir, { recursive: true, force: true });
  }
});

test("verifyCommit: every git source's commit is checked before rendering, cache hits included; Helm-repository charts are not", async () => {
  const helmRepo = await startHelmRepo({ chartDirs: [helmChart] });
  const git = await LocalGitRepo.create({ "app/cm.yaml": cm("one"), "values.yaml": "color: x\n" });
  const repos = new LocalRepoSource({ "https://git.example/r.git": git });
  const cacheDir = await mkdtemp(join(tmpdir(), "hawser-render-charts-"));
  const renders: RenderInfo[] = [];
  const checked: string[] = [];
  let refuse = false;
  const d = deps(repos, renders, {
    charts: createChartCache({ dir: cacheDir }),
    verifyCommit: async (repoURL, commit) => {
      checked.push(`${repoURL}@${commit}`);
      if (refuse) throw new Error(`refused ${commit}`);
    },
  });
  const a = app("signed", {
    sources: [
      { repoURL: helmRepo.url, chart: "basic", targetRevision: "0.1.0", helm: { valueFiles: ["$values/values.yaml"] } },
      { repoURL: "https://git.example/r.git", targetRevision: "main", ref: "values" },
      { repoURL: "https://git.example/r.git", targetRevision: "main", path: "app" },
    ],
  });
  const out = await renderApplication(a, d);
  const sha = out.revisions[2]!;
  assert.deepEqual(checked, [`https://git.example/r.git@${sha}`, `https://git.example/r.git@${sha}`], "both git sources (the ref source too) checked, the chart not");
  const rendered = renders.length;
  refuse = true;
  await assert.rejects(renderApplication(a, d), new RegExp(`refused ${sha}`), "a refusal fails the render even though it is cached");
  assert.equal(renders.length, rendered, "nothing was rendered for the refused commit");
  const next = await git.commit({ "app/cm.yaml": cm("two") });
  await assert.rejects(renderApplication(a, d), new RegExp(`refused ${next}`), "a new commit is refused too");
  assert.equal(renders.length, rendered, "a refused new commit is never rendered");
  await helmRepo.close();
  await git.dispose();
  await repos.dispose();
  await rm(cacheDir, { recursive: true, force: true });
});
