// appdetails of a multi-source Application through the real API server on the real control plane:
// a Helm chart (in a git repository, and in a Helm repository) whose valueFiles name
// `$values/...` in a second git repository that is the app's ref source. With appName the
// parameters include the ref source's values (at its targetRevision, or at the commit history
// entry versionId deployed); without it they are the chart's own. A sourceIndex out of range, a
// versionId not in the history, either without appName, a sourceIndex naming another repository,
// and an appProject that is not the app's are refused with Argo's error shape naming the field.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { API, IN_CLUSTER, createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse as show } from "../support/api-session.js";
import { startHelmRepo } from "../support/helm-repo.js";
import { startServerProcess } from "../support/operator-process.js";

const CHART = {
  "guestbook/Chart.yaml": "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n",
  "guestbook/values.yaml": "replicas: 1\nimage:\n  tag: base\n",
  "guestbook/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\ndata:\n  replicas: {{ .Values.replicas | quote }}\n",
};

interface Details { type?: string; helm?: { parameters?: Array<{ name: string; value: string }> } }
const param = (body: unknown, name: string): string | undefined => (body as Details).helm?.parameters?.find((p) => p.name === name)?.value;

test("API server: appdetails of a multi-source app resolves $ref value files from its ref source (current sources and a history entry's); sourceIndex/versionId checked and named", async (t) => {
  const w = await createWorld(t, { name: "appdet", repos: { charts: CHART, values: { "prod/values.yaml": "replicas: 2\n" } }, startOperator: false });
  const { client, ns } = w;
  const deployedValues = w.initialCommits.values!;
  // HEAD moves on: the history entry deployed the first commit, the spec follows HEAD.
  await w.git.commitFiles("values", { "prod/values.yaml": "replicas: 3\nimage:\n  tag: from-values-repo\n" }, "prod: three replicas");

  const dir = await mkdtemp(join(tmpdir(), "hawser-e2e-app-details-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "web/templates"), { recursive: true });
  await writeFile(join(dir, "web/Chart.yaml"), "apiVersion: v2\nname: web\nversion: 1.0.0\n");
  await writeFile(join(dir, "web/values.yaml"), "replicas: 1\n");
  await writeFile(join(dir, "web/templates/cm.yaml"), CHART["guestbook/templates/cm.yaml"]);
  const helmRepo = await startHelmRepo({ chartDirs: [join(dir, "web")] });
  t.after(() => helmRepo.close());

  const charts = w.git.baseUrl("charts");
  const values = w.git.baseUrl("values");
  const chartSource = { repoURL: charts, path: "guestbook", targetRevision: "HEAD", helm: { valueFiles: ["$values/prod/values.yaml"] } };
  const helmRepoSource = { repoURL: helmRepo.url, chart: "web", targetRevision: "1.0.0", helm: { valueFiles: ["$values/prod/values.yaml"] } };
  const refSource = { repoURL: values, targetRevision: "HEAD", ref: "values" };
  const dest = { server: IN_CLUSTER, namespace: w.dest("appdet") };
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "default", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "other", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  for (const [name, sources] of [["multi", [chartSource, refSource]], ["from-helm-repo", [helmRepoSource, refSource]]] as const) {
    await client.create({ apiVersion: API, kind: "Application", metadata: { name, namespace: ns }, spec: { project: "default", sources, destination: dest } });
  }
  // A history entry as the controller writes it (no operator runs here): sources and the commits deployed.
  const chartsHead = await w.git.revParse("charts");
  await client.patch({ apiVersion: API, kind: "Application", name: "multi", namespace: ns }, {
    status: { history: [{ id: 4, deployedAt: "2026-01-01T00:00:00Z", sources: [chartSource, refSource], revisions: [chartsHead, deployedValues] }] },
  }, { subresource: "status" });

  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const call = jsonCaller(await server.url());
  const token = await sessionToken(call, "admin", await initialAdminPassword(client, ns));
  const details = (repoURL: string, body: Record<string, unknown>) => call("POST", `/api/v1/repositories/${encodeURIComponent(repoURL)}/appdetails`, body, token);
  const message = (r: { body: unknown }): string => {
    const m = (r.body as { message?: unknown } | undefined)?.message;
    return typeof m === "string" ? m : "";
  };

  await t.test("with appName: the chart's parameters include the ref source's values file at its targetRevision (HEAD)", async () => {
    const r = await eventually(async () => {
      const res = await details(charts, { source: chartSource, appName: "multi", appProject: "default", sourceIndex: 0 });
      assert.equal(res.status, 200, show(res));
      // Until the server's cache lists the app, the app context is missing and $values is left out.
      assert.ok(param(res.body, "replicas") === "3", show(res));
      return res;
    }, { timeoutMs: 30_000 });
    assert.equal(param(r.body, "image.tag"), "from-values-repo", show(r));
    const qualified = await details(charts, { source: chartSource, appName: `${ns}/multi`, appProject: "default", sourceIndex: "0" });
    assert.equal(qualified.status, 200, show(qualified));
    assert.equal(param(qualified.body, "replicas"), "3", `a qualified <namespace>/<name> and a string index (as the gateway takes int32s) mean the same: ${show(qualified)}`);
  });

  await t.test("a Helm-repository chart of a multi-source app gets the ref source's values too", async () => {
    const r = await details(helmRepo.url, { source: helmRepoSource, appName: "from-helm-repo", appProject: "default", sourceIndex: 0 });
    assert.equal(r.status, 200, show(r));
    assert.equal(param(r.body, "replicas"), "3", show(r));
  });

  await t.test("with versionId: the ref source at the commit that history entry deployed", async () => {
    const r = await eventually(async () => {
      const res = await details(charts, { source: chartSource, appName: "multi", appProject: "default", sourceIndex: 0, versionId: 4 });
      assert.equal(res.status, 200, show(res));
      return res;
    }, { timeoutMs: 30_000 });
    assert.equal(param(r.body, "replicas"), "2", show(r));
    assert.equal(param(r.body, "image.tag"), "base", `the deployed values file had no image tag: ${show(r)}`);
  });

  await t.test("without appName: which repository $values is, is unknown; the chart's own values only", async () => {
    const r = await details(charts, { source: chartSource, appProject: "default" });
    assert.equal(r.status, 200, show(r));
    assert.equal(param(r.body, "replicas"), "1", show(r));
  });

  await t.test("refusals name the field, in Argo's error shape", async () => {
    const outOfRange = await details(charts, { source: chartSource, appName: "multi", appProject: "default", sourceIndex: 5 });
    assert.equal(outOfRange.status, 400, show(outOfRange));
    assert.match(message(outOfRange), /^sourceIndex 5 not found because there are only 2 sources$/, show(outOfRange));
    assert.equal((outOfRange.body as { code?: number }).code, 3, `InvalidArgument: ${show(outOfRange)}`);

    const noEntry = await details(charts, { source: chartSource, appName: "multi", appProject: "default", versionId: 9 });
    assert.equal(noEntry.status, 404, show(noEntry));
    assert.match(message(noEntry), /^versionId 9: /, show(noEntry));
    assert.equal((noEntry.body as { code?: number }).code, 5, `NotFound: ${show(noEntry)}`);

    for (const field of ["sourceIndex", "versionId"]) {
      const alone = await details(charts, { source: chartSource, appProject: "default", [field]: 0 });
      assert.equal(alone.status, 400, show(alone));
      assert.match(message(alone), new RegExp(`^${field} needs appName`), show(alone));
    }
    const negative = await details(charts, { source: chartSource, appName: "multi", appProject: "default", sourceIndex: -1 });
    assert.equal(negative.status, 400, show(negative));
    assert.match(message(negative), /^sourceIndex must be a whole number/, show(negative));

    // Source 2 is the values repository: the chart source given is not it.
    const wrongSource = await details(charts, { source: chartSource, appName: "multi", appProject: "default", sourceIndex: 1 });
    assert.equal(wrongSource.status, 400, show(wrongSource));
    assert.match(message(wrongSource), /^sourceIndex 1: source 2 of application multi is .*values\.git, not .*charts\.git$/, show(wrongSource));

    // The app is in project default: claiming another project (one the caller may read) is refused.
    const otherProject = await details(charts, { source: chartSource, appName: "multi", appProject: "other", sourceIndex: 0 });
    assert.equal(otherProject.status, 403, show(otherProject));

    // An app not written yet (the create panel): its only source is the one given.
    const fresh = await details(charts, { source: chartSource, appName: "not-yet", appProject: "default", sourceIndex: 1 });
    assert.equal(fresh.status, 400, show(fresh));
    assert.match(message(fresh), /^sourceIndex 1 not found because application not-yet does not exist/, show(fresh));
    const freshHistory = await details(charts, { source: chartSource, appName: "not-yet", appProject: "default", versionId: 0 });
    assert.equal(freshHistory.status, 404, show(freshHistory));
    assert.match(message(freshHistory), /^versionId 0: application not-yet does not exist/, show(freshHistory));
  });
});
