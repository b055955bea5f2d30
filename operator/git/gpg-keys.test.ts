import { test } from "node:test";
import assert from "node:assert/strict";
import { SigningFixture } from "../../test/support/gpg.js";
import { GpgKeyError, parseColonListing, readPublicKeys } from "./gpg-keys.js";

test("parseColonListing: primary key id, fingerprint, first uid, validity and curve; subkeys' fingerprints ignored", () => {
  const text = [
    "tru::1:1700000000:0:3:1:5",
    "pub:-:255:22:0123456789ABCDEF:1700000000:::-:::scSC:::::ed25519:::0:",
    "fpr:::::::::AAAABBBBCCCCDDDDEEEEFFFF0123456789ABCDEF:",
    "uid:-::::1700000000::HASH::Jane Doe <jane\\x3aq@example.com>::::::::::0:",
    "uid:-::::1700000000::HASH::Second <s@example.com>::::::::::0:",
    "sub:-:255:18:1111222233334444:1700000000::::::e:::::cv25519::",
    "fpr:::::::::99998888777766665555444433332222111100FF:",
    "pub:u:4096:1:fedcba9876543210:1700000000:::u:::scESC::::::23::0:",
    "fpr:::::::::1234123412341234123412341234FEDCBA9876543210:",
  ].join("\n");
  assert.deepEqual(parseColonListing(text), [
    { keyID: "0123456789ABCDEF", fingerprint: "AAAABBBBCCCCDDDDEEEEFFFF0123456789ABCDEF", owner: "Jane Doe <jane:q@example.com>", trust: "unknown", subType: "ed25519" },
    { keyID: "FEDCBA9876543210", fingerprint: "1234123412341234123412341234FEDCBA9876543210", owner: "", trust: "ultimate", subType: "rsa4096" },
  ]);
});

test("readPublicKeys: a real key's id and fingerprint as gpg reports them; private, broken and non-key data refused", async (t) => {
  const fx = await SigningFixture.create();
  t.after(() => fx.cleanup());
  const key = await fx.key("alice");
  const keys = await readPublicKeys(key.armoured);
  assert.equal(keys.length, 1, "one key in the block");
  assert.equal(keys[0]!.keyID, key.keyID.toUpperCase(), "the long key id is the fingerprint's tail");
  assert.equal(keys[0]!.fingerprint, key.fpr.toUpperCase());
  assert.equal(keys[0]!.owner, "alice <alice@hawser.invalid>");
  assert.equal(keys[0]!.subType, "ed25519");
  assert.match(keys[0]!.keyData, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/, "the key's own armoured export");

  await assert.rejects(readPublicKeys("-----BEGIN PGP PRIVATE KEY BLOCK-----\nxx\n-----END PGP PRIVATE KEY BLOCK-----\n"), (e: unknown) => e instanceof GpgKeyError && /private key/.test(e.message));
  await assert.rejects(readPublicKeys("not a key"), (e: unknown) => e instanceof GpgKeyError && /ASCII-armoured public key/.test(e.message));
  const broken = key.armoured.replace(/\n([A-Za-z0-9+/]{20})/, "\n!!!!$1");
  await assert.rejects(readPublicKeys(broken), (e: unknown) => e instanceof GpgKeyError && /could not be imported|no public key/.test(e.message), "a corrupted key is refused with gpg's reason");
});
