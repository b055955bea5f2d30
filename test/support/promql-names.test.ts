// The name extraction the dashboard check relies on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { documentedMetricProblems, documentedMetrics, queryNames, queryValueMatchers, scrapeNames, scrapeSamples, scrapeTypes } from "./promql-names.js";

test("queryNames finds metrics in selectors and label names in matchers and grouping clauses", () => {
  const q = 'histogram_quantile(0.95, sum(rate(argocd_app_reconcile_bucket{namespace=~"$ns",dest_server!="a,b"}[5m])) by (le, namespace)) / sum(argocd_app_info) by ($grouping)';
  const names = queryNames(q);
  assert.deepEqual(names.metrics.sort(), ["argocd_app_info", "argocd_app_reconcile_bucket"]);
  assert.deepEqual(names.labels.sort(), ["dest_server", "le", "namespace"], "the $grouping placeholder is not a label");
  assert.deepEqual(queryNames("process_resident_memory_bytes").metrics, ["process_resident_memory_bytes"]);
});

test("queryValueMatchers names the literal values selectors ask for, per metric, and nothing for variables, negations or regex syntax", () => {
  const q = 'sum(workqueue_depth{name=~"app_reconciliation_queue|app_operation_processing_queue",namespace=~"$namespace"}) by (name)'
    + ' + sum(argocd_git_request_total{request_type="ls-remote", repo!="x"}) + count(argocd_app_info{health_status!="",dest_server=~".*prod.*"})'
    + ' + sum(argocd_app_sync_total{phase=~"Error|Failed",name="a,b"}[5m])';
  assert.deepEqual(queryValueMatchers(q), [
    { metric: "workqueue_depth", label: "name", values: ["app_reconciliation_queue", "app_operation_processing_queue"] },
    { metric: "argocd_git_request_total", label: "request_type", values: ["ls-remote"] },
    { metric: "argocd_app_sync_total", label: "phase", values: ["Error", "Failed"] },
    { metric: "argocd_app_sync_total", label: "name", values: ["a,b"] },
  ]);
  assert.deepEqual(queryValueMatchers("process_resident_memory_bytes"), []);
});

test("scrapeNames maps each series name to its label names", () => {
  const text = '# HELP x y\n# TYPE x gauge\nx{a="1",b="q\\"uo,te"} 1\nx{c="2"} 3\ny 4\n';
  const names = scrapeNames(text);
  assert.deepEqual([...names.get("x")!].sort(), ["a", "b", "c"]);
  assert.deepEqual([...names.get("y")!], []);
});

test("documentedMetrics reads the metric tables up to a heading; documentedMetricProblems compares a scrape with them", () => {
  const doc = [
    "# Metrics", "", "| Metric | Type | Labels | Meaning | Where |", "|---|---|---|---|---|",
    "| `a_info` | gauge | namespace, name | x | y |",
    "| `a_labels` | gauge | name, `label_<key>`… | x | y |",
    "| `a_seconds` | histogram (0.1, 1 s) | repo | x | y |",
    "| `a_total` | counter | result (`hit`, `miss`) | x | y |",
    "| `a_plain` | gauge | — | x | y |",
    "| `not_a_metric`, `two` | gauge | x | x | y |",
    "", "## API server", "| `b_info` | gauge | version | x | y |",
  ].join("\n");
  const metrics = documentedMetrics(doc, "## API server");
  assert.deepEqual(metrics, [
    { name: "a_info", type: "gauge", labels: ["namespace", "name"] },
    { name: "a_labels", type: "gauge", labels: ["name"], labelPrefix: "label_" },
    { name: "a_seconds", type: "histogram", labels: ["repo"] },
    { name: "a_total", type: "counter", labels: ["result"] },
    { name: "a_plain", type: "gauge", labels: [] },
  ]);
  const scrape = [
    "# TYPE a_info gauge", 'a_info{name="n",namespace="ns"} 1',
    "# TYPE a_labels gauge", 'a_labels{name="n",label_team="t"} 1',
    "# TYPE a_seconds histogram", 'a_seconds_bucket{repo="r",le="0.1"} 1', 'a_seconds_sum{repo="r"} 1', 'a_seconds_count{repo="r"} 1',
    "# TYPE a_total gauge", 'a_total{result="hit",extra="x"} 1',
  ].join("\n") + "\n";
  const [types, samples] = [scrapeTypes(scrape), scrapeSamples(scrape)];
  const problems = Object.fromEntries(metrics.map((m) => [m.name, documentedMetricProblems(m, types, samples)]));
  assert.deepEqual(problems, {
    a_info: [], a_labels: [], a_seconds: [],
    a_total: ["a_total: documented as a counter, scraped as a gauge", "a_total: labels {extra,result}, documented {result}"],
    a_plain: ["a_plain: documented as a gauge, scraped without a TYPE line"],
  });
});
