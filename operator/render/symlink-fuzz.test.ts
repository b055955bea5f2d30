// Fuzz: 200 randomly generated repositories full of symlinks (absolute, relative, chained, to
// directories, loops, dangling, and links that only escape when followed physically), rendered
// through the real renderer with the real tools as directory, kustomize, helm and jsonnet apps.
// A sentinel file outside every repository holds a random marker; it must never appear in any
// output, error message or log line. And every repository with a link that really resolves
// outside (per realpath) must be refused.
//
// The seed is printed with every failure; rerun one with HAWSER_FUZZ_SEED=<seed>.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import type { Application, ApplicationSource } from "../api/index.js";
import { MappedRepoSource } from "../cli/render.js";
import { builtinPlugins } from "../../plugins/index.js";
import { memoryLogger } from "../runtime/logger.js";
import { LocalRepoSource } from "../../test/support/local-repos.js";
import { RenderCache, renderApplication, type RenderSettings } from "./index.js";

const REPOS = 200;
const SEED = Number(process.env.HAWSER_FUZZ_SEED ?? randomInt(2 ** 31));
const LOCAL_URL = "hawser-local:///";

/** mulberry32: small, seedable, good enough to pick shapes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = "directory" | "kustomize" | "helm" | "jsonnet";

interface Layout {
  /** Files (path → content) and links (path → target), relative to the repository root. */
  files: Record<string, string>;
  links: Record<string, string>;
  source: ApplicationSource;
  settings: RenderSettings;
}

/**
 * One random repository. The app reads every "slot" (a link placed where its tool will read it:
 * a manifest file, a chart file, a values file, an import); each slot points somewhere random.
 * Layout on disk: <top>/repos/<i>/repo, with the sentinel at <top>/outside/.
 */
function generate(rand: () => number, top: string, sentinelFile: string, sentinelDir: string): { kind: Kind; layout: Layout } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const kind = pick(["directory", "kustomize", "helm", "jsonnet"] as const);
  const files: Record<string, string> = {};
  const links: Record<string, string> = {};
  const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;
  const depthOf = (p: string): number => p.split("/").length - 1;
  // Targets for a link at `path` (relative to the root). `inside` files exist in every repo.
  files["shared/ok.yaml"] = cm("shared-ok");
  files["shared/dir/ok.yaml"] = cm("shared-dir-ok");
  // a/b/c/root -> ../../.. is the root itself; through it, `..` climbs above the repository
  // while the lexical path stays inside.
  links["a/b/c/root"] = "../../..";
  const targetFor = (path: string, others: string[]): string => {
    const up = (n: number): string => "../".repeat(n);
    const climb = depthOf(path) + 3; // repo → <i> → repos → top
    const outside = relative(top, sentinelFile);
    const outsideDir = relative(top, sentinelDir);
    const out: Array<() => string> = [
      () => sentinelFile, // absolute
      () => sentinelDir, // absolute, a directory
      () => `${up(climb)}${outside}`, // relative
      () => `${up(climb)}${outsideDir}`, // relative, a directory
      () => `${up(40)}${sentinelFile.slice(1)}`, // climbs to / and back down
      () => `${up(depthOf(path))}a/b/c/root/../../../${outside}`, // leaves only when followed
    ];
    const within: Array<() => string> = [
      () => `${up(depthOf(path))}shared/ok.yaml`,
      () => `${up(depthOf(path))}shared/dir`, // a directory
      () => `${up(depthOf(path))}shared`, // a parent directory
      () => (others.length > 0 ? `${up(depthOf(path))}${pick(others)}` : "missing.yaml"), // chained
      () => path.split("/").pop()!, // a loop onto itself
      () => `${up(depthOf(path))}nowhere/missing.yaml`, // dangling
      () => `${up(depthOf(path))}a/b/c/root/shared/ok.yaml`, // through the root link
    ];
    // Mostly links that stay inside, so that enough repositories render for the check to mean something.
    return pick(rand() < 0.15 ? out : within)();
  };
  const slots = (prefix: string, n: number, ext: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const sub = rand() < 0.3 ? "sub/" : "";
      out.push(`${prefix}${sub}l${i}${ext}`);
    }
    return [...new Set(out)];
  };
  const place = (paths: string[]): void => {
    const placed: string[] = [];
    for (const p of paths) {
      links[p] = targetFor(p, placed);
      placed.push(p);
    }
  };
  const n = 1 + Math.floor(rand() * 4);
  let source: ApplicationSource;
  let settings: RenderSettings = {};
  switch (kind) {
    case "directory": {
      files["app/cm.yaml"] = cm("dir-cm");
      place(slots("app/", n, ".yaml"));
      source = { repoURL: LOCAL_URL, path: "app", directory: { recurse: rand() < 0.7 } };
      break;
    }
    case "kustomize": {
      const s = slots("app/", n, ".yaml");
      place(s);
      const rel = (p: string): string => p.slice("app/".length);
      const generated = s.filter(() => rand() < 0.4);
      files["app/cm.yaml"] = cm("kust-cm");
      files["app/kustomization.yaml"] = [
        "resources:", "- cm.yaml", ...s.filter((p) => !generated.includes(p)).map((p) => `- ${rel(p)}`),
        ...(generated.length > 0 ? ["configMapGenerator:", "- name: gen", "  files:", ...generated.map((p) => `  - ${rel(p)}`)] : []),
      ].join("\n") + "\n";
      settings = rand() < 0.6 ? { kustomizeBuildOptions: "--load-restrictor LoadRestrictionsNone" } : {};
      source = { repoURL: LOCAL_URL, path: "app", ...(rand() < 0.3 ? { kustomize: { namePrefix: "p-" } } : {}) };
      break;
    }
    case "helm": {
      const s = slots("chart/files/", n, "");
      place(s);
      const valuesLink = rand() < 0.5 ? "chart/linked-values.yaml" : undefined;
      if (valuesLink) place([valuesLink]);
      files["chart/Chart.yaml"] = "apiVersion: v2\nname: fuzz\nversion: 0.1.0\n";
      files["chart/templates/cm.yaml"] = [
        "apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: helm-cm", "data:",
        ...s.map((p, i) => `  f${i}: {{ .Files.Get ${JSON.stringify(p.slice("chart/".length))} | quote }}`),
        `  glob: {{ $all := "" }}{{ range $p, $_ := .Files.Glob "files/**" }}{{ $all = print $all ($.Files.Get $p) }}{{ end }}{{ $all | quote }}`,
        "  leak: {{ .Values.leak | default \"\" | quote }}",
      ].join("\n") + "\n";
      source = { repoURL: LOCAL_URL, path: "chart", ...(valuesLink ? { helm: { valueFiles: ["linked-values.yaml"] } } : {}) };
      break;
    }
    case "jsonnet": {
      const s = slots("app/", n, ".txt");
      place(s);
      // A library directory reached through a link, imported from the app. Its import climbs 4
      // levels: from the link (lib/, depth 1) that is the sentinel's directory, from the real
      // directory (depth 5) it is still inside; jsonnet resolves from the link.
      files["v/w/x/y/lib/x.libsonnet"] = rand() < 0.7 ? "importstr 'ok.txt'\n" : `importstr '${"../".repeat(4)}outside/secret.yaml'\n`;
      files["v/w/x/y/lib/ok.txt"] = "fine\n";
      links.lib = rand() < 0.7 ? "v/w/x/y/lib" : targetFor("lib", []);
      files["app/main.jsonnet"] = `{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' }, data: {\n${
        s.map((p, i) => `  s${i}: importstr '${p.slice("app/".length)}',`).join("\n")}\n  lib: import '../lib/x.libsonnet',\n} }\n`;
      source = { repoURL: LOCAL_URL, path: "app" };
      break;
    }
  }
  return { kind, layout: { files, links, source, settings } };
}

async function materialize(root: string, l: Layout): Promise<void> {
  for (const [p, content] of Object.entries(l.files)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), content);
  }
  for (const [p, target] of Object.entries(l.links)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await symlink(target, join(root, p));
  }
}

/** Ground truth from the kernel: does any link really resolve outside the repository? */
async function escapes(root: string, l: Layout): Promise<string | undefined> {
  const realRoot = await realpath(root);
  for (const p of Object.keys(l.links)) {
    let real: string;
    try {
      real = await realpath(join(root, p));
    } catch {
      continue; // dangling or a loop: nothing can be read through it
    }
    const rel = relative(realRoot, real);
    if (rel === ".." || rel.startsWith("../")) return p;
  }
  return undefined;
}

test(`fuzz: ${REPOS} repositories of random symlinks never leak a file from outside (seed ${SEED})`, async () => {
  const rand = prng(SEED);
  const top = await mkdtemp(join(tmpdir(), "hawser-fuzz-"));
  const marker = `hawser-fuzz-sentinel-${randomBytes(8).toString("hex")}`;
  const sentinelDir = join(top, "outside");
  const sentinelFile = join(sentinelDir, "secret.yaml");
  // Valid as a manifest, a values file, a patch and plain text, so any tool that reads it shows it.
  const secret = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\nleak: ${marker}\ndata:\n  stolen: ${marker}\n`;
  await mkdir(sentinelDir, { recursive: true });
  await writeFile(sentinelFile, secret);
  await writeFile(join(sentinelDir, "more.yaml"), secret.replace("stolen\n", "stolen-too\n"));
  const tally = { rendered: 0, refused: 0, otherErrors: 0, byKind: {} as Record<string, number> };
  const { logger, lines } = memoryLogger("debug");
  try {
    for (let i = 0; i < REPOS; i++) {
      const { kind, layout } = generate(rand, top, sentinelFile, sentinelDir);
      const root = join(top, "repos", String(i), "repo");
      await mkdir(root, { recursive: true });
      await materialize(root, layout);
      const where = `seed ${SEED}, repository ${i} (${kind}): ${JSON.stringify(layout.links)}`;
      const app: Application = {
        apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: `fuzz-${i}`, namespace: "argocd" },
        spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, source: layout.source },
      };
      const repos = new MappedRepoSource(new LocalRepoSource({}), new Map(), root);
      let text: string;
      let ok: boolean;
      try {
        const out = await renderApplication(app, {
          repos, plugins: builtinPlugins(layout.settings), settings: layout.settings, cache: new RenderCache(), log: logger, kubeVersion: "1.36.3", apiVersions: ["v1"],
        });
        text = JSON.stringify(out);
        ok = true;
        tally.rendered++;
      } catch (err) {
        text = `${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
        ok = false;
        if (/out-of-bounds symlinks|outside the repository/.test(text)) tally.refused++;
        else tally.otherErrors++;
      }
      tally.byKind[kind] = (tally.byKind[kind] ?? 0) + 1;
      assert.ok(!text.includes(marker), `the sentinel leaked (${where}): ${text.slice(0, 500)}`);
      const escaping = await escapes(root, layout);
      if (escaping) assert.ok(!ok && /out-of-bounds symlinks/.test(text), `a link leaving the repository (${escaping}) was not refused (${where}): ${text.slice(0, 300)}`);
    }
    const logs = lines.map((l) => JSON.stringify(l)).join("\n");
    assert.ok(!logs.includes(marker), `the sentinel reached the log (seed ${SEED})`);
    // The generator must exercise both sides, or the assertions above prove little.
    assert.ok(tally.rendered >= 10, `too few repositories rendered to be meaningful (seed ${SEED}): ${JSON.stringify(tally)}`);
    assert.ok(tally.refused >= 20, `too few repositories refused to be meaningful (seed ${SEED}): ${JSON.stringify(tally)}`);
    for (const k of ["directory", "kustomize", "helm", "jsonnet"]) assert.ok((tally.byKind[k] ?? 0) >= 10, `kind ${k} barely exercised (seed ${SEED}): ${JSON.stringify(tally)}`);
    console.log(`fuzz seed ${SEED}: ${JSON.stringify(tally)}`);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
