// The Helm chart that installs Hawser renders with the real helm binary and every object it
// renders is accepted by the real apiserver (server-side dry-run), with default and custom values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { resolveTool } from "../../operator/devcluster/binaries.js";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { parseManifests } from "../../plugins/manifests.js";
import { sharedCluster } from "../support/cluster.js";

const run = promisify(execFile);
const chartDir = fileURLToPath(new URL("../../helm", import.meta.url));

for (const [label, extra] of [
  ["default values", [] as string[]],
  ["custom values", ["--set", "replicas=2", "--set", "operator.namespace=gitops", "--set", "operator.extraArgs={--plugin-dir=/plugins}", "--set", "serviceMonitor.enabled=false"]],
] as const) {
  test(`the hawser chart renders and the apiserver accepts it (${label})`, async (t) => {
    const helm = await resolveTool("helm");
    const { stdout } = await run(helm, ["template", "hawser", chartDir, "--namespace", "hawser-system", ...extra]);
    const objects = parseManifests(stdout, { source: "helm template" });
    const kinds = objects.map((o) => o.kind).sort();
    assert.deepEqual(kinds, ["ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "Service", "ServiceAccount"]);
    const deployment = objects.find((o) => o.kind === "Deployment") as unknown as { spec: { replicas: number; template: { spec: { containers: Array<{ args: string[] }> } } } };
    const args = deployment.spec.template.spec.containers[0]!.args;
    assert.equal(args[0], "operator");
    if (label === "custom values") {
      assert.equal(deployment.spec.replicas, 2);
      assert.ok(args.includes("--namespace=gitops"), "args.includes(\"--namespace=gitops\")");
      assert.ok(args.includes("--plugin-dir=/plugins"), "args.includes(\"--plugin-dir=/plugins\")");
    } else {
      assert.ok(args.includes("--namespace=hawser-system"), "defaults to the release namespace");
    }

    const cluster = await sharedCluster();
    const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
    t.after(() => client.close());
    if (!(await client.get("v1", "Namespace", "hawser-system"))) {
      await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "hawser-system" } }).catch(() => undefined);
    }
    for (const obj of objects) {
      await client.apply(obj, { fieldManager: "hawser-chart-test", dryRun: true });
    }
  });
}
