// Which Applications a push concerns: the same repository (in any URL form: https, ssh, scp-like),
// a targetRevision that names the pushed branch or tag (HEAD and empty follow the default branch,
// semver constraints follow new tags), and, when the app sets
// `argocd.argoproj.io/manifest-generate-paths`, a changed file under one of those paths.
import { posix } from "node:path";
import type { PushEvent } from "./parse.js";

export const ANNOTATION_MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths";

/** host/owner/repo, lowercased, for comparing URLs across transports. */
export function repoIdentity(url: string): string {
  let u = url.trim().toLowerCase();
  const scp = /^([^@/]+@)?([^:/]+):(?!\/)(.+)$/.exec(u); // git@host:org/repo
  if (scp && !u.includes("://")) u = `${scp[2]}/${scp[3]}`;
  else u = u.replace(/^[a-z+]+:\/\//, "").replace(/^[^@/]+@/, "");
  u = u.replace(/:\d+\//, "/"); // ports differ between ssh and https of the same host
  return u.replace(/\/+$/, "").replace(/\.git$/, "");
}

export interface AppSourceRef {
  repoURL?: string;
  targetRevision?: string;
  path?: string;
}

const constraintChars = /[*^~<>=|x]|\s-\s/;

function revisionMatches(targetRevision: string | undefined, event: PushEvent): boolean {
  const target = (targetRevision ?? "").trim();
  if (target === "" || target === "HEAD") return !event.defaultBranch || event.revision === event.defaultBranch;
  if (target === event.revision) return true;
  if (target.startsWith("refs/")) return target.replace(/^refs\/(heads|tags)\//, "") === event.revision;
  // A semver constraint may now resolve to the pushed tag; a refresh settles it.
  return constraintChars.test(target) && /^v?\d/.test(event.revision);
}

/** Does a changed file fall under one of the app's manifest-generate-paths? */
export function pathsTouched(annotation: string | undefined, appPath: string | undefined, changedFiles: string[]): boolean {
  if (!annotation || changedFiles.length === 0) return true;
  const base = appPath ?? "";
  const roots = annotation.split(";").map((p) => p.trim()).filter(Boolean).map((p) => (p.startsWith("/") ? posix.normalize(p.slice(1)) : posix.normalize(posix.join(base, p))));
  return changedFiles.some((f) => roots.some((r) => r === "." || r === "" || f === r || f.startsWith(`${r.replace(/\/$/, "")}/`)));
}

export function pushConcerns(sources: AppSourceRef[], annotations: Record<string, string> | undefined, event: PushEvent): boolean {
  const ids = new Set(event.repoURLs.map(repoIdentity));
  return sources.some((s) => {
    if (!s.repoURL || !ids.has(repoIdentity(s.repoURL))) return false;
    if (!revisionMatches(s.targetRevision, event)) return false;
    return pathsTouched(annotations?.[ANNOTATION_MANIFEST_GENERATE_PATHS], s.path, event.changedFiles);
  });
}

/**
 * Whether a push concerns an ApplicationSet (Argo's applicationset webhook): a git generator of the
 * same repository whose `revision` is the pushed branch or tag (empty and HEAD follow the default
 * branch), or any plugin generator (Argo refreshes those on every event), at any depth of
 * matrix/merge nesting.
 */
export function appSetConcernsPush(generators: unknown, event: PushEvent): boolean {
  if (!Array.isArray(generators)) return false;
  const ids = new Set(event.repoURLs.map(repoIdentity));
  return generators.some((g) => {
    if (g === null || typeof g !== "object") return false;
    const entry = g as Record<string, unknown>;
    if (entry.plugin !== undefined && entry.plugin !== null) return true;
    const git = entry.git as { repoURL?: unknown; revision?: unknown } | undefined;
    if (git && typeof git.repoURL === "string" && ids.has(repoIdentity(git.repoURL))) {
      const revision = typeof git.revision === "string" ? git.revision.trim() : "";
      if (revision === "" || revision === "HEAD") {
        if (!event.defaultBranch || event.revision === event.defaultBranch) return true;
      } else if (revision === event.revision || revision.replace(/^refs\/(heads|tags)\//, "") === event.revision) return true;
    }
    for (const nested of ["matrix", "merge"]) {
      const n = entry[nested] as { generators?: unknown } | undefined;
      if (n && appSetConcernsPush(n.generators, event)) return true;
    }
    return false;
  });
}
