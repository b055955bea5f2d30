import { test } from "node:test";
import assert from "node:assert/strict";
import type { AppProject } from "../../api/index.js";
import { mergeRoleTokens, roleTokens, withRoleTokens } from "./project-tokens.js";

const proj = (): AppProject => ({
  apiVersion: "argoproj.io/v1alpha1",
  kind: "AppProject",
  metadata: { name: "team", namespace: "argocd" },
  spec: { roles: [{ name: "deployer", jwtTokens: [{ iat: 10, id: "a" }, { iat: 5 }] }, { name: "viewer" }] },
  status: { jwtTokensByRole: { deployer: { items: [{ iat: 20, id: "b" }, { iat: 10, id: "a" }] }, removed: { items: [{ iat: 1, id: "z" }] } } },
});

test("spec and status entries merge by id, newest first; legacy entries get their iat as id", () => {
  assert.deepEqual(roleTokens(proj(), "deployer"), [{ iat: 20, id: "b" }, { iat: 10, id: "a" }, { iat: 5, id: "5" }], "merged and sorted");
  assert.deepEqual(roleTokens(proj(), "viewer"), [], "a role without tokens");
  assert.deepEqual(mergeRoleTokens([{ iat: 30, id: "n", exp: 40 }], [{ iat: 20, id: "b" }]), [{ iat: 30, id: "n", exp: 40 }, { iat: 20, id: "b" }], "new entry first");
});

test("writing a role's tokens mirrors them in spec and status and drops status of deleted roles", () => {
  const tokens = [{ iat: 30, id: "n" }, { iat: 20, id: "b" }];
  const next = withRoleTokens(proj(), "deployer", tokens);
  assert.deepEqual(next.spec.roles?.find((r) => r.name === "deployer")?.jwtTokens, tokens, "spec holds the list");
  assert.deepEqual(next.status?.jwtTokensByRole, { deployer: { items: tokens } }, "status holds the list; the deleted role's entry is gone");
  assert.deepEqual(next.spec.roles?.find((r) => r.name === "viewer"), { name: "viewer" }, "other roles untouched");
  const emptied = withRoleTokens(proj(), "deployer", []);
  assert.equal(emptied.spec.roles?.[0]?.jwtTokens, undefined, "no tokens: no list in spec");
  assert.equal(emptied.status?.jwtTokensByRole, undefined, "nor in status");
  assert.deepEqual(proj().status?.jwtTokensByRole?.deployer?.items?.length, 2, "the input is not modified");
});
