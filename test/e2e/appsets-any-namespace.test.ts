// Issue 12, item 2, ApplicationSets in any namespace: argocd-cmd-params-cm
// `applicationsetcontroller.namespaces` lets the operator reconcile sets outside its control
// namespace. A set there makes its Applications in its own namespace whatever its template says,
// only for projects whose `sourceNamespaces` admit that namespace; a set naming another project
// writes nothing and says why; a set outside the configured namespaces is not touched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { API, IN_CLUSTER, createWorld, showRun } from "../support/world.js";

interface Condition { type?: string; status?: string; message?: string }

test("appsets in any namespace: Applications stay in the set's namespace, for projects that admit it", async (t) => {
  const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web-config" }, data: { greeting: "hello" } };
  const w = await createWorld(t, { name: "asns", repos: { web: { "app/cm.yaml": stringify(configMap) } }, startOperator: false });
  const { client, ns, id, git } = w;
  const teamA = `team-a-${id}`;
  const outside = `other-${id}`;
  const destA = w.dest("dest-a");
  await w.createNamespace(teamA, outside, destA);
  await client.create({
    apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: ns },
    data: { "application.namespaces": `team-?-${id}`, "applicationsetcontroller.namespaces": `team-?-${id}` },
  });
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "teams", namespace: ns },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], sourceNamespaces: [teamA] },
  });
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "closed", namespace: ns },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] },
  });
  await w.startOperator();

  const appSet = (name: string, setNs: string, project: string): KubeObject => ({
    apiVersion: API, kind: "ApplicationSet", metadata: { name, namespace: setNs },
    spec: {
      generators: [{ list: { elements: [{ env: "one" }] } }],
      template: {
        // The template asks for the control namespace; the set's own namespace is used regardless.
        metadata: { name: `${name}-{{env}}`, namespace: ns },
        spec: {
          project, source: { repoURL: git.baseUrl("web"), path: "app", targetRevision: "HEAD" },
          destination: { server: IN_CLUSTER, namespace: destA }, syncPolicy: { automated: { prune: true } },
        },
      },
    },
  });
  const setConditions = async (name: string, setNs: string): Promise<Condition[] | undefined> =>
    ((await client.get(API, "ApplicationSet", name, setNs))?.status as { conditions?: Condition[] } | undefined)?.conditions;

  await client.create(appSet("stray", outside, "teams"));
  await client.create(appSet("web", teamA, "teams"));
  await client.create(appSet("bad", teamA, "closed"));

  await t.test("the set in team-a makes its Application in team-a, which syncs under team-a's tracking key", async () => {
    await eventually(async () => {
      const app = await client.get(API, "Application", "web-one", teamA);
      assert.ok(app, "web-one exists in team-a");
      assert.equal((app.status as { sync?: { status?: string } } | undefined)?.sync?.status, "Synced", `synced: ${JSON.stringify(app.status)}`);
      const cm = await client.get("v1", "ConfigMap", "web-config", destA);
      assert.equal(cm?.metadata.annotations?.["argocd.argoproj.io/tracking-id"], `${teamA}_web-one:/ConfigMap:${destA}/web-config`, "tracked by team-a's app");
    }, { timeoutMs: 120_000, message: "team-a/web-one synced" });
    assert.equal(await client.get(API, "Application", "web-one", ns), undefined, "nothing in the control namespace the template asked for");
  });

  await t.test("hawser appset list -N, get NS/NAME and diff find the set in team-a and its Applications there", async () => {
    const listed = await w.hawserAppSet("list", "-N", teamA);
    assert.equal(listed.code, 0, showRun(listed));
    assert.match(listed.stdout, /^web\s+UpToDate\s+1$/m, `web in team-a owns web-one: ${showRun(listed)}`);
    const controlList = await w.hawserAppSet("list");
    assert.equal(controlList.code, 0, showRun(controlList));
    assert.doesNotMatch(controlList.stdout, /^web\s/m, "without -N only the control namespace is listed");
    const got = await w.hawserAppSet("get", `${teamA}/web`);
    assert.equal(got.code, 0, showRun(got));
    assert.match(got.stdout, new RegExp(`Namespace:\\s+${teamA}\n`), showRun(got));
    assert.match(got.stdout, /Applications:\n {2}web-one/, showRun(got));
    const missing = await w.hawserAppSet("get", "web");
    assert.equal(missing.code, 2, "a bare name is looked for in the control namespace");
    assert.match(missing.stderr, new RegExp(`ApplicationSet ${ns}/web not found`), showRun(missing));
    const dir = mkdtempSync(join(tmpdir(), "hawser-appset-ns-"));
    try {
      const file = join(dir, "web.yaml");
      writeFileSync(file, stringify(appSet("web", teamA, "teams")));
      const same = await w.hawserAppSet("diff", file);
      assert.equal(same.code, 0, showRun(same));
      assert.match(same.stdout, new RegExp(`ApplicationSet ${teamA}/web: no changes`), showRun(same));
      const more = appSet("web", teamA, "teams");
      (more.spec as { generators: Array<{ list: { elements: unknown[] } }> }).generators[0]!.list.elements.push({ env: "two" });
      writeFileSync(file, stringify(more));
      const changed = await w.hawserAppSet("diff", file);
      assert.equal(changed.code, 1, showRun(changed));
      assert.match(changed.stdout, /1 change\(s\)\n {2}\+ web-two/, showRun(changed));
      const clash = await w.hawserAppSet("diff", file, "-N", outside);
      assert.equal(clash.code, 2, showRun(clash));
      assert.match(clash.stderr, new RegExp(`metadata.namespace ${teamA} differs from --appset-namespace ${outside}`), showRun(clash));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  await t.test("a set whose project does not admit team-a writes nothing and says why", async () => {
    await eventually(async () => {
      const err = (await setConditions("bad", teamA))?.find((c) => c.type === "ErrorOccurred");
      assert.equal(err?.status, "True", `ErrorOccurred: ${JSON.stringify(err)}`);
      assert.match(err?.message ?? "", new RegExp(`application 'bad-one' in namespace '${teamA}' is not allowed to use project closed`), `names the rule: ${err?.message}`);
    }, { timeoutMs: 60_000, message: "team-a/bad refused" });
    assert.equal(await client.get(API, "Application", "bad-one", teamA), undefined, "no Application made");
  });

  await t.test("a set outside applicationsetcontroller.namespaces is never reconciled", async () => {
    assert.equal(await setConditions("stray", outside), undefined, "no status written");
    assert.deepEqual((await client.list(API, "Application", { namespace: outside })).items.map((a) => a.metadata.name), [], "no Application made");
  });
});
