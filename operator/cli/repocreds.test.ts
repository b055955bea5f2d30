import assert from "node:assert/strict";
import { test } from "node:test";
import { FlagError } from "../flags.js";
import { parseServerFlags } from "./api/command.js";
import { credsSecretName, credsTable, credsView } from "./repocreds.js";
import { repoRequest, repoSecret, type RepoInputs } from "./repo/manage.js";

const addFlags = (...args: string[]) => parseServerFlags(args, {
  values: ["username", "password", "ssh-private-key-path", "github-app-id", "github-app-installation-id", "github-app-private-key-path", "github-app-enterprise-base-url", "tls-client-cert-path", "tls-client-cert-key-path", "type", "project", "proxy", "no-proxy"],
  booleans: ["password-stdin", "enable-oci", "force-http-basic-auth", "upsert"],
});

const io = (files: Record<string, string> = {}): RepoInputs => ({
  readFile: async (p) => {
    if (!(p in files)) throw new FlagError(`cannot read ${p}`);
    return files[p]!;
  },
  password: async () => "from-stdin",
});

test("repocreds add: a URL prefix with username and password (asked for, not from argv), type, OCI and project", async () => {
  const req = await repoRequest(addFlags("https://charts.example/team", "--username", "bob", "--password-stdin", "--type", "helm", "--enable-oci", "--project", "p1"), io(), "repo-creds");
  assert.deepEqual(req, { repo: "https://charts.example/team", type: "helm", username: "bob", password: "from-stdin", enableOCI: true, project: "p1" }, "a helm template needs no --name");
});

test("repocreds add: ssh key and TLS client certificate come from the files the flags name", async () => {
  const ssh = await repoRequest(addFlags("git@git.example:org", "--ssh-private-key-path", "/k"), io({ "/k": "KEY" }), "repo-creds");
  assert.deepEqual(ssh, { repo: "git@git.example:org", type: "git", sshPrivateKey: "KEY" }, "the key file's content");
  const tls = await repoRequest(addFlags("https://git.example/org", "--tls-client-cert-path", "/c", "--tls-client-cert-key-path", "/ck"), io({ "/c": "CERT", "/ck": "CKEY" }), "repo-creds");
  assert.deepEqual(tls, { repo: "https://git.example/org", type: "git", tlsClientCertData: "CERT", tlsClientCertKey: "CKEY" }, "both files' content");
});

test("repocreds add refuses bad input, naming the flag", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["https://g/org", "--type", "oci", "--username", "u"], /--type must be git or helm/],
    [["https://g/org"], /need --username, --ssh-private-key-path, --tls-client-cert-path or --github-app-\*/],
    [["https://g/org", "--ssh-private-key-path", "/k"], /only for SSH repository URLs/],
    [["https://g/org", "--tls-client-cert-path", "/c"], /go together/],
    [["https://g/org", "--password-stdin"], /--password needs --username/],
    [[], /exactly one URL prefix/],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(repoRequest(addFlags(...args), io({ "/k": "KEY", "/c": "C" }), "repo-creds"), (err: unknown) => err instanceof FlagError && message.test(err.message), `repocreds add ${args.join(" ")} is refused with ${String(message)}`);
  }
});

test("--core writes Argo's repo-creds Secret, named as the server names it", async () => {
  const req = await repoRequest(addFlags("https://g/org", "--username", "bob", "--password-stdin"), io(), "repo-creds");
  const secret = repoSecret(req, "argocd", credsSecretName(req.repo), "repo-creds");
  assert.deepEqual(secret, {
    apiVersion: "v1", kind: "Secret", type: "Opaque",
    metadata: { name: credsSecretName("https://g/org"), namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repo-creds" } },
    stringData: { url: "https://g/org", type: "git", username: "bob", password: "from-stdin" },
  }, "the Secret as argocd writes it");
  assert.match(credsSecretName("https://g/org"), /^creds-[0-9a-f]{10}$/, "creds-<hash>, as the API server names it");
});

test("repocreds list shows only public fields; a Secret's password never reaches the view or the table", () => {
  const view = credsView({ url: "https://g/org", username: "bob", password: "s3cret", sshPrivateKey: "KEY", project: "p1", enableOCI: "true" });
  assert.deepEqual(view, { url: "https://g/org", username: "bob", project: "p1", enableOCI: true, type: "git" }, "url, username, project, OCI and the default type");
  const text = credsTable([view, { url: "git@g:org", type: "git" }]);
  assert.equal(text.split("\n")[0]?.replace(/\s+/g, " ").trim(), "URL PATTERN TYPE USERNAME PROJECT", "argocd-like header");
  assert.match(text, /git@g:org\s+git\s+-/, "no username shows as -");
  assert.ok(!/s3cret|KEY/.test(text) && !/s3cret|KEY/.test(JSON.stringify(view)), "no credential in the view or the table");
});
