// The helm plugin: `helm template` with the Go-built helm v3, the way Argo CD's repo-server runs
// it. Value files are resolved and contained here (relative to the source path, `$ref/...` into a
// ref source's root, or a URL with an allowed scheme), inline values go in a temporary file after
// them, and parameters become `--set`/`--set-string`, so helm itself applies Argo's precedence.
// Charts whose dependencies are missing from charts/ get `helm dependency build` on a private copy.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { resolveTool } from "../../operator/tools/index.js";
import { redactUrl, registerSecret } from "../../operator/runtime/redact.js";
import { checkOutOfBoundsSymlinks } from "../containment.js";
import { privateCopy } from "../copy.js";
import { compileLooseDoublestar, hasDoublestarMeta } from "../../operator/util/glob.js";
import { explicitTool } from "../detect.js";
import { baseToolEnv, runTool } from "../exec.js";
import { scratchDir, sandboxTmpBase } from "../sandbox.js";
import { parseToolOutput } from "../tool-output.js";
import { resolveInside, pathExists } from "../paths.js";
import { RenderError, type ConfigManagementPlugin, type PluginContext, type RenderRequest, type RenderResult, type SourceSpec, type ToolSettings } from "../types.js";
import { helmPullArgs, helmTemplateArgs, type HelmTemplateOptions } from "./args.js";
import { ociHelmEnv } from "./repo.js";
import { errorMessage } from "../../operator/util/index.js";

export { helmPullArgs, helmTemplateArgs, cleanSetParameter } from "./args.js";

const DEFAULT_SCHEMES = ["http", "https"];

interface HelmSourceOptions {
  valueFiles: string[];
  ignoreMissingValueFiles: boolean;
  values?: string;
  valuesObject?: Record<string, unknown>;
  parameters: Array<{ name: string; value: string; forceString?: boolean }>;
  fileParameters: Array<{ name: string; path: string }>;
  releaseName?: string;
  namespace?: string;
  passCredentials: boolean;
  skipCrds: boolean;
  skipTests: boolean;
  skipSchemaValidation: boolean;
  kubeVersion?: string;
  apiVersions?: string[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const bool = (v: unknown): boolean => v === true;

export function helmSourceOptions(source: SourceSpec): HelmSourceOptions {
  const h = source.helm ?? {};
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
  const rec = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {});
  const vo = h.valuesObject;
  return {
    valueFiles: list(h.valueFiles).filter((v): v is string => typeof v === "string" && v !== ""),
    ignoreMissingValueFiles: bool(h.ignoreMissingValueFiles),
    values: str(h.values),
    valuesObject: typeof vo === "object" && vo !== null && !Array.isArray(vo) ? (vo as Record<string, unknown>) : undefined,
    parameters: list(h.parameters).map(rec).filter((p) => typeof p.name === "string" && p.name !== "")
      .map((p) => ({ name: p.name as string, value: str(p.value) ?? "", forceString: bool(p.forceString) })),
    fileParameters: list(h.fileParameters).map(rec).filter((p) => typeof p.name === "string" && typeof p.path === "string")
      .map((p) => ({ name: p.name as string, path: p.path as string })),
    releaseName: str(h.releaseName) || undefined,
    namespace: str(h.namespace) || undefined,
    passCredentials: bool(h.passCredentials),
    skipCrds: bool(h.skipCrds),
    skipTests: bool(h.skipTests),
    skipSchemaValidation: bool(h.skipSchemaValidation),
    kubeVersion: str(h.kubeVersion) || undefined,
    apiVersions: Array.isArray(h.apiVersions) ? (h.apiVersions as unknown[]).filter((v): v is string => typeof v === "string") : undefined,
  };
}


/**
 * Resolves one `valueFiles` entry to an argument for `--values`: an allowed URL as is, a
 * `$ref/...` path inside that ref source, anything else inside the repository relative to the
 * source path. Returns undefined for a missing file when missing files are ignored.
 */
export async function resolveValueFile(
  req: Pick<RenderRequest, "repoRoot" | "appDir" | "refSources">, entry: string, opts: { schemes: string[]; ignoreMissing: boolean },
): Promise<string | undefined> {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(entry)?.[1];
  if (scheme) {
    if (!opts.schemes.includes(scheme.toLowerCase())) throw new RenderError(`value file "${entry}": the URL scheme "${scheme}" is not allowed (allowed: ${opts.schemes.join(", ")})`);
    return entry;
  }
  let root = req.repoRoot;
  let base = req.appDir;
  let path = entry;
  if (entry.startsWith("$")) {
    const slash = entry.indexOf("/");
    const ref = entry.slice(1, slash < 0 ? undefined : slash);
    const refRoot = req.refSources?.[ref];
    if (!refRoot) throw new RenderError(`value file "${entry}": no source with ref "${ref}" in this application`);
    root = refRoot;
    base = refRoot;
    path = slash < 0 ? "." : entry.slice(slash + 1);
  }
  if (isAbsolute(path)) throw new RenderError(`value file "${entry}" is an absolute path; only paths inside the repository are allowed`);
  // Containment first (lexically, then after following symlinks), existence second, so a
  // missing-but-escaping path is still reported as escaping.
  const lexical = resolve(base, path);
  if (!(await pathExists(lexical))) {
    await resolveInsideLexical(root, lexical, entry);
    if (opts.ignoreMissing) return undefined;
    throw new RenderError(`value file "${entry}" does not exist`);
  }
  return resolveInside(root, base, path, "value file");
}

const MAX_GLOB_FILES = 10_000;

/**
 * Argo 3.6: value files may be doublestar patterns (`*`, `**`), expanded in lexical order. The
 * walk starts at the pattern's literal prefix, which must be inside the repository (or ref root);
 * every match is then resolved like a plain entry. A pattern matching nothing stays as written, so
 * it is reported missing (or skipped with ignoreMissingValueFiles).
 */
export async function expandValueFileGlobs(req: Pick<RenderRequest, "repoRoot" | "appDir" | "refSources">, entries: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const entry of entries) {
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(entry) || !hasDoublestarMeta(entry)) {
      out.push(entry);
      continue;
    }
    let root = req.repoRoot;
    let base = req.appDir;
    let prefix = "";
    let pattern = entry;
    if (entry.startsWith("$")) {
      const slash = entry.indexOf("/");
      const ref = entry.slice(1, slash < 0 ? undefined : slash);
      const refRoot = req.refSources?.[ref];
      if (!refRoot || slash < 0) {
        out.push(entry);
        continue;
      }
      root = refRoot;
      base = refRoot;
      prefix = entry.slice(0, slash + 1);
      pattern = entry.slice(slash + 1);
    }
    if (isAbsolute(pattern)) {
      out.push(entry);
      continue;
    }
    const segments = pattern.split("/");
    const firstGlob = segments.findIndex((seg) => hasDoublestarMeta(seg));
    const staticPart = segments.slice(0, firstGlob).join("/") || ".";
    const rest = segments.slice(firstGlob).join("/");
    if (!(await pathExists(resolve(base, staticPart)))) {
      out.push(entry); // reported (or skipped) as a missing file, after the containment check
      continue;
    }
    const dir = await resolveInside(root, base, staticPart, `value file pattern "${entry}":`);
    const re = compileLooseDoublestar(rest);
    const matches: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (matches.length >= MAX_GLOB_FILES) return;
        const p = join(d, e.name);
        if (e.isDirectory()) {
          if (e.name !== ".git") await walk(p);
        } else if (re.test(relative(dir, p))) matches.push(relative(dir, p));
      }
    };
    await walk(dir);
    if (matches.length === 0) {
      out.push(entry);
      continue;
    }
    const staticPrefix = staticPart === "." ? "" : `${staticPart}/`;
    for (const m of matches.sort()) out.push(`${prefix}${staticPrefix}${m}`);
  }
  return out;
}

async function resolveInsideLexical(root: string, lexical: string, entry: string): Promise<void> {
  const rel = relative(resolve(root), lexical);
  if (rel === ".." || rel.startsWith("../") || isAbsolute(rel)) throw new RenderError(`value file "${entry}" resolves outside the repository`);
  // A missing file may still sit below a symlinked directory pointing out.
  let dir = lexical;
  while (dir.length > resolve(root).length) {
    dir = resolve(dir, "..");
    if (await pathExists(dir)) {
      await resolveInside(root, root, relative(resolve(root), dir) || ".", `value file "${entry}":`);
      return;
    }
  }
}

interface ChartDependency { name: string; repository?: string }

/** A `file://` dependency names a chart directory relative to the chart; it must stay inside. */
async function checkLocalDependencies(repoRoot: string, chartDir: string, deps: ChartDependency[]): Promise<void> {
  for (const d of deps) {
    if (!d.repository?.startsWith("file://")) continue;
    const where = `chart dependency "${d.name}": repository "${d.repository}"`;
    const path = d.repository.slice("file://".length);
    if (isAbsolute(path)) throw new RenderError(`${where} is an absolute path; only paths inside the repository are allowed`);
    const rel = relative(resolve(repoRoot), resolve(chartDir, path));
    // Refused whether or not it exists; a missing chart inside is helm's to report.
    if (rel === ".." || rel.startsWith("../")) throw new RenderError(`${where} resolves outside the repository`);
    if (!(await pathExists(resolve(chartDir, path)))) continue;
    try {
      await resolveInside(repoRoot, chartDir, path, "path");
    } catch (err) {
      throw new RenderError(`${where}: ${errorMessage(err)}`);
    }
  }
}

async function chartDependencies(chartDir: string): Promise<ChartDependency[]> {
  const deps: ChartDependency[] = [];
  for (const file of ["Chart.yaml", "requirements.yaml"]) {
    let text: string;
    try {
      text = await readFile(join(chartDir, file), "utf8");
    } catch {
      continue;
    }
    const doc = parseYaml(text, { maxAliasCount: 100 }) as { dependencies?: unknown } | null;
    for (const d of Array.isArray(doc?.dependencies) ? (doc.dependencies as unknown[]) : []) {
      const rec = d as Record<string, unknown>;
      if (typeof rec.name === "string") deps.push({ name: rec.name, repository: str(rec.repository) });
    }
  }
  return deps;
}

/** Whether charts/ lacks a dependency (as an unpacked directory or a `<name>-<version>.tgz`). */
export async function missingDependencies(chartDir: string): Promise<ChartDependency[]> {
  const deps = await chartDependencies(chartDir);
  if (deps.length === 0) return [];
  let present: string[] = [];
  try {
    present = await readdir(join(chartDir, "charts"));
  } catch {
    // No charts/ at all.
  }
  return deps.filter((d) => !present.some((p) => p === d.name || (p.startsWith(`${d.name}-`) && p.endsWith(".tgz"))));
}

/**
 * A private HELM_* home per use, inside the render's scratch directory: the operator user's helm
 * config, repositories and registry logins never leak in, and one render's never reach another.
 */
async function helmHome(): Promise<Record<string, string>> {
  const dir = await scratchDir("helm-home-");
  return { HELM_CACHE_HOME: join(dir, "cache"), HELM_CONFIG_HOME: join(dir, "config"), HELM_DATA_HOME: join(dir, "data"), HELM_REGISTRY_CONFIG: join(dir, "registry.json") };
}

export interface HelmPluginDeps {
  settings?: ToolSettings;
  /** Defaults to resolveTool("helm"). */
  helmPath?: () => Promise<string>;
}

export function createHelmPlugin(deps: HelmPluginDeps = {}): ConfigManagementPlugin & { name: "helm" } {
  const settings = deps.settings ?? {};
  const helmPath = deps.helmPath ?? (() => resolveTool("helm"));
  return {
    name: "helm",
    async discover(appDir: string, source: SourceSpec): Promise<boolean> {
      const explicit = explicitTool(source);
      if (explicit) return explicit === "helm";
      if (typeof source.chart === "string" && source.chart !== "") return true;
      return pathExists(join(appDir, "Chart.yaml"));
    },
    async generate(req: RenderRequest, ctx: PluginContext): Promise<RenderResult> {
      const helm = await helmPath();
      const o = helmSourceOptions(req.source);
      await resolveInside(req.repoRoot, req.repoRoot, req.appDir === req.repoRoot ? "." : req.appDir.slice(req.repoRoot.length + 1), "source path");
      const schemes = settings.helmValuesFileSchemes ?? DEFAULT_SCHEMES;
      const valueFiles: string[] = [];
      for (const entry of await expandValueFileGlobs(req, o.valueFiles)) {
        const resolved = await resolveValueFile(req, entry, { schemes, ignoreMissing: o.ignoreMissingValueFiles });
        if (resolved === undefined) ctx.log.debug("skipping missing value file", { valueFile: entry });
        else valueFiles.push(resolved);
      }
      const fileParameters: Array<{ name: string; path: string }> = [];
      for (const p of o.fileParameters) fileParameters.push({ name: p.name, path: await resolveInside(req.repoRoot, req.appDir, p.path, "file parameter") });

      const tmp = await scratchDir("helm-");
      let copy: Awaited<ReturnType<typeof privateCopy>> | undefined;
      try {
        // A per-render config home: `helm repo add` for dependencies must not race other renders.
        const env = baseToolEnv({ ...req.env, ...(await helmHome()), HELM_CONFIG_HOME: join(tmp, "config") });
        let chartDir = req.appDir;
        const missing = await missingDependencies(chartDir);
        if (missing.length > 0) {
          // `file://` dependencies are copied in by helm: they must be inside the repository too.
          await checkLocalDependencies(req.repoRoot, req.appDir, await chartDependencies(req.appDir));
          copy = await privateCopy(req.repoRoot, req.appDir);
          chartDir = copy.appDir;
          await addDependencyRepos(helm, missing, env, ctx, tmp, settings.execTimeoutMs);
          await runTool(helm, ["dependency", "build", chartDir], { env, cwd: chartDir, signal: ctx.signal, timeoutMs: settings.execTimeoutMs, label: "helm dependency build" });
          // Check the copy as helm template will read it, after what the build put in charts/.
          if (!settings.allowOutOfBoundsSymlinks) await checkOutOfBoundsSymlinks(copy.root);
        }
        // valuesObject wins over values entirely (Argo's ValuesYAML), as one extra file after the value files.
        let inlineValuesFile: string | undefined;
        const inline = o.valuesObject ? stringify(o.valuesObject) : o.values;
        if (inline !== undefined && inline.trim() !== "") {
          inlineValuesFile = join(tmp, "values.yaml");
          await writeFile(inlineValuesFile, inline);
        }
        const opts: HelmTemplateOptions = {
          chartDir,
          releaseName: o.releaseName ?? req.appName,
          namespace: o.namespace ?? (req.destinationNamespace || undefined),
          kubeVersion: o.kubeVersion ?? req.kubeVersion,
          apiVersions: o.apiVersions ?? req.apiVersions,
          valueFiles,
          inlineValuesFile,
          parameters: o.parameters,
          fileParameters,
          skipCrds: o.skipCrds,
          skipTests: o.skipTests,
          skipSchemaValidation: o.skipSchemaValidation,
          passCredentials: o.passCredentials,
        };
        // No cwd: every path is absolute, and the tool starts in the render's scratch directory, not the shared checkout.
        const { stdout } = await runTool(helm, helmTemplateArgs(opts), { env, signal: ctx.signal, timeoutMs: settings.execTimeoutMs, maxStdoutBytes: settings.execMaxOutputBytes, label: "helm template" });
        return { manifests: parseToolOutput(stdout, "helm template output") };
      } finally {
        await rm(tmp, { recursive: true, force: true });
        await copy?.dispose();
      }
    },
  };
}

/** `helm dependency build` needs http(s) repositories registered; add each under a stable name. */
async function addDependencyRepos(helm: string, deps: ChartDependency[], env: Record<string, string>, ctx: PluginContext, tmp: string, timeoutMs: number | undefined): Promise<void> {
  const urls = [...new Set(deps.map((d) => d.repository).filter((r): r is string => !!r && /^https?:\/\//.test(r)))];
  for (const url of urls) {
    const name = `hawser-${createHash("sha256").update(url).digest("hex").slice(0, 12)}`;
    // An argocd-tls-certs-cm CA for the host goes in as a file; helm keeps it with the repository.
    const ca = url.startsWith("https://") ? await ctx.caFor?.(url) : undefined;
    let caArgs: string[] = [];
    if (ca !== undefined) {
      const file = join(tmp, `${name}-ca.pem`);
      await writeFile(file, ca, { mode: 0o644 });
      caArgs = ["--ca-file", file];
    }
    await runTool(helm, ["repo", "add", "--force-update", ...caArgs, name, url], { env, signal: ctx.signal, timeoutMs, label: "helm repo add" });
  }
}

export const helmPlugin = createHelmPlugin();

export interface ChartPullRequest {
  repoURL: string;
  chart: string;
  /** An exact chart version (resolve constraints first with resolveChartVersion). */
  version: string;
  username?: string;
  password?: string;
  passCredentials?: boolean;
  insecureSkipTLSVerify?: boolean;
  /** PEM client certificate and key (written to 0600 files for the pull only). */
  tlsClientCertData?: string;
  tlsClientCertKey?: string;
  /** PEM CA bundle to verify the server with (argocd-tls-certs-cm), written to a file for helm. */
  caData?: string;
  plainHttp?: boolean;
}

/**
 * A pull's cache key: repo, chart, version and the credentials it is made with, so a chart
 * pulled with one Secret's credentials (a project-scoped one) is never served to a request with
 * other credentials or none. Hashed: neither the directory name nor the map holds them in clear.
 */
export function pullKey(req: ChartPullRequest): string {
  const creds = [req.username ?? "", req.password ?? "", req.tlsClientCertData ?? "", req.tlsClientCertKey ?? ""];
  return createHash("sha256").update(JSON.stringify([req.repoURL, req.chart, req.version, ...creds])).digest("hex").slice(0, 32);
}

/**
 * Pulls a repository chart once into a cache keyed by repo, chart, version and credentials, and
 * returns the unpacked chart directory. Concurrent pulls of one key share the same promise.
 */
export function createChartCache(opts: { dir?: string; helmPath?: () => Promise<string>; timeoutMs?: number } = {}): {
  pull(req: ChartPullRequest, signal?: AbortSignal): Promise<string>;
  pulls(): number;
} {
  // Evaluated per pull: the base directory is configured at start-up (--tmp-dir).
  const chartsDir = (): string => opts.dir ?? join(sandboxTmpBase(), `hawser-charts-${process.getuid?.() ?? 0}`);
  const helmPath = opts.helmPath ?? (() => resolveTool("helm"));
  const inflight = new Map<string, Promise<string>>();
  let count = 0;
  const pullOnce = async (req: ChartPullRequest, signal?: AbortSignal): Promise<string> => {
    const key = pullKey(req);
    const dir = chartsDir();
    const target = join(dir, key);
    const chartDir = join(target, req.chart.split("/").pop() ?? req.chart);
    if (await pathExists(join(chartDir, "Chart.yaml"))) return chartDir;
    await mkdir(dir, { recursive: true });
    const staging = await mkdtemp(join(dir, "pull-"));
    let privateDir: string | undefined;
    try {
      registerSecret(req.password);
      registerSecret(req.tlsClientCertKey);
      const helm = await helmPath();
      const env = baseToolEnv(await helmHome());
      const run = (args: string[], label: string, input?: string): ReturnType<typeof runTool> =>
        runTool(helm, args, { env, signal, timeoutMs: opts.timeoutMs, label, ...(input !== undefined ? { input } : {}) });
      // Key files and a one-off repositories.yaml live in a private 0700 directory for this pull.
      const priv = async (): Promise<string> => (privateDir ??= await scratchDir("helm-pull-"));
      let tlsFiles: { certFile?: string; keyFile?: string } = {};
      if (req.tlsClientCertData && req.tlsClientCertKey) {
        tlsFiles = { certFile: join(await priv(), "client.crt"), keyFile: join(await priv(), "client.key") };
        await writeFile(tlsFiles.certFile!, req.tlsClientCertData, { mode: 0o600 });
        await writeFile(tlsFiles.keyFile!, req.tlsClientCertKey, { mode: 0o600 });
      }
      let caFile: string | undefined;
      if (req.caData) {
        caFile = join(await priv(), "ca.pem");
        await writeFile(caFile, req.caData, { mode: 0o644 });
      }
      count++;
      try {
        if (req.password && !req.repoURL.startsWith("oci://")) {
          // The password goes to helm on stdin (`repo add --password-stdin`), never in argv where
          // any local user could read it; the pull then names the chart through that repository.
          const repoConfig = ["--repository-config", join(await priv(), "repositories.yaml"), "--repository-cache", join(await priv(), "cache")];
          await run(["repo", "add", "hawser-pull", req.repoURL, "--username", req.username ?? "", "--password-stdin", ...repoConfig,
            ...(req.passCredentials ? ["--pass-credentials"] : []), ...(req.insecureSkipTLSVerify ? ["--insecure-skip-tls-verify"] : []),
            ...(tlsFiles.certFile ? ["--cert-file", tlsFiles.certFile, "--key-file", tlsFiles.keyFile!] : []),
            ...(caFile ? ["--ca-file", caFile] : [])], "helm repo add", req.password);
          await run(["pull", `hawser-pull/${req.chart}`, "--version", req.version, "--untar", "--untardir", staging, ...repoConfig], "helm pull");
        } else if (req.repoURL.startsWith("oci://")) {
          // The password reaches helm only on stdin, through a per-pull registry login.
          const registry = await ociHelmEnv(helm, req.repoURL, { ...req, ...tlsFiles }, { signal, timeoutMs: opts.timeoutMs });
          try {
            await runTool(helm, helmPullArgs({ ...req, ...tlsFiles, ...(registry.caFile ? { caFile: registry.caFile } : {}), destDir: staging }), { env: registry.env, signal, timeoutMs: opts.timeoutMs, label: "helm pull" });
          } finally {
            await registry.dispose();
          }
        } else {
          await run(helmPullArgs({ ...req, ...tlsFiles, ...(caFile ? { caFile } : {}), destDir: staging }), "helm pull");
        }
      } catch (err) {
        // Name the repository (never its credentials: the runner already redacts tool output).
        throw new RenderError(`Helm repository ${redactUrl(req.repoURL)}: pulling ${req.chart} ${req.version} failed: ${errorMessage(err)}`, { cause: err });
      }
      const entries = await readdir(staging);
      const unpacked = entries.find((e) => e === (req.chart.split("/").pop() ?? req.chart)) ?? entries[0];
      if (!unpacked || !(await stat(join(staging, unpacked))).isDirectory()) throw new RenderError(`helm pull of ${req.chart} ${req.version} produced no chart`);
      await mkdir(target, { recursive: true });
      await rename(join(staging, unpacked), join(target, unpacked));
      return join(target, unpacked);
    } finally {
      await rm(staging, { recursive: true, force: true });
      if (privateDir) await rm(privateDir, { recursive: true, force: true });
    }
  };
  return {
    pull(req, signal) {
      const key = pullKey(req);
      let p = inflight.get(key);
      if (!p) {
        p = pullOnce(req, signal).finally(() => inflight.delete(key));
        inflight.set(key, p);
      }
      return p;
    },
    pulls: () => count,
  };
}
