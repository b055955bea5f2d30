// The API server's authentication against a real control plane: the first-start bootstrap raced by
// two "replicas", login with the initial admin password, lock-out, password change, API keys,
// project role tokens and logout, all read back through the informer-backed ServerState as the
// server reads them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { API_VERSION, KINDS } from "../../operator/api/index.js";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { installCrds } from "../../operator/kube/crd-install.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { memoryLogger } from "../../operator/runtime/logger.js";
import { deleteAccountToken, generateAccountToken, updatePassword } from "../../operator/server/auth/account-admin.js";
import { TokenAuthenticator } from "../../operator/server/auth/authenticator.js";
import { bootstrapSecrets } from "../../operator/server/auth/bootstrap.js";
import { createProjectToken, deleteProjectToken } from "../../operator/server/auth/project-tokens.js";
import { LoginRateLimiter, REVOKED_TOKENS_SECRET, RevokedTokens, SessionManager } from "../../operator/server/auth/session.js";
import { ApiError } from "../../operator/server/http/errors.js";
import { InformerServerState } from "../../operator/server/state.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";

type SecretObject = KubeObject & { data?: Record<string, string> };
const decode = (v: string | undefined): string => Buffer.from(v ?? "", "base64").toString("utf8");

test("server auth on a real control plane: bootstrap, login, lock-out, password change, API keys, project tokens, logout", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  const otherReplica = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => { client.close(); otherReplica.close(); });
  await installCrds(client);
  const ns = `server-auth-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined); });
  await client.create({
    apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns },
    data: { "accounts.alice": "login", "accounts.robot": "apiKey" },
  });

  // --- Bootstrap: two replicas start at once; exactly one generates each secret.
  const results = await Promise.all([bootstrapSecrets(client, ns), bootstrapSecrets(otherReplica, ns)]);
  assert.equal(results.filter((r) => r.createdSecretKey).length, 1, "exactly one replica generated server.secretkey");
  assert.equal(results.filter((r) => r.createdAdminPassword).length, 1, "exactly one replica generated the admin password");
  const argocdSecret = await client.get<SecretObject>("v1", "Secret", "argocd-secret", ns);
  const secretKey = decode(argocdSecret?.data?.["server.secretkey"]);
  assert.equal(Buffer.from(secretKey, "base64").length, 32, "server.secretkey is base64 of 32 bytes");
  const initial = await client.get<SecretObject>("v1", "Secret", "argocd-initial-admin-secret", ns);
  const initialPassword = decode(initial?.data?.password);
  assert.match(initialPassword, /^[0-9A-Za-z-]{16}$/, "initial password: 16 characters of [0-9A-Za-z-]");
  const adminHash = decode(argocdSecret?.data?.["admin.password"]);
  assert.ok(bcrypt.getRounds(adminHash) >= 10, "bcrypt cost ≥ 10");
  assert.ok(await bcrypt.compare(initialPassword, adminHash), "the initial admin secret holds the password whose hash landed");
  const again = await bootstrapSecrets(client, ns);
  assert.deepEqual(again, { createdSecretKey: false, createdAdminPassword: false }, "a later start changes nothing");
  const after = await client.get<SecretObject>("v1", "Secret", "argocd-secret", ns);
  assert.deepEqual(after?.data, argocdSecret?.data, "argocd-secret unchanged by the later start");

  // --- The server's view: informers over the control namespace.
  const { logger, lines } = memoryLogger();
  const state = new InformerServerState(client, ns, logger);
  await state.start();
  t.after(() => state.stop());
  await eventually(() => assert.ok(state.secret("argocd-secret")?.["server.secretkey"], "the cache has the key"), { timeoutMs: 20_000 });

  const revocations = new RevokedTokens(client, ns, state);
  const limiter = new LoginRateLimiter({ maxFailCount: 3, sourceMaxFailCount: 12, windowSeconds: 300, maxCacheSize: 100, maxConcurrentLogins: 10 });
  // The 500–1000 ms padding is unit-tested; here it would only slow the test down.
  const sessions = new SessionManager({ state, revocations, limiter, maxConcurrentLogins: 10, log: logger, sleep: () => Promise.resolve() });
  const auth = new TokenAuthenticator({ state, sessions, revocations, log: logger });
  const bearer = (token: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${token}` } });
  const errors: string[] = [];
  const refused = async (p: Promise<unknown>, status: number, message: RegExp, what: string): Promise<void> => {
    await assert.rejects(p, (e: unknown) => {
      if (e instanceof Error) errors.push(e.message);
      return e instanceof ApiError && e.httpStatus === status && message.test(e.message);
    }, what);
  };

  // --- Login with the initial password.
  const adminLogin = await sessions.login("admin", initialPassword, "127.0.0.1");
  const who = await auth.authenticate(bearer(adminLogin.token));
  assert.equal(who.claims?.sub, "admin", "the login token authenticates as admin");
  await refused(sessions.login("admin", "not-the-password", "127.0.0.1"), 401, /^Invalid username or password$/, "a wrong password is refused");

  // --- Admin sets alice's password (proving itself with its own), alice is locked out after 3 failures.
  await updatePassword({ client, namespace: ns, state, limiter }, who.claims, "alice", initialPassword, "alice-password-1");
  await eventually(() => assert.ok(state.secret("argocd-secret")?.["accounts.alice.password"], "alice's hash is cached"), { timeoutMs: 20_000 });
  assert.equal((await auth.authenticate(bearer((await sessions.login("alice", "alice-password-1")).token))).claims?.sub, "alice", "alice logs in");
  for (let i = 0; i < 3; i++) await refused(sessions.login("alice", `guess-${i}`), 401, /^Invalid username or password$/, `guess ${i} refused`);
  await refused(sessions.login("alice", "alice-password-1"), 401, /^Invalid username or password$/, "locked out even with the right password");
  await refused(updatePassword({ client, namespace: ns, state, limiter }, who.claims, undefined, initialPassword, "short"), 400,
    /^New password does not match the following expression: \^\.\{8,32\}\$\.$/, "passwordPattern enforced");
  await refused(updatePassword({ client, namespace: ns, state, limiter }, who.claims, undefined, "wrong-current", "admin-password-2"), 400,
    /^current password does not match$/, "the current password is checked");

  // --- Admin changes its own password: tokens issued before are refused from then on. The change
  // is made in a later second than the token's iat, since both have second precision (as in Argo).
  await new Promise((r) => setTimeout(r, 1_100));
  await updatePassword({ client, namespace: ns, state, limiter }, who.claims, undefined, initialPassword, "admin-password-2");
  await eventually(() => refused(auth.authenticate(bearer(adminLogin.token)), 401, /^invalid session: account password has changed since token issued$/,
    "old token refused after the password change"), { timeoutMs: 20_000 });
  await refused(sessions.login("admin", initialPassword), 401, /^Invalid username or password$/, "the old password no longer works");
  const admin2 = await sessions.login("admin", "admin-password-2");
  assert.equal((await auth.authenticate(bearer(admin2.token))).claims?.sub, "admin", "a token from the new password works");

  // --- An API key works until its id is removed.
  const apiKey = await generateAccountToken({ client, namespace: ns, state }, "robot", { id: "ci-key", expiresIn: 3600 });
  await eventually(async () => assert.equal((await auth.authenticate(bearer(apiKey.token))).claims?.sub, "robot", "API key accepted"), { timeoutMs: 20_000 });
  await refused(generateAccountToken({ client, namespace: ns, state }, "robot", { id: "ci-key" }), 400, /^account already has token with id 'ci-key'$/, "ids are unique");
  await refused(generateAccountToken({ client, namespace: ns, state }, "alice"), 400, /^account 'alice' does not have apiKey capability$/, "apiKey capability needed");
  await refused(deleteAccountToken({ client, namespace: ns, state }, "robot", "nope"), 404, /^account 'robot' does not have token with id nope$/, "unknown id 404");
  await deleteAccountToken({ client, namespace: ns, state }, "robot", "ci-key");
  await eventually(() => refused(auth.authenticate(bearer(apiKey.token)), 401, /^invalid session: account robot does not have token with id ci-key$/,
    "removed API key refused"), { timeoutMs: 20_000 });

  // --- A project role token works until its entry is deleted.
  await client.create({
    apiVersion: API_VERSION, kind: KINDS.appProject, metadata: { name: "team", namespace: ns },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], roles: [{ name: "deployer", policies: [] }] },
  });
  await eventually(() => assert.ok(state.project("team"), "project cached"), { timeoutMs: 20_000 });
  const projToken = await createProjectToken({ client, namespace: ns, state }, "team", "deployer", { id: "deploy-1" });
  await eventually(async () => assert.equal((await auth.authenticate(bearer(projToken.token))).claims?.sub, "proj:team:deployer", "project token accepted"), { timeoutMs: 20_000 });
  const stored = await client.get<KubeObject & { spec: { roles: Array<{ jwtTokens?: Array<{ id?: string }> }> }; status?: { jwtTokensByRole?: Record<string, { items?: Array<{ id?: string }> }> } }>(
    API_VERSION, KINDS.appProject, "team", ns);
  assert.deepEqual(stored?.status?.jwtTokensByRole?.deployer?.items?.map((i) => i.id), ["deploy-1"], "recorded in status");
  assert.deepEqual(stored?.spec.roles[0]?.jwtTokens?.map((i) => i.id), ["deploy-1"], "mirrored in spec");
  await refused(createProjectToken({ client, namespace: ns, state }, "team", "deployer", { id: "deploy-1" }), 400, /^Token id 'deploy-1' has been used\.$/, "used id refused");
  await refused(createProjectToken({ client, namespace: ns, state }, "team", "admin"), 404, /^project 'team' does not have role 'admin'$/, "missing role 404");
  await deleteProjectToken({ client, namespace: ns, state }, "team", "deployer", 0, "deploy-1");
  await eventually(() => refused(auth.authenticate(bearer(projToken.token)), 401, /^invalid session: JWT token for role 'deployer' issued at '\d+' does not exist in project 'team'$/,
    "deleted project token refused"), { timeoutMs: 20_000 });

  // --- Logout revokes the token on this replica at once and, through the Secret, on another.
  const loggedOut = await auth.authenticate(bearer(admin2.token));
  await sessions.logout(loggedOut.claims);
  await refused(auth.authenticate(bearer(admin2.token)), 401, /^invalid session: token is revoked, please re-login$/, "revoked on this replica");
  const otherSessions = new SessionManager({ state, revocations: new RevokedTokens(otherReplica, ns, state), limiter, maxConcurrentLogins: 10 });
  const otherAuth = new TokenAuthenticator({ state, sessions: otherSessions, revocations: new RevokedTokens(otherReplica, ns, state) });
  await eventually(() => refused(otherAuth.authenticate(bearer(admin2.token)), 401, /revoked/, "revoked on another replica"), { timeoutMs: 20_000 });
  const revokedSecret = await client.get<SecretObject>("v1", "Secret", REVOKED_TOKENS_SECRET, ns);
  assert.equal(Object.keys(revokedSecret?.data ?? {}).length, 1, "one revoked id recorded");
  assert.ok(!Object.keys(revokedSecret?.data ?? {}).includes(String(loggedOut.claims?.jti)), "ids are stored hashed");

  // --- No secret value in any error the callers saw.
  const secrets = [initialPassword, "alice-password-1", "admin-password-2", secretKey, adminLogin.token, admin2.token, apiKey.token, projToken.token, adminHash];
  assert.ok(errors.length >= 15, `collected ${errors.length} error messages`);
  for (const message of errors) for (const s of secrets) assert.ok(!message.includes(s), `error "${message}" holds no secret value`);
  const logged = JSON.stringify(lines);
  assert.ok(logged.includes("login failed"), "failed logins were logged");
  for (const s of secrets) assert.ok(!logged.includes(s), "no secret value in the log");
});
