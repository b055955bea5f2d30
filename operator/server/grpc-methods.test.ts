import { test } from "node:test";
import assert from "node:assert/strict";
import { GRPC_CODE_NAMES, grpcCodeOfStatus, grpcMethodOf, grpcMethodTable, normaliseRoute } from "./grpc-methods.js";
import { Code } from "./http/errors.js";

test("grpcMethodOf: fastify's route patterns to the gRPC method Argo's gateway calls", () => {
  assert.equal(normaliseRoute("/api/v1/account/can-i/:resource/:action/*"), "/api/v1/account/can-i/{}/{}/{}");
  assert.deepEqual(grpcMethodOf("POST", "/api/v1/session"), { service: "session.SessionService", method: "Create", type: "unary" });
  assert.deepEqual(grpcMethodOf("get", "/api/v1/applications/:name"), { service: "application.ApplicationService", method: "Get", type: "unary" }, "the verb in any case");
  assert.deepEqual(grpcMethodOf("GET", "/api/v1/applications/:name/pods/:podName/logs"), { service: "application.ApplicationService", method: "PodLogs", type: "server_stream" });
  assert.deepEqual(grpcMethodOf("GET", "/api/v1/stream/applications"), { service: "application.ApplicationService", method: "Watch", type: "server_stream" });
  assert.deepEqual(grpcMethodOf("DELETE", "/api/v1/projects/:project/roles/:role/token/:iat"), { service: "project.ProjectService", method: "DeleteToken", type: "unary" });
  assert.equal(grpcMethodOf("PATCH", "/api/v1/session"), undefined, "a verb the route does not have");
  for (const outside of ["/terminal", "/api/badge", "/auth/login", "/healthz", "/extensions/*", "/*"]) assert.equal(grpcMethodOf("GET", outside), undefined, `${outside} is not behind Argo's gateway`);
});

test("the table: every route is an API path, every service a qualified name", () => {
  const table = grpcMethodTable();
  assert.ok(table.length > 90, `the routes Hawser serves are mapped (${table.length})`);
  for (const r of table) {
    assert.match(r.route, /^(GET|POST|PUT|PATCH|DELETE) \/api\//, r.route);
    assert.match(r.service, /^[a-z]+\.[A-Za-z]+Service$/, `${r.route}: ${r.service}`);
    assert.match(r.method, /^[A-Z][A-Za-z0-9]+$/, `${r.route}: ${r.method}`);
  }
});

test("gRPC code names and the status fallback match the API's error codes", () => {
  for (const [name, code] of Object.entries(Code)) assert.equal(GRPC_CODE_NAMES[code], name, `code ${code} is named ${name}`);
  assert.deepEqual([200, 204, 400, 401, 403, 404, 409, 429, 500, 501, 503, 504, 502, 418].map(grpcCodeOfStatus),
    [Code.OK, Code.OK, Code.InvalidArgument, Code.Unauthenticated, Code.PermissionDenied, Code.NotFound, Code.AlreadyExists, Code.ResourceExhausted, Code.Internal, Code.Unimplemented, Code.Unavailable, Code.DeadlineExceeded, Code.Internal, Code.Unknown]);
});
