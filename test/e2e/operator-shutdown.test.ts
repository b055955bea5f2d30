// Issue 16's start/stop defects, end to end through the `hawser operator` process: after SIGTERM
// it must exit promptly (it used to log "stopped" and linger 28–30 s), and a start must print no
// MaxListenersExceededWarning for AbortSignal listeners. The operator runs as users run it (leader
// election and the periodic resync on) after doing the work that leaves things behind: apps
// rendered from git and synced, a webhook delivery, a metrics scrape over a keep-alive connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { eventually } from "../support/eventually.js";
import { createWorld } from "../support/world.js";

/** Generous: proves "not 30 s" without timing the exit itself. */
const EXIT_BOUND_MS = 10_000;

const cm = (name: string, dest: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${dest}\ndata:\n  k: v\n`;

test("SIGTERM: the operator exits promptly with status 0, nothing keeps it alive, and its start printed no listener warning", async (t) => {
  const w = await createWorld(t, { name: "stop", startOperator: false });
  const dest = w.dest("stop");
  await w.createNamespace(dest);
  const files: Record<string, string> = {};
  for (let i = 0; i < 5; i++) files[`app-${i}/cm.yaml`] = cm(`cm-${i}`, dest);
  const sha = await w.git.createRepo("apps", files);
  // As deployed: leader election on (world default) and the periodic resync back on.
  const op = await w.startOperator(["--app-resync", "120"]);
  for (let i = 0; i < 5; i++) await w.client.create(w.application(`app-${i}`, { repo: "apps", path: `app-${i}`, dest, syncPolicy: { automated: { selfHeal: true } } }));
  await eventually(async () => {
    for (let i = 0; i < 5; i++) {
      const s = await w.status<{ sync?: { status?: string; revision?: string } }>(`app-${i}`);
      assert.equal(s?.sync?.status, "Synced", `app-${i} synced`);
      assert.equal(s?.sync?.revision, sha, `app-${i} at the commit`);
    }
  }, { timeoutMs: 90_000 });

  // A webhook delivery and a metrics scrape, each over a keep-alive connection left open.
  const hook = await op.waitForLog((l) => l.msg === "serving git webhooks");
  const res = await fetch(`http://${String(hook.address)}/api/webhook`, {
    method: "POST", headers: { "Content-Type": "application/json", "X-GitHub-Event": "push", Connection: "keep-alive" },
    body: JSON.stringify({ ref: "refs/heads/main", after: sha, repository: { clone_url: w.git.baseUrl("apps") }, commits: [] }),
  });
  assert.equal(res.status, 200, `webhook accepted: ${await res.text()}`);
  const metrics = await fetch(`${await op.probeUrl()}/metrics`, { headers: { Connection: "keep-alive" } });
  assert.equal(metrics.status, 200, "metrics served");
  await metrics.text();

  const exited = once(op.proc, "exit");
  op.proc.kill("SIGTERM");
  await op.waitForLog((l) => l.msg === "stopped", 30_000);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => { timer = setTimeout(() => resolve("late"), EXIT_BOUND_MS); });
  const outcome = await Promise.race([exited.then(([code]) => code as number | null), late]);
  clearTimeout(timer);
  const lingering = op.logs.find((l) => l.msg === "process still running after stop");
  if (outcome === "late") op.proc.kill("SIGKILL");
  assert.notEqual(outcome, "late", `exited within ${EXIT_BOUND_MS} ms of "stopped"; still active: ${JSON.stringify(lingering?.activeResources ?? "?")}`);
  assert.equal(outcome, 0, "exit status 0");
  assert.equal(lingering, undefined, `nothing kept the process alive after "stopped": ${JSON.stringify(lingering)}`);
  const warnings = op.logs.filter((l) => String(l.msg).includes("MaxListenersExceededWarning"));
  assert.deepEqual(warnings, [], "no MaxListenersExceededWarning on stderr");
});
