// Glob matching, one compiler per dialect Argo CD uses. Each pattern compiles to a RegExp once and
// is cached per dialect.
//
// - gobwas (github.com/gobwas/glob): AppProject destinations and source repos, directory
//   include/exclude, ignore rules, resource customizations. `*` any run of characters (crossing the
//   separators unless separators are given), `**` crosses separators, `?` one character,
//   `[abc]`/`[a-z]`/`[!a]` classes, `{a,b}` alternatives, `\` escapes.
// - doublestar (github.com/bmatcuk/doublestar v4 `Match`): the git file generator with new globbing,
//   CMP `find.glob`, Helm value-file patterns. Over `/`-separated paths:
//   - `*` any run of characters except `/`; `?` one character except `/`;
//   - `**` as a whole path segment matches zero or more directories (`a/**/b` matches `a/b`,
//     `a/x/y/b`; a trailing `a/**` matches everything below `a`, and `a` itself);
//   - `**` not forming a whole segment behaves like `*`;
//   - `[abc]`, `[a-z]`, `[^a]`/`[!a]` classes (never matching `/`), `{a,b}` alternatives (may
//     contain `/` and nest), `\` escapes the next character.
// - pathspec (`git ls-files -- <pattern>`, git's wildmatch without `:(glob)` magic): Argo's default
//   for the git file generator. `*` and `?` also match `/` (so `**` is just `*`), `[...]` classes,
//   `\` escapes, and a pattern naming a directory matches everything in it.
// - loose doublestar: what CMP `find.glob` and Helm value-file patterns have always used here; an
//   approximation of doublestar kept as it is so that no plugin's matching changes. `**/` is zero or
//   more directories anywhere, any other `**` is `.*` (so `a/**` does not match `a`, and `x**`
//   crosses "/"), `*` and `?` stop at "/", `{a,b}` alternatives; `[`, `]` and `\` are literal.
//   Folding it into `doublestar` would change those edge cases.

export type GlobDialect = "gobwas" | "doublestar" | "pathspec" | "loose-doublestar";

const caches: Record<GlobDialect, Map<string, RegExp>> = { gobwas: new Map(), doublestar: new Map(), pathspec: new Map(), "loose-doublestar": new Map() };

function cached(dialect: GlobDialect, key: string, compile: () => RegExp): RegExp {
  const cache = caches[dialect];
  const hit = cache.get(key);
  if (hit) return hit;
  const re = compile();
  cache.set(key, re);
  return re;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * The character class opening at `pattern[open]` ("["): its body (after the negation mark) up to
 * the first "]" that is not the class's first character, or undefined when no "]" closes it.
 */
function classAt(pattern: string, open: number, negators: string): { body: string; negate: boolean; next: number } | undefined {
  const end = pattern.indexOf("]", open + 2);
  if (end < 0) return undefined;
  let body = pattern.slice(open + 1, end);
  const negate = body !== "" && negators.includes(body[0]!);
  if (negate) body = body.slice(1);
  return { body: body.replace(/[\\\]^[]/g, "\\$&"), negate, next: end + 1 };
}

/** Parses a `{a,b,…}` group whose "{" has been consumed; `alt` parses one alternative. */
function alternatives(pattern: string, pos: { i: number }, alt: () => string): string {
  const alts: string[] = [];
  for (;;) {
    alts.push(alt());
    const d = pattern[pos.i++];
    if (d === "}" || d === undefined) break;
  }
  return `(?:${alts.join("|")})`;
}

/** How one dialect spells its wildcards; `translate` does the rest (escapes, classes, alternatives). */
interface Wildcards {
  /** The RegExp for a `*` just consumed (it may consume more `*`s). */
  star(pattern: string, pos: { i: number }): string;
  /** The RegExp for `?`. */
  one: string;
  /** The characters that negate a class when they open it. */
  negators: string;
  /** The RegExp for a class, its body already escaped. */
  cls(body: string, negate: boolean): string;
  /** A construct handled before the rest at `pos.i`: the new output, or undefined when none. */
  special?(pattern: string, pos: { i: number }, inAlt: boolean, out: string): string | undefined;
}

function translate(pattern: string, w: Wildcards): string {
  const pos = { i: 0 };
  const parse = (inAlt: boolean): string => {
    let out = "";
    while (pos.i < pattern.length) {
      const c = pattern[pos.i] as string;
      if (inAlt && (c === "," || c === "}")) return out;
      const special = w.special?.(pattern, pos, inAlt, out);
      if (special !== undefined) {
        out = special;
        continue;
      }
      pos.i++;
      switch (c) {
        case "\\":
          out += escapeRegex(pattern[pos.i++] ?? "\\");
          break;
        case "*":
          out += w.star(pattern, pos);
          break;
        case "?":
          out += w.one;
          break;
        case "[": {
          const cls = classAt(pattern, pos.i - 1, w.negators);
          if (!cls) out += "\\[";
          else {
            pos.i = cls.next;
            out += w.cls(cls.body, cls.negate);
          }
          break;
        }
        case "{":
          out += alternatives(pattern, pos, () => parse(true));
          break;
        default:
          out += escapeRegex(c);
      }
    }
    return out;
  };
  return parse(false);
}

/** gobwas: `separators` are the characters `*` and `?` do not cross (none by default). */
export function compileGobwas(pattern: string, separators = ""): RegExp {
  return cached("gobwas", `${separators}\u0000${pattern}`, () => {
    const notSep = separators ? `[^${separators.replace(/[\\\]^-]/g, "\\$&")}]` : "[\\s\\S]";
    const body = translate(pattern, {
      star: (p, pos) => {
        if (p[pos.i] !== "*") return `${notSep}*`;
        pos.i++;
        return "[\\s\\S]*"; // `**` is "super-asterisk": crosses separators
      },
      one: notSep,
      negators: "!",
      cls: (body, negate) => `[${negate ? "^" : ""}${body}]`,
    });
    return new RegExp(`^${body}$`);
  });
}

export function gobwasMatch(pattern: string, text: string, separators = ""): boolean {
  return compileGobwas(pattern, separators).test(text);
}

// `**` as a whole path segment: "**" then "/" is zero or more directories, a trailing `**` everything below.
function doublestarSegment(pattern: string, pos: { i: number }, inAlt: boolean, out: string): string | undefined {
  const atSegmentStart = pos.i === 0 || pattern[pos.i - 1] === "/";
  if (pattern[pos.i] !== "*" || pattern[pos.i + 1] !== "*" || !atSegmentStart) return undefined;
  const after = pattern[pos.i + 2];
  if (after === "/") {
    pos.i += 3;
    return `${out}(?:[^/]*/)*`;
  }
  if (after === undefined || (inAlt && (after === "," || after === "}"))) {
    // Trailing `**`: everything below, including the directory itself when preceded by `/`.
    pos.i += 2;
    return out.endsWith("\\/") ? `${out.slice(0, -2)}(?:/.*)?` : `${out}.*`;
  }
  return undefined;
}

export function compileDoublestar(pattern: string): RegExp {
  return cached("doublestar", pattern, () => {
    const body = translate(pattern, {
      star: (p, pos) => {
        while (p[pos.i] === "*") pos.i++;
        return "[^/]*";
      },
      one: "[^/]",
      negators: "!^",
      cls: (body, negate) => (negate ? `(?!/)[^${body}]` : `(?!/)[${body}]`),
      special: doublestarSegment,
    });
    return new RegExp(`^${body}$`, "s");
  });
}

export function doublestarMatch(pattern: string, path: string): boolean {
  return compileDoublestar(pattern).test(path);
}

/** The loose doublestar of CMP `find.glob` and Helm value-file patterns (see the top of this file). */
export function compileLooseDoublestar(pattern: string): RegExp {
  return cached("loose-doublestar", pattern, () => {
    let re = "";
    let depth = 0;
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === "*" && pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else if (c === "*") re += "[^/]*";
      else if (c === "?") re += "[^/]";
      else if (c === "{") {
        depth++;
        re += "(?:";
      } else if (c === "}" && depth > 0) {
        depth--;
        re += ")";
      } else if (c === "," && depth > 0) re += "|";
      else re += c.replace(/[.+^$()|[\]\\{},]/g, "\\$&");
    }
    return new RegExp(`^${re}$`);
  });
}

/** True when a doublestar pattern has a wildcard or alternatives (else it names one path). */
export function hasDoublestarMeta(pattern: string): boolean {
  return /[*?{]/.test(pattern);
}

/** The body of a pathspec pattern: `*` any run (also across "/"), `?` any one character. */
function pathspecBody(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\") out += escapeRegex(pattern[++i] ?? "\\");
    else if (c === "*") {
      while (pattern[i + 1] === "*") i++;
      out += "[\\s\\S]*";
    } else if (c === "?") out += "[\\s\\S]";
    else if (c === "[") {
      const cls = classAt(pattern, i, "!^");
      if (!cls) out += "\\[";
      else {
        out += `[${cls.negate ? "^" : ""}${cls.body}]`;
        i = cls.next - 1;
      }
    } else out += escapeRegex(c);
  }
  return out;
}

/** A pathspec as git applies it: the pattern, or a leading directory of the path (`apps` or `apps/` selects apps/**). */
export function compileGitPathspec(pattern: string): RegExp {
  return cached("pathspec", pattern, () => new RegExp(`^${pathspecBody(pattern).replace(/\\\/$/, "")}(?:/.*)?$`, "s"));
}

const wholePathspec = new Map<string, RegExp>();

/**
 * Whether `path` is selected by `pattern` as `git ls-files -- pattern` selects it: "./" and
 * trailing "/" are dropped, "" and "." select everything, a pattern without wildcards selects that
 * file or everything below that directory, and a pattern with wildcards must match the whole path.
 */
export function pathspecMatch(pattern: string, path: string): boolean {
  const p = pattern.replace(/^\.\//, "").replace(/\/+$/, "");
  if (p === "" || p === ".") return true;
  if (!/[*?[]/.test(p)) return path === p || path.startsWith(`${p}/`);
  let re = wholePathspec.get(p);
  if (!re) {
    re = new RegExp(`^${pathspecBody(p)}$`);
    wholePathspec.set(p, re);
  }
  return re.test(path);
}
