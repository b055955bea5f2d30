import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../kube/client.js";
import type { ApplicationObject } from "../cache.js";
import { buildResourceTree, childrenIndex, networkingInfo } from "./app-resources.js";

const owner = (apiVersion: string, kind: string, name: string, uid: string) => ({ apiVersion, kind, name, uid });
const obj = (apiVersion: string, kind: string, name: string, uid: string, owners: ReturnType<typeof owner>[] = [], extra: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion, kind, metadata: { name, namespace: "shop", uid, ownerReferences: owners }, ...extra });

const deploy = obj("apps/v1", "Deployment", "web", "d1", [], { spec: { template: { spec: { containers: [{ image: "nginx:1.27" }] } } } });
const rs = obj("apps/v1", "ReplicaSet", "web-1", "r1", [owner("apps/v1", "Deployment", "web", "d1")]);
const pod = obj("v1", "Pod", "web-1-a", "p1", [owner("apps/v1", "ReplicaSet", "web-1", "r1")], { status: { phase: "Running", containerStatuses: [{ ready: true, restartCount: 0 }] } });
const stranger = obj("v1", "Pod", "other", "p2", [owner("apps/v1", "ReplicaSet", "other", "r9")]);
const app = {
  metadata: { name: "web", namespace: "argocd" }, spec: { project: "default", destination: {} },
  status: { resources: [{ group: "apps", version: "v1", kind: "Deployment", namespace: "shop", name: "web", health: { status: "Healthy" } }] },
} as unknown as ApplicationObject;

describe("buildResourceTree", () => {
  it("follows owner chains from the managed objects, with parentRefs, and leaves out objects of other owners", () => {
    const tree = buildResourceTree(app, [deploy], childrenIndex([pod, stranger, rs]));
    assert.deepEqual(tree.nodes.map((n) => `${n.kind}/${n.name}`).sort(), ["Deployment/web", "Pod/web-1-a", "ReplicaSet/web-1"]);
    const p = tree.nodes.find((n) => n.kind === "Pod");
    assert.deepEqual(p?.parentRefs, [{ version: "v1", group: "apps", kind: "ReplicaSet", namespace: "shop", name: "web-1", uid: "r1" }]);
    assert.deepEqual(p?.info?.find((i) => i.name === "Containers"), { name: "Containers", value: "1/1" });
    const d = tree.nodes.find((n) => n.kind === "Deployment");
    assert.deepEqual(d?.health, { status: "Healthy" }, "a managed node has the health the controller wrote");
    assert.deepEqual(d?.images, ["nginx:1.27"]);
  });

  it("is the same tree whatever order the objects come in (equal trees serialise equally)", () => {
    const a = JSON.stringify(buildResourceTree(app, [deploy], childrenIndex([rs, pod])));
    const b = JSON.stringify(buildResourceTree(app, [deploy], childrenIndex([pod, rs])));
    assert.equal(a, b);
  });

  it("visits an owner cycle once", () => {
    const x = obj("v1", "Pod", "x", "x1", [owner("apps/v1", "Deployment", "web", "d1"), owner("v1", "Pod", "y", "y1")]);
    const y = obj("v1", "Pod", "y", "y1", [owner("v1", "Pod", "x", "x1")]);
    const tree = buildResourceTree(app, [deploy], childrenIndex([x, y]));
    assert.deepEqual(tree.nodes.map((n) => n.name).sort(), ["web", "x", "y"]);
  });
});

describe("networkingInfo", () => {
  it("a Service targets its selector's labels and lists its load balancer", () => {
    const svc: KubeObject = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "shop" },
      ...{ spec: { type: "LoadBalancer", selector: { app: "web" }, ports: [{ port: 8080 }] }, status: { loadBalancer: { ingress: [{ ip: "10.0.0.9" }] } } } };
    assert.deepEqual(networkingInfo(svc), { targetLabels: { app: "web" }, ingress: [{ ip: "10.0.0.9" }], externalURLs: ["10.0.0.9:8080"] });
  });

  it("an Ingress targets the Services of its default backend and rules, with its URLs (https for TLS hosts)", () => {
    const ing: KubeObject = { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "web", namespace: "shop" }, ...{ spec: {
      defaultBackend: { service: { name: "fallback" } },
      tls: [{ hosts: ["secure.example"] }],
      rules: [{ host: "secure.example", http: { paths: [{ path: "/api", backend: { service: { name: "web" } } }] } }, { host: "plain.example", http: { paths: [{ backend: { service: { name: "web" } } }] } }],
    } } };
    assert.deepEqual(networkingInfo(ing), {
      targetRefs: [{ kind: "Service", namespace: "shop", name: "fallback" }, { kind: "Service", namespace: "shop", name: "web" }],
      externalURLs: ["https://secure.example/api", "http://plain.example/"],
    });
  });

  it("a Pod carries its labels; other kinds have none, and a pod's node is in its info", () => {
    const p: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "a", namespace: "shop", labels: { app: "web" }, uid: "p9" }, ...{ spec: { nodeName: "kwok-node-0" } } };
    assert.deepEqual(networkingInfo(p), { labels: { app: "web" } });
    assert.equal(networkingInfo(deploy), undefined, "a Deployment is not part of the network view");
    const tree = buildResourceTree(app, [deploy, p], childrenIndex([]));
    assert.deepEqual(tree.nodes.find((n) => n.kind === "Pod")?.info?.find((i) => i.name === "Node"), { name: "Node", value: "kwok-node-0" });
  });
});
