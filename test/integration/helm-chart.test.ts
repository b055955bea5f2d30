// The Helm chart that installs Hawser renders with the real helm binary and every object it
// renders is accepted by the real apiserver (server-side dry-run), with default and custom values.
// And its pod spec works as it runs: a real render in a process whose root filesystem is
// read-only except the chart's emptyDir mounts (issue 10, finding 10).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { cacheDir, resolveTool } from "../../operator/devcluster/binaries.js";
import { startGitServer } from "../support/git-server.js";
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

interface Container {
  args: string[];
  env?: Array<{ name: string; value?: string }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  securityContext?: { readOnlyRootFilesystem?: boolean };
}
interface PodSpec { containers: Container[]; volumes?: Array<{ name: string; emptyDir?: unknown }> }

/**
 * In a private mount namespace: every mount read-only (a bind remount, which leaves the host's
 * mounts alone) except /proc, /dev and /sys, which a container gets as separate mounts, then a fresh tmpfs at each emptyDir mount path (a missing mount point is made on
 * a tmpfs over its nearest existing parent, itself made read-only again), a check that the root
 * and the work tree really refuse writes, and then the command.
 */
const READ_ONLY_POD = `set -u
for mp in $(awk '$2 !~ /^\\/(proc|dev|sys)(\\/|$)/ {print $2}' /proc/self/mounts | sort -u); do mount -o remount,bind,ro "$mp" 2>/dev/null || true; done
while [ "$1" != "--" ]; do
  d=$1; shift
  if [ ! -d "$d" ]; then
    parent=$(dirname "$d"); while [ ! -d "$parent" ]; do parent=$(dirname "$parent"); done
    mount -t tmpfs tmpfs "$parent" && mkdir -p "$d" && mount -o remount,bind,ro "$parent" || exit 97
  fi
  mount -t tmpfs tmpfs "$d" || exit 97
done
shift
if touch /.hawser-rw-probe 2>/dev/null || touch "$PWD/.hawser-rw-probe" 2>/dev/null; then echo "the root filesystem is writable" >&2; exit 98; fi
exec "$@"`;

async function runInReadOnlyPod(container: Container, emptyDirs: string[], repoURL: string): Promise<{ kinds?: string[]; error?: string; stderr: string }> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HAWSER_POD_ARGS: JSON.stringify(container.args), HAWSER_POD_REPO: repoURL, HAWSER_CACHE: cacheDir() };
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const argv = ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", READ_ONLY_POD, "read-only-pod", ...emptyDirs, "--",
    process.execPath, "--import", "tsx", "test/support/pod-render.ts"];
  const result = await run("unshare", argv, { cwd: root, env, timeout: 240_000 }).then(
    (r) => ({ stdout: r.stdout, stderr: r.stderr }),
    (e: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: e.stdout ?? "", stderr: `${e.stderr ?? ""} (exit ${e.code})` }),
  );
  const line = result.stdout.trim().split("\n").pop() ?? "";
  try {
    return { ...(JSON.parse(line) as { kinds?: string[]; error?: string }), stderr: result.stderr };
  } catch {
    return { error: `no result: ${result.stdout}`, stderr: result.stderr };
  }
}

test("the chart's pod spec renders as it runs: a read-only root filesystem with writable emptyDirs (and EROFS without them)", async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip("needs root for a private mount namespace");
    return;
  }
  const helm = await resolveTool("helm");
  const { stdout } = await run(helm, ["template", "hawser", chartDir, "--namespace", "hawser-system"]);
  const deployment = parseManifests(stdout, { source: "helm template" }).find((o) => o.kind === "Deployment") as unknown as { spec: { template: { spec: PodSpec } } };
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true, "the chart runs with a read-only root filesystem");
  const emptyDirNames = new Set((pod.volumes ?? []).filter((v) => v.emptyDir !== undefined).map((v) => v.name));
  const emptyDirs = (container.volumeMounts ?? []).filter((m) => emptyDirNames.has(m.name)).map((m) => m.mountPath);
  const tmpDir = container.env?.find((e) => e.name === "TMPDIR")?.value;
  assert.ok(tmpDir && emptyDirs.includes(tmpDir), `TMPDIR (${tmpDir}) is an emptyDir mount (${emptyDirs.join(", ")})`);
  assert.ok(container.args.includes(`--tmp-dir=${tmpDir}`), "the operator is pointed at it with --tmp-dir");

  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("pod-render", {
    "chart/Chart.yaml": "apiVersion: v2\nname: podchart\nversion: 0.1.0\n",
    "chart/values.yaml": "name: default\n",
    "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Values.name }}}\n",
    "overlay/kustomization.yaml": "resources: [cm.yaml]\n",
    "overlay/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: overlay}\n",
  });
  const repoURL = git.baseUrl("pod-render");

  const ok = await runInReadOnlyPod(container, emptyDirs, repoURL);
  assert.deepEqual(ok, { kinds: ["ConfigMap/from-inline-values", "ConfigMap/pod-overlay"], stderr: ok.stderr }, `the render succeeds in the chart's pod layout: ${ok.error ?? ""} ${ok.stderr}`);

  // The same pod without the /tmp emptyDir: the test bites, renders need it.
  const without = await runInReadOnlyPod(container, emptyDirs.filter((d) => d !== tmpDir), repoURL);
  assert.ok(without.error !== undefined, `without the tmp emptyDir the render fails: ${JSON.stringify(without)}`);
  assert.match(without.error, /EROFS|read-only file system/i, `it fails for the read-only filesystem: ${without.error}`);
});
