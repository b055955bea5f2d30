// The Helm chart that installs Hawser renders with the real helm binary and every object it
// renders is accepted by the real apiserver (server-side dry-run), with default and custom values.
// And its pod spec works as it runs: a real render in a process whose root filesystem is
// read-only except the chart's emptyDir mounts (issue 10, finding 10).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { cacheDir, resolveTool } from "../../operator/tools/index.js";
import { startGitServer } from "../support/git-server.js";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { parseManifests } from "../../plugins/manifests.js";
import { sharedCluster } from "../support/cluster.js";

const run = promisify(execFile);
const chartDir = fileURLToPath(new URL("../../helm", import.meta.url));

for (const [label, extra] of [
  ["default values", [] as string[]],
  ["custom values", ["--set", "replicas=2", "--set", "operator.namespace=gitops", "--set", "operator.extraArgs={--plugin-dir=/plugins}", "--set", "serviceMonitor.enabled=false",
    "--set", "cache.sizeLimit=20Gi", "--set", "server.cacheSizeLimit=", "--set", "ociArtifactCacheSize=6G"]],
] as const) {
  test(`the hawser chart renders and the apiserver accepts it (${label})`, async (t) => {
    const helm = await resolveTool("helm");
    const { stdout } = await run(helm, ["template", "hawser", chartDir, "--namespace", "hawser-system", ...extra]);
    const objects = parseManifests(stdout, { source: "helm template" });
    const kinds = objects.map((o) => o.kind).sort();
    assert.deepEqual(kinds, ["ClusterRole", "ClusterRole", "ClusterRoleBinding", "ClusterRoleBinding", "Deployment", "Deployment", "Role", "RoleBinding", "Service", "Service", "Service", "ServiceAccount", "ServiceAccount"]);
    const server = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "hawser-server") as unknown as { spec: { selector: { matchLabels: Record<string, string> }; template: { spec: { containers: Array<{ args: string[] }> } } } };
    assert.equal(server.spec.template.spec.containers[0]!.args[0], "server", "the API server runs as its own Deployment");
    assert.equal(server.spec.selector.matchLabels["app.kubernetes.io/name"], "hawser-server", "its pods are not selected by the operator's Services");
    const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "hawser") as unknown as { spec: { replicas: number; template: { spec: { containers: Array<{ args: string[] }> } } } };
    const args = deployment.spec.template.spec.containers[0]!.args;
    assert.equal(args[0], "operator");
    // The caches' emptyDirs are bounded from the values ("" = none), and the OCI artifact cache's
    // bound reaches both processes only when set (else the binaries derive it from the OCI limits).
    const volumes = (name: string): Record<string, unknown> => Object.fromEntries(((objects.find((o) => o.kind === "Deployment" && o.metadata.name === name) as unknown as { spec: { template: { spec: { volumes: Array<{ name: string; emptyDir?: unknown }> } } } })
      .spec.template.spec.volumes.filter((v) => v.emptyDir !== undefined && ["cache", "tmp"].includes(v.name)).map((v) => [v.name, v.emptyDir])));
    const serverArgs = server.spec.template.spec.containers[0]!.args;
    if (label === "custom values") {
      assert.deepEqual(volumes("hawser"), { cache: { sizeLimit: "20Gi" }, tmp: { sizeLimit: "2Gi" } });
      assert.deepEqual(volumes("hawser-server"), { cache: {}, tmp: { sizeLimit: "2Gi" } }, "an empty value: no limit");
      assert.ok(args.includes("--oci-artifact-cache-size=6G") && serverArgs.includes("--oci-artifact-cache-size=6G"), `${args.join(" ")}\n${serverArgs.join(" ")}`);
    } else {
      assert.deepEqual(volumes("hawser"), { cache: { sizeLimit: "16Gi" }, tmp: { sizeLimit: "2Gi" } });
      assert.deepEqual(volumes("hawser-server"), { cache: { sizeLimit: "16Gi" }, tmp: { sizeLimit: "2Gi" } });
      assert.ok(![...args, ...serverArgs].some((a) => a.startsWith("--oci-artifact-cache-size")), "the binaries' default");
    }
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
    // The release namespace, and the control namespace when it is another (the server's Role lives there).
    for (const nsName of new Set(["hawser-system", ...objects.map((o) => o.metadata.namespace).filter((n): n is string => Boolean(n))])) {
      if (!(await client.get("v1", "Namespace", nsName))) {
        await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: nsName } }).catch(() => undefined);
      }
    }
    for (const obj of objects) {
      await client.apply(obj, { fieldManager: "hawser-chart-test", dryRun: true });
    }
  });
}

interface VolumeMount { name: string; mountPath: string; readOnly?: boolean }
interface Container {
  name: string;
  args: string[];
  env?: Array<{ name: string; value?: string }>;
  volumeMounts?: VolumeMount[];
  securityContext?: { readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
}
interface Volume {
  name: string;
  emptyDir?: unknown;
  projected?: { sources: Array<{ serviceAccountToken?: { path: string }; configMap?: { name: string; items?: Array<{ key: string; path: string }> }; downwardAPI?: { items: Array<{ path: string; fieldRef?: { fieldPath: string } }> } }> };
}
interface PodSpec { automountServiceAccountToken?: boolean; securityContext?: { runAsNonRoot?: boolean }; containers: Container[]; volumes?: Volume[] }

const TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

async function renderPodSpec(extra: string[] = []): Promise<PodSpec> {
  const helm = await resolveTool("helm");
  const { stdout } = await run(helm, ["template", "hawser", chartDir, "--namespace", "hawser-system", ...extra]);
  const deployment = parseManifests(stdout, { source: "helm template" }).find((o) => o.kind === "Deployment") as unknown as { spec: { template: { spec: PodSpec } } };
  return deployment.spec.template.spec;
}

/**
 * In a private mount namespace: every mount read-only (a bind remount, which leaves the host's
 * mounts alone) except /proc, /dev and /sys, which a container gets as separate mounts, then a
 * fresh tmpfs at each volume mount path. Missing mount points are made on a tmpfs over their
 * nearest existing parent (one per parent, so /run/hawser and /var/run/secrets/... share it), made
 * read-only again. Then a check that the root and the work tree really refuse writes, and the command.
 */
const READ_ONLY_POD = `set -u
wt="$PWD"
# The work tree (node, tsx, the test scripts) may itself live under a volume path such as /tmp,
# which the fresh tmpfs would hide: keep it reachable through /mnt and bind it back afterwards.
mount --bind "$wt" /mnt || exit 97
for mp in $(awk '$2 !~ /^\\/(proc|dev|sys)(\\/|$)/ {print $2}' /proc/self/mounts | sort -u); do mount -o remount,bind,ro "$mp" 2>/dev/null || true; done
made=""
for d in "$@"; do
  [ "$d" = "--" ] && break
  if [ ! -d "$d" ]; then
    parent=$(dirname "$d"); while [ ! -d "$parent" ]; do parent=$(dirname "$parent"); done
    parent=$(readlink -f "$parent")
    inside=no; for m in $made; do case "$parent/" in "$m"/*) inside=yes;; esac; done
    if [ $inside = no ]; then mount -t tmpfs tmpfs "$parent" || exit 97; made="$made $parent"; fi
    mkdir -p "$d" || exit 97
  fi
done
for m in $made; do mount -o remount,bind,ro "$m" || exit 97; done
while [ "$1" != "--" ]; do mount -t tmpfs tmpfs "$1" || exit 97; shift; done
shift
if [ ! -e "$wt/package.json" ]; then
  mkdir -p "$wt" && mount --bind /mnt "$wt" && mount -o remount,bind,ro "$wt" || exit 97
fi
cd "$wt" || exit 97
if touch /.hawser-rw-probe 2>/dev/null || touch "$PWD/.hawser-rw-probe" 2>/dev/null; then echo "the root filesystem is writable" >&2; exit 98; fi
exec "$@"`;

interface PodResult { kinds?: string[]; stolen?: unknown; error?: string; stderr: string }

async function runInReadOnlyPod(container: Container, mounts: string[], repoURL: string, extraEnv: Record<string, string> = {}): Promise<PodResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HAWSER_POD_ARGS: JSON.stringify(container.args), HAWSER_POD_REPO: repoURL, HAWSER_CACHE: cacheDir(), ...extraEnv };
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const argv = ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", READ_ONLY_POD, "read-only-pod", ...mounts, "--",
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

const envOf = (c: Container): Record<string, string> => Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
const emptyDirMounts = (pod: PodSpec, c: Container): VolumeMount[] => {
  const names = new Set((pod.volumes ?? []).filter((v) => v.emptyDir !== undefined).map((v) => v.name));
  return (c.volumeMounts ?? []).filter((m) => names.has(m.name));
};

test("the chart keeps the service-account token out of the tool-runner container and shares only emptyDirs with it", async () => {
  const pod = await renderPodSpec();
  assert.equal(pod.automountServiceAccountToken, false, "no token is mounted into every container");
  const operator = pod.containers.find((c) => c.name === "operator");
  const runner = pod.containers.find((c) => c.name === "tool-runner");
  assert.ok(operator && runner, `an operator and a tool-runner container: ${pod.containers.map((c) => c.name).join(", ")}`);

  // The operator gets what automount would have given it, as a projected volume of its own.
  const tokenMount = operator.volumeMounts?.find((m) => m.mountPath === TOKEN_DIR);
  assert.ok(tokenMount, `the operator mounts a volume at ${TOKEN_DIR}`);
  const sources = pod.volumes?.find((v) => v.name === tokenMount.name)?.projected?.sources ?? [];
  assert.equal(sources.find((s) => s.serviceAccountToken)?.serviceAccountToken?.path, "token", "a projected service-account token");
  assert.deepEqual(sources.find((s) => s.configMap)?.configMap, { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] }, "the cluster CA");
  assert.deepEqual(sources.find((s) => s.downwardAPI)?.downwardAPI?.items.map((i) => [i.path, i.fieldRef?.fieldPath]), [["namespace", "metadata.namespace"]], "the namespace");

  // The runner: no token volume, no secret path, locked down.
  for (const m of runner.volumeMounts ?? []) {
    assert.notEqual(m.name, tokenMount.name, "the token volume is not mounted into the runner");
    assert.ok(!/secrets/.test(m.mountPath), `the runner mounts nothing at a secrets path (${m.mountPath})`);
    const volume = pod.volumes?.find((v) => v.name === m.name);
    assert.ok(volume?.emptyDir !== undefined, `the runner mounts only emptyDirs (${m.name} at ${m.mountPath})`);
  }
  assert.equal(runner.securityContext?.readOnlyRootFilesystem, true, "the runner's root filesystem is read-only");
  assert.equal(runner.securityContext?.runAsNonRoot, true, "the runner runs as non-root");
  assert.equal(runner.securityContext?.allowPrivilegeEscalation, false, "no privilege escalation in the runner");
  assert.deepEqual(runner.securityContext?.capabilities?.drop, ["ALL"], "the runner drops every capability");
  assert.ok(!(runner.env ?? []).some((e) => /KUBECONFIG|TOKEN|PASSWORD|SECRET/i.test(e.name)), "nothing secret in the runner's environment");

  // The same paths on both sides: the socket dir, /tmp (scratch, pulled charts) and the git cache.
  const socketArg = operator.args.find((a) => a.startsWith("--tool-runner-socket="));
  assert.equal(socketArg, "--tool-runner-socket=/run/hawser/tools.sock", "the operator sends tools to the runner");
  assert.deepEqual(runner.args.slice(0, 2), ["tool-runner", "--socket=/run/hawser/tools.sock"], "the runner listens on that socket");
  const opMounts = emptyDirMounts(pod, operator);
  const runMounts = emptyDirMounts(pod, runner);
  for (const path of ["/run/hawser", "/tmp", `${envOf(operator).HOME}/.cache`]) {
    const a = opMounts.find((m) => m.mountPath === path);
    const b = runMounts.find((m) => m.mountPath === path);
    assert.ok(a && b && a.name === b.name, `${path} is one emptyDir in both containers`);
  }
  assert.equal(runMounts.find((m) => m.mountPath === `${envOf(operator).HOME}/.cache`)?.readOnly, true, "tools cannot write to the git cache other apps render from");
  assert.deepEqual([envOf(runner).HOME, envOf(runner).TMPDIR], [envOf(operator).HOME, envOf(operator).TMPDIR], "the same HOME and TMPDIR, so paths mean the same");

  const off = await renderPodSpec(["--set", "toolRunner.enabled=false"]);
  assert.deepEqual(off.containers.map((c) => c.name), ["operator"], "toolRunner.enabled=false: no sidecar");
  assert.ok(!off.containers[0]!.args.some((a) => a.startsWith("--tool-runner-socket")), "and tools spawn in the operator");
});

/**
 * The runner container's view inside the pod's mount namespace: the mounts the operator has and
 * the runner does not are unmounted (leaving the empty mount point), read-only ones remounted.
 */
function runnerNamespaceSetup(operator: Container, runner: Container): string {
  const runnerPaths = new Set((runner.volumeMounts ?? []).map((m) => m.mountPath));
  const cmds = (operator.volumeMounts ?? []).filter((m) => !runnerPaths.has(m.mountPath)).map((m) => `umount ${m.mountPath}`);
  for (const m of runner.volumeMounts ?? []) if (m.readOnly) cmds.push(`mount -o remount,bind,ro ${m.mountPath}`);
  return cmds.join("; ") || "true";
}

test("the chart's pod runs as it is written: read-only root, emptyDirs, tools in the runner without the token (and EROFS without /tmp)", async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip("needs root for private mount namespaces");
    return;
  }
  const pod = await renderPodSpec();
  const operator = pod.containers.find((c) => c.name === "operator")!;
  const runner = pod.containers.find((c) => c.name === "tool-runner")!;
  assert.equal(operator.securityContext?.readOnlyRootFilesystem, true, "the chart runs with a read-only root filesystem");
  const tmpDir = envOf(operator).TMPDIR;
  const opMounts = emptyDirMounts(pod, operator).map((m) => m.mountPath);
  assert.ok(tmpDir && opMounts.includes(tmpDir), `TMPDIR (${tmpDir}) is an emptyDir mount (${opMounts.join(", ")})`);
  assert.ok(operator.args.includes(`--tmp-dir=${tmpDir}`), "the operator is pointed at it with --tmp-dir");

  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("pod-render", {
    "chart/Chart.yaml": "apiVersion: v2\nname: podchart\nversion: 0.1.0\n",
    "chart/values.yaml": "name: default\n",
    "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Values.name }}}\n",
    "overlay/kustomization.yaml": "resources: [cm.yaml]\n",
    "overlay/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: overlay}\n",
    // What a repository writer puts behind a plugin that runs the repository's script.
    "steal/generate.sh": "t=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token 2>/dev/null || echo none)\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: stolen}\\ndata:\\n  token: \"%s\"\\n' \"$t\"\n",
  });
  const repoURL = git.baseUrl("pod-render");
  // The pod's volumes: the shared emptyDirs and the operator's token volume, where pod-render.ts
  // puts a sentinel token (as the kubelet would put the real one).
  const mounts = [...new Set([...opMounts, ...emptyDirMounts(pod, runner).map((m) => m.mountPath), TOKEN_DIR])];
  // As non-root under RuntimeDefault seccomp, the runner has no namespaces of its own to hide
  // anything: only the container boundary does. Root here could, so turn that off.
  const runnerSpec = (nsSetup: string): string => JSON.stringify({ args: [...runner.args, "--tool-isolation=none"], env: envOf(runner), nsSetup });
  const podEnv = (nsSetup: string): Record<string, string> => ({ HAWSER_POD_RUNNER: runnerSpec(nsSetup), HAWSER_POD_TOKEN: `${TOKEN_DIR}/token` });

  const ok = await runInReadOnlyPod(operator, mounts, repoURL, podEnv(runnerNamespaceSetup(operator, runner)));
  assert.deepEqual(ok, { kinds: ["ConfigMap/from-inline-values", "ConfigMap/pod-overlay"], stolen: "none", stderr: ok.stderr },
    `the renders succeed through the runner in the chart's pod layout, and the plugin sees no token: ${ok.error ?? ""} ${ok.stderr}`);

  // The same pod with the token mounted into the runner too (what automount did): the plugin
  // reads it, so the missing mount is what protects it.
  const leaky = await runInReadOnlyPod(operator, mounts, repoURL, podEnv(runnerNamespaceSetup(operator, { ...runner, volumeMounts: [...(runner.volumeMounts ?? []), { name: "token", mountPath: TOKEN_DIR }] })));
  assert.equal(leaky.stolen, "s3ntinel-sa-token", `with the token mounted in the runner the plugin reads it: ${JSON.stringify(leaky)}`);

  // The same pod without the /tmp emptyDir: the test bites, renders need it.
  const without = await runInReadOnlyPod(operator, mounts.filter((d) => d !== tmpDir), repoURL, podEnv(runnerNamespaceSetup(operator, runner)));
  assert.ok(without.error !== undefined, `without the tmp emptyDir the render fails: ${JSON.stringify(without)}`);
  assert.match(without.error, /EROFS|read-only file system/i, `it fails for the read-only filesystem: ${without.error}`);
});

test("controller.replicas > 1 runs the operator as a StatefulSet of that many shards, with Argo's environment", async () => {
  const helm = await resolveTool("helm");
  const render = async (extra: string[]): Promise<Array<{ kind: string; spec?: Record<string, unknown> }>> =>
    parseManifests((await run(helm, ["template", "hawser", chartDir, "--namespace", "hawser-system", ...extra])).stdout, { source: "helm template" });
  const sharded = await render(["--set", "controller.replicas=3", "--set", "controller.shardingAlgorithm=round-robin"]);
  const sts = sharded.find((o) => o.kind === "StatefulSet") as { spec: { replicas: number; podManagementPolicy: string; template: { spec: PodSpec } } } | undefined;
  assert.ok(sts, `a StatefulSet: ${sharded.map((o) => o.kind).join(", ")}`);
  assert.ok(!sharded.some((o) => o.kind === "Deployment" && (o as { metadata?: { name?: string } }).metadata?.name === "hawser"), "and no operator Deployment beside it (the API server keeps its own)");
  assert.equal(sts.spec.replicas, 3, "one pod per shard");
  assert.equal(sts.spec.podManagementPolicy, "Parallel", "pods start together");
  const env = sts.spec.template.spec.containers.find((c) => c.name === "operator")?.env ?? [];
  assert.deepEqual(env.filter((e) => e.name.startsWith("ARGOCD_CONTROLLER_")), [
    { name: "ARGOCD_CONTROLLER_REPLICAS", value: "3" },
    { name: "ARGOCD_CONTROLLER_SHARDING_ALGORITHM", value: "round-robin" },
  ], "the shard count and the algorithm; each pod's shard is its ordinal");
  const single = await render([]);
  assert.ok(single.some((o) => o.kind === "Deployment" && (o as { metadata?: { name?: string } }).metadata?.name === "hawser") && !single.some((o) => o.kind === "StatefulSet"), "one replica: a Deployment as before");
});
