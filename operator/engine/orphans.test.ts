import assert from "node:assert/strict";
import { test } from "node:test";
import { findOrphans, orphanedMessage, type OrphanCandidate } from "./orphans.js";

const o = (apiVersion: string, kind: string, name: string, extra: Partial<OrphanCandidate["metadata"]> = {}): OrphanCandidate => ({ apiVersion, kind, metadata: { name, namespace: "ns", ...extra } });

test("orphans: untracked, unowned, not namespace furniture, not ignored", () => {
  const objects = [
    o("v1", "ConfigMap", "mine"),
    o("v1", "ConfigMap", "stray"),
    o("v1", "ConfigMap", "kube-root-ca.crt"),
    o("v1", "ServiceAccount", "default"),
    o("v1", "Pod", "web-abc", { ownerReferences: [{ kind: "ReplicaSet" }] }),
    o("apps/v1", "Deployment", "legacy"),
    o("v1", "Secret", "token-xyz"),
  ];
  const orphans = findOrphans(objects, (x) => x.metadata.name === "mine", [{ kind: "Secret", name: "token-*" }]);
  assert.deepEqual(orphans.map((x) => `${x.kind}/${x.metadata.name}`), ["ConfigMap/stray", "Deployment/legacy"], "only the strays");
  assert.deepEqual(findOrphans(objects, () => false, [{ group: "apps" }]).map((x) => x.kind).includes("Deployment"), false, "a group-only rule ignores the group");
  assert.equal(orphanedMessage(2), "Application has 2 orphaned resources", "Argo's wording");
});
