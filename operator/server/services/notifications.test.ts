import { test } from "node:test";
import assert from "node:assert/strict";
import { notificationNames } from "./notifications.js";

const cm = {
  "trigger.on-sync-succeeded": "- when: app.status.operationState.phase in ['Succeeded']\n  send: [app-sync-succeeded]",
  "trigger.on-deployed": "- when: 'true'\n  send: [x]",
  "template.app-sync-succeeded": "message: ok",
  "service.slack": "token: $slack-token",
  "service.webhook.github": "url: https://api.github.com",
  "service.webhook.": "url: ignored",
  "defaultTriggers": "- on-sync-succeeded",
  "context": "argocdUrl: https://example",
};

test("notification lists: trigger and template names, services by Argo's naming (service.<type> or service.<type>.<name>)", () => {
  assert.deepEqual(notificationNames(cm, "trigger"), ["on-deployed", "on-sync-succeeded"]);
  assert.deepEqual(notificationNames(cm, "template"), ["app-sync-succeeded"]);
  assert.deepEqual(notificationNames(cm, "service"), ["github", "slack"], "service.webhook.github is named github; an empty name is dropped");
  assert.deepEqual(notificationNames(undefined, "trigger"), [], "no ConfigMap: empty lists");
});
