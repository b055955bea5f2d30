import assert from "node:assert/strict";
import { test } from "node:test";
import { clusterSecret, clusterSecretName, managerObjects } from "./manager.js";

const kinds = (objs: ReturnType<typeof managerObjects>): string[] => objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`);

test("cluster-wide: ServiceAccount, ClusterRole with every right, its binding, then the token Secret (Argo's names)", () => {
  const objs = managerObjects({ serviceAccount: "argocd-manager", systemNamespace: "kube-system", namespaces: [] });
  assert.deepEqual(kinds(objs), [
    "ServiceAccount/kube-system/argocd-manager",
    "ClusterRole//argocd-manager-role",
    "ClusterRoleBinding//argocd-manager-role-binding",
    "Secret/kube-system/argocd-manager-long-lived-token",
  ], "objects in apply order");
  assert.deepEqual(objs[1]!.rules, [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }, { nonResourceURLs: ["*"], verbs: ["*"] }], "all resources and non-resource URLs");
  assert.deepEqual(objs[2]!.subjects, [{ kind: "ServiceAccount", name: "argocd-manager", namespace: "kube-system" }], "bound to the ServiceAccount");
  assert.equal(objs[3]!.type, "kubernetes.io/service-account-token", "a token Secret the token controller fills");
  assert.deepEqual(objs[3]!.metadata.annotations, { "kubernetes.io/service-account.name": "argocd-manager" }, "for that ServiceAccount");
});

test("with namespaces: a Role and RoleBinding in each, no cluster-wide rights", () => {
  const objs = managerObjects({ serviceAccount: "mgr", systemNamespace: "ops", namespaces: ["a", "b"] });
  assert.deepEqual(kinds(objs), ["ServiceAccount/ops/mgr", "Role/a/mgr-role", "RoleBinding/a/mgr-role-binding", "Role/b/mgr-role", "RoleBinding/b/mgr-role-binding", "Secret/ops/mgr-long-lived-token"], "namespaced objects only");
  assert.deepEqual(objs[1]!.rules, [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }], "no nonResourceURLs in a Role");
  assert.deepEqual(objs[2]!.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "mgr-role" }, "binds the Role");
});

test("the cluster Secret is Argo's: label, name, server, config JSON, namespaces, project", () => {
  const secret = clusterSecret({
    server: "https://10.0.0.1:6443", name: "prod",
    config: { bearerToken: "tok", tlsClientConfig: { caData: "Q0E=" } },
    namespaces: ["a", "b"], clusterResources: true, project: "team", labels: { env: "prod" }, annotations: { owner: "me" },
  }, "argocd");
  assert.equal(secret.metadata.name, clusterSecretName("https://10.0.0.1:6443"), "the server's naming");
  assert.match(secret.metadata.name ?? "", /^cluster-10-0-0-1-[0-9a-f]{10}$/, "cluster-<host>-<hash>");
  assert.deepEqual(secret.metadata.labels, { env: "prod", "argocd.argoproj.io/secret-type": "cluster" }, "user labels plus the secret type");
  assert.deepEqual(secret.metadata.annotations, { owner: "me" }, "annotations kept");
  assert.deepEqual(secret.stringData, {
    name: "prod", server: "https://10.0.0.1:6443",
    config: JSON.stringify({ bearerToken: "tok", tlsClientConfig: { caData: "Q0E=" } }),
    namespaces: "a,b", clusterResources: "true", project: "team",
  }, "Argo's keys");
  const plain = clusterSecret({ server: "https://k", name: "k", config: { tlsClientConfig: {} } }, "argocd", "given");
  assert.equal(plain.metadata.name, "given", "an existing Secret's name is reused");
  assert.deepEqual(Object.keys(plain.stringData as object), ["name", "server", "config"], "no empty optional keys");
});
