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
