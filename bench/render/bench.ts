// Benchmark P7 (shared/spec/benchmarks.md): rendering.
//   (i)   a kustomize overlay over a 1,000-object base (70 % ConfigMap/Secret, 20 % Deployment +
//         Service, 10 % RBAC): `kustomize build` run directly vs our kustomize plugin (spawn, parse,
//         containment walk); also with Application-level options (namePrefix, commonLabels), which
//         costs a private copy and `kustomize edit` runs;
//   (iii) Helm charts from tiny to large: `helm template` directly vs our helm plugin;
//   (iv)  warm: renderApplication at an unchanged commit (render cache hit) vs direct kustomize.
// Rounds interleave baseline and ours (A B A B …, rotating who goes first); reported are the
// median ratio and its range, plus medians of absolute times.
// Usage: node --import tsx bench/render/bench.ts [--pairs 5] [--out bench/results/render-p7.md]
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import type { Application } from "../../operator/api/index.js";
import { resolveTool } from "../../operator/tools/index.js";
import { RenderCache, renderApplication } from "../../operator/render/index.js";
import { createLogger } from "../../operator/runtime/logger.js";
import { spawn } from "node:child_process";
import { baseToolEnv } from "../../plugins/exec.js";
import { detectIsolation } from "../../plugins/sandbox.js";
import { createHelmPlugin } from "../../plugins/helm/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import { createKustomizePlugin } from "../../plugins/kustomize/index.js";
import type { RenderRequest, SourceSpec } from "../../plugins/types.js";
import type { RepoSource } from "../../operator/git/types.js";
import { LocalGitRepo, LocalRepoSource } from "../../test/support/local-repos.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const outIdx = process.argv.indexOf("--out");
const outFile = outIdx >= 0 ? process.argv[outIdx + 1]! : join("bench", "results", "render-p7.md");
const PAIRS = arg("pairs", 5);
const log = createLogger({ level: "error" });

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [p, c] of Object.entries(files)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), c);
  }
}

/** 1,000 objects: 700 ConfigMap/Secret, 100 Deployment + 100 Service, 100 RBAC. */
function bigBase(): Record<string, string> {
  const docs: string[] = [];
  for (let i = 0; i < 700; i++) {
    docs.push(i % 2 === 0
      ? `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  key: "${"v".repeat(200)}"\n`
      : `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s-${i}\nstringData:\n  key: "${"s".repeat(100)}"\n`);
  }
  for (let i = 0; i < 100; i++) {
    docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d-${i}\n  labels: {app: d-${i}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: d-${i}}}\n  template:\n    metadata: {labels: {app: d-${i}}}\n    spec:\n      containers: [{name: c, image: "nginx:1.25", ports: [{containerPort: 80}]}]\n`);
    docs.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${i}\nspec:\n  selector: {app: d-${i}}\n  ports: [{port: 80}]\n`);
  }
  for (let i = 0; i < 100; i++) {
    docs.push(i % 2 === 0
      ? `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r-${i}\nrules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]\n`
      : `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb-${i}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r-${i - 1}}\nsubjects: [{kind: ServiceAccount, name: default}]\n`);
  }
  return {
    "base/objects.yaml": docs.join("---\n"),
    "base/kustomization.yaml": "resources: [objects.yaml]\n",
    "overlay/kustomization.yaml": "resources: [../base]\nnamespace: bench\ncommonLabels: {env: bench}\n",
  };
}

/** A chart with `n` templates, each ranging over `items` values. */
function chart(name: string, templates: number, items: number): Record<string, string> {
  const files: Record<string, string> = {
    [`${name}/Chart.yaml`]: `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n`,
    [`${name}/values.yaml`]: `items: ${items}\nimage: {repository: nginx, tag: "1.25"}\nlabels: {team: bench}\n`,
    [`${name}/templates/_helpers.tpl`]: `{{- define "labels" -}}\napp.kubernetes.io/name: {{ .Chart.Name }}\napp.kubernetes.io/instance: {{ .Release.Name }}\n{{- with .Values.labels }}\n{{ toYaml . }}\n{{- end }}\n{{- end -}}\n`,
  };
  for (let t = 0; t < templates; t++) {
    files[`${name}/templates/t${t}.yaml`] = `{{- range $i := until (int .Values.items) }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ $.Release.Name }}-t${t}-{{ $i }}\n  labels:\n    {{- include "labels" $ | nindent 4 }}\ndata:\n  image: "{{ $.Values.image.repository }}:{{ $.Values.image.tag }}"\n  index: {{ $i | quote }}\n{{- end }}\n`;
  }
  return files;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Row { scenario: string; direct: number[]; ours: number[]; note?: string }

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function interleave(scenario: string, direct: () => Promise<unknown>, ours: () => Promise<unknown>, note?: string): Promise<Row> {
  await direct();
  await ours(); // warm-up: page cache, binary load
  const row: Row = { scenario, direct: [], ours: [], note };
  for (let i = 0; i < PAIRS; i++) {
    if (i % 2 === 0) {
      row.direct.push(await time(direct));
      row.ours.push(await time(ours));
    } else {
      row.ours.push(await time(ours));
      row.direct.push(await time(direct));
    }
  }
  process.stderr.write(`${scenario}: direct ${median(row.direct).toFixed(1)} ms, ours ${median(row.ours).toFixed(1)} ms\n`);
  return row;
}

/**
 * The baseline: the binary spawned plainly (no sandbox wrapper, no limits, no namespaces), output
 * read into memory. Ours goes through runTool, so the sandbox's cost is part of what is measured.
 */
function plainRun(cmd: string, args: string[], env: Record<string, string>): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolvePromise(Buffer.concat(out)) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

function request(root: string, path: string, source: SourceSpec): RenderRequest {
  return { appName: "bench", appNamespace: "argocd", project: "default", repoRoot: root, appDir: join(root, path), source: { path, ...source }, revision: "0".repeat(40), destinationNamespace: "bench", env: {} };
}

const isolation = await detectIsolation();
const root = await mkdtemp(join(tmpdir(), "hawser-bench-render-"));
const kustomize = await resolveTool("kustomize");
const helm = await resolveTool("helm");
const env = baseToolEnv({ HELM_CACHE_HOME: join(root, ".h/c"), HELM_CONFIG_HOME: join(root, ".h/g"), HELM_DATA_HOME: join(root, ".h/d") });
const ctx = { log };
const rows: Row[] = [];
try {
  await write(join(root, "k"), bigBase());
  const kPlugin = createKustomizePlugin();
  const directKustomize = (): Promise<unknown> => plainRun(kustomize, ["build", join(root, "k", "overlay")], env);
  rows.push(await interleave("(i) kustomize overlay, 1,000 objects", directKustomize, () => kPlugin.generate(request(join(root, "k"), "overlay", {}), ctx)));
  rows.push(await interleave("(i) same, with Application namePrefix + commonLabels", directKustomize,
    () => kPlugin.generate(request(join(root, "k"), "overlay", { kustomize: { namePrefix: "p-", commonLabels: { team: "x" } } }), ctx),
    "ours adds a private copy and two `kustomize edit` runs; the baseline builds the unedited overlay"));

  const hPlugin = createHelmPlugin();
  for (const [name, templates, items] of [["tiny", 1, 1], ["medium", 20, 5], ["large", 60, 20]] as const) {
    await write(join(root, "h"), chart(name, templates, items));
    const dir = join(root, "h", name);
    rows.push(await interleave(`(iii) helm chart ${name}: ${templates * items} objects`,
      () => plainRun(helm, ["template", dir, "--name-template", "bench", "--namespace", "bench", "--include-crds"], env),
      () => hPlugin.generate(request(join(root, "h"), name, { helm: { releaseName: "bench" } }), ctx)));
  }

  const git = await LocalGitRepo.create(bigBase());
  const local = new LocalRepoSource({ "https://git.example.com/bench.git": git });
  // The production RepoCache answers these from its ls-remote TTL cache and a cat-file batch
  // process; the test RepoSource spawns git each time, which is not the renderer's cost.
  const revs = new Map<string, Promise<string>>();
  const files = new Map<string, Promise<Buffer>>();
  const repos: RepoSource = {
    resolveRevision: (u, r) => { const k = `${u}@${r}`; let p = revs.get(k); if (!p) { p = local.resolveRevision(u, r); revs.set(k, p); } return p; },
    readFile: (u, c, path) => { const k = `${u}@${c}:${path}`; let p = files.get(k); if (!p) { p = local.readFile(u, c, path); files.set(k, p); p.catch(() => undefined); } return p; },
    listFiles: (u, c) => local.listFiles(u, c),
    listDirectories: (u, c) => local.listDirectories(u, c),
    checkout: (u, c) => local.checkout(u, c),
  };
  const cache = new RenderCache();
  const app = {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "bench", namespace: "argocd" },
    spec: { project: "default", source: { repoURL: "https://git.example.com/bench.git", path: "overlay", targetRevision: "main" }, destination: { namespace: "bench", server: "https://kubernetes.default.svc" } },
  } as Application;
  let renders = 0;
  const deps = { repos, plugins: builtinPlugins(), cache, onRender: () => { renders++; } };
  await renderApplication(app, deps);
  rows.push(await interleave("(iv) warm: unchanged commit, 1,000-object overlay", directKustomize, () => renderApplication(app, deps),
    "ours = renderApplication: revision resolve and .argocd-source lookups (memoised, as the repository cache serves them) + cache-key hash + cache hit + copy of 1,000 manifests"));
  rows[rows.length - 1]!.note += `; renders executed across all warm runs: ${renders} (the initial one)`;
  await git.dispose();
  await local.dispose();
} finally {
  await rm(root, { recursive: true, force: true });
}

const lines = [
  "# P7 render benchmark",
  "",
  `Machine: ${cpus().length} CPU (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; ${PAIRS} interleaved pairs per row after one warm-up each; times in ms.`,
  `Baselines spawn the same Go-built binaries (helm v3.21.4, kustomize v5.8.1) plainly (no sandbox, no limits), output read into memory, not parsed. Ours runs every tool through runTool's sandbox (isolation: ${isolation.mode}, limits: ${isolation.limits}).`,
  "",
  "| scenario | direct median | ours median | ratio median | ratio range (min–max of per-pair ratios) | overhead median (ms) | note |",
  "|---|---|---|---|---|---|---|",
];
for (const r of rows) {
  const ratios = r.direct.map((d, i) => r.ours[i]! / d);
  const over = r.direct.map((d, i) => r.ours[i]! - d);
  lines.push(`| ${r.scenario} | ${median(r.direct).toFixed(1)} | ${median(r.ours).toFixed(1)} | ${median(ratios).toFixed(3)} | ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)} | ${median(over).toFixed(1)} | ${r.note ?? ""} |`);
}
lines.push("", "Targets (benchmarks.md P7): cold ≤ 1.05× direct + 20 ms; warm ≤ 0.01× direct (≤ 10 ms absolute).", "");
await mkdir(dirname(outFile), { recursive: true });
await writeFile(outFile, lines.join("\n"));
process.stdout.write(lines.join("\n") + "\n");
