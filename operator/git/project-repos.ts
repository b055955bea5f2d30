// Git caches per credential scope, for project-scoped repository Secrets (Argo: a `repository` or
// `repo-creds` Secret with `project: <name>` serves that project's Applications only; unscoped
// Secrets serve everyone).
//
// A RepoCache reads whatever its clones hold, so a clone fetched with a project's credentials must
// never be read for another project's request. The shared cache sees unscoped Secrets only and
// serves every request whose project has no Secret of its own: the common case keeps one fetch
// per repository. A project with at least one scoped Secret gets a cache of its own, in a
// directory of its own, that sees its scoped Secrets first and the unscoped ones after; its
// clones are never read for anything else. When the project's last scoped Secret goes, its
// requests go back to the shared cache (which never fetched with that project's credentials).
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { CredentialProvider } from "./credentials.js";
import { RepoCache, type RepoCacheOptions } from "./repo-cache.js";

/** What the caches need of the credential store (SecretCredentialStore). */
export interface ScopedCredentials extends CredentialProvider {
  /** The credentials a request of `project` may use: its scoped Secrets first, then unscoped. */
  forProject(project: string): CredentialProvider;
  /** True when some repository or repo-creds Secret is scoped to `project`. */
  hasProject(project: string): boolean;
}

export interface ProjectRepoCachesOptions {
  credentials: ScopedCredentials;
  /** Root of the shared cache (default RepoCache's); a project's lives under `<baseDir>/projects/<hash>`. */
  baseDir?: string;
  /** Everything else every cache shares (trust, OCI limits, logger, metrics hook, ...). */
  cache?: Omit<RepoCacheOptions, "baseDir" | "credentials">;
}

export class ProjectRepoCaches {
  /** Unscoped Secrets only: for requests without a project or of a project without Secrets. */
  readonly shared: RepoCache;
  private readonly projects = new Map<string, RepoCache>();

  constructor(private readonly opts: ProjectRepoCachesOptions) {
    this.shared = new RepoCache({ ...opts.cache, ...(opts.baseDir ? { baseDir: opts.baseDir } : {}), credentials: opts.credentials });
  }

  /**
   * The cache whose credentials and clones a request of `project` may use. Undefined (or an
   * empty name) gets the shared cache: a caller that cannot name a project gets unscoped Secrets.
   */
  forProject(project: string | undefined): RepoCache {
    if (!project || !this.opts.credentials.hasProject(project)) return this.shared;
    let repos = this.projects.get(project);
    if (!repos) {
      // A project name comes from a user's object: it never becomes a path, its hash does.
      const dir = join(this.shared.baseDir, "projects", createHash("sha256").update(project).digest("hex").slice(0, 24));
      repos = new RepoCache({ ...this.opts.cache, baseDir: dir, credentials: this.opts.credentials.forProject(project) });
      this.projects.set(project, repos);
    }
    return repos;
  }

  /** Every cache made so far, the shared one first. */
  all(): RepoCache[] {
    return [this.shared, ...this.projects.values()];
  }

  /** Forgets the cached ref listing of `repoURL` in every cache (a webhook push concerns them all). */
  invalidate(repoURL: string): void {
    for (const r of this.all()) r.invalidate(repoURL);
  }

  /** Waiting requests per repository, summed over the caches (argocd_repo_pending_request_total). */
  pendingRequests(): Array<{ repo: string; pending: number }> {
    const sums = new Map<string, number>();
    for (const r of this.all()) for (const p of r.pendingRequests()) sums.set(p.repo, (sums.get(p.repo) ?? 0) + p.pending);
    return [...sums].map(([repo, pending]) => ({ repo, pending }));
  }

  /**
   * The OCI artifact caches' size, summed over the caches (hawser_oci_artifact_cache_*). With a
   * process budget (RepoCacheOptions.ociBudget) this is this set's share of it.
   */
  ociArtifactUsage(): { entries: number; bytes: number } {
    let entries = 0;
    let bytes = 0;
    for (const r of this.all()) {
      const u = r.ociArtifactUsage();
      entries += u.entries;
      bytes += u.bytes;
    }
    return { entries, bytes };
  }

  close(): void {
    for (const r of this.all()) r.close();
  }
}
