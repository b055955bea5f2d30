// The directory plugin: plain YAML and JSON manifests in a directory, Argo CD's fallback when
// no other tool claims the source. Honours `directory.recurse`, `include`/`exclude` (gobwas
// globs over the path relative to the source directory; exclude wins), skips parameter override
// files (.argocd-source*.yaml) and refuses files and directories that are symlinks pointing
// outside the repository.
import { lstat, readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { gobwasMatch } from "../../operator/util/glob.js";
import { evaluateJsonnetFile } from "../jsonnet/index.js";
import { parseJsonManifests, parseManifests } from "../manifests.js";
import { resolveInside } from "../paths.js";
import { checkManifestFileSizes } from "../sandbox.js";
import type { ConfigManagementPlugin, Manifest, PluginContext, RenderRequest, RenderResult } from "../types.js";

interface DirectoryOptions {
  recurse?: boolean;
  include?: string;
  exclude?: string;
}

// Argo evaluates *.jsonnet files of a directory app as Jsonnet.
const manifestExtensions = [".yaml", ".yml", ".json", ".jsonnet"];

/**
 * `.argocd-source.yaml` and `.argocd-source-<app>.yaml` are parameter override files, which the
 * renderer merges into the source's tool options (operator/render applyOverrides); they are never
 * manifests, wherever they are and whatever include glob names them.
 */
export function isOverrideFile(name: string): boolean {
  return name === ".argocd-source.yaml" || (name.startsWith(".argocd-source-") && name.endsWith(".yaml"));
}

function directoryOptions(req: RenderRequest): DirectoryOptions {
  const d = req.source.directory ?? {};
  return {
    recurse: d.recurse === true,
    include: typeof d.include === "string" && d.include !== "" ? d.include : undefined,
    exclude: typeof d.exclude === "string" && d.exclude !== "" ? d.exclude : undefined,
  };
}

async function listManifestFiles(req: RenderRequest, opts: DirectoryOptions): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string, top: boolean): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const rel = relative(req.appDir, path);
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        // Follow only links that stay inside the repository.
        const target = await resolveInside(req.repoRoot, dir, entry.name, `symlink ${relative(req.repoRoot, path)}`);
        isDir = (await lstat(target)).isDirectory();
      }
      if (isDir) {
        if (entry.name.startsWith(".")) continue; // .git and other hidden directories
        if (opts.recurse) await walk(path, false);
        continue;
      }
      if (!manifestExtensions.some((ext) => entry.name.endsWith(ext)) || isOverrideFile(entry.name)) continue;
      if (opts.include && !gobwasMatch(opts.include, rel)) continue;
      if (opts.exclude && gobwasMatch(opts.exclude, rel)) continue;
      files.push(path);
    }
    void top;
  };
  await walk(req.appDir, true);
  return files;
}

export const directoryPlugin = {
  name: "directory",
  // The fallback: any directory can be read as plain manifests.
  discover: () => Promise.resolve(true),
  async generate(req: RenderRequest, ctx?: PluginContext): Promise<RenderResult> {
    await resolveInside(req.repoRoot, req.repoRoot, relative(req.repoRoot, req.appDir) || ".", "source path");
    const manifests: Manifest[] = [];
    const files = await listManifestFiles(req, directoryOptions(req));
    // Sizes first, from stat: an oversized repository is refused before anything is read.
    await checkManifestFileSizes(files.filter((f) => !f.endsWith(".jsonnet")), req.repoRoot);
    for (const file of files) {
      if (file.endsWith(".jsonnet")) {
        manifests.push(...(await evaluateJsonnetFile(req, file, { signal: ctx?.signal })));
        continue;
      }
      const text = await readFile(file, "utf8");
      const source = relative(req.repoRoot, file);
      manifests.push(...(file.endsWith(".json") ? parseJsonManifests(text, { source }) : parseManifests(text, { source })));
    }
    return { manifests };
  },
} satisfies ConfigManagementPlugin;
