import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SigningFixture, run, type TestKey } from "../../test/support/gpg.js";
import { VERIFY_FORMAT } from "../engine/gpg.js";
import { GpgKeyring } from "../git/gpg.js";
import type { RepoSource } from "../git/types.js";
import { SignatureVerificationError, signatureCheck } from "./signatures.js";

let fx: SigningFixture;
let a: TestKey;
let b: TestKey;
const keyring = new GpgKeyring();
const URL = "https://git.example/repo.git";

before(async () => {
  fx = await SigningFixture.create();
  a = await fx.key("a");
  b = await fx.key("b");
});
after(async () => {
  await keyring.close();
  await fx.cleanup();
});

// Only verifyCommit is used by the check; it runs git as RepoCache does, on the fixture's repository.
const repos = (): RepoSource => ({
  verifyCommit: (_url: string, commit: string, o: { gnupgHome: string }) => run("git", ["log", "-1", `--format=${VERIFY_FORMAT}`, commit], { GNUPGHOME: o.gnupgHome }, fx.repo),
} as unknown as RepoSource);
const home = (): Promise<string> => keyring.home({ [a.keyID]: a.armoured, [b.keyID]: b.armoured });

async function refusal(p: Promise<void>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SignatureVerificationError, `a SignatureVerificationError, got ${String(err)}`);
    return err.message;
  }
  assert.fail("the commit was not refused");
}

test("no signatureKeys, no check", () => {
  assert.equal(signatureCheck({ name: "p" }, repos(), home), undefined, "nothing to verify without signatureKeys");
  assert.equal(signatureCheck({ name: "p", signatureKeys: [] }, repos(), home), undefined, "an empty list requires nothing");
});

test("signed by an allowed key passes; unsigned and other keys are refused", async () => {
  const check = signatureCheck({ name: "p", signatureKeys: [{ keyID: a.keyID }] }, repos(), home);
  assert.ok(check, "a check for a project with signatureKeys");
  const good = await fx.commit("good", a);
  await check(URL, good);
  const unsigned = await fx.commit("unsigned");
  assert.equal(await refusal(check(URL, unsigned)), `Target revision ${unsigned} in Git is not signed, but a signature is required`);
  const byB = await fx.commit("b", b);
  assert.equal(await refusal(check(URL, byB)), `Found good signature made with key ${b.keyID} on revision ${byB}, but this key is not allowed in AppProject`);
});

test("fails closed: malformed key IDs, no keyring, git failing", async () => {
  const sha = await fx.commit("x", a);
  const bad = signatureCheck({ name: "p", signatureKeys: [{ keyID: "abc" }] }, repos(), home);
  assert.match(await refusal(bad!(URL, sha)), /AppProject p: spec\.signatureKeys\[0\]\.keyID "abc" is not a GnuPG key ID/);
  const noKeyring = signatureCheck({ name: "p", signatureKeys: [{ keyID: a.keyID }] }, repos(), undefined);
  assert.match(await refusal(noKeyring!(URL, sha)), /AppProject p requires signatures, but this process cannot verify them/);
  const missing = signatureCheck({ name: "p", signatureKeys: [{ keyID: a.keyID }] }, repos(), home);
  assert.match(await refusal(missing!(URL, "0".repeat(40))), /^Could not verify commit signature on revision '0{40}': /);
});
