// `hawser render`: the manifests an Application renders to (hooks included), offline, exactly as
// the controller renders them: same git access, plugins and precedence. `--repo URL=PATH` serves a
// repoURL from a local repository (bare or not); revisions resolve with git semantics. `--local
// DIR` renders one source from a plain directory instead, like `argocd app manifests --local`.
import { execFile } from "node:child_process";
import { readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { parse, parseAllDocuments, stringify } from "yaml";
import { builtinGenerators } from "../../generators/index.js";
import { builtinPlugins, type PluginRegistry } from "../../plugins/index.js";
import { setToolLauncher } from "../../plugins/exec.js";
import { resolveInside } from "../../plugins/paths.js";
import { connectToolRunner } from "../../plugins/runner/client.js";
import type { ToolSettings } from "../../plugins/types.js";
import { renderSettingsFromArgoCm } from "../render/settings.js";
import type { Application, ApplicationSource } from "../api/index.js";
import type { CommandModule } from "../cli.js";
import { SecretCredentialStore, type RepoCredentials, type SecretLike } from "../git/credentials.js";
import { RepoCache } from "../git/repo-cache.js";
import { checkFileSize, type Checkout, type ReadFileOptions, type RepoSource } from "../git/types.js";
import { loadUserModules } from "../modules/loader.js";
import { renderApplication } from "../render/index.js";
import { createLogger, type Logger } from "../runtime/logger.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { errorMessage } from "../util/index.js";

const usage = `usage: hawser render --app FILE [--repo URL=PATH]... [--local DIR [--local-repo-root R]] [--repo-secret FILE]...
                     [--plugin-dir DIR]...
                     [--argocd-cm FILE] [--kube-version X] [--api-versions g/v,...] [-o yaml|json]
                     [--allow-oob-symlinks] [--tool-runner-socket PATH]

  --app FILE          the Application manifest
  --repo URL=PATH     serve repoURL URL from the local git repository PATH (bare or not, or a
                      file:// URL); revisions resolve with git semantics. PATH may also be a URL
                      (http(s)://, oci://, …): git sources and Helm-repository charts (\`chart\`)
                      with that repoURL are fetched from it instead (repeatable)
  --local DIR         render from the directory DIR instead of git, like argocd app manifests
                      --local: DIR is the source's path. Replaces the single source, or in a
                      multi-source Application the first source without \`ref\`; the others come
                      from git. Uncommitted changes are rendered.
  --local-repo-root R the repository root for --local (files outside it may not be used); default
                      the git work tree containing DIR, else DIR itself
  --repo-secret FILE  Argo repository / repo-creds Secrets (YAML, several documents allowed) whose
                      credentials are used for the URLs contacted (after --repo) (repeatable)
  --plugin-dir DIR    config-management plugins: ConfigManagementPlugin YAML and modules (repeatable)
  --argocd-cm FILE    argocd-cm ConfigMap for tool settings (kustomize.buildOptions, …)
  --kube-version X    the destination's Kubernetes version (Helm's .Capabilities)
  --api-versions L    comma-separated API versions (Helm's .Capabilities)
  -o yaml|json        output format (default yaml)
  --allow-oob-symlinks render trees holding symlinks that point outside the repository (Argo's
                      reposerver.allow.oob.symlinks; dangerous on untrusted repositories)
  --tool-runner-socket PATH
                      run the tools in a "hawser tool-runner" listening on PATH (default: here)

Prints the manifests, hooks included. Exit 0 on success, 2 on an error (message on stderr).
`;

/** The repoURL a `--local` source is given; never a real repository. */
const LOCAL_URL = "hawser-local:///";
const LOCAL_REVISION = "local";

/**
 * A RepoSource that serves some repoURLs from local repositories (file URLs), the `--local`
 * directory under LOCAL_URL, and the rest from git.
 */
export class MappedRepoSource implements RepoSource {
  constructor(private readonly inner: RepoSource, private readonly map: Map<string, string>, private readonly localRoot?: string) {}
  private url(u: string): string { return this.map.get(u) ?? this.map.get(u.replace(/\/$/, "")) ?? u; }
  private local(u: string): string | undefined {
    if (u !== LOCAL_URL) return undefined;
    if (!this.localRoot) throw new Error("internal: a --local source without --local");
    return this.localRoot;
  }
  resolveRevision(repoURL: string, rev: string | undefined, opts?: { tagPrefix?: string; signal?: AbortSignal }): Promise<string> {
    if (this.local(repoURL)) return Promise.resolve(LOCAL_REVISION);
    return this.inner.resolveRevision(this.url(repoURL), rev, opts);
  }
  listFiles(repoURL: string, commit: string, pattern: string, opts?: { signal?: AbortSignal }): Promise<string[]> {
    if (this.local(repoURL)) return Promise.reject(new Error("listing files is not supported for --local"));
    return this.inner.listFiles(this.url(repoURL), commit, pattern, opts);
  }
  listDirectories(repoURL: string, commit: string, opts?: { signal?: AbortSignal }): Promise<string[]> {
    if (this.local(repoURL)) return Promise.reject(new Error("listing directories is not supported for --local"));
    return this.inner.listDirectories(this.url(repoURL), commit, opts);
  }
  async readFile(repoURL: string, commit: string, path: string, opts?: ReadFileOptions): Promise<Buffer> {
    const dir = this.local(repoURL);
    if (dir) {
      const file = await resolveInside(dir, dir, path, "file");
      checkFileSize(repoURL, path, (await stat(file)).size, opts?.maxBytes);
      return readFile(file);
    }
    return this.inner.readFile(this.url(repoURL), commit, path, opts);
  }
  verifyCommit(repoURL: string, commit: string, opts: { gnupgHome: string; signal?: AbortSignal }): Promise<string> {
    if (this.local(repoURL)) return Promise.reject(new Error("a --local directory has no commit whose signature could be verified"));
    if (!this.inner.verifyCommit) return Promise.reject(new Error("this repository source cannot verify commit signatures"));
    return this.inner.verifyCommit(this.url(repoURL), commit, opts);
  }
  credentialsFor(repoURL: string): RepoCredentials | undefined {
    if (repoURL === LOCAL_URL) return undefined;
    return this.inner.credentialsFor?.(this.url(repoURL));
  }
  checkout(repoURL: string, commit: string, opts?: { signal?: AbortSignal }): Promise<Checkout> {
    const dir = this.local(repoURL);
    if (dir) return Promise.resolve({ repoURL, commit, path: dir, release: () => undefined });
    return this.inner.checkout(this.url(repoURL), commit, opts);
  }
}

/**
 * The Application with its single source, or the first multi-source entry without `ref`, taken
 * from the `--local` directory: repoURL LOCAL_URL, path `path` (relative to the local repository
 * root), no chart.
 */
export function localizeApplication(app: Application, path: string): Application {
  const out = structuredClone(app);
  const local = (s: ApplicationSource): ApplicationSource => {
    const { chart: _chart, ...rest } = s;
    return { ...rest, repoURL: LOCAL_URL, path, targetRevision: LOCAL_REVISION };
  };
  if (out.spec.sources && out.spec.sources.length > 0) {
    const i = out.spec.sources.findIndex((s) => !s.ref);
    if (i < 0) throw new Error("--local: every source of the application is a ref source");
    out.spec.sources[i] = local(out.spec.sources[i]!);
  } else if (out.spec.source) {
    out.spec.source = local(out.spec.source);
  } else {
    throw new Error("the application has no source");
  }
  return out;
}

/** Helm-repository sources (`chart`) whose repoURL is mapped to a URL get that URL. */
function mapChartRepos(app: Application, map: Map<string, string>): Application {
  const remap = (s: ApplicationSource): ApplicationSource => {
    const to = s.chart ? map.get(s.repoURL.replace(/\/$/, "")) : undefined;
    return to && !to.startsWith("file://") ? { ...s, repoURL: to } : s;
  };
  const out = structuredClone(app);
  if (out.spec.source) out.spec.source = remap(out.spec.source);
  if (out.spec.sources) out.spec.sources = out.spec.sources.map(remap);
  return out;
}

/** The root of the git work tree holding `dir`, if any. */
async function gitTopLevel(dir: string): Promise<string | undefined> {
  const top = await new Promise<string | undefined>((done) => {
    execFile("git", ["rev-parse", "--show-toplevel"], { cwd: dir, env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" } }, (err, stdout) => done(err ? undefined : stdout.trim()));
  });
  return top ? realpath(top).catch(() => undefined) : undefined;
}

/** Loads `--plugin-dir` directories (CMP YAML and modules); problems go to stderr. */
export async function loadPluginDirs(prefix: string, dirs: string[], plugins: PluginRegistry, log: Logger): Promise<void> {
  if (dirs.length === 0) return;
  const reports = await loadUserModules({ pluginDirs: dirs, plugins, generators: builtinGenerators(), log });
  for (const r of reports) if (r.errors.length > 0) process.stderr.write(`${prefix}: plugin ${r.source}: ${r.errors.join("; ")}\n`);
}

/** `-o` is the one short flag, as in argocd/kubectl. */
export const normalizeShort = (args: string[]): string[] => args.map((a) => (a === "-o" ? "--output" : a.startsWith("-o=") ? `--output=${a.slice(3)}` : a));

const toolSettings = (cm: Record<string, string> | undefined): ToolSettings => renderSettingsFromArgoCm(cm);

export const command: CommandModule = {
  summary: "print the manifests an Application renders to (offline, with --repo URL=PATH)",
  async run(args) {
    let flags;
    try {
      flags = parseFlags(normalizeShort(args), { values: ["app", "local", "local-repo-root", "argocd-cm", "kube-version", "api-versions", "output", "tool-runner-socket"], repeatable: ["repo", "repo-secret", "plugin-dir"], booleans: ["help", "allow-oob-symlinks"] });
      if (flags.positional.length > 0) throw new FlagError(`unexpected argument "${flags.positional[0]}"`);
    } catch (err) {
      if (err instanceof FlagError) {
        process.stderr.write(`hawser render: ${err.message}\n${usage}`);
        return 2;
      }
      throw err;
    }
    if (flags.booleans.get("help")) {
      process.stdout.write(usage);
      return 0;
    }
    const appFile = flagValue(flags, "app");
    if (!appFile) {
      process.stderr.write(`hawser render: --app FILE is required\n${usage}`);
      return 2;
    }
    const output = flagValue(flags, "output") ?? "yaml";
    if (output !== "yaml" && output !== "json") {
      process.stderr.write(`hawser render: -o must be yaml or json\n`);
      return 2;
    }
    let cache: RepoCache | undefined;
    try {
      let app = parse(await readFile(appFile, "utf8"), { version: "1.1", maxAliasCount: 100 }) as Application;
      if (app?.kind !== "Application") throw new Error(`${appFile} is not an Application`);
      const localFlag = flagValue(flags, "local");
      let localRoot: string | undefined;
      if (localFlag !== undefined) {
        const dir = await realpath(localFlag).catch(() => "");
        if (!dir || !(await stat(dir)).isDirectory()) throw new Error(`--local ${localFlag}: not a directory`);
        const rootFlag = flagValue(flags, "local-repo-root");
        localRoot = rootFlag !== undefined ? await realpath(rootFlag).catch(() => "") : await gitTopLevel(dir) ?? dir;
        if (!localRoot) throw new Error(`--local-repo-root ${rootFlag ?? ""}: does not exist`);
        const rel = relative(localRoot, dir);
        if (rel.startsWith("..") || isAbsolute(rel)) throw new Error(`--local ${localFlag} is outside the repository root ${localRoot}`);
        app = localizeApplication(app, rel.split(sep).join("/") || ".");
      } else if (flagValue(flags, "local-repo-root") !== undefined) {
        throw new FlagError("--local-repo-root needs --local");
      }
      const map = new Map<string, string>();
      for (const m of flags.values.get("repo") ?? []) {
        const eq = m.lastIndexOf("=");
        if (eq <= 0) throw new FlagError(`--repo must be URL=PATH, got "${m}"`);
        const path = m.slice(eq + 1);
        map.set(m.slice(0, eq).replace(/\/$/, ""), /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(path) ? path : pathToFileURL(resolve(path)).href);
      }
      app = mapChartRepos(app, map);
      const cmFile = flagValue(flags, "argocd-cm");
      const cm = cmFile ? (parse(await readFile(cmFile, "utf8")) as { data?: Record<string, string> }).data : undefined;
      const log = createLogger({ level: "warn" });
      const settings: ToolSettings = { ...toolSettings(cm), ...(flags.booleans.get("allow-oob-symlinks") ? { allowOutOfBoundsSymlinks: true } : {}) };
      const runnerSocket = flagValue(flags, "tool-runner-socket");
      if (runnerSocket !== undefined) setToolLauncher((await connectToolRunner(resolve(runnerSocket), { waitMs: 0 })).launcher);
      const plugins = builtinPlugins(settings);
      await loadPluginDirs("hawser render", flags.values.get("plugin-dir") ?? [], plugins, log);
      const secrets: SecretLike[] = [];
      for (const file of flags.values.get("repo-secret") ?? []) {
        for (const doc of parseAllDocuments(await readFile(file, "utf8"))) {
          const v = doc.toJS({ maxAliasCount: 100 }) as SecretLike & { kind?: string } | null;
          if (v?.kind === "Secret") secrets.push(v);
        }
      }
      const credentials = new SecretCredentialStore(secrets);
      cache = new RepoCache({ logger: log, credentials });
      const repos = new MappedRepoSource(cache, map, localRoot);
      const out = await renderApplication(app, {
        repos, plugins, settings, log,
        ...(flagValue(flags, "kube-version") ? { kubeVersion: flagValue(flags, "kube-version") } : {}),
        ...(flagValue(flags, "api-versions") ? { apiVersions: flagValue(flags, "api-versions")!.split(",").map((s) => s.trim()).filter(Boolean) } : {}),
      });
      for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(output === "json" ? `${JSON.stringify(out.manifests, null, 2)}\n` : out.manifests.map((m) => stringify(m)).join("---\n"));
      return 0;
    } catch (err) {
      const msg = errorMessage(err);
      const hint = flagValue(flags, "local") !== undefined && flagValue(flags, "local-repo-root") === undefined && /outside the repository/.test(msg) ? " (set --local-repo-root to the repository's root)" : "";
      process.stderr.write(`hawser render: ${msg}${hint}\n`);
      return 2;
    } finally {
      // Its cat-file processes would keep the process alive until their idle timeout.
      cache?.close();
    }
  },
};
