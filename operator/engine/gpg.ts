// GPG commit verification, the pure half: reading what git reports about a commit's signature
// and deciding whether an AppProject's `signatureKeys` allow it. The I/O half (a private GnuPG
// home holding argocd-gpg-keys-cm's public keys, `git log --format=%G?...`) is operator/git/gpg.ts.
//
// Messages follow Argo CD's ComparisonError wording so alerts written for Argo keep matching.

/** The fields of `git log -1 --format=<VERIFY_FORMAT>`, separated by the unit separator. */
export const VERIFY_FORMAT = "%G?%x1f%GK%x1f%GF%x1f%GP";

/**
 * git's %G? letters: G good, U good but of unknown validity (our keyring holds only the configured
 * keys, none of them certified, so this is the usual "good"), B bad, X good but expired, Y good by
 * an expired key, R good by a revoked key, E cannot be checked (usually: key not in the keyring),
 * N no signature.
 */
export type SignatureStatus = "G" | "U" | "B" | "X" | "Y" | "R" | "E" | "N";

export interface CommitVerification {
  status: SignatureStatus;
  /** The signing key's long ID (16 hex digits, upper case), when git names one. */
  keyID?: string;
  /** The long ID of the primary key when a subkey signed (projects usually list primary keys). */
  primaryKeyID?: string;
}

/** Parses one line of VERIFY_FORMAT output; anything unexpected throws (fail closed). */
export function parseCommitVerification(output: string): CommitVerification {
  const line = output.split("\n").find((l) => l.trim() !== "") ?? "";
  const [status = "", key = "", fingerprint = "", primary = ""] = line.split("\x1f");
  if (!/^[GUBXYREN]$/.test(status)) throw new Error(`unexpected signature verification output from git: ${JSON.stringify(line.slice(0, 80))}`);
  // The fingerprint's tail is the long key ID; %GK may be a subkey's or empty for some statuses.
  const id = normalizeKeyID(key) ?? normalizeKeyID(fingerprint);
  const primaryID = normalizeKeyID(primary);
  return { status: status as SignatureStatus, ...(id ? { keyID: id } : {}), ...(primaryID && primaryID !== id ? { primaryKeyID: primaryID } : {}) };
}

/**
 * A key ID as GnuPG's long form: 16 upper-case hex digits. Accepts the long ID, a full fingerprint
 * (its last 16 digits) and an optional `0x`; anything else is undefined.
 */
export function normalizeKeyID(raw: string | undefined): string | undefined {
  const s = (raw ?? "").trim().replace(/^0x/i, "").toUpperCase();
  if (/^[0-9A-F]{16}$/.test(s)) return s;
  if (/^[0-9A-F]{40}$/.test(s) || /^[0-9A-F]{64}$/.test(s)) return s.slice(-16);
  return undefined;
}

/** The project's allowed key IDs, or the message refusing a malformed entry. */
export function allowedKeyIDs(signatureKeys: ReadonlyArray<{ keyID?: string }>): { keys: string[]; error?: string } {
  const keys: string[] = [];
  for (const [i, k] of signatureKeys.entries()) {
    const id = normalizeKeyID(k.keyID);
    if (!id) return { keys, error: `spec.signatureKeys[${i}].keyID ${JSON.stringify(k.keyID ?? "")} is not a GnuPG key ID (16 or 40 hex digits)` };
    keys.push(id);
  }
  return { keys };
}

/**
 * Whether a commit may be synced under a project whose signatureKeys are `allowed` (non-empty):
 * undefined when it may, else the ComparisonError message naming the revision and the key.
 */
export function signatureVerdict(revision: string, v: CommitVerification, allowed: readonly string[]): string | undefined {
  const key = v.keyID ?? "(unknown)";
  switch (v.status) {
    case "N":
      return `Target revision ${revision} in Git is not signed, but a signature is required`;
    case "G":
    case "U":
      if ((v.keyID && allowed.includes(v.keyID)) || (v.primaryKeyID && allowed.includes(v.primaryKeyID))) return undefined;
      return `Found good signature made with key ${key} on revision ${revision}, but this key is not allowed in AppProject`;
    case "E":
      return `Could not verify commit signature on revision '${revision}': it is signed with key ${key}, which is not in argocd-gpg-keys-cm`;
    case "B":
      return `Found signature made with key ${key} on revision ${revision}, but verification result was invalid: 'bad signature'`;
    case "X":
      return `Found signature made with key ${key} on revision ${revision}, but verification result was invalid: 'expired signature'`;
    case "Y":
      return `Found signature made with key ${key} on revision ${revision}, but verification result was invalid: 'expired key'`;
    case "R":
      return `Found signature made with key ${key} on revision ${revision}, but verification result was invalid: 'revoked key'`;
  }
}

/**
 * RevisionMetadata's `signatureInfo` for a verified commit, after Argo's "<result> signature from
 * <cipher> key <keyID>" (Argo reads the cipher from gpg's own report; git's %G? fields do not carry
 * it, so it is left out here), "Revision is not signed." and "UNKNOWN signature: <why>".
 */
export function signatureInfo(v: CommitVerification): string {
  const key = v.keyID ?? "(unknown)";
  switch (v.status) {
    case "N": return "Revision is not signed.";
    case "G":
    case "U": return `Good signature from key ${key}`;
    case "B": return `Bad signature from key ${key}`;
    case "X":
    case "Y": return `Expired signature from key ${key}`;
    case "R": return `Revoked signature from key ${key}`;
    case "E": return `UNKNOWN signature: key ${key} is not in argocd-gpg-keys-cm`;
  }
}
