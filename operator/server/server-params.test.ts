// The API server's settings as Argo names them: defaults, the flag > ConfigMap > variable order,
// every value parsed into what the server takes, and a refusal naming the source for bad input.
import assert from "node:assert/strict";
import { getCiphers } from "node:tls";
import { test } from "node:test";
import { paramLookup, parseServerParams, ServerParamError, type ServerParams } from "./server-params.js";

const CIPHERS = getCiphers();

function parse(params: Record<string, string> = {}, flags: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): ServerParams {
  return parseServerParams(paramLookup((f) => flags[f], params, env), CIPHERS);
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ServerParamError, `a ServerParamError, got ${String(err)}`);
    return err.message;
  }
  assert.fail("expected a refusal");
}

test("nothing set: every default is Argo's documented one (argocd-cmd-params-cm.yaml, argocd-server's flags)", () => {
  assert.deepEqual(parse(), {
    disableAuth: false, // server.disable.auth: false
    enableGzip: true, // server.enable.gzip: true
    xFrameOptions: "sameorigin", // server.x.frame.options: sameorigin
    contentSecurityPolicy: "frame-ancestors 'self';", // server.content.security.policy
    // server.tls.minversion 1.2, maxversion 1.3, ciphers TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_RSA_WITH_AES_256_GCM_SHA384
    // (in OpenSSL's names; the TLS 1.3 suites are always on, as in Go).
    tls: { minVersion: "TLSv1.2", maxVersion: "TLSv1.3", ciphers: "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES256-GCM-SHA384" },
    logLevel: "info", // server.log.level: info
    logFormat: "json", // server.log.format: json
    loginAttemptsExpirationMs: 24 * 3600_000, // server.login.attempts.expiration: 24h
    cookieMaxNumber: 20, // server.http.cookie.maxnumber (ARGOCD_MAX_COOKIE_NUMBER): 20
    oidcCacheExpirationMs: 3 * 60_000, // server.oidc.cache.expiration: 3m
    connectionStatusTtlMs: 3600_000, // server.connection.status.cache.expiration: 1h, clusters and repositories alike
  }, "every default as Argo's");
});

test("ConfigMap keys are read and parsed", () => {
  const got = parse({
    "server.disable.auth": "true", "server.enable.gzip": "false", "server.x.frame.options": "", "server.content.security.policy": "",
    "server.tls.minversion": "1.3", "server.tls.maxversion": "1.3", "server.tls.ciphers": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:TLS_AES_128_GCM_SHA256",
    "server.log.level": "warning", "server.log.format": "text", "server.login.attempts.expiration": "90s",
    "server.http.cookie.maxnumber": "3", "server.oidc.cache.expiration": "2m", "server.connection.status.cache.expiration": "2m30s",
  });
  assert.equal(got.disableAuth, true, "disable.auth");
  assert.equal(got.enableGzip, false, "enable.gzip off");
  assert.equal(got.xFrameOptions, "", "an empty X-Frame-Options turns the header off");
  assert.equal(got.contentSecurityPolicy, "", "an empty policy turns the header off");
  assert.deepEqual([got.tls.minVersion, got.tls.maxVersion], ["TLSv1.3", "TLSv1.3"], "versions mapped to Node's names");
  assert.match(got.tls.ciphers, /:ECDHE-ECDSA-AES128-GCM-SHA256$/, "the IANA name mapped to OpenSSL's; the 1.3 name adds nothing");
  assert.equal(got.logLevel, "warn", "logrus's 'warning' is warn");
  assert.equal(got.logFormat, "text", "text format");
  assert.equal(got.loginAttemptsExpirationMs, 90_000, "a Go duration");
  assert.equal(got.cookieMaxNumber, 3, "cookie parts");
  assert.equal(got.oidcCacheExpirationMs, 120_000, "OIDC state lifetime");
  assert.equal(got.connectionStatusTtlMs, 150_000, "the connection state of repositories and clusters");
});

test("the flag wins over the key, the key over the variable; an empty variable keeps the default", () => {
  assert.equal(parse({ "server.log.level": "debug" }, { loglevel: "error" }, { ARGOCD_SERVER_LOGLEVEL: "warn" }).logLevel, "error", "flag first");
  assert.equal(parse({ "server.log.level": "debug" }, {}, { ARGOCD_SERVER_LOGLEVEL: "warn" }).logLevel, "debug", "then the key");
  assert.equal(parse({}, {}, { ARGOCD_SERVER_LOGLEVEL: "warn" }).logLevel, "warn", "then the variable");
  assert.equal(parse({}, {}, { ARGOCD_MAX_COOKIE_NUMBER: "7" }).cookieMaxNumber, 7, "Argo's cookie variable");
  assert.equal(parse({}, {}, { ARGOCD_SERVER_ENABLE_GZIP: "" }).enableGzip, true, "an empty variable is unset");
  assert.equal(parse({}, { "disable-auth": "1" }).disableAuth, true, "Go's ParseBool spellings");
});

test("bad values stop the server with the setting and its source named", () => {
  assert.match(refusal(() => parse({ "server.tls.minversion": "1.4" })), /^argocd-cmd-params-cm server\.tls\.minversion: "1\.4" is not a TLS version/);
  assert.match(refusal(() => parse({}, { tlsmaxversion: "1.1" })), /^--tlsminversion \/ argocd-cmd-params-cm server\.tls\.minversion: the minimum TLS version 1\.2 is higher than the maximum 1\.1 \(--tlsmaxversion\)/);
  assert.match(refusal(() => parse({ "server.tls.ciphers": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_MADE_UP" })), /server\.tls\.ciphers: unknown cipher suite "TLS_MADE_UP"/);
  assert.match(refusal(() => parse({}, {}, { ARGOCD_SERVER_TLS_CIPHERS: "TLS_RSA_WITH_RC4_128_SHA" })), /^\$ARGOCD_SERVER_TLS_CIPHERS: cipher suite "TLS_RSA_WITH_RC4_128_SHA" \(OpenSSL RC4-SHA\) is not supported/);
  assert.match(refusal(() => parse({ "server.tls.ciphers": "TLS_AES_128_GCM_SHA256" })), /no cipher suite for TLS 1\.2/, "only 1.3 names while 1.2 is allowed");
  assert.match(refusal(() => parse({ "server.log.level": "loud" })), /^argocd-cmd-params-cm server\.log\.level: unknown log level "loud"/);
  assert.match(refusal(() => parse({}, { logformat: "xml" })), /^--logformat: unknown log format "xml"/);
  assert.match(refusal(() => parse({ "server.login.attempts.expiration": "24" })), /server\.login\.attempts\.expiration: "24" is not a duration/);
  assert.match(refusal(() => parse({ "server.oidc.cache.expiration": "-1m" })), /server\.oidc\.cache\.expiration: "-1m" is negative/);
  assert.match(refusal(() => parse({ "server.http.cookie.maxnumber": "0" })), /server\.http\.cookie\.maxnumber: "0" is not a positive whole number/);
  assert.match(refusal(() => parse({ "server.disable.auth": "yes" })), /server\.disable\.auth: "yes" is not a boolean/);
});

test("TLS 1.3 only may list no TLS 1.2 cipher; the policy Node gets builds a context", async () => {
  const { createSecureContext } = await import("node:tls");
  const only13 = parse({ "server.tls.minversion": "1.3", "server.tls.ciphers": "TLS_AES_256_GCM_SHA384" }).tls;
  assert.equal(only13.ciphers, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256", "the 1.3 suites only");
  for (const policy of [only13, parse().tls]) {
    assert.doesNotThrow(() => createSecureContext(policy), `Node accepts ${policy.ciphers}`);
  }
});
