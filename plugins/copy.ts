// Private copies of a checkout. Checkouts are shared and read-only, but Argo's tools edit files
// before building (`kustomize edit`, `helm dependency build`, CMP init commands); they run on a
// copy instead. `.git` is left out; symlinks are copied as links (containment is checked on the
// original tree before anything runs).
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";

export interface PrivateCopy {
  root: string;
  /** The source directory inside the copy. */
  appDir: string;
  dispose(): Promise<void>;
}

export async function privateCopy(repoRoot: string, appDir: string, prefix = "hawser-render-"): Promise<PrivateCopy> {
  const tmp = await mkdtemp(join(tmpdir(), prefix));
  const root = join(tmp, "repo");
  await cp(repoRoot, root, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !(basename(src) === ".git" && src !== repoRoot),
  });
  return {
    root,
    appDir: join(root, relative(repoRoot, appDir)),
    dispose: () => rm(tmp, { recursive: true, force: true }),
  };
}
