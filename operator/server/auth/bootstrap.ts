// What the server makes on its first start, as Argo CD does (argo-cd-server.md §2.2): the token
// signing key `server.secretkey` (base64 of 32 random bytes) and, while admin has no password, a
// random initial password, stored bcrypt-hashed in argocd-secret and in clear in
// argocd-initial-admin-secret for the operator of the installation to read once.
//
// Several replicas may start together. Every write to argocd-secret carries the resourceVersion it
// was computed from (or is a create), so exactly one replica's write lands; the others get 409, read
// again and find the work done. Nothing here ever replaces a key another replica wrote.
import { randomBytes, randomInt } from "node:crypto";
import bcrypt from "bcryptjs";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { KubeApiError } from "../../kube/client.js";
import type { Logger } from "../../runtime/logger.js";
import { ADMIN, ARGOCD_SECRET, INITIAL_ADMIN_SECRET, rfc3339, SECRET_KEY, secretPrefix } from "./accounts.js";

export const BCRYPT_COST = 10;
const PASSWORD_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-";

/** 16 characters of [0-9A-Za-z-], each drawn uniformly with the CSPRNG. */
export function randomPassword(length = 16): string {
  let out = "";
  for (let i = 0; i < length; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

type SecretObject = KubeObject & { data?: Record<string, string>; type?: string };

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

export interface BootstrapResult {
  /** This replica generated the signing key. */
  createdSecretKey: boolean;
  /** This replica generated the initial admin password. */
  createdAdminPassword: boolean;
}

export interface BootstrapOptions {
  log?: Logger;
  /** Seconds since the epoch, for admin.passwordMtime. */
  now?: () => number;
  /** Bounds the retries after conflicts (each one means another replica wrote meanwhile). */
  maxAttempts?: number;
}

/**
 * Makes sure argocd-secret holds `server.secretkey` and an admin password hash (writing the
 * initial admin Secret when it generated the password). Safe to run on every start and on several
 * replicas at once.
 */
export async function bootstrapSecrets(client: KubeClient, namespace: string, opts: BootstrapOptions = {}): Promise<BootstrapResult> {
  const now = opts.now ?? ((): number => Math.floor(Date.now() / 1000));
  const result: BootstrapResult = { createdSecretKey: false, createdAdminPassword: false };
  const maxAttempts = opts.maxAttempts ?? 10;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await client.get<SecretObject>("v1", "Secret", ARGOCD_SECRET, namespace);
    const data = current?.data ?? {};
    const needKey = !data[SECRET_KEY];
    const needPassword = !data[`${secretPrefix(ADMIN)}.password`];
    if (!needKey && !needPassword) return result;

    const add: Record<string, string> = {};
    if (needKey) add[SECRET_KEY] = b64(randomBytes(32).toString("base64"));
    let password: string | undefined;
    if (needPassword) {
      password = randomPassword();
      add[`${secretPrefix(ADMIN)}.password`] = b64(await hashPassword(password));
      add[`${secretPrefix(ADMIN)}.passwordMtime`] = b64(rfc3339(now()));
    }
    try {
      if (!current) {
        await client.create({
          apiVersion: "v1", kind: "Secret", type: "Opaque",
          metadata: { name: ARGOCD_SECRET, namespace, labels: { "app.kubernetes.io/name": ARGOCD_SECRET, "app.kubernetes.io/part-of": "argocd" } },
          data: add,
        });
      } else {
        // resourceVersion in a merge patch is a precondition: the write fails with 409 if anyone wrote since our read.
        await client.patch({ apiVersion: "v1", kind: "Secret", name: ARGOCD_SECRET, namespace }, {
          metadata: { resourceVersion: current.metadata.resourceVersion },
          data: add,
        });
      }
    } catch (err) {
      if (err instanceof KubeApiError && err.isConflict) {
        opts.log?.debug("argocd-secret changed while bootstrapping; reading it again", { attempt });
        continue;
      }
      throw err;
    }
    if (needKey) {
      result.createdSecretKey = true;
      opts.log?.info("generated server.secretkey in argocd-secret");
    }
    if (password !== undefined) {
      // Only the replica whose hash landed gets here, so its password is the one that works.
      await writeInitialAdminSecret(client, namespace, password);
      result.createdAdminPassword = true;
      opts.log?.info(`generated the initial admin password in Secret ${INITIAL_ADMIN_SECRET}`);
    }
    // Loop once more: a key or hash may still be missing if only one of them was ours to write.
  }
  throw new Error(`could not initialise ${ARGOCD_SECRET} after ${maxAttempts} attempts (it kept changing underneath)`);
}

async function writeInitialAdminSecret(client: KubeClient, namespace: string, password: string): Promise<void> {
  const secret: SecretObject = {
    apiVersion: "v1", kind: "Secret", type: "Opaque",
    metadata: { name: INITIAL_ADMIN_SECRET, namespace, labels: { "app.kubernetes.io/part-of": "argocd" } },
    data: { password: b64(password) },
  };
  try {
    await client.create(secret);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.isConflict)) throw err;
    // A stale one from an earlier install (admin's hash was removed since): it no longer works, so replace it.
    await client.patch({ apiVersion: "v1", kind: "Secret", name: INITIAL_ADMIN_SECRET, namespace }, { data: { password: b64(password) } });
  }
}
