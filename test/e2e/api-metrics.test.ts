// The API server's Prometheus metrics (`hawser server --metrics-port`, Argo's argocd-server :8083
// /metrics; docs/metrics.md) through the real server on the real control plane: argocd_info with
// the version, argocd_login_request_total moving by status on a failed and a successful login,
// and grpc_server_* labelled with the gRPC method Argo's gateway would call for each REST route,
// with the handler's own gRPC code (Unauthenticated, PermissionDenied, OK).
import { test } from "node:test";
import assert from "node:assert/strict";
import { freePort } from "../../operator/devcluster/process.js";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createWorld } from "../support/world.js";
import { startServerProcess } from "../support/operator-process.js";
import { initialAdminPassword, jsonCaller, showResponse } from "../support/api-session.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The value of one series in a Prometheus text scrape, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf("}"));
    const have: Record<string, string> = {};
    for (const m of body.matchAll(/(\w+)="([^"]*)"/g)) have[m[1]!] = m[2]!;
    if (Object.keys(have).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

test("API server metrics: argocd_info, login counts by status, grpc_server_* per Argo gRPC method", async (t) => {
  const w = await createWorld(t, { name: "srvmetrics" });
  const port = await freePort();
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: w.ns, args: ["--metrics-port", String(port)] });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  const line = await server.waitForLog((l) => l.msg === "serving metrics");
  assert.equal(line.address, `127.0.0.1:${port}`, "metrics listen on --address with --metrics-port");
  const scrape = async (): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200, "GET /metrics answers");
    return res.text();
  };
  const version = (JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { version: string }).version;
  const before = await scrape();
  assert.equal(sample(before, "argocd_info", { version: `v${version}` }), 1, `argocd_info carries the version: ${before.split("\n").filter((l) => l.startsWith("argocd_info")).join("\n")}`);
  assert.equal(sample(before, "argocd_login_request_total", { status: "failure" }), 0, "no login yet");
  assert.match(before, /^# TYPE argocd_proxy_extension_request_total counter$/m, "the proxy extension counter is declared");
  assert.match(before, /^# TYPE argocd_proxy_extension_request_duration_seconds histogram$/m, "and its histogram");

  const call = jsonCaller(base);
  const password = await initialAdminPassword(w.client, w.ns);
  const bad = await call("POST", "/api/v1/session", { username: "admin", password: `${password}-wrong` });
  assert.equal(bad.status, 401, showResponse(bad));
  const afterFailure = await scrape();
  assert.equal(sample(afterFailure, "argocd_login_request_total", { status: "failure" }), 1, "the failed login is counted as a failure");
  assert.equal(sample(afterFailure, "argocd_login_request_total", { status: "success" }), 0, "and not as a success");

  const good = await call("POST", "/api/v1/session", { username: "admin", password });
  assert.equal(good.status, 200, showResponse(good));
  const token = (good.body as { token: string }).token;
  const hidden = await call("GET", "/api/v1/applications/no-such-app", undefined, token);
  assert.equal(hidden.status, 403, `Argo hides a missing app behind PermissionDenied: ${showResponse(hidden)}`);
  const list = await call("GET", "/api/v1/applications", undefined, token);
  assert.equal(list.status, 200, showResponse(list));

  const after = await scrape();
  assert.equal(sample(after, "argocd_login_request_total", { status: "success" }), 1, "the successful login is counted");
  assert.equal(sample(after, "argocd_login_request_total", { status: "failure" }), 1, "the failure count stays");
  const grpc = (method: string, service: string, code?: string): Record<string, string> => ({ ...(code ? { grpc_code: code } : {}), grpc_method: method, grpc_service: service, grpc_type: "unary" });
  assert.equal(sample(after, "grpc_server_handled_total", grpc("Create", "session.SessionService", "Unauthenticated")), 1, "the failed login as Argo's gateway labels it");
  assert.equal(sample(after, "grpc_server_handled_total", grpc("Create", "session.SessionService", "OK")), 1, "the successful one");
  assert.equal(sample(after, "grpc_server_handled_total", grpc("Get", "application.ApplicationService", "PermissionDenied")), 1, "the hidden app: the handler's code");
  assert.equal(sample(after, "grpc_server_handled_total", grpc("List", "application.ApplicationService", "OK")), 1, "the app list");
  assert.equal(sample(after, "grpc_server_started_total", grpc("Create", "session.SessionService")), 2, "both logins started");
  assert.equal(sample(after, "grpc_server_handling_seconds_count", grpc("List", "application.ApplicationService")), 1, "the list's latency is observed");

  const other = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(other.status, 404, "the metrics port serves /metrics only");
});
