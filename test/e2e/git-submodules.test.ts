// Git submodules through an Application on the real control plane: a parent repository on the
// loopback git server pins a submodule (also on the server, with its own credentials and its own
// repository Secret) holding manifests; an automated Application whose path lies inside the
// submodule syncs them. Restarted with ARGOCD_GIT_MODULES_ENABLED=false, the operator leaves the
// submodule empty: the app shows the render error and prunes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually } from "../support/eventually.js";
import { createWorld } from "../support/world.js";

interface AppStatus { conditions?: Array<{ type: string; message: string }>; sync?: { status?: string; revision?: string } }

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  from: submodule\n`;

test("an Application rendering a path inside a submodule syncs its manifests; with ARGOCD_GIT_MODULES_ENABLED=false it shows the render error and prunes nothing", async (t) => {
  const w = await createWorld(t, { name: "submodules", repos: { parent: { "README.md": "parent\n" } }, operatorArgs: ["--leader-elect=false"] });
  const { client, ns, git } = w;
  const subAuth = { username: "sub-reader", password: `sub-${w.id}-Passw0rd` };
  const subSha = await git.createRepo(`sub-${w.id}`, { "manifests/cm.yaml": cm("from-submodule") }, { auth: subAuth });
  const parent = await git.addSubmodule("parent", "vendor/sub", `../sub-${w.id}.git`, subSha);
  // The submodule's own repository Secret; the parent needs none.
  await client.create({
    apiVersion: "v1", kind: "Secret", metadata: { name: "sub-repo", namespace: ns, labels: { "argocd.argoproj.io/secret-type": "repository" } },
    stringData: { url: git.baseUrl(`sub-${w.id}`), ...subAuth },
  });
  const dest = w.dest("sub-dest");
  await w.createNamespace(dest);

  await client.create(w.application("modules", { repo: "parent", path: "vendor/sub/manifests", dest, syncPolicy: { automated: { prune: true } } }));
  await eventually(async () => {
    assert.ok(await client.get("v1", "ConfigMap", "from-submodule", dest), "the submodule's ConfigMap was synced");
    const s = await w.status<AppStatus>("modules");
    assert.equal(s?.sync?.status, "Synced", `synced: ${JSON.stringify(s)}`);
    assert.equal(s?.sync?.revision, parent, "at the parent's commit");
  }, { timeoutMs: 90_000 });
  assert.ok(git.requests.some((r) => r.repo === `sub-${w.id}` && r.user === subAuth.username && r.status === 200), "the submodule was fetched with its Secret's credentials");

  await w.op.stop();
  const off = await w.startOperator(undefined, { ARGOCD_GIT_MODULES_ENABLED: "false" });
  assert.ok(off.logs.some((l) => typeof l.msg === "string" && l.msg.startsWith("git submodules are not checked out")), "the operator says submodules are off");
  await w.refresh("modules", "hard");
  await eventually(async () => {
    const s = await w.status<AppStatus>("modules");
    const err = s?.conditions?.find((c) => c.type === "ComparisonError");
    assert.ok(err, `a ComparisonError is shown: ${JSON.stringify(s?.conditions)}`);
    assert.match(err.message, /source path "vendor\/sub\/manifests" does not exist/);
  }, { timeoutMs: 90_000 });
  assert.ok(await client.get("v1", "ConfigMap", "from-submodule", dest), "nothing was pruned");
});
