import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { duration, ExtensionConfigError, parseAppHeader, parseExtensions, serviceFor } from "./extension-config.js";

const secrets: Record<string, string> = { "$ext.key": "s3cret", "$other:token": "tok" };
const secretValue = (ref: string): string => {
  const v = secrets[ref];
  if (v === undefined) throw new Error(`${ref} is missing`);
  return v;
};

test("parseExtensions reads extension.config and extension.config.<name> with Argo's defaults", () => {
  const exts = parseExtensions({
    "extension.config": stringify({ extensions: [{ name: "httpbin", backend: { connectionTimeout: "1m30s", keepAlive: "500ms", maxIdleConnections: 5, services: [{ url: "http://httpbin.local/api", headers: [{ name: "X-Key", value: "$ext.key" }, { name: "X-Plain", value: "v" }] }] } }] }),
    "extension.config.multi": stringify({ services: [{ url: "https://a.example", cluster: { name: "a" } }, { url: "https://b.example", cluster: { server: "https://b:6443" } }] }),
    "extension.configs": "not an extension key",
  }, secretValue);
  assert.deepEqual([...exts.keys()], ["httpbin", "multi"], "one extension per entry and per extension.config.<name> key");
  const h = exts.get("httpbin")!;
  assert.equal(h.connectionTimeoutMs, 90_000, "Go duration 1m30s");
  assert.equal(h.keepAliveMs, 500, "Go duration 500ms");
  assert.equal(h.idleConnectionTimeoutMs, 60_000, "Argo's default idle timeout");
  assert.equal(h.maxIdleConnections, 5);
  assert.deepEqual(h.services[0]!.headers, [{ name: "X-Key", value: "s3cret" }, { name: "X-Plain", value: "v" }], "$ references are resolved, plain values kept");
  const m = exts.get("multi")!;
  assert.equal(m.connectionTimeoutMs, 2_000, "Argo's default connection timeout");
  assert.equal(serviceFor(m, { name: "a" })?.url.host, "a.example", "picked by destination name");
  assert.equal(serviceFor(m, { server: "https://b:6443" })?.url.host, "b.example", "picked by destination server");
  assert.equal(serviceFor(m, { server: "https://c:6443" }), undefined, "no service for another cluster");
  assert.equal(serviceFor(h, { server: "https://anything" })?.url.host, "httpbin.local", "a single service serves every cluster");
  assert.equal(parseExtensions(undefined, secretValue).size, 0, "no argocd-cm, no extensions");
});

test("parseExtensions names the argocd-cm key and field of every bad setting", () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ "extension.config": "extensions: {}" }, /^argocd-cm extension.config: extensions must be a list/],
    [{ "extension.config": "extensions: [{name: 'a b', backend: {services: [{url: 'http://x'}]}}]" }, /extensions\[0\]\.name/],
    [{ "extension.config": "extensions: [{name: a}]" }, /extensions\[0\]\.backend must be a mapping/],
    [{ "extension.config.a": "services: []" }, /^argocd-cm extension.config.a\.services must be a non-empty list/],
    [{ "extension.config.a": "services: [{url: 'ftp://x'}]" }, /services\[0\]\.url must use http or https/],
    [{ "extension.config.a": "services: [{url: 'http://x'}]\nconnectionTimeout: 2" }, /connectionTimeout must be a duration/],
    [{ "extension.config.a": "services: [{url: 'http://x'}, {url: 'http://y', cluster: {name: y}}]" }, /services\[0\]\.cluster must be set when an extension has several services/],
    [{ "extension.config.a": "services: [{url: 'http://x', headers: [{name: K, value: $missing}]}]" }, /services\[0\]\.headers\[0\]\.value: \$missing is missing/],
    [{ "extension.config.a": "services: [{url: 'http://x'}]", "extension.config": "extensions: [{name: a, backend: {services: [{url: 'http://y'}]}}]" }, /extension "a" is configured twice/],
    [{ "extension.config.a": "a: [" }, /^argocd-cm extension.config.a: invalid YAML$/],
  ];
  for (const [cm, message] of cases) {
    assert.throws(() => parseExtensions(cm, secretValue), (err: unknown) => err instanceof ExtensionConfigError && message.test(err.message), `${JSON.stringify(cm)} → ${String(message)}`);
  }
});

test("duration and the Argocd-Application-Name header", () => {
  assert.equal(duration("2s", "f"), 2000);
  assert.equal(duration("1h", "f"), 3_600_000);
  assert.throws(() => duration("2x", "f"), /f must be a duration/, "an unknown unit is an error");
  assert.deepEqual(parseAppHeader("argocd:web"), { namespace: "argocd", name: "web" });
  assert.equal(parseAppHeader("web"), undefined, "the namespace is required");
  assert.equal(parseAppHeader("a:b:c"), undefined, "one colon only");
  assert.equal(parseAppHeader("Argo:web"), undefined, "names are DNS labels");
});
