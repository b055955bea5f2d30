// The applications list's rules: the URL round trip, matching per facet, counts beside the
// options (each counted with the other filters applied), search, sorting and watch events.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  applyWatchEvent, appKey, facetCounts, filterApps, isAutoSync, listQuery, matchesLabel, parseListQuery, rbacObject, searchMatcher, sortApps,
  type App,
} from "./apps";

function app(name: string, o: { ns?: string; proj?: string; sync?: string; health?: string; auto?: boolean; server?: string; dest?: string; labels?: Record<string, string>; created?: string; finished?: string } = {}): App {
  return {
    metadata: { name, namespace: o.ns ?? "argocd", ...(o.labels ? { labels: o.labels } : {}), ...(o.created ? { creationTimestamp: o.created } : {}) },
    spec: {
      project: o.proj ?? "default",
      destination: { server: o.server ?? "https://kubernetes.default.svc", namespace: o.dest ?? "default" },
      ...(o.auto ? { syncPolicy: { automated: { prune: true } } } : {}),
    },
    status: {
      ...(o.sync ? { sync: { status: o.sync } } : {}),
      ...(o.health ? { health: { status: o.health } } : {}),
      ...(o.finished ? { operationState: { phase: "Succeeded", finishedAt: o.finished } } : {}),
    },
  };
}

const apps = [
  app("demo-dev", { proj: "demo-proj", sync: "Synced", health: "Healthy", auto: true, dest: "dev", labels: { env: "dev", team: "a" } }),
  app("demo-prod", { proj: "demo-proj", sync: "OutOfSync", health: "Progressing", auto: true, dest: "prod", labels: { env: "prod", team: "a" } }),
  app("guestbook", { sync: "Synced", health: "Degraded", server: "https://remote:6443", dest: "gb", labels: { team: "b" } }),
  app("bare", {}),
];
const none = new Set<string>();

test("the URL holds the filters, search, favourites, view and sort, and reads back the same", () => {
  const q = new URLSearchParams("proj=demo-proj&health=Healthy,Degraded&labels=env%3Ddev&search=demo&showFavorites=true&view=list&sort=created");
  const s = parseListQuery(q);
  assert.deepEqual(s.filters.proj, ["demo-proj"]);
  assert.deepEqual(s.filters.health, ["Healthy", "Degraded"]);
  assert.deepEqual(s.filters.labels, ["env=dev"]);
  assert.equal(s.search, "demo");
  assert.equal(s.showFavorites, true);
  assert.equal(s.view, "list");
  assert.equal(s.sort, "created");
  assert.deepEqual(parseListQuery(listQuery(s)), s, "round trip");
  assert.equal(listQuery(parseListQuery(new URLSearchParams())).toString(), "", "defaults leave the URL plain");
  const odd = parseListQuery(new URLSearchParams("view=grid&sort=size&health=,,"));
  assert.equal(odd.view, "tiles", "an unknown view falls back to tiles");
  assert.equal(odd.sort, "name", "an unknown sort falls back to name");
  assert.deepEqual(odd.filters.health, []);
});

test("values of one facet widen, facets narrow each other, labels all must hold", () => {
  const names = (q: string, favs: Set<string> = none): string[] => filterApps(apps, parseListQuery(new URLSearchParams(q)), favs).map((a) => a.metadata.name);
  assert.deepEqual(names(""), ["demo-dev", "demo-prod", "guestbook", "bare"]);
  assert.deepEqual(names("health=Healthy,Degraded"), ["demo-dev", "guestbook"]);
  assert.deepEqual(names("health=Healthy,Degraded&proj=demo-proj"), ["demo-dev"]);
  assert.deepEqual(names("sync=Unknown&health=Unknown"), ["bare"], "no status counts as Unknown");
  assert.deepEqual(names("autoSync=Disabled"), ["guestbook", "bare"]);
  assert.deepEqual(names("cluster=https://remote:6443"), ["guestbook"]);
  assert.deepEqual(names("namespace=prod"), ["demo-prod"]);
  assert.deepEqual(names("labels=team%3Da,env!%3Dprod"), ["demo-dev"]);
  assert.deepEqual(names("labels=env"), ["demo-dev", "demo-prod"], "a bare key: the label is present");
  assert.deepEqual(names("showFavorites=true", new Set(["argocd/bare"])), ["bare"]);
});

test("label expressions", () => {
  assert.equal(matchesLabel({ a: "1" }, "a=1"), true);
  assert.equal(matchesLabel({ a: "1" }, "a=2"), false);
  assert.equal(matchesLabel({ a: "1" }, "a!=2"), true);
  assert.equal(matchesLabel(undefined, "a!=2"), true, "absent is not equal");
  assert.equal(matchesLabel({}, "a"), false);
});

test("each option's count is what selecting it would show, with the other filters applied", () => {
  const s = parseListQuery(new URLSearchParams("proj=demo-proj&health=Healthy"));
  const c = facetCounts(apps, s, none);
  assert.deepEqual(Object.fromEntries(c.health), { Healthy: 1, Progressing: 1, Degraded: 0, Suspended: 0, Missing: 0, Unknown: 0 }, "health counted within demo-proj");
  assert.deepEqual(Object.fromEntries(c.proj), { "demo-proj": 1 }, "projects counted among the Healthy (the default project has none)");
  assert.deepEqual(Object.fromEntries(c.sync), { Synced: 1, OutOfSync: 0, Unknown: 0 }, "fixed options listed at zero");
  assert.deepEqual(Object.fromEntries(c.labels), { "env=dev": 1, "team=a": 1 });
  const gone = facetCounts(apps, parseListQuery(new URLSearchParams("namespace=nowhere")), none);
  assert.equal(gone.namespace.get("nowhere"), 0, "a selected option stays listed so it can be cleared");
});

test("search: substring of name, namespace or project; /regex/ on the name; a bad regex matches nothing", () => {
  const hits = (s: string): string[] => apps.filter(searchMatcher(s)).map((a) => a.metadata.name);
  assert.deepEqual(hits("DEMO"), ["demo-dev", "demo-prod"]);
  assert.deepEqual(hits("demo-proj"), ["demo-dev", "demo-prod"], "by project");
  assert.deepEqual(hits("/^g.*k$/"), ["guestbook"]);
  assert.deepEqual(hits("/(/"), []);
  assert.deepEqual(hits("  "), ["demo-dev", "demo-prod", "guestbook", "bare"]);
});

test("sorting by name, newest created, last synchronised", () => {
  const list = [
    app("b", { created: "2026-01-02T00:00:00Z", finished: "2026-01-05T00:00:00Z" }),
    app("a", { created: "2026-01-01T00:00:00Z" }),
    app("c", { created: "2026-01-03T00:00:00Z", finished: "2026-01-04T00:00:00Z" }),
  ];
  assert.deepEqual(sortApps([...list], "name").map((a) => a.metadata.name), ["a", "b", "c"]);
  assert.deepEqual(sortApps([...list], "created").map((a) => a.metadata.name), ["c", "b", "a"]);
  assert.deepEqual(sortApps([...list], "synchronized").map((a) => a.metadata.name), ["b", "c", "a"], "never synced last");
});

test("watch events add, replace and delete by namespace/name", () => {
  const m = new Map<string, App>();
  assert.equal(applyWatchEvent(m, { type: "ADDED", application: app("x") }), true);
  assert.equal(applyWatchEvent(m, { type: "ADDED", application: app("x", { ns: "other" }) }), true);
  assert.equal(m.size, 2, "same name, two namespaces");
  assert.equal(applyWatchEvent(m, { type: "MODIFIED", application: app("x", { health: "Healthy" }) }), true);
  assert.equal(m.get("argocd/x")?.status?.health?.status, "Healthy");
  assert.equal(applyWatchEvent(m, { type: "DELETED", application: app("x") }), true);
  assert.deepEqual([...m.keys()], ["other/x"]);
  assert.equal(applyWatchEvent(m, { type: "MODIFIED" }), false, "an event without an app changes nothing");
});

test("keys, auto-sync and the can-i object", () => {
  assert.equal(appKey(apps[0]!), "argocd/demo-dev");
  assert.equal(isAutoSync(apps[0]!), true);
  assert.equal(isAutoSync({ ...apps[0]!, spec: { syncPolicy: { automated: { enabled: false } } } }), false, "automated.enabled: false turns it off");
  assert.equal(isAutoSync({ ...apps[0]!, spec: { syncPolicy: { automated: null } } }), false);
  assert.equal(rbacObject(apps[0]!), "demo-proj/argocd/demo-dev");
});
