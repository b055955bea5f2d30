// Argo's create/update validation of an Application spec (on create, PUT, spec PUT and PATCH):
// each source names a path or a chart, the project permits the sources and the destination, the
// destination cluster is registered, and (unless the request says validate=false) each git
// source's revision resolves and its path exists, through the server's repository cache (the one
// manifests and diffs use); a Helm-repository chart must be listed in its repository's index at a
// version targetRevision matches, or be found in its OCI registry. Any problem refuses the write
// as InvalidArgument, worded as Argo's "application spec for <name> is invalid:
// InvalidSpecError: ...", each problem naming its field; nothing is written.
import { DEFAULT_PROJECT, type Application, type ApplicationSource } from "../../api/index.js";
import { validateSpec } from "../../appstate/validate.js";
import type { ApplicationObject as PipelineApp, AppProjectObject } from "../../appstate/types.js";
import { resolveDestination } from "../../cluster/clusters.js";
import { RevisionNotFoundError } from "../../git/types.js";
import { checkRepoChart, type RepoChartCheck } from "../../render/index.js";
import { redact } from "../../runtime/redact.js";
import { deepEqual, errorMessage } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import { invalidArgument } from "../http/errors.js";

/** What a git check needs of the repository cache. */
export interface SourceRepos {
  resolveRevision(repoURL: string, targetRevision: string | undefined): Promise<string>;
  /** undefined when the path does not exist at the commit. */
  treeHash(repoURL: string, commit: string, path: string): Promise<string | undefined>;
}

/** The sources of a spec with the field path each problem names. */
export function sourceFields(spec: Application["spec"]): Array<{ field: string; source: ApplicationSource }> {
  if (spec.sources && spec.sources.length > 0) return spec.sources.map((source, i) => ({ field: `spec.sources[${i}]`, source }));
  return spec.source ? [{ field: "spec.source", source: spec.source }] : [];
}

/** Resolves a Helm-repository source's chart version or names the wrong field (render's checkRepoChart). */
export type ChartChecker = (source: ApplicationSource) => Promise<RepoChartCheck>;

/**
 * Problems of each source: for git, an unreachable repository, a revision that does not resolve,
 * a path missing at that commit; for a Helm-repository chart (`chart`), with a chart checker, a
 * registry reference or chart name that cannot be one, a repository that does not answer, a
 * chart or version it does not have. Ref-only sources of a multi-source app (a `ref` without
 * `path`) are not checked, nor charts without a checker.
 */
export async function sourceProblems(spec: Application["spec"], repos: SourceRepos, charts?: ChartChecker): Promise<string[]> {
  const problems: string[] = [];
  for (const { field, source } of sourceFields(spec)) {
    if (!source.repoURL) continue;
    if (source.chart) {
      if (!charts) continue;
      const checked = await charts(source);
      if (!("version" in checked)) problems.push(`${field}.${checked.field}: ${redact(checked.message)}`);
      continue;
    }
    if (source.ref && !source.path?.trim()) continue;
    let commit: string;
    try {
      commit = await repos.resolveRevision(source.repoURL, source.targetRevision);
    } catch (err) {
      const message = redact(errorMessage(err));
      const unresolved = err instanceof RevisionNotFoundError || /unable to resolve revision/i.test(message);
      problems.push(unresolved ? `${field}.targetRevision: ${message}` : `${field}.repoURL: repository ${redact(source.repoURL)} is not accessible: ${message}`);
      continue;
    }
    const path = source.path ?? "";
    let found: string | undefined;
    try { found = await repos.treeHash(source.repoURL, commit, path); } catch (err) { problems.push(`${field}.path: ${redact(errorMessage(err))}`); continue; }
    if (found === undefined) problems.push(`${field}.path: app path does not exist: ${path} (revision ${source.targetRevision || "HEAD"}, commit ${commit})`);
  }
  return problems;
}

/** Argo's refusal: InvalidArgument "application spec for <name> is invalid: InvalidSpecError: a;InvalidSpecError: b". */
export function invalidSpecError(name: string, problems: readonly string[]): Error {
  return invalidArgument(`application spec for ${name} is invalid: ${problems.map((p) => `InvalidSpecError: ${p}`).join(";")}`);
}

/**
 * Whether a write leaves what the repository checks look at as it was: the same source(s) and
 * the same project (whose source rules decide which repositories may be asked).
 */
export function sourcesUnchanged(next: Application["spec"], stored: Application["spec"] | undefined): boolean {
  if (!stored) return false;
  return (next.project || DEFAULT_PROJECT) === (stored.project || DEFAULT_PROJECT)
    && deepEqual(next.source ?? null, stored.source ?? null)
    && deepEqual(next.sources ?? [], stored.sources ?? []);
}

/**
 * Validates the app as Argo's validateAndNormalizeApp does with validate=true; throws
 * InvalidArgument listing every problem. Without a reader (no repository access) only the
 * project and destination rules are checked. With `stored` (an update), the repository checks
 * run only when the sources or the project change: Argo asks the repo server on every update,
 * but an edit of the destination, labels or sync policy cannot make a source invalid, and the
 * controller reports a source that broke since as a ComparisonError anyway. `repositories: false`
 * (the request's validate=false) skips the repository checks only: as in Argo, whose
 * ValidatePermissions runs whatever `validate` says, the spec's own rules and the project's
 * still apply.
 */
export async function validateAppForWrite(app: Application, controllerNamespace: string, deps: { reader?: AppStateReader; project: (name: string) => AppProjectObject | undefined; stored?: Application; repositories?: boolean }): Promise<void> {
  const reader = deps.reader;
  const clusters = reader?.clusterEntries();
  const problems = validateSpec({
    app: app as unknown as PipelineApp,
    project: (n) => (reader?.effectiveProject(n) as AppProjectObject | undefined) ?? deps.project(n),
    controllerNamespace,
    ...(clusters ? { resolveDestination: (d: { server?: string; name?: string }) => resolveDestination(d, clusters), clusters: () => clusters } : {}),
  });
  // Repositories are asked only for a spec the project accepts, as Argo does.
  if (problems.length === 0 && reader && deps.repositories !== false && !sourcesUnchanged(app.spec, deps.stored?.spec)) {
    // Through the git cache of the app's project: its project-scoped repository Secrets apply.
    const repos = reader.reposFor(app.spec.project || "default");
    const charts: ChartChecker = (source) => checkRepoChart(source, { repos, settings: reader.settings().render });
    problems.push(...await sourceProblems(app.spec, repos, charts));
  }
  if (problems.length > 0) throw invalidSpecError(app.metadata.name ?? "", problems);
}
