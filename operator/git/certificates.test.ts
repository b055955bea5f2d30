import { test } from "node:test";
import assert from "node:assert/strict";
import { selfSignedCertificate } from "../server/http/tls.js";
import { addCertificates, CertificateError, listCertificates, parseNewCertificates, removeCertificates } from "./certificates.js";

const b64 = (s: string): string => Buffer.from(s).toString("base64");
/** An ssh public key blob of `type` (length-prefixed type, then key bytes), as known_hosts holds it. */
function sshKey(type: string, fill: number): string {
  const t = Buffer.from(type);
  const key = Buffer.alloc(32, fill);
  const head = Buffer.alloc(4); head.writeUInt32BE(t.length);
  const klen = Buffer.alloc(4); klen.writeUInt32BE(key.length);
  return Buffer.concat([head, t, klen, key]).toString("base64");
}

test("certificates: list both ConfigMaps, add with Argo's upsert rule, filter and remove", () => {
  const pem = selfSignedCertificate(["git.example.com"]).cert;
  const keyA = sshKey("ssh-ed25519", 1);
  const keyB = sshKey("ssh-ed25519", 2);
  const add = parseNewCertificates([
    { serverName: "Git.Example.com", certType: "https", certData: b64(pem) },
    { serverName: "github.com", certType: "ssh", certSubType: "ssh-ed25519", certData: b64(keyA) },
  ]);
  const first = addCertificates(undefined, undefined, add, false);
  assert.deepEqual(Object.keys(first.tls), ["git.example.com"], "the TLS key is the lower-case server name");
  assert.equal(first.ssh.ssh_known_hosts, `github.com ssh-ed25519 ${keyA}\n`);
  assert.equal(first.items.length, 2, "both reported as written");
  const listed = listCertificates(first.tls, first.ssh);
  assert.deepEqual(listed.map((c) => [c.serverName, c.certType, c.certSubType]), [["github.com", "ssh", "ssh-ed25519"], ["git.example.com", "https", "x509"]]);
  assert.match(listed[0]!.certInfo, /^SHA256:[A-Za-z0-9+/]+$/, "ssh info is the key fingerprint");
  assert.match(listed[1]!.certInfo, /CN=/, "https info is the subject");
  assert.match(Buffer.from(listed[1]!.certData, "base64").toString(), /BEGIN CERTIFICATE/, "certData is base64 of the PEM");

  // The same again changes nothing; a different key needs upsert.
  const same = addCertificates(first.tls, first.ssh, add, false);
  assert.equal(same.items.length, 0, "identical certificates are not written again");
  const other = parseNewCertificates([{ serverName: "github.com", certType: "ssh", certSubType: "ssh-ed25519", certData: b64(keyB) }]);
  assert.throws(() => addCertificates(first.tls, first.ssh, other, false), /already exists with different content; use upsert/);
  const replaced = addCertificates(first.tls, first.ssh, other, true);
  assert.equal(replaced.ssh.ssh_known_hosts, `github.com ssh-ed25519 ${keyB}\n`, "upsert replaces the host's key of that type");

  const removed = removeCertificates(replaced.tls, replaced.ssh, { hostNamePattern: "git.*", certType: "https" });
  assert.deepEqual(removed.items.map((c) => c.serverName), ["git.example.com"]);
  assert.deepEqual(removed.tls, {}, "the https entry is gone");
  assert.equal(removed.ssh.ssh_known_hosts, replaced.ssh.ssh_known_hosts, "ssh untouched by an https filter");
});

test("certificates: bad items are refused naming the item and field", () => {
  const cases: Array<[unknown, RegExp]> = [
    [[], /at least one/],
    [[{ serverName: "h", certType: "ftp", certData: b64("x") }], /items\[0\]\.certType must be "ssh" or "https"/],
    [[{ serverName: "h", certType: "https", certData: b64("not a cert") }], /items\[0\]\.certData holds no PEM certificate/],
    [[{ serverName: "h", certType: "https", certData: b64("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----") }], /cannot be parsed as X\.509/],
    [[{ serverName: "https://h/x", certType: "https", certData: b64("x") }], /items\[0\]\.serverName .* is not a host name/],
    [[{ serverName: "h", certType: "ssh", certSubType: "ssh-rsa", certData: b64(sshKey("ssh-ed25519", 3)) }], /is not an ssh ssh-rsa public key/],
    [[{ serverName: "h", certType: "ssh", certSubType: "bogus", certData: b64("AAAA") }], /certSubType must be the ssh key type/],
    [[{ serverName: "h", certType: "ssh", certSubType: "ssh-ed25519", certData: "%%%" }], /certData must be base64/],
    [[{ serverName: "h", certType: "ssh", certData: "x", extra: 1 }], /unknown field "items\[0\]\.extra"/],
  ];
  for (const [items, re] of cases) assert.throws(() => parseNewCertificates(items), (e: unknown) => e instanceof CertificateError && re.test(e.message), `refused: ${JSON.stringify(items)}`);
});
