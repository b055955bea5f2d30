import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AccountSettingsError, anonymousEnabled, getAccount, parseAccounts, passwordPattern, secretPrefix, sessionDurationSeconds,
} from "./accounts.js";

test("admin always exists with login only; accounts.admin adds apiKey", () => {
  const plain = parseAccounts({}, {});
  assert.deepEqual(plain.map((a) => [a.name, a.enabled, a.capabilities]), [["admin", true, ["login"]]], "admin exists with login by default");
  const withKey = getAccount({ "accounts.admin": "apiKey" }, {}, "admin");
  assert.deepEqual(withKey?.capabilities, ["login", "apiKey"], "accounts.admin: apiKey adds to login");
  assert.equal(getAccount({ "admin.enabled": "false" }, {}, "admin")?.enabled, false, "admin.enabled false disables admin");
});

test("local accounts come from accounts.<name> keys, with their secrets from argocd-secret", () => {
  const cm = { "accounts.alice": "login, apiKey", "accounts.bob": "apiKey", "accounts.bob.enabled": "false", "url": "https://x" };
  const secret = {
    "accounts.alice.password": "$2a$10$hash",
    "accounts.alice.passwordMtime": "2026-01-02T03:04:05Z",
    "accounts.alice.tokens": JSON.stringify([{ id: "k1", iat: 100 }, { id: "k2", iat: 200, exp: 300 }, { id: "k3", iat: 1, exp: 0 }]),
  };
  const accounts = parseAccounts(cm, secret);
  assert.deepEqual(accounts.map((a) => a.name), ["admin", "alice", "bob"], "sorted, one per accounts.<name> key (enabled keys are not accounts)");
  const alice = accounts.find((a) => a.name === "alice")!;
  assert.deepEqual(alice.capabilities, ["login", "apiKey"], "capabilities are trimmed");
  assert.equal(alice.passwordHash, "$2a$10$hash", "hash read from accounts.alice.password");
  assert.equal(alice.passwordMtime, Date.UTC(2026, 0, 2, 3, 4, 5) / 1000, "mtime in seconds");
  assert.deepEqual(alice.tokens, [{ id: "k1", iat: 100 }, { id: "k2", iat: 200, exp: 300 }, { id: "k3", iat: 1 }], "exp 0 means none");
  const bob = accounts.find((a) => a.name === "bob")!;
  assert.equal(bob.enabled, false, "accounts.bob.enabled false");
  assert.equal(bob.passwordHash, undefined, "no password set");
  assert.equal(secretPrefix("admin"), "admin", "admin's secret keys are admin.*");
  assert.equal(secretPrefix("bob"), "accounts.bob", "others' are accounts.<name>.*");
});

test("bad account settings are errors naming the key", () => {
  assert.throws(() => parseAccounts({ "accounts.x": "login,root" }, {}), (e: unknown) => e instanceof AccountSettingsError && /accounts\.x.*"root"/.test(e.message));
  assert.throws(() => parseAccounts({ "accounts.x": "login", "accounts.x.enabled": "yes" }, {}), /accounts\.x\.enabled/);
  assert.throws(() => parseAccounts({ "accounts.x": "login" }, { "accounts.x.tokens": "{" }), /accounts\.x\.tokens: not valid JSON/);
  assert.throws(() => parseAccounts({}, { "admin.passwordMtime": "yesterday" }), /admin\.passwordMtime/);
  assert.throws(() => passwordPattern({ passwordPattern: "([" }), /passwordPattern: invalid regular expression/);
  assert.throws(() => sessionDurationSeconds({ "users.session.duration": "a day" }), /users\.session\.duration/);
});

test("settings: passwordPattern, session duration and anonymous access with Argo's defaults", () => {
  assert.equal(passwordPattern(undefined).source, "^.{8,32}$", "default pattern");
  assert.ok(passwordPattern({}).regexp.test("12345678"), "8 characters match the default");
  assert.ok(!passwordPattern({}).regexp.test("1234567"), "7 characters do not");
  assert.equal(sessionDurationSeconds({}), 86_400, "default 24h");
  assert.equal(sessionDurationSeconds({ "users.session.duration": "1h30m" }), 5_400, "Go duration syntax");
  assert.equal(anonymousEnabled({}), false, "anonymous off by default");
  assert.equal(anonymousEnabled({ "users.anonymous.enabled": "true" }), true, "anonymous on when true");
});
