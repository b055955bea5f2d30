import assert from "node:assert/strict";
import { test } from "node:test";
import { FlagError } from "../../flags.js";
import { parseServerFlags } from "../api/command.js";
import { isSshUrl, repoRequest, repoSecret, repoTable, repoView, type RepoInputs } from "./manage.js";

const flags = (...args: string[]) => parseServerFlags(args, {
  values: ["username", "password", "ssh-private-key-path", "github-app-id", "github-app-installation-id", "github-app-private-key-path", "github-app-enterprise-base-url", "tls-client-cert-path", "tls-client-cert-key-path", "type", "name", "project", "proxy", "no-proxy"],
  booleans: ["password-stdin", "insecure-skip-server-verification", "insecure-ignore-host-key", "enable-lfs", "enable-oci", "force-http-basic-auth", "upsert"],
});

/** Files by path; the password source records whether it was asked. */
function inputs(files: Record<string, string> = {}, password = "typed-pass"): RepoInputs & { asked: number } {
  const io = {
    asked: 0,
    readFile: async (p: string) => {
      if (!(p in files)) throw new FlagError(`cannot read ${p}`);
      return files[p]!;
    },
    password: async () => { io.asked++; return password; },
  };
  return io;
}

test("repo add: URL, type and the boolean flags as Argo's Repository fields", async () => {
  const req = await repoRequest(flags("https://git.example/a.git", "--name", "a", "--project", "team", "--insecure-skip-server-verification", "--enable-lfs", "--enable-oci", "--force-http-basic-auth", "--proxy", "http://proxy:3128", "--no-proxy", "internal"), inputs());
  assert.deepEqual(req, { repo: "https://git.example/a.git", type: "git", name: "a", project: "team", proxy: "http://proxy:3128", noProxy: "internal", insecure: true, enableLfs: true, enableOCI: true, forceHttpBasicAuth: true }, "every flag mapped");
});

test("repo add: --username without --password asks the password source; --password is taken as given", async () => {
  const io = inputs();
  assert.deepEqual(await repoRequest(flags("https://g/a", "--username", "alice"), io), { repo: "https://g/a", type: "git", username: "alice", password: "typed-pass" }, "prompted or stdin");
  assert.equal(io.asked, 1, "asked once");
  const given = inputs();
  assert.equal((await repoRequest(flags("https://g/a", "--username", "alice", "--password", "argv-pass"), given)).password, "argv-pass", "from argv");
  assert.equal(given.asked, 0, "not asked when given");
  await assert.rejects(repoRequest(flags("https://g/a", "--username", "alice"), inputs({}, "")), /the password for --username alice is empty/, "an empty password is refused");
});

test("repo add: ssh key, client certificate and GitHub App credentials come from files", async () => {
  const files = { "/k": "SSH KEY", "/c": "CERT", "/ck": "CERT KEY", "/app": "APP KEY" };
  assert.equal((await repoRequest(flags("git@github.com:o/r.git", "--ssh-private-key-path", "/k"), inputs(files))).sshPrivateKey, "SSH KEY", "ssh key read");
  const tls = await repoRequest(flags("https://g/a", "--tls-client-cert-path", "/c", "--tls-client-cert-key-path", "/ck"), inputs(files));
  assert.deepEqual([tls.tlsClientCertData, tls.tlsClientCertKey], ["CERT", "CERT KEY"], "certificate and key read");
  const app = await repoRequest(flags("https://github.com/o/r", "--github-app-id", "12", "--github-app-installation-id", "34", "--github-app-private-key-path", "/app", "--github-app-enterprise-base-url", "https://ghe/api/v3"), inputs(files));
  assert.deepEqual([app.githubAppID, app.githubAppInstallationID, app.githubAppPrivateKey, app.githubAppEnterpriseBaseUrl], [12, 34, "APP KEY", "https://ghe/api/v3"], "IDs are numbers, as Argo sends them");
});

test("repo add refuses bad combinations, naming the flag", async () => {
  const refuses = async (args: string[], re: RegExp): Promise<void> => assert.rejects(repoRequest(flags(...args), inputs({ "/k": "K", "/app": "A" })), (e: unknown) => e instanceof FlagError && re.test(e.message), `${args.join(" ")} → ${re}`);
  await refuses([], /exactly one repository URL/);
  await refuses(["https://g/a", "--type", "svn"], /--type must be git, helm or oci; got "svn"/);
  await refuses(["https://charts.example", "--type", "helm"], /--name is required for repositories of --type helm/);
  await refuses(["https://g/a", "--password", "p"], /--password needs --username/);
  await refuses(["https://g/a", "--username", "u", "--password", "p", "--password-stdin"], /exclude each other/);
  await refuses(["https://g/a", "--ssh-private-key-path", "/k"], /only for SSH repository URLs/);
  await refuses(["https://g/a", "--tls-client-cert-path", "/k"], /go together/);
  await refuses(["https://g/a", "--github-app-id", "1"], /need all of --github-app-id/);
  await refuses(["https://g/a", "--github-app-id", "x", "--github-app-installation-id", "2", "--github-app-private-key-path", "/app"], /--github-app-id must be a number/);
  await refuses(["git@g:o/r", "--github-app-id", "1", "--github-app-installation-id", "2", "--github-app-private-key-path", "/app"], /for https repository URLs/);
  await refuses(["ssh://git@g/o/r", "--username", "u", "--password", "p", "--ssh-private-key-path", "/k"], /one kind of credentials/);
  await refuses(["git@g:o/r", "--ssh-private-key-path", "/missing"], /cannot read \/missing/);
});

test("isSshUrl as Argo's", () => {
  for (const u of ["git@github.com:o/r.git", "ssh://git@host/r", "user@host.example:path"]) assert.equal(isSshUrl(u), true, u);
  for (const u of ["https://github.com/o/r", "http://h/r", "file:///x"]) assert.equal(isSshUrl(u), false, u);
});

test("the --core Secret holds the credentials; what is shown of it never does", () => {
  const secret = repoSecret({ repo: "https://g/a", type: "git", username: "alice", password: "pw-123456", enableLfs: true, insecure: false, githubAppID: 12 }, "argocd");
  assert.match(secret.metadata.name ?? "", /^repo-[0-9a-f]{10}$/, "the server's naming");
  assert.deepEqual(secret.metadata.labels, { "argocd.argoproj.io/secret-type": "repository" }, "Argo's label");
  assert.deepEqual(secret.stringData, { url: "https://g/a", type: "git", username: "alice", password: "pw-123456", enableLfs: "true", githubAppID: "12" }, "url plus every set field as a string; false dropped");
  const view = repoView(secret.stringData);
  assert.deepEqual(view, { repo: "https://g/a", type: "git", username: "alice", enableLfs: true, githubAppID: "12" }, "public fields only");
  assert.ok(!JSON.stringify(view).includes("pw-123456") && !repoTable([view]).includes("pw-123456"), "the password is neither in the view nor in the table");
  assert.match(repoTable([view]), /^git\s+https:\/\/g\/a\s+false\s+false\s+true\s+true\s*$/m, "CREDS true, LFS true");
});
