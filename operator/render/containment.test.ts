// Attacks on the renderer by someone who can push to a repository (or write an Application): each
// test plants a sentinel file outside the repository and tries to get its content into the
// rendered manifests. Before the containment work, every one of these rendered the sentinel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Application, ApplicationSource } from "../api/index.js";
import { MappedRepoSource } from "../cli/render.js";
import { builtinPlugins } from "../../plugins/index.js";
import { OutOfBoundsSymlinkError } from "../../plugins/containment.js";
import { createChartCache, pullKey } from "../../plugins/helm/index.js";
import { LocalGitRepo, LocalRepoSource } from "../../test/support/local-repos.js";
import { RenderCache, renderApplication, type RenderDeps, type RenderSettings } from "./index.js";

const LOCAL_URL = "hawser-local:///";

/** A directory holding a secret file (a random marker) next to where the repository will be. */
async function sentinel(content?: (marker: string) => string): Promise<{ top: string; marker: string; file: string; dispose: () => Promise<void> }> {
  const top = await mkdtemp(join(tmpdir(), "hawser-attack-"));
  const marker = `hawser-sentinel-${randomBytes(8).toString("hex")}`;
  const file = join(top, "secret.txt");
  await writeFile(file, content ? content(marker) : `${marker}\n`);
  return { top, marker, file, dispose: () => rm(top, { recursive: true, force: true }) };
}

async function writeTree(root: string, files: Record<string, string>, links: Record<string, string> = {}): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  for (const [path, target] of Object.entries(links)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await symlink(target, join(root, path));
  }
}

/** A relative path that climbs to / and comes down to `abs`: valid wherever a private copy lands. */
const climb = (abs: string): string => `${"../".repeat(30)}${abs.slice(1)}`;

function app(source: ApplicationSource): Application {
  return {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application",
    metadata: { name: "attack", namespace: "argocd" },
    spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, source },
  };
}

function deps(repos: RenderDeps["repos"], settings: RenderSettings = {}, extra: Partial<RenderDeps> = {}): RenderDeps {
  return { repos, plugins: builtinPlugins(settings), settings, cache: new RenderCache(), kubeVersion: "1.36.3", apiVersions: ["v1"], ...extra };
}

/** Renders and returns everything a user could see: the manifests or the error message. */
async function attempt(a: Application, d: RenderDeps): Promise<{ ok: boolean; text: string; error?: unknown }> {
  try {
    const out = await renderApplication(a, d);
    return { ok: true, text: JSON.stringify(out) };
  } catch (err) {
    return { ok: false, text: err instanceof Error ? err.message : String(err), error: err };
  }
}

function assertRefused(r: { ok: boolean; text: string }, marker: string, message: RegExp): void {
  assert.ok(!r.text.includes(marker), `the sentinel leaked: ${r.text.slice(0, 300)}`);
  assert.ok(!r.ok, `the render was expected to be refused, it succeeded: ${r.text.slice(0, 300)}`);
  assert.match(r.text, message);
}

const chartYaml = "apiVersion: v2\nname: mychart\nversion: 1.0.0\n";
const filesGetTemplate = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  x: {{ .Files.Get "files/x" | quote }}\n`;

test("finding 2: a git chart whose files/x is a symlink out of the repository is refused before helm runs", async () => {
  const s = await sentinel();
  const git = await LocalGitRepo.create({ "chart/Chart.yaml": chartYaml, "chart/templates/cm.yaml": filesGetTemplate });
  try {
    const repos = new LocalRepoSource({ "https://git.example/team": git });
    // An absolute link, and a relative one that climbs to / and comes down: neither depends on
    // where the checkout lands.
    for (const target of [s.file, `${"../".repeat(30)}${s.file.slice(1)}`]) {
      await rm(join(git.dir, "chart", "files"), { recursive: true, force: true });
      await writeTree(git.dir, {}, { "chart/files/x": target });
      await git.commit({}, "link");
      const r = await attempt(app({ repoURL: "https://git.example/team", path: "chart", targetRevision: "HEAD" }), deps(repos));
      assertRefused(r, s.marker, /^repository contains out-of-bounds symlinks\. file: chart\/files\/x$/);
      assert.ok(r.error instanceof OutOfBoundsSymlinkError, "a typed error the controller shows as a ComparisonError");
    }
  } finally {
    await git.dispose();
    await s.dispose();
  }
});

test("finding 2: a pulled chart holding a symlink out of its directory is refused before helm runs", async () => {
  const s = await sentinel();
  const cacheDir = await mkdtemp(join(tmpdir(), "hawser-chart-cache-"));
  try {
    // The chart as it sits in the pull cache (the layout createChartCache keys by repo, chart,
    // version and credentials); an entry that is already there is used without a network pull.
    const repoURL = "https://charts.example.invalid";
    const key = pullKey({ repoURL, chart: "mychart", version: "1.0.0" });
    await writeTree(join(cacheDir, key, "mychart"), { "Chart.yaml": chartYaml, "templates/cm.yaml": filesGetTemplate }, { "files/x": s.file });
    const repos = new LocalRepoSource({});
    const d = deps(repos, {}, { charts: createChartCache({ dir: cacheDir }) });
    const r = await attempt(app({ repoURL, chart: "mychart", targetRevision: "1.0.0" }), d);
    assertRefused(r, s.marker, /out-of-bounds symlinks\. file: files\/x$/);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
    await s.dispose();
  }
});

test("finding 3: a jsonnet importstr through a symlinked library directory cannot climb out", async () => {
  const s = await sentinel();
  const root = join(s.top, "repo");
  // lib -> vendor/a/b stays inside, so the symlink rule allows it. From its target's directory
  // `../../secret.txt` is vendor/secret.txt (inside); jsonnet resolves it from lib/, where it is
  // the sentinel beside the repository.
  await writeTree(root, {
    "app/main.jsonnet": "{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' }, data: { s: import '../lib/x.libsonnet' } }\n",
    "vendor/a/b/x.libsonnet": "importstr '../../secret.txt'\n",
  }, { lib: "vendor/a/b" });
  try {
    const r = await attempt(app({ repoURL: LOCAL_URL, path: "app" }), deps(new MappedRepoSource(new LocalRepoSource({}), new Map(), root)));
    assertRefused(r, s.marker, /lib\/x\.libsonnet: importstr "\.\.\/\.\.\/secret\.txt" resolves outside the repository/);
  } finally {
    await s.dispose();
  }
});

const kustomizeCm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n";
const patchLeak = (marker: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  leak: ${marker}\n`;
const noRestrictor: RenderSettings = { kustomizeBuildOptions: "--load-restrictor LoadRestrictionsNone" };

test("finding 4: kustomize patches[].path from .argocd-source.yaml cannot name a file outside (LoadRestrictionsNone)", async () => {
  const s = await sentinel(patchLeak);
  const root = join(s.top, "repo");
  await writeTree(root, {
    "app/kustomization.yaml": "resources:\n- cm.yaml\n",
    "app/cm.yaml": kustomizeCm,
    "app/.argocd-source.yaml": `kustomize:\n  patches:\n  - path: ${climb(s.file)}\n    target:\n      kind: ConfigMap\n`,
  });
  try {
    const repos = new MappedRepoSource(new LocalRepoSource({}), new Map(), root);
    const r = await attempt(app({ repoURL: LOCAL_URL, path: "app" }), deps(repos, noRestrictor));
    assertRefused(r, s.marker, /kustomize patch path "(\.\.\/)+.*secret\.txt" resolves outside the repository/);
    // The same patch written in the Application.
    const inApp = await attempt(app({ repoURL: LOCAL_URL, path: "app", kustomize: { patches: [{ path: climb(s.file), target: { kind: "ConfigMap" } }] } }), deps(repos, noRestrictor));
    assertRefused(inApp, s.marker, /kustomize patch path/);
  } finally {
    await s.dispose();
  }
});

test("finding 4: kustomize helmCharts valuesFile and a PatchTransformer config cannot name a file outside", async () => {
  const s = await sentinel((m) => `leak: ${m}\n`);
  await writeFile(join(s.top, "patch.yaml"), patchLeak(s.marker));
  const root = join(s.top, "repo");
  await writeTree(root, {
    "helm/kustomization.yaml": "helmCharts:\n- name: inner\n  releaseName: r\n  valuesFile: ../../secret.txt\nhelmGlobals:\n  chartHome: charts\n",
    "helm/charts/inner/Chart.yaml": "apiVersion: v2\nname: inner\nversion: 0.1.0\n",
    "helm/charts/inner/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v\ndata:\n  leak: {{ .Values.leak | quote }}\n",
    "transformer/kustomization.yaml": "resources:\n- cm.yaml\ntransformers:\n- t.yaml\n",
    "transformer/cm.yaml": kustomizeCm,
    "transformer/t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: ../../patch.yaml\ntarget:\n  kind: ConfigMap\n",
  });
  try {
    const repos = new MappedRepoSource(new LocalRepoSource({}), new Map(), root);
    const helm = await attempt(app({ repoURL: LOCAL_URL, path: "helm" }), deps(repos, { kustomizeBuildOptions: "--enable-helm --load-restrictor LoadRestrictionsNone" }));
    assertRefused(helm, s.marker, /kustomize reference in helm\/kustomization\.yaml "\.\.\/\.\.\/secret\.txt" resolves outside the repository/);
    const transformer = await attempt(app({ repoURL: LOCAL_URL, path: "transformer" }), deps(repos, noRestrictor));
    assertRefused(transformer, s.marker, /kustomize reference in transformer\/kustomization\.yaml → t\.yaml "\.\.\/\.\.\/patch\.yaml" resolves outside the repository/);
  } finally {
    await s.dispose();
  }
});

test("finding 4: a helm file:// dependency outside the repository is refused before helm dependency build", async () => {
  const s = await sentinel();
  await writeTree(join(s.top, "outside-chart"), {
    "Chart.yaml": "apiVersion: v2\nname: dep\nversion: 0.1.0\n",
    "templates/cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dep\ndata:\n  leak: ${s.marker}\n`,
  });
  const root = join(s.top, "repo");
  await writeTree(root, {
    "chart/Chart.yaml": `apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: dep\n  version: 0.1.0\n  repository: file://${climb(join(s.top, "outside-chart"))}\n`,
    "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: top\n",
  });
  try {
    const r = await attempt(app({ repoURL: LOCAL_URL, path: "chart" }), deps(new MappedRepoSource(new LocalRepoSource({}), new Map(), root)));
    assertRefused(r, s.marker, /chart dependency "dep": repository "file:\/\/(\.\.\/)+.*outside-chart" resolves outside the repository/);
  } finally {
    await s.dispose();
  }
});

test("the verdict is kept per commit (a warm render does not walk), and the opt-out turns the check off", async () => {
  const git = await LocalGitRepo.create({ "app/cm.yaml": kustomizeCm });
  const url = "https://git.example/cache";
  try {
    const repos = new LocalRepoSource({ [url]: git });
    const d = deps(repos);
    const first = await renderApplication(app({ repoURL: url, path: "app" }), d);
    assert.deepEqual(first.manifests.map((m) => m.metadata.name), ["cm"]);
    // Plant an out-of-bounds link in the checkout of the same commit (a checkout never changes,
    // so this only stands in for "nothing re-read it"): a hard refresh renders again at that
    // commit, and only a fresh walk would notice the link.
    const co = await repos.checkout(url, first.revisions[0]!);
    await symlink("/etc", join(co.path, "notes"));
    const warm = await renderApplication(app({ repoURL: url, path: "app" }), d, { hard: true });
    assert.equal(warm.sources[0]!.cached, false, "rendered again, not served from the render cache");

    // A new commit holding such a link is walked and refused; the opt-out renders it.
    await writeTree(git.dir, {}, { notes: "/etc" });
    await git.commit({}, "link");
    const refused = await attempt(app({ repoURL: url, path: "app" }), deps(repos));
    assert.ok(!refused.ok && /out-of-bounds symlinks\. file: notes$/.test(refused.text), `refused by default: ${refused.text}`);
    const allowed = await renderApplication(app({ repoURL: url, path: "app" }), deps(repos, { allowOutOfBoundsSymlinks: true }));
    assert.deepEqual(allowed.manifests.map((m) => m.metadata.name), ["cm"], "reposerver.allow.oob.symlinks renders it");
  } finally {
    await git.dispose();
  }
});
