// argocd-rbac-cm parsed as Argo CD reads it (argo-cd-server.md §3.1): the policy lines of
// `policy.csv` and the `policy.<name>.csv` overlays, `policy.default`, `policy.matchMode` and
// `scopes`, plus the built-in policy every enforcer starts from (§3.5). Every problem is collected
// with the key and line it comes from, so `hawser admin rbac validate` and the server can show all
// of them at once.
import { parse } from "yaml";
import { errorFirstLine } from "../../util/index.js";

/** `p, <subject>, <resource>, <action>, <object>, <effect>`. */
export interface PolicyRule {
  type: "p";
  subject: string;
  resource: string;
  action: string;
  object: string;
  effect: "allow" | "deny";
}

/** `g, <user-or-group>, <role>`. */
export interface GroupingRule {
  type: "g";
  member: string;
  role: string;
}

export type RbacRule = PolicyRule | GroupingRule;

export type MatchMode = "glob" | "regex";

export interface RbacConfig {
  /** `policy.csv`, then the `policy.<name>.csv` overlays in key order. */
  rules: RbacRule[];
  /** `policy.default`: the role tried first for every request; "" when unset. */
  defaultRole: string;
  matchMode: MatchMode;
  /** `scopes`: the claims read as groups. */
  scopes: string[];
}

/** One problem, located: the ConfigMap key (or file, or project role) and the 1-based line, when there is one. */
export interface RbacProblem {
  source: string;
  line?: number;
  message: string;
}

export function formatProblem(p: RbacProblem): string {
  return p.line !== undefined ? `${p.source} line ${p.line}: ${p.message}` : `${p.source}: ${p.message}`;
}

export const DEFAULT_SCOPES: readonly string[] = ["groups"];

/** The built-in policy (§3.5). `role:admin` inherits `role:readonly`; the local `admin` account is an admin. */
export const BUILTIN_POLICY_CSV = `# role:readonly may look at everything but extensions
p, role:readonly, applications, get, */*, allow
p, role:readonly, applicationsets, get, */*, allow
p, role:readonly, logs, get, */*, allow
p, role:readonly, clusters, get, *, allow
p, role:readonly, repositories, get, *, allow
p, role:readonly, write-repositories, get, *, allow
p, role:readonly, projects, get, *, allow
p, role:readonly, accounts, get, *, allow
p, role:readonly, certificates, get, *, allow
p, role:readonly, gpgkeys, get, *, allow

# role:admin may change everything too (extensions must be granted explicitly)
p, role:admin, applications, create, */*, allow
p, role:admin, applications, update, */*, allow
p, role:admin, applications, update/*, */*, allow
p, role:admin, applications, delete, */*, allow
p, role:admin, applications, delete/*, */*, allow
p, role:admin, applications, sync, */*, allow
p, role:admin, applications, rollback, */*, allow
p, role:admin, applications, override, */*, allow
p, role:admin, applications, action/*, */*, allow
p, role:admin, applicationsets, create, */*, allow
p, role:admin, applicationsets, update, */*, allow
p, role:admin, applicationsets, delete, */*, allow
p, role:admin, exec, create, */*, allow
p, role:admin, clusters, create, *, allow
p, role:admin, clusters, update, *, allow
p, role:admin, clusters, delete, *, allow
p, role:admin, repositories, create, *, allow
p, role:admin, repositories, update, *, allow
p, role:admin, repositories, delete, *, allow
p, role:admin, write-repositories, create, *, allow
p, role:admin, write-repositories, update, *, allow
p, role:admin, write-repositories, delete, *, allow
p, role:admin, projects, create, *, allow
p, role:admin, projects, update, *, allow
p, role:admin, projects, delete, *, allow
p, role:admin, accounts, update, *, allow
p, role:admin, certificates, create, *, allow
p, role:admin, certificates, update, *, allow
p, role:admin, certificates, delete, *, allow
p, role:admin, gpgkeys, create, *, allow
p, role:admin, gpgkeys, delete, *, allow
g, role:admin, role:readonly
g, admin, role:admin
`;

/**
 * One CSV record as Go's encoding/csv reads it with TrimLeadingSpace (what Argo uses): commas
 * separate fields, spaces before a field are dropped (spaces after it are kept), a field may be
 * double-quoted with "" for a quote inside. Throws on a stray or unclosed quote.
 */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === " " || line[i] === "\t") i++;
    let field = "";
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error("a quoted field is not closed");
        const c = line[i++] as string;
        if (c !== '"') field += c;
        else if (line[i] === '"') {
          field += '"';
          i++;
        } else break;
      }
      if (i < line.length && line[i] !== ",") throw new Error(`unexpected text after the closing quote of "${field}"`);
    } else {
      const end = line.indexOf(",", i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      if (field.includes('"')) throw new Error(`a quote inside the unquoted field ${field}`);
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/** A policy line's fields (already split) as a rule, or the reason it is not one. */
export function ruleFromFields(fields: string[]): RbacRule | string {
  const kind = fields[0];
  if (kind === "p") {
    if (fields.length !== 6) return `a p line has exactly 6 fields (p, subject, resource, action, object, effect), this one has ${fields.length}`;
    const [, subject, resource, action, object, effect] = fields as [string, string, string, string, string, string];
    if (effect !== "allow" && effect !== "deny") return `the effect must be allow or deny, not "${effect}"`;
    return { type: "p", subject, resource, action, object, effect };
  }
  if (kind === "g") {
    if (fields.length !== 3) return `a g line has exactly 3 fields (g, user-or-group, role), this one has ${fields.length}`;
    return { type: "g", member: fields[1]!, role: fields[2]! };
  }
  return `a policy line starts with p or g, not "${kind ?? ""}"`;
}

/** Blank lines and `#` comments are skipped; every other line must be a valid p or g rule. */
export function parsePolicyCsv(source: string, text: string): { rules: RbacRule[]; problems: RbacProblem[] } {
  const rules: RbacRule[] = [];
  const problems: RbacProblem[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    let fields: string[];
    try {
      fields = splitCsvLine(line);
    } catch (err) {
      problems.push({ source, line: index + 1, message: errorFirstLine(err) });
      return;
    }
    const rule = ruleFromFields(fields);
    if (typeof rule === "string") problems.push({ source, line: index + 1, message: rule });
    else rules.push(rule);
  });
  return { rules, problems };
}

/** `policy.<name>.csv` keys (not `policy.csv` itself), in the order Argo appends them. */
export function overlayKeys(data: Record<string, string>): string[] {
  return Object.keys(data).filter((k) => k !== "policy.csv" && /^policy\..+\.csv$/.test(k)).sort();
}

/** The policy text of the ConfigMap: `policy.csv` then the overlays, as one CSV (what `argocd admin settings rbac` loads). */
export function policyKeys(data: Record<string, string>): string[] {
  return [...(data["policy.csv"] !== undefined ? ["policy.csv"] : []), ...overlayKeys(data)];
}

/**
 * Parses argocd-rbac-cm's data. Every problem is returned (validate shows them all); callers fail
 * closed when there is any. Regex mode also checks that each pattern compiles, since a pattern
 * that does not never matches.
 */
export function parseRbacConfig(data: Record<string, string> | undefined): { config: RbacConfig; problems: RbacProblem[] } {
  const d = data ?? {};
  const problems: RbacProblem[] = [];
  const rules: RbacRule[] = [];
  for (const key of policyKeys(d)) {
    const parsed = parsePolicyCsv(key, d[key] ?? "");
    rules.push(...parsed.rules);
    problems.push(...parsed.problems);
  }

  let matchMode: MatchMode = "glob";
  const mode = d["policy.matchMode"]?.trim();
  if (mode === "regex") matchMode = "regex";
  else if (mode !== undefined && mode !== "" && mode !== "glob") problems.push({ source: "policy.matchMode", message: `must be glob or regex, not "${mode}"` });
  if (matchMode === "regex") problems.push(...regexProblems(d));

  let scopes = [...DEFAULT_SCOPES];
  const rawScopes = d["scopes"];
  if (rawScopes !== undefined && rawScopes.trim() !== "") {
    const parsed = parseScopes(rawScopes);
    if (typeof parsed === "string") problems.push({ source: "scopes", message: parsed });
    else scopes = parsed;
  }

  return { config: { rules, defaultRole: d["policy.default"]?.trim() ?? "", matchMode, scopes }, problems };
}

/** `scopes` is a YAML list of claim names, e.g. `[groups, email]`. */
function parseScopes(raw: string): string[] | string {
  let value: unknown;
  try {
    value = parse(raw);
  } catch (err) {
    return `not a YAML list of claim names: ${errorFirstLine(err)}`;
  }
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string" && v !== "")) {
    return `must be a YAML list of claim names such as [groups, email], got ${JSON.stringify(raw.trim())}`;
  }
  return value;
}

/** Patterns of p lines that are not valid regular expressions (regex mode), located by key and line. */
function regexProblems(d: Record<string, string>): RbacProblem[] {
  const out: RbacProblem[] = [];
  for (const key of policyKeys(d)) {
    (d[key] ?? "").split("\n").forEach((raw, index) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      let rule: RbacRule | string;
      try {
        rule = ruleFromFields(splitCsvLine(line));
      } catch {
        return; // reported by the parser
      }
      if (typeof rule === "string" || rule.type !== "p") return;
      for (const [field, pattern] of [["resource", rule.resource], ["action", rule.action], ["object", rule.object]] as const) {
        try {
          new RegExp(pattern);
        } catch (err) {
          out.push({ source: key, line: index + 1, message: `the ${field} ${JSON.stringify(pattern)} is not a valid regular expression (policy.matchMode is regex): ${errorFirstLine(err)}` });
        }
      }
    });
  }
  return out;
}

/** The built-in rules, parsed once. */
export const BUILTIN_RULES: readonly RbacRule[] = parsePolicyCsv("built-in policy", BUILTIN_POLICY_CSV).rules;
