// The kustomize plugin: `kustomize build` with the Go-built kustomize, after applying the
// Application's kustomize options the way Argo does (`kustomize edit …` and patches merged into
// the kustomization), on a private copy so the shared checkout is never modified.
//
// Containment: kustomize's default load restrictor (RootOnly) keeps each kustomization's files
// under its own directory, but a `resources:`/`components:` entry may name any directory, so
// before building, the tree of kustomizations reachable from the source is walked and every
// local reference is checked to stay inside the repository (lexically and after following
// symlinks): resources, patches, generator inputs, helmCharts values files and local charts, and
// the paths inside generator/transformer config files. This matters most under
// `--load-restrictor LoadRestrictionsNone`, where kustomize itself checks nothing. The
// Application's own patches are checked up front, and after `kustomize edit` the private copy is
// checked again as it will be built (symlinks and references). Remote references (URLs, git) are
// left to kustomize, as in Argo.
import { readFile, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative } from "node:path";
import { parse as parseYaml, parseAllDocuments, stringify } from "yaml";
import { resolveTool } from "../../operator/tools/index.js";
import { checkOutOfBoundsSymlinks } from "../containment.js";
import { privateCopy } from "../copy.js";
import { explicitTool } from "../detect.js";
import { baseToolEnv, runTool } from "../exec.js";
import { parseToolOutput } from "../tool-output.js";
import { resolveInside, pathExists } from "../paths.js";
import { RenderError, type ConfigManagementPlugin, type PluginContext, type RenderRequest, type RenderResult, type SourceSpec, type ToolSettings } from "../types.js";
import { kustomizeBuildArgs, kustomizeEditArgs, needsEdit, splitBuildOptions, type KustomizeImage, type KustomizeOptions } from "./args.js";
import { errorFirstLine } from "../../operator/util/index.js";

export { envsubst, imageArg, kustomizeBuildArgs, kustomizeEditArgs, splitBuildOptions } from "./args.js";

export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];


export async function findKustomization(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) if (await pathExists(join(dir, name))) return join(dir, name);
  return undefined;
}

const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
  return out;
};

export function kustomizeSourceOptions(source: SourceSpec): KustomizeOptions {
  const k = source.kustomize ?? {};
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
  const s = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  return {
    namePrefix: s(k.namePrefix),
    nameSuffix: s(k.nameSuffix),
    images: list(k.images).filter((i): i is KustomizeImage => typeof i === "string" || (typeof i === "object" && i !== null)),
    replicas: list(k.replicas).filter((r): r is { name: string; count: number | string } =>
      typeof r === "object" && r !== null && typeof (r as { name?: unknown }).name === "string"),
    commonLabels: strMap(k.commonLabels),
    commonAnnotations: strMap(k.commonAnnotations),
    commonAnnotationsEnvsubst: k.commonAnnotationsEnvsubst === true,
    forceCommonLabels: k.forceCommonLabels === true,
    forceCommonAnnotations: k.forceCommonAnnotations === true,
    labelWithoutSelector: k.labelWithoutSelector === true,
    labelIncludeTemplates: k.labelIncludeTemplates === true,
    namespace: s(k.namespace),
    patches: list(k.patches).filter((p): p is Record<string, unknown> => typeof p === "object" && p !== null),
    components: list(k.components).filter((c): c is string => typeof c === "string" && c !== ""),
    ignoreMissingComponents: k.ignoreMissingComponents === true,
    version: s(k.version),
    kubeVersion: s(k.kubeVersion),
    apiVersions: Array.isArray(k.apiVersions) ? (k.apiVersions as unknown[]).filter((v): v is string => typeof v === "string") : undefined,
  };
}

const isRemote = (ref: string): boolean => /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(ref) || ref.startsWith("git@") || ref.startsWith("git::");

/** File references a kustomization may make besides resources/components. */
function fileRefs(k: Record<string, unknown>): string[] {
  const out: string[] = [];
  const push = (v: unknown): void => {
    // Inline documents (patches, transformer configs) contain newlines; paths don't.
    if (typeof v === "string" && v !== "" && !v.includes("\n")) out.push(v);
  };
  const each = (v: unknown, f: (x: unknown) => void): void => { if (Array.isArray(v)) (v as unknown[]).forEach(f); };
  const field = (x: unknown, name: string): unknown => (typeof x === "object" && x !== null ? (x as Record<string, unknown>)[name] : undefined);
  each(k.patchesStrategicMerge, push);
  each(k.patches, (p) => push(field(p, "path")));
  each(k.patchesJson6902, (p) => push(field(p, "path")));
  each(k.replacements, (p) => push(field(p, "path")));
  each(k.crds, push);
  each(k.configurations, push);
  for (const gen of ["configMapGenerator", "secretGenerator"]) {
    each(k[gen], (g) => {
      each(field(g, "files"), (f) => { if (typeof f === "string") push(f.includes("=") ? f.slice(f.indexOf("=") + 1) : f); });
      each(field(g, "envs"), push);
      push(field(g, "env"));
    });
  }
  for (const list of ["generators", "transformers", "validators"]) each(k[list], push);
  push(field(k.openapi, "path"));
  push(field(k.helmGlobals, "chartHome"));
  push(field(k.helmGlobals, "configHome"));
  // helmCharts (and the older helmChartInflationGenerator): values files, and a local chart's
  // directory (chartHome/name) when no repo is named.
  const chartHome = field(k.helmGlobals, "chartHome");
  for (const list of ["helmCharts", "helmChartInflationGenerator"]) {
    each(k[list], (c) => {
      push(field(c, "valuesFile"));
      each(field(c, "additionalValuesFiles"), push);
      push(field(c, "chartHome"));
      const name = field(c, "name") ?? field(c, "chartName");
      if (typeof name === "string" && !field(c, "repo") && !field(c, "chartRepoUrl")) {
        const home = field(c, "chartHome") ?? chartHome;
        push(`${typeof home === "string" && home !== "" ? home : "charts"}/${name}`);
      }
    });
  }
  return out;
}

const PATH_KEYS = new Set(["path", "valuesFile", "chartHome", "configHome", "env"]);
const PATH_LIST_KEYS = new Set(["files", "envs", "additionalValuesFiles"]);

/**
 * Paths inside a generator/transformer/validator configuration file (a PatchTransformer's
 * `path`, a HelmChartInflationGenerator's `valuesFile`, a ConfigMapGenerator's `files`, …),
 * collected by key name at any depth: kustomize loads them relative to the kustomization.
 */
function configFileRefs(doc: unknown, depth = 0, out: string[] = []): string[] {
  if (depth > 20 || typeof doc !== "object" || doc === null) return out;
  for (const [key, v] of Object.entries(doc as Record<string, unknown>)) {
    if (PATH_KEYS.has(key) && typeof v === "string" && v !== "" && !v.includes("\n")) out.push(v);
    else if (PATH_LIST_KEYS.has(key) && Array.isArray(v)) {
      for (const f of v as unknown[]) if (typeof f === "string" && f !== "") out.push(f.includes("=") ? f.slice(f.indexOf("=") + 1) : f);
    } else configFileRefs(v, depth + 1, out);
  }
  return out;
}

/**
 * Walks the kustomizations reachable from `dir` and refuses any local reference that resolves
 * outside `repoRoot` (`../../base` inside the repository is fine). References that do not exist
 * are left to kustomize to report: nothing can be read through them.
 */
export async function checkKustomizationTree(repoRoot: string, dir: string, seen = new Set<string>()): Promise<void> {
  if (seen.has(dir)) return;
  seen.add(dir);
  const file = await findKustomization(dir);
  if (!file) return;
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, "utf8"), { maxAliasCount: 100 });
  } catch (err) {
    throw new RenderError(`${relative(repoRoot, file)}: invalid YAML: ${errorFirstLine(err)}`);
  }
  if (typeof doc !== "object" || doc === null) return;
  const k = doc as Record<string, unknown>;
  const where = relative(repoRoot, file) || file;
  const dirs = ["resources", "bases", "components"].flatMap((f) => (Array.isArray(k[f]) ? (k[f] as unknown[]) : [])).filter((r): r is string => typeof r === "string");
  const configs = ["generators", "transformers", "validators"].flatMap((f) => (Array.isArray(k[f]) ? (k[f] as unknown[]) : [])).filter((r): r is string => typeof r === "string" && !r.includes("\n"));
  for (const ref of [...dirs, ...fileRefs(k)]) {
    if (isRemote(ref)) continue;
    if (!ref.startsWith("/") && !(await pathExists(join(dir, ref)))) continue;
    const real = await resolveInside(repoRoot, dir, ref, `kustomize reference in ${where}`);
    if ((await stat(real)).isDirectory()) await checkKustomizationTree(repoRoot, real, seen);
    else if (configs.includes(ref)) await checkConfigFile(repoRoot, dir, real, `${where} → ${ref}`);
  }
}

/** A generator/transformer config file's own path fields, relative to the kustomization dir. */
async function checkConfigFile(repoRoot: string, dir: string, file: string, where: string): Promise<void> {
  let docs: unknown[];
  try {
    docs = parseAllDocuments(await readFile(file, "utf8")).map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
  } catch {
    return; // not YAML kustomize could use either
  }
  for (const ref of docs.flatMap((d) => configFileRefs(d))) {
    if (isRemote(ref)) continue;
    // Field paths (`spec/replicas`, `/spec/replicas`) share the key name; only what exists can be read.
    if (!(await pathExists(isAbsolute(ref) ? ref : join(dir, ref)))) continue;
    await resolveInside(repoRoot, dir, ref, `kustomize reference in ${where}`);
  }
}

export interface KustomizePluginDeps {
  settings?: ToolSettings;
  kustomizePath?: () => Promise<string>;
  helmPath?: () => Promise<string>;
}

export function createKustomizePlugin(deps: KustomizePluginDeps = {}): ConfigManagementPlugin & { name: "kustomize" } {
  const settings = deps.settings ?? {};
  const defaultBinary = deps.kustomizePath ?? (() => resolveTool("kustomize"));
  const helmPath = deps.helmPath ?? (() => resolveTool("helm"));
  return {
    name: "kustomize",
    async discover(appDir: string, source: SourceSpec): Promise<boolean> {
      const explicit = explicitTool(source);
      if (explicit) return explicit === "kustomize";
      return (await findKustomization(appDir)) !== undefined;
    },
    async generate(req: RenderRequest, ctx: PluginContext): Promise<RenderResult> {
      const o = kustomizeSourceOptions(req.source);
      const rel = relative(req.repoRoot, req.appDir) || ".";
      const appDir = await resolveInside(req.repoRoot, req.repoRoot, rel, "source path");
      await checkKustomizationTree(req.repoRoot, appDir);
      // The Application's (or .argocd-source's) patches name files relative to the source path.
      for (const p of o.patches) {
        if (typeof p.path !== "string" || p.path === "" || isRemote(p.path)) continue;
        await resolveInside(req.repoRoot, appDir, p.path, "kustomize patch path");
      }

      let binary: string;
      let buildOptions = splitBuildOptions(settings.kustomizeBuildOptions);
      if (o.version) {
        const v = settings.kustomizeVersions?.[o.version];
        if (!v?.path) throw new RenderError(`kustomize version "${o.version}" is not configured (kustomize.path.${o.version} in argocd-cm)`);
        binary = v.path;
        if (v.buildOptions !== undefined) buildOptions = splitBuildOptions(v.buildOptions);
      } else {
        binary = await defaultBinary();
      }
      const helm = buildOptions.includes("--enable-helm") ? await helmPath() : undefined;
      const pathEnv = [helm ? dirname(helm) : undefined, process.env.PATH].filter(Boolean).join(":");
      const env = baseToolEnv({ ...req.env, PATH: pathEnv });
      const run = { env, signal: ctx.signal, timeoutMs: settings.execTimeoutMs, maxStdoutBytes: settings.execMaxOutputBytes };

      // With --enable-helm kustomize pulls charts into the kustomization's charts/ directory: that
      // write must land in a private copy, never in the checkout other renders share.
      const copy = needsEdit(o) || helm ? await privateCopy(req.repoRoot, appDir) : undefined;
      try {
        const dir = copy?.appDir ?? appDir;
        if (copy) {
          if (!(await findKustomization(dir))) throw new RenderError(`${rel}: kustomize options need a kustomization file in the source path`);
          const components: string[] = [];
          for (const c of o.components) {
            // Components are contained like any other reference; missing ones may be skipped.
            const present = await pathExists(join(appDir, c));
            if (!present) {
              if (o.ignoreMissingComponents) continue;
              throw new RenderError(`kustomize component "${c}" does not exist`);
            }
            if (!isRemote(c)) await resolveInside(req.repoRoot, appDir, c, "kustomize component");
            components.push(c);
          }
          for (const args of kustomizeEditArgs({ ...o, components }, req.env)) {
            await runTool(binary, args, { ...run, cwd: dir, label: `kustomize ${args.slice(0, 3).join(" ")}` });
          }
          if (o.patches.length > 0) await appendPatches(dir, o.patches);
          // The edits changed the kustomization: check the copy as it will be built.
          if (!settings.allowOutOfBoundsSymlinks) await checkOutOfBoundsSymlinks(copy.root);
          await checkKustomizationTree(copy.root, dir);
        }
        const args = kustomizeBuildArgs(dir, { buildOptions, helmPath: helm, kubeVersion: o.kubeVersion ?? req.kubeVersion, apiVersions: o.apiVersions ?? req.apiVersions });
        // No cwd: the build names its directory, and the tool starts in the render's scratch directory.
        const { stdout } = await runTool(binary, args, { ...run, label: "kustomize build" });
        return { manifests: parseToolOutput(stdout, "kustomize build output") };
      } finally {
        await copy?.dispose();
      }
    },
  };
}

/** Argo appends the Application's patches to the kustomization's `patches` list. */
async function appendPatches(dir: string, patches: Array<Record<string, unknown>>): Promise<void> {
  const file = await findKustomization(dir);
  if (!file) return;
  const doc = (parseYaml(await readFile(file, "utf8"), { maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
  const existing = Array.isArray(doc.patches) ? (doc.patches as unknown[]) : [];
  doc.patches = [...existing, ...patches];
  await writeFile(file, stringify(doc));
}

export const kustomizePlugin = createKustomizePlugin();
