// Argo's repository certificates (the Certificate service) over the two ConfigMaps the git layer
// trusts: argocd-tls-certs-cm (key = server name, value = PEM CA certificates) and
// argocd-ssh-known-hosts-cm (`ssh_known_hosts`, one `host keytype base64key` line each). Pure:
// list, filter, add (with Argo's upsert rule) and remove, from and to the ConfigMaps' data; the
// API service reads and writes the ConfigMaps. `certData` is bytes, so base64 on the wire, as
// Argo's Go JSON writes []byte: PEM for https, the base64 key text for ssh.
import { createHash, X509Certificate } from "node:crypto";
import { gobwasMatch } from "../util/glob.js";
import { SSH_KNOWN_HOSTS_KEY } from "./trust.js";

export interface RepositoryCertificate {
  serverName: string;
  certType: "ssh" | "https";
  /** ssh: the key type (ssh-ed25519, ecdsa-sha2-nistp256, ...); https: x509. */
  certSubType: string;
  /** base64 of the raw data: the PEM block (https) or the key's base64 text (ssh). */
  certData: string;
  /** ssh: SHA256 fingerprint; https: the certificate's subject. */
  certInfo: string;
}

export interface CertificateFilter {
  hostNamePattern?: string;
  certType?: string;
  certSubType?: string;
}

/** A certificate request the caller must fix; the message names the item and field. */
export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CertificateError";
  }
}

const SSH_KEY_TYPE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9-]+@openssh\.com)$/;
/** A TLS entry's key becomes a file name: a DNS name, IPv4 or IPv6 address, nothing else. */
const TLS_SERVER_NAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|[0-9a-f:]+)$/;
/** known_hosts host patterns: names, [host]:port, wildcards, hashed |1|…, comma lists; no spaces. */
const SSH_HOST = /^[A-Za-z0-9.*?_:[\]|=+/,-]+$/;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

function sshFingerprint(keyBase64: string): string {
  return `SHA256:${createHash("sha256").update(Buffer.from(keyBase64, "base64")).digest("base64").replace(/=+$/, "")}`;
}

function x509Subject(pem: string): string {
  try {
    return new X509Certificate(pem).subject.split("\n").join(",");
  } catch {
    return "(unparseable certificate)";
  }
}

/** Every certificate of both ConfigMaps, ssh first, each sorted by server name. */
export function listCertificates(tlsData: Readonly<Record<string, string>> | undefined, sshData: Readonly<Record<string, string>> | undefined): RepositoryCertificate[] {
  const out: RepositoryCertificate[] = [];
  for (const line of (sshData?.[SSH_KNOWN_HOSTS_KEY] ?? "").split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[0]!.startsWith("#") || f[0]!.startsWith("@")) continue;
    out.push({ serverName: f[0]!, certType: "ssh", certSubType: f[1]!, certData: b64(f[2]!), certInfo: sshFingerprint(f[2]!) });
  }
  for (const [host, value] of Object.entries(tlsData ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    for (const pem of value.match(PEM_CERT) ?? []) out.push({ serverName: host, certType: "https", certSubType: "x509", certData: b64(`${pem}\n`), certInfo: x509Subject(pem) });
  }
  return out;
}

/** Argo's filter: a glob on the server name, and exact type and sub-type when given. */
export function matchesFilter(c: RepositoryCertificate, f: CertificateFilter): boolean {
  if (f.hostNamePattern && !gobwasMatch(f.hostNamePattern, c.serverName)) return false;
  if (f.certType && f.certType !== c.certType) return false;
  if (f.certSubType && f.certSubType !== c.certSubType) return false;
  return true;
}

/** A request item checked and decoded: the PEM (https) or key text (ssh) it adds. */
interface NewCert { serverName: string; certType: "ssh" | "https"; certSubType: string; raw: string }

/** Checks the POST body's items; throws CertificateError naming `items[i].<field>`. */
export function parseNewCertificates(items: unknown): NewCert[] {
  if (!Array.isArray(items) || items.length === 0) throw new CertificateError("items must list at least one certificate");
  return items.map((item, i): NewCert => {
    const at = `items[${i}]`;
    if (typeof item !== "object" || item === null) throw new CertificateError(`${at} must be an object`);
    const it = item as Record<string, unknown>;
    for (const k of Object.keys(it)) if (!["serverName", "certType", "certSubType", "certData", "certInfo"].includes(k)) throw new CertificateError(`unknown field "${at}.${k}"`);
    const serverName = typeof it.serverName === "string" ? it.serverName.trim() : "";
    if (!serverName) throw new CertificateError(`${at}.serverName is required`);
    if (typeof it.certData !== "string" || !it.certData) throw new CertificateError(`${at}.certData is required (base64 of the PEM certificate or of the ssh key)`);
    const compact = it.certData.replace(/\s+/g, "");
    if (!BASE64.test(compact)) throw new CertificateError(`${at}.certData must be base64`);
    const raw = Buffer.from(compact, "base64").toString("utf8").trim();
    if (it.certType === "https") {
      const name = serverName.toLowerCase();
      if (!TLS_SERVER_NAME.test(name)) throw new CertificateError(`${at}.serverName ${JSON.stringify(serverName)} is not a host name or IP address (no scheme, port or path)`);
      const blocks = raw.match(PEM_CERT) ?? [];
      if (blocks.length === 0) throw new CertificateError(`${at}.certData holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
      blocks.forEach((b, j) => {
        try {
          new X509Certificate(b);
        } catch {
          throw new CertificateError(`${at}.certData: certificate ${j + 1} of ${blocks.length} cannot be parsed as X.509`);
        }
      });
      return { serverName: name, certType: "https", certSubType: "x509", raw: blocks.join("\n") };
    }
    if (it.certType === "ssh") {
      if (!SSH_HOST.test(serverName)) throw new CertificateError(`${at}.serverName ${JSON.stringify(serverName)} is not a known_hosts host pattern`);
      const subType = typeof it.certSubType === "string" ? it.certSubType : "";
      if (!SSH_KEY_TYPE.test(subType)) throw new CertificateError(`${at}.certSubType must be the ssh key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...), got ${JSON.stringify(subType)}`);
      const key = raw.split(/\s+/).pop() ?? "";
      if (!BASE64.test(key)) throw new CertificateError(`${at}.certData must be base64 of the key's base64 text (the third field of a known_hosts line)`);
      // The key blob starts with its own type, length-prefixed: a key of another type is refused.
      const blob = Buffer.from(key, "base64");
      const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
      if (len <= 0 || blob.length < 4 + len || blob.subarray(4, 4 + len).toString("latin1") !== subType) throw new CertificateError(`${at}.certData is not an ssh ${subType} public key`);
      return { serverName, certType: "ssh", certSubType: subType, raw: key };
    }
    throw new CertificateError(`${at}.certType must be "ssh" or "https", got ${JSON.stringify(it.certType ?? "")}`);
  });
}

export interface CertificateChange {
  tls: Record<string, string>;
  ssh: Record<string, string>;
  /** The certificates written (new or replaced), as they are listed. */
  items: RepositoryCertificate[];
}

/**
 * Adds certificates as Argo does: an identical one is kept as is, a different one for the same
 * server (https) or server and key type (ssh) is an error unless `upsert`, which replaces it.
 */
export function addCertificates(tlsData: Readonly<Record<string, string>> | undefined, sshData: Readonly<Record<string, string>> | undefined, add: NewCert[], upsert: boolean): CertificateChange {
  const tls: Record<string, string> = { ...(tlsData ?? {}) };
  const sshLines = (sshData?.[SSH_KNOWN_HOSTS_KEY] ?? "").split(/\r?\n/).filter((l) => l.trim() !== "");
  const written: NewCert[] = [];
  // Several https items for one server in one request form one bundle.
  const tlsNew = new Map<string, string[]>();
  for (const c of add.filter((x) => x.certType === "https")) tlsNew.set(c.serverName, [...(tlsNew.get(c.serverName) ?? []), c.raw]);
  for (const [host, pems] of tlsNew) {
    const bundle = `${pems.join("\n")}\n`;
    const existing = tls[host];
    if (existing !== undefined && norm(existing) === norm(bundle)) continue;
    if (existing !== undefined && !upsert) throw new CertificateError(`https certificate for ${host} already exists with different content; use upsert to replace it`);
    tls[host] = bundle;
    for (const raw of pems) written.push({ serverName: host, certType: "https", certSubType: "x509", raw });
  }
  for (const c of add.filter((x) => x.certType === "ssh")) {
    const idx = sshLines.findIndex((l) => { const f = l.trim().split(/\s+/); return f[0] === c.serverName && f[1] === c.certSubType; });
    const line = `${c.serverName} ${c.certSubType} ${c.raw}`;
    if (idx >= 0 && sshLines[idx]!.trim().split(/\s+/)[2] === c.raw) continue;
    if (idx >= 0 && !upsert) throw new CertificateError(`ssh ${c.certSubType} key for ${c.serverName} already exists with different content; use upsert to replace it`);
    if (idx >= 0) sshLines[idx] = line;
    else sshLines.push(line);
    written.push(c);
  }
  const items = listCertificates(
    Object.fromEntries(written.filter((w) => w.certType === "https").map((w) => [w.serverName, w.raw])),
    { [SSH_KNOWN_HOSTS_KEY]: written.filter((w) => w.certType === "ssh").map((w) => `${w.serverName} ${w.certSubType} ${w.raw}`).join("\n") },
  );
  return { tls, ssh: { ...(sshData ?? {}), [SSH_KNOWN_HOSTS_KEY]: sshLines.length > 0 ? `${sshLines.join("\n")}\n` : "" }, items };
}

function norm(pem: string): string {
  return (pem.match(PEM_CERT) ?? []).map((b) => b.replace(/\s+/g, "")).join("|");
}

/** Removes what the filter matches; returns the new data and the removed certificates. */
export function removeCertificates(tlsData: Readonly<Record<string, string>> | undefined, sshData: Readonly<Record<string, string>> | undefined, f: CertificateFilter): CertificateChange {
  const removed = listCertificates(tlsData, sshData).filter((c) => matchesFilter(c, f));
  const tls: Record<string, string> = {};
  // The filter reads no certificate content, so a server's bundle goes or stays whole.
  for (const [host, value] of Object.entries(tlsData ?? {})) {
    if (!matchesFilter({ serverName: host, certType: "https", certSubType: "x509", certData: "", certInfo: "" }, f)) tls[host] = value;
  }
  const sshLines = (sshData?.[SSH_KNOWN_HOSTS_KEY] ?? "").split(/\r?\n/).filter((l) => {
    const fl = l.trim().split(/\s+/);
    if (l.trim() === "") return false;
    if (fl.length < 3 || fl[0]!.startsWith("#") || fl[0]!.startsWith("@")) return true;
    return !matchesFilter({ serverName: fl[0]!, certType: "ssh", certSubType: fl[1]!, certData: "", certInfo: "" }, f);
  });
  return { tls, ssh: { ...(sshData ?? {}), [SSH_KNOWN_HOSTS_KEY]: sshLines.length > 0 ? `${sshLines.join("\n")}\n` : "" }, items: removed };
}
