import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { SigningFixture, run, type TestKey } from "../../test/support/gpg.js";
import { VERIFY_FORMAT } from "../engine/gpg.js";
import { GpgKeyring, GpgKeyringError } from "./gpg.js";

let fx: SigningFixture;
let a: TestKey;
let b: TestKey;
let byA: string;
const keyring = new GpgKeyring({ retireAfterMs: 0 });

before(async () => {
  fx = await SigningFixture.create();
  a = await fx.key("a");
  b = await fx.key("b");
  byA = await fx.commit("one", a);
});
after(async () => {
  await keyring.close();
  await fx.cleanup();
});

/** git's verdict on `sha` with only the keys of `home`. */
const verify = (home: string, sha: string): Promise<string> => run("git", ["log", "-1", `--format=${VERIFY_FORMAT}`, sha], { GNUPGHOME: home }, fx.repo);

test("the home holds exactly the ConfigMap's keys and is reused while they stay the same", async () => {
  const home = await keyring.home({ [a.keyID]: a.armoured });
  assert.match(await verify(home, byA), new RegExp(`^[GU]\x1f${a.keyID}`), "a commit signed by an imported key verifies");
  assert.equal(await keyring.home({ [a.keyID]: a.armoured }), home, "same data, same home: no re-import");
  const onlyB = await keyring.home({ [b.keyID]: b.armoured });
  assert.notEqual(onlyB, home, "changed data gets a new home");
  assert.match(await verify(onlyB, byA), new RegExp(`^E\x1f${a.keyID}`), "a key removed from the ConfigMap no longer verifies");
});

test("a key that will not import fails with the ConfigMap key named, and is not cached", async () => {
  await assert.rejects(keyring.home({ BADKEY0000000000: "not a key" }), (err: unknown) => {
    assert.ok(err instanceof GpgKeyringError, "a GpgKeyringError");
    assert.match(err.message, /argocd-gpg-keys-cm: key "BADKEY0000000000" could not be imported/);
    return true;
  });
  const good = await keyring.home({ [a.keyID]: a.armoured });
  assert.ok(existsSync(good), "a later good ConfigMap gives a working home");
});

test("close removes every home", async () => {
  const k = new GpgKeyring();
  const home = await k.home({ [a.keyID]: a.armoured });
  await k.close();
  assert.equal(existsSync(home), false, "the home is gone after close");
  await assert.rejects(k.home({}), /closed/);
});
