import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allowedNodeLabels, appHosts, podRequests } from "./app-hosts.js";
import type { ResourceNode } from "./app-resources.js";

const podNode = (name: string, node?: string, namespace = "web"): ResourceNode => ({
  version: "v1", kind: "Pod", namespace, name, uid: `uid-${name}`,
  info: [{ name: "Status Reason", value: "Running" }, ...(node ? [{ name: "Node", value: node }] : [])],
});

const pod = (name: string, nodeName: string, requests: Record<string, string>, o: { namespace?: string; phase?: string } = {}) => ({
  metadata: { name, namespace: o.namespace ?? "web" },
  spec: { nodeName, containers: [{ resources: { requests } }] },
  status: { phase: o.phase ?? "Running" },
});

const node = (name: string, labels: Record<string, string>) => ({
  metadata: { name, labels },
  status: {
    capacity: { cpu: "4", memory: "8Gi", pods: "110", "ephemeral-storage": "100Gi" },
    nodeInfo: { kubeletVersion: "v1.36.3", operatingSystem: "linux", architecture: "amd64" },
  },
});

describe("allowedNodeLabels", () => {
  it("splits argocd-cm application.allowedNodeLabels on commas, ignoring spaces and empty entries", () => {
    assert.deepEqual(allowedNodeLabels({ "application.allowedNodeLabels": " topology.kubernetes.io/zone , kubernetes.io/arch,," }), ["topology.kubernetes.io/zone", "kubernetes.io/arch"]);
    assert.deepEqual(allowedNodeLabels({}), [], "unset: no label is shown");
    assert.deepEqual(allowedNodeLabels(undefined), [], "no argocd-cm: no label is shown");
  });
});

describe("podRequests", () => {
  it("sums the containers and sidecars, takes an init container's larger request, adds the overhead", () => {
    const r = podRequests({
      metadata: { name: "p" },
      spec: {
        containers: [{ resources: { requests: { cpu: "100m", memory: "64Mi" } } }, { resources: { requests: { cpu: "0.2" } } }],
        initContainers: [
          { resources: { requests: { cpu: "1" } } },
          { restartPolicy: "Always", resources: { requests: { memory: "64Mi" } } },
        ],
        overhead: { cpu: "10m" },
      },
    });
    assert.equal(r.get("cpu"), 1_010_000_000n, "the 1-cpu init container outweighs 300m of containers; plus 10m overhead");
    assert.equal(r.get("memory"), 128n * 1024n * 1024n * 1_000_000_000n, "the sidecar's memory adds to the container's");
  });
});

describe("appHosts", () => {
  const nodes = new Map([["kwok-a", node("kwok-a", { "kubernetes.io/arch": "amd64", "secret-team": "x", "topology.kubernetes.io/zone": "z1" })], ["kwok-b", node("kwok-b", {})]]);
  const pods = [
    pod("web-1", "kwok-a", { cpu: "250m", memory: "128Mi" }),
    pod("web-2", "kwok-a", { cpu: "250m" }),
    pod("other", "kwok-a", { cpu: "1", memory: "1Gi" }, { namespace: "elsewhere" }),
    pod("done", "kwok-a", { cpu: "2" }, { namespace: "elsewhere", phase: "Succeeded" }),
    pod("web-3", "kwok-b", { cpu: "1500m" }),
  ];
  const podsOn = (n: string) => pods.filter((p) => p.spec.nodeName === n);

  it("gives one host per node running the app's pods: capacity, app and neighbour requests, system info, allowed labels only", () => {
    const tree = { nodes: [podNode("web-1", "kwok-a"), podNode("web-2", "kwok-a"), podNode("web-3", "kwok-b"), { version: "v1", kind: "Service", namespace: "web", name: "web" }] };
    const hosts = appHosts(tree, (n) => nodes.get(n), podsOn, ["topology.kubernetes.io/zone", "kubernetes.io/arch", "missing"]);
    assert.deepEqual(hosts, [
      {
        name: "kwok-a",
        resourcesInfo: [
          { resourceName: "cpu", requestedByApp: 500, requestedByNeighbors: 1000, capacity: 4000 },
          { resourceName: "memory", requestedByApp: 128 * 1024 * 1024 * 1000, requestedByNeighbors: 1024 * 1024 * 1024 * 1000, capacity: 8 * 1024 * 1024 * 1024 * 1000 },
        ],
        systemInfo: { kubeletVersion: "v1.36.3", operatingSystem: "linux", architecture: "amd64" },
        labels: { "topology.kubernetes.io/zone": "z1", "kubernetes.io/arch": "amd64" },
      },
      {
        name: "kwok-b",
        resourcesInfo: [{ resourceName: "cpu", requestedByApp: 1500, capacity: 4000 }, { resourceName: "memory", capacity: 8 * 1024 * 1024 * 1024 * 1000 }],
        systemInfo: { kubeletVersion: "v1.36.3", operatingSystem: "linux", architecture: "amd64" },
      },
    ]);
  });

  it("shows no label when none is allowed, and leaves out unscheduled pods and unknown nodes", () => {
    const tree = { nodes: [podNode("web-1", "kwok-a"), podNode("pending"), podNode("ghost", "gone-node")] };
    const hosts = appHosts(tree, (n) => nodes.get(n), podsOn, []);
    assert.deepEqual(hosts.map((h) => h.name), ["kwok-a"], "only the known node that runs a pod");
    assert.equal(hosts[0]!.labels, undefined, "no allowedNodeLabels: no labels at all");
  });

  it("is empty for a tree without pods", () => {
    assert.deepEqual(appHosts({ nodes: [{ version: "v1", kind: "ConfigMap", name: "c" }] }, (n) => nodes.get(n), podsOn, ["kubernetes.io/arch"]), []);
  });
});
