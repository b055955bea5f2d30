// Deep links through the real evaluator (expr-lang and Go text/template with Sprig, as Argo):
// conditions pick links, URLs are rendered from the app, resource, cluster and project, and a
// failing or unsafe link is left out with a reason while the others are still shown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deepLinkVars, parseDeepLinks } from "../../engine/deep-links.js";
import { notifyEvaluator } from "../../notifications/wasm.js";
import { evaluateLinks } from "./links.js";

const app = { metadata: { name: "web", namespace: "argocd" }, spec: { project: "shop", destination: { namespace: "shop-prod" } } };
const project = { metadata: { name: "shop", labels: { env: "prod" } } };
const resource = { kind: "Deployment", metadata: { name: "web", namespace: "shop-prod" } };
const cluster = { name: "in-cluster", server: "https://kubernetes.default.svc" };

test("conditions choose the links and the URLs are rendered from the variables", async () => {
  const links = parseDeepLinks({ "resource.links": `
- title: Logs
  url: 'https://logs.example/?q={{.resource.metadata.namespace}}/{{.resource.metadata.name}}&env={{.project.metadata.labels.env}}'
  description: the pod logs
  icon.class: fa-book
  if: resource.kind == "Deployment" && application.spec.project == "shop"
- title: Pods only
  url: https://pods.example/
  if: resource.kind == "Pod"
- title: Cluster
  url: '{{ printf "https://dash.example/%s/%s" .cluster.name (.app.metadata.name | upper) }}'
` }, "resource");
  const skipped: string[] = [];
  const items = evaluateLinks(links, deepLinkVars({ app, resource, cluster, project }), await notifyEvaluator(), (l, i, why) => skipped.push(`${i} ${l.title}: ${why}`));
  assert.deepEqual(items, [
    { title: "Logs", url: "https://logs.example/?q=shop-prod/web&env=prod", description: "the pod logs", iconClass: "fa-book" },
    { title: "Cluster", url: "https://dash.example/in-cluster/WEB" },
  ]);
  assert.deepEqual(skipped, [], "a false condition is not a failure");
});

test("a failing condition or template, a non-boolean condition and a script URL are left out, with why", async () => {
  const links = parseDeepLinks({ "application.links": `
- {title: Bad condition, url: 'https://a.example/', if: 'app.spec.('}
- {title: Not boolean, url: 'https://b.example/', if: 'app.metadata.name'}
- {title: Bad template, url: 'https://c.example/{{.app.metadata.name'}
- {title: Script, url: 'javascript:alert({{.app.metadata.name}})'}
- {title: Good, url: 'https://d.example/{{.app.metadata.name}}'}
` }, "application");
  const skipped: string[] = [];
  const items = evaluateLinks(links, deepLinkVars({ app, project }), await notifyEvaluator(), (l, _i, why) => skipped.push(`${l.title}: ${why}`));
  assert.deepEqual(items, [{ title: "Good", url: "https://d.example/web" }], "only the good link");
  assert.equal(skipped.length, 4, `four left out: ${skipped.join("; ")}`);
  assert.match(skipped[0]!, /^Bad condition: condition failed/);
  assert.match(skipped[1]!, /^Not boolean: condition is "web", not true or false/);
  assert.match(skipped[2]!, /^Bad template: url template failed/);
  assert.match(skipped[3]!, /^Script: the rendered url .* would run script/);
});
