// What the UI shows about a revision of an app's source (argo-cd-server.md §1.3):
// `.../revisions/{revision}/metadata` (a git commit's author, date, message and tags, from the
// server's repository cache), `.../chartdetails` (a Helm chart's description, home and maintainers
// from Chart.yaml at that version) and `.../ocimetadata` (an OCI artifact source's manifest
// annotations at a digest: created, authors, url, documentation, source, version). Each checks
// `applications, get` on the app with Argo's existence hiding; `sourceIndex` picks a source of a
// multi-source app, `versionId` the sources of a history entry.
import { lstat, readFile, realpath } from "node:fs/promises";
import { join, relative, isAbsolute } from "node:path";
import { parse as parseYaml } from "yaml";
import { createChartCache } from "../../../plugins/helm/index.js";
import type { ApplicationSource } from "../../api/index.js";
import { isCommitSHA, isTruncatedCommitSHA } from "../../git/revision.js";
import { GitError, RevisionNotFoundError } from "../../git/types.js";
import { isOciSourceURL, ociMetadata } from "../../git/oci-artifacts.js";
import { commitReference } from "../../git/commit-metadata.js";
import { helmAuthWithTrust } from "../../render/index.js";
import { deepEqual, isRecord } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ApplicationObject, ServerCache } from "../cache.js";
import type { ApiRequest, ApiRouter } from "../http/api.js";
import { ApiError, Code, invalidArgument, notFound } from "../http/errors.js";
import { type AppFinder, queryInt } from "./app-access.js";

export interface AppRevisionServiceDeps {
  cache: ServerCache;
  /** The Application service: finds the app with RBAC and existence hiding. */
  apps: AppFinder;
  reader: AppStateReader;
  /** Pulls Helm-repository charts (a cache of the server's own by default). */
  charts?: ReturnType<typeof createChartCache>;
}

/** Chart.yaml is small; a bigger one is refused rather than read. */
const MAX_CHART_YAML_BYTES = 1024 * 1024;

/**
 * The source a revision request means: the app's sources (or those of history entry `versionId`),
 * then the one at `sourceIndex` (default 0). Errors name the parameter.
 */
export function sourceFor(app: Pick<ApplicationObject, "spec" | "status">, sourceIndex: number | undefined, versionId: number | undefined): ApplicationSource {
  const { sources } = sourcesFor(app, versionId);
  const index = sourceIndex ?? 0;
  const source = sources[index];
  if (!source) {
    throw invalidArgument(sources.length === 1
      ? `sourceIndex ${index} not found because there is only 1 source`
      : `sourceIndex ${index} not found because there are only ${sources.length} sources`);
  }
  return source;
}

/**
 * The app's sources, or those of history entry `versionId` with the revisions it deployed (one
 * per source; undefined where the entry does not say). A missing entry is NotFound naming versionId.
 */
export function sourcesFor(app: Pick<ApplicationObject, "spec" | "status">, versionId: number | undefined): { sources: ApplicationSource[]; revisions?: Array<string | undefined> } {
  if (versionId === undefined) return { sources: app.spec.sources && app.spec.sources.length > 0 ? app.spec.sources : app.spec.source ? [app.spec.source] : [] };
  const entry = (app.status?.history ?? []).find((h) => h.id === versionId);
  if (!entry) throw notFound(`versionId ${versionId}: no such entry in the application's history`);
  if (entry.sources && entry.sources.length > 0) return { sources: entry.sources, revisions: entry.sources.map((_, i) => entry.revisions?.[i] || undefined) };
  return { sources: entry.source ? [entry.source] : [], revisions: [entry.revision || undefined] };
}

/** A source without its empty fields (null, "", false, 0, [], {}): a Go struct reads them as absent. */
function withoutEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutEmpty);
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const y = withoutEmpty(x);
    if (y === null || y === undefined || y === "" || y === false || y === 0) continue;
    if (Array.isArray(y) && y.length === 0) continue;
    if (isRecord(y) && Object.keys(y).length === 0) continue;
    out[k] = y;
  }
  return out;
}

const sameSource = (a: unknown, b: unknown): boolean => deepEqual(withoutEmpty(a), withoutEmpty(b));

/**
 * Argo's isSourceInHistory (server/repository): whether `source` is the app's current source (of
 * a multi-source app, source `sourceIndex`) or one it deployed, with the history entry's
 * targetRevision replaced by the revision it synced (an entry's "HEAD" is ambiguous, its SHA is
 * not); of a multi-source app's history only entry `versionId` counts, sources come and go. A
 * details request naming an existing app may read git with the app's project's credentials only
 * for such a source, so `applications, get` on an app is no licence to read any repository.
 */
export function isSourceInHistory(app: Pick<ApplicationObject, "spec" | "status">, source: ApplicationSource, sourceIndex: number | undefined, versionId: number | undefined): boolean {
  const index = sourceIndex ?? 0;
  const multi = (app.spec.sources?.length ?? 0) > 0;
  const current = multi ? app.spec.sources?.[index] : app.spec.source;
  if (current && sameSource(source, current)) return true;
  for (const h of app.status?.history ?? []) {
    if (h.sources && h.sources.length > 0) {
      if (h.id !== (versionId ?? 0) || !h.revisions) continue;
      const s = h.sources[index];
      if (s && sameSource(source, { ...s, targetRevision: h.revisions[index] })) return true;
    } else if (h.source && sameSource(source, { ...h.source, targetRevision: h.revision })) {
      return true;
    }
  }
  return false;
}

/** Chart.yaml's description, home and maintainers (`Name <email>`), each left out when empty. */
export function chartDetails(chartYaml: string): { description?: string; home?: string; maintainers?: string[] } {
  let doc: unknown;
  try { doc = parseYaml(chartYaml); } catch (err) { throw invalidArgument(`Chart.yaml is not valid YAML: ${err instanceof Error ? err.message : String(err)}`); }
  if (!isRecord(doc)) throw invalidArgument("Chart.yaml is not a YAML mapping");
  const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
  const maintainers = (Array.isArray(doc.maintainers) ? doc.maintainers : []).filter(isRecord).map((m) => {
    const name = str(m.name) ?? "";
    const email = str(m.email);
    return email ? `${name} <${email}>`.trim() : name;
  }).filter(Boolean);
  const description = str(doc.description);
  const home = str(doc.home);
  return { ...(description ? { description } : {}), ...(home ? { home } : {}), ...(maintainers.length > 0 ? { maintainers } : {}) };
}

export class AppRevisionService {
  private readonly charts: ReturnType<typeof createChartCache>;

  constructor(private readonly deps: AppRevisionServiceDeps) {
    this.charts = deps.charts ?? createChartCache();
  }

  register(r: ApiRouter): void {
    r.get("/api/v1/applications/:name/revisions/:revision/metadata", (req) => this.metadata(req));
    r.get("/api/v1/applications/:name/revisions/:revision/chartdetails", (req) => this.chartDetails(req));
    r.get("/api/v1/applications/:name/revisions/:revision/ocimetadata", (req) => this.ociMetadata(req));
  }

  /** The git cache of the app's project (its project-scoped repository Secrets included). */
  private reposOf(app: ApplicationObject): ReturnType<AppStateReader["reposFor"]> {
    return this.deps.reader.reposFor(app.spec.project || "default");
  }

  private source(req: ApiRequest): { app: ApplicationObject; source: ApplicationSource; revision: string } {
    const app = this.deps.apps.findApp(req.caller, req.params.name!, req.query, "get");
    const source = sourceFor(app, queryInt(req.query, "sourceIndex"), queryInt(req.query, "versionId"));
    const revision = req.params.revision ?? "";
    if (!revision) throw invalidArgument("revision is required");
    return { app, source, revision };
  }

  private async metadata(req: ApiRequest): Promise<unknown> {
    const { app, source, revision } = this.source(req);
    if (source.chart) throw invalidArgument(`the source is Helm chart ${source.chart} from ${source.repoURL}, not a git repository: use .../revisions/${revision}/chartdetails`);
    // As Argo's repo server: metadata is for a resolved revision (a commit SHA, possibly short).
    if (!isCommitSHA(revision) && !isTruncatedCommitSHA(revision)) throw invalidArgument(`revision ${revision} must be resolved: a commit SHA, not a branch or tag`);
    try {
      const meta = await this.reposOf(app).revisionMetadata(source.repoURL, revision);
      const reference = commitReference(meta.message);
      const signature = await this.deps.reader.signatureInfo(app, source.repoURL, meta.sha);
      return {
        author: meta.author, date: meta.date, ...(meta.tags.length > 0 ? { tags: meta.tags } : {}), ...(meta.message ? { message: meta.message } : {}),
        ...(signature ? { signatureInfo: signature } : {}), ...(reference ? { references: [{ commit: reference }] } : {}),
      };
    } catch (err) {
      throw gitApiError(err, revision);
    }
  }

  private async chartDetails(req: ApiRequest): Promise<unknown> {
    const { app, source, revision } = this.source(req);
    const repos = this.reposOf(app);
    if (source.chart) {
      const auth = await helmAuthWithTrust(repos, source.repoURL);
      const repoURL = !/^[a-z][a-z0-9+.-]*:\/\//i.test(source.repoURL) && repos.credentialsFor(source.repoURL)?.enableOCI ? `oci://${source.repoURL}` : source.repoURL;
      let dir: string;
      try {
        dir = await this.charts.pull({ repoURL, chart: source.chart, version: revision, ...(auth ?? {}), ...(source.helm?.passCredentials ? { passCredentials: true } : {}) });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (/not found|no chart version/i.test(message)) throw notFound(`chart ${source.chart} version ${revision} not found in ${source.repoURL}`);
        throw new ApiError(Code.Unknown, `cannot pull chart ${source.chart} version ${revision}: ${message}`);
      }
      return chartDetails(await readChartYaml(dir));
    }
    // A chart in a git repository: Chart.yaml at the source's path, at that commit.
    if (!isCommitSHA(revision) && !isTruncatedCommitSHA(revision)) throw invalidArgument(`revision ${revision} must be resolved: a commit SHA of ${source.repoURL}`);
    const path = join(source.path ?? ".", "Chart.yaml");
    let text: string;
    try {
      text = (await repos.readFile(source.repoURL, revision, path, { maxBytes: MAX_CHART_YAML_BYTES })).toString("utf8");
    } catch (err) {
      if (err instanceof GitError && !(err instanceof RevisionNotFoundError) && /not found at/.test(err.message)) throw notFound(`the source at ${source.path ?? "."} is not a Helm chart: no Chart.yaml at ${revision}`);
      throw gitApiError(err, revision);
    }
    return chartDetails(text);
  }

  /** An OCI artifact source's manifest annotations at a digest, in Argo's OCIMetadata shape. */
  private async ociMetadata(req: ApiRequest): Promise<unknown> {
    const { app, source, revision } = this.source(req);
    if (source.chart || !isOciSourceURL(source.repoURL)) throw invalidArgument(`ocimetadata is for OCI artifact sources (an oci:// repository without chart); this source is ${source.chart ? `Helm chart ${source.chart}` : "a git repository"} at ${source.repoURL}`);
    if (!/^sha256:[0-9a-f]{64}$/.test(revision)) throw invalidArgument(`revision ${revision} must be resolved: a sha256 digest of ${source.repoURL}`);
    try {
      return ociMetadata(await this.reposOf(app).ociAnnotations(source.repoURL, revision));
    } catch (err) {
      if (err instanceof GitError && /\(HTTP 404\)/.test(err.message)) throw notFound(`revision ${revision} not found: ${err.message}`);
      throw gitApiError(err, revision);
    }
  }
}

/** A git failure as the API answers it: an unknown revision is NotFound, the rest Unknown. */
function gitApiError(err: unknown, revision: string): unknown {
  if (err instanceof RevisionNotFoundError) return notFound(`revision ${revision} not found: ${err.message}`);
  if (err instanceof GitError) return new ApiError(Code.Unknown, err.message);
  return err;
}

/** Chart.yaml of a pulled chart, refused when it is not a plain file inside the chart (a symlink out of it). */
async function readChartYaml(dir: string): Promise<string> {
  const file = join(dir, "Chart.yaml");
  const info = await lstat(file);
  const inside = relative(await realpath(dir), await realpath(file));
  if (!info.isFile() || inside.startsWith("..") || isAbsolute(inside)) throw invalidArgument("the chart's Chart.yaml is not a regular file inside the chart");
  if (info.size > MAX_CHART_YAML_BYTES) throw invalidArgument(`the chart's Chart.yaml is larger than ${MAX_CHART_YAML_BYTES} bytes`);
  return readFile(file, "utf8");
}
