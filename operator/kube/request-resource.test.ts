import { test } from "node:test";
import assert from "node:assert/strict";
import { requestResource } from "./request-resource.js";

test("requestResource: the resource and subresource of a path, as the apiserver labels them", () => {
  const cases: Array<[string, string]> = [
    ["/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/guestbook/status", "applications/status"],
    ["/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/guestbook", "applications"],
    ["/apis/argoproj.io/v1alpha1/namespaces/argocd/applications", "applications"],
    ["/apis/argoproj.io/v1alpha1/applications", "applications"],
    ["/api/v1/namespaces/dest/configmaps/cm", "configmaps"],
    ["/api/v1/namespaces/dest/pods/p/log", "pods/log"],
    ["/api/v1/configmaps?watch=true", "configmaps"],
    ["/api/v1/namespaces", "namespaces"],
    ["/api/v1/namespaces/dest", "namespaces"],
    ["/api/v1/namespaces/dest/status", "namespaces/status"],
    ["/api/v1/namespaces/dest/finalize", "namespaces/finalize"],
    ["/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", "clusterroles"],
    ["/apis/apps/v1/namespaces/dest/deployments/web/scale", "deployments/scale"],
  ];
  for (const [path, want] of cases) assert.equal(requestResource(path), want, path);
});

test("requestResource: paths outside the resource API have no resource", () => {
  for (const path of ["/version", "/metrics", "/api", "/api/v1", "/apis", "/apis/argoproj.io/v1alpha1", "/openapi/v3"]) {
    assert.equal(requestResource(path), "", path);
  }
});
