import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import Fastify from "fastify";
import { ServerMetrics } from "./metrics.js";
import { Code } from "./http/errors.js";

test("ServerMetrics: counts responses by gRPC method and code, logins by status, proxy extensions by name", async (t) => {
  const metrics = new ServerMetrics({ version: "v9.9.9", rootPath: "/argo", defaultMetrics: false });
  const app = Fastify();
  const codes = new WeakMap<object, number>();
  metrics.instrument(app, (req) => codes.get(req));
  app.post("/argo/api/v1/session", async (req, reply) => {
    if ((req.body as { password?: string }).password === "right") return { token: "t" };
    codes.set(req, Code.Unauthenticated);
    return reply.code(401).send({ code: 16 });
  });
  app.get("/argo/api/v1/applications/:name", async (req, reply) => {
    // 400 alone could be InvalidArgument or FailedPrecondition: the handler's code wins.
    codes.set(req, Code.FailedPrecondition);
    return reply.code(400).send({});
  });
  app.get("/argo/extensions/*", async (_req, reply) => reply.code(502).send("Bad Gateway"));
  app.get("/argo/healthz", async () => "ok");
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  t.after(() => app.close());
  const post = (password: string): Promise<Response> => fetch(`${base}/argo/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ password }) });
  assert.equal((await post("wrong")).status, 401);
  assert.equal((await post("right")).status, 200);
  assert.equal((await fetch(`${base}/argo/api/v1/applications/x`)).status, 400);
  assert.equal((await fetch(`${base}/argo/extensions/metrics-ext/a/b`)).status, 502);
  assert.equal((await fetch(`${base}/argo/healthz`)).status, 200);

  const scraped = await metrics.listen("127.0.0.1", 0);
  t.after(() => scraped.close());
  const text = await (await fetch(`http://${scraped.address}/metrics`)).text();
  const has = (line: string): void => assert.ok(text.split("\n").includes(line), `${line}\nin:\n${text}`);
  has('argocd_info{version="v9.9.9"} 1');
  has('argocd_login_request_total{status="failure"} 1');
  has('argocd_login_request_total{status="success"} 1');
  has('grpc_server_handled_total{grpc_method="Create",grpc_service="session.SessionService",grpc_type="unary",grpc_code="Unauthenticated"} 1');
  has('grpc_server_handled_total{grpc_method="Create",grpc_service="session.SessionService",grpc_type="unary",grpc_code="OK"} 1');
  has('grpc_server_handled_total{grpc_method="Get",grpc_service="application.ApplicationService",grpc_type="unary",grpc_code="FailedPrecondition"} 1');
  has('grpc_server_started_total{grpc_method="Create",grpc_service="session.SessionService",grpc_type="unary"} 2');
  has('argocd_proxy_extension_request_total{extension="metrics-ext",status="502"} 1');
  has('argocd_proxy_extension_request_duration_seconds_count{extension="metrics-ext"} 1');
  assert.ok(!/grpc_method="[^"]*".*healthz/.test(text) && !text.includes("Healthz"), "routes outside the gateway are not gRPC methods");
  assert.equal((await fetch(`http://${scraped.address}/other`)).status, 404, "only /metrics");
});

test("ServerMetrics: every metric is documented under the API server in docs/metrics.md; the OCI artifact cache reports as the operator's", async () => {
  const doc = await readFile(new URL("../../docs/metrics.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## API server"), doc.indexOf("## Not applicable"));
  const metrics = new ServerMetrics({ version: "v0", rootPath: "", defaultMetrics: false });
  const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
  assert.ok(names.includes("hawser_oci_artifact_pull_failures_total") && names.includes("argocd_info"), names.join(", "));
  assert.deepEqual(names.filter((n) => !section.includes(`\`${n}\``)), [], "registered on the server but not in its section");
  // Argo's API server has no artifact cache: the server's OCI metrics are Hawser's names, and the doc says so.
  assert.deepEqual(names.filter((n) => n.includes("oci") && !n.startsWith("hawser_oci_artifact_")), [], "no OCI metric under an Argo-looking name");
  assert.match(section, /`hawser_oci_artifact_\*` names only: Hawser's/);

  const counters = metrics.ociArtifacts.counters(["content", "limit"]);
  metrics.ociArtifacts.watch(() => ({ entries: 3, bytes: 4096 }));
  counters.miss();
  counters.miss();
  counters.hit();
  counters.pullFailed("content");
  const text = await metrics.registry.metrics();
  for (const line of ['hawser_oci_artifact_cache_requests_total{result="miss"} 2', 'hawser_oci_artifact_cache_requests_total{result="hit"} 1',
    'hawser_oci_artifact_pull_failures_total{reason="content"} 1', 'hawser_oci_artifact_pull_failures_total{reason="limit"} 0',
    "hawser_oci_artifact_cache_evictions_total 0", "hawser_oci_artifact_cache_entries 3", "hawser_oci_artifact_cache_bytes 4096"]) {
    assert.ok(text.split("\n").includes(line), `${line}\nin:\n${text}`);
  }
});
