// What repository data an app's notifications need (spec §6.2: repo.GetCommitMetadata and
// repo.GetAppDetails). The evaluator is synchronous, so the controller fetches that data before
// evaluating; this module says whether the configuration uses either helper at all (so apps of a
// configuration without them cost no git work) and which commits an app's status names. Pure.
import { isRecord } from "../../util/index.js";
import type { NotificationsConfig } from "./config.js";

export interface RepoHelpersUsed {
  commitMetadata: boolean;
  appDetails: boolean;
}

/** Whether any trigger condition, oncePer or template string calls the helpers. */
export function repoHelpersUsed(cfg: NotificationsConfig): RepoHelpersUsed {
  const used: RepoHelpersUsed = { commitMetadata: false, appDetails: false };
  const scan = (text: string): void => {
    if (text.includes("GetCommitMetadata")) used.commitMetadata = true;
    if (text.includes("GetAppDetails")) used.appDetails = true;
  };
  const walk = (v: unknown): void => {
    if (typeof v === "string") scan(v);
    else if (Array.isArray(v)) for (const e of v) walk(e);
    else if (isRecord(v)) for (const e of Object.values(v)) walk(e);
  };
  for (const conds of cfg.triggers.values()) for (const c of conds) walk([c.when, c.oncePer ?? ""]);
  for (const t of cfg.templates.values()) walk(t);
  return used;
}

/** A source as the helpers see it: repoURL and, for Helm repositories, the chart. */
export interface HelperSource {
  repoURL: string;
  chart?: string;
  [key: string]: unknown;
}

/** The app's sources: spec.sources, else spec.source (Argo's GetSource takes the first). */
export function appSources(app: Record<string, unknown>): HelperSource[] {
  const spec = isRecord(app.spec) ? app.spec : {};
  const raw = Array.isArray(spec.sources) && spec.sources.length > 0 ? spec.sources : isRecord(spec.source) ? [spec.source] : [];
  return raw.filter((s): s is HelperSource => isRecord(s) && typeof s.repoURL === "string" && s.repoURL !== "");
}

export interface CommitRef {
  repoURL: string;
  revision: string;
}

/**
 * The git revisions the app's status and operation name, each with the repository it belongs to:
 * status.sync.revision(s), status.operationState.syncResult.revision(s),
 * status.operationState.operation.sync.revision(s) and operation.sync.revision(s). A plural list
 * pairs by index with spec.sources; a single revision belongs to the first source. Revisions of
 * Helm repository sources (a chart version, not a commit) are left out.
 */
export function appCommitRefs(app: Record<string, unknown>): CommitRef[] {
  const sources = appSources(app);
  if (sources.length === 0) return [];
  const status = isRecord(app.status) ? app.status : {};
  const opState = isRecord(status.operationState) ? status.operationState : {};
  const opStateSync = isRecord(opState.operation) && isRecord(opState.operation.sync) ? opState.operation.sync : {};
  const operationSync = isRecord(app.operation) && isRecord(app.operation.sync) ? app.operation.sync : {};
  const holders = [isRecord(status.sync) ? status.sync : {}, isRecord(opState.syncResult) ? opState.syncResult : {}, opStateSync, operationSync];
  const out: CommitRef[] = [];
  const seen = new Set<string>();
  const add = (source: HelperSource | undefined, revision: unknown): void => {
    if (!source || source.chart || typeof revision !== "string" || revision === "") return;
    const key = `${source.repoURL}\u0000${revision}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ repoURL: source.repoURL, revision });
  };
  for (const h of holders) {
    add(sources[0], h.revision);
    if (Array.isArray(h.revisions)) h.revisions.forEach((r, i) => add(sources[i], r));
  }
  return out;
}
