import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { GitTrustFiles, parseKnownHosts, parseTlsCerts } from "./trust.js";

const run = promisify(execFile);
const ED25519 = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const ECDSA = "[git.example.com]:2222,10.0.0.1 ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=";

let dir: string;
let caPem: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "hawser-trust-test-"));
  await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.crt"), "-days", "2", "-subj", "/CN=trust-test-ca"]);
  caPem = await readFile(join(dir, "ca.crt"), "utf8");
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("parseKnownHosts", () => {
  test("keeps valid lines (markers, bracketed ports, comments skipped) and names each bad line", () => {
    const kh = parseKnownHosts({
      ssh_known_hosts: [
        "# GitHub",
        ED25519,
        "",
        `@cert-authority *.example.com ${ECDSA.split(" ").slice(1).join(" ")}`,
        ECDSA,
        "bitbucket.org ssh-rsa",
        "gitlab.com ssh-ed25519 not*base64",
        "@trusted host ssh-ed25519 AAAA",
        "host rsa-foo AAAA",
      ].join("\n"),
    });
    assert.equal(kh.entries, 3);
    assert.equal(kh.content, `${ED25519}\n@cert-authority *.example.com ${ECDSA.split(" ").slice(1).join(" ")}\n${ECDSA}\n`);
    assert.deepEqual(kh.errors, [
      "argocd-ssh-known-hosts-cm ssh_known_hosts line 6 ignored: expected host patterns, a key type and a base64 key",
      "argocd-ssh-known-hosts-cm ssh_known_hosts line 7 ignored: the key is not base64",
      "argocd-ssh-known-hosts-cm ssh_known_hosts line 8 ignored: unknown marker @trusted",
      "argocd-ssh-known-hosts-cm ssh_known_hosts line 9 ignored: unknown key type \"rsa-foo\"",
    ]);
  });

  test("a ConfigMap without the key, or with no valid line, trusts no host", () => {
    assert.deepEqual(parseKnownHosts({}), { content: "", entries: 0, errors: [] });
    assert.deepEqual(parseKnownHosts({ ssh_known_hosts: "# none yet\n" }), { content: "", entries: 0, errors: [] });
  });
});

describe("parseTlsCerts", () => {
  test("one bundle per server name (lower-cased); bad names and bad PEM are errors naming the key", () => {
    const certs = parseTlsCerts({
      "Git.Example.com": caPem,
      "127.0.0.1": `${caPem}\n${caPem}`,
      "https://bad.example.com": caPem,
      "empty.example.com": "not a certificate",
      "broken.example.com": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    });
    assert.deepEqual([...certs.keys()].sort(), ["127.0.0.1", "broken.example.com", "empty.example.com", "git.example.com", "https://bad.example.com"]);
    const good = certs.get("git.example.com");
    assert.ok(good && "pem" in good, "git.example.com has a bundle");
    assert.equal(good.pem, `${caPem.trim()}\n`);
    const two = certs.get("127.0.0.1");
    assert.ok(two && "pem" in two, "127.0.0.1 has a bundle");
    assert.equal(two.pem.match(/BEGIN CERTIFICATE/g)?.length, 2, "both certificates of a bundle are kept");
    assert.deepEqual(certs.get("https://bad.example.com"), { error: "argocd-tls-certs-cm key \"https://bad.example.com\" is not a server name (a host name or IP address without scheme or port)" });
    assert.deepEqual(certs.get("empty.example.com"), { error: "argocd-tls-certs-cm key \"empty.example.com\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)" });
    assert.deepEqual(certs.get("broken.example.com"), { error: "argocd-tls-certs-cm key \"broken.example.com\": certificate 1 of 1 cannot be parsed" });
  });
});

describe("GitTrustFiles", () => {
  test("writes the files, switches modes as the ConfigMaps come and go, and removes old generations", async () => {
    const files = new GitTrustFiles({ baseDir: dir });
    assert.equal(files.current(), undefined, "nothing before the first update");

    const r1 = await files.update({ knownHosts: undefined, tlsCerts: undefined });
    assert.deepEqual(r1, { strictHostKeys: false, knownHostEntries: 0, caServers: [], errors: [] });
    assert.equal(files.current()?.knownHostsFile, undefined, "no ConfigMap: trust on first use");
    assert.equal(files.current()?.caFor("git.example.com"), undefined, "no ConfigMap: system CAs");

    const r2 = await files.update({ knownHosts: { ssh_known_hosts: `${ED25519}\nbad line\n` }, tlsCerts: { "git.example.com": caPem, "bad.example.com": "x" } });
    assert.equal(r2.strictHostKeys, true);
    assert.equal(r2.knownHostEntries, 1);
    assert.deepEqual(r2.caServers, ["git.example.com"]);
    assert.equal(r2.errors.length, 2, `both problems reported: ${r2.errors.join("; ")}`);
    const snap2 = files.current()!;
    assert.equal(await readFile(snap2.knownHostsFile!, "utf8"), `${ED25519}\n`);
    const ca = snap2.caFor("GIT.example.com");
    assert.ok(ca && "file" in ca, "the CA is found by host name, case-insensitively");
    assert.equal(await readFile(ca.file, "utf8"), `${caPem.trim()}\n`);
    assert.match(JSON.stringify(snap2.caFor("bad.example.com")), /holds no PEM certificate/);
    assert.equal(snap2.caFor("other.example.com"), undefined);

    const r3 = await files.update({ knownHosts: {}, tlsCerts: undefined });
    assert.equal(r3.strictHostKeys, true, "an empty ConfigMap still means strict checking");
    assert.equal(await readFile(files.current()!.knownHostsFile!, "utf8"), "", "and trusts no host");
    assert.equal(files.current()!.caFor("git.example.com"), undefined, "a removed CA is gone");
    assert.ok(existsSync(snap2.knownHostsFile!), "the previous generation stays for commands that just started");

    await files.update({ knownHosts: undefined, tlsCerts: undefined });
    assert.ok(!existsSync(snap2.knownHostsFile!), "older generations are removed");
    const root = join(snap2.knownHostsFile!, "..", "..");
    assert.equal((await readdir(root)).length, 2, "two generations on disk at most");
    await files.close();
    assert.ok(!existsSync(root), "close removes the directory");
  });
});
