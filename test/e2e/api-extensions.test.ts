// Proxy extensions through the real server on the real control plane, to real HTTP backends on
// loopback: an allowed call reaches the backend without the caller's credentials and with Argo's
// Argocd-* headers and the configured (secret) header; a caller without `extensions, invoke`, a
// wrong project header, a project that does not permit the app's destination and a missing
// token never reach it; several services are chosen by the app's destination; with the flag off
// the paths are 404.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { stringify } from "yaml";
import { API, createWorld, IN_CLUSTER } from "../support/world.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse } from "../support/api-session.js";
import { startServerProcess } from "../support/operator-process.js";

interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

async function backend(t: { after(fn: () => unknown): void }, tag: string): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => { body += c; });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json", "x-backend": tag });
      res.end(JSON.stringify({ tag, echo: body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

test("API server: proxy extensions authorize, strip credentials, add Argo's headers, pick the service by cluster; off by default", async (t) => {
  const metrics = await backend(t, "metrics");
  const local = await backend(t, "local");
  const remote = await backend(t, "remote");
  const w = await createWorld(t, {
    name: "ext",
    startOperator: false,
    argocdCm: {
      "accounts.invoker": "login",
      "accounts.reader": "login",
      "extension.config": stringify({ extensions: [{ name: "metrics", backend: { connectionTimeout: "2s", services: [{ url: `${metrics.url}/base`, headers: [{ name: "X-Api-Key", value: "$ext.metrics.key" }] }] } }] }),
      "extension.config.multi": stringify({ services: [{ url: remote.url, cluster: { server: "https://elsewhere.example:6443" } }, { url: local.url, cluster: { server: IN_CLUSTER } }] }),
    },
  });
  const { client, ns } = w;
  await client.create({
    apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns },
    data: { "policy.csv": "g, invoker, role:readonly\ng, reader, role:readonly\np, invoker, extensions, invoke, *, allow\n" },
  });
  // No operator runs here, so the default project is made by hand (as the operator would).
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "default", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "narrow", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "https://elsewhere.example:6443", namespace: "*" }] } });
  await client.create(w.application("web", { repo: "none", path: ".", dest: w.dest("web") }));
  await client.create(w.application("stray", { repo: "none", path: ".", dest: w.dest("stray"), project: "narrow" }));

  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--enable-proxy-extension"] });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  await client.patch({ apiVersion: "v1", kind: "Secret", name: "argocd-secret", namespace: ns }, { stringData: { "ext.metrics.key": "backend-api-key-42" } });
  const adminPassword = await initialAdminPassword(client, ns);
  const json = jsonCaller(base);
  const login = (username: string, password: string): Promise<string> => sessionToken(json, username, password);
  const admin = await login("admin", adminPassword);
  for (const name of ["invoker", "reader"]) {
    const r = await json("PUT", "/api/v1/account/password", { name, currentPassword: adminPassword, newPassword: `${name}-pass-123` }, admin);
    assert.equal(r.status, 200, `password of ${name}: ${showResponse(r)}`);
  }
  const invoker = await login("invoker", "invoker-pass-123");
  const reader = await login("reader", "reader-pass-123");

  const ext = async (path: string, o: { token?: string; app?: string; project?: string; method?: string; body?: string; cookie?: string } = {}): Promise<{ status: number; text: string; headers: Headers }> => {
    const headers: Record<string, string> = {};
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.cookie) headers.cookie = o.cookie;
    if (o.app !== undefined) headers["Argocd-Application-Name"] = o.app;
    if (o.project !== undefined) headers["Argocd-Project-Name"] = o.project;
    if (o.body !== undefined) headers["content-type"] = "text/plain";
    const res = await fetch(`${base}${path}`, { method: o.method ?? "GET", headers, ...(o.body !== undefined ? { body: o.body } : {}) });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  const appHeaders = { app: `${ns}:web`, project: "default" };

  // ---- allowed: reaches the backend with Argo's headers and without the caller's credentials ----
  const ok = await ext("/extensions/metrics/api/v1/query?q=up&x=1", { token: invoker, cookie: `argocd.token=${invoker}; other=1`, ...appHeaders });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.headers.get("x-backend"), "metrics", "the backend's response headers come back");
  assert.equal(metrics.seen.length, 1, "the backend saw exactly one request");
  const got = metrics.seen[0]!;
  assert.equal(got.url, "/base/api/v1/query?q=up&x=1", "the /extensions/<name> prefix is replaced by the service URL's path, the query kept");
  assert.equal(got.headers.authorization, undefined, "the caller's Authorization header is not forwarded");
  assert.equal(got.headers.cookie, undefined, "the caller's cookies are not forwarded");
  assert.equal(got.headers["argocd-username"], "invoker", "Argocd-Username names the caller");
  assert.equal(got.headers["argocd-user-id"], "invoker", "Argocd-User-Id is the caller's subject");
  assert.equal(got.headers["argocd-user-groups"], undefined, "a local account has no groups, so no Argocd-User-Groups");
  assert.equal(got.headers["argocd-namespace"], ns, "Argocd-Namespace is the control namespace");
  assert.equal(got.headers["argocd-target-cluster-url"], IN_CLUSTER, "Argocd-Target-Cluster-URL is the app's destination");
  assert.equal(got.headers["x-api-key"], "backend-api-key-42", "the configured header carries the resolved $secret reference");
  assert.equal(got.headers["argocd-application-name"], `${ns}:web`, "the caller's Argocd-* request headers are passed on");

  const posted = await ext("/extensions/metrics/echo", { token: invoker, method: "POST", body: "hello backend", ...appHeaders });
  assert.equal(posted.status, 200, posted.text);
  assert.deepEqual(JSON.parse(posted.text), { tag: "metrics", echo: "hello backend" }, "the request body is streamed to the backend unchanged");
  assert.equal(metrics.seen[1]?.method, "POST", "the verb is kept");

  // ---- refused: nothing reaches the backend ----
  const before = metrics.seen.length;
  const noInvoke = await ext("/extensions/metrics/api", { token: reader, ...appHeaders });
  assert.equal(noInvoke.status, 401, `a caller without extensions,invoke: ${noInvoke.text}`);
  assert.equal(noInvoke.text, "Unauthorized extension request");
  const adminNoInvoke = await ext("/extensions/metrics/api", { token: admin, ...appHeaders });
  assert.equal(adminNoInvoke.status, 401, "role:admin does not include extensions (must be granted explicitly)");
  const wrongProject = await ext("/extensions/metrics/api", { token: invoker, app: `${ns}:web`, project: "other" });
  assert.equal(wrongProject.status, 401, `a project header that is not the app's project: ${wrongProject.text}`);
  const noApp = await ext("/extensions/metrics/api", { token: invoker, app: `${ns}:missing`, project: "default" });
  assert.equal(noApp.status, 401, "an app that does not exist is refused like a denied one");
  const notPermitted = await ext("/extensions/metrics/api", { token: invoker, app: `${ns}:stray`, project: "narrow" });
  assert.equal(notPermitted.status, 401, `an app whose project does not permit its destination: ${notPermitted.text}`);
  const badHeader = await ext("/extensions/metrics/api", { token: invoker, app: "web", project: "default" });
  assert.equal(badHeader.status, 400, `an app header without <namespace>: ${badHeader.text}`);
  assert.match(badHeader.text, /Argocd-Application-Name/, "the 400 names the header");
  const noToken = await ext("/extensions/metrics/api", appHeaders);
  assert.equal(noToken.status, 401, "no token: unauthenticated");
  const unknown = await ext("/extensions/nope/api", { token: invoker, ...appHeaders });
  assert.equal(unknown.status, 404, `an extension that is not configured: ${unknown.text}`);
  assert.equal(metrics.seen.length, before, "none of the refused calls reached the backend");

  // ---- several services: the one for the app's destination cluster ----
  const multi = await ext("/extensions/multi/x", { token: invoker, ...appHeaders });
  assert.equal(multi.status, 200, multi.text);
  assert.equal(multi.headers.get("x-backend"), "local", "the service whose cluster.server is the app's destination server");
  assert.equal(local.seen[0]?.url, "/x", "the remainder of the path goes to the chosen service");
  assert.equal(remote.seen.length, 0, "the other cluster's service is not called");

  // ---- off by default ----
  const plain = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => plain.stop("SIGKILL"));
  const plainBase = await plain.url();
  const off = await fetch(`${plainBase}/extensions/metrics/api`, { headers: { authorization: `Bearer ${invoker}`, "Argocd-Application-Name": `${ns}:web`, "Argocd-Project-Name": "default" } });
  assert.equal(off.status, 404, "without --enable-proxy-extension the path does not exist");
  assert.equal(metrics.seen.length, before, "the disabled server did not proxy");
});
