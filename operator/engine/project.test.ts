import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import { isClusterPermitted, isDestinationPermitted, isResourcePermitted, isSourcePermitted, unscopedClusterMessage, validateProjectSpec, type ClusterRef, type ProjectPolicySpec } from "./project.js";

// seed 000/appproject-backend-team.yaml
const backend: ProjectPolicySpec = {
  sourceRepos: ["https://github.com/myorg/backend-*", "https://charts.bitnami.com/bitnami"],
  destinations: [
    { server: "https://kubernetes.default.svc", namespace: "backend-*" },
    { server: "https://kubernetes.default.svc", namespace: "staging" },
  ],
  clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
  namespaceResourceBlacklist: [{ group: "", kind: "ResourceQuota" }],
};

test("source repositories: one path segment per *, .git and case ignored, ! denies", () => {
  assert.equal(isSourcePermitted(backend, "https://github.com/myorg/backend-api"), true);
  assert.equal(isSourcePermitted(backend, "https://github.com/MyOrg/backend-api.git"), true);
  assert.equal(isSourcePermitted(backend, "https://github.com/myorg/frontend"), false);
  assert.equal(isSourcePermitted(backend, "https://github.com/myorg/backend-x/sub"), false, "* does not cross /");
  assert.equal(isSourcePermitted(backend, "https://charts.bitnami.com/bitnami"), true);
  const all: ProjectPolicySpec = { sourceRepos: ["*", "!https://github.com/evil/*"] };
  assert.equal(isSourcePermitted(all, "https://github.com/ok/repo"), true);
  assert.equal(isSourcePermitted(all, "https://github.com/evil/repo"), false);
  assert.equal(isSourcePermitted({ sourceRepos: [] }, "https://x/y"), false, "no repos = nothing allowed");
});

test("destinations: server or name, namespace globs, negation", () => {
  assert.equal(isDestinationPermitted(backend, { server: "https://kubernetes.default.svc", namespace: "backend-prod" }), true);
  assert.equal(isDestinationPermitted(backend, { server: "https://kubernetes.default.svc", namespace: "staging" }), true);
  assert.equal(isDestinationPermitted(backend, { server: "https://kubernetes.default.svc", namespace: "kube-system" }), false);
  assert.equal(isDestinationPermitted(backend, { server: "https://other", namespace: "backend-x" }), false);
  const byName: ProjectPolicySpec = { destinations: [{ name: "prod-*", namespace: "*" }] };
  assert.equal(isDestinationPermitted(byName, { name: "prod-eu", namespace: "x" }), true);
  assert.equal(isDestinationPermitted(byName, { name: "dev", namespace: "x" }), false);
  const notKubeSystem: ProjectPolicySpec = { destinations: [{ server: "*", namespace: "!kube-system" }] };
  assert.equal(isDestinationPermitted(notKubeSystem, { server: "https://a", namespace: "apps" }), true);
  assert.equal(isDestinationPermitted(notKubeSystem, { server: "https://a", namespace: "kube-system" }), false);
  const denyServer: ProjectPolicySpec = { destinations: [{ server: "*", namespace: "*" }, { server: "!https://prod", namespace: "*" }] };
  assert.equal(isDestinationPermitted(denyServer, { server: "https://dev", namespace: "x" }), true);
  assert.equal(isDestinationPermitted(denyServer, { server: "https://prod", namespace: "x" }), false);
  assert.equal(isDestinationPermitted(backend, { server: "https://kubernetes.default.svc/extra", namespace: "backend-a" }), false);
});

test("resource kinds: cluster-scoped need the whitelist; namespaced are open unless listed", () => {
  assert.equal(isResourcePermitted(backend, { group: "", kind: "Namespace" }, false), true);
  assert.equal(isResourcePermitted(backend, { group: "rbac.authorization.k8s.io", kind: "ClusterRole" }, false), false);
  assert.equal(isResourcePermitted({}, { group: "", kind: "Namespace" }, false), false, "empty whitelist = no cluster resources");
  assert.equal(isResourcePermitted(backend, { group: "apps", kind: "Deployment" }, true), true);
  assert.equal(isResourcePermitted(backend, { group: "", kind: "ResourceQuota" }, true), false);
  assert.equal(isResourcePermitted({ namespaceResourceWhitelist: [] }, { group: "apps", kind: "Deployment" }, true), false, "empty non-nil whitelist = none");
  assert.equal(isResourcePermitted({ namespaceResourceWhitelist: [{ group: "apps", kind: "*" }] }, { group: "apps", kind: "Deployment" }, true), true);
  assert.equal(isResourcePermitted({ clusterResourceWhitelist: [{ group: "*", kind: "*" }] }, { group: "x.io", kind: "Thing" }, false), true);
  assert.equal(isResourcePermitted({ clusterResourceWhitelist: [{ group: "", kind: "Namespace", name: "team-*" }] }, { group: "", kind: "Namespace", name: "kube-system" }, false), false);
});

test("!* is an invalid pattern", () => {
  assert.deepEqual(validateProjectSpec(backend), []);
  assert.equal(validateProjectSpec({ sourceRepos: ["!*"] }).length, 1);
});

describe("permitOnlyProjectScopedClusters", () => {
  const prod: ClusterRef = { server: "https://prod.example", name: "prod", project: "team" };
  const other: ClusterRef = { server: "https://other.example", name: "other", project: "elsewhere" };
  const shared: ClusterRef = { server: "https://shared.example", name: "shared" };
  const clusters = [prod, other, shared];
  const strict: ProjectPolicySpec = { destinations: [{ server: "*", namespace: "*" }], permitOnlyProjectScopedClusters: true };

  it("without the flag every cluster passes, scoped or not (the destinations decide)", () => {
    const loose: ProjectPolicySpec = { destinations: [{ server: "*", namespace: "*" }] };
    for (const c of clusters) assert.equal(isClusterPermitted(loose, "team", c, clusters), true, `${c.name} passes without the flag`);
  });
  it("with the flag only the project's own clusters pass", () => {
    assert.equal(isClusterPermitted(strict, "team", prod, clusters), true, "scoped to team");
    assert.equal(isClusterPermitted(strict, "team", other, clusters), false, "scoped to another project");
    assert.equal(isClusterPermitted(strict, "team", shared, clusters), false, "not scoped at all");
    assert.equal(isClusterPermitted(strict, "team", prod, []), false, "fails closed when no cluster is known");
  });
  it("matches the project's clusters by name or server, as Argo does", () => {
    const renamed: ClusterRef = { server: prod.server, name: "prod-alias" };
    assert.equal(isClusterPermitted(strict, "team", renamed, clusters), true, "same server as a team cluster");
  });
  it("scoping a cluster does not add it to the project's destinations", () => {
    const narrow: ProjectPolicySpec = { destinations: [{ server: "https://shared.example", namespace: "*" }], permitOnlyProjectScopedClusters: true };
    assert.equal(isDestinationPermitted(narrow, { ...prod, namespace: "x" }), false, "not listed: refused by the destination rules");
  });
  it("names the cluster, its scope and the flag in the message", () => {
    assert.match(unscopedClusterMessage("team", other), /cluster 'other' \(https:\/\/other\.example\) is scoped to project 'elsewhere'.*permitOnlyProjectScopedClusters/);
    assert.match(unscopedClusterMessage("team", shared), /is not scoped to any project/);
  });
});
