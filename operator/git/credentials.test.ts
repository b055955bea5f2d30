import { test } from "node:test";
import assert from "node:assert/strict";
import { redact } from "../runtime/redact.js";
import { credentialProviderFromSecrets, credentialsFromSecret, findCredentials, findRepoSecret, notRegisteredMessage, registrationToDelete, SecretCredentialStore, type SecretLike } from "./credentials.js";

const b64 = (s: string): string => Buffer.from(s).toString("base64");

function secret(name: string, type: string, data: Record<string, string>, useStringData = false): SecretLike {
  return {
    metadata: { name, namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": type } },
    ...(useStringData ? { stringData: data } : { data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) }),
  };
}

const secrets: SecretLike[] = [
  secret("org-creds", "repo-creds", { url: "https://git.example.com/org", username: "org-bot", password: "org-password-1" }),
  secret("team-creds", "repo-creds", { url: "https://git.example.com/org/team", username: "team-bot", password: "team-password-2" }),
  secret("ssh-creds", "repo-creds", { url: "git@git.example.com:org", sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----" }),
  secret("app-repo", "repository", { url: "https://git.example.com/org/app.git", username: "app-bot", password: "app-password-3", insecure: "true" }),
  secret("bare-repo", "repository", { url: "https://git.example.com/org/team/bare", proxy: "http://proxy:3128" }, true),
  secret("proj-repo", "repository", { url: "https://git.example.com/org/scoped", username: "p", password: "project-pass-4", project: "team-a" }),
  { metadata: { name: "other", namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "cluster" } }, data: { url: b64("https://git.example.com/org/app") } },
  { metadata: { name: "nolabel", namespace: "argocd" }, data: { url: b64("https://git.example.com/org/app") } },
];

test("repository Secret matches exactly after normalisation (case, .git, trailing slash)", () => {
  for (const url of ["https://git.example.com/org/app", "https://GIT.example.com/org/app.git", "https://git.example.com/org/app/"]) {
    const c = findCredentials(url, secrets);
    assert.equal(c?.username, "app-bot", url);
    assert.equal(c?.source.kind, "repository");
    assert.equal(c?.insecure, true);
  }
});

test("repo-creds: longest normalised prefix wins", () => {
  assert.equal(findCredentials("https://git.example.com/org/other.git", secrets)?.username, "org-bot");
  assert.equal(findCredentials("https://git.example.com/org/team/svc", secrets)?.username, "team-bot");
  assert.equal(findCredentials("https://elsewhere.example.com/org/x", secrets), undefined);
  assert.ok(findCredentials("git@git.example.com:org/x.git", secrets)?.sshPrivateKey?.includes("OPENSSH"));
});

test("a repository Secret without credentials inherits them from the matching repo-creds", () => {
  const c = findCredentials("https://git.example.com/org/team/bare", secrets);
  assert.equal(c?.source.secret, "argocd/bare-repo");
  assert.equal(c?.username, "team-bot");
  assert.equal(c?.password, "team-password-2");
  assert.equal(c?.proxy, "http://proxy:3128");
});

test("project-scoped Secrets match only their project", () => {
  assert.equal(findCredentials("https://git.example.com/org/scoped", secrets)?.username, "org-bot");
  assert.equal(findCredentials("https://git.example.com/org/scoped", secrets, { project: "team-a" })?.username, "p");
});

test("a store's project view: its own scoped Secret first, unscoped ones after; another project's never", () => {
  const store = new SecretCredentialStore(secrets);
  assert.equal(store.credentialsFor("https://git.example.com/org/scoped")?.username, "org-bot", "no project: the scoped Secret is not used");
  assert.equal(store.forProject("team-a").credentialsFor("https://git.example.com/org/scoped")?.username, "p");
  assert.equal(store.forProject("team-b").credentialsFor("https://git.example.com/org/scoped")?.username, "org-bot", "team-b gets the unscoped template, not team-a's Secret");
  assert.equal(store.forProject("team-b").credentialsFor("https://git.example.com/org/team/bare")?.username, "team-bot", "unscoped Secrets serve every project");
  assert.equal(store.hasProject("team-a"), true);
  assert.equal(store.hasProject("team-b"), false);
  // The view follows the store: the scoped Secret removed, team-a falls back to the unscoped one.
  const view = store.forProject("team-a");
  store.remove({ metadata: { name: "proj-repo", namespace: "argocd" } });
  assert.equal(view.credentialsFor("https://git.example.com/org/scoped")?.username, "org-bot");
  assert.equal(store.hasProject("team-a"), false);
});

test("credentialsFromSecret parses Argo's fields and ignores non-repository Secrets", () => {
  const c = credentialsFromSecret(
    secret("full", "repository", {
      url: "https://h/r",
      type: "git",
      name: "r",
      bearerToken: "tok-123456",
      tlsClientCertData: "CERT",
      tlsClientCertKey: "KEY-abcdef",
      insecure: "false",
      forceHttpBasicAuth: "true",
      enableLfs: "true",
      depth: "5",
      noProxy: "localhost",
    }),
  );
  assert.ok(c);
  assert.equal(c.bearerToken, "tok-123456");
  assert.equal(c.tlsClientCertData, "CERT");
  assert.equal(c.insecure, false);
  assert.equal(c.forceHttpBasicAuth, true);
  assert.equal(c.enableLfs, true);
  assert.equal(c.depth, 5);
  assert.equal(c.noProxy, "localhost");
  assert.equal(credentialsFromSecret(secrets[6]!), undefined);
  assert.equal(credentialsFromSecret(secrets[7]!), undefined);
});

test("parsed secret values are registered with the redactor", () => {
  credentialProviderFromSecrets(secrets);
  assert.equal(redact("git said: app-password-3 rejected"), "git said: [REDACTED] rejected");
  assert.equal(redact("team-password-2"), "[REDACTED]");
});

test("SecretCredentialStore follows upserts and removals", () => {
  const store = new SecretCredentialStore();
  assert.equal(store.credentialsFor("https://git.example.com/org/app"), undefined);
  store.upsert(secrets[0]!);
  assert.equal(store.credentialsFor("https://git.example.com/org/app")?.username, "org-bot");
  store.upsert(secrets[3]!);
  assert.equal(store.credentialsFor("https://git.example.com/org/app")?.username, "app-bot");
  store.remove(secrets[3]!);
  assert.equal(store.credentialsFor("https://git.example.com/org/app")?.username, "org-bot");
  // A Secret relabelled away from repository types disappears on update.
  store.upsert({ ...secrets[0]!, metadata: { ...secrets[0]!.metadata, labels: {} } });
  assert.equal(store.credentialsFor("https://git.example.com/org/app"), undefined);
});

test("a delete finds exactly the registration it names, never a project's by fallback, and says where the URL is", () => {
  const reg = (project?: string) => ({ data: { url: "https://git.example/org/", ...(project ? { project } : {}) } });
  const scopedOnly = [reg("team-b"), reg("team-a"), { data: { url: "https://other.example" } }];
  // No project named, and only projects register the URL: nothing, not the one project's.
  assert.deepEqual(registrationToDelete([reg("team-a")], "https://git.example/org", ""), { elsewhere: ["team-a"] });
  assert.deepEqual(registrationToDelete(scopedOnly, "https://git.example/org", ""), { elsewhere: ["team-a", "team-b"] });
  // A project named that has none: not the unscoped one either.
  assert.deepEqual(registrationToDelete([reg()], "https://git.example/org", "team-c"), { elsewhere: [""] });
  assert.equal(registrationToDelete([reg(), reg("team-a")], " https://git.example/org// ", "team-a").found?.data.project, "team-a");
  assert.equal(registrationToDelete([reg("team-a"), reg()], "https://git.example/org", "").found?.data.project, undefined, "the unscoped one");
  assert.deepEqual(registrationToDelete(scopedOnly, "https://nowhere.example", ""), { elsewhere: [] });

  const how = (p: string) => `--project ${p}`;
  assert.equal(notRegisteredMessage("repo", "u", "", [], how), "repo 'u' not found unscoped");
  assert.equal(notRegisteredMessage("repository credentials", "u", "", ["team-a", "team-b"], how),
    "repository credentials 'u' not found unscoped; it is registered in projects team-a, team-b (name one with --project team-a)");
  assert.equal(notRegisteredMessage("repo", "u", "team-c", ["", "team-a"], how),
    "repo 'u' not found in project team-c; it is registered in project team-a (name one with --project team-a); it is registered unscoped (name no project)");
});

test("findRepoSecret: a project's own registration, else the unscoped one; another project's never", () => {
  const url = "https://g/a";
  const s = (project?: string) => ({ name: project ?? "unscoped", data: { url, ...(project ? { project } : {}) } });
  const all = [s("team-a"), s(), s("team-b")];
  assert.equal(findRepoSecret(all, url, "team-a", false)?.name, "team-a");
  assert.equal(findRepoSecret(all, `${url}/`, "team-b", true)?.name, "team-b");
  assert.equal(findRepoSecret(all, url, "team-c", false), undefined, "add: another project's or the unscoped one is not this one");
  assert.equal(findRepoSecret(all, url, "team-c", true)?.name, "unscoped", "get/rm: the unscoped one serves a project without its own");
  assert.equal(findRepoSecret(all, url, "", true)?.name, "unscoped");
  assert.equal(findRepoSecret([s("team-a")], url, "", true)?.name, "team-a", "the only registration, named without a project");
  assert.equal(findRepoSecret([s("team-a"), s("team-b")], url, "", true), undefined, "several projects' and no unscoped one: name one");
  assert.equal(findRepoSecret([s("team-a")], url, "team-b", true), undefined, "team-b never finds team-a's");
});
