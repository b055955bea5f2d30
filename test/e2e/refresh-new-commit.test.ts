// A refresh asked for through the API sees a commit pushed just before it (issue 14: "Hard refresh
// once did not pick up a new commit"). `GET /api/v1/applications/{name}?refresh=hard|normal` sets
// the refresh annotation and waits until the controller clears it; the controller now clears it
// only after writing the refreshed status (as Argo does), so the app the GET returns is already at
// the new commit, and a ref listing that began before the push is not reused by the refresh.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Application } from "../../operator/api/index.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse } from "../support/api-session.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, createWorld } from "../support/world.js";

const cm = (v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fresh\ndata:\n  v: "${v}"\n`;

test("GET ?refresh=hard and ?refresh=normal return the app at a commit pushed just before", async (t) => {
  const w = await createWorld(t, { name: "freshrev", repos: { app: { "cm.yaml": cm("0") } } });
  const { client, ns } = w;
  const dest = w.dest("fresh");
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const call = jsonCaller(await server.url());
  const token = await sessionToken(call, "admin", await initialAdminPassword(client, ns));

  await client.create(w.application("fresh", { repo: "app", path: ".", dest }));
  await eventually(async () => {
    const a = await client.get<Application>(API, "Application", "fresh", ns);
    assert.equal(a?.status?.sync?.revision, w.initialCommits.app, "the first refresh compared the initial commit");
  }, { timeoutMs: 120_000 });

  // Each push is followed at once by the refresh; the GET's answer must already be at the commit.
  for (const [i, kind] of (["hard", "normal", "hard"] as const).entries()) {
    const sha = await w.git.commitFiles("app", { "cm.yaml": cm(String(i + 1)) }, `change ${i + 1}`);
    const r = await call("GET", `/api/v1/applications/fresh?refresh=${kind}`, undefined, token);
    assert.equal(r.status, 200, showResponse(r));
    const app = r.body as Application;
    assert.equal(app.metadata.annotations?.["argocd.argoproj.io/refresh"], undefined, `the ${kind} refresh was served`);
    assert.equal(app.status?.sync?.revision, sha, `push ${i + 1}, then ${kind} refresh: the returned app is at the pushed commit`);
  }
});
