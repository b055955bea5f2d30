import { test } from "node:test";
import assert from "node:assert/strict";
import { annotationPatch, subscriptionAnnotation, subscriptions } from "./subscriptions";

test("subscriptions: read from the subscribe annotations, with or without a trigger; other keys ignored", () => {
  const subs = subscriptions({
    "notifications.argoproj.io/subscribe.on-sync-succeeded.slack": "team-a; team-b ;",
    "notifications.argoproj.io/subscribe.email": "ops@example.com",
    "notifications.argoproj.io/subscribe.a.b.c": "x",
    "notifications.argoproj.io/subscribe..slack": "x",
    "example.com/other": "y",
  });
  assert.deepEqual(subs, [
    { key: "notifications.argoproj.io/subscribe.email", service: "email", recipients: ["ops@example.com"] },
    { key: "notifications.argoproj.io/subscribe.on-sync-succeeded.slack", trigger: "on-sync-succeeded", service: "slack", recipients: ["team-a", "team-b"] },
  ]);
  assert.deepEqual(subscriptions(undefined), []);
});

test("subscriptionAnnotation: the key and recipients to add, or errors naming the field", () => {
  assert.deepEqual(subscriptionAnnotation({ trigger: "on-deployed", service: "slack", recipients: " a ; b;" }),
    { key: "notifications.argoproj.io/subscribe.on-deployed.slack", value: "a;b", errors: [] });
  assert.deepEqual(subscriptionAnnotation({ trigger: "", service: "github", recipients: "" }),
    { key: "notifications.argoproj.io/subscribe.github", value: "", errors: [] }, "no trigger: the service's default triggers; no recipient is allowed");
  assert.deepEqual(subscriptionAnnotation({ trigger: "", service: " ", recipients: "a" }).errors, ["Service: choose the service to notify"]);
  assert.deepEqual(subscriptionAnnotation({ trigger: "on.sync", service: "sl ack", recipients: "a" }).errors, [
    'Service: "sl ack" is not a valid name (letters, digits, - and _)',
    'Trigger: "on.sync" is not a valid name (letters, digits, - and _)',
  ]);
});

test("annotationPatch: sets, or removes with null", () => {
  assert.deepEqual(annotationPatch("k", "v"), { metadata: { annotations: { k: "v" } } });
  assert.deepEqual(annotationPatch("k", null), { metadata: { annotations: { k: null } } });
});
