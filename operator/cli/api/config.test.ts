import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFlags } from "../../flags.js";
import { ConfigError, configPath, emptyConfig, parseConfig, readConfig, removeToken, resolveContext, upsertLogin, writeConfig } from "./config.js";
import { CONNECTION_FLAGS, connectionFrom } from "./connection.js";

const flags = (...args: string[]): ReturnType<typeof parseFlags> => parseFlags(args, { values: CONNECTION_FLAGS.values, booleans: CONNECTION_FLAGS.booleans });

test("the config path: --config, else $HAWSER_CONFIG, else ~/.config/hawser/config", () => {
  assert.equal(configPath("/x/cfg", { HAWSER_CONFIG: "/y" }), "/x/cfg", "the flag wins");
  assert.equal(configPath(undefined, { HAWSER_CONFIG: "/y" }), "/y", "then the environment");
  assert.ok(configPath(undefined, {}).endsWith(join(".config", "hawser", "config")), "then the home directory");
});

test("a login is written with mode 0600 and read back; logout drops only the token", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "sub", "config");
  assert.deepEqual(await readConfig(path), emptyConfig(), "a missing file is an empty config");
  const cfg = upsertLogin(emptyConfig(), { context: "prod", server: { server: "argo.example:443", insecure: true }, token: "tok-1" });
  await writeConfig(path, cfg);
  assert.equal((await stat(path)).mode & 0o777, 0o600, "only the owner may read the token");
  const back = await readConfig(path);
  assert.deepEqual(back, cfg, "what is written is read back");
  assert.deepEqual(resolveContext(back, "prod", path), { name: "prod", server: { server: "argo.example:443", insecure: true }, token: "tok-1" }, "the context resolves to its server and token");
  // A second login to the same context replaces the token, not adds a user.
  const again = upsertLogin(back, { context: "prod", server: { server: "argo.example:443" }, token: "tok-2" });
  assert.equal(again.users.length, 1, "one user per context");
  assert.equal(again.users[0]?.["auth-token"], "tok-2", "the new token replaces the old");
  assert.equal(again.servers[0]?.insecure, undefined, "the server's settings are the latest login's");
  const out = removeToken(again, "prod");
  assert.ok(out, "the context exists");
  assert.equal(out.users[0]?.["auth-token"], undefined, "logout removes the token");
  assert.equal(out.contexts.length, 1, "logout keeps the context");
  assert.equal(removeToken(again, "nope"), undefined, "an unknown context is reported");
  await writeFile(path, "contexts: {}\n");
  await assert.rejects(readConfig(path), (e: unknown) => e instanceof ConfigError && e.message.includes("contexts must be a list"), "a malformed file names the field");
  // argocd writes plain-text; both spellings are read.
  assert.equal(parseConfig("servers:\n- server: a:1\n  plain-text: true\n", "f").servers[0]?.plainText, true, "argocd's plain-text key");
  assert.ok((await readFile(path, "utf8")).length > 0, "the file is there");
});

test("every malformed field is named", () => {
  const cases: [string, string][] = [
    ["contexts:\n- name: a\n  server: s\n", "contexts[0].user is missing"],
    ["servers:\n- server: s\n  insecure: yes please\n", "servers[0].insecure must be true or false"],
    ["users:\n- name: 3\n", "users[0].name must be a string"],
    ["current-context: [a]\n", "current-context must be a string"],
    ["- a\n", "must be a mapping"],
    ["a: [\n", "not valid YAML"],
  ];
  for (const [text, want] of cases) {
    assert.throws(() => parseConfig(text, "cfg"), (e: unknown) => e instanceof ConfigError && e.message.includes(want) && e.message.startsWith("cfg"), `${JSON.stringify(text)} → ${want}`);
  }
});

test("where a command goes: --core, --server, the current context, or Kubernetes without any", () => {
  const cfg = upsertLogin(emptyConfig(), { context: "ctx", server: { server: "s:1", plainText: true }, token: "ctx-token" });
  assert.equal(connectionFrom(flags("--core"), cfg, "f", {}), undefined, "--core goes to Kubernetes even with a context");
  assert.equal(connectionFrom(flags(), emptyConfig(), "f", {}), undefined, "no context and no --server: Kubernetes, as before");
  assert.deepEqual(connectionFrom(flags(), cfg, "f", {}), { server: "s:1", authToken: "ctx-token", insecure: false, plainText: true, context: "ctx" }, "the current context");
  assert.equal(connectionFrom(flags(), cfg, "f", { ARGOCD_AUTH_TOKEN: "env-a" })?.authToken, "env-a", "ARGOCD_AUTH_TOKEN overrides the context's token");
  assert.equal(connectionFrom(flags(), cfg, "f", { ARGOCD_AUTH_TOKEN: "env-a", HAWSER_AUTH_TOKEN: "env-h" })?.authToken, "env-h", "HAWSER_AUTH_TOKEN wins over ARGOCD_AUTH_TOKEN");
  assert.equal(connectionFrom(flags("--auth-token", "flag"), cfg, "f", { HAWSER_AUTH_TOKEN: "env-h" })?.authToken, "flag", "the flag wins over the environment");
  assert.deepEqual(connectionFrom(flags("--server", "s:1"), cfg, "f", {}), { server: "s:1", authToken: "ctx-token", insecure: false, plainText: true, context: "ctx" }, "--server borrows the matching context's token and settings");
  assert.deepEqual(connectionFrom(flags("--server", "other:2", "--insecure"), cfg, "f", {}), { server: "other:2", insecure: true, plainText: false }, "--server elsewhere has no token");
  assert.equal(connectionFrom(flags("--server", "s:1", "--plaintext=false"), cfg, "f", {})?.plainText, false, "a flag overrides the config's server setting");
  const refusals: [string[], string][] = [
    [["--core", "--server", "s:1"], "--core and --server exclude each other"],
    [["--core", "--auth-token", "x"], "--auth-token needs a server"],
    [["--core", "--insecure"], "--insecure needs a server"],
  ];
  for (const [args, want] of refusals) assert.throws(() => connectionFrom(flags(...args), cfg, "f", {}), (e: unknown) => e instanceof Error && e.message.includes(want), args.join(" "));
  assert.throws(() => connectionFrom(flags("--plaintext"), emptyConfig(), "f", {}), /--plaintext needs a server: give --server or log in/, "no server: TLS flags are refused, not ignored");
  const dangling = { ...cfg, "current-context": "gone" };
  assert.throws(() => connectionFrom(flags(), dangling, "f", {}), /no context "gone"/, "a current context that does not exist is named");
});
