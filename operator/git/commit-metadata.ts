// A commit's metadata as Argo CD's revision metadata shows it (argo-cd-server.md §1.3
// `.../revisions/{revision}/metadata`): author as `Name <email>`, the author date, and the whole
// message with surrounding blank space trimmed. Read from the raw commit object (`git cat-file
// commit`), which the repository cache already serves without starting a process.

export interface CommitMetadata {
  /** `Name <email>` of the author. */
  author: string;
  /** The author date, RFC 3339 in UTC (whole seconds, as Kubernetes' metav1.Time). */
  date: string;
  message: string;
}

/** Parses a raw commit object; throws when it has no author line. */
export function parseCommitObject(raw: string): CommitMetadata {
  const blank = raw.indexOf("\n\n");
  const headers = (blank < 0 ? raw : raw.slice(0, blank)).split("\n");
  const message = blank < 0 ? "" : raw.slice(blank + 2).trim();
  // Continuation lines (a signature's body) start with a space and never hold an author.
  const authorLine = headers.find((h) => h.startsWith("author "));
  const m = authorLine ? /^author (.*) (\d+) ([+-]\d{4})$/.exec(authorLine) : null;
  if (!m) throw new Error("the commit object has no author line");
  const seconds = Number(m[2]);
  return { author: m[1]!, date: new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z"), message };
}

/** Short tag names among full ref names (`refs/tags/v1.0` → `v1.0`), sorted. */
export function tagNames(refs: readonly string[]): string[] {
  return refs.filter((r) => r.startsWith("refs/tags/")).map((r) => r.slice("refs/tags/".length)).sort();
}
