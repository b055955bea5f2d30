import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseNotificationsConfig, replaceSecretRefs, secretText } from "./config.js";
import { subscriptionsOf } from "./subscriptions.js";

describe("notifications config", () => {
  it("names services by type or by the part after it, and reads every key kind", () => {
    const cfg = parseNotificationsConfig({
      "service.webhook.deploy-hook": "url: https://hooks.example/$path-part\nheaders:\n- name: Authorization\n  value: Bearer $hook-token\n",
      "service.email": "host: smtp.example\nport: 587\nfrom: cd@example\npassword: $mail-pass\n",
      "subscriptions": "- recipients: [slack:ops, deploy-hook]\n  triggers: [on-sync-failed]\n  selector: env in (prod)\n- recipients: [email:a@example]\n",
      "defaultTriggers": "- on-sync-succeeded\n",
      "defaultTriggers.email": "[on-sync-failed, on-health-degraded]",
      "context": "argocdUrl: https://cd.example\n",
    }, { "hook-token": "s3cret", "mail-pass": "pw" });
    assert.deepEqual(cfg.problems, []);
    assert.deepEqual(cfg.services.get("deploy-hook")?.options, {
      url: "https://hooks.example/$path-part",
      headers: [{ name: "Authorization", value: "Bearer s3cret" }],
    }, "known secret keys are replaced, unknown $words stay");
    assert.equal(cfg.services.get("email")?.type, "email");
    assert.equal(cfg.services.get("email")?.options.password, "pw");
    assert.deepEqual(cfg.defaultTriggers, ["on-sync-succeeded"]);
    assert.deepEqual(cfg.serviceDefaultTriggers.get("email"), ["on-sync-failed", "on-health-degraded"]);
    assert.deepEqual(cfg.context, { argocdUrl: "https://cd.example" });
    assert.equal(cfg.subscriptions.length, 2);
  });

  it("reports bad YAML, unknown keys, unsupported services and missing templates without throwing", () => {
    const cfg = parseNotificationsConfig({
      "trigger.broken": "- when: [unclosed\n",
      "trigger.no-template": "- when: 'true'\n  send: [missing]\n  oncePr: x\n",
      "template.bad": "just a string",
      "service.opsgenie": "apiUrl: x\n",
      "service.slack": "token: x\nchannel: y\n",
      "service.carrier-pigeon": "bird: 1\n",
      "triggers.typo": "x",
    });
    const text = cfg.problems.join("\n");
    for (const expected of [
      /trigger\.broken: invalid YAML/,
      /trigger\.no-template\[0\]: unknown field oncePr/,
      /trigger\.no-template\[0\]: template missing is not defined/,
      /template\.bad: must be a YAML mapping/,
      /service\.opsgenie: service type opsgenie is not supported by Hawser/,
      /service\.slack: unknown key channel/,
      /service\.carrier-pigeon: unknown service type carrier-pigeon/,
      /triggers\.typo: unknown key/,
    ]) assert.match(text, expected);
    assert.ok(cfg.services.has("slack"), "a service with an unknown key is still usable");
    assert.ok(cfg.triggers.has("no-template"), "a trigger with a problem is still parsed");
  });

  it("decodes Secret data and replaces references (a `$` and word characters or `-`) in nested values", () => {
    const secrets = secretText({ token: Buffer.from("abc").toString("base64") }, { other: "def" });
    assert.deepEqual(secrets, { token: "abc", other: "def" });
    assert.deepEqual(replaceSecretRefs({ a: ["$token", "x-$other y", "$other-y"], n: 3 }, secrets), { a: ["abc", "x-def y", "$other-y"], n: 3 });
  });

  it("merges legacy config.yaml and notifiers.yaml", () => {
    const cfg = parseNotificationsConfig({
      "config.yaml": "triggers:\n- name: on-x\n  condition: app.status.health.status == 'Degraded'\n  template: t\ntemplates:\n- name: t\n  title: hi\n",
    }, { "notifiers.yaml": "webhook:\n  url: http://h.example\n" });
    assert.deepEqual(cfg.problems, []);
    assert.deepEqual(cfg.triggers.get("on-x"), [{ when: "app.status.health.status == 'Degraded'", send: ["t"] }]);
    assert.deepEqual(cfg.templates.get("t"), { title: "hi" });
    assert.equal(cfg.services.get("webhook")?.options.url, "http://h.example");
  });
});

describe("notifications subscriptions", () => {
  const cfg = parseNotificationsConfig({
    "subscriptions": "- recipients: [slack:all-apps]\n  triggers: [on-created]\n- recipients: [slack:prod]\n  selector: env=prod\n",
    "defaultTriggers": "[on-sync-succeeded, on-sync-failed]",
    "defaultTriggers.github": "[on-deployed]",
  });

  it("merges app annotations, project annotations and ConfigMap subscriptions, de-duplicated", () => {
    const app = {
      metadata: {
        labels: { env: "prod" },
        annotations: {
          "notifications.argoproj.io/subscribe.on-sync-failed.slack": "ops; dev",
          "notifications.argoproj.io/subscribe.on-sync-succeeded.deploy-hook": "",
          "notifications.argoproj.io/subscribe.github": "",
          "notifications.argoproj.io/subscriptions": "- trigger: [on-health-degraded]\n  destinations:\n  - service: email\n    recipients: [a@example, b@example]\n",
          "unrelated": "x",
        },
      },
    };
    const project = { metadata: { annotations: { "notifications.argoproj.io/subscribe.on-sync-failed.slack": "ops", "on-created.recipients.argocd-notifications.argoproj.io": "email:lead@example" } } };
    const subs = subscriptionsOf(app, project, cfg);
    assert.deepEqual(Object.fromEntries(subs), {
      "on-sync-failed": [
        { service: "slack", recipient: "ops" }, { service: "slack", recipient: "dev" }, { service: "slack", recipient: "prod" },
      ],
      "on-sync-succeeded": [{ service: "deploy-hook", recipient: "" }, { service: "slack", recipient: "prod" }],
      "on-deployed": [{ service: "github", recipient: "" }],
      "on-health-degraded": [{ service: "email", recipient: "a@example" }, { service: "email", recipient: "b@example" }],
      "on-created": [{ service: "email", recipient: "lead@example" }, { service: "slack", recipient: "all-apps" }],
    });
  });

  it("applies a selector subscription only to matching apps and reports bad annotation YAML", () => {
    const problems: string[] = [];
    const subs = subscriptionsOf({ metadata: { labels: { env: "dev" }, annotations: { "notifications.argoproj.io/subscriptions": "[: bad" } } }, undefined, cfg, problems);
    assert.deepEqual(Object.fromEntries(subs), { "on-created": [{ service: "slack", recipient: "all-apps" }] });
    assert.match(problems.join("\n"), /notifications\.argoproj\.io\/subscriptions: invalid YAML/);
  });
});
