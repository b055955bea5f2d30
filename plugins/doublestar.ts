// doublestar globs (github.com/bmatcuk/doublestar), as Argo uses for CMP `find.glob` and Helm
// value-file patterns: `**` crosses directories, `*` and `?` stay within one, `{a,b}` alternatives.

/** A doublestar glob (`**` crosses directories) to a RegExp over `/`-separated paths. */
export function doublestarRegExp(pattern: string): RegExp {
  let re = "";
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      i++;
      if (pattern[i + 1] === "/") { i++; re += "(?:.*/)?"; } else re += ".*";
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "{") { depth++; re += "(?:"; }
    else if (c === "}" && depth > 0) { depth--; re += ")"; }
    else if (c === "," && depth > 0) re += "|";
    else re += c.replace(/[.+^$()|[\]\\{},]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}


export function hasGlobMeta(pattern: string): boolean {
  return /[*?{]/.test(pattern);
}
