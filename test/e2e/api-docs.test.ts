// The server's unauthenticated descriptive endpoints through the real server on the real control
// plane: /healthz (Argo's "ok"), /swagger.json built from the routes it really serves (checked
// by calling some of them), /swagger-ui, and /download/argocd-linux-<arch> (no binary: a 404 that
// says how to get the CLI). All of it under --rootpath as well.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWorld } from "../support/world.js";
import { startServerProcess } from "../support/operator-process.js";

type Doc = { swagger: string; paths: Record<string, Record<string, { parameters: Array<{ name: string; in: string }> }>> };

test("API server: /healthz, /swagger.json from the registered routes, /swagger-ui, /download without auth", async (t) => {
  const w = await createWorld(t, { name: "docs", startOperator: false });
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: w.ns, args: ["--rootpath", "/argo"] });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  assert.match(base, /\/argo$/, "the server reports its root path");

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200, "liveness needs no token");
  assert.equal(await health.text(), "ok\n", "Argo's liveness body");

  const swagger = await fetch(`${base}/swagger.json`);
  assert.equal(swagger.status, 200, "the API description needs no token");
  assert.match(swagger.headers.get("content-type") ?? "", /application\/json/);
  const doc = await swagger.json() as Doc;
  assert.equal(doc.swagger, "2.0");
  for (const [path, verb] of [["/api/v1/applications", "get"], ["/api/v1/applications/{name}/sync", "post"], ["/api/v1/session", "post"], ["/api/version", "get"], ["/healthz", "get"], ["/swagger.json", "get"]] as const) {
    assert.ok(doc.paths[path]?.[verb], `${verb.toUpperCase()} ${path} is described`);
  }
  assert.equal(doc.paths["/api/v1/applications/{name}/sync"]?.get, undefined, "a verb the server does not serve is not described");
  assert.ok(Object.keys(doc.paths).every((p) => !p.startsWith("/argo")), "paths are relative to the root path");
  assert.deepEqual(doc.paths["/api/v1/applications/{name}"]!.delete!.parameters.filter((p) => p.in === "query").map((p) => p.name), ["cascade", "propagationPolicy", "appNamespace", "project"]);
  // Every described GET under /api exists: none of them answers the router's plain-text 404.
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!ops.get || !path.startsWith("/api/")) continue;
    const res = await fetch(`${base}${path.replace(/\{[^}]+\}/g, "x")}`);
    const body = await res.text();
    assert.ok(!(res.status === 404 && body === "Not Found"), `GET ${path} is routed (got ${res.status} ${body.slice(0, 80)})`);
    await res.body?.cancel().catch(() => undefined);
  }

  const ui = await fetch(`${base}/swagger-ui`);
  assert.equal(ui.status, 200);
  const html = await ui.text();
  assert.match(ui.headers.get("content-type") ?? "", /text\/html/);
  assert.match(html, /fetch\("swagger\.json"\)/, "the page reads the description next to it (works under the root path)");
  assert.doesNotMatch(html, /https?:\/\//, "the page loads nothing from elsewhere");

  const download = await fetch(`${base}/download/argocd-linux-amd64`);
  assert.equal(download.status, 404, "there is no CLI binary to download");
  assert.match(await download.text(), /npx hawser/, "the 404 says how to get the CLI");
});
