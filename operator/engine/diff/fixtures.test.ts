// The diff engine, case by case from fixtures: every testdata/*.yaml is one input (desired, live,
// options) and the exact outcome diff() must give. A case reads:
//
//   # what it shows (a comment)
//   from: other.yaml            # optional: desired and live of another case, unless given here
//   desired: {...} | null       # the manifest from git (null: a prune)
//   live: {...} | null          # the cluster's object (null: a create)
//   options:                    # all optional
//     ignoreDifferences: [...]  # the Application's spec.ignoreDifferences
//     argocdCm: {key: value}    # argocd-cm data (resource.customizations.*, resource.compareoptions)
//     fieldManager: hawser      # our apply field manager (three-way from managedFields)
//     serverSideResult: {...}   # a server-side apply dry run's object: server-side mode
//   expect:
//     modified: bool            # required
//     mode: two-way|three-way|server-side|create|prune|none   # required
//     predictedLive: {...}      # required when modified, but for a prune (null); when not modified
//                               # it must equal normalizedLive, and the runner checks that
//     normalizedLive / normalizedDesired: {...}   # optional, exact
//     warnings: [...]           # exact; absent means none
//     ignoreExtraneous: bool    # absent means false
//     maskedData: {live, predicted}   # Secrets: maskSecrets(normalizedLive, predictedLive) .data
//   gap: "..."                  # Argo CD behaves as `expect` says and Hawser does not yet: the case
//                               # runs as a todo (reported, not failing) until the engine catches up
import { test } from "node:test";
import assert from "node:assert/strict";
import { diff, maskSecrets } from "./index.js";
import { fixtureFiles, load, optionsOf, testdata } from "../../../test/support/diff-fixtures.js";

const files = fixtureFiles();

test("diff fixtures: testdata holds cases", () => {
  assert.ok(files.length >= 30, `expected the diff cases in ${testdata}, found ${files.length}`);
});

for (const file of files) {
  const fx = load(file);
  test(`diff fixture ${file}`, fx.gap ? { todo: fx.gap } : {}, async () => {
    const e = fx.expect;
    const r = await diff(fx.desired ?? null, fx.live ?? null, optionsOf(fx));
    assert.equal(r.mode, e.mode, "mode");
    assert.equal(r.modified, e.modified, `modified (predicted ${JSON.stringify(r.predictedLive)}, live ${JSON.stringify(r.normalizedLive)})`);
    assert.deepEqual(r.warnings, e.warnings ?? [], "warnings");
    assert.equal(r.ignoreExtraneous, e.ignoreExtraneous ?? false, "ignoreExtraneous");
    if (e.mode === "prune") assert.equal(r.predictedLive, null, "a prune predicts nothing");
    if ("predictedLive" in e) assert.deepEqual(r.predictedLive, e.predictedLive, "predictedLive");
    else if (!e.modified && r.normalizedLive) assert.deepEqual(r.predictedLive, r.normalizedLive, "not modified: predicted equals live");
    if ("normalizedLive" in e) assert.deepEqual(r.normalizedLive, e.normalizedLive, "normalizedLive");
    if ("normalizedDesired" in e) assert.deepEqual(r.normalizedDesired, e.normalizedDesired, "normalizedDesired");
    if (e.maskedData) {
      const [live, predicted] = maskSecrets(r.normalizedLive, r.predictedLive);
      assert.deepEqual({ live: live?.data, predicted: predicted?.data }, e.maskedData, "masked Secret data");
    }
  });
}
