// GPG commit verification for an app: when its project lists `signatureKeys`, every git source's
// commit must carry a good signature by one of them, checked against argocd-gpg-keys-cm's keys
// only. The renderer calls the check right after resolving revisions, so a refused commit is never
// checked out, rendered or applied; the refresh shows the refusal as a ComparisonError and an
// operation ends in Error with it, as Argo does.
import { allowedKeyIDs, parseCommitVerification, signatureVerdict } from "../engine/gpg.js";
import type { RepoSource } from "../git/types.js";
import { errorFirstLine } from "../util/index.js";

/** A commit refused by the project's signature policy; its message is the condition's. */
export class SignatureVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SignatureVerificationError";
  }
}

/**
 * Why a project's `spec.sourceIntegrity` cannot be honoured: Hawser does not implement its per-
 * repository git signature policies (`git.policies[].repos` / `gpg.mode` / `gpg.keys`) yet, and
 * silently rendering unverified commits would defeat the policy. Undefined when it sets no policy.
 * The controller shows this as an InvalidSpecError (nothing compared or synced), the CLI diff as
 * its error.
 */
export function sourceIntegrityRefusal(projectName: string, sourceIntegrity: unknown): string | undefined {
  const policies = (sourceIntegrity as { git?: { policies?: unknown } } | undefined)?.git?.policies;
  if (!Array.isArray(policies) || policies.length === 0) return undefined;
  return `AppProject ${projectName}: spec.sourceIntegrity.git.policies is not supported by Hawser yet, so its signature policies cannot be enforced; use spec.signatureKeys (GPG verification of each target commit) instead, or remove the policies`;
}

/** The GnuPG home holding argocd-gpg-keys-cm's current public keys (controller: GpgKeyring). */
export type GnupgHomeProvider = () => Promise<string>;

/**
 * The commit check for an app of `project`, or undefined when the project requires no signatures.
 * Everything that prevents a verification (no keyring, malformed key IDs, a key that will not
 * import, git failing) refuses the commit: fail closed.
 */
export function signatureCheck(
  project: { name: string; signatureKeys?: ReadonlyArray<{ keyID?: string }> | undefined } | undefined,
  repos: RepoSource,
  gnupgHome: GnupgHomeProvider | undefined,
  signal?: AbortSignal,
): ((repoURL: string, commit: string) => Promise<void>) | undefined {
  const keys = project?.signatureKeys ?? [];
  if (keys.length === 0) return undefined;
  const { keys: allowed, error } = allowedKeyIDs(keys);
  return async (repoURL, commit) => {
    if (error) throw new SignatureVerificationError(`AppProject ${project!.name}: ${error}`);
    if (!gnupgHome || !repos.verifyCommit) throw new SignatureVerificationError(`Could not verify commit signature on revision '${commit}': AppProject ${project!.name} requires signatures, but this process cannot verify them`);
    let verification: ReturnType<typeof parseCommitVerification>;
    try {
      verification = parseCommitVerification(await repos.verifyCommit(repoURL, commit, { gnupgHome: await gnupgHome(), ...(signal ? { signal } : {}) }));
    } catch (err) {
      throw new SignatureVerificationError(`Could not verify commit signature on revision '${commit}': ${errorFirstLine(err)}`);
    }
    const refusal = signatureVerdict(commit, verification, allowed);
    if (refusal) throw new SignatureVerificationError(refusal);
  };
}
