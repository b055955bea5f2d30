// A RepoReader over local git repositories, for offline use (`hawser appset generate --repo
// URL=PATH`) and tests. It is deliberately separate from the repository cache: no fetching, no
// credentials; each repoURL maps to a local path and is read with the git CLI (rev-parse, ls-tree,
// cat-file) through execFile argv arrays, never a shell. File globs use `git ls-files` pathspec
// semantics, Argo CD's default for the git files generator: `*` and `?` also match "/", and a
// pattern without wildcards matches that file or everything below that directory.
import { execFile } from "node:child_process";
import { pathspecMatch } from "../util/glob.js";
import { checkFileSize, GitError, type ReadFileOptions, type RepoReader } from "./types.js";

const MAX_BUFFER = 256 << 20;

function git(dir: string, args: string[], signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile("git", ["-C", dir, ...args], { encoding: "buffer", maxBuffer: MAX_BUFFER, ...(signal ? { signal } : {}), env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args[0] ?? ""}: ${stderr.toString("utf8").trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Same repository, spelled differently: case of scheme/host, trailing "/" and ".git". */
export function normalizeRepoURL(url: string): string {
  return url.trim().replace(/\/+$/, "").replace(/\.git$/, "").toLowerCase();
}

interface Tree {
  files: string[];
  fileSet: Set<string>;
  dirs: string[];
}

export class LocalRepoReader implements RepoReader {
  private readonly repos = new Map<string, string>();
  private readonly trees = new Map<string, Promise<Tree>>();

  /** `mapping`: repoURL → local path of a git work tree or bare repository. */
  constructor(mapping: Iterable<[string, string]>) {
    for (const [url, path] of mapping) this.repos.set(normalizeRepoURL(url), path);
  }

  private dir(repoURL: string): string {
    const dir = this.repos.get(normalizeRepoURL(repoURL));
    if (!dir) throw new GitError(repoURL, `repository ${repoURL} is not mapped to a local path (use --repo ${repoURL}=PATH)`);
    return dir;
  }

  async resolveRevision(repoURL: string, targetRevision: string | undefined, opts?: { signal?: AbortSignal }): Promise<string> {
    const rev = targetRevision || "HEAD";
    if (rev.startsWith("-") || /[\s\0]/.test(rev)) throw new GitError(repoURL, `invalid revision "${rev}"`);
    try {
      return (await git(this.dir(repoURL), ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], opts?.signal)).toString("utf8").trim();
    } catch (err) {
      if (err instanceof GitError) throw err;
      throw new GitError(repoURL, `cannot resolve revision "${rev}" in ${repoURL}`, { cause: err });
    }
  }

  private tree(repoURL: string, commit: string, signal?: AbortSignal): Promise<Tree> {
    if (!/^[0-9a-f]{40,64}$/.test(commit)) return Promise.reject(new GitError(repoURL, `not a commit SHA: "${commit}"`));
    const key = `${normalizeRepoURL(repoURL)}@${commit}`;
    let hit = this.trees.get(key);
    if (!hit) {
      hit = git(this.dir(repoURL), ["ls-tree", "-r", "-t", "-z", "--full-tree", commit], signal).then((out) => {
        const tree: Tree = { files: [], fileSet: new Set(), dirs: [] };
        for (const entry of out.toString("utf8").split("\0")) {
          const tab = entry.indexOf("\t");
          if (tab < 0) continue;
          const [mode, type] = entry.slice(0, tab).split(" ");
          const path = entry.slice(tab + 1);
          if (type === "tree") tree.dirs.push(path);
          // Symlinks (120000) and submodules are not followed: their targets may lie outside the repo.
          else if (type === "blob" && mode !== "120000") {
            tree.files.push(path);
            tree.fileSet.add(path);
          }
        }
        return tree;
      });
      hit.catch(() => this.trees.delete(key));
      this.trees.set(key, hit);
    }
    return hit;
  }

  async listFiles(repoURL: string, commit: string, pattern: string, opts?: { signal?: AbortSignal }): Promise<string[]> {
    const tree = await this.tree(repoURL, commit, opts?.signal);
    return tree.files.filter((f) => pathspecMatch(pattern, f));
  }

  async listDirectories(repoURL: string, commit: string, opts?: { signal?: AbortSignal }): Promise<string[]> {
    return [...(await this.tree(repoURL, commit, opts?.signal)).dirs];
  }

  async readFile(repoURL: string, commit: string, path: string, opts?: ReadFileOptions): Promise<Buffer> {
    const tree = await this.tree(repoURL, commit, opts?.signal);
    // Only paths the tree lists: no "..", no absolute paths, no symlinks.
    if (!tree.fileSet.has(path)) throw new GitError(repoURL, `no file ${path} at ${commit.slice(0, 12)}`);
    if (opts?.maxBytes !== undefined) {
      const size = Number((await git(this.dir(repoURL), ["cat-file", "-s", `${commit}:${path}`], opts.signal)).toString("utf8").trim());
      checkFileSize(repoURL, path, size, opts.maxBytes);
    }
    return git(this.dir(repoURL), ["cat-file", "blob", `${commit}:${path}`], opts?.signal);
  }
}
