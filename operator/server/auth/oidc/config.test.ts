// parseSsoSettings: argocd-cm oidc.config, url, additionalUrls and oidc.tls.insecure.skip.verify,
// with `$key` / `$secret:key` references; every refusal names the key and never shows a secret.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { stringify } from "yaml";
import { DEFAULT_SCOPES, parseSsoSettings, SsoConfigError, type SsoSettings } from "./config.js";
import { MapState } from "./testdata/state.js";

const SECRET = "s3cr3t-value-that-must-not-leak";
const PART_OF = { "app.kubernetes.io/part-of": "argocd" };

function state(): MapState {
  const s = new MapState();
  s.setSecret("argocd-secret", { "oidc.clientSecret": `  ${SECRET}\n`, "server.secretkey": "k" }, PART_OF);
  s.setSecret("sso-labelled", { clientSecret: `${SECRET}\n` }, PART_OF);
  s.setSecret("sso-unlabelled", { clientSecret: SECRET }, { team: "platform" });
  return s;
}

function parse(oidc: Record<string, unknown> | string, cm: Record<string, string> = {}, s = state()) {
  return parseSsoSettings({ url: "https://hawser.example.com/", "oidc.config": typeof oidc === "string" ? oidc : stringify(oidc), ...cm }, s);
}

function settings(oidc: Record<string, unknown>, cm: Record<string, string> = {}): SsoSettings {
  const parsed = parse(oidc, cm);
  assert.ok(parsed.settings, "SSO is configured");
  return parsed.settings;
}

function refusal(fn: () => unknown): SsoConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SsoConfigError, `expected an SsoConfigError, got ${String(err)}`);
    assert.ok(!err.message.includes(SECRET), `the error does not show the secret: ${err.message}`);
    return err;
  }
  assert.fail("expected the settings to be refused");
}

const base = { issuer: "https://idp.example.com/realms/main", clientID: "hawser", clientSecret: "$oidc.clientSecret" };

describe("parseSsoSettings", () => {
  test("no oidc.config: SSO is not configured, nothing is required", () => {
    assert.deepEqual(parseSsoSettings({ url: "https://x" }, state()), { settings: undefined, warnings: [] });
    assert.deepEqual(parseSsoSettings(undefined, state()), { settings: undefined, warnings: [] });
  });

  test("defaults: Argo's scopes, audiences clientID + cliClientID, PKCE off, url without a trailing slash", () => {
    const s = settings({ ...base, cliClientID: "hawser-cli" });
    assert.deepEqual(s.oidc.scopes, DEFAULT_SCOPES);
    assert.deepEqual(DEFAULT_SCOPES, ["openid", "profile", "email", "groups"]);
    assert.equal(s.oidc.requestedScopes, undefined, "nothing configured, nothing shown in settings");
    assert.deepEqual(s.oidc.allowedAudiences, ["hawser", "hawser-cli"]);
    assert.equal(s.oidc.enablePKCEAuthentication, false);
    assert.equal(s.oidc.skipAudienceCheckWhenTokenHasNoAudience, false);
    assert.equal(s.url, "https://hawser.example.com");
    assert.deepEqual(s.additionalUrls, []);
    assert.equal(s.insecureSkipVerify, false);
  });

  test("$key reads argocd-secret, $secret:key a labelled Secret; both trimmed", () => {
    assert.equal(settings(base).oidc.clientSecret, SECRET);
    assert.equal(settings({ ...base, clientSecret: "$sso-labelled:clientSecret" }).oidc.clientSecret, SECRET);
  });

  test("$secret:key naming a Secret without app.kubernetes.io/part-of: argocd is refused, naming the field", () => {
    const err = refusal(() => parse({ ...base, clientSecret: "$sso-unlabelled:clientSecret" }));
    assert.equal(err.message, 'argocd-cm oidc.config: clientSecret: "$sso-unlabelled:clientSecret" names Secret sso-unlabelled, which is not labelled app.kubernetes.io/part-of: argocd');
  });

  test("a reference to a missing Secret or key is refused (Argo would send the literal to the IdP)", () => {
    assert.match(refusal(() => parse({ ...base, clientSecret: "$nope:clientSecret" })).message, /clientSecret: "\$nope:clientSecret" names Secret nope, which does not exist/);
    assert.match(refusal(() => parse({ ...base, clientSecret: "$sso-labelled:other" })).message, /Secret sso-labelled has no key other/);
    assert.match(refusal(() => parse({ ...base, clientSecret: "$absent" })).message, /Secret argocd-secret has no key absent/);
    assert.match(refusal(() => parse({ ...base, clientSecret: "$" })).message, /is not a secret reference/);
  });

  test("references resolve in any field, nested ones included", () => {
    const s = settings({ ...base, clientID: "$sso-labelled:clientSecret", requestedIDTokenClaims: { groups: { value: "$oidc.clientSecret" } } });
    assert.equal(s.oidc.clientID, SECRET);
    assert.equal(s.oidc.requestedIDTokenClaims?.groups?.value, SECRET);
  });

  test("unknown keys and not-yet-supported ones are warnings; a warning never holds a value", () => {
    const parsed = parse({
      ...base, colour: "blue", userInfoPath: "/userinfo", refreshTokenThreshold: "5m",
      azure: { useWorkloadIdentity: true },
    }, { "oidc.tls.insecure.skip.verify": "true" });
    assert.ok(parsed.settings, "still configured");
    assert.equal(parsed.settings.oidc.refreshTokenThresholdMs, 300_000);
    assert.equal(parsed.settings.oidc.userInfo, undefined, "UserInfo groups are off unless enabled");
    assert.equal(parsed.settings.insecureSkipVerify, true);
    const w = parsed.warnings.join("\n");
    assert.match(w, /oidc\.config: colour: unknown key, ignored/);
    assert.match(w, /userInfoPath: has no effect unless enableUserInfoGroups is true/);
    assert.doesNotMatch(w, /refreshTokenThreshold/, "refreshTokenThreshold is supported");
    assert.match(w, /azure: not yet supported/);
    assert.match(w, /oidc\.tls\.insecure\.skip\.verify is "true"/);
    assert.ok(!w.includes(SECRET) && !w.includes("blue"), "no values in warnings");
  });

  test("UserInfo groups: the URL is userInfoBaseURL (default the issuer) + userInfoPath; the cache defaults to 5m", () => {
    assert.deepEqual(settings({ ...base, enableUserInfoGroups: true, userInfoPath: "/userinfo" }).oidc.userInfo,
      { url: "https://idp.example.com/realms/main/userinfo", cacheMs: 300_000 });
    assert.deepEqual(settings({ ...base, enableUserInfoGroups: true, userInfoPath: "me", userInfoBaseURL: "https://api.example.com/v1/", userInfoCacheExpiration: "1m30s" }).oidc.userInfo,
      { url: "https://api.example.com/v1/me", cacheMs: 90_000 });
    assert.match(refusal(() => parse({ ...base, enableUserInfoGroups: true })).message, /oidc\.config: userInfoPath: required when enableUserInfoGroups is true/);
    assert.match(refusal(() => parse({ ...base, enableUserInfoGroups: true, userInfoPath: "/u", userInfoBaseURL: "http://api.example.com" })).message,
      /userInfoBaseURL: must be an https URL/);
    assert.match(refusal(() => parse({ ...base, enableUserInfoGroups: true, userInfoPath: "/u", userInfoCacheExpiration: "soon" })).message,
      /userInfoCacheExpiration: "soon" is not a duration/);
  });

  test("requestedScopes without openid get it added, with a warning", () => {
    const parsed = parse({ ...base, requestedScopes: ["profile", "groups"] });
    assert.deepEqual(parsed.settings?.oidc.scopes, ["openid", "profile", "groups"]);
    assert.deepEqual(parsed.settings?.oidc.requestedScopes, ["profile", "groups"]);
    assert.match(parsed.warnings.join("\n"), /requestedScopes: "openid" is missing/);
  });

  test("allowedAudiences replaces the default; url, additionalUrls and the TLS switch are read", () => {
    const s = settings({ ...base, allowedAudiences: ["a", "b"], skipAudienceCheckWhenTokenHasNoAudience: true },
      { additionalUrls: "- https://alt.example.com/argo/\n- http://127.0.0.1:8080", "oidc.tls.insecure.skip.verify": "false" });
    assert.deepEqual(s.oidc.allowedAudiences, ["a", "b"]);
    assert.equal(s.oidc.skipAudienceCheckWhenTokenHasNoAudience, true);
    assert.deepEqual(s.additionalUrls, ["https://alt.example.com/argo", "http://127.0.0.1:8080"]);
    assert.equal(s.insecureSkipVerify, false);
  });

  test("a public client (no secret) needs PKCE", () => {
    const { clientSecret: _, ...noSecret } = base;
    assert.match(refusal(() => parse(noSecret)).message, /clientSecret: required unless enablePKCEAuthentication is true/);
    assert.equal(settings({ ...noSecret, enablePKCEAuthentication: true }).oidc.clientSecret, undefined);
  });

  test("bad values are refused with the key named", () => {
    const cases: Array<[Record<string, unknown> | string, Record<string, string>, RegExp]> = [
      [{ clientID: "x", clientSecret: "y" }, {}, /oidc\.config: issuer: required/],
      [{ ...base, clientID: 12345 }, {}, /oidc\.config: clientID: must be a string \(quote the value\)/],
      [{ ...base, issuer: "idp.example.com" }, {}, /issuer: "idp\.example\.com" is not an absolute URL/],
      [{ ...base, issuer: "http://idp.example.com" }, {}, /issuer: must be an https URL \(http only on loopback\)/],
      [{ ...base, issuer: "https://idp.example.com/?x=1" }, {}, /issuer: must have no query or fragment/],
      [{ ...base, enablePKCEAuthentication: "yes" }, {}, /enablePKCEAuthentication: must be true or false/],
      [{ ...base, requestedScopes: "openid groups" }, {}, /requestedScopes: must be a list of non-empty strings/],
      [{ ...base, requestedIDTokenClaims: { groups: { essential: "true" } } }, {}, /requestedIDTokenClaims\.groups\.essential: must be true or false/],
      [{ ...base, requestedIDTokenClaims: { groups: { required: true } } }, {}, /requestedIDTokenClaims\.groups\.required: unknown key/],
      [{ ...base, refreshTokenThreshold: "5 minutes" }, {}, /refreshTokenThreshold: "5 minutes" is not a duration/],
      [{ ...base, logoutURL: "/logout" }, {}, /logoutURL: must be an absolute http\(s\) URL/],
      [{ ...base, rootCA: "not a certificate" }, {}, /rootCA: holds no PEM certificate/],
      [{ ...base, rootCA: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" }, {}, /rootCA: certificate 1 cannot be read/],
      ["- a list", {}, /argocd-cm oidc\.config: must be a YAML mapping/],
      [base, { url: "" }, /argocd-cm url: must be set for SSO/],
      [base, { url: "hawser.example.com" }, /argocd-cm url: "hawser\.example\.com" is not an absolute URL/],
      [base, { additionalUrls: "https://alt.example.com" }, /argocd-cm additionalUrls: must be a YAML list of URLs/],
      [base, { additionalUrls: "- ftp://alt.example.com" }, /argocd-cm additionalUrls\[0\]: "ftp:\/\/alt\.example\.com" must be an http\(s\) URL/],
      [base, { "oidc.tls.insecure.skip.verify": "yes" }, /argocd-cm oidc\.tls\.insecure\.skip\.verify: "yes" is not true or false/],
    ];
    for (const [oidc, cm, expected] of cases) assert.match(refusal(() => parse(oidc, cm)).message, expected);
  });

  test("invalid YAML is reported by position only, so an inline secret on that line is not echoed", () => {
    const err = refusal(() => parse(`issuer: https://idp.example.com\nclientSecret: "${SECRET}\nclientID: [`));
    assert.match(err.message, /^argocd-cm oidc\.config: invalid YAML at line \d+, column \d+$/);
  });

  test("http issuers are allowed on loopback only", () => {
    for (const issuer of ["http://127.0.0.1:5556", "http://localhost:8080/dex", "http://[::1]:9000"]) {
      assert.equal(settings({ ...base, issuer }).oidc.issuer, issuer, issuer);
    }
  });
});
