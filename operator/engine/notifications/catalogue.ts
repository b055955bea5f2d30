// Hawser's own trigger and template catalogue (spec §6.2 "Built-in catalog"). As in Argo CD the
// catalogue is an optional install: these keys take effect once they are in the
// argocd-notifications-cm (docs/notifications-catalog.yaml holds them as a ConfigMap; a test keeps
// it equal to this module). Nothing here is used implicitly.

const revision = "app.status.operationState?.syncResult?.revision";

function trigger(when: string, template: string, oncePer: string, description: string): string {
  return `- description: ${description}\n  when: ${JSON.stringify(when)}\n  oncePer: ${oncePer}\n  send: [${template}]\n`;
}

/** A catalogue template: message, email subject, Slack attachment and Teams card. */
function template(title: string, color: string, emoji: string, teamsColor: string): string {
  const url = "{{.context.argocdUrl}}/applications/{{.app.metadata.name}}";
  return [
    `message: |`,
    `  {{if eq .serviceType "slack"}}${emoji} {{end}}${title}`,
    `  Sync status: {{.app.status.sync.status}}; health: {{.app.status.health.status}}.`,
    `  Details: ${url}`,
    `email:`,
    `  subject: ${JSON.stringify(title)}`,
    `slack:`,
    `  attachments: |`,
    `    [{`,
    `      "title": "{{.app.metadata.name}}",`,
    `      "title_link": "${url}",`,
    `      "color": "${color}",`,
    `      "fields": [`,
    `        {"title": "Sync Status", "value": "{{.app.status.sync.status}}", "short": true},`,
    `        {"title": "Repository", "value": "{{.app.spec.source.repoURL}}", "short": true},`,
    `        {"title": "Revision", "value": "{{.app.status.sync.revision}}", "short": true}`,
    `        {{range $c := .app.status.conditions}},{"title": "{{$c.type}}", "value": {{toJson $c.message}}, "short": false}{{end}}`,
    `      ]`,
    `    }]`,
    `teams:`,
    `  themeColor: "${teamsColor}"`,
    `  title: ${JSON.stringify(title)}`,
    `  facts: |`,
    `    [{"name": "Sync Status", "value": "{{.app.status.sync.status}}"},`,
    `     {"name": "Repository", "value": "{{.app.spec.source.repoURL}}"},`,
    `     {"name": "Revision", "value": "{{.app.status.sync.revision}}"}]`,
    `  potentialAction: |`,
    `    [{"@type": "OpenUri", "name": "Open Application", "targets": [{"os": "default", "uri": "${url}"}]}]`,
    ``,
  ].join("\n");
}

const deployedWhen =
  "app.status.operationState != nil and app.status.operationState.phase in ['Succeeded'] and app.status.health.status == 'Healthy'" +
  " and (!time.Parse(app.status.health.lastTransitionTime).Add(time.Minute).Before(time.Parse(app.status.operationState.finishedAt))" +
  " or !time.Parse(app.status.health.lastTransitionTime).Add(time.Minute).Before(time.Parse(app.status.operationState.startedAt)))";

/** ConfigMap data: `trigger.<name>` and `template.<name>` keys. */
export const NOTIFICATIONS_CATALOGUE: Readonly<Record<string, string>> = {
  "trigger.on-created": trigger("true", "app-created", "app.metadata.name", "Application is created."),
  "trigger.on-deleted": trigger("app.metadata.deletionTimestamp != nil", "app-deleted", "app.metadata.name", "Application is being deleted."),
  "trigger.on-deployed": trigger(deployedWhen, "app-deployed", revision, "Application is synced and healthy, once per revision."),
  "trigger.on-health-degraded": trigger("app.status.health.status == 'Degraded'", "app-health-degraded", revision, "Application health is Degraded."),
  "trigger.on-sync-failed": trigger("app.status.operationState != nil and app.status.operationState.phase in ['Error', 'Failed']", "app-sync-failed", revision, "Application syncing has failed."),
  "trigger.on-sync-running": trigger("app.status.operationState != nil and app.status.operationState.phase in ['Running']", "app-sync-running", revision, "Application is being synced."),
  "trigger.on-sync-status-unknown": trigger("app.status.sync.status == 'Unknown'", "app-sync-status-unknown", revision, "Application sync status is Unknown."),
  "trigger.on-sync-succeeded": trigger("app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']", "app-sync-succeeded", revision, "Application syncing has succeeded."),
  "template.app-created": template("Application {{.app.metadata.name}} has been created.", "#18be52", ":new:", "0DADEA"),
  "template.app-deleted": template("Application {{.app.metadata.name}} has been deleted.", "#f4c030", ":wastebasket:", "F4C030"),
  "template.app-deployed": template("Application {{.app.metadata.name}} is now running new version {{.app.status.sync.revision}}.", "#18be52", ":white_check_mark:", "000080"),
  "template.app-health-degraded": template("Application {{.app.metadata.name}} has degraded.", "#f4c030", ":exclamation:", "FF0000"),
  "template.app-sync-failed": template("Failed to sync application {{.app.metadata.name}}: {{.app.status.operationState.message}}", "#E96D76", ":exclamation:", "FF0000"),
  "template.app-sync-running": template("The sync operation of application {{.app.metadata.name}} has started.", "#0DADEA", ":arrows_counterclockwise:", "0DADEA"),
  "template.app-sync-status-unknown": template("Application {{.app.metadata.name}} sync status is 'Unknown'.", "#E96D76", ":question:", "FF0000"),
  "template.app-sync-succeeded": template("Application {{.app.metadata.name}} has been successfully synced.", "#18be52", ":white_check_mark:", "000080"),
};
