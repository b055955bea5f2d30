import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterAdmits, IN_CLUSTER_SERVER, kubeConfigForCluster, parseClusterSecret, resolveDestination, type ClusterEntry } from "./clusters.js";
import type { KubeObject } from "../kube/client.js";

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
