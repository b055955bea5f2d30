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

/** A commit another commit refers to (Argo's CommitMetadata of a RevisionReference). */
export interface ReferencedCommit {
  author?: string;
  date?: string;
  subject?: string;
  body?: string;
  sha?: string;
  repoUrl?: string;
}

const REFERENCE_PREFIX = "Argocd-reference-commit-";

/**
 * The commit a message refers to through Argo's `Argocd-reference-commit-*` trailers (written by
 * Argo's source hydrator: repourl, author, date, subject, body as a JSON string, sha), read from
 * the message's trailer block (its last paragraph), as `git interpret-trailers --parse` would.
 * A value that does not parse (an author that is no `Name <email>`, a date that is not RFC 3339,
 * a sha that is not hex, a body that is not a JSON string) is left out, as Argo skips it.
 * Undefined when the message has no such trailer.
 */
export function commitReference(message: string): ReferencedCommit | undefined {
  const paragraphs = message.trim().split(/\n\s*\n/);
  if (paragraphs.length < 2) return undefined;
  const ref: ReferencedCommit = {};
  for (const line of paragraphs[paragraphs.length - 1]!.split("\n")) {
    if (!line.startsWith(REFERENCE_PREFIX)) continue;
    const sep = line.indexOf(": ");
    if (sep < 0) continue;
    const key = line.slice(REFERENCE_PREFIX.length, sep).toLowerCase();
    const value = line.slice(sep + 2).trim();
    switch (key) {
      case "repourl":
        if (URL.canParse(value)) ref.repoUrl = value;
        break;
      case "author":
        if (/^[^<>]*<[^<>\s@]+@[^<>\s@]+>$/.test(value)) ref.author = value;
        break;
      case "date":
        if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value))) ref.date = value;
        break;
      case "subject":
        ref.subject = value;
        break;
      case "body": {
        let body: unknown;
        try { body = JSON.parse(value); } catch { body = undefined; }
        if (typeof body === "string") ref.body = body;
        break;
      }
      case "sha":
        if (/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(value)) ref.sha = value;
        break;
    }
  }
  return Object.keys(ref).length > 0 ? ref : undefined;
}
