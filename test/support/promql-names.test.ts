// The name extraction the dashboard check relies on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { queryNames, scrapeNames } from "./promql-names.js";

test("queryNames finds metrics in selectors and label names in matchers and grouping clauses", () => {
  const q = 'histogram_quantile(0.95, sum(rate(argocd_app_reconcile_bucket{namespace=~"$ns",dest_server!="a,b"}[5m])) by (le, namespace)) / sum(argocd_app_info) by ($grouping)';
  const names = queryNames(q);
  assert.deepEqual(names.metrics.sort(), ["argocd_app_info", "argocd_app_reconcile_bucket"]);
  assert.deepEqual(names.labels.sort(), ["dest_server", "le", "namespace"], "the $grouping placeholder is not a label");
  assert.deepEqual(queryNames("process_resident_memory_bytes").metrics, ["process_resident_memory_bytes"]);
});

test("scrapeNames maps each series name to its label names", () => {
  const text = '# HELP x y\n# TYPE x gauge\nx{a="1",b="q\\"uo,te"} 1\nx{c="2"} 3\ny 4\n';
  const names = scrapeNames(text);
  assert.deepEqual([...names.get("x")!].sort(), ["a", "b", "c"]);
  assert.deepEqual([...names.get("y")!], []);
});
