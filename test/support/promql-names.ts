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

/** A selector's label matcher that names values: `metric{label="v"}` or `metric{label=~"a|b"}`. */
export interface ValueMatcher {
  metric: string;
  label: string;
  /** The values the matcher names: one for `=`, each alternative of a `=~` made only of literals. */
  values: string[];
}

/**
 * The label values a query's selectors ask for, where they are literal: `=` matchers, and `=~`
 * matchers whose pattern is plain alternatives (`a|b`). Dashboard variables (`$x`), negative
 * matchers and patterns with regex syntax name no value and are left out.
 */
export function queryValueMatchers(query: string): ValueMatcher[] {
  const out: ValueMatcher[] = [];
  for (const sel of query.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g)) {
    for (const m of sel[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
      const [, label, op, value] = m as unknown as [string, string, string, string];
      if (value.includes("$")) continue;
      if (op === "=") out.push({ metric: sel[1]!, label, values: [value] });
      else if (op === "=~" && /^[a-zA-Z0-9_.:-]+(\|[a-zA-Z0-9_.:-]+)*$/.test(value)) out.push({ metric: sel[1]!, label, values: value.split("|") });
    }
  }
  return out;
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

/** A row of a docs/metrics.md table: its name, type and label names. */
export interface DocumentedMetric {
  name: string;
  /** gauge, counter or histogram. */
  type: string;
  /** The fixed label names. */
  labels: string[];
  /** Set when the row has label names made from data (`label_<key>`…): their common prefix. */
  labelPrefix?: string;
}

/**
 * The metric tables of docs/metrics.md before the heading `until` (the operator's endpoint ends
 * where the API server's section begins): rows whose first cell is one `name`, then the type
 * (its first word) and the label names (parenthesised notes and "—" dropped).
 */
export function documentedMetrics(markdown: string, until: string): DocumentedMetric[] {
  const end = markdown.indexOf(`\n${until}`);
  const out: DocumentedMetric[] = [];
  for (const line of (end >= 0 ? markdown.slice(0, end) : markdown).split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const name = /^`([a-zA-Z_:][a-zA-Z0-9_:]*)`$/.exec(cells[1] ?? "")?.[1];
    if (!name || cells.length < 5) continue;
    const type = /^(gauge|counter|histogram)\b/.exec(cells[2]!)?.[1];
    if (!type) continue;
    const metric: DocumentedMetric = { name, type, labels: [] };
    for (const raw of cells[3]!.replace(/\([^)]*\)/g, "").split(",")) {
      const label = raw.replace(/[`…]/g, "").trim();
      if (!label || label === "—") continue;
      const prefix = /^([a-z_]+_)<[a-z]+>$/.exec(label)?.[1];
      if (prefix) metric.labelPrefix = prefix;
      else metric.labels.push(label);
    }
    out.push(metric);
  }
  return out;
}

/** Metric name → type, from the `# TYPE` lines of a Prometheus text exposition. */
export function scrapeTypes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/**
 * What a scrape does not have of a documented metric: its `# TYPE` line of that type, and on
 * every series (a histogram's `_bucket`, `_sum`, `_count`) exactly the documented label names
 * (plus `le` on buckets, plus names with the row's data prefix). Empty when it matches.
 */
export function documentedMetricProblems(metric: DocumentedMetric, types: Map<string, string>, samples: Sample[]): string[] {
  const problems: string[] = [];
  const type = types.get(metric.name);
  if (type !== metric.type) problems.push(`${metric.name}: documented as a ${metric.type}, scraped ${type ? `as a ${type}` : "without a TYPE line"}`);
  const names = metric.type === "histogram" ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`] : [metric.name];
  const expected = [...metric.labels].sort().join(",");
  const seen = new Set<string>();
  for (const s of samples) {
    if (!names.includes(s.name)) continue;
    const got = Object.keys(s.labels).filter((l) => !(s.name.endsWith("_bucket") && l === "le") && !(metric.labelPrefix && l.startsWith(metric.labelPrefix))).sort().join(",");
    if (got !== expected && !seen.has(got)) {
      seen.add(got);
      problems.push(`${s.name}: labels {${got}}, documented {${expected}}`);
    }
  }
  return problems;
}
