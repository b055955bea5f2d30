// Private copies of a checkout. Checkouts are shared and read-only, but Argo's tools edit files
// before building (`kustomize edit`, `helm dependency build`, CMP init commands); they run on a
// copy instead. `.git` is left out; symlinks are copied as links (containment is checked on the
// original tree before anything runs). Copies go into the render's scratch directory (the
// operator's own temp directory may be read-only), so they also vanish with the render.
import { cp, rm } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { scratchDir } from "./sandbox.js";
import { RenderError } from "./types.js";

export interface PrivateCopy {
  root: string;
  /** The source directory inside the copy. */
  appDir: string;
  dispose(): Promise<void>;
}

/** A repository this large is refused rather than copied for every render. */
export const MAX_COPY_ENTRIES = 100_000;

export async function privateCopy(repoRoot: string, appDir: string, prefix = "hawser-render-", maxEntries = MAX_COPY_ENTRIES): Promise<PrivateCopy> {
  const tmp = await scratchDir(prefix);
  const root = join(tmp, "repo");
  let entries = 0;
  try {
    await cp(repoRoot, root, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => {
        if (++entries > maxEntries) throw new RenderError(`the repository has more than ${maxEntries} files and directories; too large to copy for rendering`);
        return !(basename(src) === ".git" && src !== repoRoot);
      },
    });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return {
    root,
    appDir: join(root, relative(repoRoot, appDir)),
    dispose: () => rm(tmp, { recursive: true, force: true }),
  };
}
