// Issue 10, finding 2 on the real control plane: a repository whose Helm chart has
// `files/x -> <a file outside the repository>` and renders it with `.Files.Get`. The operator
// must refuse the render with a ComparisonError naming the link, never show the file's content
// (status, Events, logs) and create nothing, even with automated sync. Argo's opt-out,
// argocd-cmd-params-cm `reposerver.allow.oob.symlinks: "true"`, turns the check off.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { fromDir } from "../support/git-server.js";
import { createWorld } from "../support/world.js";

interface AppStatus { conditions?: Array<{ type: string; message: string }>; sync?: { status?: string } }

test("an out-of-bounds symlink in a chart is a ComparisonError and nothing is synced; argocd-cmd-params-cm can opt out", async (t) => {
  // The "secret" the link points at: a file of the operator's machine, outside every checkout.
  const work = await mkdtemp(join(tmpdir(), "hawser-oob-e2e-"));
  t.after(() => rm(work, { recursive: true, force: true }));
  const marker = `hawser-oob-sentinel-${randomBytes(8).toString("hex")}`;
  const secret = join(work, "token");
  await writeFile(secret, `${marker}\n`);
  const src = join(work, "src");
  await mkdir(join(src, "chart", "templates"), { recursive: true });
  await mkdir(join(src, "chart", "files"), { recursive: true });
  await writeFile(join(src, "chart", "Chart.yaml"), "apiVersion: v2\nname: leak\nversion: 0.1.0\n");
  await writeFile(join(src, "chart", "templates", "cm.yaml"), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  x: {{ .Files.Get "files/x" | quote }}\n');
  // An absolute link survives the copy into the git server's work tree unchanged.
  await symlink(secret, join(src, "chart", "files", "x"));

  const w = await createWorld(t, { name: "oob", repos: { oob: fromDir(src) }, operatorArgs: ["--leader-elect=false"] });
  const { client, ns } = w;
  const dest = w.dest("oob-dest");
  await w.createNamespace(dest);
  const first = w.op;

  await client.create(w.application("leak", { repo: "oob", path: "chart", dest, syncPolicy: { automated: {} } }));
  const appNow = (): Promise<KubeObject | undefined> => w.getApp("leak");

  await eventually(async () => {
    const s = (await appNow())?.status as AppStatus | undefined;
    const err = s?.conditions?.find((c) => c.type === "ComparisonError");
    assert.ok(err, `a ComparisonError is shown: ${JSON.stringify(s?.conditions)}`);
    assert.match(err.message, /repository contains out-of-bounds symlinks\. file: chart\/files\/x/);
  }, { timeoutMs: 60_000 });
  // Once the refusal is in status, the render has run and failed: nothing can have been synced.
  assert.equal(await client.get("v1", "ConfigMap", "leak", dest), undefined, "nothing was created");
  assert.ok(!JSON.stringify(await appNow()).includes(marker), "the Application never holds the file's content");
  const events = await client.list("v1", "Event", { namespace: ns });
  assert.ok(!JSON.stringify(events).includes(marker), "no Event holds it");
  assert.ok(!JSON.stringify(first.logs).includes(marker), "no log line holds it");

  // The documented (dangerous) opt-out, read at start-up like Argo's repo-server flag.
  await first.stop();
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: ns }, data: { "reposerver.allow.oob.symlinks": "true" } });
  const second = await w.startOperator();
  // A refresh, so the app is compared again by the new process.
  await w.refresh("leak", "hard");
  await eventually(async () => {
    const cm = await client.get("v1", "ConfigMap", "leak", dest);
    assert.ok(cm, "with the opt-out the chart renders and syncs");
    assert.equal((cm.data as Record<string, string>).x, `${marker}\n`, "…and the link is followed, which is why it is off by default");
  }, { timeoutMs: 90_000 });
  assert.ok(second.logs.some((l) => typeof l.msg === "string" && l.msg.startsWith("out-of-bounds symlink check is off")), "the operator warns that the check is off");
});
