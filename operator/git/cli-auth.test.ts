// How argocd-ssh-known-hosts-cm and argocd-tls-certs-cm reach git and ssh: options in the
// environment (GIT_SSH_COMMAND, GIT_CONFIG_*), never in argv, and never a secret among them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { caFileFor, cliAuthEnv } from "./cli-auth.js";
import type { RepoCredentials } from "./credentials.js";
import { describeFailure, runGit } from "./exec.js";
import { IsomorphicTransport } from "./transport.js";
import type { GitTrustSnapshot } from "./trust.js";
import { GitError } from "./types.js";

let dir: string;
const base: RepoCredentials = { url: "x", source: { kind: "repository", secret: "argocd/repo" }, insecure: false, insecureIgnoreHostKey: false, forceHttpBasicAuth: false, enableLfs: false };

/** A snapshot as GitTrustFiles hands out, with fixed paths (the files' content is trust.test.ts's). */
function snapshot(knownHostsFile: string | undefined, cas: Record<string, { file: string } | { error: string }>): GitTrustSnapshot {
  return { ...(knownHostsFile !== undefined ? { knownHostsFile } : {}), caFor: (host) => cas[host.toLowerCase()] };
}

function gitConfig(env: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < Number(env.GIT_CONFIG_COUNT); i++) out.set(env[`GIT_CONFIG_KEY_${i}`]!, env[`GIT_CONFIG_VALUE_${i}`]!);
  return out;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "hawser-cli-auth-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ssh host keys", () => {
  test("with argocd-ssh-known-hosts-cm: strict checking against its file only; the key file stays off the command", async () => {
    const trust = snapshot(join(dir, "gen 1", "ssh_known_hosts"), {});
    const auth = await cliAuthEnv("git@git.example.com:org/r.git", { ...base, sshPrivateKey: "PRIVATE-KEY-DATA" }, {}, { stateDir: dir, acceptNewKnownHosts: join(dir, "tofu"), trust: () => trust });
    const cmd = auth.env.GIT_SSH_COMMAND ?? "";
    assert.match(cmd, /-o StrictHostKeyChecking=yes -o UserKnownHostsFile='[^']*\/gen 1\/ssh_known_hosts' -o GlobalKnownHostsFile=\/dev\/null/, cmd);
    assert.doesNotMatch(cmd, /accept-new|tofu/, "no trust on first use while the ConfigMap exists");
    assert.doesNotMatch(JSON.stringify(auth.env), /PRIVATE-KEY-DATA/, "the private key is only in a file");
    await auth.cleanup();
  });

  test("without the ConfigMap (or before it was read): trust on first use into the cache's own file", async () => {
    for (const trust of [snapshot(undefined, {}), undefined]) {
      const auth = await cliAuthEnv("ssh://git@git.example.com/r", undefined, {}, { stateDir: dir, acceptNewKnownHosts: join(dir, "tofu"), trust: () => trust });
      assert.match(auth.env.GIT_SSH_COMMAND ?? "", /StrictHostKeyChecking=accept-new -o UserKnownHostsFile='[^']*\/tofu'/);
    }
  });

  test("`insecure` on the repository still turns checking off, as in Argo", async () => {
    const trust = snapshot(join(dir, "ssh_known_hosts"), {});
    const auth = await cliAuthEnv("ssh://git@git.example.com/r", { ...base, insecure: true }, {}, { stateDir: dir, acceptNewKnownHosts: join(dir, "tofu"), trust: () => trust });
    assert.match(auth.env.GIT_SSH_COMMAND ?? "", /StrictHostKeyChecking=no -o UserKnownHostsFile=\/dev\/null/);
  });

  test("the snapshot is read per command, so a ConfigMap change applies to the next fetch", async () => {
    let trust: GitTrustSnapshot | undefined = snapshot(undefined, {});
    const opts = { stateDir: dir, acceptNewKnownHosts: join(dir, "tofu"), trust: () => trust };
    assert.match((await cliAuthEnv("ssh://h/r", undefined, {}, opts)).env.GIT_SSH_COMMAND ?? "", /accept-new/);
    trust = snapshot(join(dir, "new_known_hosts"), {});
    assert.match((await cliAuthEnv("ssh://h/r", undefined, {}, opts)).env.GIT_SSH_COMMAND ?? "", /StrictHostKeyChecking=yes -o UserKnownHostsFile='[^']*new_known_hosts'/);
  });
});

describe("https CAs", () => {
  // A path as GitTrustFiles writes it; the file need not exist for the environment to name it.
  const ca = "/tmp/hawser-git-trust-x/1/tls/git.example.com.pem";
  const trust = snapshot(undefined, { "git.example.com": { file: ca }, "broken.example.com": { error: "argocd-tls-certs-cm key \"broken.example.com\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)" } });

  test("the server's CA becomes http.sslCAInfo in the environment; credentials stay in askpass variables", async () => {
    const auth = await cliAuthEnv("https://GIT.example.com:8443/org/r.git", { ...base, username: "u", password: "pw-very-secret" }, {}, { stateDir: dir, acceptNewKnownHosts: join(dir, "tofu"), trust: () => trust });
    const cfg = gitConfig(auth.env);
    assert.equal(cfg.get("http.sslCAInfo"), ca, "matched by host name, port and case aside");
    assert.equal(auth.env.HAWSER_GIT_PASSWORD, "pw-very-secret");
    assert.ok(![...cfg.values()].some((v) => v.includes("pw-very-secret")), "the password is not git config");
    // git itself reads the CA setting from the environment: nothing needs to go on its command line.
    const { stdout } = await runGit(["config", "--get", "http.sslCAInfo"], { repoURL: "https://git.example.com/org/r.git", cwd: dir, env: auth.env });
    assert.equal(stdout.toString().trim(), ca);
  });

  test("other servers keep the system CAs; a server with an unusable entry is refused, naming the key", async () => {
    const other = await cliAuthEnv("https://other.example.com/r.git", undefined, {}, { stateDir: dir, acceptNewKnownHosts: join(dir, "tofu"), trust: () => trust });
    assert.equal(gitConfig(other.env).has("http.sslCAInfo"), false);
    await assert.rejects(cliAuthEnv("https://broken.example.com/r.git", undefined, {}, { stateDir: dir, acceptNewKnownHosts: join(dir, "tofu"), trust: () => trust }), (err: unknown) => {
      assert.ok(err instanceof GitError, "a GitError, which becomes the app's ComparisonError");
      assert.match(err.message, /cannot verify the TLS certificate of repository https:\/\/broken\.example\.com\/r\.git: argocd-tls-certs-cm key "broken\.example\.com" holds no PEM certificate/);
      return true;
    });
    assert.equal(caFileFor("git@git.example.com:org/r.git", trust), undefined, "scp-like ssh URLs have no CA");
    assert.equal(caFileFor("https://git.example.com/r", undefined), undefined, "nothing before the ConfigMaps were read");
  });

  test("isomorphic-git leaves servers with a custom CA to the CLI", () => {
    const iso = new IsomorphicTransport((url) => trust.caFor(new URL(url).hostname) !== undefined);
    const ctx = (repoURL: string) => ({ repoURL, gitDir: dir, creds: undefined, timeoutMs: 1000 });
    assert.equal(iso.supports(ctx("https://git.example.com/r.git")), false);
    assert.equal(iso.supports(ctx("https://broken.example.com/r.git")), false);
    assert.equal(iso.supports(ctx("https://other.example.com/r.git")), true);
  });

  test("a certificate failure says where to add the CA", () => {
    const msg = describeFailure("ls-remote", "https://git.example.com/r.git", "fatal: unable to access 'https://git.example.com/r.git/': SSL certificate problem: unable to get local issuer certificate\n", 128, null);
    assert.match(msg, /TLS certificate verification failed \(add the server's CA to argocd-tls-certs-cm, or mark the repository insecure\)/);
  });
});
