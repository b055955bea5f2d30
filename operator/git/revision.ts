// Pure revision resolution over a remote's ref listing (what `git ls-remote` returns), following
// Argo CD's nativeGitClient.LsRemote: HEAD → the remote default branch; a full SHA is taken as is;
// a value that parses as a semver *version* is a pin and resolved by name; otherwise a semver
// *constraint* picks the highest matching tag (a tag named exactly like the constraint wins);
// otherwise a branch, tag or full ref name; a
// truncated SHA needs the object database (the caller handles it).
import semver from "semver";

export interface RemoteRefs {
  /** Commit the remote's HEAD points to, when advertised. */
  head?: string;
  /** The branch HEAD points to (e.g. `refs/heads/main`), when advertised as a symref. */
  headRef?: string;
  /** Full ref name → commit SHA. Annotated tags are already peeled to their commit. */
  refs: Map<string, string>;
}

/** Parses `git ls-remote --symref` output. */
export function parseLsRemote(text: string): RemoteRefs {
  const out: RemoteRefs = { refs: new Map() };
  const tagObjects = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const left = line.slice(0, tab);
    const name = line.slice(tab + 1).trim();
    if (left.startsWith("ref: ")) {
      if (name === "HEAD") out.headRef = left.slice(5).trim();
      continue;
    }
    const sha = left.trim().toLowerCase();
    if (name === "HEAD") out.head = sha;
    else if (name.endsWith("^{}")) out.refs.set(name.slice(0, -3), sha);
    else if (name.startsWith("refs/tags/")) {
      // Keep the tag object only until its peeled line (if any) replaces it.
      if (!out.refs.has(name)) tagObjects.set(name, sha);
    } else out.refs.set(name, sha);
  }
  for (const [name, sha] of tagObjects) if (!out.refs.has(name)) out.refs.set(name, sha);
  if (out.head === undefined && out.headRef) {
    const h = out.refs.get(out.headRef);
    if (h) out.head = h;
  }
  return out;
}

const fullSha = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const truncatedSha = /^[0-9a-f]{7,63}$/i;

export function isCommitSHA(rev: string): boolean {
  return fullSha.test(rev);
}

/** Argo's IsTruncatedCommitSHA: 7 or more hex digits. */
export function isTruncatedCommitSHA(rev: string): boolean {
  return truncatedSha.test(rev) && !fullSha.test(rev);
}

export type Resolution =
  | { kind: "commit"; sha: string; ref?: string }
  | { kind: "sha"; sha: string }
  | { kind: "short-sha"; prefix: string }
  | { kind: "unresolved" };

/**
 * Masterminds/semver's NewVersion is lenient (`v1.2.3`, `1.2`, `1`); node-semver's parse is not,
 * so accept an optional `v` and pad missing minor/patch before parsing.
 */
export function parseLooseVersion(text: string): semver.SemVer | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?([-+].*)?$/.exec(text.trim());
  if (!m) return null;
  const v = `${m[1]}.${m[2] ?? "0"}.${m[3] ?? "0"}${m[4] ?? ""}`;
  return semver.parse(v);
}

/** A semver range (`1.2.*`, `>=1.0.0 <2.0.0`, `~1.2`, `^1`), or null when `rev` is not one. */
export function parseConstraint(rev: string): semver.Range | null {
  // Masterminds accepts comma-separated AND clauses; node-semver uses spaces.
  const text = rev.trim().replace(/\s*,\s*/g, " ");
  if (!/[\d*xX]/.test(text)) return null;
  try {
    return new semver.Range(text);
  } catch {
    return null;
  }
}

/** The highest tag matching `constraint` (prefix stripped before comparison), or undefined. */
export function maxSatisfyingTag(refs: RemoteRefs, constraint: semver.Range, tagPrefix = ""): { ref: string; sha: string } | undefined {
  let best: { ref: string; sha: string; v: semver.SemVer } | undefined;
  for (const [ref, sha] of refs.refs) {
    if (!ref.startsWith("refs/tags/")) continue;
    const tag = ref.slice("refs/tags/".length);
    if (!tag.startsWith(tagPrefix)) continue;
    const v = parseLooseVersion(tag.slice(tagPrefix.length));
    if (!v || !constraint.test(v)) continue;
    if (!best || semver.gt(v, best.v)) best = { ref, sha, v };
  }
  return best && { ref: best.ref, sha: best.sha };
}

/** Resolves `target` against a ref listing. */
export function resolveFromRefs(refs: RemoteRefs, target: string | undefined, opts: { tagPrefix?: string } = {}): Resolution {
  const rev = (target ?? "").trim() || "HEAD";
  if (rev === "HEAD") {
    if (refs.head) return { kind: "commit", sha: refs.head, ...(refs.headRef ? { ref: refs.headRef } : {}) };
    return { kind: "unresolved" };
  }
  if (isCommitSHA(rev)) return { kind: "sha", sha: rev.toLowerCase() };
  const prefix = opts.tagPrefix ?? "";
  // A version (not a range) is a pin: resolved by name below, so an exact tag name always wins.
  const unprefixed = prefix && rev.startsWith(prefix) ? rev.slice(prefix.length) : rev;
  const exactTag = refs.refs.get(`refs/tags/${rev}`);
  if (exactTag) return { kind: "commit", sha: exactTag, ref: `refs/tags/${rev}` };
  if (!parseLooseVersion(unprefixed)) {
    const constraint = parseConstraint(unprefixed);
    if (constraint) {
      const hit = maxSatisfyingTag(refs, constraint, prefix);
      if (hit) return { kind: "commit", ...hit };
    }
  }
  // Short names: branches first (ls-remote order, as Argo iterates), then tags, then full names.
  for (const candidate of [`refs/heads/${rev}`, `refs/tags/${rev}`, rev]) {
    const sha = refs.refs.get(candidate);
    if (sha) return { kind: "commit", sha, ref: candidate };
  }
  if (prefix && !rev.startsWith(prefix)) {
    const sha = refs.refs.get(`refs/tags/${prefix}${rev}`);
    if (sha) return { kind: "commit", sha, ref: `refs/tags/${prefix}${rev}` };
  }
  if (isTruncatedCommitSHA(rev)) return { kind: "short-sha", prefix: rev.toLowerCase() };
  return { kind: "unresolved" };
}

/** The refs pointing at `sha` (used to fetch a commit by a name the server advertises). */
export function refsPointingAt(refs: RemoteRefs, sha: string): string[] {
  const out: string[] = [];
  for (const [ref, s] of refs.refs) if (s === sha && (ref.startsWith("refs/heads/") || ref.startsWith("refs/tags/"))) out.push(ref);
  return out;
}
