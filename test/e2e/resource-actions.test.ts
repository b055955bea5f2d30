// Resource actions end to end on the real control plane, with the operator and the API server as
// processes: a synced app with a Deployment offers the built-in restart/pause/resume (plus the
// actions argocd-cm adds with mergeBuiltinActions); restart stamps restartedAt on the live
// Deployment and leaves an Event on the Application; a user whose policy lacks
// action/apps/Deployment/restart gets 403 and the Deployment stays as it was, while the pause
// the policy grants works; a custom argocd-cm action takes parameters, and run while another
// writer keeps changing the Deployment it meets real 409s, runs again on a fresh read and
// succeeds (or gives up with 409 having written nothing) without losing any of the other
// writer's changes; a failing Lua script is
// reported with the action's name; a Deployment outside the app is refused; a ReplicaSet under the
// app's Deployment is accepted. Then the same through the CLI, via the server and with --core,
// whose `actions run web restart --kind Deployment --resource-name web` (no --group) replaces the pods.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Application } from "../../operator/api/index.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, createWorld, showRun, type CliRun } from "../support/world.js";
import { initialAdminPassword, jsonCaller, showResponse } from "../support/api-session.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

const deployment = (name: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`;

// Added to the built-in Deployment actions (mergeBuiltinActions): one with a parameter, one that fails.
const customActions = `mergeBuiltinActions: true
discovery.lua: |
  local actions = {}
  actions["scale-to"] = { displayName = "Scale to", params = { { name = "replicas" } } }
  actions["explode"] = {}
  return actions
definitions:
- name: scale-to
  action.lua: |
    obj.spec.replicas = tonumber(actionParams["replicas"])
    return obj
- name: explode
  action.lua: |
    local missing = obj.spec.noSuchField
    return missing.value
`;

type Deploy = KubeObject & { spec: { replicas?: number; paused?: boolean; template: { metadata?: { annotations?: Record<string, string> } } } };
const restartedAt = (d: Deploy | undefined): string | undefined => d?.spec.template.metadata?.annotations?.[RESTARTED_AT];

test("resource actions: list and run through the API and the CLI, RBAC, argocd-cm actions, Lua errors, resources outside the app", async (t) => {
  const w = await createWorld(t, {
    name: "actions",
    repos: { app: { "deploy.yaml": deployment("web") } },
    argocdCm: { "accounts.limited": "login", "resource.customizations.actions.apps_Deployment": customActions },
  });
  const { client, ns } = w;
  const dest = w.dest("act");
  await client.create({
    apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns },
    data: { "policy.csv": "p, role:limited, applications, get, */*, allow\np, role:limited, applications, action/apps/Deployment/pause, */*, allow\ng, limited, role:limited\n" },
  });
  await client.create(w.application("web", { repo: "app", path: ".", dest, syncPolicy: { syncOptions: ["CreateNamespace=true"] } }));
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();

  const password = await initialAdminPassword(client, ns);
  const call = jsonCaller(base);
  const show = showResponse;
  const admin = ((await call("POST", "/api/v1/session", { username: "admin", password })).body as { token: string }).token;
  const api = (method: string, path: string, body?: unknown) => call(method, path, body, admin);
  const live = async (name = "web"): Promise<Deploy | undefined> => client.get<Deploy>("apps/v1", "Deployment", name, dest);
  const rid = (name: string, kind = "Deployment", group = "apps"): string => `namespace=${dest}&resourceName=${name}&version=v1&group=${group}&kind=${kind}`;
  const v2 = (action: string, extra: Record<string, unknown> = {}) => ({ namespace: dest, resourceName: "web", version: "v1", group: "apps", kind: "Deployment", action, ...extra });

  // ---- a synced app ----
  const sync = await api("POST", "/api/v1/applications/web/sync", {});
  assert.equal(sync.status, 200, show(sync));
  await eventually(async () => {
    const a = await client.get<Application>(API, "Application", "web", ns);
    assert.equal(a?.status?.operationState?.phase, "Succeeded");
    assert.equal(a?.status?.health?.status, "Healthy");
  }, { timeoutMs: 120_000 });

  // ---- list: built-ins plus argocd-cm's ----
  const listed = await api("GET", `/api/v1/applications/web/resource/actions?${rid("web")}`);
  assert.equal(listed.status, 200, show(listed));
  const actions = (listed.body as { actions: Array<{ name: string; disabled?: boolean; params?: Array<{ name: string }> }> }).actions;
  assert.deepEqual(actions.map((a) => a.name), ["explode", "pause", "restart", "resume", "scale-to"], show(listed));
  assert.equal(actions.find((a) => a.name === "resume")?.disabled, true, "resume is disabled while the Deployment runs");
  assert.deepEqual(actions.find((a) => a.name === "scale-to")?.params, [{ name: "replicas" }]);

  // ---- restart: restartedAt on the live Deployment, an Event on the Application ----
  assert.equal(restartedAt(await live()), undefined, "not restarted yet");
  const restart = await api("POST", "/api/v1/applications/web/resource/actions/v2", v2("restart"));
  assert.equal(restart.status, 200, show(restart));
  assert.deepEqual(restart.body, {});
  const stamped = restartedAt(await live());
  assert.ok(stamped && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(stamped) && Math.abs(Date.parse(stamped) - Date.now()) < 10 * 60_000, `restartedAt is now: ${String(stamped)}`);
  const app = await client.get<Application>(API, "Application", "web", ns);
  const events = await eventually(async () => {
    const list = await client.list("v1", "Event", { namespace: ns, fieldSelector: `involvedObject.name=web,involvedObject.uid=${app?.metadata.uid ?? ""}` });
    const hit = list.items.filter((e) => (e as unknown as { reason: string }).reason === "ResourceActionRan");
    assert.ok(hit.length > 0, "a ResourceActionRan Event");
    return hit as unknown as Array<{ message: string }>;
  }, { timeoutMs: 10_000 });
  assert.ok(events.some((e) => e.message === "admin ran action restart on resource apps/Deployment/web"), JSON.stringify(events));

  // ---- RBAC: restart is not granted to `limited`, pause is ----
  const setPw = await api("PUT", "/api/v1/account/password", { name: "limited", currentPassword: password, newPassword: "limited-pass-123" });
  assert.equal(setPw.status, 200, show(setPw));
  const limited = ((await call("POST", "/api/v1/session", { username: "limited", password: "limited-pass-123" })).body as { token: string }).token;
  const before = await live();
  const denied = await call("POST", "/api/v1/applications/web/resource/actions/v2", v2("restart"), limited);
  assert.equal(denied.status, 403, show(denied));
  assert.match((denied.body as { message: string }).message, /permission denied/);
  const after = await live();
  // The generation counts spec changes only (the controllers keep writing status).
  assert.equal(after?.metadata.generation, before?.metadata.generation, "the denied restart changed nothing");
  assert.equal(restartedAt(after), stamped);
  const canList = await call("GET", `/api/v1/applications/web/resource/actions?${rid("web")}`, undefined, limited);
  assert.equal(canList.status, 200, `listing needs only get: ${show(canList)}`);
  const paused = await call("POST", "/api/v1/applications/web/resource/actions/v2", v2("pause"), limited);
  assert.equal(paused.status, 200, show(paused));
  assert.equal((await live())?.spec.paused, true);
  // The deprecated v1 route: the action name as the JSON string body, the resource in the query.
  const resumed = await api("POST", `/api/v1/applications/web/resource/actions?${rid("web")}`, "resume");
  assert.equal(resumed.status, 200, show(resumed));
  assert.equal((await live())?.spec.paused, undefined, "resume removes spec.paused");

  // ---- argocd-cm's action with a parameter; a failing one ----
  const scaled = await api("POST", "/api/v1/applications/web/resource/actions/v2", v2("scale-to", { resourceActionParameters: [{ name: "replicas", value: "3" }] }));
  assert.equal(scaled.status, 200, show(scaled));
  assert.equal((await live())?.spec.replicas, 3);
  // ---- an action racing another writer of the same Deployment ----
  // A second writer keeps patching the Deployment's annotations (no resourceVersion, so it never
  // fails) while scale-to runs again and again. The action's own patch carries the
  // resourceVersion it read, so a write landing in between is a real 409: the server runs the
  // action again on a fresh read (its "resource action ran" line counts the attempts), or gives
  // up after MAX_ACTION_ATTEMPTS with 409 Aborted having written nothing. No write is lost.
  let racing = true;
  let writes = 0;
  const writer = (async (): Promise<void> => {
    while (racing) {
      await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: dest }, { metadata: { annotations: { [`example.com/writer-${writes}`]: "yes" } } });
      writes++;
      // A short pause keeps the race real without flooding the operator with Deployment events.
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  let expectedReplicas = (await live())?.spec.replicas;
  let retriedSuccess = false;
  const outcomes: number[] = [];
  try {
    for (let run = 0; run < 40 && !(retriedSuccess && run >= 3); run++) {
      const replicas = run % 2 === 0 ? 1 : 2;
      const r = await api("POST", "/api/v1/applications/web/resource/actions/v2", v2("scale-to", { resourceActionParameters: [{ name: "replicas", value: String(replicas) }] }));
      outcomes.push(r.status);
      if (r.status === 409) {
        assert.equal((r.body as { code: number }).code, 10, `a lost race is Aborted: ${show(r)}`);
        assert.match((r.body as { message: string }).message, /action "scale-to": apps\/Deployment .*web changed during each of \d+ attempts.*nothing was changed/, show(r));
        continue;
      }
      assert.equal(r.status, 200, `the action succeeds despite the other writer, or gives up with 409: ${show(r)}`);
      expectedReplicas = replicas;
      const ran = await eventually(async () => {
        const lines = server.logs.filter((l) => l.msg === "resource action ran" && l.action === "scale-to");
        assert.ok(lines.length >= outcomes.filter((o) => o === 200).length + 1, "the server logged this run");
        return lines;
      }, { timeoutMs: 10_000 });
      retriedSuccess = ran.some((l) => Number(l.attempts) > 1);
    }
  } finally {
    racing = false;
    await writer;
  }
  assert.ok(retriedSuccess, `at least one run met a conflict, ran again and succeeded (statuses ${outcomes.join(",")}; attempts ${JSON.stringify(server.logs.filter((l) => l.msg === "resource action ran" && l.action === "scale-to").map((l) => l.attempts))})`);
  assert.ok(outcomes.includes(200), "some runs succeeded");
  const raced = await live();
  assert.equal(raced?.spec.replicas, expectedReplicas, `the last successful run's replicas stand; a run that gave up wrote nothing (statuses ${outcomes.join(",")})`);
  const missing = Array.from({ length: writes }, (_, i) => `example.com/writer-${i}`).filter((k) => raced?.metadata.annotations?.[k] !== "yes");
  assert.deepEqual(missing, [], `none of the other writer's ${writes} writes was lost`);
  assert.ok(writes > 0, "the other writer wrote while the actions ran");

  const beforeExplode = (await live())?.metadata.generation;
  const exploded = await api("POST", "/api/v1/applications/web/resource/actions/v2", v2("explode"));
  assert.equal(exploded.status, 400, show(exploded));
  assert.match((exploded.body as { message: string }).message, /^action "explode" failed \(argocd-cm resource\.customizations\.actions\.apps_Deployment\): explode\/action\.lua:2: attempt to index a nil value/, show(exploded));
  assert.equal((await live())?.metadata.generation, beforeExplode, "a failed action writes nothing");
  const unknown = await api("POST", "/api/v1/applications/web/resource/actions/v2", v2("no-such-action"));
  assert.equal(unknown.status, 400, show(unknown));
  assert.match((unknown.body as { message: string }).message, /action "no-such-action" is not defined for apps\/Deployment/);

  // ---- a Deployment that is not the app's is refused; a ReplicaSet under the app's is not ----
  await client.create({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "stranger", namespace: dest }, spec: { replicas: 1, selector: { matchLabels: { app: "stranger" } }, template: { metadata: { labels: { app: "stranger" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } } });
  const strangerBefore = await live("stranger");
  const refused = await api("POST", "/api/v1/applications/web/resource/actions/v2", { ...v2("restart"), resourceName: "stranger" });
  assert.equal(refused.status, 400, show(refused));
  assert.match((refused.body as { message: string }).message, /apps\/Deployment .*stranger not found as part of application web/);
  assert.equal((await live("stranger"))?.metadata.generation, strangerBefore?.metadata.generation, "the stranger is untouched");
  assert.equal(restartedAt(await live("stranger")), undefined);
  const rs = await eventually(async () => {
    const items = (await client.list("apps/v1", "ReplicaSet", { namespace: dest, labelSelector: "app=web" })).items;
    assert.ok(items[0], "the Deployment's ReplicaSet");
    return items[0];
  }, { timeoutMs: 30_000 });
  const child = await api("GET", `/api/v1/applications/web/resource/actions?${rid(rs.metadata.name ?? "", "ReplicaSet")}`);
  assert.equal(child.status, 200, `a descendant of a managed resource is the app's: ${show(child)}`);

  // ---- the CLI, through the server and with --core ----
  const dir = await mkdtemp(join(tmpdir(), "hawser-actions-e2e-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hawser = (...args: string[]): Promise<CliRun> => new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", "app", "actions", ...args], { cwd: root, encoding: "utf8", maxBuffer: 16 << 20, env: { ...process.env, HAWSER_CONFIG: join(dir, "config"), HAWSER_AUTH_TOKEN: "", ARGOCD_AUTH_TOKEN: "" } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
  });
  const viaServer = (token: string): string[] => ["--server", base.replace(/^http:\/\//, ""), "--plaintext", "--auth-token", token];
  const core = ["--core", "--kubeconfig", w.cluster.kubeconfigPath, "--control-namespace", ns];
  const webPods = async (): Promise<Array<{ name: string; phase: string; deleting: boolean; annotations: Record<string, string> }>> =>
    (await client.list("v1", "Pod", { namespace: dest, labelSelector: "app=web" })).items.map((p) => ({
      name: p.metadata.name ?? "", phase: String((p as { status?: { phase?: string } }).status?.phase ?? ""),
      deleting: !!p.metadata.deletionTimestamp, annotations: p.metadata.annotations ?? {},
    }));
  const resetStamp = async (): Promise<void> => {
    await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: dest }, { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: "2000-01-01T00:00:00Z" } } } } });
  };

  for (const [how, flags] of [["server", viaServer(admin)], ["--core", core]] as const) {
    const list = await hawser("list", "web", "--kind", "Deployment", "--group", "apps", "--resource-name", "web", ...flags);
    assert.equal(list.code, 0, `${how}: ${showRun(list)}`);
    assert.match(list.stdout, /^NAME\s+DISABLED\nexplode\s+false\npause\s+false\nrestart\s+false\nresume\s+true\nscale-to\s+false\n$/, `${how}: ${showRun(list)}`);
    await resetStamp();
    const podsBefore = await eventually(async () => {
      const pods = (await webPods()).filter((p) => !p.deleting);
      assert.ok(pods.length > 0 && pods.every((p) => p.annotations[RESTARTED_AT] === "2000-01-01T00:00:00Z" && p.phase === "Running"), `${how}: the reset rolled out: ${JSON.stringify(pods)}`);
      return pods;
    }, { timeoutMs: 60_000 });
    // Issue 15's command as written: without --group or --namespace the app's own resource of
    // that kind and name is meant (apps/Deployment in the app's namespace).
    const run = await hawser("run", "web", "restart", "--kind", "Deployment", "--resource-name", "web", ...flags);
    assert.equal(run.code, 0, `${how}: ${showRun(run)}`);
    assert.equal(run.stdout, `action restart ran on apps/Deployment ${dest}/web\n`);
    const stampedNow = restartedAt(await live());
    assert.ok(stampedNow && stampedNow !== "2000-01-01T00:00:00Z", `${how}: restart stamped a new restartedAt`);
    // The pods are restarted: new Running pods carry the new stamp; the old ones are gone or going.
    await eventually(async () => {
      const pods = await webPods();
      const fresh = pods.filter((p) => p.annotations[RESTARTED_AT] === stampedNow && p.phase === "Running" && !p.deleting);
      assert.ok(fresh.length > 0, `${how}: a new Running pod with restartedAt ${stampedNow}: ${JSON.stringify(pods)}`);
      assert.ok(fresh.every((p) => !podsBefore.some((b) => b.name === p.name)), `${how}: new pods, not the old ones`);
      assert.ok(pods.filter((p) => podsBefore.some((b) => b.name === p.name)).every((p) => p.deleting), `${how}: every old pod is gone or being deleted: ${JSON.stringify(pods)}`);
    }, { timeoutMs: 90_000 });
    const outside = await hawser("run", "web", "restart", "--kind", "Deployment", "--group", "apps", "--resource-name", "stranger", "--namespace", dest, ...flags);
    assert.equal(outside.code, 2, `${how}: ${showRun(outside)}`);
    assert.match(outside.stderr, /not found as part of application web/, `${how}: ${showRun(outside)}`);
    const failing = await hawser("run", "web", "explode", "--kind", "Deployment", "--group", "apps", "--resource-name", "web", ...flags);
    assert.equal(failing.code, 2, `${how}: ${showRun(failing)}`);
    assert.match(failing.stderr, /action "explode" failed \(argocd-cm resource\.customizations\.actions\.apps_Deployment\): explode\/action\.lua:2: /, `${how}: ${showRun(failing)}`);
  }
  await resetStamp();
  const deniedCli = await hawser("run", "web", "restart", "--kind", "Deployment", "--group", "apps", "--resource-name", "web", ...viaServer(limited));
  assert.equal(deniedCli.code, 2, showRun(deniedCli));
  assert.match(deniedCli.stderr, /permission denied/, showRun(deniedCli));
  assert.equal(restartedAt(await live()), "2000-01-01T00:00:00Z", "the denied CLI restart changed nothing");
});
