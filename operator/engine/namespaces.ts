// Which namespaces Applications may live in (Argo CD's "apps in any namespace"): the patterns of
// argocd-cmd-params-cm `application.namespaces` / `--application-namespaces` and of an AppProject's
// `sourceNamespaces`. Argo matches both the same way: each entry is a `/regex/` when wrapped in
// slashes (unanchored, as Go's regexp.MatchString finds a match anywhere) and otherwise a gobwas
// glob without separators. The control namespace is always allowed. Pure.
import { gobwasMatch } from "../util/glob.js";

/** The regular expression an entry `/…/` stands for, or undefined for a glob entry. */
function regexBody(pattern: string): string | undefined {
  return pattern.length >= 2 && pattern.startsWith("/") && pattern.endsWith("/") ? pattern.slice(1, -1) : undefined;
}

const regexCache = new Map<string, RegExp | null>();

function compileRegex(body: string): RegExp | null {
  if (!regexCache.has(body)) {
    let re: RegExp | null;
    try {
      re = new RegExp(body);
    } catch {
      // Fail closed: an entry that does not compile allows nothing (Argo logs it and moves on).
      re = null;
    }
    regexCache.set(body, re);
  }
  return regexCache.get(body) ?? null;
}

/** Whether `namespace` matches any entry of `patterns` (Argo's glob.MatchStringInList in REGEXP mode). */
export function matchesNamespacePatterns(patterns: readonly string[], namespace: string): boolean {
  return patterns.some((p) => {
    const body = regexBody(p);
    if (body !== undefined && compileRegex(body)?.test(namespace)) return true;
    return gobwasMatch(p, namespace);
  });
}

/** The problems of a pattern list, one per entry that can never work (an invalid `/regex/`). */
export function namespacePatternProblems(patterns: readonly string[]): string[] {
  const problems: string[] = [];
  for (const p of patterns) {
    const body = regexBody(p);
    if (body === undefined) continue;
    try {
      new RegExp(body);
    } catch (err) {
      problems.push(`"${p}" is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return problems;
}

/**
 * A comma-separated list as Argo reads `application.namespaces` (and its flag): entries trimmed,
 * empty ones dropped.
 */
export function parseNamespaceList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** Whether the controller processes Applications in `namespace` (Argo's security.IsNamespaceEnabled). */
export function isNamespaceEnabled(namespace: string, controlNamespace: string, enabled: readonly string[]): boolean {
  return namespace === controlNamespace || matchesNamespacePatterns(enabled, namespace);
}

/**
 * Whether a project may be used by an Application in `appNamespace` (Argo's
 * AppProject.IsAppNamespacePermitted): always in the control namespace, elsewhere only where the
 * project's `sourceNamespaces` allow it.
 */
export function isAppNamespacePermitted(sourceNamespaces: readonly string[] | undefined, appNamespace: string | undefined, controlNamespace: string): boolean {
  if (!appNamespace || appNamespace === controlNamespace) return true;
  return matchesNamespacePatterns(sourceNamespaces ?? [], appNamespace);
}

/** Argo's message when an Application's namespace is not among its project's sourceNamespaces. */
export function appNamespaceNotPermittedMessage(appName: string, appNamespace: string, projectName: string): string {
  return `application '${appName}' in namespace '${appNamespace}' is not allowed to use project ${projectName}`;
}
