// repo.GetCommitMetadata and repo.GetAppDetails end to end below the controller: the data is read
// from a real git repository (the loopback smart-HTTP server) through the operator's RepoCache and
// render/app-details.ts, handed to the real wasm evaluator, and used by trigger conditions and
// templates written as for Argo CD. A revision the repository does not have is an error naming it
// (the controller reports it and retries), never empty data.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
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
