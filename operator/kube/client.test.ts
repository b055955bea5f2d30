// The client's impersonation headers, against a loopback HTTP server that records what it is sent
// (no Kubernetes semantics are involved; test/e2e/sync-impersonation.test.ts covers the apiserver).
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient } from "./client.js";

test("asUser: its requests carry Impersonate-User, the parent's do not, and discovery is shared", async (t) => {
  const seen: Array<{ path: string; as?: string; auth?: string }> = [];
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? "", as: req.headers["impersonate-user"] as string | undefined, auth: req.headers.authorization });
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ gitVersion: "v1.36.3" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "controller-token" }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  const parent = new KubeClient(kc);
  t.after(() => parent.close());
  const child = parent.asUser("system:serviceaccount:team:deployer");

  await parent.request("GET", "/version");
  await child.request("GET", "/version");
  await child.asUser("system:serviceaccount:team:other").request("GET", "/version");
  assert.deepEqual(seen.map((s) => s.as), [undefined, "system:serviceaccount:team:deployer", "system:serviceaccount:team:other"]);
  assert.ok(seen.every((s) => s.auth === "Bearer controller-token"), "every request authenticates as the controller");
  assert.equal(child.impersonating, "system:serviceaccount:team:deployer");
  assert.equal(parent.impersonating, undefined);
  assert.equal(child.discovery, parent.discovery, "discovery (and so its requests) stays the parent's");
});

test("request: a body in many chunks is read whole, a non-2xx is an API error, a cut response rejects", async (t) => {
  const big = { items: Array.from({ length: 5000 }, (_, i) => ({ name: `item-${i}`, text: "é".repeat(20) })) };
  const server = http.createServer((req, res) => {
    if (req.url === "/big") {
      // Written in small pieces, a multi-byte character split across them.
      const body = Buffer.from(JSON.stringify(big));
      res.setHeader("Content-Type", "application/json");
      for (let i = 0; i < body.length; i += 1001) res.write(body.subarray(i, i + 1001));
      res.end();
    } else if (req.url === "/missing") {
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: "Status", status: "Failure", reason: "NotFound", message: "not here", code: 404 }));
    } else {
      // Promises more than it sends, then drops the connection.
      res.setHeader("Content-Length", "1000");
      res.write("{\"partial\":");
      setTimeout(() => res.socket?.destroy(), 20);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  const client = new KubeClient(kc);
  t.after(() => client.close());
  assert.deepEqual(await client.request("GET", "/big"), big);
  await assert.rejects(client.request("GET", "/missing"), (err: unknown) => err instanceof Error && /not here/.test(err.message));
  await assert.rejects(client.request("GET", "/cut"));
});
