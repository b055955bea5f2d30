// Issue 10, finding 8: with `application.resourceTrackingMethod: label`, an object that another
// object owns (a Job made by a CronJob, which copies the template's labels) carries the app's
// instance label, but it is not the app's resource. gitops-engine never counts owned objects as
// managed: it must not be listed as requiring pruning, and an automated sync with prune must
// leave it alone. Before the fix Hawser pruned it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { eventually } from "../support/eventually.js";
import { createWorld } from "../support/world.js";

const INSTANCE = "app.kubernetes.io/instance";

interface AppStatus {
  sync?: { status?: string; revision?: string };
  resources?: Array<{ kind: string; name: string; requiresPruning?: boolean }>;
  operationState?: { phase?: string; syncResult?: { revision?: string } };
}

const podSpec = { restartPolicy: "Never", containers: [{ name: "run", image: "registry.invalid/task:1" }] };

function manifests(data: string): Record<string, string> {
  return {
    "app/config.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { value: data } }),
    // A plain Job in git makes Hawser watch Jobs, so the CronJob's Jobs are in view.
    "app/migrate.yaml": stringify({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "migrate" }, spec: { template: { spec: podSpec } } }),
    "app/nightly.yaml": stringify({
      apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "nightly" },
      spec: {
        schedule: "0 0 1 1 *", suspend: true,
        jobTemplate: { metadata: { labels: { [INSTANCE]: "web" } }, spec: { template: { spec: podSpec } } },
      },
    }),
  };
}

test("label tracking: a Job its CronJob owns, carrying the app's label, is neither requiring pruning nor pruned", async (t) => {
  const w = await createWorld(t, { name: "owned", argocdCm: { "application.resourceTrackingMethod": "label" }, repos: { app: manifests("1") } });
  const { client, git, ns } = w;
  const dest = w.dest("owned");
  await client.create(w.application("web", {
    repo: "app", path: "app", targetRevision: "main", dest,
    syncPolicy: { automated: { prune: true }, syncOptions: ["CreateNamespace=true"] },
  }));
  const status = (): Promise<AppStatus | undefined> => w.status<AppStatus>("web");
  await eventually(async () => {
    const s = await status();
    assert.equal(s?.sync?.status, "Synced", `synced: ${JSON.stringify(s?.sync)}`);
    assert.equal(s?.operationState?.phase, "Succeeded", "the first sync finished");
  }, { timeoutMs: 120_000, message: "initial sync" });
  const cronJob = await client.get("batch/v1", "CronJob", "nightly", dest);
  assert.ok(cronJob?.metadata.uid, "the CronJob from git exists");
  assert.equal(cronJob.metadata.labels?.[INSTANCE], "web", "label tracking put the app's label on it");

  // What the CronJob controller makes on schedule: a Job with the template's labels, owned by the
  // CronJob. The installation id is copied too, as a template carrying it would (the test
  // operator runs with one; without it no object would be this operator's at all).
  const jobName = "nightly-29000000";
  await client.create({
    apiVersion: "batch/v1", kind: "Job",
    metadata: {
      name: jobName, namespace: dest, labels: { [INSTANCE]: "web" }, annotations: { "argocd.argoproj.io/installation-id": ns },
      ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "nightly", uid: cronJob.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: { template: { spec: podSpec } },
  });

  // A new commit: the automated sync with prune runs against a live state that includes the Job.
  const sha = await git.commitFiles("app", manifests("2"), "change the setting");
  await w.refresh("web");
  await eventually(async () => {
    const s = await status();
    assert.equal(s?.sync?.revision, sha, "the new commit is compared");
    assert.equal(s?.operationState?.syncResult?.revision, sha, "the new commit was synced");
    assert.equal(s?.operationState?.phase, "Succeeded", "its sync finished");
    const cm = await client.get("v1", "ConfigMap", "settings", dest);
    assert.equal((cm?.data as Record<string, string> | undefined)?.value, "2", "the change reached the cluster");
  }, { timeoutMs: 120_000, message: "second sync" });

  // The refresh after the sync writes the status the sync produced; until then it may still show the
  // compare from before the sync (settings OutOfSync).
  await eventually(async () => {
    const s = await status();
    assert.equal(s?.sync?.status, "Synced", `the owned Job does not make the app OutOfSync: ${JSON.stringify(s?.resources)}`);
    assert.ok(!(s?.resources ?? []).some((r) => r.name === jobName), `the owned Job is not listed among the app's resources: ${JSON.stringify(s?.resources)}`);
  }, { timeoutMs: 60_000, message: "status after the second sync" });
  const job = await client.get("batch/v1", "Job", jobName, dest);
  assert.ok(job && !job.metadata.deletionTimestamp, "the CronJob's Job survived the automated sync with prune");
});
