import { test } from "node:test";
import assert from "node:assert/strict";
import { serviceAccountOfToken } from "./clusters.js";

const jwt = (claims: unknown): string => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;

test("serviceAccountOfToken: legacy Secret tokens and bound tokens name their account; anything else is undefined", () => {
  assert.deepEqual(serviceAccountOfToken(jwt({ iss: "kubernetes/serviceaccount", "kubernetes.io/serviceaccount/namespace": "kube-system", "kubernetes.io/serviceaccount/service-account.name": "argocd-manager", "kubernetes.io/serviceaccount/secret.name": "argocd-manager-token-x" })), { namespace: "kube-system", name: "argocd-manager", secretName: "argocd-manager-token-x" });
  assert.deepEqual(serviceAccountOfToken(jwt({ "kubernetes.io": { namespace: "ns", serviceaccount: { name: "sa", uid: "u" } } })), { namespace: "ns", name: "sa" });
  assert.equal(serviceAccountOfToken("not-a-jwt"), undefined);
  assert.equal(serviceAccountOfToken(jwt({ sub: "someone" })), undefined);
  assert.equal(serviceAccountOfToken("a.%%%.b"), undefined);
});
