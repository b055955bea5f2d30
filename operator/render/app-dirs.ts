// The application directories of a repository checkout and the tool that would render each, as
// Argo's repo-server ListApps answers them. Detection is the renderer's own (PluginRegistry.select),
// so it follows Argo's order: a config-management plugin whose discovery claims the directory,
// then Chart.yaml (Helm), then a kustomization file (Kustomize), then plain manifests (Directory).
// A directory the directory plugin would render but that holds no manifests is not an application.
// Used by `hawser repo apps` and the API server's GET /api/v1/repositories/{repo}/apps.
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { parseAllDocuments } from "yaml";
import { isOverrideFile } from "../../plugins/directory/index.js";
import type { PluginRegistry } from "../../plugins/index.js";

export interface AppDir {
  path: string;
  tool: "Plugin" | "Helm" | "Kustomize" | "Directory";
  plugin?: string;
}

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);
/** Manifest files larger than this are taken to be manifests without parsing them. */
const MAX_PARSE_BYTES = 1024 * 1024;

/** Whether a directory holds anything the directory plugin would render. */
async function hasManifests(dir: string, files: string[]): Promise<boolean> {
  for (const f of files) {
    const ext = extname(f).toLowerCase();
    if (ext === ".jsonnet") return true;
    if (!MANIFEST_EXTENSIONS.has(ext) || isOverrideFile(f)) continue;
    const path = join(dir, f);
    if ((await stat(path)).size > MAX_PARSE_BYTES) return true;
    try {
      const docs = parseAllDocuments(await readFile(path, "utf8"));
      for (const d of Array.isArray(docs) ? docs : [docs]) {
        const v: unknown = d.toJS({ maxAliasCount: 100 });
        if (typeof v === "object" && v !== null && "kind" in v && "apiVersion" in v) return true;
      }
    } catch {
      // Not YAML: not a manifest.
    }
  }
  return false;
}

/** The application directories under `root`, sorted by path (`.` for the root itself). */
export async function discoverApps(root: string, plugins: PluginRegistry): Promise<AppDir[]> {
  const out: AppDir[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const files = entries.filter((e) => e.isFile()).map((e) => e.name).sort();
    const rel = relative(root, dir).split(sep).join("/") || ".";
    const plugin = await plugins.select(dir, {});
    let descend = true;
    if (plugin.name === "helm") {
      out.push({ path: rel, tool: "Helm" });
      descend = false; // templates/, charts/ are the chart's.
    } else if (plugin.name === "kustomize") {
      out.push({ path: rel, tool: "Kustomize" });
    } else if (plugin.name === "directory") {
      if (await hasManifests(dir, files)) out.push({ path: rel, tool: "Directory" });
    } else {
      out.push({ path: rel, tool: "Plugin", plugin: plugin.name });
    }
    if (!descend) return;
    for (const e of entries.filter((x) => x.isDirectory() && !x.name.startsWith(".")).sort((a, b) => (a.name < b.name ? -1 : 1))) await walk(join(dir, e.name));
  };
  await walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
