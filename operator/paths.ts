// Locations inside the installed package. Code runs both from source (tsx) and from dist/, so the
// root is found by walking up to package.json rather than by a fixed relative path.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cachedRoot: string | undefined;

export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "crds"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the hawser package root (package.json next to crds/)");
    dir = parent;
  }
  cachedRoot = dir;
  return dir;
}

export function crdsDir(): string {
  return join(packageRoot(), "crds");
}
