// RollingSync through the running operator: the generated Applications have autosync turned off;
// the ApplicationSet controller syncs step 1 (dev) first and step 2 (prod) only once dev is
// Healthy, recording each Application's rollout state and the RolloutProgressing condition.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

interface AppState { status?: { sync?: { status?: string }; health?: { status?: string }; operationState?: { phase?: string; startedAt?: string; finishedAt?: string } } }
interface SetState { status?: { resources?: { name: string; status?: string; health?: { status?: string } }[]; resourcesCount?: number; applicationStatus?: { application: string; status: string; step?: string }[]; conditions?: { type: string; status: string; reason: string }[] } }

test("RollingSync syncs step 1, then step 2 once step 1 is Healthy", async (t) => {
  const cm = (env: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rollout-${env}\ndata:\n  env: ${env}\n`;
  const w = await createWorld(t, { name: "rs", repos: { envs: { "dev/cm.yaml": cm("dev"), "prod/cm.yaml": cm("prod") } } });
  const { client, git, ns, op } = w;

  await client.create({
    apiVersion: API,
    kind: "ApplicationSet",
    metadata: { name: "rollout", namespace: ns },
    spec: {
      goTemplate: true,
      generators: [{ list: { elements: [{ env: "prod" }, { env: "dev" }] } }],
      strategy: { type: "RollingSync", rollingSync: { steps: [{ matchExpressions: [{ key: "env", operator: "In", values: ["dev"] }] }, { matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }] }] } },
      template: {
        metadata: { name: "rollout-{{ .env }}", labels: { env: "{{ .env }}" } },
        spec: {
          project: "default",
          source: { repoURL: git.baseUrl("envs"), path: "{{ .env }}", targetRevision: "HEAD" },
          destination: { server: "https://kubernetes.default.svc", namespace: ns },
          syncPolicy: { automated: { prune: true } },
        },
      },
      syncPolicy: { preserveResourcesOnDeletion: true },
    },
  });

  const app = async (env: string) => (await client.get<KubeObject & AppState>(API, "Application", `rollout-${env}`, ns));
  await eventually(async () => {
    const set = await client.get<KubeObject & SetState>(API, "ApplicationSet", "rollout", ns);
    const st = (set?.status?.applicationStatus ?? []).map((s) => `${s.application}:${s.step}:${s.status}`).sort();
    assert.deepEqual(st, ["rollout-dev:1:Healthy", "rollout-prod:2:Healthy"]);
    const cond = set?.status?.conditions?.find((c) => c.type === "RolloutProgressing");
    assert.deepEqual([cond?.status, cond?.reason], ["False", "ApplicationSetRolloutComplete"]);
  }, { timeoutMs: 120_000 });
  const dev = await app("dev");
  const prod = await app("prod");
  assert.equal((dev?.spec as { syncPolicy?: { automated?: unknown } }).syncPolicy?.automated, undefined, "autosync is off on generated Applications");
  const devDone = dev?.status?.operationState?.finishedAt ?? "";
  const prodStart = prod?.status?.operationState?.startedAt ?? "";
  assert.ok(devDone !== "" && prodStart !== "" && Date.parse(prodStart) >= Date.parse(devDone), `prod synced (${prodStart}) after dev finished (${devDone})`);
  assert.ok(await client.get("v1", "ConfigMap", "rollout-prod", ns), "step 2 was synced");
  // status.resources follows the Applications' sync and health.
  await eventually(async () => {
    const set = await client.get<KubeObject & SetState>(API, "ApplicationSet", "rollout", ns);
    assert.deepEqual(set?.status?.resources?.map((r) => [r.name, r.status, r.health?.status]), [["rollout-dev", "Synced", "Healthy"], ["rollout-prod", "Synced", "Healthy"]]);
    assert.equal(set?.status?.resourcesCount, 2);
  }, { timeoutMs: 30_000 });
  const rounds = op.logs.filter((l) => l.msg === "rollout: syncing applications").map((l) => l.applications);
  assert.deepEqual(rounds, [["rollout-dev"], ["rollout-prod"]], "one sync request per step, dev first");
});
