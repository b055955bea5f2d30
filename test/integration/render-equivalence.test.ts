// Acceptance, render equivalence: for every seed Application that names a source, every
// Application the seed ApplicationSets generate (`hawser appset generate`), and a few charts and
// overlays of our own, `hawser render` prints the same objects as running `helm
// template` / `kustomize build` (or reading the manifests, for a plain directory) directly with
// the inputs Argo CD would use. No cluster is needed.
//
// The seeds' repositories are public hosts out of reach here. Each one becomes a local git
// repository mapped with `--repo URL=PATH`, holding the seed's `repo-*` files where the seeds give
// content and minimal stand-ins where they don't (README: "the test supplies a minimal one that
// fits what the seed shows"). Helm-repository charts come from a loopback HTTP Helm repository
// (index.yaml + `helm package` archives) mapped with `--repo URL=http://127.0.0.1:…`.
//
// Stand-ins (content the seeds do not show, written here or taken from plugin testdata):
// - charts redis 18.6.1 and nginx 15.0.0 (bitnami) and argo-cd 7.7.10 (argo-helm): small charts
//   with those names and versions, not the public ones;
// - myorg/helm-charts charts/my-api: plugins/helm/testdata/seed-my-api;
// - myorg/k8s-manifests base and patch files: plugins/kustomize/testdata/seed-my-api-prod;
// - my-org/helm-charts charts/ai-app (its ExternalSecret is seed 001's repo-external-secret.yaml)
//   and the apps/ directory of the app of apps (four child Applications);
// - Lumie-Edu/lumie-infra charts/common, applications/argocd value files, applications/lumie/backend,
//   and applications/example-service (seed 000's repo-waves-and-hooks.yaml as its manifests);
// - myorg/myrepo k8s/base (seed 004's repo-sync-waves.yaml and repo-blue-green-hooks.yaml) and
//   the k8s/overlays/{dev,staging,prod} overlays;
// - for the ApplicationSets: a `develop` branch of myorg/k8s-manifests with a staging overlay,
//   ai-app's values.dev.yaml / values.staging.yaml, myorg/gitops apps/*, myorg/cluster-addons
//   monitoring/, and one cluster Secret labelled environment: production.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, extname, join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml, parseAllDocuments, stringify } from "yaml";
import { resolveTool } from "../../operator/tools/index.js";
import { packageRoot } from "../../operator/paths.js";
import { seedsDir } from "../crds/seeds.js";
import { startHelmRepo, type HelmRepo } from "../support/helm-repo.js";

const run = promisify(execFile);
const root = packageRoot();
const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };

type Obj = { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } };
const id = (o: Obj): string => `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
const sorted = (objs: Obj[]): Obj[] => [...objs].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
const docs = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((o) => o !== null && o !== undefined);

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

async function gitRepo(build: (dir: string) => Promise<void>, branches: Record<string, Record<string, string>> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hawser-equiv-repo-"));
  await build(dir);
  await run("git", ["init", "-q", "-b", "main"], { cwd: dir, env: gitEnv });
  await run("git", ["add", "-A"], { cwd: dir, env: gitEnv });
  await run("git", ["commit", "-qm", "content"], { cwd: dir, env: gitEnv });
  // Other branches: main plus these files; the work tree is left on main.
  for (const [branch, files] of Object.entries(branches)) {
    await run("git", ["checkout", "-q", "-b", branch], { cwd: dir, env: gitEnv });
    await writeTree(dir, files);
    await run("git", ["add", "-A"], { cwd: dir, env: gitEnv });
    await run("git", ["commit", "-qm", branch], { cwd: dir, env: gitEnv });
    await run("git", ["checkout", "-q", "main"], { cwd: dir, env: gitEnv });
  }
  return dir;
}

/** The tree of `rev` in a repository, as files in a fresh directory. */
async function treeAt(env: Env, repoDir: string, rev: string): Promise<string> {
  const out = await mkdtemp(join(env.work, "tree-"));
  const archive = `${out}.tar`;
  await run("git", ["archive", "--format=tar", "-o", archive, rev], { cwd: repoDir, env: gitEnv });
  await run("tar", ["-xf", archive, "-C", out]);
  return out;
}

const cm = (name: string, data: Record<string, string> = {}): string => stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });
const childApp = (name: string, path: string): string => stringify({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace: "argocd" },
  spec: { project: "default", source: { repoURL: "https://github.com/my-org/helm-charts.git", targetRevision: "main", path }, destination: { server: "https://kubernetes.default.svc", namespace: "production" } },
});

/** Chart sources for the loopback Helm repository (stand-ins with the seeds' names and versions). */
const helmRepoCharts: Record<string, Record<string, string>> = {
  redis: {
    "Chart.yaml": "apiVersion: v2\nname: redis\nversion: 18.6.1\n",
    "values.yaml": "architecture: replication\nauth: {enabled: false, password: ''}\n",
    "templates/sts.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: {{ .Release.Name }}-master, namespace: {{ .Release.Namespace }}}\nspec:\n  replicas: {{ if eq .Values.architecture \"standalone\" }}1{{ else }}3{{ end }}\n  serviceName: {{ .Release.Name }}-headless\n  selector: {matchLabels: {app: redis}}\n  template: {metadata: {labels: {app: redis}}, spec: {containers: [{name: redis, image: redis}]}}\n",
    "templates/secret.yaml": "{{- if .Values.auth.enabled }}\napiVersion: v1\nkind: Secret\nmetadata: {name: {{ .Release.Name }}}\nstringData: {redis-password: {{ .Values.auth.password | quote }}}\n{{- end }}\n",
  },
  nginx: {
    "Chart.yaml": "apiVersion: v2\nname: nginx\nversion: 15.0.0\n",
    "values.yaml": "replicaCount: 1\nimage: {repository: bitnami/nginx, tag: '1.24'}\nservice: {type: LoadBalancer}\n",
    "values-prod.yaml": "replicaCount: 2\nservice: {type: NodePort}\nimage: {tag: '1.23'}\n",
    "templates/all.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: {{ .Release.Name }}}\nspec:\n  replicas: {{ .Values.replicaCount }}\n  selector: {matchLabels: {app: nginx}}\n  template: {metadata: {labels: {app: nginx}}, spec: {containers: [{name: nginx, image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"}]}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: {{ .Release.Name }}}\nspec: {type: {{ .Values.service.type }}, selector: {app: nginx}, ports: [{port: 80}]}\n",
  },
  "argo-cd": {
    "Chart.yaml": "apiVersion: v2\nname: argo-cd\nversion: 7.7.10\n",
    "values.yaml": "server: {replicas: 1, insecure: false}\nconfigs: {cm: {}}\n",
    "templates/server.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: {{ .Release.Name }}-server, namespace: {{ .Release.Namespace }}}\nspec:\n  replicas: {{ .Values.server.replicas }}\n  selector: {matchLabels: {app: argocd-server}}\n  template:\n    metadata: {labels: {app: argocd-server}}\n    spec: {containers: [{name: server, image: quay.io/argoproj/argocd, args: [--insecure={{ .Values.server.insecure }}]}]}\n",
    "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm, namespace: {{ .Release.Namespace }}}\ndata: {{ .Values.configs.cm | toJson }}\n",
    "crds/application-crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: applications.argoproj.io}\nspec:\n  group: argoproj.io\n  names: {kind: Application, plural: applications}\n  scope: Namespaced\n  versions: [{name: v1alpha1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]\n",
  },
};

interface Env {
  seeds: string;
  repos: Record<string, string>;
  helmRepo: HelmRepo;
  helmRepoURLs: string[];
  work: string;
  helm: string;
  kustomize: string;
  helmEnv: Record<string, string>;
}

async function setUp(seeds: string): Promise<Env> {
  const testdata = (p: string) => join(root, "plugins", p);
  const work = await mkdtemp(join(tmpdir(), "hawser-equiv-"));
  const repos: Record<string, string> = {
    "https://github.com/myorg/helm-charts.git": await gitRepo((d) => cp(testdata("helm/testdata/seed-my-api/repo"), d, { recursive: true })),
    "https://github.com/myorg/k8s-manifests.git": await gitRepo(async (d) => {
      await cp(join(seeds, "000", "repo-k8s-manifests"), d, { recursive: true });
      await cp(testdata("kustomize/testdata/seed-my-api-prod/supplied"), d, { recursive: true });
    }, { develop: { "apps/my-api/overlays/staging/kustomization.yaml": "resources: [../../base]\nnamespace: staging\nnameSuffix: -staging\n" } }),
    "https://github.com/my-org/helm-charts.git": await gitRepo(async (d) => writeTree(d, {
      "charts/ai-app/Chart.yaml": "apiVersion: v2\nname: ai-app\nversion: 0.3.0\n",
      "charts/ai-app/values.yaml": "replicas: 1\nimage: {repository: my-org/ai-app, tag: latest}\nexternalSecret: {enabled: false}\n",
      "charts/ai-app/values.prod.yaml": "replicas: 3\nimage: {tag: '2.1.0'}\nexternalSecret: {enabled: true}\n",
      "charts/ai-app/values.dev.yaml": "image: {tag: dev}\n",
      "charts/ai-app/values.staging.yaml": "replicas: 2\nimage: {tag: rc}\n",
      "charts/ai-app/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: {{ .Release.Name }}, labels: {app: ai-app}}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector: {matchLabels: {app: ai-app}}\n  template:\n    metadata: {labels: {app: ai-app}}\n    spec: {containers: [{name: app, image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"}]}\n",
      "charts/ai-app/templates/external-secret.yaml": `{{- if .Values.externalSecret.enabled }}\n${(await readFile(join(seeds, "001", "repo-external-secret.yaml"), "utf8")).replace(/^#.*\n/gm, "")}{{- end }}\n`,
      "apps/ai-app.yaml": childApp("ai-app", "charts/ai-app"),
      "apps/litellm.yaml": childApp("litellm", "charts/litellm"),
      "apps/langfuse.yaml": childApp("langfuse", "charts/langfuse"),
      "apps/milvus.yaml": childApp("milvus", "charts/milvus"),
    })),
    "https://github.com/eocndp/argocd-kustomize-demo": await gitRepo((d) => cp(join(seeds, "002", "repo-argocd-kustomize-demo"), d, { recursive: true })),
    "https://github.com/Lumie-Edu/lumie-infra.git": await gitRepo(async (d) => writeTree(d, {
      "charts/common/Chart.yaml": "apiVersion: v2\nname: common\nversion: 1.0.0\n",
      "charts/common/values.yaml": "labels: {}\nquota: {cpu: '2'}\n",
      "charts/common/templates/quota.yaml": "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: {{ .Release.Name }}-quota, labels: {{ .Values.labels | toJson }}}\nspec: {hard: {cpu: {{ .Values.quota.cpu | quote }}}}\n",
      "applications/argocd/helm-values.yaml": "server:\n  replicas: 2\n  insecure: true\nconfigs:\n  cm:\n    timeout.reconciliation: 180s\n",
      "applications/argocd/common-values.yaml": "labels: {team: platform}\nquota: {cpu: '8'}\n",
      "applications/example-service/manifests.yaml": await readFile(join(seeds, "000", "repo-waves-and-hooks.yaml"), "utf8"),
      "applications/lumie/backend/kustomization.yaml": "resources: [deployment.yaml]\nnamespace: lumie-backend\nimages: [{name: lumie/backend, newTag: '1.4.0'}]\n",
      "applications/lumie/backend/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: backend}\nspec:\n  selector: {matchLabels: {app: backend}}\n  template: {metadata: {labels: {app: backend}}, spec: {containers: [{name: backend, image: lumie/backend:latest}]}}\n",
      // Seed 003's app-of-apps kustomization, with minimal Application files for what it lists.
      "applications/kustomization.yaml": await readFile(join(seeds, "003", "repo-applications-kustomization.yaml"), "utf8"),
      "applications/application.yaml": childApp("applications", "applications"),
      "applications/cluster-bootstrap/argocd.yaml": childApp("cluster-bootstrap", "applications/cluster-bootstrap"),
      "applications/argocd/argocd.yaml": childApp("argocd", "applications/argocd"),
      "applications/lumie/argocd.yaml": childApp("lumie", "applications/lumie"),
      "applications/lumie/backend/argocd.yaml": childApp("lumie-backend", "applications/lumie/backend"),
      "applications/lumie/frontend/argocd.yaml": childApp("lumie-frontend", "applications/lumie/frontend"),
      "applications/lumie/worker/analysis-svc/argocd.yaml": childApp("analysis-svc", "applications/lumie/worker/analysis-svc"),
    })),
    "https://github.com/myorg/myrepo.git": await gitRepo(async (d) => writeTree(d, {
      "k8s/base/kustomization.yaml": "resources: [sync-waves.yaml, blue-green-hooks.yaml]\n",
      "k8s/base/sync-waves.yaml": await readFile(join(seeds, "004", "repo-sync-waves.yaml"), "utf8"),
      "k8s/base/blue-green-hooks.yaml": await readFile(join(seeds, "004", "repo-blue-green-hooks.yaml"), "utf8"),
      "k8s/overlays/dev/kustomization.yaml": "resources: [../../base]\nnamePrefix: dev-\n",
      "k8s/overlays/staging/kustomization.yaml": "resources: [../../base]\ncommonLabels: {env: staging}\n",
      "k8s/overlays/prod/kustomization.yaml": "resources: [../../base]\npatches:\n  - target: {kind: Deployment, name: my-app-green}\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 5\n",
    })),
    "https://github.com/myorg/gitops.git": await gitRepo(async (d) => writeTree(d, {
      "apps/frontend/cm.yaml": cm("frontend-settings", { theme: "dark" }),
      "apps/backend/kustomization.yaml": "resources: [cm.yaml]\nnamePrefix: be-\n",
      "apps/backend/cm.yaml": cm("settings", { pool: "10" }),
    })),
    "https://github.com/myorg/cluster-addons.git": await gitRepo(async (d) => writeTree(d, {
      "monitoring/prometheus.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: prometheus}\nspec:\n  selector: {matchLabels: {app: prometheus}}\n  template: {metadata: {labels: {app: prometheus}}, spec: {containers: [{name: p, image: prom/prometheus}]}}\n",
    })),
    // Our own cases.
    "https://git.example.invalid/own.git": await gitRepo(async (d) => writeTree(d, {
      "charts/own/Chart.yaml": "apiVersion: v2\nname: own\nversion: 0.1.0\nkubeVersion: '>=1.30.0-0'\n",
      "charts/own/values.yaml": "port: 8080\nlabels: {tier: web}\nmonitoring: false\nversion: '1.0'\n",
      "charts/own/crds/widget.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n",
      "charts/own/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {{ .Values.labels | toJson }}\n  annotations: {kube: {{ .Capabilities.KubeVersion.Version | quote }}, version: {{ .Values.version | quote }}}\nspec: {ports: [{port: {{ .Values.port }}}]}\n",
      "charts/own/templates/monitor.yaml": "{{- if .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }}\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: {{ .Release.Name }}}\nspec: {endpoints: [{port: http}]}\n{{- end }}\n",
      "charts/own/templates/tests/test.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: {{ .Release.Name }}-test, annotations: {helm.sh/hook: test}}\nspec: {containers: [{name: t, image: busybox}], restartPolicy: Never}\n",
      "overlays/base/kustomization.yaml": "resources: [app.yaml]\nconfigMapGenerator: [{name: settings, literals: [mode=base]}]\n",
      "overlays/base/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: example/web:1.0, envFrom: [{configMapRef: {name: settings}}]}]}}\n",
      "overlays/components/debug/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator: [{name: settings, behavior: merge, literals: [debug=true]}]\n",
      "overlays/staging/kustomization.yaml": "resources: [../base]\ncomponents: [../components/debug]\nnameSuffix: -staging\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: add\n        path: /metadata/annotations\n        value: {stage: staging}\n",
      "plain/cm.yaml": cm("plain-one", { a: "1" }),
      "plain/more.json": JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "plain-two" }, data: { b: "2" } }),
      "plain/notes.txt": "not a manifest\n",
    })),
  };

  const charts = await mkdtemp(join(tmpdir(), "hawser-equiv-charts-"));
  for (const [name, files] of Object.entries(helmRepoCharts)) await writeTree(join(charts, name), files);
  const helmRepo = await startHelmRepo({ chartDirs: Object.keys(helmRepoCharts).map((n) => join(charts, n)) });
  const helmHome = join(work, "helm-home");
  return {
    seeds, repos, helmRepo, work,
    helmRepoURLs: ["https://charts.bitnami.com/bitnami", "https://argoproj.github.io/argo-helm"],
    helm: await resolveTool("helm"), kustomize: await resolveTool("kustomize"),
    helmEnv: { ...process.env, HELM_CACHE_HOME: join(helmHome, "cache"), HELM_CONFIG_HOME: join(helmHome, "config"), HELM_DATA_HOME: join(helmHome, "data") },
  };
}

/** The `hawser render` argv for an app file, with every seed URL mapped to loopback. */
function renderArgs(env: Env, appFile: string, extra: string[] = []): string[] {
  const maps = [
    ...Object.entries(env.repos).flatMap(([url, dir]) => ["--repo", `${url}=${dir}`]),
    ...env.helmRepoURLs.flatMap((url) => ["--repo", `${url}=${env.helmRepo.url}`]),
  ];
  return ["render", "--app", appFile, ...maps, ...extra, "-o", "json"];
}

/** Runs `hawser` command lines in one process (test/support/cli-batch.ts): one start-up, not twenty. */
async function hawserBatch(argvs: string[][]): Promise<Array<{ code: number; stdout: string; stderr: string }>> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ["--import", "tsx", "test/support/cli-batch.ts"], { cwd: root, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`cli-batch: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Array<{ code: number; stdout: string; stderr: string }>);
    });
    child.stdin?.end(JSON.stringify(argvs));
  });
}

/** What `helm template` prints, run directly. */
async function helmTemplate(env: Env, args: string[]): Promise<Obj[]> {
  const { stdout } = await run(env.helm, ["template", ...args], { env: env.helmEnv, maxBuffer: 64 << 20 });
  return docs(stdout);
}

async function kustomizeBuild(env: Env, dir: string, edits: string[][] = []): Promise<Obj[]> {
  let target = dir;
  if (edits.length > 0) {
    // Argo applies kustomize options with `kustomize edit` on a copy of the repository.
    const copy = await mkdtemp(join(env.work, "kedit-"));
    const repoRoot = Object.values(env.repos).find((r) => dir.startsWith(`${r}/`))!;
    await cp(repoRoot, copy, { recursive: true });
    target = join(copy, dir.slice(repoRoot.length + 1));
    for (const e of edits) await run(env.kustomize, ["edit", ...e], { cwd: target });
  }
  return docs((await run(env.kustomize, ["build", target], { maxBuffer: 64 << 20 })).stdout);
}

/** A plain directory, as the files say (top level only, Argo's default). */
async function readManifests(dir: string): Promise<Obj[]> {
  const out: Obj[] = [];
  for (const f of (await readdir(dir)).sort()) {
    const ext = extname(f);
    if (ext === ".json") out.push(JSON.parse(await readFile(join(dir, f), "utf8")) as Obj);
    else if (ext === ".yaml" || ext === ".yml") out.push(...docs(await readFile(join(dir, f), "utf8")));
  }
  return out;
}

async function inlineValues(env: Env, name: string, text: string): Promise<string> {
  const file = join(env.work, `${name}-inline-values.yaml`);
  await writeFile(file, text);
  return file;
}

interface Case {
  /** A seed file (relative to the seeds directory) or an Application written here. */
  app: string | Record<string, unknown>;
  extra?: string[];
  direct(env: Env, app: { spec: { source?: Record<string, unknown> } }): Promise<Obj[]>;
  /** Objects the rendering must contain (so an empty match cannot pass). */
  expect: string[];
}

const repo = (env: Env, url: string, path = ""): string => join(env.repos[url]!, path);
const ownApp = (name: string, source: Record<string, unknown>, namespace = "own") => ({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace: "argocd" },
  spec: { project: "default", source: { repoURL: "https://git.example.invalid/own.git", targetRevision: "main", ...source }, destination: { server: "https://kubernetes.default.svc", namespace } },
});

const cases: Record<string, Case> = {
  "000/app-my-api-helm.yaml": {
    app: "000/app-my-api-helm.yaml",
    // Argo: value files in order, then the inline values, then --set parameters; namespace from the destination.
    direct: async (env, app) => {
      const chart = repo(env, "https://github.com/myorg/helm-charts.git", "charts/my-api");
      const values = ((app.spec.source!.helm as { values: string }).values);
      return helmTemplate(env, [chart, "--name-template", "my-api", "--namespace", "production", "--values", join(chart, "values.yaml"), "--values", join(chart, "values-prod.yaml"),
        "--values", await inlineValues(env, "my-api", values), "--set", "image.tag=v1.5.2", "--set", "replicaCount=4", "--include-crds"]);
    },
    expect: ["Deployment/my-api", "Ingress/my-api"],
  },
  "000/app-my-api-prod.yaml": {
    app: "000/app-my-api-prod.yaml",
    direct: (env) => kustomizeBuild(env, repo(env, "https://github.com/myorg/k8s-manifests.git", "apps/my-api/overlays/production")),
    expect: ["Deployment/my-api", "Service/my-api"],
  },
  "000/app-my-api.yaml": {
    app: "000/app-my-api.yaml",
    direct: (env) => kustomizeBuild(env, repo(env, "https://github.com/myorg/k8s-manifests.git", "apps/my-api/overlays/production")),
    expect: ["Deployment/my-api", "Service/my-api"],
  },
  "000/app-redis-helm-repo.yaml": {
    app: "000/app-redis-helm-repo.yaml",
    direct: async (env, app) => helmTemplate(env, ["redis", "redis", "--repo", env.helmRepo.url, "--version", "18.6.1", "--namespace", "production",
      "--values", await inlineValues(env, "redis", (app.spec.source!.helm as { values: string }).values), "--include-crds"]),
    expect: ["StatefulSet/redis-master", "Secret/redis"],
  },
  "001/app-ai-app-production.yaml": {
    app: "001/app-ai-app-production.yaml",
    direct: (env) => {
      const chart = repo(env, "https://github.com/my-org/helm-charts.git", "charts/ai-app");
      return helmTemplate(env, [chart, "--name-template", "ai-app-production", "--namespace", "production", "--values", join(chart, "values.prod.yaml"), "--include-crds"]);
    },
    expect: ["Deployment/ai-app-production", "ExternalSecret/ai-app-secrets"],
  },
  "001/app-root-app-of-apps.yaml": {
    app: "001/app-root-app-of-apps.yaml",
    direct: (env) => readManifests(repo(env, "https://github.com/my-org/helm-charts.git", "apps")),
    expect: ["Application/ai-app", "Application/litellm", "Application/langfuse", "Application/milvus"],
  },
  "002/app-demo-dev.yaml": {
    app: "002/app-demo-dev.yaml",
    direct: (env) => kustomizeBuild(env, repo(env, "https://github.com/eocndp/argocd-kustomize-demo", "overlays/dev")),
    expect: ["Deployment/dev-demo", "Service/dev-demo"],
  },
  "002/app-demo-prod.yaml": {
    app: "002/app-demo-prod.yaml",
    direct: (env) => kustomizeBuild(env, repo(env, "https://github.com/eocndp/argocd-kustomize-demo", "overlays/prod")),
    expect: ["Deployment/prod-demo", "Service/prod-demo"],
  },
  "003/app-argocd-multi-source.yaml": {
    app: "003/app-argocd-multi-source.yaml",
    // Both sources render (the ref source has a path) and their objects are concatenated.
    direct: async (env) => {
      const lumie = repo(env, "https://github.com/Lumie-Edu/lumie-infra.git");
      return [
        ...(await helmTemplate(env, ["argocd", "argo-cd", "--repo", env.helmRepo.url, "--version", "7.7.10", "--namespace", "argocd", "--values", join(lumie, "applications/argocd/helm-values.yaml"), "--include-crds"])),
        ...(await helmTemplate(env, [join(lumie, "charts/common"), "--name-template", "argocd", "--namespace", "argocd", "--values", join(lumie, "applications/argocd/common-values.yaml"), "--include-crds"])),
      ];
    },
    expect: ["Deployment/argocd-server", "ConfigMap/argocd-cm", "CustomResourceDefinition/applications.argoproj.io", "ResourceQuota/argocd-quota"],
  },
  "003/app-example-service.yaml": {
    app: "003/app-example-service.yaml",
    direct: (env) => readManifests(repo(env, "https://github.com/Lumie-Edu/lumie-infra.git", "applications/example-service")),
    expect: ["Deployment/my-api", "Job/db-migrate", "Job/notify-deploy", "Namespace/production"],
  },
  "003/app-lumie-backend.yaml": {
    app: "003/app-lumie-backend.yaml",
    direct: (env) => kustomizeBuild(env, repo(env, "https://github.com/Lumie-Edu/lumie-infra.git", "applications/lumie/backend")),
    expect: ["Deployment/backend"],
  },
  "004/app-helm-repo-nginx.yaml": {
    app: "004/app-helm-repo-nginx.yaml",
    // values-prod.yaml is the chart's own file (Argo resolves value files inside a repository chart).
    direct: async (env, app) => {
      const chartFiles = join(env.work, "nginx-values-prod.yaml");
      await writeFile(chartFiles, helmRepoCharts.nginx!["values-prod.yaml"]!);
      return helmTemplate(env, ["my-nginx", "nginx", "--repo", env.helmRepo.url, "--version", "15.0.0", "--namespace", "production", "--values", chartFiles,
        "--values", await inlineValues(env, "nginx", (app.spec.source!.helm as { values: string }).values), "--set", "image.tag=1.25", "--include-crds"]);
    },
    expect: ["Deployment/my-nginx", "Service/my-nginx"],
  },
  "004/app-ignore-differences.yaml": {
    app: "004/app-ignore-differences.yaml",
    direct: (env) => kustomizeBuild(env, repo(env, "https://github.com/myorg/myrepo.git", "k8s/overlays/prod")),
    expect: ["Deployment/my-app", "Deployment/my-app-green", "Job/pre-deploy-check", "Job/switch-traffic", "Namespace/my-app"],
  },
  "004/app-kustomize-options.yaml": {
    app: "004/app-kustomize-options.yaml",
    // Argo's kustomize options become these `kustomize edit` commands before the build.
    direct: (env) => kustomizeBuild(env, repo(env, "https://github.com/myorg/myrepo.git", "k8s/overlays/prod"), [
      ["set", "nameprefix", "--", "prod-"], ["set", "namesuffix", "--", "-v1"], ["set", "image", "my-app:v1.2.3"], ["add", "label", "--force", "environment:production"],
    ]),
    expect: ["Deployment/prod-my-app-v1", "Job/prod-pre-deploy-check-v1"],
  },
  "004/app-my-app.yaml": {
    app: "004/app-my-app.yaml",
    direct: (env) => kustomizeBuild(env, repo(env, "https://github.com/myorg/myrepo.git", "k8s/overlays/prod")),
    expect: ["Deployment/my-app"],
  },
  "004/app-sync-options-all.yaml": {
    app: "004/app-sync-options-all.yaml",
    direct: (env) => kustomizeBuild(env, repo(env, "https://github.com/myorg/myrepo.git", "k8s/overlays/prod")),
    expect: ["Deployment/my-app"],
  },
  // Our own: a chart with CRDs, a test hook, Capabilities, valuesObject and a forced string.
  "own helm chart": {
    app: ownApp("own-web", { path: "charts/own", helm: { valuesObject: { port: 9090, labels: { tier: "api" } }, parameters: [{ name: "version", value: "2", forceString: true }] } }),
    extra: ["--kube-version", "1.36.3", "--api-versions", "monitoring.coreos.com/v1"],
    direct: async (env) => {
      const chart = repo(env, "https://git.example.invalid/own.git", "charts/own");
      return helmTemplate(env, [chart, "--name-template", "own-web", "--namespace", "own", "--kube-version", "1.36.3", "--values", await inlineValues(env, "own", "port: 9090\nlabels: {tier: api}\n"),
        "--set-string", "version=2", "--api-versions", "monitoring.coreos.com/v1", "--include-crds"]);
    },
    expect: ["Service/own-web", "ServiceMonitor/own-web", "CustomResourceDefinition/widgets.example.com", "Pod/own-web-test"],
  },
  "own helm chart, skipCrds and skipTests": {
    app: ownApp("own-lean", { path: "charts/own", helm: { releaseName: "lean", skipCrds: true, skipTests: true } }),
    extra: ["--kube-version", "1.35.0"],
    direct: (env) => helmTemplate(env, [repo(env, "https://git.example.invalid/own.git", "charts/own"), "--name-template", "lean", "--namespace", "own", "--kube-version", "1.35.0", "--skip-tests"]),
    expect: ["Service/lean"],
  },
  // Our own: an overlay with a component, a generator (hash suffix), a JSON patch, and options.
  "own kustomize overlay": {
    app: ownApp("own-staging", { path: "overlays/staging", kustomize: { namespace: "staging", replicas: [{ name: "web-staging", count: 3 }], commonAnnotations: { owner: "team-a" } } }, "staging"),
    direct: (env) => kustomizeBuild(env, repo(env, "https://git.example.invalid/own.git", "overlays/staging"), [
      ["set", "replicas", "web-staging=3"], ["add", "annotation", "--force", "owner:team-a"], ["set", "namespace", "--", "staging"],
    ]),
    expect: ["Deployment/web-staging"],
  },
  "own plain directory": {
    app: ownApp("own-plain", { path: "plain" }),
    direct: (env) => readManifests(repo(env, "https://git.example.invalid/own.git", "plain")),
    expect: ["ConfigMap/plain-one", "ConfigMap/plain-two"],
  },
  "seed 003 app-of-apps kustomization": {
    app: { ...ownApp("applications", { path: "applications" }, "argocd"), spec: { project: "default", source: { repoURL: "https://github.com/Lumie-Edu/lumie-infra.git", targetRevision: "main", path: "applications" }, destination: { server: "https://kubernetes.default.svc", namespace: "argocd" } } },
    direct: (env) => kustomizeBuild(env, repo(env, "https://github.com/Lumie-Edu/lumie-infra.git", "applications")),
    expect: ["Application/applications", "Application/lumie-backend", "Application/analysis-svc"],
  },
};

/** ApplicationSets of the seeds whose Applications are rendered, with the names they must generate. */
const seedAppSets: Record<string, string[]> = {
  "000/appset-list-envs.yaml": ["my-api-staging", "my-api-production"],
  "000/appset-git-directories.yaml": ["production-prod"],
  "001/appset-ai-app-all-envs.yaml": ["ai-app-dev", "ai-app-staging", "ai-app-production"],
  "004/appset-list-gotemplate.yaml": ["my-app-dev", "my-app-staging", "my-app-prod"],
  "004/appset-git-directories-gotemplate.yaml": ["backend", "frontend"],
  "004/appset-cluster-generator.yaml": ["prod-east-monitoring"],
};
/** Seed ApplicationSets left out, and why. */
const appSetsWithoutApps: Record<string, string> = {
  "001/appset-ai-app-all-envs-as-published.yaml": "bad input as published: generation must fail (covered by the ApplicationSet tests)",
};

type GeneratedApp = { metadata: { name: string }; spec: { source: { repoURL: string; path: string; targetRevision?: string; helm?: { valueFiles?: string[] } }; destination: { namespace?: string } } };

/** The direct run for a generated Application, by what its directory holds (Argo's detection order). */
async function directForGenerated(env: Env, app: GeneratedApp): Promise<Obj[]> {
  const src = app.spec.source;
  const tree = await treeAt(env, env.repos[src.repoURL]!, src.targetRevision && src.targetRevision !== "HEAD" ? src.targetRevision : "HEAD");
  const dir = join(tree, src.path);
  const has = (f: string) => readFile(join(dir, f)).then(() => true, () => false);
  if (await has("Chart.yaml")) {
    return helmTemplate(env, [dir, "--name-template", app.metadata.name, ...(app.spec.destination.namespace ? ["--namespace", app.spec.destination.namespace] : []),
      ...(src.helm?.valueFiles ?? []).flatMap((f) => ["--values", join(dir, f)]), "--include-crds"]);
  }
  if (await has("kustomization.yaml")) return docs((await run(env.kustomize, ["build", dir], { maxBuffer: 64 << 20 })).stdout);
  return readManifests(dir);
}

/** Seed files holding an Application (or several) that names a source. */
async function seedAppsWithSources(seeds: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of (await readdir(seeds, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    for (const f of (await readdir(join(seeds, dir))).sort()) {
      if (f.startsWith("repo-") || !/\.ya?ml$/.test(f)) continue;
      const objs = docs(await readFile(join(seeds, dir, f), "utf8")) as Array<Obj & { spec?: { source?: unknown; sources?: unknown[] } }>;
      if (objs.some((o) => o.kind === "Application" && (o.spec?.source || (o.spec?.sources?.length ?? 0) > 0))) out.push(`${dir}/${f}`);
    }
  }
  return out;
}

test("render equivalence: hawser render equals helm template / kustomize build for every seed Application, the seed ApplicationSets' Applications, and our own charts and overlays", async (t) => {
  const seeds = seedsDir();
  if (!seeds) return t.skip("seed fixtures not found");
  const env = await setUp(seeds);
  t.after(async () => {
    await env.helmRepo.close();
    for (const dir of [...Object.values(env.repos), env.work]) await rm(dir, { recursive: true, force: true });
  });

  // Every seed Application with a source has a case: a new seed cannot slip by untested.
  const seedApps = await seedAppsWithSources(seeds);
  assert.ok(seedApps.length >= 16, `found ${seedApps.length} seed Applications`);
  assert.deepEqual(seedApps.filter((f) => !cases[f]), [], "seed Applications without an equivalence case");

  const entries = Object.entries(cases);
  const prepared: Array<{ name: string; c: Case; appFile: string; app: { spec: { source?: Record<string, unknown> } } }> = [];
  for (const [name, c] of entries) {
    if (typeof c.app === "string") {
      const appFile = join(seeds, c.app);
      prepared.push({ name, c, appFile, app: parseYaml(await readFile(appFile, "utf8")) as { spec: { source?: Record<string, unknown> } } });
    } else {
      const appFile = join(env.work, `${name.replace(/[^a-z0-9]+/gi, "-")}.yaml`);
      await writeFile(appFile, stringify(c.app));
      prepared.push({ name, c, appFile, app: c.app as { spec: { source?: Record<string, unknown> } } });
    }
  }
  // The seed ApplicationSets' Applications, generated by `hawser appset generate`, join the cases.
  const appSetFiles = (await readdir(seeds, { recursive: true })).filter((f) => /(^|\/)appset-[^/]*\.ya?ml$/.test(f)).sort();
  assert.deepEqual(appSetFiles.filter((f) => !seedAppSets[f] && !appSetsWithoutApps[f]), [], "seed ApplicationSets without an equivalence case");
  const clusterSecret = join(env.work, "cluster-prod-east.yaml");
  await writeFile(clusterSecret, stringify({
    apiVersion: "v1", kind: "Secret",
    metadata: { name: "prod-east", namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "cluster", environment: "production" } },
    stringData: { name: "prod-east", server: "https://prod-east.example.com", config: "{}" },
  }));
  const appSetNames = Object.keys(seedAppSets);
  const gitMaps = Object.entries(env.repos).flatMap(([url, dir]) => ["--repo", `${url}=${dir}`]);
  const generated = await hawserBatch(appSetNames.map((f) => ["appset", "generate", join(seeds, f), ...gitMaps, "--cluster", clusterSecret, "-o", "json"]));
  for (const [i, f] of appSetNames.entries()) {
    const out = generated[i]!;
    assert.equal(out.code, 0, `${f}: appset generate exited ${out.code}: ${out.stderr}`);
    const apps = JSON.parse(out.stdout) as GeneratedApp[];
    assert.deepEqual(apps.map((a) => a.metadata.name).sort(), [...seedAppSets[f]!].sort(), `${f}: generated Applications`);
    for (const a of apps) {
      const name = `${f} → ${a.metadata.name}`;
      const appFile = join(env.work, `generated-${a.metadata.name}.yaml`);
      await writeFile(appFile, stringify(a));
      prepared.push({ name, c: { app: appFile, direct: (e) => directForGenerated(e, a), expect: [] }, appFile, app: a });
    }
  }

  // The direct runs go two at a time while hawser renders everything in one process.
  const renders = hawserBatch(prepared.map((p) => renderArgs(env, p.appFile, p.c.extra)));
  const queue = [...prepared];
  const directs = new Map<string, Obj[] | Error>();
  const worker = async (): Promise<void> => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      directs.set(p.name, await p.c.direct(env, p.app).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
    }
  };
  await Promise.all([worker(), worker()]);
  const outputs = await renders;
  const results: Array<{ name: string; error?: unknown }> = [];
  prepared.forEach((p, i) => {
    try {
      const out = outputs[i]!;
      assert.equal(out.code, 0, `${p.name}: hawser render exited ${out.code}: ${out.stderr}`);
      const direct = directs.get(p.name);
      if (direct instanceof Error) throw direct;
      const rendered = JSON.parse(out.stdout) as Obj[];
      assert.deepEqual(sorted(rendered), sorted(direct!), `${p.name}: hawser render differs from the direct run`);
      const got = rendered.map((o) => `${o.kind}/${o.metadata.name}`);
      assert.ok(rendered.length > 0, `${p.name}: rendered nothing`);
      for (const e of p.c.expect) assert.ok(got.includes(e), `${p.name}: ${e} rendered (got ${got.join(", ")})`);
      results.push({ name: p.name });
    } catch (error) {
      results.push({ name: p.name, error });
    }
  });
  const failed = results.filter((r) => r.error);
  assert.equal(results.length, prepared.length);
  assert.deepEqual(failed.map((f) => `${f.name}: ${f.error instanceof Error ? f.error.message : String(f.error)}`), [], "cases that differ");
});
