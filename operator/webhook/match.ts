// Which Applications a push concerns: the same repository (in any URL form: https, ssh, scp-like),
// a targetRevision that names the pushed branch or tag (HEAD and empty follow the default branch,
// semver constraints follow new tags), and, when the app sets
// `argocd.argoproj.io/manifest-generate-paths`, a changed file under one of those paths.
import { posix } from "node:path";
import type { PushEvent } from "./parse.js";

export const ANNOTATION_MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths";

/** A URL scheme: a letter, then letters, digits, "+", "-" or "." (RFC 3986). */
function isScheme(s: string): boolean {
  if (s.length === 0 || s[0]! < "a" || s[0]! > "z") return false;
  for (const c of s) if (!((c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c === "+" || c === "-" || c === ".")) return false;
  return true;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (const c of s) if (c < "0" || c > "9") return false;
  return true;
}

/**
 * host/owner/repo, lowercased, for comparing URLs across transports: the scheme, user info and
 * port are dropped (ssh and https of one host differ there), as are trailing slashes and ".git".
 * Plain string scans, linear in the URL's length: this runs on webhook input, and the earlier
 * regular expressions backtracked quadratically on a URL of many slashes.
 */
export function repoIdentity(url: string): string {
  const u = url.trim().toLowerCase();
  let host: string;
  let path: string;
  const schemeEnd = u.indexOf("://");
  const colon = u.indexOf(":");
  const slash = u.indexOf("/");
  if (schemeEnd > 0 && isScheme(u.slice(0, schemeEnd))) {
    const rest = u.slice(schemeEnd + 3);
    const pathStart = rest.indexOf("/");
    const authority = pathStart < 0 ? rest : rest.slice(0, pathStart);
    path = pathStart < 0 ? "" : rest.slice(pathStart);
    host = authority.slice(authority.lastIndexOf("@") + 1);
    const port = host.lastIndexOf(":");
    if (port >= 0 && port > host.lastIndexOf("]") && isDigits(host.slice(port + 1))) host = host.slice(0, port);
  } else if (colon > 0 && (slash < 0 || colon < slash) && u[colon + 1] !== "/" && colon + 1 < u.length) {
    // scp-like: [user@]host:path
    const authority = u.slice(0, colon);
    host = authority.slice(authority.lastIndexOf("@") + 1);
    path = `/${u.slice(colon + 1)}`;
  } else {
    // host/path without a scheme, possibly with user info.
    const pathStart = slash < 0 ? u.length : slash;
    const at = u.lastIndexOf("@", pathStart);
    host = u.slice(at + 1, pathStart);
    path = u.slice(pathStart);
  }
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  path = path.slice(0, end);
  if (path.endsWith(".git")) path = path.slice(0, -4);
  return `${host}${path}`;
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
