import assert from "node:assert/strict";
import { test } from "node:test";
import { allowedKeyIDs, normalizeKeyID, parseCommitVerification, signatureInfo, signatureVerdict } from "./gpg.js";

// Lines as `git log -1 --format=%G?%x1f%GK%x1f%GF%x1f%GP` printed them for real commits (gpg 2.2).
const FPR = "CF9A30A2063F7846066CBC8DDAF2CC19AF21C496";
const GOOD = `G\x1fDAF2CC19AF21C496\x1f${FPR}\x1f${FPR}\n`;
const UNSIGNED = "N\x1f\x1f\x1f\n";
const NO_PUBKEY = "E\x1fDAF2CC19AF21C496\x1f\x1f\n";
const SUBKEY = "U\x1f1111222233334444\x1fAAAABBBBCCCCDDDDEEEEFFFF1111222233334444\x1f" + FPR + "\n";
const REV = "0123456789abcdef0123456789abcdef01234567";

test("parses good, unsigned, unknown-key and subkey lines", () => {
  assert.deepEqual(parseCommitVerification(GOOD), { status: "G", keyID: "DAF2CC19AF21C496" });
  assert.deepEqual(parseCommitVerification(UNSIGNED), { status: "N" });
  assert.deepEqual(parseCommitVerification(NO_PUBKEY), { status: "E", keyID: "DAF2CC19AF21C496" });
  assert.deepEqual(parseCommitVerification(SUBKEY), { status: "U", keyID: "1111222233334444", primaryKeyID: "DAF2CC19AF21C496" });
});

test("unexpected output is an error, not a pass", () => {
  assert.throws(() => parseCommitVerification(""), /unexpected signature verification output/);
  assert.throws(() => parseCommitVerification("gpg: something\n"), /unexpected signature verification output/);
});

test("key IDs: long IDs, fingerprints and 0x are normalised; others refused", () => {
  assert.equal(normalizeKeyID("0xdaf2cc19af21c496"), "DAF2CC19AF21C496");
  assert.equal(normalizeKeyID(FPR.toLowerCase()), "DAF2CC19AF21C496");
  assert.equal(normalizeKeyID("AF21C496"), undefined, "short IDs collide too easily to trust");
  assert.deepEqual(allowedKeyIDs([{ keyID: "daf2cc19af21c496" }]), { keys: ["DAF2CC19AF21C496"] });
  const bad = allowedKeyIDs([{ keyID: "DAF2CC19AF21C496" }, { keyID: "nope" }]);
  assert.match(bad.error ?? "", /spec\.signatureKeys\[1\]\.keyID "nope" is not a GnuPG key ID/);
});

test("a good signature by an allowed key (or its primary key) passes", () => {
  assert.equal(signatureVerdict(REV, parseCommitVerification(GOOD), ["DAF2CC19AF21C496"]), undefined);
  assert.equal(signatureVerdict(REV, parseCommitVerification(SUBKEY), ["DAF2CC19AF21C496"]), undefined);
});

test("unsigned, other-key, unknown-key and bad signatures are refused with the revision and key", () => {
  assert.equal(signatureVerdict(REV, parseCommitVerification(UNSIGNED), ["DAF2CC19AF21C496"]),
    `Target revision ${REV} in Git is not signed, but a signature is required`);
  assert.equal(signatureVerdict(REV, parseCommitVerification(GOOD), ["0000000000000001"]),
    `Found good signature made with key DAF2CC19AF21C496 on revision ${REV}, but this key is not allowed in AppProject`);
  assert.equal(signatureVerdict(REV, parseCommitVerification(NO_PUBKEY), ["0000000000000001"]),
    `Could not verify commit signature on revision '${REV}': it is signed with key DAF2CC19AF21C496, which is not in argocd-gpg-keys-cm`);
  for (const [status, why] of [["B", "bad signature"], ["X", "expired signature"], ["Y", "expired key"], ["R", "revoked key"]] as const) {
    const msg = signatureVerdict(REV, { status, keyID: "DAF2CC19AF21C496" }, ["DAF2CC19AF21C496"]);
    assert.equal(msg, `Found signature made with key DAF2CC19AF21C496 on revision ${REV}, but verification result was invalid: '${why}'`, `status ${status} must be refused even for an allowed key`);
  }
});

test("signatureInfo words each verification result with the key", () => {
  const key = "4AEE18F83AFDEB23";
  assert.equal(signatureInfo({ status: "N" }), "Revision is not signed.");
  assert.equal(signatureInfo({ status: "U", keyID: key }), `Good signature from key ${key}`, "an uncertified key of the keyring is good");
  assert.equal(signatureInfo({ status: "G", keyID: key }), `Good signature from key ${key}`);
  assert.equal(signatureInfo({ status: "B", keyID: key }), `Bad signature from key ${key}`);
  assert.equal(signatureInfo({ status: "E", keyID: key }), `UNKNOWN signature: key ${key} is not in argocd-gpg-keys-cm`);
});
