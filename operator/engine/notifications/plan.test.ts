import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { notifyEvaluator } from "../../notifications/wasm.js";
import { NOTIFICATIONS_CATALOGUE } from "./catalogue.js";
import { parseNotificationsConfig } from "./config.js";
import {
  MAX_NOTIFIED_KEYS, NOTIFIED_ANNOTATION, conditionHash, notifiedKey, parseNotifiedState, planNotifications,
  renderNotification, serializeNotifiedState, UNSETTLED_GRACE_MS, unsettledWaitMs,
} from "./plan.js";

type App = Record<string, unknown> & { metadata: { name: string; namespace: string; annotations: Record<string, string> } };

const defaultSubscriptions = { "notifications.argoproj.io/subscribe.on-sync-succeeded.hook": "", "notifications.argoproj.io/subscribe.on-sync-failed.slack": "ops" };

function app(phase: string | undefined, health = "Healthy", extra: Record<string, string> = {}, base: Record<string, string> = defaultSubscriptions): App {
  return {
    metadata: { name: "my-api", namespace: "argocd", annotations: { ...base, ...extra } },
    spec: { source: { repoURL: "https://git.example/org/repo.git" }, destination: { namespace: "production" } },
    status: {
      sync: { status: "Synced", revision: "rev1" },
      health: { status: health, lastTransitionTime: "2026-12-07T00:00:30Z" },
      reconciledAt: "2026-12-07T00:02:00Z",
      ...(phase ? { operationState: { phase, startedAt: "2026-12-07T00:00:00Z", finishedAt: "2026-12-07T00:01:00Z", message: "boom", syncResult: { revision: "rev1" } } } : {}),
    },
  };
}

const cfg = parseNotificationsConfig({
  "trigger.on-sync-succeeded": "- when: app.status.operationState.phase in ['Succeeded']\n  send: [ok]\n",
  "trigger.on-sync-failed": "- when: app.status.operationState.phase in ['Error', 'Failed']\n  oncePer: app.status.operationState?.syncResult?.revision\n  send: [failed, footer]\n",
  "template.ok": "webhook:\n  hook:\n    method: POST\n    body: '{\"app\": \"{{.app.metadata.name}}\", \"rev\": \"{{.app.status.sync.revision}}\"}'\n",
  "template.failed": "message: 'sync of {{.app.metadata.name}} failed: {{.app.status.operationState.message}}'\nemail:\n  subject: failed\n",
  "template.footer": "message: '{{.app.metadata.name}} to {{.recipient}} via {{.serviceType}} ({{.context.argocdUrl}})'\n",
  "service.webhook.hook": "url: http://127.0.0.1:1\n",
  "service.slack": "token: x\n",
  "context": "argocdUrl: https://cd.example\n",
});

describe("notification planning", () => {
  it("sends a fired trigger once per destination and keys it as Argo does", async () => {
    const evaluator = await notifyEvaluator();
    const plan = planNotifications({ app: app("Succeeded"), cfg, evaluator });
    assert.deepEqual(plan.problems, []);
    const key = `on-sync-succeeded:[0].${conditionHash("app.status.operationState.phase in ['Succeeded']")}:hook:`;
    assert.deepEqual(plan.sends, [{ trigger: "on-sync-succeeded", conditionIndex: 0, key, templates: ["ok"], destination: { service: "hook", recipient: "" } }]);
    assert.deepEqual(plan.evaluations, [{ trigger: "on-sync-succeeded", triggered: true }, { trigger: "on-sync-failed", triggered: false }]);
    assert.match(conditionHash("x"), /^[A-Za-z0-9_-]{27}$/, "sha1 in base64url without padding is 27 characters");
  });

  it("skips a key already recorded, and re-arms it when the condition turns false", async () => {
    const evaluator = await notifyEvaluator();
    const first = planNotifications({ app: app("Succeeded"), cfg, evaluator });
    const recorded = { ...first.state, [first.sends[0]!.key]: 1000 };
    const annotated = app("Succeeded", "Healthy", { [NOTIFIED_ANNOTATION]: serializeNotifiedState(recorded) });
    assert.deepEqual(planNotifications({ app: annotated, cfg, evaluator }).sends, [], "already notified: nothing to send");
    const running = app("Running", "Healthy", { [NOTIFIED_ANNOTATION]: serializeNotifiedState(recorded) });
    const rearmed = planNotifications({ app: running, cfg, evaluator });
    assert.deepEqual(rearmed.sends, []);
    assert.deepEqual(rearmed.state, {}, "the condition is false: its key is removed so the next success sends again");
  });

  it("self-service: keys carry the config's namespace, so each config keeps and re-arms only its own", async () => {
    const evaluator = await notifyEvaluator();
    const hash = conditionHash("app.status.operationState.phase in ['Succeeded']");
    const central = planNotifications({ app: app("Succeeded"), cfg, evaluator, keyPrefix: "argocd:" });
    assert.deepEqual(central.sends.map((s) => s.key), [`argocd:on-sync-succeeded:[0].${hash}:hook:`]);
    const recorded = { [central.sends[0]!.key]: 1000 };
    const annotated = app("Succeeded", "Healthy", { [NOTIFIED_ANNOTATION]: serializeNotifiedState(recorded) });
    assert.deepEqual(planNotifications({ app: annotated, cfg, evaluator, keyPrefix: "argocd:" }).sends, [], "the central config already sent it");
    const team = planNotifications({ app: annotated, cfg, evaluator, keyPrefix: "team-a:" });
    assert.deepEqual(team.sends.map((s) => s.key), [`team-a:on-sync-succeeded:[0].${hash}:hook:`], "the team's config has its own key");
    const running = app("Running", "Healthy", { [NOTIFIED_ANNOTATION]: serializeNotifiedState({ ...recorded, [team.sends[0]!.key]: 1001 }) });
    assert.deepEqual(planNotifications({ app: running, cfg, evaluator, keyPrefix: "team-a:" }).state, recorded, "re-arming removes only the team's key");
  });

  it("with oncePer, a value fires once and its key stays while the condition is false", async () => {
    const evaluator = await notifyEvaluator();
    const plan = planNotifications({ app: app("Failed"), cfg, evaluator });
    assert.equal(plan.sends.length, 1);
    const send = plan.sends[0]!;
    assert.equal(send.key, `rev1:${notifiedKey("on-sync-failed", 0, cfg.triggers.get("on-sync-failed")![0]!, { service: "slack", recipient: "ops" })}`);
    assert.deepEqual(send.templates, ["failed", "footer"]);
    const state = { [send.key]: 1000 };
    const later = planNotifications({ app: app("Succeeded", "Healthy", { [NOTIFIED_ANNOTATION]: JSON.stringify(state) }), cfg, evaluator });
    assert.ok(send.key in later.state, "a oncePer key survives the condition turning false");
    const again = planNotifications({ app: app("Failed", "Healthy", { [NOTIFIED_ANNOTATION]: JSON.stringify(later.state) }), cfg, evaluator });
    assert.deepEqual(again.sends, [], "the same revision failing again is not re-sent");
  });

  it("reports an undefined trigger and an expression error, and does not fire on them", async () => {
    const evaluator = await notifyEvaluator();
    const broken = parseNotificationsConfig({ "trigger.on-x": "- when: app.status.nope.phase == 'x'\n  send: []\n" });
    const a = app(undefined, "Healthy", { "notifications.argoproj.io/subscribe.on-x.hook": "", "notifications.argoproj.io/subscribe.on-y.hook": "" });
    const plan = planNotifications({ app: a, cfg: broken, evaluator });
    assert.deepEqual(plan.sends, []);
    assert.match(plan.problems.join("\n"), /trigger on-x\[0\] when: cannot fetch phase from <nil>/);
    assert.match(plan.problems.join("\n"), /trigger on-y is subscribed to but not defined/);
  });

  it("renders merged templates with .recipient, .serviceType and .context", async () => {
    const evaluator = await notifyEvaluator();
    const a = app("Failed");
    const n = renderNotification(["failed", "footer"], cfg, evaluator, {
      vars: { app: a, appProject: {}, context: { ...cfg.context, notificationType: "slack" }, secrets: {}, serviceType: "slack", recipient: "ops" },
    });
    assert.deepEqual(n, { message: "my-api to ops via slack (https://cd.example)", email: { subject: "failed" } }, "a later template's field wins");
    const hook = renderNotification(["ok"], cfg, evaluator, { vars: { app: a } });
    assert.deepEqual(hook, { webhook: { hook: { method: "POST", body: "{\"app\": \"my-api\", \"rev\": \"rev1\"}" } } });
    assert.throws(() => renderNotification(["nope"], cfg, evaluator, { vars: {} }), /template nope is not defined/);
  });

  it("keeps only the newest keys and survives a broken annotation", () => {
    const state: Record<string, number> = {};
    for (let i = 0; i < MAX_NOTIFIED_KEYS + 20; i++) state[`k${i}`] = i;
    const kept = parseNotifiedState(serializeNotifiedState(state));
    assert.equal(Object.keys(kept).length, MAX_NOTIFIED_KEYS);
    assert.ok(!("k0" in kept) && "k119" in kept, "the oldest keys are dropped");
    assert.deepEqual(parseNotifiedState("{not json"), {});
  });

  it("waits, for a bounded time, while an app's finished operation is newer than its last refresh", () => {
    const a = app("Succeeded");
    const finished = Date.parse("2026-12-07T00:01:00Z");
    assert.equal(unsettledWaitMs(a, finished + 1000), 0, "reconciled after the operation finished");
    (a.status as Record<string, unknown>).reconciledAt = "2026-12-07T00:00:10Z";
    assert.equal(unsettledWaitMs(a, finished + 1000), UNSETTLED_GRACE_MS - 1000, "not refreshed yet: wait");
    assert.equal(unsettledWaitMs(a, finished + UNSETTLED_GRACE_MS + 1), 0, "past the grace period: evaluate anyway");
    assert.equal(unsettledWaitMs(app("Running"), finished), 0, "a running operation is not waited for");
  });
});

describe("notifications catalogue", () => {
  const catalogue = parseNotificationsConfig({ ...NOTIFICATIONS_CATALOGUE, "context": "argocdUrl: https://cd.example\n" });
  const subscribeAll = Object.fromEntries([...catalogue.triggers.keys()].map((t) => [`notifications.argoproj.io/subscribe.${t}.slack`, "ops"]));

  it("parses without problems and defines the eight triggers with their templates", () => {
    assert.deepEqual(catalogue.problems, []);
    assert.deepEqual([...catalogue.triggers.keys()].sort(), [
      "on-created", "on-deleted", "on-deployed", "on-health-degraded", "on-sync-failed", "on-sync-running", "on-sync-status-unknown", "on-sync-succeeded",
    ]);
  });

  it("fires the right triggers for a fresh successful deploy, a failure and a degraded app", async () => {
    const evaluator = await notifyEvaluator();
    const fired = (a: App): string[] => planNotifications({ app: a, cfg: catalogue, evaluator, now: "2026-12-07T00:03:00Z" }).sends.map((s) => s.trigger).sort();
    const deployed = app("Succeeded", "Healthy", subscribeAll, {});
    assert.deepEqual(fired(deployed), ["on-created", "on-deployed", "on-sync-succeeded"]);
    assert.deepEqual(fired(app("Failed", "Degraded", subscribeAll, {})), ["on-created", "on-health-degraded", "on-sync-failed"]);
    assert.deepEqual(fired(app("Running", "Progressing", subscribeAll, {})), ["on-created", "on-sync-running"]);
    const stale = app("Succeeded", "Healthy", subscribeAll, {});
    // Healthy for an hour before this sync: the sync did not make it healthy.
    (stale.status as { health: { lastTransitionTime: string } }).health.lastTransitionTime = "2026-12-06T23:00:00Z";
    assert.deepEqual(fired(stale), ["on-created", "on-sync-succeeded"]);
    const deleting = app(undefined, "Healthy", subscribeAll, {});
    (deleting.metadata as Record<string, unknown>).deletionTimestamp = "2026-12-07T00:02:00Z";
    (deleting.status as { sync: { status: string } }).sync.status = "Unknown";
    assert.deepEqual(fired(deleting), ["on-created", "on-deleted", "on-sync-status-unknown"]);
  });

  it("renders every catalogue template to valid Slack and Teams JSON", async () => {
    const evaluator = await notifyEvaluator();
    const a = app("Failed", "Degraded");
    (a.status as Record<string, unknown>).conditions = [{ type: "SyncError", message: "a \"quoted\" failure" }];
    for (const name of catalogue.templates.keys()) {
      const n = renderNotification([name], catalogue, evaluator, {
        vars: { app: a, appProject: {}, context: { ...catalogue.context, notificationType: "slack" }, secrets: {}, serviceType: "slack", recipient: "ops" },
      });
      assert.match(String(n.message), /^:[a-z_]+: /, `${name}: slack gets an emoji`);
      const attachments = JSON.parse(String((n.slack as Record<string, unknown>).attachments)) as { title_link: string; fields: unknown[] }[];
      assert.equal(attachments[0]?.title_link, "https://cd.example/applications/my-api", `${name}: link to the app`);
      assert.equal(attachments[0]?.fields.length, 4, `${name}: sync status, repo, revision and the condition`);
      const teams = n.teams as Record<string, string>;
      assert.ok(Array.isArray(JSON.parse(teams.facts!)) && Array.isArray(JSON.parse(teams.potentialAction!)), `${name}: teams facts and actions are JSON lists`);
      assert.ok(typeof (n.email as Record<string, unknown>).subject === "string", `${name}: has an email subject`);
    }
  });
});
