// AppProject sync windows (spec.syncWindows): which windows match an Application, when a window is
// active, and whether a sync may start now (Argo CD's SyncWindows.Matches and CanSync). Pure: the
// clock comes in as `now`, and nothing here reads or writes anything.
//
// Argo's rules, kept as they are:
// - Selectors are gobwas globs. A window matches when any selector it sets matches (the app name,
//   the destination namespace, the destination server URL or name); with `andOperator` every
//   selector it sets must match, so such a window with no selector matches every app.
// - An active matching deny window blocks; a manual sync passes only when every active matching
//   deny window has `manualSync`.
// - Otherwise an active matching allow window allows. When allow windows match but none is
//   active, automated syncs wait and a manual sync passes when any of them has `manualSync`.
// - With no matching window, or only inactive deny windows, syncs are allowed.
//
// Where Hawser departs from Argo on purpose (docs/decisions.md, "Sync windows"):
// - The schedule is read as wall-clock time in `timeZone` with the offset in force at each start,
//   so a window keeps its local time across DST changes; Argo applies the zone's offset at the
//   moment of evaluation to every start. A start that falls in a DST gap opens at the end of the
//   gap, a start in a repeated hour opens once (croner's fixed-time rule; a minute or hour field
//   with `*` or a step is an interval and skips the gap instead). Durations are elapsed time.
// - A window is active on [start, start + duration): a requeue at the opening instant sees it open.
// - A matching window that cannot be evaluated blocks every sync and names the field: an unknown
//   kind, a schedule robfig/cron (Argo's parser) would reject, a duration Go would reject or that
//   is not positive, an unknown time zone, a schedule that never fires.
import { Cron } from "croner";
import type { SyncWindow } from "../api/index.js";
import { gobwasMatch } from "../util/glob.js";
import { DurationError, parseGoDuration } from "./sync/duration.js";

export type SyncKind = "automated" | "manual";

export interface SyncWindowVerdictInput {
  /** The AppProject's spec.syncWindows. */
  windows: readonly SyncWindow[] | undefined;
  /** `applications` globs match the name; the Application's own namespace is not part of it (as in Argo). */
  app: { name: string; namespace?: string };
  /** `clusters` globs match `server` or `name`; `namespaces` globs match `namespace`. */
  destination: { server?: string; name?: string; namespace?: string };
  now: Date;
  kind: SyncKind;
}

export interface SyncWindowVerdict {
  allowed: boolean;
  /** Why, naming the deciding window(s) by index, kind, schedule, duration and time zone. */
  message: string;
  /**
   * When the verdict next changes (a window opening or closing that flips it); absent when no
   * window applies, a matching window is invalid, or no change was found within the search.
   */
  nextChangeAt?: Date;
}

export interface SyncWindowState {
  /** Index in spec.syncWindows (the ID `argocd proj windows list` prints). */
  index: number;
  window: SyncWindow;
  active: boolean;
  /** Why the window cannot be evaluated ("spec.syncWindows[2].schedule: ..."), when it cannot. */
  error?: string;
  /** The window's next opening when inactive, its closing when active (absent: none found). */
  nextChangeAt?: Date;
}

// ---- schedules: robfig/cron's 5-field grammar, translated for croner ----

interface CronField { name: string; min: number; max: number; names?: Record<string, number> }

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: readonly CronField[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: Object.fromEntries(MONTHS.map((m, i) => [m, i + 1])) },
  { name: "day of week", min: 0, max: 6, names: Object.fromEntries(DAYS.map((d, i) => [d, i])) },
];

class ScheduleError extends Error {}

/**
 * One field as croner should read it, and whether robfig marks it as a wildcard ("*" or "?" leading
 * any part), which decides how day of month and day of week combine.
 */
function translateField(text: string, field: CronField): { pattern: string; star: boolean } {
  let star = false;
  const parts = text.split(",").map((part) => {
    const [range = "", step, extra] = part.split("/");
    if (extra !== undefined) throw new ScheduleError(`too many slashes in ${field.name} "${part}"`);
    let by = 1;
    if (step !== undefined) {
      if (!/^\d+$/.test(step) || Number(step) === 0) throw new ScheduleError(`step of ${field.name} "${part}" should be a positive number`);
      by = Number(step);
    }
    let low: number;
    let high: number;
    if (range === "*" || range === "?") {
      star = true;
      [low, high] = [field.min, field.max];
    } else {
      const bounds = range.split("-");
      if (bounds.length > 2) throw new ScheduleError(`too many hyphens in ${field.name} "${part}"`);
      const values = bounds.map((b) => fieldValue(b, field, part));
      low = values[0]!;
      // robfig reads "N/S" as N through the maximum, every S.
      high = values[1] ?? (step !== undefined ? field.max : low);
      if (low > high) throw new ScheduleError(`${field.name} "${part}": beginning of range ${low} beyond end of range ${high}`);
    }
    if (star && by === 1) return "*";
    if (low === high || by > high - low) return String(low);
    return by === 1 ? `${low}-${high}` : `${low}-${high}/${by}`;
  });
  return { pattern: parts.join(","), star };
}

function fieldValue(text: string, field: CronField, part: string): number {
  const named = field.names?.[text.toLowerCase()];
  const value = named ?? (/^\d+$/.test(text) ? Number(text) : NaN);
  if (Number.isNaN(value)) throw new ScheduleError(`${field.name} "${part}": "${text}" is not a number${field.names ? " or a name" : ""}`);
  if (value < field.min || value > field.max) throw new ScheduleError(`${field.name} "${part}": ${value} is outside ${field.min}-${field.max}`);
  return value;
}

function compileSchedule(schedule: string, timeZone: string): Cron {
  const fields = schedule.trim().split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) {
    throw new ScheduleError(`expected exactly 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`);
  }
  const translated = fields.map((f, i) => translateField(f, FIELDS[i]!));
  return new Cron(translated.map((t) => t.pattern).join(" "), {
    mode: "5-part",
    timezone: timeZone,
    paused: true,
    // robfig: when either day field is a wildcard both must match, otherwise either may.
    domAndDow: translated[2]!.star || translated[4]!.star,
    fixedTimeRule: "no-wildcard",
  });
}

// ---- windows ----

interface ValidWindow {
  index: number;
  spec: SyncWindow;
  kind: "allow" | "deny";
  durationMs: number;
  cron: Cron;
}
type CompiledWindow = { index: number; spec: SyncWindow; valid: ValidWindow; problems?: undefined } | { index: number; spec: SyncWindow; valid?: undefined; problems: string[] };

function isIanaZone(tz: string): boolean {
  // Intl also takes offsets such as "+02:00", which Go's time.LoadLocation refuses.
  if (!/^[A-Za-z]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function compileWindow(spec: SyncWindow, index: number, now: number): CompiledWindow {
  const at = (field: string): string => `spec.syncWindows[${index}].${field}`;
  const problems: string[] = [];
  if (spec.kind !== "allow" && spec.kind !== "deny") problems.push(`${at("kind")}: ${JSON.stringify(spec.kind ?? "")} is neither allow nor deny`);
  const timeZone = spec.timeZone || "UTC";
  const zoneOk = isIanaZone(timeZone);
  let cron: Cron | undefined;
  try {
    if (!spec.schedule) throw new ScheduleError("missing (a 5-field cron expression, e.g. \"0 22 * * *\")");
    cron = compileSchedule(spec.schedule, zoneOk ? timeZone : "UTC");
    if (cron.nextRun(new Date(now)) === null) throw new ScheduleError("never matches a date");
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    problems.push(`${at("schedule")}: ${spec.schedule ? `${JSON.stringify(spec.schedule)}: ` : ""}${err.message}`);
  }
  let durationMs = NaN;
  try {
    durationMs = parseGoDuration(spec.duration ?? "");
    if (!(durationMs > 0)) problems.push(`${at("duration")}: ${JSON.stringify(spec.duration)} is not a positive duration`);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    problems.push(`${at("duration")}: ${spec.duration ? err.message : "missing (e.g. 1h, 30m, 1h30m)"}`);
  }
  if (!zoneOk) problems.push(`${at("timeZone")}: unknown time zone ${JSON.stringify(timeZone)} (want an IANA name such as Europe/Berlin)`);
  for (const field of ["applications", "namespaces", "clusters"] as const) {
    const list: unknown = spec[field];
    if (list !== undefined && list !== null && !isGlobList(list)) {
      problems.push(`${at(field)}: must be a list of glob strings`);
    }
  }
  if (problems.length > 0 || !cron || (spec.kind !== "allow" && spec.kind !== "deny")) return { index, spec, problems };
  return { index, spec, valid: { index, spec, kind: spec.kind, durationMs, cron } };
}

function matchesAny(patterns: readonly string[], ...values: (string | undefined)[]): boolean {
  return patterns.some((p) => values.some((v) => gobwasMatch(p, v ?? "")));
}

const isGlobList = (v: unknown): v is string[] => Array.isArray(v) && v.every((p) => typeof p === "string");

/**
 * Argo's SyncWindows.Matches for one window. A malformed selector (not a list of strings) counts
 * as a match, so the window's validation error reaches the app instead of being skipped.
 */
function windowMatches(w: SyncWindow, input: Pick<SyncWindowVerdictInput, "app" | "destination">): boolean {
  const { app, destination } = input;
  const selectors: [unknown, () => (string | undefined)[]][] = [
    [w.applications, () => [app.name]],
    [w.clusters, () => [destination.server, destination.name]],
    [w.namespaces, () => [destination.namespace]],
  ];
  const set = selectors.filter(([patterns]) => patterns !== undefined && patterns !== null && !(isGlobList(patterns) && patterns.length === 0));
  if (set.some(([patterns]) => !isGlobList(patterns))) return true;
  const hits = set.map(([patterns, values]) => matchesAny(patterns as string[], ...values()));
  return w.andOperator ? hits.every(Boolean) : hits.some(Boolean);
}

/** Epoch ms of the latest start at or before `t`. croner includes runs earlier in the reference's second. */
function lastStartAtOrBefore(w: ValidWindow, t: number): number | undefined {
  return w.cron.previousRuns(1, new Date(t + 1))[0]?.getTime();
}

function isActive(w: ValidWindow, t: number): boolean {
  const start = lastStartAtOrBefore(w, t);
  return start !== undefined && t < start + w.durationMs;
}

/** Bounds the walk through back-to-back starts (e.g. every minute with a one-minute duration). */
const MAX_EXTENSIONS = 1500;
const ONE_MINUTE = 60_000;

/**
 * Ends already walked to, by window and start: every app of a project asks about the same windows,
 * and an always-open window costs the whole walk. Deterministic, so caching keeps the module pure.
 */
const endCache = new Map<string, number | undefined>();
const END_CACHE_SIZE = 1000;

/** When a window active at `t` closes: later starts before the end keep it open. Undefined when not found. */
function activeUntil(w: ValidWindow, t: number): number | undefined {
  const start = lastStartAtOrBefore(w, t);
  if (start === undefined) return undefined;
  // Every minute for at least a minute (the usual "freeze now" window) never closes.
  if (w.durationMs >= ONE_MINUTE && w.cron.getPattern() === "* * * * *") return undefined;
  const key = `${w.cron.getPattern() ?? ""}\u0000${w.spec.timeZone || "UTC"}\u0000${w.durationMs}\u0000${start}`;
  if (endCache.has(key)) return endCache.get(key);
  let end: number | undefined = start + w.durationMs;
  for (let i = 0; end !== undefined; i++) {
    const next = lastStartAtOrBefore(w, end);
    if (next === undefined || next + w.durationMs <= end) break;
    end = i < MAX_EXTENSIONS ? next + w.durationMs : undefined;
  }
  if (endCache.size >= END_CACHE_SIZE) endCache.clear();
  endCache.set(key, end);
  return end;
}

/** The window's next opening or closing after `t`. */
function transitionAfter(w: ValidWindow, t: number): number | undefined {
  if (isActive(w, t)) return activeUntil(w, t);
  return w.cron.nextRun(new Date(t))?.getTime();
}

function describe(w: { index: number; spec: SyncWindow }): string {
  const s = w.spec;
  return `${s.kind ?? "?"} window ${w.index} (schedule ${JSON.stringify(s.schedule ?? "")}, duration ${s.duration ?? ""}, timeZone ${s.timeZone || "UTC"})`;
}

/** Formats an instant for messages: ISO 8601 in UTC, without milliseconds. */
export function formatInstant(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, "Z");
}

interface Decision { allowed: boolean; why: string }

/** Argo's CanSync over the matching, valid windows at instant `t`. */
function decide(windows: readonly ValidWindow[], t: number, kind: SyncKind): Decision {
  if (windows.length === 0) return { allowed: true, why: "no sync window matches the application" };
  const active = windows.filter((w) => isActive(w, t));
  const denies = active.filter((w) => w.kind === "deny");
  if (denies.length > 0) {
    const list = denies.map(describe).join("; ");
    if (kind === "manual" && denies.every((w) => w.spec.manualSync)) return { allowed: true, why: `manualSync lets manual syncs through ${list}` };
    const noManual = kind === "manual" ? " (manualSync is not set on every active deny window)" : "";
    return { allowed: false, why: `by ${list}${noManual}` };
  }
  const allowActive = active.filter((w) => w.kind === "allow");
  if (allowActive.length > 0) return { allowed: true, why: `inside ${allowActive.map(describe).join("; ")}` };
  const allows = windows.filter((w) => w.kind === "allow");
  if (allows.length === 0) return { allowed: true, why: "no matching deny window is active" };
  const list = allows.map(describe).join("; ");
  const manual = allows.find((w) => w.spec.manualSync);
  if (kind === "manual" && manual) return { allowed: true, why: `manualSync on ${describe(manual)} lets manual syncs through outside its window` };
  const noManual = kind === "manual" ? " and none has manualSync" : "";
  return { allowed: false, why: `outside every matching allow window (${list})${noManual}` };
}

/** Bounds how many window edges are examined to find the next change of the verdict. */
const MAX_EDGES = 256;

function nextChange(windows: readonly ValidWindow[], now: number, kind: SyncKind, allowedNow: boolean): number | undefined {
  const edges = new Map<ValidWindow, number | undefined>(windows.map((w) => [w, transitionAfter(w, now)]));
  for (let i = 0; i < MAX_EDGES; i++) {
    const pending = [...edges.values()].filter((e): e is number => e !== undefined);
    if (pending.length === 0) return undefined;
    const t = Math.min(...pending);
    if (decide(windows, t, kind).allowed !== allowedNow) return t;
    // Between its own edges a window's state is constant, so only the windows at this edge move on.
    for (const [w, e] of edges) if (e === t) edges.set(w, transitionAfter(w, t));
  }
  // No change within the search (e.g. manualSync lets manual syncs through at all times).
  return undefined;
}

/**
 * Whether a sync of `kind` may start now for this app under the project's sync windows, why, and
 * when that can next change. A matching window that cannot be evaluated blocks (fail closed).
 */
export function syncWindowVerdict(input: SyncWindowVerdictInput): SyncWindowVerdict {
  const now = input.now.getTime();
  const matching = (input.windows ?? []).map((w, i) => ({ w, i })).filter(({ w }) => windowMatches(w, input));
  const compiled = matching.map(({ w, i }) => compileWindow(w, i, now));
  const problems = compiled.flatMap((c) => c.problems ?? []);
  if (problems.length > 0) {
    return { allowed: false, message: `${input.kind} sync is blocked: invalid sync window: ${problems.join("; ")}` };
  }
  const valid = compiled.map((c) => c.valid).filter((v): v is ValidWindow => v !== undefined);
  const decision = decide(valid, now, input.kind);
  const next = nextChange(valid, now, input.kind, decision.allowed);
  const until = next === undefined ? "" : ` until ${formatInstant(new Date(next))}`;
  const message = decision.allowed ? `${input.kind} sync is allowed: ${decision.why}${until}` : `${input.kind} sync is blocked ${decision.why}${until}`;
  return { allowed: decision.allowed, message, ...(next !== undefined ? { nextChangeAt: new Date(next) } : {}) };
}

/** Every window of the project at `now`: active or not, its next edge, or why it is invalid. */
export function windowStates(windows: readonly SyncWindow[] | undefined, now: Date): SyncWindowState[] {
  const t = now.getTime();
  return (windows ?? []).map((w, index) => {
    const c = compileWindow(w, index, t);
    if (!c.valid) return { index, window: w, active: false, error: c.problems.join("; ") };
    const active = isActive(c.valid, t);
    const edge = transitionAfter(c.valid, t);
    return { index, window: w, active, ...(edge !== undefined ? { nextChangeAt: new Date(edge) } : {}) };
  });
}

/**
 * Whether a running sync operation may take its next step. As in Argo, a sync already running
 * is not cut when a window starts blocking: it pauses ("Sync operation blocked by sync window")
 * and goes on when the windows allow it again. With `syncOverrun` it need not pause: a sync that
 * was allowed when it started continues across the edge when every window now blocking it (the
 * active deny windows, or the allow windows it ran outside of) has `syncOverrun`.
 */
export function runningSyncVerdict(input: SyncWindowVerdictInput & { startedAt: Date }): SyncWindowVerdict {
  const now = syncWindowVerdict(input);
  if (now.allowed) return now;
  const t = input.now.getTime();
  const matching = (input.windows ?? []).map((w, i) => ({ w, i })).filter(({ w }) => windowMatches(w, input));
  const compiled = matching.map(({ w, i }) => compileWindow(w, i, t));
  // An invalid matching window blocks: nothing says whether it would let the sync overrun.
  if (compiled.some((c) => c.problems)) return now;
  const valid = compiled.map((c) => c.valid).filter((v): v is ValidWindow => v !== undefined);
  const denies = valid.filter((w) => w.kind === "deny" && isActive(w, t));
  const blocking = denies.length > 0 ? denies : valid.filter((w) => w.kind === "allow");
  const overrun = blocking.length > 0 && blocking.every((w) => w.spec.syncOverrun === true);
  const allowedAtStart = syncWindowVerdict({ ...input, now: input.startedAt }).allowed;
  if (overrun && allowedAtStart) {
    return { allowed: true, message: `${input.kind} sync started at ${formatInstant(input.startedAt)} continues: syncOverrun is set on ${blocking.map(describe).join("; ")}` };
  }
  return now;
}
