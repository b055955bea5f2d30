import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { App, ResourceStatus } from "./apps";
import {
  emptyResourceFilters, filterResources, parseResourceQuery, resourceFacetCounts, resourceQuery, resourceRows, resourceSummary, type ResourceListState,
} from "./resources";

const app = (name: string, resources: ResourceStatus[], namespace = "argocd", project = "default"): App => ({
  metadata: { name, namespace }, spec: { project }, status: { resources },
});
const deploy = (name: string, namespace: string, status: string, health: string): ResourceStatus => ({ group: "apps", version: "v1", kind: "Deployment", namespace, name, status, health: { status: health } });
const cm = (name: string, namespace: string, status = "Synced"): ResourceStatus => ({ version: "v1", kind: "ConfigMap", namespace, name, status });

const APPS: App[] = [
  app("web", [deploy("web", "prod", "Synced", "Healthy"), cm("web-config", "prod")]),
  app("api", [deploy("api", "prod", "OutOfSync", "Degraded"), cm("api-config", "prod", "OutOfSync")]),
  app("web", [deploy("web", "team-a", "Synced", "Progressing")], "team-a"),
  app("empty", []),
];
const state = (change: Partial<ResourceListState> = {}): ResourceListState => ({ filters: emptyResourceFilters(), search: "", view: "list", ...change });

describe("the cross-app resource list", () => {
  it("has one row per resource of every app, sorted by kind, namespace, name, app; keys unique across apps", () => {
    const rows = resourceRows(APPS);
    assert.deepEqual(rows.map((r) => `${r.kind} ${r.namespace}/${r.name} (${r.appNamespace}/${r.app})`), [
      "ConfigMap prod/api-config (argocd/api)", "ConfigMap prod/web-config (argocd/web)",
      "Deployment prod/api (argocd/api)", "Deployment prod/web (argocd/web)", "Deployment team-a/web (team-a/web)",
    ]);
    assert.equal(new Set(rows.map((r) => r.key)).size, rows.length, "two apps named web do not collide");
    assert.equal(rows[0]!.health, "", "a ConfigMap has no health");
  });

  it("filters: any value within a facet, every facet across; the app facet tells namespaces apart", () => {
    const rows = resourceRows(APPS);
    const names = (s: ResourceListState): string[] => filterResources(rows, s).map((r) => `${r.namespace}/${r.name}`);
    assert.deepEqual(names(state({ filters: { ...emptyResourceFilters(), kind: ["Deployment"], sync: ["OutOfSync"] } })), ["prod/api"]);
    assert.deepEqual(names(state({ filters: { ...emptyResourceFilters(), health: ["Healthy", "Progressing"] } })), ["prod/web", "team-a/web"]);
    assert.deepEqual(names(state({ filters: { ...emptyResourceFilters(), app: ["team-a/web"] } })), ["team-a/web"], "the app in team-a only");
    assert.deepEqual(names(state({ filters: { ...emptyResourceFilters(), namespace: ["prod"], kind: ["ConfigMap"] } })), ["prod/api-config", "prod/web-config"]);
    assert.deepEqual(names(state({ search: "CONFIG" })), ["prod/api-config", "prod/web-config"], "search is case-insensitive over names and kinds");
    assert.deepEqual(names(state({ filters: { ...emptyResourceFilters(), kind: ["Secret"] } })), [], "nothing matches");
  });

  it("counts each option as clicking it would show, keeping selected options listed", () => {
    const rows = resourceRows(APPS);
    const counts = resourceFacetCounts(rows, state({ filters: { ...emptyResourceFilters(), kind: ["Deployment"], sync: ["Unknown"] } }));
    assert.deepEqual([...counts.kind], [["Deployment", 0]], "no Unknown resource of any kind; the selected kind stays listed");
    assert.deepEqual([...counts.sync], [["Synced", 2], ["OutOfSync", 1], ["Unknown", 0]], "sync options counted over Deployments");
    assert.deepEqual([...counts.health], HEALTH_ZERO(), "every row fails the sync filter");
    const open = resourceFacetCounts(rows, state());
    assert.deepEqual([...open.kind], [["ConfigMap", 2], ["Deployment", 3]]);
    assert.equal(open.health.has(""), false, "no health is not an option");
    assert.deepEqual([...open.app].sort(), [["argocd/api", 2], ["argocd/web", 2], ["team-a/web", 1]]);
  });

  it("round-trips its state through the URL, defaults left out", () => {
    const s = state({ filters: { ...emptyResourceFilters(), kind: ["Deployment", "Service"], app: ["team-a/web"] }, search: "web", view: "summary" });
    const q = resourceQuery(s);
    assert.equal(q.toString(), "kind=Deployment%2CService&app=team-a%2Fweb&search=web&view=summary");
    assert.deepEqual(parseResourceQuery(q), s);
    assert.equal(resourceQuery(state()).toString(), "", "a plain list has a plain URL");
    assert.equal(parseResourceQuery(new URLSearchParams("view=tree")).view, "list", "an unknown view is the list");
  });

  it("summarises by kind, sync and health", () => {
    const s = resourceSummary(resourceRows(APPS));
    assert.equal(s.total, 5);
    assert.equal(s.apps, 3, "apps with resources");
    assert.deepEqual(s.byKind, [["Deployment", 3], ["ConfigMap", 2]]);
    assert.equal(s.bySync.get("OutOfSync"), 2);
    assert.equal(s.byHealth.get("Degraded"), 1);
    assert.equal(s.byHealth.get("Missing"), 0, "fixed health options at zero");
  });

  it("takes 10,000 apps (50,000 rows): filtered and counted right", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => app(`app-${i}`, [deploy(`d${i}`, `ns-${i % 50}`, i % 3 ? "Synced" : "OutOfSync", "Healthy"), cm(`c${i}a`, `ns-${i % 50}`), cm(`c${i}b`, `ns-${i % 50}`), cm(`c${i}c`, "x"), cm(`c${i}d`, "y")]));
    const rows = resourceRows(many);
    assert.equal(rows.length, 50_000);
    const s = state({ filters: { ...emptyResourceFilters(), kind: ["Deployment"], sync: ["OutOfSync"] } });
    assert.equal(filterResources(rows, s).length, 3334);
    assert.equal(resourceFacetCounts(rows, s).namespace.get("ns-0"), 67, "every third app, in ns-0 one in fifty");
  });
});

function HEALTH_ZERO(): Array<[string, number]> {
  return ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"].map((h) => [h, 0]);
}
