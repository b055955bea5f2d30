import { test } from "node:test";
import assert from "node:assert/strict";
import { Counter, Gauge, Registry } from "prom-client";
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
