import { test } from "node:test";
import assert from "node:assert/strict";
import { openApiDocument } from "./openapi.js";

type Doc = { swagger: string; info: { version: string }; paths: Record<string, Record<string, { operationId: string; tags: string[]; parameters: Array<{ name: string; in: string; required: boolean }> }>> };

test("openApiDocument lists exactly the registered routes with their path and query parameters", () => {
  const doc = openApiDocument([
    { method: "GET", url: "/api/v1/applications" },
    { method: "HEAD", url: "/api/v1/applications" },
    { method: "DELETE", url: "/api/v1/applications/:name" },
    { method: "POST", url: "/api/v1/applications/:name/sync" },
    { method: "GET", url: "/api/v1/account/can-i/:resource/:action/*" },
    { method: "GET", url: "/extensions/*" },
    { method: "GET", url: "/healthz" },
  ], "v1.2.3") as Doc;
  assert.equal(doc.swagger, "2.0", "Argo serves Swagger 2.0");
  assert.equal(doc.info.version, "v1.2.3");
  assert.deepEqual(Object.keys(doc.paths).sort(), ["/api/v1/account/can-i/{resource}/{action}/{path}", "/api/v1/applications", "/api/v1/applications/{name}", "/api/v1/applications/{name}/sync", "/healthz"],
    "fastify :params become {params}, the extension proxy is left out");
  assert.deepEqual(Object.keys(doc.paths["/api/v1/applications"]!), ["get"], "the HEAD twin of a GET is not listed");
  const del = doc.paths["/api/v1/applications/{name}"]!.delete!;
  assert.deepEqual(del.parameters.filter((p) => p.in === "path").map((p) => p.name), ["name"]);
  assert.deepEqual(del.parameters.filter((p) => p.in === "query").map((p) => p.name), ["cascade", "propagationPolicy", "appNamespace", "project"], "Argo's query names for app delete");
  assert.equal(del.tags[0], "applications");
  const sync = doc.paths["/api/v1/applications/{name}/sync"]!.post!;
  assert.ok(sync.parameters.some((p) => p.in === "body"), "a POST takes a body");
  assert.equal(doc.paths["/healthz"]!.get!.parameters.length, 0, "a route without a known query has no parameters");
  const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
  assert.equal(new Set(ids).size, ids.length, "operation ids are unique");
});
