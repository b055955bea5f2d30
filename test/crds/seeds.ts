// The seed manifests (see the seeds README) that are argoproj.io objects, for the CRD tests. They
// live outside the repository; HAWSER_SEEDS_DIR overrides the location, and a copy under
// test/fixtures/seeds is preferred when one exists.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { packageRoot } from "../../operator/paths.js";

/** The seeds live in shared/ beside the repository (as CI lays it out), or HAWSER_SEEDS_DIR. */
export function seedsDir(): string | undefined {
  const candidates = [process.env.HAWSER_SEEDS_DIR, join(packageRoot(), "test", "fixtures", "seeds"), join(packageRoot(), "..", "shared", "fixtures", "seeds")];
  const found = candidates.find((d): d is string => !!d && existsSync(d));
  // In CI the seeds must be there: skipping their tests silently would hide a broken layout.
  if (!found && process.env.CI) throw new Error(`seed fixtures not found (looked in ${candidates.filter(Boolean).join(", ")})`);
  return found;
}

export interface SeedManifest {
  /** Path relative to the seeds directory, plus the document index for multi-document files. */
  source: string;
  obj: KubeObject;
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

/**
 * Every Application, AppProject and ApplicationSet in the seeds, including ones inside repo-*
 * files and folders (app-of-apps children are repository content, not separate seeds).
 */
export function argoSeedManifests(dir: string): SeedManifest[] {
  const out: SeedManifest[] = [];
  for (const file of yamlFiles(dir)) {
    // YAML 1.1 is what the apiserver's and kubectl's parsers speak (yes/on booleans and the like).
    parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1" }).forEach((doc, i) => {
      const obj: unknown = doc.toJS();
      if (typeof obj !== "object" || obj === null) return;
      const o = obj as Partial<KubeObject>;
      if (typeof o.apiVersion === "string" && o.apiVersion.startsWith("argoproj.io/") && o.kind && o.metadata) {
        out.push({ source: `${relative(dir, file)}#${i}`, obj: o as KubeObject });
      }
    });
  }
  return out;
}
