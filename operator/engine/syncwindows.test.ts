import { test } from "node:test";
import assert from "node:assert/strict";
import type { SyncWindow } from "../api/index.js";
import { runningSyncVerdict, syncWindowVerdict, windowStates, type SyncKind, type SyncWindowVerdictInput } from "./syncwindows.js";

const IN_CLUSTER = "https://kubernetes.default.svc";

interface VerdictCase {
  name: string;
  windows: SyncWindow[];
  now: string;
  kind?: SyncKind;
  app?: string;
  destination?: SyncWindowVerdictInput["destination"];
  allowed: boolean;
  /** Expected nextChangeAt (ISO), or null for none. */
  next: string | null;
  /** Substrings the message must contain. */
  says?: string[];
}

const deny = (schedule: string, duration: string, extra: Partial<SyncWindow> = {}): SyncWindow => ({ kind: "deny", schedule, duration, applications: ["*"], ...extra });
const allow = (schedule: string, duration: string, extra: Partial<SyncWindow> = {}): SyncWindow => ({ kind: "allow", schedule, duration, applications: ["*"], ...extra });

function verdictOf(c: Pick<VerdictCase, "windows" | "now" | "kind" | "app" | "destination">): ReturnType<typeof syncWindowVerdict> {
  return syncWindowVerdict({
    windows: c.windows,
    app: { name: c.app ?? "web", namespace: "argocd" },
    destination: c.destination ?? { server: IN_CLUSTER, namespace: "prod" },
    now: new Date(c.now),
    kind: c.kind ?? "automated",
  });
}

function check(c: VerdictCase): void {
  const v = verdictOf(c);
  assert.equal(v.allowed, c.allowed, `allowed: ${v.message}`);
  assert.equal(v.nextChangeAt?.toISOString() ?? null, c.next === null ? null : new Date(c.next).toISOString(), `nextChangeAt: ${v.message}`);
  for (const s of c.says ?? []) assert.ok(v.message.includes(s), `message ${JSON.stringify(v.message)} should contain ${JSON.stringify(s)}`);
}

// ---- Argo's rules ----

const rules: VerdictCase[] = [
  { name: "no windows: allowed, nothing to wait for", windows: [], now: "2026-06-01T12:00:00Z", allowed: true, next: null, says: ["no sync window matches"] },
  {
    name: "a window matching another app does nothing",
    windows: [deny("* * * * *", "1h", { applications: ["db-*"] })],
    now: "2026-06-01T12:00:00Z", allowed: true, next: null, says: ["no sync window matches"],
  },
  {
    name: "a window with no selector matches no app",
    windows: [{ kind: "deny", schedule: "* * * * *", duration: "1h" }],
    now: "2026-06-01T12:00:00Z", allowed: true, next: null,
  },
  {
    name: "active deny blocks automated sync until it closes",
    windows: [deny("0 12 * * *", "2h")],
    now: "2026-06-01T12:30:00Z", allowed: false, next: "2026-06-01T14:00:00Z",
    says: ['automated sync is blocked by deny window 0 (schedule "0 12 * * *", duration 2h, timeZone UTC) until 2026-06-01T14:00:00Z'],
  },
  {
    name: "active deny without manualSync blocks manual sync",
    windows: [deny("0 12 * * *", "2h")], kind: "manual",
    now: "2026-06-01T12:30:00Z", allowed: false, next: "2026-06-01T14:00:00Z", says: ["manualSync is not set"],
  },
  {
    name: "active deny with manualSync lets manual sync through",
    windows: [deny("0 12 * * *", "2h", { manualSync: true })], kind: "manual",
    now: "2026-06-01T12:30:00Z", allowed: true, next: null, says: ["manualSync lets manual syncs through deny window 0"],
  },
  {
    name: "manualSync on a deny window does not let automated sync through",
    windows: [deny("0 12 * * *", "2h", { manualSync: true })],
    now: "2026-06-01T12:30:00Z", allowed: false, next: "2026-06-01T14:00:00Z",
  },
  {
    name: "manual sync needs manualSync on every active deny window",
    windows: [deny("0 12 * * *", "2h", { manualSync: true }), deny("0 11 * * *", "3h")], kind: "manual",
    now: "2026-06-01T12:30:00Z", allowed: false, next: "2026-06-01T14:00:00Z", says: ["deny window 0", "deny window 1"],
  },
  {
    name: "manualSync on an inactive deny window is irrelevant while another deny is active",
    windows: [deny("0 12 * * *", "2h"), deny("0 20 * * *", "1h", { manualSync: true })], kind: "manual",
    now: "2026-06-01T12:30:00Z", allowed: false, next: "2026-06-01T14:00:00Z",
  },
  {
    name: "only inactive deny windows: allowed until the next one opens",
    windows: [deny("0 22 * * *", "1h"), deny("0 20 * * *", "1h")],
    now: "2026-06-01T12:30:00Z", allowed: true, next: "2026-06-01T20:00:00Z", says: ["no matching deny window is active"],
  },
  {
    name: "active allow window: allowed until it closes",
    windows: [allow("0 8 * * *", "10h")],
    now: "2026-06-01T12:30:00Z", allowed: true, next: "2026-06-01T18:00:00Z", says: ["inside allow window 0"],
  },
  {
    name: "allow windows match but none is active: automated sync waits for the next opening",
    windows: [allow("0 8 * * *", "10h"), allow("0 20 * * *", "1h")],
    now: "2026-06-01T18:30:00Z", allowed: false, next: "2026-06-01T20:00:00Z",
    says: ["automated sync is blocked outside every matching allow window", "allow window 0", "allow window 1"],
  },
  {
    name: "outside allow windows, manual sync is blocked when none has manualSync",
    windows: [allow("0 8 * * *", "10h")], kind: "manual",
    now: "2026-06-01T18:30:00Z", allowed: false, next: "2026-06-02T08:00:00Z", says: ["none has manualSync"],
  },
  {
    name: "outside allow windows, manual sync passes when any inactive allow window has manualSync",
    windows: [allow("0 8 * * *", "10h"), allow("0 20 * * *", "1h", { manualSync: true })], kind: "manual",
    now: "2026-06-01T18:30:00Z", allowed: true, next: null, says: ["manualSync on allow window 1"],
  },
  {
    name: "deny wins over an overlapping active allow",
    windows: [allow("0 8 * * *", "10h"), deny("0 12 * * *", "1h")],
    now: "2026-06-01T12:30:00Z", allowed: false, next: "2026-06-01T13:00:00Z", says: ["deny window 1"],
  },
  {
    name: "overlap: the deny outlasts the allow, so the next change is the next allow opening",
    windows: [allow("0 8 * * *", "4h"), deny("0 11 * * *", "3h")],
    now: "2026-06-01T11:30:00Z", allowed: false, next: "2026-06-02T08:00:00Z",
  },
  {
    name: "overlap: inside the allow, before the deny opens",
    windows: [allow("0 8 * * *", "10h"), deny("0 12 * * *", "1h")],
    now: "2026-06-01T09:00:00Z", allowed: true, next: "2026-06-01T12:00:00Z",
  },
  {
    name: "an allow window for other apps does not restrict this one",
    windows: [allow("0 8 * * *", "1h", { applications: ["db"] })],
    now: "2026-06-01T12:00:00Z", allowed: true, next: null,
  },
  {
    name: "back-to-back starts keep a window open: hourly for an hour is never closed",
    windows: [deny("0 * * * *", "1h")],
    now: "2026-06-01T12:30:00Z", allowed: false, next: null,
  },
  {
    name: "an hourly window over working hours closes an hour after the last start",
    windows: [allow("0 9-17 * * 1-5", "1h")],
    now: "2026-06-01T10:30:00Z", allowed: true, next: "2026-06-01T18:00:00Z",
  },
  {
    name: "every minute, one minute long, Monday to Friday 9-17: one stretch to 18:00",
    windows: [allow("* 9-17 * * 1-5", "1m")],
    now: "2026-06-01T09:00:30Z", allowed: true, next: "2026-06-01T18:00:00Z",
  },
];

for (const c of rules) test(`sync windows: ${c.name}`, () => check(c));

// ---- selectors ----

test("sync windows: each selector kind matches on its own, with gobwas globs", () => {
  const matchCases: Array<{ window: Partial<SyncWindow>; app?: string; destination?: SyncWindowVerdictInput["destination"]; matches: boolean }> = [
    { window: { applications: ["web"] }, matches: true },
    { window: { applications: ["we?"] }, matches: true },
    { window: { applications: ["w[a-f]b"] }, matches: true },
    { window: { applications: ["w[!e]b"] }, matches: false },
    { window: { applications: ["{db,web}"] }, matches: true },
    { window: { applications: ["db", "cache"] }, matches: false },
    { window: { namespaces: ["prod"] }, matches: true },
    { window: { namespaces: ["pro*"] }, matches: true },
    { window: { namespaces: ["dev"] }, matches: false },
    { window: { clusters: ["https://kubernetes.*"] }, matches: true },
    { window: { clusters: ["in-cluster"] }, matches: false },
    { window: { clusters: ["prod-*"] }, destination: { name: "prod-eu", namespace: "prod" }, matches: true },
    { window: { clusters: ["https://prod.example.com:6443"] }, destination: { server: "https://prod.example.com:6443", namespace: "x" }, matches: true },
    { window: { clusters: ["prod-*"] }, destination: { server: "https://prod.example.com", name: "staging", namespace: "x" }, matches: false },
    // The Application's own namespace is not the destination namespace.
    { window: { namespaces: ["argocd"] }, matches: false },
  ];
  for (const m of matchCases) {
    const w: SyncWindow = { kind: "deny", schedule: "* * * * *", duration: "1h", ...m.window };
    const v = verdictOf({ windows: [w], now: "2026-06-01T12:00:00Z", ...(m.app ? { app: m.app } : {}), ...(m.destination ? { destination: m.destination } : {}) });
    assert.equal(!v.allowed, m.matches, `${JSON.stringify(m)}: ${v.message}`);
  }
});

test("sync windows: selectors are OR'd, or AND'd with andOperator", () => {
  const base = { kind: "deny" as const, schedule: "* * * * *", duration: "1h", applications: ["web-*"], namespaces: ["prod"] };
  const cases: Array<{ andOperator: boolean; app: string; ns: string; matches: boolean }> = [
    { andOperator: false, app: "web-1", ns: "prod", matches: true },
    { andOperator: false, app: "web-1", ns: "dev", matches: true },
    { andOperator: false, app: "db", ns: "prod", matches: true },
    { andOperator: false, app: "db", ns: "dev", matches: false },
    { andOperator: true, app: "web-1", ns: "prod", matches: true },
    { andOperator: true, app: "web-1", ns: "dev", matches: false },
    { andOperator: true, app: "db", ns: "prod", matches: false },
  ];
  for (const c of cases) {
    const v = verdictOf({ windows: [{ ...base, andOperator: c.andOperator }], app: c.app, destination: { server: IN_CLUSTER, namespace: c.ns }, now: "2026-06-01T12:00:00Z" });
    assert.equal(!v.allowed, c.matches, `${JSON.stringify(c)}: ${v.message}`);
  }
  // With andOperator every selector that is set must match; a cluster selector joins in.
  const withCluster = { ...base, andOperator: true, clusters: ["https://other.example.com"] };
  assert.equal(verdictOf({ windows: [withCluster], app: "web-1", now: "2026-06-01T12:00:00Z" }).allowed, true, "cluster selector does not match");
  // Argo: andOperator with no selector at all matches every app.
  const bare: SyncWindow = { kind: "deny", schedule: "* * * * *", duration: "1h", andOperator: true };
  assert.equal(verdictOf({ windows: [bare], now: "2026-06-01T12:00:00Z" }).allowed, false, "andOperator without selectors matches all");
});

// ---- clock edges ----

test("sync windows: a window spanning midnight, open at its start and closed at its end", () => {
  const windows = [deny("0 23 * * *", "2h")];
  const at = (now: string): boolean => verdictOf({ windows, now }).allowed;
  assert.equal(at("2026-06-01T22:59:59Z"), true, "before the start");
  assert.equal(at("2026-06-01T23:00:00Z"), false, "at the start");
  assert.equal(at("2026-06-02T00:30:00Z"), false, "after midnight");
  assert.equal(at("2026-06-02T00:59:59.999Z"), false, "just before the end");
  assert.equal(at("2026-06-02T01:00:00Z"), true, "at the end");
  assert.equal(verdictOf({ windows, now: "2026-06-02T00:30:00Z" }).nextChangeAt?.toISOString(), "2026-06-02T01:00:00.000Z", "closes the next day");
  assert.equal(verdictOf({ windows, now: "2026-06-02T01:00:00Z" }).nextChangeAt?.toISOString(), "2026-06-02T23:00:00.000Z", "opens again at 23:00");
});

const dst: VerdictCase[] = [
  // Europe/Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
  {
    name: "Berlin spring: a daily 09:00 window moves from 08:00Z to 07:00Z",
    windows: [allow("0 9 * * *", "1h", { timeZone: "Europe/Berlin" })],
    now: "2026-03-28T12:00:00Z", allowed: false, next: "2026-03-29T07:00:00Z",
  },
  {
    name: "Berlin spring: before the change it opens at 08:00Z",
    windows: [allow("0 9 * * *", "1h", { timeZone: "Europe/Berlin" })],
    now: "2026-03-27T12:00:00Z", allowed: false, next: "2026-03-28T08:00:00Z",
  },
  {
    name: "Berlin spring: a start inside the skipped hour (02:30) opens at 03:00 CEST",
    windows: [deny("30 2 * * *", "1h", { timeZone: "Europe/Berlin" })],
    now: "2026-03-28T23:00:00Z", allowed: true, next: "2026-03-29T01:00:00Z",
  },
  {
    name: "Berlin spring: the skipped-hour window lasts its full hour of elapsed time",
    windows: [deny("30 2 * * *", "1h", { timeZone: "Europe/Berlin" })],
    now: "2026-03-29T01:30:00Z", allowed: false, next: "2026-03-29T02:00:00Z",
  },
  {
    name: "Berlin spring: a 3h window from 01:00 CET ends at 05:00 CEST (3h elapsed)",
    windows: [deny("0 1 * * *", "3h", { timeZone: "Europe/Berlin" })],
    now: "2026-03-29T02:30:00Z", allowed: false, next: "2026-03-29T03:00:00Z", says: ["timeZone Europe/Berlin", "until 2026-03-29T03:00:00Z"],
  },
  // Europe/Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00Z); 02:xx happens twice.
  {
    name: "Berlin autumn: a fixed start in the repeated hour opens once, at its first occurrence",
    windows: [deny("30 2 * * *", "1h", { timeZone: "Europe/Berlin" })],
    now: "2026-10-25T01:15:00Z", allowed: false, next: "2026-10-25T01:30:00Z",
  },
  {
    name: "Berlin autumn: it does not open again at the second 02:30",
    windows: [deny("30 2 * * *", "1h", { timeZone: "Europe/Berlin" })],
    now: "2026-10-25T01:45:00Z", allowed: true, next: "2026-10-26T01:30:00Z",
  },
  {
    name: "Berlin autumn: an interval schedule (*/30 in hour 2) runs on both occurrences, back to back",
    windows: [deny("*/30 2 * * *", "30m", { timeZone: "Europe/Berlin" })],
    now: "2026-10-25T00:10:00Z", allowed: false, next: "2026-10-25T02:00:00Z",
  },
  {
    name: "Berlin autumn: a daily 09:00 window moves from 07:00Z to 08:00Z",
    windows: [allow("0 9 * * *", "1h", { timeZone: "Europe/Berlin" })],
    now: "2026-10-24T12:00:00Z", allowed: false, next: "2026-10-25T08:00:00Z",
  },
  // America/New_York, 2026-03-08 (EST → EDT) and 2026-11-01 (EDT → EST).
  {
    name: "New York spring: a weekday 09:00 window opens at 14:00Z on Friday and 13:00Z on Monday",
    windows: [allow("0 9 * * 1-5", "8h", { timeZone: "America/New_York" })],
    now: "2026-03-07T12:00:00Z", allowed: false, next: "2026-03-09T13:00:00Z",
  },
  {
    name: "New York spring: Friday's window is on EST",
    windows: [allow("0 9 * * 1-5", "8h", { timeZone: "America/New_York" })],
    now: "2026-03-06T14:30:00Z", allowed: true, next: "2026-03-06T22:00:00Z",
  },
  {
    name: "New York autumn: Monday after the change opens at 14:00Z",
    windows: [allow("0 9 * * 1-5", "8h", { timeZone: "America/New_York" })],
    now: "2026-10-31T12:00:00Z", allowed: false, next: "2026-11-02T14:00:00Z",
  },
];

for (const c of dst) test(`sync windows DST: ${c.name}`, () => check(c));

// ---- schedules read as robfig/cron reads them ----

/** The next n openings of a one-minute window with this schedule, from `from`. */
function openings(schedule: string, from: string, n: number): string[] {
  const out: string[] = [];
  let t = new Date(from);
  while (out.length < n) {
    const [s] = windowStates([{ kind: "deny", schedule, duration: "1m" }], t);
    assert.ok(s && !s.error && s.nextChangeAt, `state of ${schedule}: ${JSON.stringify(s)}`);
    if (!s.active) out.push(s.nextChangeAt.toISOString().replace(/:00\.000Z$/, "Z"));
    t = s.nextChangeAt;
  }
  return out;
}

test("sync windows: schedules follow robfig/cron (Argo's parser)", () => {
  const from = "2026-01-01T00:00:00Z"; // a Thursday
  // Day of month and day of week: OR when both are restricted, AND when either is a wildcard ("*/2" counts).
  assert.deepEqual(openings("0 0 13 * 5", from, 3), ["2026-01-02T00:00Z", "2026-01-09T00:00Z", "2026-01-13T00:00Z"], "13th or Friday");
  assert.deepEqual(openings("0 0 */2 * 1", from, 3), ["2026-01-05T00:00Z", "2026-01-19T00:00Z", "2026-02-09T00:00Z"], "odd days that are Mondays");
  assert.deepEqual(openings("0 0 ? * MON", from, 2), ["2026-01-05T00:00Z", "2026-01-12T00:00Z"], "? is a wildcard");
  // N/S is N through the maximum; a step longer than the range leaves its start.
  assert.deepEqual(openings("5/20 0 * * *", from, 3), ["2026-01-01T00:05Z", "2026-01-01T00:25Z", "2026-01-01T00:45Z"], "5/20");
  assert.deepEqual(openings("*/90 3 * * *", from, 2), ["2026-01-01T03:00Z", "2026-01-02T03:00Z"], "*/90 is minute 0");
  assert.deepEqual(openings("0 12 1 jan,Jul *", from, 2), ["2026-01-01T12:00Z", "2026-07-01T12:00Z"], "month names, any case");
  assert.deepEqual(openings("0 6 * * SAT,sun", from, 2), ["2026-01-03T06:00Z", "2026-01-04T06:00Z"], "day names");
  assert.deepEqual(openings("0 6 * * tue-THU", from, 2), ["2026-01-01T06:00Z", "2026-01-06T06:00Z"], "day name range");
});

// ---- invalid windows fail closed ----

test("sync windows: an invalid matching window blocks every sync and names the field", () => {
  const invalid: Array<{ window: Partial<SyncWindow> & Record<string, unknown>; says: string }> = [
    { window: { kind: "Deny" as SyncWindow["kind"] }, says: 'spec.syncWindows[1].kind: "Deny" is neither allow nor deny' },
    { window: { kind: undefined }, says: 'spec.syncWindows[1].kind: "" is neither allow nor deny' },
    { window: { schedule: "@daily" }, says: 'spec.syncWindows[1].schedule: "@daily": expected exactly 5 fields' },
    { window: { schedule: "0 0 * * * *" }, says: "expected exactly 5 fields (minute hour day-of-month month day-of-week), found 6" },
    { window: { schedule: "60 * * * *" }, says: 'minute "60": 60 is outside 0-59' },
    { window: { schedule: "0 0 * * 7" }, says: 'day of week "7": 7 is outside 0-6' },
    { window: { schedule: "0 0 L * *" }, says: 'day of month "L": "L" is not a number' },
    { window: { schedule: "0 0 15W * *" }, says: '"15W" is not a number' },
    { window: { schedule: "0 0 * * 5#2" }, says: '"5#2" is not a number or a name' },
    { window: { schedule: "*/0 * * * *" }, says: 'step of minute "*/0" should be a positive number' },
    { window: { schedule: "0 5-3 * * *" }, says: "beginning of range 5 beyond end of range 3" },
    { window: { schedule: "0 0 31 2 *" }, says: "never matches a date" },
    { window: { schedule: "" }, says: "spec.syncWindows[1].schedule: missing" },
    { window: { duration: "1d" }, says: 'spec.syncWindows[1].duration: time: unknown unit "d" in duration "1d"' },
    { window: { duration: "1h30" }, says: 'time: missing unit in duration "1h30"' },
    { window: { duration: "" }, says: "spec.syncWindows[1].duration: missing" },
    { window: { duration: "0s" }, says: 'spec.syncWindows[1].duration: "0s" is not a positive duration' },
    { window: { duration: "-1h" }, says: '"-1h" is not a positive duration' },
    { window: { timeZone: "Mars/Olympus_Mons" }, says: 'spec.syncWindows[1].timeZone: unknown time zone "Mars/Olympus_Mons"' },
    { window: { timeZone: "+02:00" }, says: 'unknown time zone "+02:00"' },
    { window: { timeZone: "Local" }, says: 'unknown time zone "Local"' },
    { window: { namespaces: "prod" as unknown as string[] }, says: "spec.syncWindows[1].namespaces: must be a list of glob strings" },
  ];
  const good = allow("0 8 * * *", "24h");
  for (const c of invalid) {
    const bad: SyncWindow = { ...allow("0 8 * * *", "1h"), ...c.window };
    for (const kind of ["automated", "manual"] as const) {
      const v = verdictOf({ windows: [good, { ...bad, manualSync: true }], now: "2026-06-01T12:00:00Z", kind });
      assert.equal(v.allowed, false, `${JSON.stringify(c.window)} ${kind}: ${v.message}`);
      assert.equal(v.nextChangeAt, undefined, `no requeue for ${JSON.stringify(c.window)}`);
      assert.ok(v.message.includes(c.says), `${JSON.stringify(v.message)} should contain ${JSON.stringify(c.says)}`);
      assert.ok(v.message.startsWith(`${kind} sync is blocked: invalid sync window: `), v.message);
    }
  }
  // Several problems in one window are all named.
  const both = verdictOf({ windows: [{ kind: "deny", schedule: "x", duration: "y", applications: ["*"] }], now: "2026-06-01T12:00:00Z" });
  assert.ok(both.message.includes("spec.syncWindows[0].schedule") && both.message.includes("spec.syncWindows[0].duration"), both.message);
});

test("sync windows: an invalid window for other apps does not block this one", () => {
  const v = verdictOf({ windows: [deny("@daily", "1d", { applications: ["db"] })], now: "2026-06-01T12:00:00Z" });
  assert.equal(v.allowed, true, v.message);
});

test("sync windows: a valid timeZone alias and an unset one (UTC) both work", () => {
  const states = windowStates([allow("0 9 * * *", "1h", { timeZone: "US/Eastern" }), allow("0 9 * * *", "1h")], new Date("2026-06-01T00:00:00Z"));
  assert.deepEqual(states.map((s) => [s.error ?? "", s.nextChangeAt?.toISOString()]), [
    ["", "2026-06-01T13:00:00.000Z"],
    ["", "2026-06-01T09:00:00.000Z"],
  ]);
});

// ---- windowStates ----

test("windowStates: every window with its state, next edge or error", () => {
  const windows: SyncWindow[] = [
    deny("0 22 * * *", "8h", { timeZone: "Europe/Berlin" }),
    allow("0 6 * * 1-5", "12h", { applications: ["other"] }),
    { kind: "deny", schedule: "bad", duration: "1h" },
  ];
  const states = windowStates(windows, new Date("2026-06-01T23:00:00Z")); // 01:00 CEST on Tuesday
  assert.deepEqual(states.map((s) => ({ index: s.index, active: s.active, next: s.nextChangeAt?.toISOString(), error: s.error })), [
    { index: 0, active: true, next: "2026-06-02T04:00:00.000Z", error: undefined },
    { index: 1, active: false, next: "2026-06-02T06:00:00.000Z", error: undefined },
    { index: 2, active: false, next: undefined, error: 'spec.syncWindows[2].schedule: "bad": expected exactly 5 fields (minute hour day-of-month month day-of-week), found 1' },
  ]);
  assert.equal(states[1]?.window, windows[1], "the window itself is passed through");
  assert.deepEqual(windowStates(undefined, new Date()), [], "no windows");
});

// ---- a running sync at a window edge (syncOverrun) ----

interface RunningCase {
  name: string;
  windows: SyncWindow[];
  startedAt: string;
  now: string;
  allowed: boolean;
  says: string;
}

const running: RunningCase[] = [
  {
    name: "a deny window opening pauses a running sync without syncOverrun",
    windows: [deny("0 12 * * *", "1h")], startedAt: "2026-06-01T11:58:00Z", now: "2026-06-01T12:01:00Z",
    allowed: false, says: "automated sync is blocked by deny window 0",
  },
  {
    name: "with syncOverrun on the deny window the running sync continues",
    windows: [deny("0 12 * * *", "1h", { syncOverrun: true })], startedAt: "2026-06-01T11:58:00Z", now: "2026-06-01T12:01:00Z",
    allowed: true, says: "started at 2026-06-01T11:58:00Z continues: syncOverrun is set on deny window 0",
  },
  {
    name: "syncOverrun must be set on every active deny window",
    windows: [deny("0 12 * * *", "1h", { syncOverrun: true }), deny("0 12 * * *", "2h")], startedAt: "2026-06-01T11:58:00Z", now: "2026-06-01T12:01:00Z",
    allowed: false, says: "blocked by deny window 0",
  },
  {
    name: "syncOverrun does not let through a sync that started while blocked",
    windows: [deny("0 12 * * *", "1h", { syncOverrun: true })], startedAt: "2026-06-01T12:00:30Z", now: "2026-06-01T12:01:00Z",
    allowed: false, says: "blocked by deny window 0",
  },
  {
    name: "an allow window closing pauses a running sync without syncOverrun",
    windows: [allow("0 12 * * *", "1h")], startedAt: "2026-06-01T12:59:00Z", now: "2026-06-01T13:00:30Z",
    allowed: false, says: "outside every matching allow window",
  },
  {
    name: "an allow window with syncOverrun lets the running sync finish after it closes",
    windows: [allow("0 12 * * *", "1h", { syncOverrun: true })], startedAt: "2026-06-01T12:59:00Z", now: "2026-06-01T13:00:30Z",
    allowed: true, says: "syncOverrun is set on allow window 0",
  },
  {
    name: "nothing blocking: the running sync goes on",
    windows: [deny("0 2 * * *", "1h")], startedAt: "2026-06-01T11:58:00Z", now: "2026-06-01T12:01:00Z",
    allowed: true, says: "automated sync is allowed",
  },
  {
    name: "an invalid matching window blocks a running sync too (fail closed)",
    windows: [deny("0 12 * *", "1h", { syncOverrun: true })], startedAt: "2026-06-01T11:58:00Z", now: "2026-06-01T12:01:00Z",
    allowed: false, says: "spec.syncWindows[0].schedule",
  },
];

for (const c of running) {
  test(`running sync: ${c.name}`, () => {
    const v = runningSyncVerdict({
      windows: c.windows, app: { name: "web", namespace: "argocd" }, destination: { server: IN_CLUSTER, namespace: "prod" },
      now: new Date(c.now), startedAt: new Date(c.startedAt), kind: "automated",
    });
    assert.equal(v.allowed, c.allowed, v.message);
    assert.ok(v.message.includes(c.says), `message ${JSON.stringify(v.message)} should contain ${JSON.stringify(c.says)}`);
  });
}
