// A RepoSource over local git repositories for renderer tests: revisions via rev-parse, files via
// `git show`, checkouts via `git archive` into a temp dir (one per commit), tree hashes via
// `git rev-parse <commit>:<path>`. Counts checkouts so tests can assert caching.
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Checkout, RepoSource } from "../../operator/git/types.js";

function git(dir: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile("git", ["-C", dir, ...args], { encoding: "buffer", maxBuffer: 256 << 20, env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(" ")}: ${stderr.toString()}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A git work tree with helpers to commit file changes. */
export class LocalGitRepo {
  private constructor(readonly dir: string) {}

  static async create(files: Record<string, string> = {}): Promise<LocalGitRepo> {
    const dir = await mkdtemp(join(tmpdir(), "hawser-git-"));
    await git(dir, ["init", "-q", "-b", "main"]);
    const repo = new LocalGitRepo(dir);
    if (Object.keys(files).length > 0) await repo.commit(files);
    return repo;
  }

  /** Writes (or with null, deletes) files and commits; returns the new commit SHA. */
  async commit(files: Record<string, string | null>, message = "change"): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      if (content === null) await rm(full, { force: true });
      else {
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, content);
      }
    }
    await git(this.dir, ["add", "-A"]);
    await git(this.dir, ["commit", "-q", "--allow-empty", "-m", message]);
    return (await git(this.dir, ["rev-parse", "HEAD"])).toString().trim();
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

const leftBehind = new Set<string>();
process.once("exit", () => {
  for (const dir of leftBehind) rmSync(dir, { recursive: true, force: true });
});

export class LocalRepoSource implements RepoSource {
  checkouts = 0;
  private readonly trees = new Map<string, Promise<string>>();
  // Made on the first checkout, and removed by dispose() or, for tests that never call it, when
  // the test process exits (thousands of empty ones used to pile up in /tmp).
  private rootDir?: Promise<string>;
  private get root(): Promise<string> {
    return (this.rootDir ??= mkdtemp(join(tmpdir(), "hawser-checkouts-")).then((dir) => { leftBehind.add(dir); return dir; }));
  }

  constructor(private readonly repos: Record<string, LocalGitRepo>, private readonly opts: { treeHash?: boolean } = { treeHash: true }) {
    if (opts.treeHash === false) this.treeHash = undefined;
  }

  private dir(repoURL: string): string {
    const r = this.repos[repoURL];
    if (!r) throw new Error(`unknown repo ${repoURL}`);
    return r.dir;
  }

  async resolveRevision(repoURL: string, targetRevision: string | undefined): Promise<string> {
    return (await git(this.dir(repoURL), ["rev-parse", "--verify", `${targetRevision || "HEAD"}^{commit}`])).toString().trim();
  }

  async listFiles(repoURL: string, commit: string): Promise<string[]> {
    return (await git(this.dir(repoURL), ["ls-tree", "-r", "--name-only", commit])).toString().split("\n").filter(Boolean);
  }

  async listDirectories(repoURL: string, commit: string): Promise<string[]> {
    return (await git(this.dir(repoURL), ["ls-tree", "-r", "-d", "--name-only", commit])).toString().split("\n").filter(Boolean);
  }

  readFile(repoURL: string, commit: string, path: string): Promise<Buffer> {
    return git(this.dir(repoURL), ["show", `${commit}:${path}`]);
  }

  treeHash?: (repoURL: string, commit: string, path: string) => Promise<string | undefined> = async (repoURL, commit, path) => {
    try {
      return (await git(this.dir(repoURL), ["rev-parse", `${commit}:${path === "." ? "" : path}`])).toString().trim();
    } catch {
      return undefined;
    }
  };

  checkout(repoURL: string, commit: string): Promise<Checkout> {
    const key = `${repoURL}@${commit}`;
    let p = this.trees.get(key);
    if (!p) {
      p = (async () => {
        this.checkouts++;
        const dest = join(await this.root, `${this.checkouts}`);
        await mkdir(dest, { recursive: true });
        const tar = await git(this.dir(repoURL), ["archive", "--format=tar", commit]);
        await new Promise<void>((resolve, reject) => {
          const child = execFile("tar", ["-x", "-C", dest], (err) => (err ? reject(new Error(`tar: ${err.message}`)) : resolve()));
          child.stdin?.end(tar);
        });
        return dest;
      })();
      this.trees.set(key, p);
    }
    return p.then((path) => ({ repoURL, commit, path, release: () => undefined }));
  }

  async dispose(): Promise<void> {
    if (!this.rootDir) return;
    const dir = await this.rootDir;
    await rm(dir, { recursive: true, force: true });
    leftBehind.delete(dir);
  }
}
