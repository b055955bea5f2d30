// The narrow interfaces through which everything else reads git. The repository cache
// (operator/git/) implements them; ApplicationSet generators, the renderer and the CLI depend only
// on these, so their logic is testable over local repositories.
import type { RepoCredentials } from "./credentials.js";

/** Resolves a `targetRevision` (branch, tag, SHA, HEAD, semver constraint) to a commit SHA. */
export interface RevisionResolver {
  /** `force` skips any cached ref listing (a refresh the user asked for). */
  resolveRevision(repoURL: string, targetRevision: string | undefined, opts?: { tagPrefix?: string; signal?: AbortSignal; force?: boolean }): Promise<string>;
}

/** A checked-out tree of one commit. The path is shared and must be treated as read-only. */
export interface Checkout {
  repoURL: string;
  commit: string;
  /** Absolute path of the work tree root. */
  path: string;
  /** Lets the cache reclaim the tree once nobody uses it. */
  release(): void;
}

/** Read access to a repository at a commit, for generators (Argo's `services.Repos`). */
export interface RepoReader extends RevisionResolver {
  /** Paths (relative to the repo root, `/`-separated) of files matching `pattern` at `commit`. */
  listFiles(repoURL: string, commit: string, pattern: string, opts?: { signal?: AbortSignal }): Promise<string[]>;
  /** Every directory path (relative, `/`-separated, no trailing slash) at `commit`. */
  listDirectories(repoURL: string, commit: string, opts?: { signal?: AbortSignal }): Promise<string[]>;
  /**
   * A file's content. With `maxBytes`, a larger file rejects with FileTooLargeError without being
   * read into memory (repository writers choose file sizes).
   */
  readFile(repoURL: string, commit: string, path: string, opts?: ReadFileOptions): Promise<Buffer>;
}

export interface ReadFileOptions {
  signal?: AbortSignal;
  maxBytes?: number;
}

/** Everything the controllers need from git. */
export interface RepoSource extends RepoReader {
  checkout(repoURL: string, commit: string, opts?: { signal?: AbortSignal }): Promise<Checkout>;
  /**
   * Optional: the git object id of the tree (or blob) at `path` in `commit` (`git rev-parse
   * <commit>:<path>`), or undefined when the path does not exist. The renderer uses it for
   * `argocd.argoproj.io/manifest-generate-paths`: an app whose paths hash the same at a new commit
   * is not re-rendered. Without it, renders are keyed by commit.
   */
  treeHash?(repoURL: string, commit: string, path: string, opts?: { signal?: AbortSignal }): Promise<string | undefined>;
  /**
   * Optional: readFile, but undefined when the path is absent. The renderer looks for three
   * optional override files per render, usually absent: this answers without building an error.
   */
  readFileIfPresent?(repoURL: string, commit: string, path: string, opts?: ReadFileOptions): Promise<Buffer | undefined>;
  /**
   * Optional: the credentials configured for a repository URL (repository / repo-creds Secrets).
   * The renderer uses them for Helm repositories, which it reaches without git.
   */
  credentialsFor?(repoURL: string): RepoCredentials | undefined;
  /**
   * Optional: what besides the commit decides a checkout's content (submodules, Git LFS); render
   * caches key by it, so changing `enableLfs` on a Secret re-renders.
   */
  checkoutVariant?(repoURL: string): string;
  /**
   * Optional: the PEM CA bundle argocd-tls-certs-cm configures for an https URL's host, `{ error }`
   * when that entry is unusable, undefined for the system CAs. Helm repositories use it.
   */
  caCertFor?(repoURL: string): Promise<{ pem: string } | { error: string } | undefined>;
  /** Optional: forget the cached ref listing of a repository, so the next resolve lists the remote. */
  invalidate?(repoURL: string): void;
  /**
   * Optional: git's report on `commit`'s signature, checked against the keys in `gnupgHome` only
   * (one line of `git log --format=` engine/gpg.ts VERIFY_FORMAT). Without it a project requiring
   * signatures cannot verify anything, and its apps are refused.
   */
  verifyCommit?(repoURL: string, commit: string, opts: { gnupgHome: string; signal?: AbortSignal }): Promise<string>;
}

/** A git failure the user must see (unreachable repo, bad credentials, unknown revision). */
export class GitError extends Error {
  constructor(readonly repoURL: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GitError";
  }
}

/** The repository answered, but has no such branch, tag or commit. */
export class RevisionNotFoundError extends GitError {
  constructor(repoURL: string, message: string, options?: { cause?: unknown }) {
    super(repoURL, message, options);
    this.name = "RevisionNotFoundError";
  }
}

/** A file over the reader's `maxBytes`; its content was not read. */
export class FileTooLargeError extends GitError {
  constructor(repoURL: string, readonly path: string, readonly size: number, readonly maxBytes: number) {
    super(repoURL, `file "${path}" is ${size} bytes, larger than the ${maxBytes}-byte limit for it`);
    this.name = "FileTooLargeError";
  }
}

/** Refuses a file of `size` bytes when it is over `maxBytes` (for readers that can stat first). */
export function checkFileSize(repoURL: string, path: string, size: number, maxBytes: number | undefined): void {
  if (maxBytes !== undefined && size > maxBytes) throw new FileTooLargeError(repoURL, path, size, maxBytes);
}
