// The repository cache behind RepoSource: one bare clone per repository URL under
// `<baseDir>/repos/<sha256(normalised url)>`, reused across restarts, and immutable work trees per
// (repository, commit) under `<baseDir>/trees/` (one process at a time: trees-owner.ts).
//
// Cost model, in the order a request meets it:
//   1. ref listing (ls-remote) per repository, cached for `refsTtlMs` and shared by concurrent
//      callers, so 1,000 Applications on one repository cost one listing per TTL;
//   2. a fetch only when the commit is not in the object database: depth 1 by the advertised ref
//      pointing at it, else by SHA, else a full fetch; one fetch per repository at a time, and
//      concurrent requests for the same commit share it;
//   3. reads straight from the object database (ls-tree once per commit, cat-file --batch);
//   4. a work tree only for renderers that need files on disk, written to a temp dir and renamed
//      into place, shared and reference-counted.
//
// A work tree holds what Argo's checkout holds: with submodules on (ARGOCD_GIT_MODULES_ENABLED,
// default), each submodule at the commit its parent pins, fetched through this same cache (so its
// URL gets the credentials of its own repository Secret, never the parent's, and nothing goes on
// a command line); with `enableLfs` on a repository's Secret, its Git LFS files with their real
// content (git-lfs fetch, then the smudge filter), otherwise the pointer files as committed. Trees
// are named by commit plus these two settings, so a tree made under other settings is never reused.
//
// `oci://` URLs are OCI artifact sources (oci-artifacts.ts): their revision is a manifest digest,
// their tree the artifact's single layer unpacked under `<trees root>/oci/` (owned as the work trees
// are, and bounded by `ociBudget`, the process's, or else by `maxArtifacts` and `maxArtifactBytes`
// of its own, as the work trees are by `maxTrees`), read with the
// repository Secret's credentials; what only git has (refs, file listings, signatures, commit
// metadata) is refused for them with a GitError that says so.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import { VERIFY_FORMAT } from "../engine/gpg.js";
import { redactUrl } from "../runtime/redact.js";
import type { Logger } from "../runtime/logger.js";
import { CatFileBatch, ObjectTooLargeError } from "./batch.js";
import { parseCommitObject, tagNames, type CommitMetadata } from "./commit-metadata.js";
import type { CredentialProvider, RepoCredentials } from "./credentials.js";
import { compileDoublestar, compileGitPathspec } from "../util/glob.js";
import { runGit, DEFAULT_GIT_TIMEOUT_MS } from "./exec.js";
import { claimTreesRoot, type TreesRoot } from "./trees-owner.js";
import { isCommitSHA, refsPointingAt, resolveFromRefs, type RemoteRefs } from "./revision.js";
import { CliTransport, IsomorphicTransport, type RemoteContext, type Transport, type TransportName } from "./transport.js";
import type { ArtifactCacheBudget } from "./artifact-eviction.js";
import { DEFAULT_OCI_LIMITS, OciArtifactStore, artifactCacheBytes, isOciSourceURL, ociAuthFrom, type OciArtifactCacheMetrics, type OciLimits } from "./oci-artifacts.js";
import { FileTooLargeError, GitError, RevisionNotFoundError, type Checkout, type ReadFileOptions, type RepoSource } from "./types.js";
import type { GitTrustSnapshot } from "./trust.js";
import { normalizeGitURL, repoCacheKey, resolveSubmoduleURL } from "./url.js";

export interface GitOperationEvent {
  op: "ls-remote" | "fetch" | "checkout" | "ls-tree" | "lfs-fetch";
  /** Redacted repository URL. */
  repoURL: string;
  transport: TransportName;
  durationMs: number;
  ok: boolean;
  /** For fetch: what was asked for (refspecs, depth). */
  detail?: string;
  /** The revision being resolved (ls-remote) or fetched (fetch: the commit, "" for a fetch of every branch). */
  revision?: string;
}

export interface RepoCacheOptions {
  /** Root of the cache. Default `~/.cache/hawser` (repos/ and trees/ below it). */
  baseDir?: string;
  /** Default "git" (the CLI). "isomorphic-git" applies to http(s) repositories it can serve. */
  transport?: TransportName;
  credentials?: CredentialProvider;
  /** How long a ref listing is reused. Default 3 s; 0 lists on every resolve. */
  refsTtlMs?: number;
  /** Timeout of each git command. Default 90 s (Argo's exec timeout). */
  gitTimeoutMs?: number;
  /** Unreferenced work trees kept for reuse. Default 32. */
  maxTrees?: number;
  /** Commits whose file listing stays in memory, per repository. Default 16. */
  maxTreeIndexes?: number;
  /**
   * The OCI artifact bound shared with the process's other caches (processArtifactBudget): the
   * operator and the API server pass it, so `--oci-artifact-cache-size` bounds the process, not
   * each cache. Without it this cache has `maxArtifacts` and `maxArtifactBytes` of its own.
   */
  ociBudget?: ArtifactCacheBudget;
  /** Unpacked OCI artifacts kept, in use or not, beyond which released ones are removed. Default 32. */
  maxArtifacts?: number;
  /**
   * Bytes of unpacked OCI artifact content kept, likewise (`--oci-artifact-cache-size`). Default:
   * four artifacts as large as `ociLimits` allow (artifactCacheBytes), 4 GB at Argo's 1G.
   */
  maxArtifactBytes?: number;
  /** OCI artifact sources: size limits (argocd-cmd-params-cm reposerver.oci.manifest.max.extracted.size …). */
  ociLimits?: Partial<OciLimits>;
  /** OCI artifact sources: accepted layer media types (reposerver.oci.layer.media.types). */
  ociLayerMediaTypes?: readonly string[];
  /** OCI artifact sources: what the artifact cache reports (hits, misses, evictions, failed pulls). */
  ociMetrics?: OciArtifactCacheMetrics;
  /** Strict ssh known_hosts; unset = `trust`'s, else accept new hosts into `<baseDir>/known_hosts`. */
  knownHostsFile?: string;
  /** argocd-ssh-known-hosts-cm / argocd-tls-certs-cm as files (`GitTrustFiles.current`), read per command. */
  trust?: () => GitTrustSnapshot | undefined;
  /**
   * Check out submodules with their parent (Argo's ARGOCD_GIT_MODULES_ENABLED). Default true, as
   * in Argo; false leaves a submodule's directory empty.
   */
  submodules?: boolean;
  /** Called after every remote operation and checkout (metrics, tests). */
  onOperation?: (e: GitOperationEvent) => void;
  logger?: Logger;
}

export interface ResolveOptions {
  tagPrefix?: string;
  signal?: AbortSignal;
  /** Ignore the cached ref listing (e.g. after a webhook). */
  force?: boolean;
}

interface TreeIndex {
  files: string[];
  dirs: string[];
  /** Submodule entries: where they sit and the commit the parent pins. */
  gitlinks: { path: string; sha: string }[];
  /** files and dirs as a set, built on the first lookup of a path (readFileIfPresent). */
  paths?: Set<string>;
}

/** Commits whose metadata stays in memory (revision metadata requests). */
const MAX_COMMIT_METADATA = 1000;
/** Commits remembered as present per repository (see RepoState.present). */
const MAX_PRESENT_COMMITS = 4096;

/** Nesting of submodules beyond this is refused (a guard against absurd or looping setups). */
const MAX_SUBMODULE_DEPTH = 8;

/** The smudge filter of a `git lfs install`, given per command so the host's git config does not matter. */
const LFS_FILTER_CONFIG = ["-c", "filter.lfs.smudge=git-lfs smudge -- %f", "-c", "filter.lfs.process=git-lfs filter-process", "-c", "filter.lfs.required=true", "-c", "filter.lfs.clean=git-lfs clean -- %f"];

interface TreeEntry {
  path: string;
  refs: number;
  lastUsed: number;
  ready: Promise<string>;
}

class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

interface RepoState {
  key: string;
  gitDir: string;
  lock: Mutex;
  init?: Promise<void>;
  refs?: { at: number; value: RemoteRefs };
  refsInFlight?: Promise<RemoteRefs>;
  /** Bumped by invalidate(): a listing begun before it must not refill the cache with what it saw. */
  refsGeneration?: number;
  fetches: Map<string, Promise<void>>;
  batch?: CatFileBatch;
  indexes: Map<string, Promise<TreeIndex>>;
  trees: Map<string, TreeEntry>;
  /** Evicted trees not yet renamed away, by name: a new checkout of one waits for its rename. */
  removing: Map<string, Promise<void>>;
  /** This process's directory for the repository's trees (`<trees root>/<key>`), once claimed and scanned. */
  treesScanned?: Promise<string>;
  /** Created by this process and not fetched into yet: nothing to look up locally. */
  fresh?: boolean;
  /**
   * Commits known to be in the object database. Objects are never pruned (gc.auto=0, nothing
   * deletes a repository directory while the process runs), so once seen a commit stays: every
   * file read of a render asks, and looking at the ref files each time was a tenth of the
   * operator's CPU in P2. Bounded by starting over, which costs only the lookups it saved.
   */
  present: Set<string>;
  /** The URL without credentials, as metrics name the repository. */
  displayURL: string;
  /** Requests waiting for `lock` (argocd_repo_pending_request_total). */
  pending: number;
}

export class RepoCache implements RepoSource {
  readonly baseDir: string;
  private readonly repos = new Map<string, RepoState>();
  private readonly cli: CliTransport;
  private readonly iso: IsomorphicTransport;
  private readonly refsTtlMs: number;
  private readonly timeoutMs: number;
  private readonly maxTrees: number;
  private readonly maxIndexes: number;
  private readonly submodules: boolean;
  private readonly commitMetadata = new Map<string, CommitMetadata>();
  /** Claimed on the first checkout: see trees-owner.ts. */
  private treesRoot: Promise<TreesRoot> | undefined;
  private claimedTrees: TreesRoot | undefined;
  /** Counts per operation, for tests and metrics. */
  readonly stats = { lsRemote: 0, fetch: 0, checkout: 0 };
  /** OCI artifact sources (`oci://` without a chart), unpacked by digest. */
  private readonly oci: OciArtifactStore;

  constructor(private readonly opts: RepoCacheOptions = {}) {
    this.baseDir = opts.baseDir ?? join(homedir(), ".cache", "hawser");
    this.refsTtlMs = opts.refsTtlMs ?? 3_000;
    this.timeoutMs = opts.gitTimeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
    this.maxTrees = opts.maxTrees ?? 32;
    this.maxIndexes = opts.maxTreeIndexes ?? 16;
    this.submodules = opts.submodules ?? true;
    this.cli = new CliTransport({
      stateDir: join(this.baseDir, "state"),
      acceptNewKnownHosts: join(this.baseDir, "known_hosts"),
      ...(opts.knownHostsFile ? { knownHostsFile: opts.knownHostsFile } : {}),
      ...(opts.trust ? { trust: opts.trust } : {}),
    });
    const trust = opts.trust;
    this.iso = new IsomorphicTransport(trust ? (url) => hasCustomCA(url, trust()) : undefined);
    this.oci = new OciArtifactStore({
      // Beside the work trees and under the same ownership: only the owner picks up and evicts what
      // a previous run left. `<baseDir>/oci` is where earlier versions kept artifacts unbounded.
      root: async () => {
        const r = await this.claimTreesRoot();
        if (r.owner) await rm(join(this.baseDir, "oci"), { recursive: true, force: true });
        return { dir: join(r.dir, "oci"), owner: r.owner };
      },
      ...(opts.ociBudget
        ? { budget: opts.ociBudget }
        : { bounds: { ...(opts.maxArtifacts !== undefined ? { maxEntries: opts.maxArtifacts } : {}), maxBytes: artifactCacheBytes({ ...DEFAULT_OCI_LIMITS, ...opts.ociLimits }, opts.maxArtifactBytes) } }),
      ...(opts.ociLimits ? { limits: opts.ociLimits } : {}),
      ...(opts.ociLayerMediaTypes ? { layerMediaTypes: opts.ociLayerMediaTypes } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.ociMetrics ? { metrics: opts.ociMetrics } : {}),
      auth: async (url) => {
        const ca = await this.caCertFor(url);
        if (ca && "error" in ca) throw new GitError(redactUrl(url), `cannot verify the TLS certificate of ${redactUrl(url)}: ${ca.error}`);
        return ociAuthFrom(this.credentialsFor(url), ca?.pem);
      },
    });
  }

  // ---------------------------------------------------------------- revision resolution

  async resolveRevision(repoURL: string, targetRevision: string | undefined, opts: ResolveOptions = {}): Promise<string> {
    if (isOciSourceURL(repoURL)) return this.oci.resolveRevision(repoURL, targetRevision, opts.signal ? { signal: opts.signal } : {});
    const repo = this.repo(repoURL);
    const rev = (targetRevision ?? "").trim() || "HEAD";
    if (isCommitSHA(rev)) {
      const sha = rev.toLowerCase();
      await this.ensureCommit(repo, repoURL, sha, opts.signal);
      return sha;
    }
    const cachedAt = repo.refs?.at;
    let refs = await this.listRefs(repo, repoURL, { ...opts, revision: rev });
    let r = resolveFromRefs(refs, rev, opts.tagPrefix !== undefined ? { tagPrefix: opts.tagPrefix } : {});
    // A branch or tag missing from a listing served from the cache may have been pushed since (a
    // user creating a branch and syncing to it at once): list again before saying it is not there.
    if (r.kind === "unresolved" && !opts.force && cachedAt !== undefined && repo.refs?.at === cachedAt) {
      refs = await this.listRefs(repo, repoURL, { ...opts, force: true, revision: rev });
      r = resolveFromRefs(refs, rev, opts.tagPrefix !== undefined ? { tagPrefix: opts.tagPrefix } : {});
    }
    if (r.kind === "commit" || r.kind === "sha") return r.sha;
    if (r.kind === "short-sha") {
      await this.ensureInit(repo);
      let sha = await this.revParse(repo, repoURL, r.prefix);
      if (!sha) {
        await this.fetchAll(repo, repoURL, opts.signal);
        sha = await this.revParse(repo, repoURL, r.prefix);
      }
      if (sha) return sha;
    }
    throw new RevisionNotFoundError(redactUrl(repoURL), `unable to resolve revision "${rev}" in repository ${redactUrl(repoURL)}: no such branch, tag, commit or matching semver tag`);
  }

  /** Makes a commit available locally (fetching if needed), e.g. to warm the cache after a webhook. */
  async prefetch(repoURL: string, commit: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
    if (isOciSourceURL(repoURL)) {
      (await this.oci.checkout(repoURL, commit, opts)).release();
      return commit;
    }
    return this.commitSha(this.repo(repoURL), repoURL, commit, opts.signal);
  }

  /** Per repository used so far, how many requests wait for its lock (argocd_repo_pending_request_total). */
  pendingRequests(): Array<{ repo: string; pending: number }> {
    return [...this.repos.values()].map((r) => ({ repo: r.displayURL, pending: r.pending }));
  }

  /** The unpacked OCI artifacts this cache holds and their bytes (hawser_oci_artifact_cache_*). */
  ociArtifactUsage(): { entries: number; bytes: number } {
    return this.oci.usage();
  }

  /** Drops the cached ref listing of a repository (webhooks call this). */
  invalidate(repoURL: string): void {
    const repo = this.repos.get(repoCacheKey(repoURL));
    if (repo) {
      delete repo.refs;
      repo.refsGeneration = (repo.refsGeneration ?? 0) + 1;
    }
  }

  /** The remote's branches and tags by URL (one cached ls-remote; `force` lists again). */
  async remoteRefs(repoURL: string, opts: { force?: boolean; signal?: AbortSignal } = {}): Promise<RemoteRefs> {
    return this.listRefs(this.repo(repoURL), repoURL, opts);
  }

  /** The remote's refs (cached per TTL, concurrent callers share one listing). */
  async listRefs(repo: RepoState, repoURL: string, opts: { force?: boolean; signal?: AbortSignal; revision?: string } = {}): Promise<RemoteRefs> {
    if (!opts.force && repo.refs && Date.now() - repo.refs.at < this.refsTtlMs) return repo.refs.value;
    const running = repo.refsInFlight;
    if (running) {
      if (!opts.force) return running;
      // A forced listing (a refresh, a webhook) must see the remote as it is now, and the listing
      // running may have begun before a push: wait for it, then share only one begun since.
      await running.catch(() => undefined);
      if (repo.refsInFlight && repo.refsInFlight !== running) return repo.refsInFlight;
    }
    const generation = repo.refsGeneration ?? 0;
    const p = (async () => {
      await this.ensureInit(repo);
      const ctx = this.ctx(repo, repoURL, opts.signal);
      const t = this.pick(ctx);
      const value = await this.observe("ls-remote", repoURL, t.name, undefined, () => t.lsRemote(ctx), opts.revision);
      this.stats.lsRemote++;
      if ((repo.refsGeneration ?? 0) === generation) repo.refs = { at: Date.now(), value };
      return value;
    })();
    repo.refsInFlight = p;
    try {
      return await p;
    } finally {
      if (repo.refsInFlight === p) repo.refsInFlight = undefined;
    }
  }

  // ---------------------------------------------------------------- object database reads

  /**
   * Files matching `pattern`. Default dialect: doublestar (Argo with
   * `applicationsetcontroller.enable.new.git.file.globbing`); `globbing: "pathspec"` gives Argo's
   * default `git ls-files` matching, where `*` also crosses `/`.
   */
  async listFiles(repoURL: string, commit: string, pattern: string, opts: { signal?: AbortSignal; globbing?: "doublestar" | "pathspec" } = {}): Promise<string[]> {
    const index = await this.treeIndex(repoURL, commit, opts.signal);
    const clean = pattern.replace(/^(\.\/)+/, "").replace(/^\/+/, "");
    const re = opts.globbing === "pathspec" ? compileGitPathspec(clean) : compileDoublestar(clean);
    return index.files.filter((f) => re.test(f));
  }

  async listDirectories(repoURL: string, commit: string, opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    return [...(await this.treeIndex(repoURL, commit, opts.signal)).dirs];
  }

  async readFile(repoURL: string, commit: string, path: string, opts: ReadFileOptions = {}): Promise<Buffer> {
    const clean = cleanRepoPath(repoURL, path);
    if (isOciSourceURL(repoURL)) return this.readArtifactFile(repoURL, commit, clean, opts);
    const found = await this.readBlob(repoURL, commit, clean, opts);
    if (!found.content) throw new GitError(redactUrl(repoURL), `file "${clean}" not found at ${found.sha} in repository ${redactUrl(repoURL)}`);
    return found.content;
  }

  async readFileIfPresent(repoURL: string, commit: string, path: string, opts: ReadFileOptions = {}): Promise<Buffer | undefined> {
    const clean = cleanRepoPath(repoURL, path);
    if (isOciSourceURL(repoURL)) return this.readArtifactFile(repoURL, commit, clean, opts).catch((err: unknown) => {
      if (err instanceof FileTooLargeError) throw err;
      return undefined;
    });
    // The commit's listing answers "absent" (the usual answer) without a round trip to git.
    const index = await this.treeIndex(repoURL, commit, opts.signal);
    index.paths ??= new Set([...index.files, ...index.dirs]);
    if (!index.paths.has(clean)) return undefined;
    return (await this.readBlob(repoURL, commit, clean, opts)).content;
  }

  /** `<commit>:<clean>` from the object database: its content, or none when the path is absent. */
  private async readBlob(repoURL: string, commit: string, clean: string, opts: ReadFileOptions): Promise<{ sha: string; content?: Buffer }> {
    const repo = this.repo(repoURL);
    const sha = await this.commitSha(repo, repoURL, commit, opts.signal);
    const obj = await this.batch(repo).read(`${sha}:${clean}`, { maxBytes: opts.maxBytes }).catch((err: unknown) => {
      if (err instanceof ObjectTooLargeError) throw new FileTooLargeError(redactUrl(repoURL), clean, err.size, err.maxBytes);
      throw err;
    });
    if (!obj) return { sha };
    if (obj.type !== "blob") throw new GitError(redactUrl(repoURL), `"${clean}" at ${sha} in repository ${redactUrl(repoURL)} is a ${obj.type}, not a file`);
    return { sha, content: obj.content };
  }

  /**
   * The object id of `<commit>:<path>` (a tree or blob), or undefined when the path does not exist:
   * equal ids mean unchanged content, which lets the renderer skip apps a commit did not touch.
   */
  async treeHash(repoURL: string, commit: string, path: string, opts: { signal?: AbortSignal } = {}): Promise<string | undefined> {
    const clean = path === "" || path === "." ? "" : cleanRepoPath(repoURL, path);
    // An artifact has no tree ids; its digest fixes every path's content.
    if (isOciSourceURL(repoURL)) return this.artifactPathId(repoURL, commit, clean, opts.signal);
    const repo = this.repo(repoURL);
    const sha = await this.commitSha(repo, repoURL, commit, opts.signal);
    const { stdout } = await runGit(["rev-parse", "--verify", "--quiet", `${sha}:${clean}`], { repoURL, cwd: repo.gitDir, timeoutMs: this.timeoutMs }).catch(() => ({ stdout: "" }));
    const id = String(stdout).trim();
    if (/^[0-9a-f]{40,64}$/.test(id)) return id;
    // A path inside a submodule is not in the parent's objects; the commit the parent pins for the
    // submodule stands for its content (it changes whenever that content can).
    if (this.submodules && clean !== "") {
      const link = (await this.treeIndex(repoURL, sha, opts.signal)).gitlinks.find((g) => clean.startsWith(`${g.path}/`));
      if (link) return `submodule:${link.sha}:${clean.slice(link.path.length + 1)}`;
    }
    return undefined;
  }

  /**
   * What besides the commit decides a work tree's content for this repository: submodules on or
   * off, and Git LFS content or pointers. Render caches add it to their keys.
   */
  checkoutVariant(repoURL: string): string {
    if (isOciSourceURL(repoURL)) return "";
    return `${this.submodules ? "m" : ""}${this.credentialsFor(repoURL)?.enableLfs ? "l" : ""}`;
  }

  async verifyCommit(repoURL: string, commit: string, opts: { gnupgHome: string; signal?: AbortSignal }): Promise<string> {
    if (isOciSourceURL(repoURL)) throw new GitError(redactUrl(repoURL), `${redactUrl(repoURL)} is an OCI artifact: it has no git commit signature to verify, so a project with signatureKeys cannot use it`);
    const repo = this.repo(repoURL);
    const sha = await this.commitSha(repo, repoURL, commit, opts.signal);
    // gpg.program and log.showSignature pinned: host git config must not change what runs or what prints.
    const { stdout } = await runGit(["-c", "gpg.program=gpg", "-c", "log.showSignature=false", "log", "-1", `--format=${VERIFY_FORMAT}`, sha], {
      repoURL, cwd: repo.gitDir, env: { GNUPGHOME: opts.gnupgHome }, timeoutMs: this.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return stdout.toString("utf8");
  }

  /**
   * A revision's commit metadata (author, date, message: immutable, so kept per commit) and the
   * tags the remote advertises at that commit (read from the ref listing each time: tags move).
   */
  async revisionMetadata(repoURL: string, revision: string, opts: { signal?: AbortSignal } = {}): Promise<CommitMetadata & { sha: string; tags: string[] }> {
    const repo = this.repo(repoURL);
    const sha = await this.commitSha(repo, repoURL, revision, opts.signal);
    const key = `${repo.key}\u0000${sha}`;
    let meta = this.commitMetadata.get(key);
    if (!meta) {
      const obj = await this.batch(repo).read(`${sha}^{commit}`);
      if (obj?.type !== "commit") throw new GitError(redactUrl(repoURL), `commit ${sha} not found in repository ${redactUrl(repoURL)}`);
      meta = parseCommitObject(obj.content.toString("utf8"));
      // Bounded: the oldest entry goes first (a Map iterates in insertion order).
      if (this.commitMetadata.size >= MAX_COMMIT_METADATA) this.commitMetadata.delete(this.commitMetadata.keys().next().value!);
      this.commitMetadata.set(key, meta);
    }
    const refs = await this.listRefs(repo, repoURL, opts.signal ? { signal: opts.signal } : {});
    return { ...meta, sha, tags: tagNames(refsPointingAt(refs, sha)) };
  }

  /** The argocd-tls-certs-cm CA for an https (or oci://) URL's host; see RepoSource.caCertFor. */
  async caCertFor(repoURL: string): Promise<{ pem: string } | { error: string } | undefined> {
    let host: string;
    try {
      host = new URL(repoURL).hostname;
    } catch {
      return undefined;
    }
    // A ConfigMap change may retire the file between lookup and read: the next snapshot has it.
    for (let attempt = 0; ; attempt++) {
      const ca = this.opts.trust?.()?.caFor(host);
      if (!ca || "error" in ca) return ca;
      try {
        return { pem: await readFile(ca.file, "utf8") };
      } catch (err) {
        if (attempt >= 2) throw new GitError(redactUrl(repoURL), `cannot read the argocd-tls-certs-cm CA for ${host}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  // ---------------------------------------------------------------- work trees

  async checkout(repoURL: string, commit: string, opts: { signal?: AbortSignal } = {}): Promise<Checkout> {
    // An unpacked artifact is immutable (keyed by digest); the lease keeps it from eviction while read.
    if (isOciSourceURL(repoURL)) {
      const lease = await this.oci.checkout(repoURL, commit, opts);
      return { repoURL, commit, path: lease.path, release: () => lease.release() };
    }
    const repo = this.repo(repoURL);
    const sha = await this.commitSha(repo, repoURL, commit, opts.signal);
    const treesDir = await this.scanTrees(repo);
    const variant = this.checkoutVariant(repoURL);
    const name = variant ? `${sha}-${variant}` : sha;
    let entry = repo.trees.get(name);
    if (!entry) {
      const path = join(treesDir, name);
      // A tree being evicted is still on disk until its rename: materialize must not take it.
      const removal = repo.removing.get(name);
      const ready = removal ? removal.then(() => this.materialize(repo, repoURL, sha, treesDir, path, opts.signal)) : this.materialize(repo, repoURL, sha, treesDir, path, opts.signal);
      entry = { path, refs: 0, lastUsed: Date.now(), ready };
      repo.trees.set(name, entry);
      const created = entry;
      entry.ready.catch(() => {
        if (repo.trees.get(name) === created) repo.trees.delete(name);
      });
    }
    entry.refs++;
    try {
      await entry.ready;
    } catch (err) {
      entry.refs--;
      throw err;
    }
    const e = entry;
    let released = false;
    return {
      repoURL,
      commit: sha,
      path: e.path,
      release: () => {
        if (released) return;
        released = true;
        e.refs--;
        e.lastUsed = Date.now();
        this.evictTrees(repo);
      },
    };
  }

  /**
   * Closes the per-repository cat-file processes and gives up the work-tree directory (the lock on
   * the shared one, or the private one with its trees). Cached repositories on disk stay.
   */
  close(): void {
    for (const r of this.repos.values()) {
      r.batch?.close();
      // A later checkout claims and scans again (a private directory is gone with its trees).
      r.trees.clear();
      delete r.treesScanned;
    }
    this.oci.reset();
    // Synchronously when the claim has settled, so a cache opened right after this one (a
    // restart in a test) finds the lock free.
    const root = this.treesRoot;
    this.treesRoot = undefined;
    if (this.claimedTrees) this.claimedTrees.release();
    else if (root) void root.then((r) => r.release(), () => undefined);
    this.claimedTrees = undefined;
  }

  // ---------------------------------------------------------------- internals

  /** The manifest annotations of an OCI artifact source at a digest (the API's ocimetadata). */
  ociAnnotations(repoURL: string, digest: string, opts: { signal?: AbortSignal } = {}): Promise<Record<string, string>> {
    return this.oci.annotations(repoURL, digest, opts);
  }

  /** `oci:<digest>:<path>` when the path exists in the unpacked artifact (inside it), else undefined. */
  private async artifactPathId(repoURL: string, digest: string, clean: string, signal?: AbortSignal): Promise<string | undefined> {
    const lease = await this.oci.checkout(repoURL, digest, signal ? { signal } : {});
    try {
      const root = await realpath(lease.path);
      const target = await realpath(join(root, clean)).catch(() => undefined);
      if (target === undefined) return undefined;
      const rel = relative(root, target);
      return rel.startsWith("..") || isAbsolute(rel) ? undefined : `oci:${digest}:${clean}`;
    } finally {
      lease.release();
    }
  }

  /** A file of an unpacked artifact; its symlinks were checked to stay inside when it was unpacked. */
  private async readArtifactFile(repoURL: string, digest: string, clean: string, opts: ReadFileOptions): Promise<Buffer> {
    const lease = await this.oci.checkout(repoURL, digest, opts.signal ? { signal: opts.signal } : {});
    try {
      return await this.readLeasedArtifactFile(repoURL, digest, lease.path, clean, opts);
    } finally {
      lease.release();
    }
  }

  private async readLeasedArtifactFile(repoURL: string, digest: string, root: string, clean: string, opts: ReadFileOptions): Promise<Buffer> {
    const where = `${redactUrl(repoURL)}@${digest}`;
    const file = await realpath(join(root, clean)).catch(() => undefined);
    const rel = file === undefined ? undefined : relative(await realpath(root), file);
    if (file === undefined || rel === undefined || rel.startsWith("..") || isAbsolute(rel)) throw new GitError(redactUrl(repoURL), `file "${clean}" not found in OCI artifact ${where}`);
    const st = await stat(file);
    if (!st.isFile()) throw new GitError(redactUrl(repoURL), `"${clean}" in OCI artifact ${where} is not a file`);
    if (opts.maxBytes !== undefined && st.size > opts.maxBytes) throw new FileTooLargeError(redactUrl(repoURL), clean, st.size, opts.maxBytes);
    return readFile(file);
  }

  private repo(repoURL: string): RepoState {
    if (!repoURL.trim()) throw new GitError("", "repository URL is empty");
    // Everything that reaches here is git's alone (refs, listings, signatures, commit metadata).
    if (isOciSourceURL(repoURL)) throw new GitError(redactUrl(repoURL), `${redactUrl(repoURL)} is an OCI artifact: it has no git branches, tags, commits or file listings`);
    const key = repoCacheKey(repoURL);
    let r = this.repos.get(key);
    if (!r) {
      r = {
        key,
        gitDir: join(this.baseDir, "repos", key),
        lock: new Mutex(),
        displayURL: redactUrl(repoURL),
        pending: 0,
        fetches: new Map(),
        present: new Set(),
        indexes: new Map(),
        trees: new Map(),
        removing: new Map(),
      };
      this.repos.set(key, r);
    }
    return r;
  }

  credentialsFor(repoURL: string): RepoCredentials | undefined {
    return this.opts.credentials?.credentialsFor(repoURL);
  }

  private ctx(repo: RepoState, repoURL: string, signal?: AbortSignal): RemoteContext {
    const creds: RepoCredentials | undefined = this.opts.credentials?.credentialsFor(repoURL);
    return { repoURL, gitDir: repo.gitDir, creds, timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}) };
  }

  private pick(ctx: RemoteContext): Transport {
    return this.opts.transport === "isomorphic-git" && this.iso.supports(ctx) ? this.iso : this.cli;
  }

  private async observe<T>(op: GitOperationEvent["op"], repoURL: string, transport: TransportName, detail: string | undefined, fn: () => Promise<T>, revision?: string): Promise<T> {
    const start = performance.now();
    let ok = false;
    try {
      const v = await fn();
      ok = true;
      return v;
    } finally {
      const e: GitOperationEvent = { op, repoURL: redactUrl(repoURL), transport, durationMs: performance.now() - start, ok, ...(detail ? { detail } : {}), ...(revision !== undefined ? { revision } : {}) };
      this.opts.onOperation?.(e);
      this.opts.logger?.debug("git operation", { ...e });
    }
  }

  /** Creates the bare repository once (temp dir + rename, so a crash never leaves half of one). */
  private ensureInit(repo: RepoState): Promise<void> {
    repo.init ??= (async () => {
      if (existsSync(join(repo.gitDir, "HEAD"))) return;
      await mkdir(join(this.baseDir, "repos"), { recursive: true });
      const tmp = `${repo.gitDir}.tmp-${randomBytes(4).toString("hex")}`;
      // What `git init --bare` writes, minus hooks and samples; written directly because a process
      // spawn is a measurable part of a cold clone. gc.auto=0: objects fetched by SHA must never be
      // pruned under a reader.
      for (const d of ["objects/info", "objects/pack", "refs/heads", "refs/tags", "info"]) await mkdir(join(tmp, d), { recursive: true });
      await writeFile(join(tmp, "HEAD"), "ref: refs/heads/main\n");
      await writeFile(join(tmp, "config"), "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n[gc]\n\tauto = 0\n");
      try {
        await rename(tmp, repo.gitDir);
        repo.fresh = true;
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        if (!existsSync(join(repo.gitDir, "HEAD"))) throw err;
      }
    })();
    repo.init.catch(() => {
      delete repo.init;
    });
    return repo.init;
  }

  private batch(repo: RepoState): CatFileBatch {
    repo.batch ??= new CatFileBatch(repo.gitDir);
    return repo.batch;
  }

  private async hasCommit(repo: RepoState, sha: string): Promise<boolean> {
    const obj = await this.batch(repo).read(`${sha}^{commit}`);
    return obj?.type === "commit";
  }

  private markPresent(repo: RepoState, sha: string): void {
    if (repo.present.size >= MAX_PRESENT_COMMITS) repo.present.clear();
    repo.present.add(sha);
  }

  /** A loose ref's value (fetch writes loose refs), or undefined. */
  private async localRef(repo: RepoState, ref: string): Promise<string | undefined> {
    if (!/^refs\/[A-Za-z0-9._/-]+$/.test(ref) || ref.includes("..")) return undefined;
    try {
      return (await readFile(join(repo.gitDir, ref), "utf8")).trim();
    } catch {
      return undefined;
    }
  }

  private async revParse(repo: RepoState, repoURL: string, rev: string): Promise<string | undefined> {
    try {
      const { stdout } = await runGit(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { repoURL, cwd: repo.gitDir, timeoutMs: this.timeoutMs });
      const sha = stdout.toString("utf8").trim();
      return isCommitSHA(sha) ? sha : undefined;
    } catch {
      return undefined;
    }
  }

  /** A full commit SHA present in the object database (fetching if needed). */
  private async commitSha(repo: RepoState, repoURL: string, commit: string, signal?: AbortSignal): Promise<string> {
    const c = commit.trim().toLowerCase();
    if (isCommitSHA(c)) {
      await this.ensureCommit(repo, repoURL, c, signal);
      return c;
    }
    // Not a SHA: accept any revision, as a convenience for callers holding a branch or tag.
    return this.resolveRevision(repoURL, commit, signal ? { signal } : {}).then(async (sha) => {
      await this.ensureCommit(repo, repoURL, sha, signal);
      return sha;
    });
  }

  /** Makes `sha` available locally; concurrent callers for the same commit share one fetch. */
  private async ensureCommit(repo: RepoState, repoURL: string, sha: string, signal?: AbortSignal): Promise<void> {
    await this.ensureInit(repo);
    // When the listing names a ref at this commit, the local copy of that ref answers "present?"
    // without starting a process; a stale local ref means a fetch is due anyway.
    if (repo.present.has(sha)) return;
    const known = repo.refs ? refsPointingAt(repo.refs.value, sha) : [];
    const present = async (): Promise<boolean> => {
      if (repo.fresh) return false;
      let found = false;
      for (const r of known) {
        if ((await this.localRef(repo, r)) !== sha) continue;
        found = true;
        break;
      }
      if (!found && known.length === 0) found = await this.hasCommit(repo, sha);
      if (found) this.markPresent(repo, sha);
      return found;
    };
    if (await present()) return;
    let p = repo.fetches.get(sha);
    if (!p) {
      repo.pending++;
      p = repo.lock.run(async () => {
        repo.pending--;
        // Another fetch may have brought it while we waited for the lock.
        if (await present()) return;
        const ctx = this.ctx(repo, repoURL, signal);
        const t = this.pick(ctx);
        const depth = ctx.creds?.depth ?? 1;
        const attempts: { refspecs: string[]; depth?: number; tags?: boolean }[] = [];
        // The advertised ref pointing at it, if we know one (the usual case after a resolve).
        const ref = known.find((r) => r.startsWith("refs/heads/")) ?? known[0];
        if (ref) attempts.push({ refspecs: [`+${ref}:${ref}`], depth });
        // By SHA (servers allowing reachable/any SHA in want: GitHub, GitLab, git-http-backend).
        if (t.name === "git") attempts.push({ refspecs: [`+${sha}:refs/hawser/${sha}`], depth });
        // Everything.
        attempts.push({ refspecs: ["+refs/heads/*:refs/heads/*"], tags: true });
        let lastErr: unknown;
        for (const a of attempts) {
          try {
            await this.fetch(repo, repoURL, t, ctx, a, sha);
          } catch (err) {
            lastErr = err;
            // Authentication and reachability failures will not get better with another refspec.
            if (err instanceof GitError && /authentication failed|unreachable|not found:/.test(err.message)) throw err;
            continue;
          }
          // A fetched ref naming the commit proves it arrived, without starting a process.
          const target = a.refspecs[0]?.split(":")[1];
          if ((target && (await this.localRef(repo, target)) === sha) || (await this.hasCommit(repo, sha))) {
            this.markPresent(repo, sha);
            return;
          }
        }
        if (lastErr instanceof GitError && !(await this.hasCommit(repo, sha))) {
          throw new RevisionNotFoundError(redactUrl(repoURL), `commit ${sha} not found in repository ${redactUrl(repoURL)} (${lastErr.message})`, { cause: lastErr });
        }
        throw new RevisionNotFoundError(redactUrl(repoURL), `commit ${sha} not found in repository ${redactUrl(repoURL)}`);
      });
      repo.fetches.set(sha, p);
      const mine = p;
      void mine.finally(() => {
        if (repo.fetches.get(sha) === mine) repo.fetches.delete(sha);
      }).catch(() => undefined);
    }
    await p;
  }

  private async fetchAll(repo: RepoState, repoURL: string, signal?: AbortSignal): Promise<void> {
    repo.pending++;
    await repo.lock.run(async () => {
      repo.pending--;
      const ctx = this.ctx(repo, repoURL, signal);
      await this.fetch(repo, repoURL, this.pick(ctx), ctx, { refspecs: ["+refs/heads/*:refs/heads/*"], tags: true }, "");
    });
  }

  private async fetch(repo: RepoState, repoURL: string, t: Transport, ctx: RemoteContext, req: { refspecs: string[]; depth?: number; tags?: boolean }, revision: string): Promise<void> {
    const detail = `${req.refspecs.join(" ")}${req.depth !== undefined ? ` depth=${req.depth}` : " full"}`;
    try {
      await this.observe("fetch", repoURL, t.name, detail, () => t.fetch(ctx, req), revision);
      this.stats.fetch++;
      repo.fresh = false;
    } finally {
      // The batch reader may hold a stale pack list; the next read starts a fresh one.
      repo.batch?.retire();
      repo.batch = undefined;
    }
  }

  private async treeIndex(repoURL: string, commit: string, signal?: AbortSignal): Promise<TreeIndex> {
    const repo = this.repo(repoURL);
    const c = commit.trim().toLowerCase();
    // Usually the commit is present: list it right away (and start the cat-file process for the
    // reads that tend to follow, in parallel), fetching only when that fails.
    const listed = isCommitSHA(c) ? repo.indexes.get(c) : undefined;
    const sha = listed ? c : isCommitSHA(c) && existsSync(join(repo.gitDir, "HEAD")) ? c : await this.commitSha(repo, repoURL, commit, signal);
    let p = listed ?? repo.indexes.get(sha);
    if (!p) {
      const lsTree = (): Promise<{ stdout: Buffer }> =>
        runGit(["ls-tree", "-r", "-t", "-z", "--full-tree", sha], { repoURL, cwd: repo.gitDir, timeoutMs: this.timeoutMs });
      p = this.observe("ls-tree", repoURL, "git", undefined, async () => {
        this.batch(repo).warm();
        const { stdout } = await lsTree().catch(async () => {
          await this.ensureCommit(repo, repoURL, sha, signal);
          return lsTree();
        });
        const files: string[] = [];
        const dirs: string[] = [];
        const gitlinks: TreeIndex["gitlinks"] = [];
        for (const rec of stdout.toString("utf8").split("\0")) {
          const tab = rec.indexOf("\t");
          if (tab < 0) continue;
          const [, type, id] = rec.slice(0, tab).split(" ");
          const path = rec.slice(tab + 1);
          if (type === "tree") dirs.push(path);
          else if (type === "blob") files.push(path);
          // "commit" entries are submodules: not readable from this repository's objects.
          else if (type === "commit" && id) gitlinks.push({ path, sha: id });
        }
        return { files, dirs, gitlinks };
      });
      repo.indexes.set(sha, p);
      p.catch(() => repo.indexes.delete(sha));
      // Commits are immutable, so an LRU bound is the only reason to forget one.
      while (repo.indexes.size > this.maxIndexes) {
        const oldest = repo.indexes.keys().next().value;
        if (oldest === undefined) break;
        repo.indexes.delete(oldest);
      }
    } else {
      repo.indexes.delete(sha);
      repo.indexes.set(sha, p);
    }
    return p;
  }

  /**
   * This process's directory for `repo`'s trees; on first use, picks up the trees a previous run
   * left there (complete by construction: they were renamed in) and removes its leftovers. Only
   * the owner of `<baseDir>/trees` sweeps it: another process's temp directory is its work in progress.
   */
  private scanTrees(repo: RepoState): Promise<string> {
    repo.treesScanned ??= (async () => {
      const root = await this.claimTreesRoot();
      const treesDir = join(root.dir, repo.key);
      if (!root.owner) return treesDir;
      let names: string[] = [];
      try {
        names = await readdir(treesDir);
      } catch {
        return treesDir;
      }
      for (const n of names) {
        if (n.includes(".")) {
          // Leftover temp or trash directory from a crash.
          await rm(join(treesDir, n), { recursive: true, force: true });
          continue;
        }
        if (!/^[0-9a-f]{40,64}(-[a-z]+)?$/.test(n) || repo.trees.has(n)) continue;
        const path = join(treesDir, n);
        const s = await stat(path).catch(() => undefined);
        if (s?.isDirectory()) repo.trees.set(n, { path, refs: 0, lastUsed: s.mtimeMs, ready: Promise.resolve(path) });
      }
      return treesDir;
    })();
    return repo.treesScanned;
  }

  private async materialize(repo: RepoState, repoURL: string, sha: string, treesDir: string, path: string, signal?: AbortSignal): Promise<string> {
    if (existsSync(path)) return path;
    await mkdir(treesDir, { recursive: true });
    const tmp = `${path}.tmp-${randomBytes(4).toString("hex")}`;
    await mkdir(tmp);
    try {
      await this.checkoutInto(repo, repoURL, sha, tmp, tmp, signal);
      if (this.submodules) await this.checkoutSubmodules(repo, repoURL, sha, tmp, tmp, 1, signal);
      this.stats.checkout++;
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (existsSync(path)) return path;
      throw err;
    }
    return path;
  }

  /**
   * Writes the files of `sha` into `dir` (inside the work tree `root`), with LFS content when the
   * repository's Secret enables it.
   */
  private async checkoutInto(repo: RepoState, repoURL: string, sha: string, dir: string, root: string, signal?: AbortSignal): Promise<void> {
    const lfs = this.credentialsFor(repoURL)?.enableLfs === true;
    // A private index per checkout, beside the work tree (never in it): concurrent checkouts never
    // share one, and a crash's leftover is removed with the tree's temp directory (scanTrees).
    const index = `${root}.index-${randomBytes(4).toString("hex")}`;
    const checkout = (filter: string[], env: Record<string, string>): Promise<unknown> =>
      runGit([...filter, "--work-tree", dir, "-c", "core.symlinks=true", "-c", "core.autocrlf=false", "checkout", "--quiet", "--force", sha, "--", "."], {
        repoURL, cwd: repo.gitDir, env: { ...env, GIT_INDEX_FILE: index }, timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}),
      });
    try {
      if (!lfs) {
        // Pointer files stay as committed (Argo without enableLfs), whatever filters the host's git config installs.
        await this.observe("checkout", repoURL, "git", sha, () => checkout([], { GIT_LFS_SKIP_SMUDGE: "1" }));
        return;
      }
      // LFS objects land in the bare repository's lfs/ store, shared by every checkout of it. The
      // remote is named for git-lfs only through config in the environment, with the same
      // credentials, CA and proxy settings as the git fetch.
      const ctx = this.ctx(repo, repoURL, signal);
      await this.cli.withAuth(ctx, async (url, auth) => {
        const env = withConfig(auth, [["remote.origin.url", url], ["lfs.locksverify", "false"]]);
        await this.observe("lfs-fetch", repoURL, "git", sha, () =>
          runGit(["lfs", "fetch", "origin", sha], { repoURL, cwd: repo.gitDir, env, timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}) }));
        await this.observe("checkout", repoURL, "git", sha, () => checkout(LFS_FILTER_CONFIG, env));
      });
    } finally {
      await rm(index, { force: true });
    }
  }

  /**
   * Checks out the submodules of `sha` (checked out at `dir`) at the commits it pins, recursively,
   * as `git submodule update --init --recursive` does. `root` is the work tree being built; nothing
   * is written outside it.
   */
  private async checkoutSubmodules(repo: RepoState, repoURL: string, sha: string, dir: string, root: string, depth: number, signal?: AbortSignal): Promise<void> {
    const { gitlinks } = await this.treeIndex(repoURL, sha, signal);
    if (gitlinks.length === 0) return;
    const where = `repository ${redactUrl(repoURL)} at ${sha}`;
    if (depth > MAX_SUBMODULE_DEPTH) throw new GitError(redactUrl(repoURL), `submodules nested more than ${MAX_SUBMODULE_DEPTH} deep in ${where}`);
    const urls = await this.submoduleURLs(repo, repoURL, sha);
    for (const link of gitlinks) {
      const url = urls.get(link.path);
      if (url === undefined) throw new GitError(redactUrl(repoURL), `submodule "${link.path}" in ${where} has no url in .gitmodules`);
      let subURL: string;
      try {
        subURL = resolveSubmoduleURL(repoURL, url);
      } catch (err) {
        throw new GitError(redactUrl(repoURL), `submodule "${link.path}" in ${where}: ${redactUrl(err instanceof Error ? err.message : String(err))}`);
      }
      const target = join(dir, cleanRepoPath(repoURL, link.path));
      await mkdir(target, { recursive: true });
      // The directory came from the parent's own trees, but check the real path anyway.
      const real = await realpath(target);
      const rel = relative(await realpath(root), real);
      if (rel === "" || rel === ".." || rel.startsWith("../") || isAbsolute(rel)) {
        throw new GitError(redactUrl(repoURL), `submodule "${link.path}" in ${where} resolves outside the work tree`);
      }
      const sub = this.repo(subURL);
      try {
        await this.ensureCommit(sub, subURL, link.sha, signal);
        await this.checkoutInto(sub, subURL, link.sha, real, root, signal);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new GitError(redactUrl(repoURL), `submodule "${link.path}" (${redactUrl(subURL)}) of ${where}: ${msg}`, { cause: err });
      }
      await this.checkoutSubmodules(sub, subURL, link.sha, real, root, depth + 1, signal);
    }
  }

  /** `.gitmodules` at `sha`: submodule path → url as written. */
  private async submoduleURLs(repo: RepoState, repoURL: string, sha: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const { stdout } = await runGit(["config", "--blob", `${sha}:.gitmodules`, "-z", "--get-regexp", "^submodule\\..*\\.(path|url)$"], {
      repoURL, cwd: repo.gitDir, timeoutMs: this.timeoutMs,
    }).catch(() => ({ stdout: Buffer.alloc(0) }));
    const byName = new Map<string, { path?: string; url?: string }>();
    for (const rec of stdout.toString("utf8").split("\0")) {
      const nl = rec.indexOf("\n");
      if (nl < 0) continue;
      const key = rec.slice(0, nl);
      const m = /^submodule\.(.+)\.(path|url)$/.exec(key);
      if (!m) continue;
      const e = byName.get(m[1]!) ?? {};
      e[m[2] as "path" | "url"] = rec.slice(nl + 1);
      byName.set(m[1]!, e);
    }
    for (const e of byName.values()) if (e.path !== undefined && e.url !== undefined) out.set(e.path.replace(/\/+$/, ""), e.url);
    return out;
  }

  /** This process's work-tree root (see trees-owner.ts), claimed once. */
  private claimTreesRoot(): Promise<TreesRoot> {
    this.treesRoot ??= claimTreesRoot(this.baseDir).then((r) => (this.claimedTrees = r));
    return this.treesRoot;
  }

  private evictTrees(repo: RepoState): void {
    let total = 0;
    for (const r of this.repos.values()) total += r.trees.size;
    if (total <= this.maxTrees) return;
    const idle = [...this.repos.values()]
      .flatMap((r) => [...r.trees.entries()].map(([sha, e]) => ({ r, sha, e })))
      .filter((x) => x.e.refs === 0)
      .sort((a, b) => a.e.lastUsed - b.e.lastUsed);
    for (const { r, sha, e } of idle) {
      if (total <= this.maxTrees) break;
      r.trees.delete(sha);
      total--;
      // Renamed away first, so a new checkout of the same commit never sees a half-deleted tree;
      // until the rename is done, such a checkout waits for it (r.removing).
      const trash = `${e.path}.trash-${randomBytes(4).toString("hex")}`;
      const renamed = e.ready.then(() => rename(e.path, trash));
      const settled = renamed.then(() => undefined, () => undefined);
      r.removing.set(sha, settled);
      void settled.then(() => {
        if (r.removing.get(sha) === settled) r.removing.delete(sha);
      });
      void renamed
        .then(() => rm(trash, { recursive: true, force: true }))
        .catch((err: unknown) => this.opts.logger?.warn("removing work tree failed", { repo: repo.key, error: String(err) }));
    }
  }
}

/** A repository-relative path for the object database: no absolute paths, no `..`, no newlines. */
function cleanRepoPath(repoURL: string, path: string): string {
  const p = path.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  if (!p || p.startsWith("/") || /[\n\r\0]/.test(p) || p.split("/").some((s) => s === ".." || s === ".")) {
    throw new GitError(redactUrl(repoURL), `invalid path "${path.replace(/[\n\r\0]/g, "?")}" in repository ${redactUrl(repoURL)}: paths must be relative and stay inside the repository`);
  }
  return p;
}

export { normalizeGitURL };

/** `env` with `pairs` appended to its GIT_CONFIG_COUNT/KEY/VALUE configuration. */
function withConfig(env: Record<string, string>, pairs: [string, string][]): Record<string, string> {
  const out = { ...env };
  let n = Number(out.GIT_CONFIG_COUNT ?? "0");
  for (const [k, v] of pairs) {
    out[`GIT_CONFIG_KEY_${n}`] = k;
    out[`GIT_CONFIG_VALUE_${n}`] = v;
    n++;
  }
  out.GIT_CONFIG_COUNT = String(n);
  return out;
}

/** Whether argocd-tls-certs-cm has an entry (usable or not) for the URL's server. */
function hasCustomCA(repoURL: string, trust: GitTrustSnapshot | undefined): boolean {
  if (!trust) return false;
  try {
    return trust.caFor(new URL(repoURL).hostname) !== undefined;
  } catch {
    return false;
  }
}
