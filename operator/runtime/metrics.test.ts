// The operator's metric registry against docs/metrics.md: every metric it registers is listed
// there (a metric added without its row fails here).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { OperatorMetrics } from "./metrics.js";

test("every metric the operator registers has its row in docs/metrics.md", async () => {
  const doc = await readFile(new URL("../../docs/metrics.md", import.meta.url), "utf8");
  const names = (await new OperatorMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((m) => m.name);
  assert.ok(names.includes("hawser_oci_artifact_cache_entries") && names.length > 40, `the registry is the operator's (${names.length} metrics)`);
  // Written as `name` in a table, or `name{labels}` in prose.
  const missing = names.filter((n) => !doc.includes(`\`${n}\``) && !doc.includes(`\`${n}{`));
  assert.deepEqual(missing, [], "metrics registered but not documented");
});

test("client-go's work-in-progress gauges are read from each queue at scrape time", async () => {
  const metrics = new OperatorMetrics({ defaultMetrics: false });
  const queue = metrics.queueMetrics("app_reconciliation_queue");
  let now = { unfinishedSeconds: 12, longestSeconds: 7 };
  queue.watchProcessing(() => now);
  queue.worked(250);
  const text = async (): Promise<string> => metrics.registry.metrics();
  let scraped = await text();
  assert.match(scraped, /^workqueue_unfinished_work_seconds\{name="app_reconciliation_queue"\} 12$/m);
  assert.match(scraped, /^workqueue_longest_running_processor_seconds\{name="app_reconciliation_queue"\} 7$/m);
  assert.match(scraped, /^workqueue_work_duration_seconds_bucket\{le="1",name="app_reconciliation_queue"\} 1$/m);
  assert.match(scraped, /^workqueue_work_duration_seconds_bucket\{le="0.1",name="app_reconciliation_queue"\} 0$/m);
  now = { unfinishedSeconds: 0, longestSeconds: 0 };
  scraped = await text();
  assert.match(scraped, /^workqueue_longest_running_processor_seconds\{name="app_reconciliation_queue"\} 0$/m, "a later scrape reads the queue again");
});
