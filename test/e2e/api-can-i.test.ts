// GET /api/v1/account/can-i/{resource}/{action}/{subresource} through the real server on the real
// control plane, for the fine-grained application actions the Web UI asks about (Hawser answers
// them; Argo's can-i refuses them): the action segment carries its slashes percent-encoded, a
// resource action is checked as `action/<group>/<kind>/<action>`, a resource delete as the
// resource route checks it (argocd-cm's inheritance flag included), and a malformed one is a 400
// naming the expected form. Plain can-i keeps Argo's answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse } from "../support/api-session.js";
import { startServerProcess } from "../support/operator-process.js";
import { createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";

test("can-i answers fine-grained application actions as the routes check them", async (t) => {
  const w = await createWorld(t, { name: "cani", startOperator: false, argocdCm: { "accounts.op": "login", "accounts.dev": "login" } });
  const { client, ns } = w;
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: {
    "policy.csv": [
      // seed 004's role:developer, and an operator who may restart Deployments and delete Pods only.
      "p, role:developer, applications, get, */*, allow", "p, role:developer, applications, sync, */*, allow",
      "p, role:restarter, applications, get, */*, allow", "p, role:restarter, applications, action/apps/Deployment/restart, */*, allow",
      "p, role:restarter, applications, delete//Pod/*/*, */*, allow", "p, role:restarter, applications, update, */*, allow",
      "g, dev, role:developer", "g, op, role:restarter", "",
    ].join("\n"),
  } });
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const call = jsonCaller(await server.url());
  const password = await initialAdminPassword(client, ns);
  const admin = await sessionToken(call, "admin", password);
  for (const user of ["op", "dev"]) {
    const r = await call("PUT", "/api/v1/account/password", { name: user, currentPassword: password, newPassword: `${user}-password-1` }, admin);
    assert.equal(r.status, 200, showResponse(r));
  }
  const op = await eventually(() => sessionToken(call, "op", "op-password-1"), { timeoutMs: 15_000 });
  const dev = await sessionToken(call, "dev", "dev-password-1");
  const canI = async (token: string, action: string, object: string): Promise<{ status: number; value?: string; text: string }> => {
    const r = await call("GET", `/api/v1/account/can-i/applications/${encodeURIComponent(action)}/${object}`, undefined, token);
    return { status: r.status, value: (r.body as { value?: string }).value, text: r.text };
  };

  const cases: Array<[string, string, string, string]> = [
    ["op", "action/apps/Deployment/restart", `default/${ns}/web`, "yes"],
    ["op", "action/apps/Deployment/pause", `default/${ns}/web`, "no"],
    ["op", "delete//Pod/team/web-1", `default/${ns}/web`, "yes"],
    ["op", "delete/apps/Deployment/team/web", `default/${ns}/web`, "no"],
    // No inheritance by default: a plain update on the app does not cover its resources.
    ["op", "update/apps/Deployment/team/web", "default/web", "no"],
    ["dev", "action/apps/Deployment/restart", "default/web", "no"],
    ["dev", "delete//Pod/team/web-1", "default/web", "no"],
    ["dev", "sync", `default/${ns}/web`, "yes"],
    ["admin", "delete/apps/Deployment/team/web", "default/web", "yes"],
    ["admin", "action//Pod/evict", "default/web", "yes"],
  ];
  const tokens: Record<string, string> = { op, dev, admin };
  for (const [user, action, object, want] of cases) {
    const r = await canI(tokens[user]!, action, object);
    assert.equal(r.status, 200, `${user} ${action}: ${r.text}`);
    assert.equal(r.value, want, `${user} may ${want === "yes" ? "" : "not "}${action} on ${object}`);
  }
  const bad = await canI(op, "delete/apps/Deployment", "default/web");
  assert.equal(bad.status, 400, `a malformed fine-grained action: ${bad.text}`);
  assert.match(bad.text, /update\|delete\/<group>\/<kind>\/<namespace>\/<name>/, "the message gives the expected form");
  const other = await call("GET", `/api/v1/account/can-i/clusters/${encodeURIComponent("action/apps/Deployment/restart")}/x`, undefined, op);
  assert.equal(other.status, 400, `fine-grained forms only for applications: ${showResponse(other)}`);

  // With argocd-cm's inheritance on, the plain update covers the app's resources.
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: { "server.rbac.disableApplicationFineGrainedRBACInheritance": "false" } });
  await eventually(async () => assert.equal((await canI(op, "update/apps/Deployment/team/web", "default/web")).value, "yes", "inherited from update"), { timeoutMs: 15_000 });
});
