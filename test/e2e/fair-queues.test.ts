// Fair queues on the real control plane (docs/decisions.md, "Fair queues"): an Application of
// another project is refreshed next to a burst, not after it. The burst's 40 apps and the one app
// of project "other" exist before the operator starts, and the operator has a single refresh
// worker, so the order of their first status writes (as an Application watch sees them, in the
// apiserver's order) is the order the refresh queue handed the apps out: with one FIFO the
// project's app, named to sort last, would be refreshed last; with turns per project, second.
// Order only, no timing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { Informer } from "../../operator/runtime/informer.js";
import { createLogger } from "../../operator/runtime/logger.js";
import { eventually } from "../support/eventually.js";
import { createWorld } from "../support/world.js";

const BURST = 40;
const API = "argoproj.io/v1alpha1";

test("with every refresh worker busy on a burst, an app of another project is refreshed next, not after the burst", async (t) => {
  const cm = stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "one" }, data: { v: "1" } });
  const w = await createWorld(t, { name: "fair", startOperator: false, repos: { one: { "app/cm.yaml": cm } } });
  const dest = w.dest("fair");
  for (const name of ["default", "other"]) {
    await w.client.create({ apiVersion: API, kind: "AppProject", metadata: { name, namespace: w.ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  }
  // No automated sync: each app's refresh writes its status once (OutOfSync, Missing) and stops.
  for (let i = 0; i < BURST; i++) await w.client.create(w.application(`burst-${String(i).padStart(2, "0")}`, { repo: "one", path: "app", dest }));
  await w.client.create(w.application("zz-by-hand", { repo: "one", path: "app", dest, project: "other" }));

  const firstStatus: string[] = [];
  const watch = new Informer<KubeObject>(w.client, { apiVersion: API, kind: "Application", namespace: w.ns, log: createLogger({ level: "error" }) });
  const seen = (app: KubeObject): void => {
    const name = app.metadata.name!;
    if ((app.status as { sync?: { status?: string } } | undefined)?.sync?.status && !firstStatus.includes(name)) firstStatus.push(name);
  };
  watch.addHandler({ add: seen, update: (_o, n) => seen(n) });
  watch.start();
  t.after(() => watch.stop());
  await watch.waitForSync();
  assert.equal(firstStatus.length, 0, "nothing refreshed before the operator starts");

  await w.startOperator(["--status-processors", "1"]);
  await eventually(() => assert.equal(firstStatus.length, BURST + 1, `refreshed so far: ${firstStatus.length}`), { timeoutMs: 120_000 });
  const at = firstStatus.indexOf("zz-by-hand");
  t.diagnostic(`first status writes: ${firstStatus.join(", ")}`);
  assert.ok(at <= 2, `the other project's app was refreshed at position ${at + 1} of ${BURST + 1}, not after the burst`);
  const burst = firstStatus.filter((n) => n !== "zz-by-hand");
  assert.deepEqual(burst, [...burst].sort(), "the burst itself in its FIFO order");
});
