// Pure pieces of `hawser proj windows list`: the table of an AppProject's sync windows, shaped like
// `argocd proj windows list` with a NEXTCHANGE column. No I/O here.
import type { SyncWindow } from "../../api/index.js";
import { windowStates } from "../../engine/syncwindows.js";
import { table } from "../app/format.js";

const list = (v: string[] | undefined): string => (v && v.length > 0 ? v.join(",") : "-");
const enabled = (b: boolean | undefined): string => (b ? "Enabled" : "Disabled");

/**
 * An instant as wall-clock time in a zone with its offset ("2026-03-29T04:00+02:00", "…Z" in
 * UTC), so a window's next change reads in the zone its schedule is written in.
 */
export function formatInZone(d: Date, timeZone: string): string {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZoneName: "longOffset",
    }).formatToParts(d);
  } catch {
    return d.toISOString().replace(/:00\.000Z$/, "Z");
  }
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? "";
  const offset = get("timeZoneName").replace(/^GMT/, "") || "Z";
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}${offset}`;
}

/**
 * The windows of a project at `now`: one row each (ID is the index in spec.syncWindows, as in
 * Argo), then one line per invalid window naming the field. A project without windows says so.
 */
export function windowsTable(project: string, windows: SyncWindow[] | undefined, now: Date): string {
  const states = windowStates(windows, now);
  if (states.length === 0) return `AppProject ${project} has no sync windows\n`;
  const rows = [["ID", "STATUS", "KIND", "SCHEDULE", "DURATION", "APPLICATIONS", "NAMESPACES", "CLUSTERS", "MANUALSYNC", "TIMEZONE", "USEANDOPERATOR", "NEXTCHANGE"]];
  for (const s of states) {
    const w = s.window;
    const timeZone = w.timeZone || "UTC";
    rows.push([
      String(s.index),
      s.error ? "Invalid" : s.active ? "Active" : "Inactive",
      w.kind ?? "-",
      w.schedule || "-",
      w.duration || "-",
      list(w.applications),
      list(w.namespaces),
      list(w.clusters),
      enabled(w.manualSync),
      timeZone,
      enabled(w.andOperator),
      s.nextChangeAt ? formatInZone(s.nextChangeAt, timeZone) : "-",
    ]);
  }
  const errors = states.filter((s) => s.error).map((s) => `invalid window ${s.index}: ${s.error ?? ""}\n`);
  return table(rows) + (errors.length > 0 ? `\nInvalid windows block every sync of the applications they match:\n${errors.join("")}` : "");
}
