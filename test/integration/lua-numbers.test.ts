// Lua health scripts on integers past 2^31 (bytes, milliseconds), end to end on a real control
// plane: an argocd-cm script for a custom kind, an Application syncing such an object from git, and
// the health the operator writes in the Application's status. fengari's 32-bit integers used to
// make the script fail with "invalid argument" and the health Unknown (operator/lua/fengari-conf.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KubeApiError, KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";

const GROUP = "luanum.hawser.example.com";
const HEALTH = `
local used, quota = obj.status.sizeBytes, obj.spec.quotaBytes
if used > quota then
  return { status = "Degraded", message = string.format("%d bytes over the quota", used - quota) }
end
return { status = "Healthy", message = used .. " of " .. quota .. " bytes, next run at " .. (obj.status.lastRunMs + 86400000) }
`;

test("an argocd-cm health script reading integers past 2^31 gives the Application's resource its health", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `hawser-luanum-${randomBytes(3).toString("hex")}`;
  try {
    await client.create({
      apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: `backups.${GROUP}` },
      spec: {
        group: GROUP, scope: "Namespaced", names: { plural: "backups", singular: "backup", kind: "Backup" },
        // No status subresource: the status in git is applied with the object, so the test controls it.
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
      },
    });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.statusCode === 409)) throw err;
  }
  await eventually(async () => assert.ok(await client.list(`${GROUP}/v1`, "Backup", { namespace: "default" }), "the Backup kind is served"), { timeoutMs: 30_000 });

  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined); });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { [`resource.customizations.health.${GROUP}_Backup`]: HEALTH } });

  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("backups", {
    "backups/nightly.yaml": `apiVersion: ${GROUP}/v1\nkind: Backup\nmetadata:\n  name: nightly\nspec:\n  quotaBytes: 107374182400\nstatus:\n  sizeBytes: 68719476736\n  lastRunMs: 1764547200000\n`,
  });
  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0", "--webhook-addr", ""] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controller settings");
  await eventually(async () => assert.ok(await client.get("argoproj.io/v1alpha1", "AppProject", "default", ns), "the default project exists"), { timeoutMs: 60_000 });

  await client.create({
    apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "backups", namespace: ns },
    spec: {
      project: "default",
      source: { repoURL: git.baseUrl("backups"), path: "backups", targetRevision: "HEAD" },
      destination: { server: "https://kubernetes.default.svc", namespace: ns },
      syncPolicy: { automated: {} },
    },
  });
  const resource = await eventually(async () => {
    const app = await client.get("argoproj.io/v1alpha1", "Application", "backups", ns);
    const resources = (app?.status as { resources?: Array<{ kind: string; name: string; health?: { status: string; message?: string } }> } | undefined)?.resources ?? [];
    const backup = resources.find((r) => r.kind === "Backup" && r.name === "nightly");
    assert.ok(backup?.health, `the Backup has a health in the Application's status: ${JSON.stringify(resources)}`);
    return backup;
  }, { timeoutMs: 90_000 });
  assert.deepEqual(resource.health, { status: "Healthy", message: "68719476736 of 107374182400 bytes, next run at 1764633600000" });
  // The object was applied with its large integers intact.
  const live = await client.get(`${GROUP}/v1`, "Backup", "nightly", ns);
  assert.deepEqual((live as { status?: unknown } | undefined)?.status, { sizeBytes: 68719476736, lastRunMs: 1764547200000 });
});
