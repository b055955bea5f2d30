// Test-only helpers: load YAML fixtures from this directory and the seed manifests beside the
// repository. Only the tests import this file; the engine itself reads nothing.
// eslint-disable-next-line no-restricted-imports -- tests read their YAML fixtures; the code under test does not
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { parseManifests } from "../../../../plugins/manifests.js";
import { seedsDir } from "../../../../test/crds/seeds.js";
import type { KubeObject } from "../types.js";

export const testdataDir = fileURLToPath(new URL("./", import.meta.url));

export function loadYaml<T>(relPath: string): T {
  return parse(readFileSync(join(testdataDir, relPath), "utf8"), { version: "1.1" }) as T;
}

export function yamlFiles(relDir: string): string[] {
  return readdirSync(join(testdataDir, relDir)).filter((f) => f.endsWith(".yaml")).sort();
}

/** A seed manifest file's objects, or undefined when the seeds are not beside the repo (outside CI). */
export function loadSeed(relPath: string): KubeObject[] | undefined {
  const dir = seedsDir();
  if (!dir) return undefined;
  return parseManifests(readFileSync(join(dir, relPath), "utf8"), { source: relPath });
}
