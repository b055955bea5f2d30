// Glob matching with the semantics of github.com/gobwas/glob, which Argo CD uses for directory
// include/exclude and AppProject destinations: `*` any run of characters (crossing separators
// unless separators are given), `?` one character, `[abc]`/`[a-z]`/`[!a]` classes, `{a,b}`
// alternatives, `\` escapes. Compiled to a RegExp once and cached.

const cache = new Map<string, RegExp>();

export function compileGlob(pattern: string, separators = ""): RegExp {
  const cacheKey = `${separators}\u0000${pattern}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const notSep = separators ? `[^${escapeClass(separators)}]` : "[\\s\\S]";
  let i = 0;
  const parse = (inAlt: boolean): string => {
    let out = "";
    while (i < pattern.length) {
      const c = pattern[i] as string;
      if (inAlt && (c === "," || c === "}")) return out;
      i++;
      switch (c) {
        case "\\":
          out += escapeRegex(pattern[i++] ?? "\\");
          break;
        case "*":
          if (pattern[i] === "*") {
            i++;
            out += "[\\s\\S]*"; // `**` is "super-asterisk": crosses separators
          } else out += `${notSep}*`;
          break;
        case "?":
          out += notSep;
          break;
        case "[": {
          const end = pattern.indexOf("]", i + 1);
          if (end < 0) {
            out += "\\[";
            break;
          }
          let body = pattern.slice(i, end);
          i = end + 1;
          const negate = body.startsWith("!");
          if (negate) body = body.slice(1);
          out += `[${negate ? "^" : ""}${escapeClass(body, true)}]`;
          break;
        }
        case "{": {
          const alts: string[] = [];
          for (;;) {
            alts.push(parse(true));
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
  const re = new RegExp(`^${parse(false)}$`);
  cache.set(cacheKey, re);
  return re;
}

export function globMatch(pattern: string, text: string, separators = ""): boolean {
  return compileGlob(pattern, separators).test(text);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function escapeClass(s: string, keepRanges = false): string {
  return keepRanges ? s.replace(/[\\\]^]/g, "\\$&") : s.replace(/[\\\]^-]/g, "\\$&");
}
