// The dev cluster behaves like a real cluster where the operator's tests depend on it: workloads
// reach Running/Ready on kwok nodes, Jobs complete, namespaces and owned objects are cleaned up by
// the controller-manager, clusters are independent, and the apiserver can be restarted.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Pod,
} from "@kubernetes/client-node";
import { getCluster, startCluster } from "../../operator/devcluster/cluster.js";
import { kubeConfigFor, privateCluster, sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";

const suffix = (): string => randomBytes(3).toString("hex");

const isNotFound = (err: unknown): boolean => err instanceof ApiException && err.code === 404;

async function createNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${suffix()}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

function podReady(p: V1Pod): boolean {
  return p.status?.phase === "Running" && (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

function deployment(name: string, replicas: number): Parameters<AppsV1Api["createNamespacedDeployment"]>[0]["body"] {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "app", image: "registry.invalid/app:1" }] },
      },
    },
  };
}

describe("dev cluster (shared)", () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  before(async () => {
    kc = (await sharedCluster()).kubeConfig;
    core = kc.makeApiClient(CoreV1Api);
  });

  test("a Deployment's pods become Running and Ready on kwok nodes", { timeout: 120_000 }, async () => {
    const ns = await createNamespace(kc, "dc-deploy");
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment("web", 2) });
    const nodes = (await core.listNode()).items;
    const kwokNodes = new Set(nodes.filter((n) => n.metadata?.annotations?.["kwok.x-k8s.io/node"] === "fake").map((n) => n.metadata?.name));
    assert.ok(kwokNodes.size >= 1, "cluster has kwok nodes");

    const pods = await eventually(async () => {
      const list = (await core.listNamespacedPod({ namespace: ns, labelSelector: "app=web" })).items;
      assert.equal(list.length, 2);
      assert.ok(list.every(podReady), `pods not ready: ${list.map((p) => p.status?.phase).join(",")}`);
      return list;
    }, { timeoutMs: 90_000, message: "deployment pods ready" });
    for (const p of pods) {
      assert.ok(kwokNodes.has(p.spec?.nodeName), `pod ${p.metadata?.name} is on a kwok node (${p.spec?.nodeName})`);
      // Owned by a ReplicaSet, which is owned by the Deployment: the full controller chain ran.
      assert.equal(p.metadata?.ownerReferences?.[0]?.kind, "ReplicaSet");
    }
    await eventually(async () => {
      const d = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
      assert.equal(d.status?.readyReplicas, 2);
      assert.equal(d.status?.availableReplicas, 2);
    }, { timeoutMs: 60_000 });
    await core.deleteNamespace({ name: ns });
  });

  test("a Job completes", { timeout: 120_000 }, async () => {
    const ns = await createNamespace(kc, "dc-job");
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: "once" },
        spec: {
          backoffLimit: 0,
          template: { spec: { restartPolicy: "Never", containers: [{ name: "run", image: "registry.invalid/job:1" }] } },
        },
      },
    });
    const job = await eventually(async () => {
      const j = await batch.readNamespacedJob({ name: "once", namespace: ns });
      assert.equal(j.status?.succeeded, 1);
      return j;
    }, { timeoutMs: 90_000, message: "job succeeded" });
    assert.ok(job.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True"), "Complete condition");
    const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: "job-name=once" })).items;
    assert.ok(pods.some((p) => p.status?.phase === "Succeeded"), "the job's pod Succeeded");
    await core.deleteNamespace({ name: ns });
  });

  test("deleting a Namespace removes it and its contents", { timeout: 120_000 }, async () => {
    const ns = await createNamespace(kc, "dc-nsdel");
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "cm" }, data: { a: "1" } } });
    // Pods need kwok's pod-delete stage (the kubelet's job) for the namespace to finish deleting.
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: ns, body: deployment("web", 1) });
    await eventually(async () => {
      const list = (await core.listNamespacedPod({ namespace: ns })).items;
      assert.equal(list.length, 1);
      assert.ok(podReady(list[0] as V1Pod), "podReady(list[0] as V1Pod)");
    }, { timeoutMs: 90_000 });

    await core.deleteNamespace({ name: ns });
    await eventually(async () => {
      await assert.rejects(core.readNamespace({ name: ns }), isNotFound);
    }, { timeoutMs: 90_000, message: "namespace gone" });
    // Reading inside a deleted namespace: the contents went with it.
    const leftover = await core.listNamespacedConfigMap({ namespace: ns });
    assert.equal(leftover.items.length, 0);
    const pods = await core.listNamespacedPod({ namespace: ns });
    assert.equal(pods.items.length, 0);
  });

  test("an owner-referenced ConfigMap is garbage-collected with its owner", { timeout: 120_000 }, async () => {
    const ns = await createNamespace(kc, "dc-gc");
    const owner = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "owner" } } });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: "dependent",
          ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata?.uid ?? "" }],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: "owner", namespace: ns });
    await eventually(async () => {
      await assert.rejects(core.readNamespacedConfigMap({ name: "dependent", namespace: ns }), isNotFound);
    }, { timeoutMs: 60_000, message: "dependent collected" });
    await core.deleteNamespace({ name: ns });
  });
});

describe("dev cluster (shared): service accounts", () => {
  test("the token controller fills service-account token Secrets", { timeout: 60_000 }, async () => {
    const kc = (await sharedCluster()).kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const ns = await createNamespace(kc, "dc-sa");
    // The serviceaccount controller creates "default" in every new namespace.
    await eventually(() => core.readNamespacedServiceAccount({ name: "default", namespace: ns }), { message: "default SA" });
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: "tok", annotations: { "kubernetes.io/service-account.name": "default" } },
        type: "kubernetes.io/service-account-token",
      },
    });
    const token = await eventually(async () => {
      const s = await core.readNamespacedSecret({ name: "tok", namespace: ns });
      assert.ok(s.data?.token, "token populated");
      return Buffer.from(s.data.token, "base64").toString();
    }, { message: "token secret filled" });
    // A JWT signed by the cluster's service-account key.
    assert.equal(token.split(".").length, 3);
    await core.deleteNamespace({ name: ns });
  });
});

describe("dev clusters (private)", () => {
  test("two clusters run side by side, the apiserver restarts, and the watchdog removes orphans", { timeout: 300_000 }, async () => {
    // b is tied to a stand-in owner process instead of this one, so the test can "kill the owner".
    const owner = spawn("sleep", ["3600"], { stdio: "ignore" });
    const [a, b] = await Promise.all([
      privateCluster(undefined, { nodes: 1 }),
      startCluster({ name: `test-${process.pid}-owned`, nodes: 1, stopWithProcess: owner.pid }),
    ]);
    try {
      assert.notEqual(a.server, b.server);
      const portsA = Object.values(a.ports);
      for (const p of Object.values(b.ports)) assert.ok(!portsA.includes(p), `port ${p} used by both clusters`);

      const coreA = kubeConfigFor(a.kubeconfigPath).makeApiClient(CoreV1Api);
      const coreB = kubeConfigFor(b.kubeconfigPath).makeApiClient(CoreV1Api);
      await coreA.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "only-in-a" }, data: { v: "1" } } });
      await assert.rejects(coreB.readNamespacedConfigMap({ name: "only-in-a", namespace: "default" }), isNotFound);
      assert.equal((await coreB.listNode()).items.length, 1);

      // Stop the apiserver: requests fail at the network level.
      await a.stopComponent("kube-apiserver");
      assert.equal(await a.isComponentRunning("kube-apiserver"), false);
      await assert.rejects(coreA.readNamespacedConfigMap({ name: "only-in-a", namespace: "default" }), (err: unknown) => !(err instanceof ApiException));
      // The other cluster is unaffected.
      assert.equal((await coreB.listNode()).items.length, 1);

      // Restart it with the same port and certificates: same data, and the controllers reconnect.
      const server = a.server;
      await a.startComponent("kube-apiserver");
      assert.equal(a.server, server);
      const cm = await coreA.readNamespacedConfigMap({ name: "only-in-a", namespace: "default" });
      assert.equal(cm.data?.v, "1");
      const appsA = kubeConfigFor(a.kubeconfigPath).makeApiClient(AppsV1Api);
      await appsA.createNamespacedDeployment({ namespace: "default", body: deployment("after-restart", 1) });
      await eventually(async () => {
        const list = (await coreA.listNamespacedPod({ namespace: "default", labelSelector: "app=after-restart" })).items;
        assert.equal(list.length, 1);
        assert.ok(podReady(list[0] as V1Pod), "podReady(list[0] as V1Pod)");
      }, { timeoutMs: 120_000, message: "controllers work after apiserver restart" });

      // The owner of b dies: its watchdog stops b's processes and deletes its state.
      const bApiserver = b.pid("kube-apiserver");
      owner.kill();
      await eventually(() => assert.equal(existsSync(b.stateDir), false), { timeoutMs: 60_000, message: "watchdog removed b" });
      assert.ok(bApiserver !== undefined, "bApiserver !== undefined");
      assert.equal(existsSync(`/proc/${bApiserver}`), false, "b's apiserver process is gone");
    } finally {
      owner.kill();
      await Promise.all([a.stop(), b.stop()]);
    }
    // stop() removes the processes and the state.
    assert.equal(existsSync(a.stateDir), false);
    assert.equal(await getCluster(a.name), undefined);
  });
});

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "operator/cli.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("hawser dev-cluster CLI", () => {
  const name = `test-cli-${process.pid}`;
  after(async () => {
    await runCli(["dev-cluster", "down", "--name", name]);
  });

  test("up prints the kubeconfig path last, is idempotent, and down removes the cluster", { timeout: 180_000 }, async () => {
    const up = await runCli(["dev-cluster", "up", "--name", name, "--nodes", "1"]);
    assert.equal(up.code, 0, up.stderr);
    const kubeconfig = up.stdout.trim().split("\n").pop() ?? "";
    assert.ok(existsSync(kubeconfig), `kubeconfig ${kubeconfig} exists`);
    const nodes = await kubeConfigFor(kubeconfig).makeApiClient(CoreV1Api).listNode();
    assert.equal(nodes.items.length, 1);

    const again = await runCli(["dev-cluster", "up", "--name", name]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already running/);
    assert.equal(again.stdout.trim().split("\n").pop(), kubeconfig);

    const status = await runCli(["dev-cluster", "status", "--name", name]);
    assert.equal(status.code, 0, status.stdout);
    assert.match(status.stdout, /kube-apiserver\s+pid \d+/);

    const down = await runCli(["dev-cluster", "down", "--name", name]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(existsSync(kubeconfig), false);
    const after = await runCli(["dev-cluster", "status", "--name", name]);
    assert.notEqual(after.code, 0);
  });
});
