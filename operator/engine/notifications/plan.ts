// What to send for one Application now (spec §6.2, §6.5, §6.7): evaluates every subscribed
// trigger's conditions, keys each (trigger, condition, destination) for de-duplication, and says
// which are new. Pure: expressions and templates are evaluated through the injected Evaluator
// (operator/notifications/wasm.ts in production), and the caller sends and records.
import { createHash } from "node:crypto";
import { isRecord } from "../../util/index.js";
import type { NotificationTemplate, NotificationsConfig, TriggerCondition } from "./config.js";
import { type Destination, subscriptionsOf } from "./subscriptions.js";

export const NOTIFIED_ANNOTATION = "notified.notifications.argoproj.io";
/** Only the newest keys are kept in the annotation. */
export const MAX_NOTIFIED_KEYS = 100;

export type EvalResult = { value: unknown } | { err: string };
export type RenderResult = { out: string } | { err: string };
export interface EvalCall {
  vars: Record<string, unknown>;
  now?: string;
  repo?: object;
}
/** The expression and template engine (structurally the wasm evaluator). */
export interface Evaluator {
  evaluate(exprs: string[], call: EvalCall): EvalResult[];
  render(templates: string[], call: EvalCall): RenderResult[];
}

/** unix seconds each key was sent at. */
export type NotifiedState = Record<string, number>;

export function parseNotifiedState(value: string | undefined): NotifiedState {
  if (!value) return {};
  try {
    const raw = JSON.parse(value) as unknown;
    if (!isRecord(raw)) return {};
    return Object.fromEntries(Object.entries(raw).filter((e): e is [string, number] => typeof e[1] === "number"));
  } catch {
    // A hand-edited, broken annotation starts over rather than blocking every notification.
    return {};
  }
}

/** The newest MAX_NOTIFIED_KEYS keys, as the annotation's JSON (keys sorted for stable patches). */
export function serializeNotifiedState(state: NotifiedState): string {
  const newest = Object.entries(state).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_NOTIFIED_KEYS);
  newest.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(newest));
}

/** base64url without padding of sha1(when), as Argo keys conditions. */
export function conditionHash(when: string): string {
  return createHash("sha1").update(when).digest("base64url");
}

/** `[<oncePer>:]<trigger>:[<index>].<hash>:<service>:<recipient>` (§6.5). */
export function notifiedKey(trigger: string, index: number, cond: TriggerCondition, dest: Destination, oncePer = ""): string {
  const base = `${trigger}:[${index}].${conditionHash(cond.when)}:${dest.service}:${dest.recipient}`;
  return oncePer !== "" ? `${oncePer}:${base}` : base;
}

/** How long an app may wait for a refresh after its operation finished before it is evaluated anyway. */
export const UNSETTLED_GRACE_MS = 30_000;

/**
 * §6.7: an app is skipped while a finished operation is newer than its last refresh (its sync
 * status is not refreshed yet). Hawser bumps reconciledAt only when the status changes, so the
 * wait is bounded: `UNSETTLED_GRACE_MS` after finishedAt the app is evaluated anyway. Returns the
 * milliseconds still to wait, or 0 when the app can be evaluated now.
 */
export function unsettledWaitMs(app: Record<string, unknown>, nowMs: number, graceMs = UNSETTLED_GRACE_MS): number {
  const status = isRecord(app.status) ? app.status : {};
  const op = isRecord(status.operationState) ? status.operationState : undefined;
  if (!op || !["Succeeded", "Failed", "Error"].includes(String(op.phase))) return 0;
  const time = (v: unknown): number => (typeof v === "string" ? Date.parse(v) : NaN);
  const finished = time(op.finishedAt);
  if (Number.isNaN(finished)) return 0;
  const after = (v: unknown): boolean => {
    const t = time(v);
    return Number.isNaN(t) || finished > t;
  };
  if (!(after(status.reconciledAt) && after(status.observedAt))) return 0;
  return Math.max(0, finished + graceMs - nowMs);
}

export interface PlannedSend {
  trigger: string;
  conditionIndex: number;
  key: string;
  templates: string[];
  destination: Destination;
}

export interface Plan {
  /** New notifications, in trigger order. */
  sends: PlannedSend[];
  /** The state with re-armed keys removed; the caller adds each successful send's key. */
  state: NotifiedState;
  /** One per trigger evaluated: whether any condition fired (for trigger_eval_total). */
  evaluations: { trigger: string; triggered: boolean }[];
  problems: string[];
}

export interface PlanInput {
  app: Record<string, unknown>;
  project?: Record<string, unknown>;
  cfg: NotificationsConfig;
  evaluator: Evaluator;
  /** RFC 3339; pins time.Now() (tests). */
  now?: string;
  repo?: object;
  /** Self-service mode: `<config namespace>:` before every key (§6.5), so each config keeps its own. */
  keyPrefix?: string;
}

function annotationsOf(obj: Record<string, unknown>): Record<string, string> {
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  return isRecord(meta.annotations) ? (meta.annotations as Record<string, string>) : {};
}

/** Variables of expressions and templates (§6.2). */
export function notificationVars(app: Record<string, unknown>, project: Record<string, unknown> | undefined, cfg: NotificationsConfig): Record<string, unknown> {
  return { app, appProject: project ?? {}, context: { ...cfg.context }, secrets: { ...cfg.secrets } };
}

export function planNotifications(input: PlanInput): Plan {
  const { app, project, cfg, evaluator } = input;
  const problems: string[] = [];
  const subs = subscriptionsOf(app, project, cfg, problems);
  const state = parseNotifiedState(annotationsOf(app)[NOTIFIED_ANNOTATION]);
  const vars = notificationVars(app, project, cfg);
  const call: EvalCall = { vars, ...(input.now ? { now: input.now } : {}), ...(input.repo ? { repo: input.repo } : {}) };

  const conds: { trigger: string; index: number; cond: TriggerCondition; dests: Destination[] }[] = [];
  for (const [trigger, dests] of subs) {
    const defined = cfg.triggers.get(trigger);
    if (!defined) {
      problems.push(`trigger ${trigger} is subscribed to but not defined in the notifications ConfigMap`);
      continue;
    }
    defined.forEach((cond, index) => conds.push({ trigger, index, cond, dests }));
  }
  // An empty condition is false without being evaluated (§6.2).
  const toEval = conds.filter((c) => c.cond.when.trim() !== "");
  const whenResults = evaluator.evaluate(toEval.map((c) => c.cond.when), call);
  const fired = new Map<(typeof conds)[number], boolean>();
  toEval.forEach((c, i) => {
    const r = whenResults[i];
    if (r && "err" in r) problems.push(`trigger ${c.trigger}[${c.index}] when: ${r.err}`);
    fired.set(c, !!r && "value" in r && r.value === true);
  });
  const withOncePer = conds.filter((c) => fired.get(c) && c.cond.oncePer);
  const onceResults = evaluator.evaluate(withOncePer.map((c) => c.cond.oncePer!), call);
  const oncePer = new Map<(typeof conds)[number], string>();
  withOncePer.forEach((c, i) => {
    const r = onceResults[i];
    if (r && "err" in r) problems.push(`trigger ${c.trigger}[${c.index}] oncePer: ${r.err}`);
    const v = r && "value" in r ? r.value : null;
    oncePer.set(c, v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));
  });

  const prefix = input.keyPrefix ?? "";
  const sends: PlannedSend[] = [];
  const triggered = new Map<string, boolean>();
  for (const c of conds) {
    const on = fired.get(c) ?? false;
    triggered.set(c.trigger, (triggered.get(c.trigger) ?? false) || on);
    for (const dest of c.dests) {
      if (!on) {
        // Re-arms a condition without oncePer; a oncePer key stays, so that value never fires again.
        delete state[prefix + notifiedKey(c.trigger, c.index, c.cond, dest)];
        continue;
      }
      const key = prefix + notifiedKey(c.trigger, c.index, c.cond, dest, oncePer.get(c) ?? "");
      if (key in state) continue;
      sends.push({ trigger: c.trigger, conditionIndex: c.index, key, templates: c.cond.send, destination: dest });
    }
  }
  return { sends, state, evaluations: [...triggered].map(([trigger, t]) => ({ trigger, triggered: t })), problems };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isRecord(v) && isRecord(prev) ? deepMerge(prev, v) : v;
  }
  return out;
}

/** A rendered notification: the templates' fields merged in order, every string filled in. */
export type Notification = Record<string, unknown>;

/**
 * Merges the named templates and renders every string field. Throws an Error naming the template
 * field that failed (the caller reports it as a failed delivery).
 */
export function renderNotification(
  names: string[],
  cfg: NotificationsConfig,
  evaluator: Evaluator,
  call: EvalCall,
): Notification {
  let merged: NotificationTemplate = {};
  for (const name of names) {
    const t = cfg.templates.get(name);
    if (!t) throw new Error(`template ${name} is not defined in the notifications ConfigMap`);
    merged = deepMerge(merged, t);
  }
  if (isRecord(merged.github)) {
    // Argo's defaults for where the commit status goes.
    merged.github = {
      repoURLPath: "{{.app.spec.source.repoURL}}",
      revisionPath: "{{.app.status.operationState.syncResult.revision}}",
      ...merged.github,
    };
  }
  const paths: string[][] = [];
  const texts: string[] = [];
  const walk = (v: unknown, path: string[]): void => {
    if (typeof v === "string") {
      paths.push(path);
      texts.push(v);
    } else if (Array.isArray(v)) v.forEach((e, i) => walk(e, [...path, String(i)]));
    else if (isRecord(v)) for (const [k, e] of Object.entries(v)) walk(e, [...path, k]);
  };
  walk(merged, []);
  const out = evaluator.render(texts, call);
  const result = structuredClone(merged);
  paths.forEach((path, i) => {
    const r = out[i];
    if (!r || "err" in r) throw new Error(`template ${names.join(",")} field ${path.join(".")}: ${r ? r.err : "no result"}`);
    let node: Record<string, unknown> = result;
    for (const p of path.slice(0, -1)) node = node[p] as Record<string, unknown>;
    node[path[path.length - 1]!] = r.out;
  });
  return result;
}
