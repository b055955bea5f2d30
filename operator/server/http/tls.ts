// The server's default TLS certificate: self-signed, made at start-up when no certificate is given
// (Argo does the same, so `hawser server` speaks HTTPS and HTTP/2 out of the box; `--insecure` is
// for running behind a TLS-terminating proxy). The key never leaves the process. Node makes the
// key (native and fast); node-forge builds and signs the certificate, which Node cannot.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

export interface TlsMaterial {
  key: string;
  cert: string;
}

/** An RSA-2048 certificate for `hosts` (DNS names and IP addresses), valid for a year. */
export function selfSignedCertificate(hosts: string[]): TlsMaterial {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
  // A positive serial: clear the top bit.
  cert.serialNumber = (randomBytes(16)[0]! & 0x7f).toString(16).padStart(2, "0") + randomBytes(15).toString("hex");
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + 365 * 24 * 3600_000);
  const subject = [{ name: "commonName", value: "hawser-server" }, { name: "organizationName", value: "Hawser" }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectAltName", altNames: hosts.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) };
}
