// Fetches what repo.GetCommitMetadata and repo.GetAppDetails answer from, before an app's
// triggers are evaluated (the wasm evaluator is synchronous, so it cannot call out). Commit
// metadata comes from the operator's RepoCache (kept per commit there); app details are read as
// Argo's repo-server answers GetAppDetails, with render/app-details.ts: from a checkout of the
// source's targetRevision, or for a Helm-repository chart from the chart pulled at the version
// targetRevision resolves to (the renderer's chart cache); a Kustomize source's images are those of
// its built output. They are kept per (repository, commit, source) here, a chart's for a minute. Any
// failure throws: the controller reports it and retries the app rather than evaluating with data
// missing. Git is read with the credentials the app's project may use (its project-scoped
// repository Secrets, then unscoped ones), and what is kept is kept per RepoReader, so one
// project's answers never serve another's app.
import type { CommitMetadata } from "../../git/commit-metadata.js";
import type { RepoSource } from "../../git/types.js";
import { type AppDetails, builtImages, repoChartDetails, sourceDetails } from "../../render/app-details.js";
import type { RenderSettings } from "../../render/index.js";
import type { ApplicationSource } from "../../api/index.js";
import type { PluginRegistry, SourceSpec } from "../../../plugins/index.js";
import { INDEX_TTL_MS } from "../../../plugins/helm/repo.js";
import { appCommitRefs, appSources, type RepoHelpersUsed } from "../../engine/notifications/repo-refs.js";
import { errorMessage, isRecord } from "../../util/index.js";

/** The RepoCache: commit metadata, and what a render reads (checkouts, credentials, CAs). */
export interface RepoReader extends RepoSource {
  revisionMetadata(repoURL: string, revision: string): Promise<CommitMetadata & { sha: string; tags: string[] }>;
}

/** The evaluator's `repo` data (hack/notify-wasm decodes the names case-insensitively). */
export interface RepoHelperPayload {
  commits?: Record<string, { message: string; author: string; date: string; tags: string[] }>;
  appDetails?: AppDetails;
}

/** argocd-cm's render settings and the plugins built for them, as the Application controller reads them. */
export type RenderSettingsSource = () => { render: RenderSettings; plugins?: PluginRegistry };

const MAX_APP_DETAILS = 256;

/** The git access an app may use: one RepoReader, or one per app (its project's, ProjectRepoCaches). */
export type RepoReaderFor = RepoReader | ((app: Record<string, unknown>) => RepoReader);

interface Kept {
  details: Map<string, AppDetails>;
  chartDetails: Map<string, { at: number; details: AppDetails }>;
}

export class RepoDataFetcher {
  /** Per RepoReader: a project's answers, read with its credentials, stay with its reader. */
  private readonly kept = new WeakMap<RepoReader, Kept>();

  constructor(private readonly repos: RepoReaderFor, private readonly plugins: PluginRegistry, private readonly settings?: RenderSettingsSource) {}

  /** The data the helpers in use need for this app; throws an Error naming what could not be read. */
  async fetch(app: Record<string, unknown>, used: RepoHelpersUsed): Promise<RepoHelperPayload> {
    const repos = typeof this.repos === "function" ? this.repos(app) : this.repos;
    const out: RepoHelperPayload = {};
    if (used.commitMetadata) {
      const commits: NonNullable<RepoHelperPayload["commits"]> = {};
      for (const ref of appCommitRefs(app)) {
        if (ref.revision in commits) continue;
        const meta = await repos.revisionMetadata(ref.repoURL, ref.revision).catch((err: unknown) => {
          throw new Error(`cannot read the metadata of revision ${ref.revision}: ${errorMessage(err)}`);
        });
        commits[ref.revision] = { message: meta.message, author: meta.author, date: meta.date, tags: meta.tags };
      }
      out.commits = commits;
    }
    if (used.appDetails) {
      const source = appSources(app)[0];
      // No source: GetAppDetails reports it is not available.
      if (source) {
        const what = typeof source.chart === "string" && source.chart ? `chart ${source.chart}` : typeof source.path === "string" && source.path ? source.path : "the source";
        out.appDetails = await this.appDetails(repos, source, app).catch((err: unknown) => {
          throw new Error(`cannot read the app details of ${what}: ${errorMessage(err)}`);
        });
      }
    }
    return out;
  }

  private async appDetails(repos: RepoReader, source: SourceSpec & { repoURL: string }, app: Record<string, unknown>): Promise<AppDetails> {
    let kept = this.kept.get(repos);
    if (!kept) this.kept.set(repos, (kept = { details: new Map(), chartDetails: new Map() }));
    const settings = this.settings?.();
    const plugins = settings?.plugins ?? this.plugins;
    const renderDeps = { repos, ...(settings ? { settings: settings.render } : {}) };
    if (typeof source.chart === "string" && source.chart) {
      // A constraint may resolve to a newer version later, so chart details are kept briefly (as
      // the index is), not per version: an OCI lookup runs helm, which every evaluation must not.
      const key = `chart\u0000${JSON.stringify(source)}`;
      const hit = kept.chartDetails.get(key);
      if (hit && Date.now() - hit.at < INDEX_TTL_MS) return hit.details;
      const details = await repoChartDetails(source as SourceSpec & ApplicationSource, renderDeps, plugins);
      if (kept.chartDetails.size >= MAX_APP_DETAILS) kept.chartDetails.delete(kept.chartDetails.keys().next().value!);
      kept.chartDetails.set(key, { at: Date.now(), details });
      return details;
    }
    const sha = await repos.resolveRevision(source.repoURL, typeof source.targetRevision === "string" ? source.targetRevision : undefined);
    const key = `${source.repoURL}\u0000${sha}\u0000${JSON.stringify(source)}`;
    const hit = kept.details.get(key);
    if (hit) return hit;
    const checkout = await repos.checkout(source.repoURL, sha);
    let details: AppDetails;
    try {
      details = await sourceDetails(checkout.path, source, plugins);
    } finally {
      checkout.release();
    }
    if (details.type === "Kustomize") {
      // As Argo's repo-server: the images of the built output, not of the kustomization's list.
      const meta = isRecord(app.metadata) ? app.metadata : {};
      const spec = isRecord(app.spec) ? app.spec : {};
      const ident = {
        name: typeof meta.name === "string" ? meta.name : "", namespace: typeof meta.namespace === "string" ? meta.namespace : "",
        project: typeof spec.project === "string" && spec.project ? spec.project : "default",
      };
      const images = await builtImages({ ...source, targetRevision: sha } as ApplicationSource, ident, { ...renderDeps, plugins });
      details = { type: "Kustomize", kustomize: images.length > 0 ? { images } : {} };
    }
    // Bounded: the oldest entry goes first (a Map iterates in insertion order).
    if (kept.details.size >= MAX_APP_DETAILS) kept.details.delete(kept.details.keys().next().value!);
    kept.details.set(key, details);
    return details;
  }
}
