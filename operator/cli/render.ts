// `hawser render`: the manifests an Application renders to (hooks included), offline, exactly as
// the controller renders them: same git access, plugins and precedence. `--repo URL=PATH` serves a
// repoURL from a local repository (bare or not); revisions resolve with git semantics.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parse, stringify } from "yaml";
import { builtinGenerators } from "../../generators/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import { loadCmpPlugins } from "../../plugins/cmp/index.js";
import type { ToolSettings } from "../../plugins/types.js";
import type { Application } from "../api/index.js";
import type { CommandModule } from "../cli.js";
import { RepoCache } from "../git/repo-cache.js";
import type { Checkout, RepoSource } from "../git/types.js";
import { loadUserModules } from "../modules/loader.js";
import { renderApplication } from "../render/index.js";
import { createLogger } from "../runtime/logger.js";
import { FlagError, flagValue, parseFlags } from "./flags.js";

const usage = `usage: hawser render --app FILE [--repo URL=PATH]... [--plugin-dir DIR]... [--argocd-cm FILE]
                     [--kube-version X] [--api-versions g/v,...] [-o yaml|json]
`;

/** A RepoSource that serves some repoURLs from local repositories (file URLs) and the rest from git. */
class MappedRepoSource implements RepoSource {
  constructor(private readonly inner: RepoSource, private readonly map: Map<string, string>) {}
  private url(u: string): string { return this.map.get(u) ?? this.map.get(u.replace(/\/$/, "")) ?? u; }
  resolveRevision(repoURL: string, rev: string | undefined, opts?: { tagPrefix?: string; signal?: AbortSignal }): Promise<string> { return this.inner.resolveRevision(this.url(repoURL), rev, opts); }
  listFiles(repoURL: string, commit: string, pattern: string, opts?: { signal?: AbortSignal }): Promise<string[]> { return this.inner.listFiles(this.url(repoURL), commit, pattern, opts); }
  listDirectories(repoURL: string, commit: string, opts?: { signal?: AbortSignal }): Promise<string[]> { return this.inner.listDirectories(this.url(repoURL), commit, opts); }
  readFile(repoURL: string, commit: string, path: string, opts?: { signal?: AbortSignal }): Promise<Buffer> { return this.inner.readFile(this.url(repoURL), commit, path, opts); }
  checkout(repoURL: string, commit: string, opts?: { signal?: AbortSignal }): Promise<Checkout> { return this.inner.checkout(this.url(repoURL), commit, opts); }
}

function toolSettings(cm: Record<string, string> | undefined): ToolSettings {
  const s: ToolSettings = {};
  if (!cm) return s;
  if (cm["kustomize.buildOptions"]) s.kustomizeBuildOptions = cm["kustomize.buildOptions"];
  if (cm["helm.valuesFileSchemes"]) s.helmValuesFileSchemes = cm["helm.valuesFileSchemes"].split(",").map((x) => x.trim()).filter(Boolean);
  return s;
}

export const command: CommandModule = {
  summary: "print the manifests an Application renders to (offline, with --repo URL=PATH)",
  async run(args) {
    let flags;
    try {
      flags = parseFlags(args, { values: ["app", "argocd-cm", "kube-version", "api-versions", "o", "output"], repeatable: ["repo", "plugin-dir"], booleans: ["help"] });
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
    const output = flagValue(flags, "o") ?? flagValue(flags, "output") ?? "yaml";
    if (output !== "yaml" && output !== "json") {
      process.stderr.write(`hawser render: -o must be yaml or json\n`);
      return 2;
    }
    try {
      const app = parse(await readFile(appFile, "utf8"), { version: "1.1", maxAliasCount: 100 }) as Application;
      if (app?.kind !== "Application") throw new Error(`${appFile} is not an Application`);
      const map = new Map<string, string>();
      for (const m of flags.values.get("repo") ?? []) {
        const eq = m.lastIndexOf("=");
        if (eq <= 0) throw new FlagError(`--repo must be URL=PATH, got "${m}"`);
        const path = m.slice(eq + 1);
        map.set(m.slice(0, eq).replace(/\/$/, ""), path.startsWith("file://") ? path : pathToFileURL(resolve(path)).href);
      }
      const cmFile = flagValue(flags, "argocd-cm");
      const cm = cmFile ? (parse(await readFile(cmFile, "utf8")) as { data?: Record<string, string> }).data : undefined;
      const log = createLogger({ level: "warn" });
      const plugins = builtinPlugins(toolSettings(cm));
      for (const dir of flags.values.get("plugin-dir") ?? []) {
        const cmp = await loadCmpPlugins(dir);
        for (const e of cmp.errors) process.stderr.write(`hawser render: ${e}\n`);
        for (const p of cmp.plugins) plugins.registerUser(p);
        const reports = await loadUserModules({ pluginDirs: [dir], plugins, generators: builtinGenerators(), log });
        for (const r of reports) if (r.errors.length > 0) process.stderr.write(`hawser render: plugin ${r.source}: ${r.errors.join("; ")}\n`);
      }
      const repos = new MappedRepoSource(new RepoCache({ logger: log }), map);
      const out = await renderApplication(app, {
        repos, plugins, settings: toolSettings(cm), log,
        ...(flagValue(flags, "kube-version") ? { kubeVersion: flagValue(flags, "kube-version") } : {}),
        ...(flagValue(flags, "api-versions") ? { apiVersions: flagValue(flags, "api-versions")!.split(",").map((s) => s.trim()).filter(Boolean) } : {}),
      });
      for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(output === "json" ? `${JSON.stringify(out.manifests, null, 2)}\n` : out.manifests.map((m) => stringify(m)).join("---\n"));
      return 0;
    } catch (err) {
      process.stderr.write(`hawser render: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
  },
};
