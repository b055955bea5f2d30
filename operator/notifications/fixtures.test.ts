// Tests of the notifications model against files: seed 000's ConfigMap and the catalogue document
// (the engine's own tests cannot read files).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { seedsDir } from "../../test/crds/seeds.js";
import { NOTIFICATIONS_CATALOGUE } from "../engine/notifications/catalogue.js";
import { parseNotificationsConfig } from "../engine/notifications/config.js";
import { packageRoot } from "../paths.js";

describe("notifications fixtures", () => {
  it("parses seed 000's ConfigMap: a slack service with a secret token, one trigger, one template", (t) => {
    const dir = seedsDir();
    if (!dir) return t.skip("seed fixtures not present");
    const cm = parse(readFileSync(join(dir, "000", "argocd-notifications-cm.yaml"), "utf8")) as { data: Record<string, string> };
    const cfg = parseNotificationsConfig(cm.data, { "slack-token": "xoxb-123" });
    assert.deepEqual(cfg.problems, [], "seed 000 has nothing Hawser cannot use");
    assert.deepEqual(cfg.services.get("slack"), { type: "slack", name: "slack", options: { token: "xoxb-123" } });
    assert.deepEqual(cfg.triggers.get("on-sync-succeeded"), [{ when: "app.status.sync.status == 'Synced'", send: ["app-sync-succeeded"] }]);
    const tpl = cfg.templates.get("app-sync-succeeded");
    assert.ok(tpl && typeof (tpl.slack as Record<string, unknown>).attachments === "string", "slack.attachments is kept as a template string");
  });

  it("docs/notifications-catalog.yaml is this catalogue as a ConfigMap", () => {
    const doc = parse(readFileSync(join(packageRoot(), "docs", "notifications-catalog.yaml"), "utf8")) as { metadata: { name: string }; data: Record<string, string> };
    assert.equal(doc.metadata.name, "argocd-notifications-cm");
    assert.deepEqual(doc.data, NOTIFICATIONS_CATALOGUE, "regenerate with: node --import tsx hack/notifications-catalog.ts");
  });
});
