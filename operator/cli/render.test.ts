import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { startHelmRepo } from "../../test/support/helm-repo.js";
import { startRunnerProcess } from "../../test/support/tool-runner.js";
import { resolveTool } from "../tools/index.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const seed = join(root, "hack", "demo", "seed-002");

async function localRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hawser-render-cli-"));
  await cp(join(seed, "repo-argocd-kustomize-demo"), dir, { recursive: true });
  const env = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
  await run("git", ["init", "-q", "-b", "main"], { cwd: dir, env });
  await run("git", ["add", "-A"], { cwd: dir, env });
  await run("git", ["commit", "-qm", "seed 002"], { cwd: dir, env });
  return dir;
}

const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as { kind: string; metadata: { name: string } }).filter(Boolean)
  .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));

test("hawser render of seed 002 equals kustomize build of the same overlay", async () => {
  const repo = await localRepo();
  const { stdout } = await run(process.execPath, ["--import", "tsx", "operator/cli.ts", "render", "--app", join(seed, "app-demo-dev.yaml"), "--repo", `https://github.com/eocndp/argocd-kustomize-demo=${repo}`], { cwd: root });
  const kustomize = await resolveTool("kustomize");
  const direct = await run(kustomize, ["build", join(repo, "overlays", "dev")]);
  assert.deepEqual(objects(stdout), objects(direct.stdout));
  assert.deepEqual(objects(stdout).map((o) => `${o.kind}/${o.metadata.name}`), ["Deployment/dev-demo", "Service/dev-demo"]);
});

test("hawser render reports bad input on stderr with exit 2", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-render-bad-"));
  await writeFile(join(dir, "app.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  const notApp = await run(process.execPath, ["--import", "tsx", "operator/cli.ts", "render", "--app", join(dir, "app.yaml")], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
  assert.equal((notApp as { code: number }).code, 2);
  assert.match((notApp as { stderr: string }).stderr, /is not an Application/);
  const noApp = await run(process.execPath, ["--import", "tsx", "operator/cli.ts", "render"], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
  assert.equal((noApp as { code: number }).code, 2);
  assert.match((noApp as { stderr: string }).stderr, /--app FILE is required/);
});

const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
const hawser = (args: string[]) => run(process.execPath, ["--import", "tsx", "operator/cli.ts", ...args], { cwd: root });
const hawserFail = (args: string[]) => hawser(args).then(() => assert.fail(`hawser ${args.join(" ")} succeeded`), (e: { code: number; stderr: string }) => e);

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

test("render --local renders the source from a directory, uncommitted changes included; -o json", async () => {
  const kustomize = await resolveTool("kustomize");
  const app = join(seed, "app-demo-dev.yaml");
  // A plain directory: the repository root defaults to --local itself, so the overlay's
  // ../../base is outside it until --local-repo-root widens it.
  const plain = await mkdtemp(join(tmpdir(), "hawser-render-local-"));
  await cp(join(seed, "repo-argocd-kustomize-demo"), plain, { recursive: true });
  const outside = await hawserFail(["render", "--app", app, "--local", join(plain, "overlays", "dev")]);
  assert.equal(outside.code, 2);
  assert.match(outside.stderr, /"\.\.\/\.\.\/base" resolves outside the repository \(set --local-repo-root/);
  const { stdout } = await hawser(["render", "--app", app, "--local", join(plain, "overlays", "dev"), "--local-repo-root", plain]);
  assert.deepEqual(objects(stdout), objects((await run(kustomize, ["build", join(plain, "overlays", "dev")])).stdout));

  // Inside a git work tree the root is the work tree, and what is on disk is rendered, not HEAD.
  const repo = await localRepo();
  await writeFile(join(repo, "overlays", "dev", "kustomization.yaml"), "resources: [../../base]\nnamePrefix: edited-\n");
  const json = await hawser(["render", "--app", app, "--local", join(repo, "overlays", "dev"), "-o", "json"]);
  const parsed = (JSON.parse(json.stdout) as Array<{ kind: string; metadata: { name: string } }>).map((o) => `${o.kind}/${o.metadata.name}`).sort();
  assert.deepEqual(parsed, ["Deployment/edited-demo", "Service/edited-demo"]);
  const same = await hawser(["render", "--app", app, "--local", join(repo, "overlays", "dev"), "-o", "json"]);
  assert.equal(same.stdout, json.stdout, "same input, same output");

  const notDir = await hawserFail(["render", "--app", app, "--local", join(repo, "nope")]);
  assert.equal(notDir.code, 2);
  assert.match(notDir.stderr, /--local .*nope: not a directory/);
});

test("render --local replaces the first non-ref source of a multi-source app; $ref value files still come from git", async () => {
  const chart = await mkdtemp(join(tmpdir(), "hawser-render-local-chart-"));
  await writeTree(chart, {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "values.yaml": "replicas: 1\ncolor: grey\n",
    "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-web\ndata:\n  color: {{ .Values.color | quote }}\n  replicas: {{ .Values.replicas | quote }}\n",
  });
  const values = await mkdtemp(join(tmpdir(), "hawser-render-local-values-"));
  await writeTree(values, { "envs/prod.yaml": "color: blue\nreplicas: 3\n" });
  await run("git", ["init", "-q", "-b", "main"], { cwd: values, env: gitEnv });
  await run("git", ["add", "-A"], { cwd: values, env: gitEnv });
  await run("git", ["commit", "-qm", "values"], { cwd: values, env: gitEnv });
  const appFile = join(chart, "..", `${chart.split("/").pop()}-app.yaml`);
  await writeFile(appFile, `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: web}
  sources:
    - repoURL: https://git.example.invalid/values.git
      targetRevision: main
      ref: values
    - repoURL: https://charts.example.invalid
      chart: web
      targetRevision: 1.0.0
      helm:
        valueFiles: [$values/envs/prod.yaml]
`);
  const { stdout } = await hawser(["render", "--app", appFile, "--local", chart, "--repo", `https://git.example.invalid/values.git=${values}`]);
  const helm = await resolveTool("helm");
  const direct = await run(helm, ["template", chart, "--name-template", "web", "--namespace", "web", "--values", join(values, "envs", "prod.yaml"), "--include-crds"]);
  assert.deepEqual(objects(stdout), objects(direct.stdout));
  assert.match(stdout, /color: blue/);
});

test("repo apps lists app directories with the tool Argo would pick, as sorted JSON", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-repo-apps-"));
  const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\n`;
  await writeTree(dir, {
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "charts/web/templates/cm.yaml": cm("web"),
    "charts/web/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
    "kustomize/base/kustomization.yaml": "resources: [cm.yaml]\n",
    "kustomize/base/cm.yaml": cm("base"),
    "kustomize/yml/kustomization.yml": "resources: [../base]\n",
    "kustomize/capital/Kustomization": "resources: [../base]\n",
    "plain/cm.yaml": cm("plain"),
    "plain/nested/list.json": JSON.stringify({ apiVersion: "v1", kind: "List", items: [] }),
    "jsonnet/main.jsonnet": "{}",
    "values-only/values.yaml": "replicas: 2\n",
    "docs/README.md": "# not an app\n",
    ".hidden/cm.yaml": cm("hidden"),
    // Plugins are asked first: this directory has a kustomization too.
    "tanka/kustomization.yaml": "resources: []\n",
    "tanka/app.cmp": "",
  });
  const pluginDir = await mkdtemp(join(tmpdir(), "hawser-repo-apps-plugins-"));
  await writeFile(join(pluginDir, "cmp.yaml"), "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: cmp-test}\nspec:\n  version: v1\n  generate: {command: [cat, out.yaml]}\n  discover: {fileName: \"*.cmp\"}\n");
  const { stdout } = await hawser(["repo", "apps", dir, "--plugin-dir", pluginDir]);
  assert.deepEqual(JSON.parse(stdout), [
    { path: "charts/web", tool: "Helm" },
    { path: "jsonnet", tool: "Directory" },
    { path: "kustomize/base", tool: "Kustomize" },
    { path: "kustomize/capital", tool: "Kustomize" },
    { path: "kustomize/yml", tool: "Kustomize" },
    { path: "plain", tool: "Directory" },
    { path: "plain/nested", tool: "Directory" },
    { path: "tanka", tool: "Plugin", plugin: "cmp-test-v1" },
  ]);
  assert.equal((await hawser(["repo", "apps", dir, "--plugin-dir", pluginDir])).stdout, stdout, "same input, same output");
  // Without the plugin, the kustomization decides.
  const without = JSON.parse((await hawser(["repo", "apps", dir])).stdout) as Array<{ path: string; tool: string }>;
  assert.deepEqual(without.find((a) => a.path === "tanka"), { path: "tanka", tool: "Kustomize" });

  const missing = await hawserFail(["repo", "apps", join(dir, "nope")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope: not a directory/);
  const noSub = await hawserFail(["repo"]);
  assert.equal(noSub.code, 2);
  assert.match(noSub.stderr, /a subcommand is required/);
});

test("render --repo-secret: a Helm repository behind basic auth; a wrong password is exit 2 naming the repo, not the password", async (t) => {
  const chartDir = await mkdtemp(join(tmpdir(), "hawser-render-authchart-"));
  await writeTree(chartDir, {
    "Chart.yaml": "apiVersion: v2\nname: guarded\nversion: 2.0.0\n",
    "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-guarded}\n",
  });
  const repo = await startHelmRepo({ chartDirs: [chartDir], auth: { username: "reader", password: "helm-repo-pass-42" } });
  t.after(() => repo.close());
  const dir = await mkdtemp(join(tmpdir(), "hawser-render-authapp-"));
  await writeFile(join(dir, "app.yaml"), `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guarded, namespace: argocd}
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: g}
  source: {repoURL: "https://charts.example.invalid/private", chart: guarded, targetRevision: "^2.0"}
`);
  const secret = (password: string) => `apiVersion: v1
kind: Secret
metadata: {name: private-charts, namespace: argocd, labels: {argocd.argoproj.io/secret-type: repository}}
stringData: {type: helm, name: private, url: "${repo.url}", username: reader, password: ${password}}
`;
  await writeFile(join(dir, "good.yaml"), secret("helm-repo-pass-42"));
  await writeFile(join(dir, "bad.yaml"), secret("wrong-pass-9876"));
  const map = ["--repo", `https://charts.example.invalid/private=${repo.url}`];
  const ok = await hawser(["render", "--app", join(dir, "app.yaml"), ...map, "--repo-secret", join(dir, "good.yaml"), "-o", "json"]);
  assert.deepEqual((JSON.parse(ok.stdout) as Array<{ metadata: { name: string } }>).map((o) => o.metadata.name), ["guarded-guarded"]);
  const bad = await hawserFail(["render", "--app", join(dir, "app.yaml"), ...map, "--repo-secret", join(dir, "bad.yaml")]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, new RegExp(`Helm repository ${repo.url.replace(/[.]/g, "\\.")}: index\\.yaml returned HTTP 401: the repository rejected the credentials`));
  assert.ok(!bad.stderr.includes("wrong-pass-9876") && !bad.stderr.includes("helm-repo-pass-42"), `no password in: ${bad.stderr}`);
});

test("hawser render refuses a tree with an out-of-bounds symlink, naming it; --allow-oob-symlinks renders it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-render-oob-"));
  await writeTree(dir, {
    "app.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a, namespace: argocd}\nspec:\n  project: default\n  source: {repoURL: https://git.example/r, path: app}\n  destination: {server: https://kubernetes.default.svc, namespace: d}\n",
    "repo/app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
  });
  await symlink("/etc", join(dir, "repo", "etc-link"));
  const args = ["render", "--app", join(dir, "app.yaml"), "--local", join(dir, "repo", "app"), "--local-repo-root", join(dir, "repo")];
  const refused = await hawserFail(args);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /repository contains out-of-bounds symlinks\. file: etc-link/);
  const { stdout } = await hawser([...args, "--allow-oob-symlinks"]);
  assert.deepEqual(objects(stdout).map((o) => `${o.kind}/${o.metadata.name}`), ["ConfigMap/cm"], "the opt-out renders");
});

test("render --tool-runner-socket runs the tools in a tool runner: the same manifests; an absent runner is exit 2 naming the socket", async () => {
  const repo = await localRepo();
  const dir = await mkdtemp(join(tmpdir(), "hawser-render-runner-"));
  const args = ["render", "--app", join(seed, "app-demo-dev.yaml"), "--repo", `https://github.com/eocndp/argocd-kustomize-demo=${repo}`];
  const local = await hawser(args);
  const runner = await startRunnerProcess({ socketPath: join(dir, "tools.sock") });
  try {
    const viaRunner = await hawser([...args, "--tool-runner-socket", join(dir, "tools.sock")]);
    assert.equal(viaRunner.stdout, local.stdout, "the same manifests through the runner");
  } finally {
    await runner.stop();
  }
  const absent = await hawserFail([...args, "--tool-runner-socket", join(dir, "tools.sock")]);
  assert.equal(absent.code, 2);
  assert.match(absent.stderr, /^hawser render: the tool runner at .*tools\.sock is unreachable \(ENOENT\)/);
});
