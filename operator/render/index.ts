// The renderer: an Application's sources → manifests, as Argo's repo-server GenerateManifests does
// for each source. Per source: resolve the revision, pick the plugin (explicit options, discovery,
// directory fallback), merge `.argocd-source.yaml` / `.argocd-source-<app>.yaml` overrides, and
// render. Multi-source apps render in order; `ref` sources lend their checkout root to `$ref/...`
// value files (and render only when they have a path); the results are concatenated with Argo's
// last-wins rule for repeated resources. Helm-repository charts are pulled, not checked out.
//
// Renders are cached by everything that can change the output: repo URL, commit (or, with the
// `argocd.argoproj.io/manifest-generate-paths` annotation and a RepoSource that can hash trees,
// the tree hashes of those paths), path, tool options after overrides, plugin, kube version and
// API versions, app identity and destination namespace, and the commits of ref sources.
import { join, posix } from "node:path";
import { parse as parseYaml } from "yaml";
import type { Application, ApplicationSource } from "../api/index.js";
import { buildEnv } from "../../plugins/buildenv.js";
import { createChartCache, helmPlugin as defaultHelmPlugin } from "../../plugins/helm/index.js";
import { chartNameProblem, ociReferenceProblem } from "../../plugins/helm/args.js";
import { listRepoCharts, ociChartVersion, pickChartVersion, resolveChartVersion, type ChartRepoAuth } from "../../plugins/helm/repo.js";
import type { PluginRegistry } from "../../plugins/index.js";
import { symlinkVerdicts } from "../../plugins/containment.js";
import { resolveInside } from "../../plugins/paths.js";
import { withRenderScope } from "../../plugins/sandbox.js";
import { RenderError, type ConfigManagementPlugin, type Manifest, type SourceSpec, type ToolSettings } from "../../plugins/types.js";
import { FileTooLargeError, type Checkout, type RepoSource } from "../git/types.js";
import type { Logger } from "../runtime/logger.js";
import { redact, redactUrl } from "../runtime/redact.js";
import { deduplicate, hashKey, applyMergePatch } from "./merge.js";
import { errorFirstLine, errorMessage } from "../util/index.js";

export { deduplicate, applyMergePatch } from "./merge.js";

export const MANIFEST_GENERATE_PATHS_ANNOTATION = "argocd.argoproj.io/manifest-generate-paths";
export const REPEATED_RESOURCE_WARNING = "RepeatedResourceWarning";

export type SourceType = "Helm" | "Kustomize" | "Directory" | "Plugin";

/**
 * Settings are part of every cache key. Build the plugin registry with the same ToolSettings
 * (`builtinPlugins(settings)`), since the built-in plugins read them when they are created.
 */
export interface RenderSettings extends ToolSettings {
  /** Tools turned off in argocd-cm (`helm.enable: false` → "helm", …). */
  disabledTools?: string[];
}

export interface RenderInfo {
  appName: string;
  sourceIndex: number;
  plugin: string;
  key: string;
}

export interface RenderDeps {
  repos: RepoSource;
  plugins: PluginRegistry;
  settings?: RenderSettings;
  /** The destination cluster's version (e.g. "1.36.3") and API versions, for Capabilities. */
  kubeVersion?: string;
  apiVersions?: string[];
  cache?: RenderCache;
  /** Pulls Helm-repository charts; a shared default is used when absent. */
  charts?: ReturnType<typeof createChartCache>;
  /**
   * Credentials for a Helm repository, if any. Default: the repository Secrets known to `repos`
   * (RepoSource.credentialsFor), as Argo uses `type: helm` repository Secrets.
   */
  helmCredentials?: (repoURL: string) => Promise<ChartRepoAuth | undefined>;
  log?: Logger;
  signal?: AbortSignal;
  /**
   * Checks each git source's resolved commit before anything of it is read or rendered, cached
   * renders included (the project's signatureKeys); it throws to refuse. Helm-repository charts
   * have no commit and are not checked, as in Argo.
   */
  verifyCommit?: (repoURL: string, commit: string) => Promise<void>;
  /** Called once per source actually rendered (not served from the cache). */
  onRender?: (info: RenderInfo) => void;
}

export interface RenderedSource {
  /** Commit SHA, or the chart version for a Helm-repository chart. */
  revision: string;
  /** Undefined for a `ref` source without a path (it renders nothing). */
  sourceType?: SourceType;
  plugin?: string;
  cached: boolean;
}

export interface RenderOutput {
  manifests: Manifest[];
  sources: RenderedSource[];
  revisions: string[];
  sourceTypes: Array<SourceType | undefined>;
  /** Messages for a RepeatedResourceWarning condition. */
  repeatedResourceWarnings: string[];
  /** Everything the user should see (repeated resources and plugin warnings). */
  warnings: string[];
}

interface CacheEntry { manifests: Manifest[]; warnings: string[]; plugin?: string }

/**
 * An LRU of rendered sources; concurrent renders of one key share the work. Bounded by entries and
 * by the manifests they hold together: a controller's cache must hold an entry per app source (or
 * every refresh at a new commit re-renders apps manifest-generate-paths says are unchanged), while a
 * few huge charts must not hold the memory of thousands of small apps.
 */
export class RenderCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<CacheEntry>>();
  private manifests = 0;
  constructor(private readonly maxEntries = 500, private readonly maxManifests = Infinity) {}

  get size(): number { return this.entries.size; }
  /** Manifests held by all entries. */
  get manifestCount(): number { return this.manifests; }

  async getOrRender(key: string, render: () => Promise<CacheEntry>, opts: { bypass?: boolean } = {}): Promise<{ entry: CacheEntry; cached: boolean }> {
    const hit = opts.bypass ? undefined : this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return { entry: hit, cached: true };
    }
    let p = this.inflight.get(key);
    const shared = p !== undefined;
    if (!p) {
      p = render();
      this.inflight.set(key, p);
    }
    try {
      const entry = await p;
      if (!shared) {
        const prev = this.entries.get(key);
        if (prev) this.manifests -= prev.manifests.length;
        this.entries.set(key, entry);
        this.manifests += entry.manifests.length;
        // The newest entry stays even when it alone exceeds the manifest budget.
        while (this.entries.size > 1 && (this.entries.size > this.maxEntries || this.manifests > this.maxManifests)) {
          const oldest = this.entries.entries().next().value;
          if (oldest === undefined) break;
          this.entries.delete(oldest[0]);
          this.manifests -= oldest[1].manifests.length;
        }
      }
      return { entry, cached: shared };
    } finally {
      if (!shared) this.inflight.delete(key);
    }
  }

  clear(): void { this.entries.clear(); this.manifests = 0; }
}

const defaultCache = new RenderCache();
let defaultCharts: ReturnType<typeof createChartCache> | undefined;

function sourceTypeOf(plugin: string): SourceType {
  if (plugin === "helm") return "Helm";
  if (plugin === "kustomize") return "Kustomize";
  if (plugin === "directory") return "Directory";
  return "Plugin";
}

/** Source path normalised as Argo shows it (`.` for the root); refuses absolute paths. */
function sourcePath(source: ApplicationSource): string {
  const p = (source.path ?? "").trim();
  if (p.startsWith("/")) throw new RenderError(`source path "${p}" must be relative to the repository root`);
  return posix.normalize(p === "" ? "." : p);
}

/** Paths from the manifest-generate-paths annotation, relative to the repo root. */
export function manifestGeneratePaths(annotation: string | undefined, appPath: string): string[] | undefined {
  if (!annotation || annotation.trim() === "") return undefined;
  const out: string[] = [];
  for (const raw of annotation.split(";")) {
    const p = raw.trim();
    if (p === "") continue;
    const rel = p.startsWith("/") ? posix.normalize(p.slice(1) || ".") : posix.normalize(posix.join(appPath, p));
    // A path outside the repository can't be hashed; fall back to keying by commit.
    if (rel === ".." || rel.startsWith("../")) return undefined;
    out.push(rel);
  }
  return out.length > 0 ? out.sort() : undefined;
}

/** `.argocd-source*.yaml` files are small; a larger one is refused before it is read. */
const MAX_OVERRIDE_BYTES = 1024 * 1024;

async function readOverride(repos: RepoSource, repoURL: string, commit: string, path: string, signal?: AbortSignal): Promise<unknown> {
  let buf: Buffer | undefined;
  try {
    const opts = { signal, maxBytes: MAX_OVERRIDE_BYTES };
    buf = repos.readFileIfPresent ? await repos.readFileIfPresent(repoURL, commit, path, opts) : await repos.readFile(repoURL, commit, path, opts);
  } catch (err) {
    if (err instanceof FileTooLargeError) throw new RenderError(`${path}: larger than the 1 MiB limit for parameter overrides`);
    return undefined; // Unreadable is treated as absent: the render itself then says what is wrong.
  }
  if (buf === undefined) return undefined; // Absent (the common case).
  // A RepoSource that cannot check sizes first still gets the limit applied.
  if (buf.length > MAX_OVERRIDE_BYTES) throw new RenderError(`${path}: larger than the 1 MiB limit for parameter overrides`);
  try {
    return parseYaml(buf.toString("utf8"), { maxAliasCount: 100 }) as unknown;
  } catch (err) {
    throw new RenderError(`${path}: invalid YAML: ${errorFirstLine(err)}`);
  }
}

/** The source's tool blocks: all an override file may change. */
const OVERRIDE_TOOL_KEYS = ["helm", "kustomize", "directory", "plugin"] as const;

/**
 * Argo's mergeSourceParameters: `.argocd-source.yaml`, then `.argocd-source-<app>.yaml` (and the
 * `<namespace>_<app>` spelling), merged into the source as JSON merge patches. Only the tool
 * blocks are taken from the result (Argo: "only config management tools related properties are
 * used"): repoURL, path, chart, targetRevision, ref and name stay the spec's.
 */
export async function applyOverrides(repos: RepoSource, source: ApplicationSource, commit: string, app: { name: string; namespace: string }, signal?: AbortSignal): Promise<{ source: ApplicationSource; overrides: unknown[] }> {
  const dir = sourcePath(source);
  const names = [".argocd-source.yaml", `.argocd-source-${app.name}.yaml`, `.argocd-source-${app.namespace}_${app.name}.yaml`];
  let merged: unknown = source;
  const overrides: unknown[] = [];
  for (const name of names) {
    const doc = await readOverride(repos, source.repoURL, commit, dir === "." ? name : `${dir}/${name}`, signal);
    if (doc === undefined || doc === null) continue;
    if (typeof doc !== "object" || Array.isArray(doc)) throw new RenderError(`${name}: must be a mapping of tool options`);
    overrides.push(doc);
    merged = applyMergePatch(merged, doc);
  }
  if (overrides.length === 0) return { source, overrides };
  const out: Record<string, unknown> = { ...source };
  const tools = merged as Record<string, unknown>;
  for (const k of OVERRIDE_TOOL_KEYS) {
    // A key the files set to null is gone from the merge result, so gone from the source too.
    if (tools[k] === undefined) delete out[k];
    else out[k] = tools[k];
  }
  return { source: out as unknown as ApplicationSource, overrides };
}

function appSources(app: Application): ApplicationSource[] {
  const spec = app.spec;
  if (spec.sources && spec.sources.length > 0) return spec.sources;
  if (spec.source) return [spec.source];
  throw new RenderError("the application has no source");
}

/**
 * Renders every source of `app`. `opts.revisions` pins sources to revisions (a sync to a given
 * revision); otherwise each source's targetRevision is resolved.
 */
/**
 * `refresh` re-lists the repository's refs instead of trusting the short-lived listing cache (a
 * refresh annotation or a webhook); `hard` also ignores cached renders (Argo's hard refresh).
 *
 * Every tool the render runs (chart version lookups included) runs in one render sandbox scope:
 * a scratch directory removed when the render ends, and one output budget (plugins/sandbox.ts).
 */
export function renderApplication(app: Application, deps: RenderDeps, opts: { revisions?: Array<string | undefined>; refresh?: boolean; hard?: boolean } = {}): Promise<RenderOutput> {
  return withRenderScope(() => renderInScope(app, deps, opts));
}

async function renderInScope(app: Application, deps: RenderDeps, opts: { revisions?: Array<string | undefined>; refresh?: boolean; hard?: boolean }): Promise<RenderOutput> {
  const sources = appSources(app);
  const appName = app.metadata?.name ?? "";
  const appNamespace = app.metadata?.namespace ?? "";
  const destNamespace = app.spec.destination.namespace ?? "";
  const project = app.spec.project || "default";
  const cache = deps.cache ?? defaultCache;
  const disabled = new Set(deps.settings?.disabledTools ?? []);
  const annotations = app.metadata?.annotations ?? {};
  const isHelmRepo = (s: ApplicationSource): boolean => !!s.chart;
  const helmCredentials = deps.helmCredentials ?? ((url: string) => helmAuthWithTrust(deps.repos, url));
  const caFor = async (url: string): Promise<string | undefined> => {
    const ca = await deps.repos.caCertFor?.(url);
    if (ca && "error" in ca) throw new RenderError(`cannot verify the TLS certificate of ${redactUrl(url)}: ${ca.error}`);
    return ca?.pem;
  };

  // Resolve every revision first: ref sources must be known before the sources that use them.
  const revisions: string[] = [];
  for (const [i, s] of sources.entries()) {
    const pinned = opts.revisions?.[i];
    if (isHelmRepo(s)) {
      if (disabled.has("helm")) throw new RenderError("manifest generation with helm is disabled");
      const url = chartRepoURL(deps.repos, s.repoURL);
      const bad = chartNameProblem(s.chart!, url.startsWith("oci://"));
      if (bad) throw new RenderError(`source ${i + 1}: chart ${bad}`);
      const creds = await helmCredentials(s.repoURL);
      revisions.push(await resolveChartVersion(url, s.chart!, pinned ?? s.targetRevision, creds ?? {}, deps.signal));
    } else {
      revisions.push(await deps.repos.resolveRevision(s.repoURL, pinned ?? s.targetRevision, {
        ...(s.tagPrefix ? { tagPrefix: s.tagPrefix } : {}), signal: deps.signal, ...(opts.refresh || opts.hard ? { force: true } : {}),
      }));
    }
  }

  if (deps.verifyCommit) {
    for (const [i, s] of sources.entries()) if (!isHelmRepo(s)) await deps.verifyCommit(s.repoURL, revisions[i]!);
  }

  const checkouts = new Map<string, Promise<Checkout>>();
  const checkout = (repoURL: string, commit: string): Promise<Checkout> => {
    const k = `${repoURL}\u0000${commit}`;
    let c = checkouts.get(k);
    if (!c) {
      c = deps.repos.checkout(repoURL, commit, { signal: deps.signal });
      checkouts.set(k, c);
    }
    return c;
  };

  // Every tree a tool may read (a source's checkout, a ref source's root) passes the
  // out-of-bounds symlink check first; the verdict is kept per commit.
  const containedCheckout = async (repoURL: string, commit: string): Promise<Checkout> => {
    const co = await checkout(repoURL, commit);
    if (!deps.settings?.allowOutOfBoundsSymlinks) {
      // Only an immutable commit may share a verdict; anything else (a --local directory) walks.
      const key = /^[0-9a-f]{40,64}$/.test(co.commit) ? `git\u0000${repoURL}\u0000${co.commit}\u0000${co.path}` : undefined;
      await symlinkVerdicts.check(co.path, key);
    }
    return co;
  };

  const refs = new Map<string, { repoURL: string; commit: string }>();
  sources.forEach((s, i) => {
    if (s.ref) {
      if (isHelmRepo(s)) throw new RenderError(`source ${i + 1}: a ref source may not set chart`);
      refs.set(s.ref, { repoURL: s.repoURL, commit: revisions[i]! });
    }
  });
  const refKey = [...refs].map(([name, r]) => [name, r.repoURL, r.commit]).sort();

  try {
    const rendered: RenderedSource[] = [];
    const all: Manifest[] = [];
    const pluginWarnings: string[] = [];
    for (const [i, original] of sources.entries()) {
      const revision = revisions[i]!;
      if (original.ref && !original.path) {
        rendered.push({ revision, cached: false });
        continue;
      }
      const refRoots = async (): Promise<Record<string, string>> => {
        const roots: Record<string, string> = {};
        for (const [name, r] of refs) roots[name] = (await containedCheckout(r.repoURL, r.commit)).path;
        return roots;
      };
      const result = isHelmRepo(original)
        ? await renderHelmRepoSource(original, revision, i, refRoots)
        : await renderGitSource(original, revision, i, refRoots);
      rendered.push(result.info);
      all.push(...result.entry.manifests.map((m) => structuredClone(m)));
      pluginWarnings.push(...result.entry.warnings);
    }
    const { manifests, warnings: repeated } = deduplicate(all, destNamespace);
    return {
      manifests,
      sources: rendered,
      revisions: rendered.map((r) => r.revision),
      sourceTypes: rendered.map((r) => r.sourceType),
      repeatedResourceWarnings: repeated,
      warnings: [...repeated, ...pluginWarnings],
    };
  } finally {
    for (const c of checkouts.values()) c.then((x) => x.release(), () => undefined);
  }

  async function renderHelmRepoSource(source: ApplicationSource, version: string, index: number, refRoots: () => Promise<Record<string, string>>): Promise<{ entry: CacheEntry; info: RenderedSource }> {
    const plugin = deps.plugins.get("helm") ?? defaultHelmPlugin;
    const kube = { kubeVersion: deps.kubeVersion, apiVersions: deps.apiVersions };
    const key = hashKey({ kind: "helm-repo", repoURL: source.repoURL, chart: source.chart, version, helm: source.helm, refKey, kube, appName, appNamespace, destNamespace, project, settings: deps.settings ?? {}, plugin: plugin.name });
    const { entry, cached } = await cache.getOrRender(key, async () => {
      const chartDir = await pullChart(source, version, { ...deps, helmCredentials });
      deps.onRender?.({ appName, sourceIndex: index, plugin: plugin.name, key });
      const env = buildEnv({ appName, appNamespace, project, revision: version, sourcePath: "", repoURL: source.repoURL, targetRevision: source.targetRevision ?? "", ...kube });
      return run(plugin, { repoRoot: chartDir, appDir: chartDir, source: source as SourceSpec, revision: version, env, refSources: await refRoots() });
    }, { bypass: opts.hard });
    return { entry, info: { revision: version, sourceType: "Helm", plugin: plugin.name, cached } };
  }

  async function renderGitSource(original: ApplicationSource, commit: string, index: number, refRoots: () => Promise<Record<string, string>>): Promise<{ entry: CacheEntry; info: RenderedSource }> {
    const path = sourcePath(original);
    const { source, overrides } = await applyOverrides(deps.repos, original, commit, { name: appName, namespace: appNamespace }, deps.signal);
    const kube = { kubeVersion: deps.kubeVersion, apiVersions: deps.apiVersions };
    // With manifest-generate-paths, unchanged paths mean unchanged input even at a new commit.
    let content: unknown = commit;
    const paths = manifestGeneratePaths(annotations[MANIFEST_GENERATE_PATHS_ANNOTATION], path);
    if (paths && deps.repos.treeHash) {
      const hashes: Array<[string, string | null]> = [];
      for (const p of paths) hashes.push([p, (await deps.repos.treeHash(original.repoURL, commit, p, { signal: deps.signal })) ?? null]);
      content = { paths: hashes };
    }
    const toolOptions = { helm: source.helm, kustomize: source.kustomize, directory: source.directory, plugin: source.plugin };
    const variant = deps.repos.checkoutVariant?.(original.repoURL) ?? "";
    const key = hashKey({ kind: "git", repoURL: original.repoURL, content, variant, path, toolOptions, overrides, refKey, kube, appName, appNamespace, destNamespace, project, settings: deps.settings ?? {}, plugins: deps.plugins.names() });
    let pluginName: string | undefined;
    const { entry, cached } = await cache.getOrRender(key, async () => {
      const co = await containedCheckout(original.repoURL, commit);
      const appDir = await resolveInside(co.path, co.path, path, "source path");
      const plugin = await deps.plugins.select(appDir, source as SourceSpec, { disabled });
      pluginName = plugin.name;
      deps.onRender?.({ appName, sourceIndex: index, plugin: plugin.name, key });
      const env = buildEnv({ appName, appNamespace, project, revision: commit, sourcePath: path, repoURL: original.repoURL, targetRevision: original.targetRevision ?? "", ...kube });
      const entry = await run(plugin, { repoRoot: co.path, appDir: join(co.path, path), source: source as SourceSpec, revision: commit, env, refSources: await refRoots() });
      return { ...entry, plugin: plugin.name };
    }, { bypass: opts.hard });
    const name = pluginName ?? entry.plugin ?? "directory";
    return { entry, info: { revision: commit, sourceType: sourceTypeOf(name), plugin: name, cached } };
  }

  async function run(plugin: ConfigManagementPlugin, r: { repoRoot: string; appDir: string; source: SourceSpec; revision: string; env: Record<string, string>; refSources: Record<string, string> }): Promise<CacheEntry> {
    const log = deps.log?.child({ application: appName, plugin: plugin.name });
    const out = await plugin.generate({
      appName, appNamespace, project, destinationNamespace: destNamespace, kubeVersion: deps.kubeVersion, apiVersions: deps.apiVersions, ...r,
    }, { log: log ?? silentLogger, signal: deps.signal, caFor });
    return { manifests: out.manifests, warnings: out.warnings ?? [] };
  }
}

type ChartDeps = Pick<RenderDeps, "repos" | "settings" | "charts" | "helmCredentials" | "signal">;

/**
 * Pulls a Helm-repository source's chart at an exact version into the chart cache (the controller's
 * shared one unless `deps.charts` is given) with the repository Secret's credentials, and checks
 * it like a checkout; returns the unpacked chart directory.
 */
async function pullChart(source: ApplicationSource, version: string, deps: ChartDeps): Promise<string> {
  const creds = await (deps.helmCredentials ?? ((url: string) => helmAuthWithTrust(deps.repos, url)))(source.repoURL);
  defaultCharts ??= createChartCache({ dir: deps.settings?.helmChartCacheDir, timeoutMs: deps.settings?.execTimeoutMs });
  const charts = deps.charts ?? defaultCharts;
  const chartDir = await charts.pull({ repoURL: chartRepoURL(deps.repos, source.repoURL), chart: source.chart!, version, ...creds, passCredentials: source.helm?.passCredentials }, deps.signal);
  // A pulled chart is checked like a checkout (the cache dir is keyed by repo, chart, version).
  if (!deps.settings?.allowOutOfBoundsSymlinks) await symlinkVerdicts.check(chartDir, `chart\u0000${chartDir}`);
  return chartDir;
}

/** A Helm-repository source's chart version, or the field that is wrong and why. */
export type RepoChartCheck = { version: string } | { field: "repoURL" | "chart" | "targetRevision"; message: string };

/**
 * Resolves a Helm-repository source (`chart` set) to an exact chart version, or says which field
 * is wrong: a registry reference or chart name that cannot be one (checked before any network
 * call), a repository that does not answer, a chart it does not list, a targetRevision no listed
 * version satisfies. Unlike a render, an exact version must be in the index too. An OCI registry
 * has no index: helm asks the registry for the chart at that version. Messages carry no
 * credentials.
 */
export async function checkRepoChart(source: ApplicationSource, deps: ChartDeps): Promise<RepoChartCheck> {
  const chart = source.chart ?? "";
  const rev = source.targetRevision?.trim() ?? "";
  const url = chartRepoURL(deps.repos, source.repoURL);
  const oci = url.startsWith("oci://");
  if (oci) {
    const bad = ociReferenceProblem(url);
    if (bad) return { field: "repoURL", message: `the OCI registry reference ${bad}` };
  }
  const bad = chartNameProblem(chart, oci);
  if (bad) return { field: "chart", message: bad };
  let creds: ChartRepoAuth | undefined;
  try {
    creds = await (deps.helmCredentials ?? ((u: string) => helmAuthWithTrust(deps.repos, u)))(source.repoURL);
  } catch (err) {
    return { field: "repoURL", message: redact(errorMessage(err)) };
  }
  if (oci) {
    try {
      return { version: await withRenderScope(() => ociChartVersion(url, chart, rev, creds ?? {}, deps.signal)) };
    } catch (err) {
      const msg = redact(errorMessage(err));
      // helm says "not found" for a missing chart or tag; anything else is the registry itself.
      const missing = /not found|manifest unknown|\b404\b/i.test(msg);
      return missing
        ? { field: "targetRevision", message: `chart "${chart}" version "${rev || "latest"}" not found in OCI registry ${redactUrl(url)}: ${msg}` }
        : { field: "repoURL", message: `OCI registry ${redactUrl(url)} is not accessible: ${msg}` };
    }
  }
  let index: Record<string, string[]>;
  try {
    index = await listRepoCharts(url, creds ?? {}, deps.signal);
  } catch (err) {
    return { field: "repoURL", message: redact(errorMessage(err)) };
  }
  // Own keys only: a chart named "constructor" must not find Object's.
  const versions = Object.hasOwn(index, chart) ? index[chart]! : undefined;
  if (!versions) return { field: "chart", message: `chart "${chart}" not found in Helm repository ${redactUrl(url)}` };
  const version = pickChartVersion(versions, rev);
  if (!version) return { field: "targetRevision", message: `no version of chart "${chart}" in Helm repository ${redactUrl(url)} matches "${rev || "*"}" (available: ${versions.slice(0, 10).join(", ") || "none"})` };
  return { version };
}

/**
 * The chart of a Helm-repository source, fetched as a render fetches it (checkRepoChart, then the
 * pull into the chart cache). For the API's and notifications' app details.
 */
export function fetchRepoChart(source: ApplicationSource, deps: ChartDeps): Promise<{ version: string; chartDir: string }> {
  // One render scope: the pull gets scratch space removed afterwards; the chart cache lives outside it.
  return withRenderScope(async () => {
    if (!source.chart) throw new RenderError("the source has no chart");
    if (deps.settings?.disabledTools?.includes("helm")) throw new RenderError("manifest generation with helm is disabled");
    const checked = await checkRepoChart(source, deps);
    if (!("version" in checked)) throw new RenderError(`source.${checked.field}: ${checked.message}`);
    return { version: checked.version, chartDir: await pullChart(source, checked.version, deps) };
  });
}

/** Helm repository credentials from the repository Secrets `repos` knows (username/password, TLS). */
export function helmAuthFromSecrets(repos: RepoSource, repoURL: string): ChartRepoAuth | undefined {
  const c = repos.credentialsFor?.(repoURL);
  if (!c) return undefined;
  const auth: ChartRepoAuth = {};
  if (c.username !== undefined) auth.username = c.username;
  if (c.password !== undefined) auth.password = c.password;
  if (c.insecure) auth.insecureSkipTLSVerify = true;
  if (c.insecureOCIForceHttp) auth.plainHttp = true;
  if (c.tlsClientCertData && c.tlsClientCertKey) {
    auth.tlsClientCertData = c.tlsClientCertData;
    auth.tlsClientCertKey = c.tlsClientCertKey;
  }
  return auth;
}

/**
 * helmAuthFromSecrets plus the CA argocd-tls-certs-cm configures for the repository's host, as git
 * https repositories get it. An unusable entry fails the render rather than trusting the system CAs.
 */
export async function helmAuthWithTrust(repos: RepoSource, repoURL: string): Promise<ChartRepoAuth | undefined> {
  const auth = helmAuthFromSecrets(repos, repoURL);
  const url = chartRepoURL(repos, repoURL);
  if (!/^(https|oci):\/\//i.test(url) || !repos.caCertFor) return auth;
  const ca = await repos.caCertFor(url);
  if (!ca) return auth;
  if ("error" in ca) throw new RenderError(`cannot verify the TLS certificate of Helm repository ${redactUrl(url)}: ${ca.error}`);
  return { ...auth, caData: ca.pem };
}

/** A Helm repository Secret with `enableOCI` names a registry without the oci:// scheme. */
export function chartRepoURL(repos: RepoSource, repoURL: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(repoURL)) return repoURL;
  return repos.credentialsFor?.(repoURL)?.enableOCI ? `oci://${repoURL}` : repoURL;
}

const noop = (): void => undefined;
const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger, enabled: () => false, setLevel: noop };
