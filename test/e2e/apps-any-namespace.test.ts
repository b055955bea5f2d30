// Issue 12, item 2: Applications in any namespace. argocd-cmd-params-cm `application.namespaces`
// (a glob here) lets the operator reconcile Applications outside its control namespace; a project's
// `sourceNamespaces` (a literal and a /regex/ here) decides which of them may use it. Three
// Applications named `web` (control namespace, team-a, team-b) render the same repository path
// into their own destination namespaces with automated sync and prune: each tracks its objects
// under its own key (`web`, `<ns>_web`), so none sees the others' objects as its own to prune or
// adopt. An app in team-c, which the glob admits but no project allows, gets Argo's
// InvalidSpecError and writes nothing; an app in a namespace outside the glob is not touched at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { API, createWorld, showRun } from "../support/world.js";

interface Condition { type?: string; message?: string }
interface Resource { kind?: string; namespace?: string; name?: string; requiresPruning?: boolean }
interface AppStatus {
  sync?: { status?: string };
  health?: { status?: string };
  conditions?: Condition[];
  resources?: Resource[];
  operationState?: { phase?: string };
  controllerNamespace?: string;
}

test("apps in any namespace: same-named apps in several namespaces keep to their own objects; a namespace no project allows is refused", async (t) => {
  const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web-config" }, data: { greeting: "hello" } };
  const w = await createWorld(t, { name: "anyns", repos: { web: { "app/cm.yaml": stringify(configMap) } }, startOperator: false });
  const { client, ns, id } = w;
  const teamA = `team-a-${id}`;
  const teamB = `team-b-${id}`;
  const teamC = `team-c-${id}`;
  const outside = `other-${id}`;
  const dest = { control: w.dest("dest-0"), a: w.dest("dest-a"), b: w.dest("dest-b"), c: w.dest("dest-c"), outside: w.dest("dest-o") };
  await w.createNamespace(teamA, teamB, teamC, outside, ...Object.values(dest));

  // The glob admits team-a, team-b and team-c; the project admits only team-a and team-b.
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: ns }, data: { "application.namespaces": `team-?-${id}` } });
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "teams", namespace: ns },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], sourceNamespaces: [teamA, `/^team-b-${id}$/`] },
  });
  await w.startOperator();

  const web = (appNs: string, destNs: string, project: string): KubeObject => {
    const app = w.application("web", { repo: "web", path: "app", dest: destNs, project, syncPolicy: { automated: { prune: true, selfHeal: true } } });
    app.metadata.namespace = appNs;
    return app;
  };
  const status = async (appNs: string): Promise<AppStatus | undefined> => (await client.get(API, "Application", "web", appNs))?.status as AppStatus | undefined;
  const trackingId = async (destNs: string): Promise<string | undefined> =>
    (await client.get("v1", "ConfigMap", "web-config", destNs))?.metadata.annotations?.["argocd.argoproj.io/tracking-id"];

  // The app outside the glob goes first, so by the time the others are settled it had every chance to be picked up.
  await client.create(web(outside, dest.outside, "teams"));
  await client.create(web(ns, dest.control, "default"));
  await client.create(web(teamA, dest.a, "teams"));
  await client.create(web(teamB, dest.b, "teams"));
  await client.create(web(teamC, dest.c, "teams"));

  await t.test("the three allowed apps sync, each into its own namespace under its own tracking key", async () => {
    for (const [appNs, destNs, key] of [[ns, dest.control, "web"], [teamA, dest.a, `${teamA}_web`], [teamB, dest.b, `${teamB}_web`]] as const) {
      await eventually(async () => {
        const s = await status(appNs);
        assert.equal(s?.sync?.status, "Synced", `${appNs}/web synced: ${JSON.stringify(s)}`);
        assert.equal(s?.health?.status, "Healthy", `${appNs}/web healthy: ${JSON.stringify(s)}`);
        assert.equal(await trackingId(destNs), `${key}:/ConfigMap:${destNs}/web-config`, `${destNs}/web-config is tracked by ${key}`);
      }, { timeoutMs: 120_000, message: `${appNs}/web` });
    }
  });

  await t.test("no app lists, prunes or adopts another's objects", async () => {
    // A hard refresh of every app recomputes its live set from the cluster caches, where all
    // three ConfigMaps (same name, same kind) are present.
    for (const appNs of [ns, teamA, teamB]) {
      await client.patch({ apiVersion: API, kind: "Application", name: "web", namespace: appNs }, { metadata: { annotations: { "argocd.argoproj.io/refresh": "hard" } } });
    }
    for (const [appNs, destNs] of [[ns, dest.control], [teamA, dest.a], [teamB, dest.b]] as const) {
      await eventually(async () => {
        const app = await client.get(API, "Application", "web", appNs);
        assert.equal(app?.metadata.annotations?.["argocd.argoproj.io/refresh"], undefined, `${appNs}/web refreshed`);
        const s = app?.status as AppStatus | undefined;
        assert.equal(s?.sync?.status, "Synced", `${appNs}/web still synced: ${JSON.stringify(s)}`);
        assert.deepEqual(s?.resources?.map((r) => `${r.kind}:${r.namespace}/${r.name}:${r.requiresPruning ? "prune" : "keep"}`),
          [`ConfigMap:${destNs}/web-config:keep`], `${appNs}/web lists only its own ConfigMap, nothing to prune`);
      }, { timeoutMs: 60_000, message: `${appNs}/web after a hard refresh` });
    }
    for (const [destNs, key] of [[dest.control, "web"], [dest.a, `${teamA}_web`], [dest.b, `${teamB}_web`]] as const) {
      assert.equal(await trackingId(destNs), `${key}:/ConfigMap:${destNs}/web-config`, `${destNs}/web-config still exists and is still ${key}'s`);
    }
  });

  await t.test("hawser app reaches an app in another namespace by NAMESPACE/NAME and lists by -N", async () => {
    const got = await w.hawserApp("get", `${teamA}/web`, "-o", "json");
    assert.equal(got.code, 0, showRun(got));
    const app = JSON.parse(got.stdout) as KubeObject & { status?: AppStatus };
    assert.equal(app.metadata.namespace, teamA, "the app of team-a, not the control namespace's");
    assert.equal(app.spec && (app.spec as { destination?: { namespace?: string } }).destination?.namespace, dest.a, "its own destination");
    // The CLI compares as the controller does: the tracking key must be team-a's for a clean diff.
    const diff = await w.hawserApp("diff", `${teamA}/web`);
    assert.equal(diff.code, 0, `no diff: ${showRun(diff)}`);
    const listed = await w.hawserApp("list", "-N", teamB, "-o", "name");
    assert.equal(listed.code, 0, showRun(listed));
    assert.equal(listed.stdout, `${teamB}/web\n`, "only team-b's app");
  });

  await t.test("the app in team-c gets Argo's InvalidSpecError and writes nothing", async () => {
    await eventually(async () => {
      const s = await status(teamC);
      const invalid = s?.conditions?.filter((c) => c.type === "InvalidSpecError").map((c) => c.message);
      assert.deepEqual(invalid, [`application 'web' in namespace '${teamC}' is not allowed to use project teams`], `condition: ${JSON.stringify(s)}`);
    }, { timeoutMs: 60_000, message: `${teamC}/web refused` });
    const s = await status(teamC);
    assert.equal(s?.operationState, undefined, `no sync was started: ${JSON.stringify(s?.operationState)}`);
    assert.equal(await client.get("v1", "ConfigMap", "web-config", dest.c), undefined, "nothing written into its destination");
  });

  await t.test("a cascade deletion of the team-c app deletes nothing, since it may not use its project", async () => {
    // An object carrying team-c's tracking data, as if the app had synced it: the project would
    // permit deleting it, but the app may not use that project.
    const claimed = `${teamC}_web:/ConfigMap:${dest.c}/web-config`;
    await client.create({
      apiVersion: "v1", kind: "ConfigMap", data: { keep: "me" },
      metadata: { name: "web-config", namespace: dest.c, annotations: { "argocd.argoproj.io/tracking-id": claimed, "argocd.argoproj.io/installation-id": ns } },
    });
    const appRef = { apiVersion: API, kind: "Application", name: "web", namespace: teamC };
    await client.patch(appRef, { metadata: { finalizers: ["resources-finalizer.argocd.argoproj.io"] } });
    await client.delete(appRef);
    await eventually(async () => {
      const s = await status(teamC);
      const deletion = s?.conditions?.filter((c) => c.type === "DeletionError").map((c) => c.message);
      assert.deepEqual(deletion, [`application 'web' in namespace '${teamC}' is not allowed to use project teams; resources are not deleted until the project admits the app's namespace (or the finalizer is removed)`], `condition: ${JSON.stringify(s)}`);
    }, { timeoutMs: 60_000, message: `${teamC}/web deletion refused` });
    assert.equal(await trackingId(dest.c), claimed, "the object is still there");
    // Let the app go, so teardown can delete its namespace.
    await client.patch(appRef, { metadata: { finalizers: null } });
  });

  await t.test("an app in a namespace outside application.namespaces is never reconciled", async () => {
    const app = await client.get(API, "Application", "web", outside);
    assert.equal(app?.status, undefined, `no status written: ${JSON.stringify(app?.status)}`);
    assert.equal(await client.get("v1", "ConfigMap", "web-config", dest.outside), undefined, "nothing written into its destination");
  });
});
