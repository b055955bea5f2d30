// Kubernetes label selectors (matchLabels and matchExpressions) over a flat label map: the
// ApplicationSet generators' selectors, the cluster generator's, and argocd-cm globalProjects.

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function isEmptySelector(selector: LabelSelectorSpec | undefined): boolean {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
}

/** Kubernetes label-selector semantics over a flat string map. Unknown operators are an error. */
export function selectorMatches(selector: LabelSelectorSpec | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, expr.key);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case "In":
        if (!has || !values.includes(labels[expr.key] as string)) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[expr.key] as string)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        throw new Error(`selector: unknown operator "${expr.operator}" for key "${expr.key}" (use In, NotIn, Exists or DoesNotExist)`);
    }
  }
  return true;
}

// ---- the string form ("app=web,tier!=db,env in (a,b),!legacy,owner"), as the API's `selector` query parameter carries it ----

type Requirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

export type LabelSelector = Requirement[];

/** Parses a selector; throws a message naming the part it cannot read. */
export function parseLabelSelector(raw: string): LabelSelector {
  const out: LabelSelector = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of raw) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) { parts.push(cur); cur = ""; continue; }
    cur += ch;
  }
  parts.push(cur);
  for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part))) {
      out.push({ key: m[1]!, op: m[2] as "in" | "notin", values: m[3]!.split(",").map((v) => v.trim()).filter(Boolean) });
    } else if ((m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(part))) {
      out.push({ key: m[1]!, op: m[2] === "!=" ? "!=" : "=", value: m[3]! });
    } else if ((m = /^!\s*([^\s!=(),]+)$/.exec(part))) {
      out.push({ key: m[1]!, op: "!exists" });
    } else if ((m = /^([^\s!=(),]+)$/.exec(part))) {
      out.push({ key: m[1]!, op: "exists" });
    } else {
      throw new Error(`cannot parse label selector "${raw}" at "${part}"`);
    }
  }
  return out;
}

export function labelsMatch(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case "=": return has && l[r.key] === r.value;
      case "!=": return !has || l[r.key] !== r.value;
      case "in": return has && r.values.includes(l[r.key]!);
      case "notin": return !has || !r.values.includes(l[r.key]!);
      case "exists": return has;
      case "!exists": return !has;
    }
  });
}
