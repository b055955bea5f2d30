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
// eslint-disable-next-line no-restricted-imports -- tests read their YAML fixtures; the code under test does not
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { parseArgoSettings } from "../settings.js";
import { diff, maskSecrets, type DiffMode, type DiffOptions, type IgnoreDifferencesEntry, type JsonObject } from "./index.js";

const testdata = fileURLToPath(new URL("./testdata/", import.meta.url));

interface Expect {
  modified: boolean;
  mode: DiffMode;
  predictedLive?: JsonObject | null;
  normalizedLive?: JsonObject | null;
  normalizedDesired?: JsonObject | null;
  warnings?: string[];
  ignoreExtraneous?: boolean;
  maskedData?: { live?: JsonObject; predicted?: JsonObject };
}

interface Fixture {
  from?: string;
  desired?: JsonObject | null;
  live?: JsonObject | null;
  options?: { ignoreDifferences?: IgnoreDifferencesEntry[]; argocdCm?: Record<string, string>; fieldManager?: string; serverSideResult?: JsonObject };
  expect: Expect;
  gap?: string;
}

const FIXTURE_KEYS = new Set(["from", "desired", "live", "options", "expect", "gap"]);
const OPTION_KEYS = new Set(["ignoreDifferences", "argocdCm", "fieldManager", "serverSideResult"]);
const EXPECT_KEYS = new Set(["modified", "mode", "predictedLive", "normalizedLive", "normalizedDesired", "warnings", "ignoreExtraneous", "maskedData"]);

function read(file: string): Fixture {
  return parse(readFileSync(join(testdata, file), "utf8"), { version: "1.1" }) as Fixture;
}

/** The fixture with `from` resolved; a misspelt key is an error, so no expectation is silently skipped. */
function load(file: string): Fixture {
  const fx = read(file);
  const unknown = (keys: Iterable<string>, allowed: Set<string>, where: string): void => {
    const bad = [...keys].filter((k) => !allowed.has(k));
    if (bad.length > 0) throw new Error(`${file}: unknown ${where} key(s) ${bad.join(", ")}`);
  };
  unknown(Object.keys(fx), FIXTURE_KEYS, "top-level");
  unknown(Object.keys(fx.options ?? {}), OPTION_KEYS, "options");
  if (!fx.expect) throw new Error(`${file}: no expect`);
  unknown(Object.keys(fx.expect), EXPECT_KEYS, "expect");
  // `from` may chain; the nearest case that states a side wins.
  for (let from = fx.from, hops = 0; from && !("desired" in fx && "live" in fx); hops++) {
    if (hops > 5) throw new Error(`${file}: \`from\` chain too long`);
    const base = read(from);
    if (!("desired" in fx) && "desired" in base) fx.desired = base.desired;
    if (!("live" in fx) && "live" in base) fx.live = base.live;
    from = base.from;
  }
  if (!("desired" in fx) || !("live" in fx)) throw new Error(`${file}: needs desired and live (or from)`);
  const e = fx.expect;
  if (e.modified && e.mode !== "prune" && !("predictedLive" in e)) throw new Error(`${file}: a modified case states its predictedLive`);
  return fx;
}

function optionsOf(fx: Fixture): DiffOptions {
  const o = fx.options ?? {};
  const opts: DiffOptions = {};
  if (o.ignoreDifferences) opts.ignoreDifferences = o.ignoreDifferences;
  if (o.fieldManager) opts.fieldManager = o.fieldManager;
  if (o.serverSideResult) opts.predictedLive = o.serverSideResult;
  if (o.argocdCm) {
    const settings = parseArgoSettings(o.argocdCm);
    assert.deepEqual(settings.errors, [], "the fixture's argocd-cm parses without errors");
    opts.settings = settings;
  }
  return opts;
}

const files = readdirSync(testdata).filter((f) => f.endsWith(".yaml")).sort();

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
