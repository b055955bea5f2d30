// repo.GetCommitMetadata and repo.GetAppDetails end to end below the controller: the data is read
// from a real git repository (the loopback smart-HTTP server) through the operator's RepoCache and
// render/app-details.ts, handed to the real wasm evaluator, and used by trigger conditions and
// templates written as for Argo CD. A revision the repository does not have is an error naming it
// (the controller reports it and retries), never empty data. A chart from a Helm repository is
// pulled at the version its targetRevision resolves to; a Kustomize source's images are those of
// its built output, as Argo's repo-server reports them.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RepoDataFetcher } from "../../operator/controllers/notifications/repo-data.js";
import { parseNotificationsConfig } from "../../operator/engine/notifications/config.js";
import { planNotifications, renderNotification } from "../../operator/engine/notifications/plan.js";
import { repoHelpersUsed } from "../../operator/engine/notifications/repo-refs.js";
import { RepoCache } from "../../operator/git/repo-cache.js";
import { notifyEvaluator } from "../../operator/notifications/wasm.js";
import { builtinPlugins } from "../../plugins/index.js";
import { startGitServer, type GitServer } from "../support/git-server.js";
import { startHelmRepo } from "../support/helm-repo.js";

let server: GitServer;
let base: string;
let cache: RepoCache;
const shas: Record<string, string> = {};

before(async () => {
  base = await mkdtemp(join(tmpdir(), "hawser-notif-repo-"));
  server = await startGitServer();
  shas.first = await server.createRepo("chart", {
    "api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
    "api/values.yaml": "image:\n  repository: example/api\n  tag: 1.0.0\nreplicas: 2\n",
    "api/values-prod.yaml": "replicas: 5\n",
    "api/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
  });
  shas.second = await server.commitFiles("chart", { "api/values.yaml": "image:\n  repository: example/api\n  tag: 1.1.0\nreplicas: 2\n" }, "Bump api to 1.1.0\n\nRelease notes here.");
  await server.tag("chart", "v1.1.0");
  cache = new RepoCache({ baseDir: join(base, "cache") });
});

after(async () => {
  cache?.close();
  await server?.stop();
  await rm(base, { recursive: true, force: true });
});

const config = (): ReturnType<typeof parseNotificationsConfig> => parseNotificationsConfig({
  // Fires only for tagged commits, and once per image tag of the Helm values.
  "trigger.on-release": "- when: \"'v1.1.0' in repo.GetCommitMetadata(app.status.sync.revision).Tags\"\n"
    + "  oncePer: repo.GetAppDetails().Helm.GetParameterValueByName('image.tag')\n  send: [release]\n",
  "template.release": "webhook:\n  hook:\n    method: POST\n    body: "
    + "'{{ $c := call .repo.GetCommitMetadata .app.status.sync.revision }}{{ $d := call .repo.GetAppDetails }}"
    + "{{ $c.Author }}|{{ $c.Message }}|{{ $c.Date.Year }}|{{ $d.Type }}|{{ $d.Helm.Name }}|{{ $d.Helm.GetParameterValueByName \"image.tag\" }}"
    + "|{{ $d.Helm.GetParameterValueByName \"replicas\" }}|{{ join \",\" $d.Helm.ValueFiles }}'\n",
  "service.webhook.hook": "url: http://127.0.0.1:1\n",
}, {});

function app(revision: string): Record<string, unknown> {
  return {
    metadata: {
      name: "api", namespace: "argocd",
      annotations: { "notifications.argoproj.io/subscribe.on-release.hook": "" },
    },
    spec: {
      project: "default",
      source: { repoURL: server.baseUrl("chart"), path: "api", targetRevision: "HEAD", helm: { valueFiles: ["values-prod.yaml"] } },
      destination: { server: "https://kubernetes.default.svc", namespace: "api" },
    },
    status: { sync: { status: "Synced", revision }, operationState: { phase: "Succeeded", syncResult: { revision } } },
  };
}

test("commit metadata and Helm app details from a real repository fill triggers and templates as in Argo", async () => {
  const cfg = config();
  assert.deepEqual(cfg.problems, [], "the configuration parses");
  const used = repoHelpersUsed(cfg);
  assert.deepEqual(used, { commitMetadata: true, appDetails: true }, "both helpers are referenced");
  const fetcher = new RepoDataFetcher(cache, builtinPlugins());
  const evaluator = await notifyEvaluator();

  const tagged = app(shas.second!);
  const repo = await fetcher.fetch(tagged, used);
  assert.equal(repo.commits?.[shas.second!]?.author, "Hawser Test <test@hawser.invalid>", "the commit's author from git");
  assert.deepEqual(repo.commits?.[shas.second!]?.tags, ["v1.1.0"], "the tag the remote advertises at the commit");
  assert.equal(repo.appDetails?.type, "Helm", "the source is detected as a Helm chart");

  const plan = planNotifications({ app: tagged, cfg, evaluator, repo });
  assert.deepEqual(plan.problems, [], "no evaluation problems");
  assert.equal(plan.sends.length, 1, "the tagged commit fires on-release");
  assert.ok(plan.sends[0]!.key.startsWith("1.1.0:on-release:[0]."), `oncePer is the Helm image tag: ${plan.sends[0]!.key}`);
  const rendered = renderNotification(plan.sends[0]!.templates, cfg, evaluator, { vars: { app: tagged, context: {}, secrets: {} }, repo });
  const body = (rendered.webhook as { hook: { body: string } }).hook.body;
  const year = String(repo.commits?.[shas.second!]?.date).slice(0, 4);
  assert.equal(body, `Hawser Test <test@hawser.invalid>|Bump api to 1.1.0\n\nRelease notes here.|${year}|Helm|api|1.1.0|5|values-prod.yaml,values.yaml`,
    "author, message, date (a Go time), type, chart name, parameters with the source's value file applied, value files");

  // The untagged first commit: the condition is evaluated and false (no send, no problem).
  const untagged = app(shas.first!);
  const plan2 = planNotifications({ app: untagged, cfg, evaluator, repo: await fetcher.fetch(untagged, used) });
  assert.deepEqual(plan2.problems, [], "no evaluation problems for the untagged commit");
  assert.equal(plan2.sends.length, 0, "an untagged commit does not fire on-release");
});

test("a revision the repository does not have is an error naming it, not empty data", async () => {
  const fetcher = new RepoDataFetcher(cache, builtinPlugins());
  const missing = "0123456789abcdef0123456789abcdef01234567";
  await assert.rejects(fetcher.fetch(app(missing), { commitMetadata: true, appDetails: false }),
    (err: Error) => err.message.includes(`revision ${missing}`), "the fetch fails naming the revision");
  const noData = await fetcher.fetch(app(missing), { commitMetadata: false, appDetails: false });
  assert.deepEqual(noData, {}, "nothing is fetched when the configuration uses neither helper");
});

test("GetAppDetails of a Helm-repository chart reads the pulled chart; of a kustomization, the built output's images", async (t) => {
  const chartDir = join(base, "chart-src", "web");
  await mkdir(join(chartDir, "templates"), { recursive: true });
  await writeFile(join(chartDir, "Chart.yaml"), "apiVersion: v2\nname: web\nversion: 2.3.0\n");
  await writeFile(join(chartDir, "values.yaml"), "image:\n  tag: \"2.3\"\n");
  await writeFile(join(chartDir, "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n");
  const helmRepo = await startHelmRepo({ chartDirs: [chartDir] });
  t.after(() => helmRepo.close());
  await server.createRepo("kust", {
    "app/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n- name: nginx\n  newName: example/nginx\n  newTag: \"2.0\"\n",
    "app/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      initContainers: [{name: init, image: busybox:1.36}]\n      containers: [{name: web, image: nginx:1.27}]\n",
  });
  const fetcher = new RepoDataFetcher(cache, builtinPlugins());
  const used = { commitMetadata: false, appDetails: true };
  const withSource = (source: Record<string, unknown>): Record<string, unknown> => ({ metadata: { name: "x", namespace: "argocd" }, spec: { project: "default", source, destination: { server: "https://kubernetes.default.svc", namespace: "x" } } });

  const chart = await fetcher.fetch(withSource({ repoURL: helmRepo.url, chart: "web", targetRevision: "^2" }), used);
  assert.deepEqual(chart.appDetails, { type: "Helm", helm: { name: "web", valueFiles: ["values.yaml"], parameters: [{ name: "image.tag", value: "2.3" }], values: "image:\n  tag: \"2.3\"\n" } },
    "the chart's details at the version ^2 resolves to");
  assert.ok(helmRepo.requests.some((r) => r.endsWith("web-2.3.0.tgz")), `the chart was pulled from the repository: ${helmRepo.requests.join(", ")}`);
  await assert.rejects(fetcher.fetch(withSource({ repoURL: helmRepo.url, chart: "web", targetRevision: "9.0.0" }), used),
    (err: Error) => /cannot read the app details of chart web: .*targetRevision: no version of chart "web"/.test(err.message), "a version the repository does not list is an error naming it");
  await assert.rejects(fetcher.fetch(withSource({ repoURL: helmRepo.url, chart: "../web" }), used),
    (err: Error) => /source\.chart: "\.\.\/web" must be a chart name/.test(err.message), "a traversal chart name is refused");

  const kust = await fetcher.fetch(withSource({ repoURL: server.baseUrl("kust"), path: "app", targetRevision: "HEAD" }), used);
  assert.equal(kust.appDetails?.type, "Kustomize", "a Kustomize source");
  assert.deepEqual([...(kust.appDetails?.kustomize?.images ?? [])].sort(), ["busybox:1.36", "example/nginx:2.0"],
    "the images of the built Deployment (init containers included), after the kustomization's override");
});
