// Glob matching for the ApplicationSet git file generator, with the semantics of
// github.com/bmatcuk/doublestar (v4) `Match`, which Argo CD uses when new git file globbing is on:
//   - `*` matches any run of characters except `/`; `?` one character except `/`;
//   - `**` as a whole path segment matches zero or more directories (`a/**/b` matches `a/b`,
//     `a/x/y/b`; a trailing `a/**` matches everything below `a`, and `a` itself);
//   - `**` not forming a whole segment behaves like `*`;
//   - `[abc]`, `[a-z]`, `[^a]`/`[!a]` classes (never matching `/`), `{a,b}` alternatives (may
//     contain `/` and nest), `\` escapes the next character.
// Patterns are matched against `/`-separated paths relative to the repository root.

const cache = new Map<string, RegExp>();

export function compileDoublestar(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let i = 0;
  const atSegmentStart = (): boolean => i === 0 || pattern[i - 1] === "/";
  const parse = (depth: number): string => {
    let out = "";
    while (i < pattern.length) {
      const c = pattern[i] as string;
      if (depth > 0 && (c === "," || c === "}")) return out;
      if (c === "*" && pattern[i + 1] === "*" && atSegmentStart()) {
        const after = pattern[i + 2];
        if (after === "/") {
          // `**/`: zero or more whole directories.
          i += 3;
          out += "(?:[^/]*/)*";
          continue;
        }
        if (after === undefined || (depth > 0 && (after === "," || after === "}"))) {
          // Trailing `**`: everything below, including the directory itself when preceded by `/`.
          i += 2;
          if (out.endsWith("\\/")) out = `${out.slice(0, -2)}(?:/.*)?`;
          else out += ".*";
          continue;
        }
      }
      i++;
      switch (c) {
        case "\\":
          out += escapeRegex(pattern[i++] ?? "\\");
          break;
        case "*":
          while (pattern[i] === "*") i++;
          out += "[^/]*";
          break;
        case "?":
          out += "[^/]";
          break;
        case "[": {
          const end = pattern.indexOf("]", i + 1);
          if (end < 0) {
            out += "\\[";
            break;
          }
          let body = pattern.slice(i, end);
          i = end + 1;
          const negate = body.startsWith("!") || body.startsWith("^");
          if (negate) body = body.slice(1);
          const cls = body.replace(/[\\\]^[]/g, "\\$&");
          out += negate ? `(?!/)[^${cls}]` : `(?!/)[${cls}]`;
          break;
        }
        case "{": {
          const alts: string[] = [];
          for (;;) {
            alts.push(parse(depth + 1));
            const d = pattern[i++];
            if (d === "}" || d === undefined) break;
          }
          out += `(?:${alts.join("|")})`;
          break;
        }
        default:
          out += escapeRegex(c);
      }
    }
    return out;
  };
  const re = new RegExp(`^${parse(0)}$`, "s");
  cache.set(pattern, re);
  return re;
}

export function doublestarMatch(pattern: string, path: string): boolean {
  return compileDoublestar(pattern).test(path);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

const pathspecCache = new Map<string, RegExp>();

/**
 * Argo CD's default git file generator matching (new globbing off): `git ls-files -- <pattern>`,
 * i.e. git's pathspec glob without `:(glob)` magic: `*` and `?` also match `/` (so `**` is just
 * `*`), `[...]` classes, `\` escapes, and a pattern naming a directory matches everything in it.
 */
export function compileGitPathspec(pattern: string): RegExp {
  const hit = pathspecCache.get(pattern);
  if (hit) return hit;
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\") out += escapeRegex(pattern[++i] ?? "\\");
    else if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) out += "\\[";
      else {
        let body = pattern.slice(i + 1, end);
        const negate = body.startsWith("!") || body.startsWith("^");
        if (negate) body = body.slice(1);
        out += `[${negate ? "^" : ""}${body.replace(/[\\\]^[]/g, "\\$&")}]`;
        i = end;
      }
    } else out += escapeRegex(c);
  }
  // A pathspec is also a leading-directory match (`apps` or `apps/` selects apps/**).
  const re = new RegExp(`^${out.replace(/\\\/$/, "")}(?:/.*)?$`, "s");
  pathspecCache.set(pattern, re);
  return re;
}
