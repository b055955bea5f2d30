import { test } from "node:test";
import assert from "node:assert/strict";
import type { SyncWindow } from "../../api/index.js";
import { formatInZone, windowsTable } from "./windows.js";

const windows: SyncWindow[] = [
  { kind: "deny", schedule: "0 22 * * *", duration: "8h", timeZone: "Europe/Berlin", applications: ["web-*", "api"], manualSync: true },
  { kind: "allow", schedule: "0 6 * * 1-5", duration: "12h", namespaces: ["prod"], clusters: ["in-cluster"], andOperator: true },
  { kind: "deny", schedule: "@daily", duration: "1h", applications: ["*"] },
];

test("proj windows list: one row per window with its state and next change in its own zone", () => {
  // 01:00 CEST on Tuesday 2026-06-02: the Berlin freeze (22:00-06:00 local) is on.
  const out = windowsTable("team-a", windows, new Date("2026-06-01T23:00:00Z"));
  assert.equal(out, [
    "ID  STATUS    KIND   SCHEDULE     DURATION  APPLICATIONS  NAMESPACES  CLUSTERS    MANUALSYNC  TIMEZONE       USEANDOPERATOR  NEXTCHANGE",
    "0   Active    deny   0 22 * * *   8h        web-*,api     -           -           Enabled     Europe/Berlin  Disabled        2026-06-02T06:00+02:00",
    "1   Inactive  allow  0 6 * * 1-5  12h       -             prod        in-cluster  Disabled    UTC            Enabled         2026-06-02T06:00+00:00",
    "2   Invalid   deny   @daily       1h        *             -           -           Disabled    UTC            Disabled        -",
    "",
    "Invalid windows block every sync of the applications they match:",
    'invalid window 2: spec.syncWindows[2].schedule: "@daily": expected exactly 5 fields (minute hour day-of-month month day-of-week), found 1',
    "",
  ].join("\n"));
});

test("proj windows list: the state follows the clock", () => {
  // 08:00 UTC on Tuesday: the freeze ended at 04:00Z, the allow window is open until 18:00Z.
  const rows = windowsTable("team-a", windows.slice(0, 2), new Date("2026-06-02T08:00:00Z")).split("\n");
  assert.match(rows[1] ?? "", /^0\s+Inactive\s+deny\s.*\s2026-06-02T22:00\+02:00$/, rows.join("\n"));
  assert.match(rows[2] ?? "", /^1\s+Active\s+allow\s.*\s2026-06-02T18:00\+00:00$/, rows.join("\n"));
});

test("proj windows list: a project without windows says so", () => {
  assert.equal(windowsTable("team-b", undefined, new Date()), "AppProject team-b has no sync windows\n");
  assert.equal(windowsTable("team-b", [], new Date()), "AppProject team-b has no sync windows\n");
});

test("proj windows list: next changes are shown in the window's zone, across DST", () => {
  assert.equal(formatInZone(new Date("2026-03-29T01:00:00Z"), "Europe/Berlin"), "2026-03-29T03:00+02:00", "after spring forward");
  assert.equal(formatInZone(new Date("2026-03-29T00:59:00Z"), "Europe/Berlin"), "2026-03-29T01:59+01:00", "before it");
  assert.equal(formatInZone(new Date("2026-10-25T00:30:00Z"), "Europe/Berlin"), "2026-10-25T02:30+02:00", "first 02:30 in autumn");
  assert.equal(formatInZone(new Date("2026-10-25T01:30:00Z"), "Europe/Berlin"), "2026-10-25T02:30+01:00", "second 02:30");
  assert.equal(formatInZone(new Date("2026-03-09T13:00:00Z"), "America/New_York"), "2026-03-09T09:00-04:00", "New York summer time");
  assert.equal(formatInZone(new Date("2026-06-01T00:00:00Z"), "Nowhere/Else"), "2026-06-01T00:00Z", "an unknown zone falls back to UTC");
});
