// Fetches what repo.GetCommitMetadata and repo.GetAppDetails answer from, before an app's
// triggers are evaluated (the wasm evaluator is synchronous, so it cannot call out). Commit
// metadata comes from the operator's RepoCache (kept per commit there); app details are read from
// a checkout of the source's targetRevision with render/app-details.ts, as Argo's repo-server
// answers GetAppDetails, and kept per (repository, commit, source) here. Any failure throws: the
// controller reports it and retries the app rather than evaluating with data missing.
import type { CommitMetadata } from "../../git/commit-metadata.js";
import type { Checkout } from "../../git/types.js";
import { type AppDetails, sourceDetails } from "../../render/app-details.js";
import type { PluginRegistry, SourceSpec } from "../../../plugins/index.js";
import { appCommitRefs, appSources, type RepoHelpersUsed } from "../../engine/notifications/repo-refs.js";
import { errorMessage } from "../../util/index.js";

/** The parts of the RepoCache used here. */
export interface RepoReader {
  revisionMetadata(repoURL: string, revision: string): Promise<CommitMetadata & { sha: string; tags: string[] }>;
  resolveRevision(repoURL: string, targetRevision: string | undefined): Promise<string>;
  checkout(repoURL: string, commit: string): Promise<Checkout>;
}

/** The evaluator's `repo` data (hack/notify-wasm decodes the names case-insensitively). */
export interface RepoHelperPayload {
  commits?: Record<string, { message: string; author: string; date: string; tags: string[] }>;
  appDetails?: AppDetails;
}

const MAX_APP_DETAILS = 256;

export class RepoDataFetcher {
  private readonly details = new Map<string, AppDetails>();

  constructor(private readonly repos: RepoReader, private readonly plugins: PluginRegistry) {}

  /** The data the helpers in use need for this app; throws an Error naming what could not be read. */
  async fetch(app: Record<string, unknown>, used: RepoHelpersUsed): Promise<RepoHelperPayload> {
    const out: RepoHelperPayload = {};
    if (used.commitMetadata) {
      const commits: NonNullable<RepoHelperPayload["commits"]> = {};
      for (const ref of appCommitRefs(app)) {
        if (ref.revision in commits) continue;
        const meta = await this.repos.revisionMetadata(ref.repoURL, ref.revision).catch((err: unknown) => {
          throw new Error(`cannot read the metadata of revision ${ref.revision}: ${errorMessage(err)}`);
        });
        commits[ref.revision] = { message: meta.message, author: meta.author, date: meta.date, tags: meta.tags };
      }
      out.commits = commits;
    }
    if (used.appDetails) {
      const source = appSources(app)[0];
      // No source, or a chart from a Helm repository: GetAppDetails reports it is not available.
      if (source && !source.chart) out.appDetails = await this.appDetails(source).catch((err: unknown) => {
        throw new Error(`cannot read the app details of ${typeof source.path === "string" && source.path ? source.path : "the source"}: ${errorMessage(err)}`);
      });
    }
    return out;
  }

  private async appDetails(source: SourceSpec & { repoURL: string }): Promise<AppDetails> {
    const sha = await this.repos.resolveRevision(source.repoURL, typeof source.targetRevision === "string" ? source.targetRevision : undefined);
    const key = `${source.repoURL}\u0000${sha}\u0000${JSON.stringify(source)}`;
    const hit = this.details.get(key);
    if (hit) return hit;
    const checkout = await this.repos.checkout(source.repoURL, sha);
    let details: AppDetails;
    try {
      details = await sourceDetails(checkout.path, source, this.plugins);
    } finally {
      checkout.release();
    }
    // Bounded: the oldest entry goes first (a Map iterates in insertion order).
    if (this.details.size >= MAX_APP_DETAILS) this.details.delete(this.details.keys().next().value!);
    this.details.set(key, details);
    return details;
  }
}
