// Certificates for a dev cluster, generated with the openssl CLI (Node's crypto cannot issue X.509
// certificates). The layout follows envtest's: a CA that both signs the apiserver's serving
// certificate and client certificates, an `admin` client in `system:masters` (which bypasses RBAC),
// and a separate key pair for signing service-account tokens.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  /**
   * Front-proxy (request-header) CA and the apiserver's client certificate for it. Controller-manager
   * and scheduler read this CA from kube-system/extension-apiserver-authentication for their
   * delegated authentication and complain every few seconds when it is missing; aggregated API
   * servers need it too.
   */
  frontProxyCaCert: string;
  frontProxyCaKey: string;
  frontProxyClientCert: string;
  frontProxyClientKey: string;
  /** Private key that signs service-account tokens (apiserver and controller-manager). */
  saKey: string;
  /** Its public half, which the apiserver uses to verify tokens. */
  saPub: string;
}

export function pkiPaths(dir: string): Pki {
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    apiserverCert: join(dir, "apiserver.crt"),
    apiserverKey: join(dir, "apiserver.key"),
    adminCert: join(dir, "admin.crt"),
    adminKey: join(dir, "admin.key"),
    frontProxyCaCert: join(dir, "front-proxy-ca.crt"),
    frontProxyCaKey: join(dir, "front-proxy-ca.key"),
    frontProxyClientCert: join(dir, "front-proxy-client.crt"),
    frontProxyClientKey: join(dir, "front-proxy-client.key"),
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
  };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args, { maxBuffer: 1 << 20 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0] ?? ""} failed: ${stderr.trim() || String(err)}`);
  }
}

// P-256 keys: generation is instant, and Go's TLS stack and Node both accept them.
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function issue(
  pki: Pki, name: string, subject: string, extensions: string, days: number,
  ca: { cert: string; key: string } = { cert: pki.caCert, key: pki.caKey },
): Promise<void> {
  const csr = join(pki.dir, `${name}.csr`);
  const ext = join(pki.dir, `${name}.ext`);
  await openssl(["req", "-new", ...EC_KEY, "-keyout", join(pki.dir, `${name}.key`), "-out", csr, "-subj", subject]);
  await writeFile(ext, extensions);
  await openssl([
    "x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key,
    // A random serial instead of -CAcreateserial, so no ca.srl state is shared between issuances.
    "-set_serial", `0x${randomBytes(16).toString("hex")}`,
    "-days", String(days), "-sha256", "-extfile", ext, "-out", join(pki.dir, `${name}.crt`),
  ]);
}

export interface PkiOptions {
  /** Extra subjectAltNames for the apiserver certificate, e.g. "DNS:foo" or "IP:10.0.0.1". */
  extraSANs?: string[];
  /** Validity in days. Dev clusters may live long; a year avoids surprise expiry. */
  days?: number;
}

export async function generatePki(dir: string, opts: PkiOptions = {}): Promise<Pki> {
  const pki = pkiPaths(dir);
  const days = opts.days ?? 365;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const newCa = (cert: string, key: string, cn: string): Promise<void> => openssl([
    "req", "-x509", "-new", ...EC_KEY, "-keyout", key, "-out", cert,
    "-days", String(days + 1), "-subj", `/CN=${cn}`,
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);
  const clientExt = [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=clientAuth",
    "",
  ].join("\n");
  const sans = [
    "IP:127.0.0.1", "DNS:localhost",
    // The in-cluster names of the `kubernetes` Service, so the certificate is also valid for
    // anything that resolves those (e.g. a test pointing a client at kubernetes.default.svc).
    "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local",
    ...(opts.extraSANs ?? []),
  ];
  // The independent chains run concurrently: each step is one short openssl process.
  await Promise.all([
    (async () => {
      await newCa(pki.caCert, pki.caKey, "hawser-dev-cluster-ca");
      await Promise.all([
        issue(pki, "apiserver", "/CN=kube-apiserver", [
          "basicConstraints=critical,CA:FALSE",
          "keyUsage=critical,digitalSignature,keyEncipherment",
          "extendedKeyUsage=serverAuth",
          `subjectAltName=${sans.join(",")}`,
          "",
        ].join("\n"), days),
        issue(pki, "admin", "/O=system:masters/CN=admin", clientExt, days),
      ]);
    })(),
    (async () => {
      await newCa(pki.frontProxyCaCert, pki.frontProxyCaKey, "hawser-dev-cluster-front-proxy-ca");
      await issue(pki, "front-proxy-client", "/CN=front-proxy-client", clientExt, days,
        { cert: pki.frontProxyCaCert, key: pki.frontProxyCaKey });
    })(),
    // RSA for service-account tokens: RS256 is what every token consumer expects.
    (async () => {
      await openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", pki.saKey]);
      await openssl(["pkey", "-in", pki.saKey, "-pubout", "-out", pki.saPub]);
    })(),
  ]);
  return pki;
}
