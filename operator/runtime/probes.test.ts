import { test } from "node:test";
import assert from "node:assert/strict";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { startProbeServer } from "./probes.js";

test("/metrics?name[]= serves only the named metrics (a poll of one counter need not build every per-app series)", async () => {
  const registry = new Registry();
  const reconciles = new Counter({ name: "t_reconcile_total", help: "h", labelNames: ["controller"], registers: [registry] });
  reconciles.inc({ controller: "refresh" }, 3);
  let built = 0;
  new Gauge({ name: "t_app_info", help: "per app", registers: [registry], collect() { built++; this.set(1); } });
  new Gauge({ name: "t_depth", help: "h", registers: [registry] }).set(7);
  const server = await startProbeServer({ host: "127.0.0.1", port: 0, registry });
  try {
    const get = async (path: string): Promise<string> => (await fetch(`http://127.0.0.1:${server.port}${path}`)).text();
    const some = await get("/metrics?name[]=t_reconcile_total&name[]=t_depth&name[]=no_such_metric");
    assert.match(some, /^t_reconcile_total\{controller="refresh"\} 3$/m);
    assert.match(some, /^t_depth 7$/m);
    assert.doesNotMatch(some, /t_app_info/);
    assert.equal(built, 0, "the per-app gauge's collect did not run");
    const all = await get("/metrics");
    assert.match(all, /^t_app_info 1$/m);
    assert.match(all, /^t_depth 7$/m);
    assert.equal(built, 1);
  } finally {
    await server.close();
  }
});

test("/metrics?name[]= of a Node.js metric that prom-client fills from another's collector reads its real value, not 0", async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const server = await startProbeServer({ host: "127.0.0.1", port: 0, registry });
  try {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics?name[]=nodejs_heap_size_used_bytes&name[]=process_cpu_seconds_total`)).text();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? "NaN");
    assert.ok(value("nodejs_heap_size_used_bytes") > 1_000_000, `heap used is the process's: ${text}`);
    assert.ok(value("process_cpu_seconds_total") > 0, `cpu seconds are counted: ${text}`);
    assert.doesNotMatch(text, /nodejs_heap_size_total_bytes /, "only what was asked for is served");
  } finally {
    await server.close();
  }
});

test("/metrics?name[]= of a histogram's sample name (x_count, x_sum, x_bucket) serves the histogram", async () => {
  const registry = new Registry();
  const h = new Histogram({ name: "t_appset_reconcile", help: "h", labelNames: ["name"], buckets: [1], registers: [registry] });
  h.observe({ name: "big" }, 0.5);
  h.observe({ name: "big" }, 2);
  new Gauge({ name: "t_other", help: "h", registers: [registry] }).set(1);
  const server = await startProbeServer({ host: "127.0.0.1", port: 0, registry });
  try {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics?name[]=t_appset_reconcile_count`)).text();
    assert.match(text, /^t_appset_reconcile_count\{name="big"\} 2$/m);
    assert.match(text, /^t_appset_reconcile_bucket\{le="1",name="big"\} 1$/m);
    assert.doesNotMatch(text, /t_other/);
  } finally {
    await server.close();
  }
});
