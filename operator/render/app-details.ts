// What Argo's repo-server GetAppDetails answers for a source (the UI's create panel and parameter
// tabs): which tool renders it, and that tool's parameters. Helm: the chart's name, its values
// files, values.yaml's text and every value flattened to a parameter (with the source's own
// valueFiles and parameters applied, `$ref/...` files of a multi-source app's ref sources
// included, as Argo shows them); Kustomize: the image overrides of the
// kustomization and the source (the API server answers with the built output's images instead,
// as Argo does, through containerImages); Directory: nothing; Plugin: no announced parameters. Detection is the
// renderer's own (PluginRegistry.select), on a checked-out repository.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { PluginRegistry, SourceSpec } from "../../plugins/index.js";
import { expandValueFileGlobs, resolveValueFile } from "../../plugins/helm/index.js";
import { resolveInside } from "../../plugins/paths.js";
import type { Application, ApplicationSource } from "../api/index.js";
import { IN_CLUSTER_SERVER } from "../cluster/clusters.js";
import { isRecord } from "../util/index.js";
import { fetchRepoChart, renderApplication, type RenderDeps } from "./index.js";

export interface HelmParameter { name: string; value: string; forceString?: boolean }

export interface AppDetails {
  type: "Helm" | "Kustomize" | "Directory" | "Plugin";
  helm?: { name?: string; valueFiles?: string[]; parameters?: HelmParameter[]; fileParameters?: unknown[]; values?: string };
  kustomize?: { images?: string[] };
  directory?: Record<string, never>;
  plugin?: { parametersAnnouncement?: unknown[] };
}

/** Pure: nested values as Helm `--set` names (`a.b`, `list[0]`) and their string values, sorted. */
export function flattenValues(values: unknown, prefix = ""): HelmParameter[] {
  const out: HelmParameter[] = [];
  const walk = (v: unknown, name: string): void => {
    if (Array.isArray(v)) {
      if (v.length === 0 && name) out.push({ name, value: "[]" });
      v.forEach((x, i) => walk(x, `${name}[${i}]`));
    } else if (isRecord(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0 && name) out.push({ name, value: "{}" });
      for (const k of keys) walk(v[k], name ? `${name}.${k}` : k);
    } else if (name) {
      out.push({ name, value: scalarText(v) });
    }
  };
  walk(values, prefix);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Pure: a kustomization's `images` entries in Argo's KustomizeImage form (`name=newName:newTag`, `name@digest`). */
export function kustomizeImages(kustomization: unknown): string[] {
  const images = isRecord(kustomization) && Array.isArray(kustomization.images) ? kustomization.images : [];
  const out: string[] = [];
  for (const i of images) {
    if (!isRecord(i) || typeof i.name !== "string") continue;
    let s = i.name;
    if (typeof i.newName === "string" && i.newName) s += `=${i.newName}`;
    if (typeof i.digest === "string" && i.digest) s += `@${i.digest}`;
    else if (typeof i.newTag === "string" && i.newTag) s += `:${i.newTag}`;
    out.push(s);
  }
  return out;
}

/** A YAML scalar as Helm's --set text (walk() only calls it with scalars). */
function scalarText(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" ? String(v) : "";
}

/** Pure: the container images of rendered objects (every containers / initContainers / ephemeralContainers list), in order, once each. */
export function containerImages(objects: readonly unknown[]): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { for (const x of v) walk(x); return; }
    if (!isRecord(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if ((k === "containers" || k === "initContainers" || k === "ephemeralContainers") && Array.isArray(x)) {
        for (const c of x) if (isRecord(c) && typeof c.image === "string" && c.image) out.add(c.image);
      } else walk(x);
    }
  };
  walk(objects);
  return [...out];
}

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

async function readYamlFile(path: string): Promise<unknown> {
  return parseYaml(await readFile(path, "utf8"), { maxAliasCount: 100 }) as unknown;
}

export interface DetailsOptions {
  /**
   * The checkout roots of the app's ref sources by ref name (a multi-source app's `$ref/...`
   * value files resolve into them, as the renderer's do). Without them (no app named) such
   * entries are left out, since which repository `$ref` means is unknown.
   */
  refSources?: Record<string, string>;
}

/** Details of `source` in a checkout at `repoRoot`; a path outside the repository (or a ref source) is refused. */
export async function sourceDetails(repoRoot: string, source: SourceSpec, plugins: PluginRegistry, opts: DetailsOptions = {}): Promise<AppDetails> {
  const appDir = await resolveInside(repoRoot, repoRoot, source.path || ".", "source.path");
  const plugin = await plugins.select(appDir, source);
  if (plugin.name === "helm") {
    const files = (await readdir(appDir)).sort();
    const valueFiles = files.filter((f) => /values.*\.ya?ml$/i.test(f));
    const chart = files.includes("Chart.yaml") ? await readYamlFile(join(appDir, "Chart.yaml")) : undefined;
    const valuesText = files.includes("values.yaml") ? await readFile(join(appDir, "values.yaml"), "utf8") : "";
    const helmOpts = isRecord(source.helm) ? source.helm : {};
    let merged: Record<string, unknown> = {};
    const merge = (into: Record<string, unknown>, from: unknown): Record<string, unknown> => {
      if (!isRecord(from)) return into;
      const out = { ...into };
      for (const [k, v] of Object.entries(from)) out[k] = isRecord(v) && isRecord(out[k]) ? merge(out[k], v) : v;
      return out;
    };
    if (valuesText) merged = merge(merged, parseYaml(valuesText, { maxAliasCount: 100 }));
    for (const f of Array.isArray(helmOpts.valueFiles) ? helmOpts.valueFiles : []) {
      // Remote value files are the renderer's business; files of this repository and of ref sources are read here.
      if (typeof f !== "string" || /^[a-z]+:\/\//i.test(f)) continue;
      if (f.startsWith("$")) {
        if (!opts.refSources) continue;
        // The renderer's own resolution: an unknown ref or a path out of the ref source is an
        // error; a missing file is left out, as missing files of the chart's repository are.
        const req = { repoRoot, appDir, refSources: opts.refSources };
        for (const entry of await expandValueFileGlobs(req, [f])) {
          const path = await resolveValueFile(req, entry, { schemes: [], ignoreMissing: true });
          if (path) merged = merge(merged, await readYamlFile(path));
        }
        continue;
      }
      const path = await resolveInside(repoRoot, appDir, f, "source.helm.valueFiles entry").catch(() => undefined);
      if (path) merged = merge(merged, await readYamlFile(path));
    }
    const params = new Map(flattenValues(merged).map((p) => [p.name, p]));
    for (const p of Array.isArray(helmOpts.parameters) ? helmOpts.parameters : []) {
      if (isRecord(p) && typeof p.name === "string") params.set(p.name, { name: p.name, value: scalarText(p.value), ...(p.forceString === true ? { forceString: true } : {}) });
    }
    const name = isRecord(chart) && typeof chart.name === "string" ? chart.name : undefined;
    return {
      type: "Helm",
      helm: {
        ...(name ? { name } : {}),
        ...(valueFiles.length > 0 ? { valueFiles } : {}),
        ...(params.size > 0 ? { parameters: [...params.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) } : {}),
        ...(Array.isArray(helmOpts.fileParameters) && helmOpts.fileParameters.length > 0 ? { fileParameters: helmOpts.fileParameters } : {}),
        ...(valuesText ? { values: valuesText } : {}),
      },
    };
  }
  if (plugin.name === "kustomize") {
    const files = await readdir(appDir);
    const file = KUSTOMIZATION_FILES.find((f) => files.includes(f));
    const images = file ? kustomizeImages(await readYamlFile(join(appDir, file))) : [];
    const fromSource = isRecord(source.kustomize) && Array.isArray(source.kustomize.images) ? source.kustomize.images.filter((i): i is string => typeof i === "string") : [];
    const all = [...images, ...fromSource];
    return { type: "Kustomize", kustomize: all.length > 0 ? { images: all } : {} };
  }
  if (plugin.name === "directory") return { type: "Directory", directory: {} };
  return { type: "Plugin", plugin: {} };
}

/**
 * Details of a Helm-repository source (`chart` set), as Argo's repo-server answers them: the chart
 * is fetched at the version targetRevision resolves to (the renderer's chart cache, the repository
 * Secret's credentials) and read like a chart in a checkout.
 */
export async function repoChartDetails(source: SourceSpec & ApplicationSource, deps: Pick<RenderDeps, "repos" | "settings" | "charts" | "helmCredentials" | "signal">, plugins: PluginRegistry, opts: DetailsOptions = {}): Promise<AppDetails> {
  const { chartDir } = await fetchRepoChart(source, deps);
  // The pulled chart is the whole "repository": value files resolve inside it (or a ref source).
  return sourceDetails(chartDir, { ...source, path: "" }, plugins, opts);
}

/**
 * The container images of a Kustomize source's built output (after the kustomization's own image
 * overrides and the source's), which is what Argo reports as the source's Kustomize images.
 */
export async function builtImages(source: ApplicationSource, app: { name: string; namespace: string; project: string }, deps: RenderDeps): Promise<string[]> {
  const application = {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application",
    metadata: { name: app.name, namespace: app.namespace },
    spec: { project: app.project, source, destination: { server: IN_CLUSTER_SERVER } },
  } as unknown as Application;
  const rendered = await renderApplication(application, deps);
  return containerImages(rendered.manifests);
}
