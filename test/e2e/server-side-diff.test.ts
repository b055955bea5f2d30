// Server-side diff (issue 4): the apiserver canonicalises some values (a quantity `1024Mi` is
// stored as `1Gi`). The client-side prediction cannot know that and reports the synced app as
// OutOfSync; with `compare-options: ServerSideDiff=true` live is compared with an apply dry run
// of the target, so the same app is Synced, and a real edit is still seen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { eventually } from "../support/eventually.js";
import { createWorld } from "../support/world.js";

interface AppStatus { sync?: { status?: string }; operationState?: { phase?: string } }

test("ServerSideDiff=true compares with the apiserver's own result; the client-side prediction cannot", async (t) => {
  const w = await createWorld(t, {
    name: "ssd",
    repos: {
      ssd: {
        "app/deploy.yaml": stringify({
          apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "cache" },
          spec: {
            replicas: 1, selector: { matchLabels: { app: "cache" } },
            template: {
              metadata: { labels: { app: "cache" } },
              spec: {
                containers: [{ name: "c", image: "registry.invalid/cache:1", volumeMounts: [{ name: "scratch", mountPath: "/scratch" }] }],
                volumes: [{ name: "scratch", emptyDir: { sizeLimit: "1024Mi" } }],
              },
            },
          },
        }),
      },
    },
  });
  const { client } = w;
  const destOf = { "client-side": w.dest("client-side"), "server-side": w.dest("server-side") };
  for (const [name, serverSide] of [["client-side", false], ["server-side", true]] as const) {
    await client.create(w.application(name, {
      repo: "ssd", path: "app", dest: destOf[name],
      metadata: serverSide ? { annotations: { "argocd.argoproj.io/compare-options": "ServerSideDiff=true" } } : {},
      syncPolicy: { syncOptions: ["CreateNamespace=true"] },
      extra: { operation: { sync: {}, initiatedBy: { username: "test" } } },
    }));
  }
  const sync = async (name: string): Promise<string | undefined> => {
    const s = await w.status<AppStatus>(name);
    return s?.operationState?.phase === "Succeeded" ? s.sync?.status : undefined;
  };
  await eventually(async () => {
    assert.equal(await sync("server-side"), "Synced", "server-side diff: Synced after the sync");
    assert.equal(await sync("client-side"), "OutOfSync", "client-side prediction: 1024Mi vs the stored 1Gi looks different");
  }, { timeoutMs: 120_000, intervalMs: 1000 });
  const stored = await client.get("apps/v1", "Deployment", "cache", destOf["server-side"]);
  const volumes = (stored?.spec as { template: { spec: { volumes: Array<{ emptyDir: { sizeLimit: string } }> } } }).template.spec.volumes;
  assert.equal(volumes[0]?.emptyDir.sizeLimit, "1Gi", "the apiserver stored the canonical quantity");

  // A real edit is still a difference in server-side mode.
  await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "cache", namespace: destOf["server-side"] }, { spec: { replicas: 2 } });
  await eventually(async () => {
    assert.equal(await sync("server-side"), "OutOfSync", "a hand edit is OutOfSync in server-side mode");
  }, { timeoutMs: 60_000, intervalMs: 1000 });
});
