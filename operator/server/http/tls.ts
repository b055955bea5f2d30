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

// ---- Argo's TLS settings (server.tls.minversion / maxversion / ciphers) ----
// Argo names versions "1.0" … "1.3" and ciphers by their IANA names, `:`-separated, as Go's
// crypto/tls lists them; Node takes OpenSSL's names. Go never lets a program choose the TLS 1.3
// suites, so neither does this: they are always on, and 1.3 names in the list are accepted and
// have no effect, as in Argo.

export type TlsVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

export const DEFAULT_TLS_MIN_VERSION = "1.2";
export const DEFAULT_TLS_MAX_VERSION = "1.3";
/** Argo's default server.tls.ciphers. */
export const DEFAULT_TLS_CIPHERS = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_RSA_WITH_AES_256_GCM_SHA384";

const VERSIONS: Record<string, TlsVersion> = { "1.0": "TLSv1", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": "TLSv1.3" };
const VERSION_ORDER: TlsVersion[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/** The TLS 1.3 suites, always enabled (Go's rule). */
const TLS13_SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

/** Go's crypto/tls cipher suite names (secure and insecure lists) → OpenSSL's names for TLS ≤ 1.2. */
export const IANA_TO_OPENSSL: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: "ECDHE-ECDSA-AES128-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: "ECDHE-ECDSA-AES256-SHA",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: "ECDHE-RSA-AES128-SHA",
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: "ECDHE-RSA-AES256-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: "ECDHE-ECDSA-AES128-GCM-SHA256",
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: "ECDHE-ECDSA-AES256-GCM-SHA384",
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: "ECDHE-RSA-AES128-GCM-SHA256",
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: "ECDHE-RSA-AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-RSA-CHACHA20-POLY1305",
  // Go's older aliases of the two above.
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: "ECDHE-ECDSA-CHACHA20-POLY1305",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_RSA_WITH_RC4_128_SHA: "RC4-SHA",
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: "DES-CBC3-SHA",
  TLS_RSA_WITH_AES_128_CBC_SHA: "AES128-SHA",
  TLS_RSA_WITH_AES_256_CBC_SHA: "AES256-SHA",
  TLS_RSA_WITH_AES_128_CBC_SHA256: "AES128-SHA256",
  TLS_RSA_WITH_AES_128_GCM_SHA256: "AES128-GCM-SHA256",
  TLS_RSA_WITH_AES_256_GCM_SHA384: "AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: "ECDHE-ECDSA-RC4-SHA",
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: "ECDHE-RSA-RC4-SHA",
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: "ECDHE-RSA-DES-CBC3-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: "ECDHE-ECDSA-AES128-SHA256",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: "ECDHE-RSA-AES128-SHA256",
};

export class TlsSettingError extends Error {}

/** What Node's TLS server takes: minVersion, maxVersion and one OpenSSL cipher string. */
export interface TlsPolicy {
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  ciphers: string;
}

/**
 * Argo's TLS settings as Node options. `names` says where each value came from (a flag or a
 * ConfigMap key), for the error; `available` is the TLS library's cipher list (tls.getCiphers()).
 * Throws TlsSettingError naming the setting and the value for an unknown version or cipher, a cipher
 * this OpenSSL lacks, a minimum above the maximum, or a list leaving TLS ≤ 1.2 without a cipher.
 */
export function tlsPolicy(
  raw: { minVersion?: string; maxVersion?: string; ciphers?: string },
  names: { minVersion: string; maxVersion: string; ciphers: string },
  available: readonly string[],
): TlsPolicy {
  const version = (value: string, name: string): TlsVersion => {
    const v = VERSIONS[value.trim()];
    if (!v) throw new TlsSettingError(`${name}: "${value}" is not a TLS version (one of ${Object.keys(VERSIONS).join(", ")})`);
    return v;
  };
  const minRaw = raw.minVersion?.trim() || DEFAULT_TLS_MIN_VERSION;
  const maxRaw = raw.maxVersion?.trim() || DEFAULT_TLS_MAX_VERSION;
  const minVersion = version(minRaw, names.minVersion);
  const maxVersion = version(maxRaw, names.maxVersion);
  if (VERSION_ORDER.indexOf(minVersion) > VERSION_ORDER.indexOf(maxVersion)) {
    throw new TlsSettingError(`${names.minVersion}: the minimum TLS version ${minRaw} is higher than the maximum ${maxRaw} (${names.maxVersion})`);
  }
  const have = new Set(available.map((c) => c.toLowerCase()));
  const legacy: string[] = [];
  for (const name of (raw.ciphers?.trim() || DEFAULT_TLS_CIPHERS).split(":").map((c) => c.trim()).filter(Boolean)) {
    if (TLS13_SUITES.includes(name)) continue;
    const openssl = IANA_TO_OPENSSL[name];
    if (!openssl) throw new TlsSettingError(`${names.ciphers}: unknown cipher suite "${name}" (Argo's IANA names, ":"-separated, e.g. ${DEFAULT_TLS_CIPHERS})`);
    if (!have.has(openssl.toLowerCase())) throw new TlsSettingError(`${names.ciphers}: cipher suite "${name}" (OpenSSL ${openssl}) is not supported by this server's TLS library`);
    if (!legacy.includes(openssl)) legacy.push(openssl);
  }
  if (legacy.length === 0 && minVersion !== "TLSv1.3") {
    throw new TlsSettingError(`${names.ciphers}: no cipher suite for TLS ${minRaw}–1.2 (TLS 1.3 suites are always on and cannot be chosen); list one, or set ${names.minVersion} to 1.3`);
  }
  return { minVersion, maxVersion, ciphers: [...TLS13_SUITES, ...legacy].join(":") };
}
