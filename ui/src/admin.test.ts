import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterRbacObject, describeGenerator, destinationKey, destinationRbacObject, editDestinations, expiryText, knownHostsItems, parseExpiresIn, repoBody, rolloutSteps, windowsNow, type RepoForm } from "./admin";

test("parseExpiresIn: seconds, units, empty for never, and a message naming the field", () => {
  assert.equal(parseExpiresIn(""), 0);
  assert.equal(parseExpiresIn("0"), 0);
  assert.equal(parseExpiresIn("90"), 90);
  assert.equal(parseExpiresIn("30m"), 1800);
  assert.equal(parseExpiresIn(" 24h "), 86400);
  assert.equal(parseExpiresIn("7d"), 604800);
  assert.throws(() => parseExpiresIn("1 week"), /^Error: Expires in: "1 week" is not a duration/);
  assert.throws(() => parseExpiresIn("-5"), /Expires in/);
});

test("knownHostsItems: one item per host, key type as subtype, key base64-encoded again; bad lines named", () => {
  const key = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
  const items = knownHostsItems(`# comment\n\ngit.example.com,10.0.0.1 ssh-ed25519 ${key}\n`);
  assert.deepEqual(items.map((i) => [i.serverName, i.certType, i.certSubType]), [["git.example.com", "ssh", "ssh-ed25519"], ["10.0.0.1", "ssh", "ssh-ed25519"]]);
  assert.equal(atob(items[0]!.certData), key, "certData is base64 of the key text");
  assert.throws(() => knownHostsItems("ok ssh-ed25519 AAAA\nbroken-line"), /line 2: expected "host key-type base64-key"/);
  assert.throws(() => knownHostsItems("# only a comment"), /no entries/);
});

const form: RepoForm = { method: "https", type: "git", name: "", project: "", url: "https://git.example.com/r.git", username: "u", password: "p", sshPrivateKey: "", insecure: false, forceHttp: false };

test("repoBody: HTTPS with credentials, SSH with a key, templates keyed by url, and refusals", () => {
  assert.deepEqual(repoBody(form, false), { repo: "https://git.example.com/r.git", type: "git", username: "u", password: "p" });
  assert.deepEqual(repoBody({ ...form, type: "helm", name: "charts", project: "team" }, false), { repo: "https://git.example.com/r.git", type: "helm", name: "charts", project: "team", username: "u", password: "p" });
  assert.deepEqual(repoBody({ ...form, url: "https://git.example.com/" }, true), { url: "https://git.example.com/", type: "git", username: "u", password: "p" });
  const ssh = repoBody({ ...form, method: "ssh", url: "git@git.example.com:org/r.git", username: "", password: "", sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----" }, false);
  assert.deepEqual(ssh, { repo: "git@git.example.com:org/r.git", type: "git", sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n" });
  assert.throws(() => repoBody({ ...form, url: " " }, false), /Repository URL is required/);
  assert.throws(() => repoBody({ ...form, url: "git@host:r.git" }, false), /not an HTTP\(S\) URL/);
  assert.throws(() => repoBody({ ...form, method: "ssh", url: "https://x/r.git" }, false), /not an SSH URL/);
  assert.throws(() => repoBody({ ...form, method: "ssh", url: "ssh://git@x/r.git" }, false), /SSH private key is required/);
  assert.throws(() => repoBody({ ...form, method: "ssh", type: "helm", url: "ssh://git@x/r.git" }, false), /git repositories only/);
  assert.throws(() => repoBody({ ...form, username: "" }, false), /Username is required/);
});

test("repoBody: OCI repositories take an oci:// reference, credentials apart, and Force HTTP", () => {
  const oci: RepoForm = { ...form, type: "oci", url: "oci://registry.example.com/team/app" };
  assert.deepEqual(repoBody(oci, false), { repo: "oci://registry.example.com/team/app", type: "oci", username: "u", password: "p" });
  assert.deepEqual(repoBody({ ...oci, username: "", password: "", insecure: true, forceHttp: true }, false), { repo: "oci://registry.example.com/team/app", type: "oci", insecure: true, insecureOCIForceHttp: true });
  assert.deepEqual(repoBody({ ...oci, url: "oci://registry.example.com/team", forceHttp: true }, true), { url: "oci://registry.example.com/team", type: "oci", username: "u", password: "p", insecureOCIForceHttp: true });
  assert.throws(() => repoBody({ ...oci, url: "https://registry.example.com/team/app" }, false), /not an OCI reference/);
  assert.throws(() => repoBody({ ...oci, url: "registry.example.com/team/app" }, false), /not an OCI reference/);
  assert.throws(() => repoBody({ ...oci, url: "oci://u:secret@registry.example.com/team/app" }, false), /credentials in Username and Password/);
  assert.throws(() => repoBody({ ...oci, method: "ssh", url: "ssh://git@x/r.git", sshPrivateKey: "k" }, false), /use HTTPS for OCI/);
  assert.throws(() => repoBody({ ...form, forceHttp: true }, false), /OCI repositories only/);
});

test("windowsNow: matches the server's active windows to the project's, allow opens and deny blocks", () => {
  const allow = { kind: "allow", schedule: "0 8 * * *", duration: "1h", applications: ["*"] };
  const deny = { kind: "deny", schedule: "0 22 * * *", duration: "8h", namespaces: ["prod"] };
  const other = { kind: "allow", schedule: "0 1 * * *", duration: "1h", clusters: ["*"] };
  // Key order differs in the server's copy: still the same window.
  const states = windowsNow([allow, deny, other], [{ duration: "1h", applications: ["*"], kind: "allow", schedule: "0 8 * * *" }, deny]);
  assert.deepEqual(states.map((s) => [s.active, s.state]), [[true, "Active: syncs allowed"], [true, "Active: syncs blocked"], [false, "Inactive"]]);
  assert.deepEqual(windowsNow(undefined, undefined), []);
  // Two identical windows, one active entry: only one is marked.
  assert.deepEqual(windowsNow([allow, allow], [allow]).map((s) => s.active), [true, false]);
});

test("rolloutSteps: apps under their 1-based step, described match expressions, unplaced apps kept", () => {
  const r = rolloutSteps(
    [{ matchExpressions: [{ key: "env", operator: "In", values: ["dev"] }] }, { matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }], maxUpdate: "50%" }],
    [{ application: "b-prod", step: "2", status: "Waiting" }, { application: "a-dev", step: "1", status: "Healthy" }, { application: "a-prod", step: "2", status: "Pending" }, { application: "x", status: "Waiting" }],
  );
  assert.deepEqual(r.steps.map((s) => [s.index, s.match, s.maxUpdate, s.apps.map((a) => a.application)]), [
    [1, "env In (dev)", undefined, ["a-dev"]],
    [2, "env In (prod)", "50%", ["a-prod", "b-prod"]],
  ]);
  assert.deepEqual(r.unplaced.map((a) => a.application), ["x"]);
});

test("describeGenerator: list, clusters, git and nested matrix", () => {
  assert.equal(describeGenerator({ list: { elements: [{}, {}] } }), "list: 2 element(s)");
  assert.equal(describeGenerator({ clusters: {} }), "clusters: every cluster");
  assert.equal(describeGenerator({ git: { repoURL: "https://g/r.git", revision: "main", directories: [{ path: "apps/*" }] } }), "git: https://g/r.git @ main, directories apps/*");
  assert.equal(describeGenerator({ matrix: { generators: [{ list: { elements: [{}] } }, { clusters: { selector: { matchLabels: { env: "x" } } } }] } }), 'matrix of [list: 1 element(s); clusters matching {"matchLabels":{"env":"x"}}]');
});

test("expiryText: never, a date, and expired", () => {
  assert.equal(expiryText(undefined), "never");
  assert.equal(expiryText(0), "never");
  assert.equal(expiryText(2_000_000_000, 1_000_000_000_000), "2033-05-18T03:33:20Z");
  assert.equal(expiryText(1_000_000, 1_000_000_000_000), "1970-01-12T13:46:40Z (expired)");
});

test("cluster and destination RBAC objects, as the server checks them", () => {
  assert.equal(clusterRbacObject({ server: "https://kubernetes.default.svc" }), "https://kubernetes.default.svc");
  assert.equal(clusterRbacObject({ server: "https://c.example", project: "team" }), "team/https://c.example", "a project-scoped cluster");
  assert.equal(destinationRbacObject({ server: "https://c.example", namespace: "x" }), "https://c.example");
  assert.equal(destinationRbacObject({ name: "prod", namespace: "x" }), "prod", "by name when the destination names its cluster");
});

test("editDestinations: add with checks naming the field, remove by key", () => {
  const current = [{ server: "https://kubernetes.default.svc", namespace: "dev" }];
  assert.deepEqual(editDestinations(current, { add: { server: " https://c.example ", name: "", namespace: "*" } }).destinations, [...current, { server: "https://c.example", namespace: "*" }]);
  assert.deepEqual(editDestinations(current, { add: { server: "", name: "prod", namespace: "web" } }).destinations, [...current, { name: "prod", namespace: "web" }]);
  assert.equal(editDestinations(current, { add: { server: "", name: "", namespace: "x" } }).error, "Server: give the cluster's server URL or its name");
  assert.equal(editDestinations(current, { add: { server: "https://a", name: "a", namespace: "x" } }).error, "Server: give the server URL or the cluster name, not both");
  assert.equal(editDestinations(current, { add: { server: "https://a", name: "", namespace: " " } }).error, "Namespace: give a namespace (* for all)");
  assert.equal(editDestinations(current, { add: { server: "https://kubernetes.default.svc", name: "", namespace: "dev" } }).error, "This destination is already listed");
  assert.deepEqual(editDestinations(current, { remove: destinationKey(current[0]!) }).destinations, []);
});
