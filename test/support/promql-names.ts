// The metric and label names a PromQL query uses, and the series names and label names of a
// Prometheus text scrape: enough to check that a dashboard's queries find series in a scrape
// (test/e2e/metrics.test.ts). Not a PromQL parser: selectors, `by`/`without` and `on`/`ignoring`
// lists are all it reads; `$variables` in grouping lists are dashboard placeholders and skipped.

const FUNCTIONS_AND_KEYWORDS = new Set([
  "sum", "count", "min", "max", "avg", "rate", "increase", "irate", "round", "histogram_quantile", "by", "without",
  "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "topk", "bottomk", "abs", "delta", "deriv",
]);

export interface QueryNames {
  metrics: string[];
  /** Label names in matchers and grouping clauses. */
  labels: string[];
}

export function queryNames(query: string): QueryNames {
  const metrics = new Set<string>();
  const labels = new Set<string>();
  // Range selectors' durations and string literals carry no names.
  const q = query.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\[[^\]]*\]/g, "");
  for (const m of q.matchAll(/\b(by|without|on|ignoring)\s*\(([^)]*)\)/g)) {
    for (const l of m[2]!.split(",").map((s) => s.trim())) if (l && !l.startsWith("$")) labels.add(l);
  }
  for (const m of q.matchAll(/\{([^}]*)\}/g)) {
    for (const matcher of m[1]!.split(",")) {
      const name = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/.exec(matcher)?.[1];
      if (name) labels.add(name);
    }
  }
  const withoutClauses = q.replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, " ").replace(/\{[^}]*\}/g, " ");
  for (const m of withoutClauses.matchAll(/(?<![$\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![a-zA-Z0-9_:])(?!\s*\()/g)) {
    const name = m[1]!;
    if (!FUNCTIONS_AND_KEYWORDS.has(name)) metrics.add(name);
  }
  return { metrics: [...metrics], labels: [...labels] };
}

/** Series name → label names seen on its samples, from a Prometheus text exposition. */
export function scrapeNames(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!m) continue;
    const set = out.get(m[1]!) ?? new Set<string>();
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) set.add(l[1]!);
    out.set(m[1]!, set);
  }
  return out;
}

/** The queries of a fixture file: one per line, `#` comments and blank lines skipped. */
export function fixtureQueries(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

export interface Sample { name: string; labels: Record<string, string>; value: number }

/** Every sample line of a Prometheus text exposition, with its labels unescaped. */
export function scrapeSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}
