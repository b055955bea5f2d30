// The operator's HTTP endpoint: /healthz (the process is alive and its event loop responds),
// /readyz (every registered readiness check passes, e.g. caches synced and CRDs installed) and
// /metrics (Prometheus text format from prom-client). `/metrics?name[]=a&name[]=b` serves only
// those metrics: a full scrape at 10,000 apps is megabytes of per-app series, too much for a
// benchmark or a script that polls one counter several times a second.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { errorMessage } from "../util/index.js";

export type ReadinessCheck = () => { ok: boolean; reason?: string };

export interface ProbeServer {
  readonly port: number;
  addReadinessCheck(name: string, check: ReadinessCheck): void;
  close(): Promise<void>;
}

/** prom-client's process and Node.js metrics: one collector fills several of them (see selectedMetrics). */
const RUNTIME_METRIC = /^(process|nodejs)_/;

/** The named metrics only, in the order asked; names the registry does not have are left out. */
async function selectedMetrics(registry: Registry, names: string[]): Promise<string> {
  // prom-client fills some default metrics from another one's collector (nodejs_heap_size_used_bytes
  // from nodejs_heap_size_total_bytes', the cpu counters from process_cpu_user_seconds_total's):
  // asked for alone they would read 0. They are few and cheap, so run all their collectors first.
  if (names.some((n) => RUNTIME_METRIC.test(n))) {
    for (const m of registry.getMetricsAsArray()) if (RUNTIME_METRIC.test(m.name)) await registry.getSingleMetric(m.name)?.get();
  }
  // A histogram's or summary's samples (`x_count`, `x_sum`, `x_bucket`) are asked for by their
  // sample name as often as by the family's: either serves the family.
  const families = new Set<string>();
  for (const name of names) {
    const family = registry.getSingleMetric(name) ? name : name.replace(/_(count|sum|bucket)$/, "");
    if (registry.getSingleMetric(family)) families.add(family);
  }
  const parts: string[] = [];
  for (const name of families) parts.push(await registry.getSingleMetricAsString(name));
  return parts.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("");
}

export async function startProbeServer(opts: { host: string; port: number; registry: Registry }): Promise<ProbeServer> {
  const checks = new Map<string, ReadinessCheck>();
  const server = http.createServer((req, res) => {
    const [url, query] = (req.url ?? "/").split("?", 2);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
      return;
    }
    if (url === "/healthz" || url === "/livez") {
      res.writeHead(200, { "Content-Type": "text/plain" }).end("ok\n");
      return;
    }
    if (url === "/readyz") {
      const failing: string[] = [];
      for (const [name, check] of checks) {
        try {
          const r = check();
          if (!r.ok) failing.push(`${name}: ${r.reason ?? "not ready"}`);
        } catch (err) {
          // A broken check means "not ready", never a crashed process.
          failing.push(`${name}: check failed: ${errorMessage(err)}`);
        }
      }
      if (failing.length === 0) res.writeHead(200, { "Content-Type": "text/plain" }).end("ok\n");
      else res.writeHead(503, { "Content-Type": "text/plain" }).end(failing.join("\n") + "\n");
      return;
    }
    if (url === "/metrics") {
      const names = new URLSearchParams(query ?? "").getAll("name[]");
      (names.length > 0 ? selectedMetrics(opts.registry, names) : opts.registry.metrics()).then(
        (text) => res.writeHead(200, { "Content-Type": opts.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    addReadinessCheck: (name, check) => { checks.set(name, check); },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
