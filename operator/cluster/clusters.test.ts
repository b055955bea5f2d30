import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClusterRegistry, clusterAdmits, IN_CLUSTER_NAME, IN_CLUSTER_SERVER, kubeConfigForCluster, parseClusterSecret, resolveDestination, type ClusterEntry, type InClusterSetting } from "./clusters.js";
import { KubeClient, type KubeObject } from "../kube/client.js";
import { memoryLogger } from "../runtime/logger.js";

const b64 = (s: string): string => Buffer.from(s).toString("base64");
function secret(name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, labels: { "argocd.argoproj.io/secret-type": "cluster" } }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) };
}

describe("parseClusterSecret", () => {
  it("reads Argo's cluster Secret fields", () => {
    const e = parseClusterSecret(secret("c1", {
      name: "prod", server: "https://10.0.0.1:6443/", namespaces: "a, b", clusterResources: "true", project: "team",
      config: JSON.stringify({ bearerToken: "tok", tlsClientConfig: { insecure: false, caData: "Y2E=" } }),
    }));
    assert.ok(!("error" in e), "parsed");
    assert.equal(e.server, "https://10.0.0.1:6443", "trailing slash dropped");
    assert.deepEqual(e.namespaces, ["a", "b"], "namespaces split");
    assert.equal(e.clusterResources, true, "clusterResources");
    assert.equal(e.project, "team", "project");
    assert.equal(e.config.bearerToken, "tok", "config parsed");
  });

  it("keeps the Secret's labels but its secret-type label (argocd_cluster_labels reads them)", () => {
    const s = secret("c4", { server: "https://10.0.0.4:6443" });
    s.metadata.labels = { ...s.metadata.labels, env: "prod", "team.example.com/owner": "web" };
    const e = parseClusterSecret(s);
    assert.ok(!("error" in e), "parsed");
    assert.deepEqual(e.labels, { env: "prod", "team.example.com/owner": "web" }, "labels without argocd.argoproj.io/secret-type");
  });

  it("names the Secret, not its content, when config is broken", () => {
    const e = parseClusterSecret(secret("c2", { server: "https://x", config: '{"bearerToken": "s3cret"' }));
    assert.ok("error" in e && e.error.includes("c2"), "error names the secret");
    assert.ok("error" in e && !e.error.includes("s3cret"), "error does not quote the token");
    const noServer = parseClusterSecret(secret("c3", { name: "x" }));
    assert.ok("error" in noServer && noServer.error.includes("no server"), "missing server reported");
  });

  it("also reads stringData", () => {
    const e = parseClusterSecret({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { server: "https://y", name: "y" } });
    assert.ok(!("error" in e) && e.name === "y", "stringData used");
  });
});

describe("resolveDestination", () => {
  const clusters: ClusterEntry[] = [
    { name: "in-cluster", server: IN_CLUSTER_SERVER, namespaces: [], clusterResources: true, config: {} },
    { name: "prod", server: "https://prod:6443", namespaces: [], clusterResources: false, config: {} },
    { name: "dup", server: "https://d1", namespaces: [], clusterResources: false, config: {} },
    { name: "dup", server: "https://d2", namespaces: [], clusterResources: false, config: {} },
  ];
  it("finds clusters by server (slash-insensitive) and by name", () => {
    const byServer = resolveDestination({ server: "https://prod:6443/" }, clusters);
    assert.ok(byServer.ok && byServer.cluster.name === "prod", "by server");
    const byName = resolveDestination({ name: "in-cluster" }, clusters);
    assert.ok(byName.ok && byName.cluster.server === IN_CLUSTER_SERVER, "by name");
  });
  it("explains failures in Argo's words", () => {
    const r1 = resolveDestination({ server: "https://nope" }, clusters);
    assert.ok(!r1.ok && r1.message === "cluster 'https://nope' has not been configured", `unknown server: ${JSON.stringify(r1)}`);
    const r2 = resolveDestination({ name: "nope" }, clusters);
    assert.ok(!r2.ok && r2.message === "there are no clusters with this name: nope", "unknown name");
    const r3 = resolveDestination({ name: "dup" }, clusters);
    assert.ok(!r3.ok && r3.message.includes("2 clusters with the same name"), "ambiguous name");
  });
});

describe("clusterAdmits", () => {
  const limited: ClusterEntry = { name: "l", server: "https://l", namespaces: ["a"], clusterResources: false, config: {} };
  it("limits namespaces and cluster-scoped resources", () => {
    assert.equal(clusterAdmits(limited, "a"), undefined, "listed namespace admitted");
    assert.ok(clusterAdmits(limited, "b")?.includes("not managed"), "other namespace refused");
    assert.ok(clusterAdmits(limited, undefined)?.includes("cluster-scoped"), "cluster-scoped refused");
    assert.equal(clusterAdmits({ ...limited, clusterResources: true }, undefined), undefined, "clusterResources=true admits cluster-scoped");
    assert.equal(clusterAdmits({ ...limited, namespaces: [] }, "z"), undefined, "unlimited cluster admits all");
  });
});

describe("kubeConfigForCluster", () => {
  it("builds a kubeconfig with the token and TLS data", () => {
    const kc = kubeConfigForCluster({ name: "p", server: "https://p:6443", namespaces: [], clusterResources: false, config: { bearerToken: "t", tlsClientConfig: { insecure: true } } });
    assert.equal(kc.getCurrentCluster()?.server, "https://p:6443", "server");
    assert.equal(kc.getCurrentCluster()?.skipTLSVerify, true, "insecure");
    assert.equal(kc.getCurrentUser()?.token, "t", "token");
  });
  it("refuses auth plugins it cannot run", () => {
    assert.throws(() => kubeConfigForCluster({ name: "e", server: "https://e", namespaces: [], clusterResources: false, config: { execProviderConfig: { command: "x" } } }), /execProviderConfig is not supported/);
  });
});

describe("ClusterRegistry and argocd-cm cluster.inClusterEnabled", () => {
  // Nothing is started: the registry's Secret informer stays empty, so only the implicit entry is in play.
  const registry = (setting: () => InClusterSetting | undefined): ClusterRegistry => new ClusterRegistry({
    client: new KubeClient(kubeConfigForCluster({ name: "unused", server: "https://127.0.0.1:1", namespaces: [], clusterResources: true, config: {} })),
    namespace: "argocd", log: memoryLogger().logger,
    inCluster: () => setting() ?? { enabled: true },
  });

  it("resolves the in-cluster destination while enabled and refuses it in Argo's words once disabled, as the setting changes", () => {
    let setting: InClusterSetting | undefined;
    const r = registry(() => setting);
    assert.deepEqual(r.list().map((c) => c.name), [IN_CLUSTER_NAME], "the implicit entry by default");
    assert.ok(r.resolve({ server: IN_CLUSTER_SERVER }).ok, "by server while enabled");
    setting = { enabled: false };
    assert.deepEqual(r.list(), [], "no implicit entry once disabled");
    assert.deepEqual(r.resolve({ server: IN_CLUSTER_SERVER }), { ok: false, message: `cluster '${IN_CLUSTER_SERVER}' has not been configured` });
    assert.deepEqual(r.resolve({ name: IN_CLUSTER_NAME }), { ok: false, message: "there are no clusters with this name: in-cluster" });
    setting = { enabled: true };
    assert.ok(r.resolve({ name: IN_CLUSTER_NAME }).ok, "read again on every resolution");
  });

  it("an invalid setting refuses the in-cluster destination and says why", () => {
    const r = registry(() => ({ enabled: false, invalid: 'cluster.inClusterEnabled must be "true" or "false", got "no"' }));
    const res = r.resolve({ server: "https://kubernetes.default.svc/" });
    assert.equal(res.ok, false, "refused");
    assert.match(!res.ok ? res.message : "", /has not been configured \(argocd-cm cluster\.inClusterEnabled must be "true" or "false", got "no"\)$/);
    const other = r.resolve({ name: "prod" });
    assert.deepEqual(other, { ok: false, message: "there are no clusters with this name: prod" }, "other destinations keep Argo's message");
  });
});
