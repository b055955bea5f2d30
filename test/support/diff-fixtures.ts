// The diff engine's fixture cases (operator/engine/diff/testdata/*.yaml; the format is described in
// operator/engine/diff/fixtures.test.ts): loading with `from` resolved, and the DiffOptions a case
// states. Shared by the fixture runner and by tests that must diff the same as it (the cache's
// trimmed objects, operator/cluster/trim.test.ts).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { parseArgoSettings } from "../../operator/engine/settings.js";
import { type DiffMode, type DiffOptions, type IgnoreDifferencesEntry, type JsonObject } from "../../operator/engine/diff/index.js";

export const testdata = fileURLToPath(new URL("../../operator/engine/diff/testdata/", import.meta.url));

export interface Expect {
  modified: boolean;
  mode: DiffMode;
  predictedLive?: JsonObject | null;
  normalizedLive?: JsonObject | null;
  normalizedDesired?: JsonObject | null;
  warnings?: string[];
  ignoreExtraneous?: boolean;
  maskedData?: { live?: JsonObject; predicted?: JsonObject };
}

export interface Fixture {
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
export function load(file: string): Fixture {
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

export function optionsOf(fx: Fixture): DiffOptions {
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


/** Every case file, sorted. */
export const fixtureFiles = (): string[] => readdirSync(testdata).filter((f) => f.endsWith(".yaml")).sort();
