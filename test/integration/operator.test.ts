// The operator process against a real control plane: start-up (CRDs, modules, probes, metrics),
// the Application loop writing status, no writes when nothing changed, graceful shutdown, and
// leader election handing over when the leader is killed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import { readFileSync, readdirSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startOperatorProcess } from "../support/operator-process.js";
import { startGitServer } from "../support/git-server.js";

const API = "argoproj.io/v1alpha1";

let repoURL = "https://git.example.com/org/repo.git";

/** Command lines of a process's live children (from /proc; [] once it has exited). */
function childCommands(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/).filter(Boolean))
      .map((child) => { try { return readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").join(" ").trim(); } catch { return ""; } })
      .filter(Boolean);
  } catch {
    return [];
  }
}

function application(name: string, namespace: string, project?: string): KubeObject {
  return {
    apiVersion: API,
    kind: "Application",
    metadata: { name, namespace },
    spec: {
      ...(project ? { project } : {}),
      source: { repoURL, path: "guestbook", targetRevision: "HEAD" },
      destination: { server: "https://kubernetes.default.svc", namespace: "guestbook" },
    },
  };
}

/** GET on a fresh connection (no keep-alive pool), with a timeout, so a stale pooled socket can never stall a poll. */
function getText(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { text += c; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
  });
}

async function metric(probe: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { text } = await getText(`${probe}/metrics`);
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? "").includes(`${k}="${v}"`))) total += Number(m[3]);
  }
  return total;
}

test("the operator starts, installs CRDs, loads modules, reports ready, and writes Application status", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `hawser-op-${randomBytes(3).toString("hex")}`;
  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("guestbook", { "guestbook/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook-settings\ndata:\n  color: blue\n" });
  repoURL = git.baseUrl("guestbook");

  const pluginDir = await mkdtemp(join(tmpdir(), "hawser-plugins-"));
  await writeFile(join(pluginDir, "good.mjs"), `export default { name: "good", discover: async () => false, generate: async () => ({ manifests: [] }) };`);
  await writeFile(join(pluginDir, "syntax-error.mjs"), `export default { name: "bad", discover() {}, generate() { return {{ } }`);
  await writeFile(join(pluginDir, "no-generate.mjs"), `export default { name: "half", discover: async () => true };`);
  // Argo's ConfigManagementPlugin YAML in the same directory: the operator runs it in-process.
  await writeFile(join(pluginDir, "cmp-echo.yaml"), [
    "apiVersion: argoproj.io/v1alpha1", "kind: ConfigManagementPlugin", "metadata: {name: cmp-echo}",
    "spec:", "  generate:", "    command: [sh, -c]",
    "    args: ['printf \"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-cmp-%s\\n\" \"$ARGOCD_APP_NAME\"']", "",
  ].join("\n"));

  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--plugin-dir", pluginDir, "--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });

  // Broken modules are reported by file at start-up; the good one loads.
  const rejected = await op.waitForLog((l) => l.msg === "plugin module rejected" && String(l.source).endsWith("syntax-error.mjs"));
  assert.match(JSON.stringify(rejected.errors), /failed to load/);
  const half = await op.waitForLog((l) => l.msg === "plugin module rejected" && String(l.source).endsWith("no-generate.mjs"));
  assert.match(JSON.stringify(half.errors), /missing a `generate/);
  const ready = await op.waitForLog((l) => l.msg === "modules ready");
  const loaded = ready.plugins as string[];
  assert.ok(loaded.includes("good") && loaded.includes("directory") && loaded.includes("cmp-echo"), `loaded: ${loaded.join(", ")}`);
  assert.ok(!loaded.includes("half") && !loaded.includes("bad"), "rejected modules are not registered");

  // Ready once the CRDs are installed, the lease is held and the caches are synced.
  const probe = await op.probeUrl();
  assert.equal((await getText(`${probe}/healthz`)).status, 200);
  await eventually(async () => assert.equal((await getText(`${probe}/readyz`)).status, 200), { timeoutMs: 60_000 });
  const crd = await client.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "applications.argoproj.io");
  assert.ok(crd, "the Application CRD is installed");
  assert.ok(await client.get(API, "AppProject", "default", ns), "the default project exists");

  // A valid Application is compared with git: without automated sync it stays OutOfSync and
  // its one resource is Missing; no conditions.
  await client.create(application("good", ns));
  const good = await eventually(async () => {
    const app = await client.get(API, "Application", "good", ns);
    const status = app?.status as { reconciledAt?: string; controllerNamespace?: string; conditions?: unknown[]; sync?: { status?: string; revision?: string }; resources?: Array<{ kind: string; name: string; status: string; health?: { status: string } }> } | undefined;
    assert.ok(status?.reconciledAt, "reconciledAt is written");
    assert.equal(status?.sync?.status, "OutOfSync");
    return status;
  }, { timeoutMs: 30_000 });
  assert.equal(good.controllerNamespace, ns);
  assert.equal(good.conditions, undefined);
  assert.equal(good.sync?.revision, await git.revParse("guestbook", "main"));
  assert.deepEqual(good.resources?.map((r) => [r.kind, r.name, r.status, r.health?.status]), [["ConfigMap", "guestbook-settings", "OutOfSync", undefined]]);

  // An Application naming the YAML plugin is rendered by it.
  const viaCmp = application("via-cmp", ns);
  (viaCmp.spec as { source: Record<string, unknown> }).source.plugin = { name: "cmp-echo" };
  await client.create(viaCmp);
  await eventually(async () => {
    const a = await client.get(API, "Application", "via-cmp", ns);
    const resources = (a?.status as { resources?: Array<{ kind: string; name: string }> } | undefined)?.resources ?? [];
    assert.deepEqual(resources.map((r) => `${r.kind}/${r.name}`), ["ConfigMap/from-cmp-via-cmp"]);
  }, { timeoutMs: 30_000 });

  // A missing project is an InvalidSpecError condition and a Warning event; creating the
  // project clears it (project changes requeue their apps).
  await client.create(application("orphan", ns, "team-x"));
  await eventually(async () => {
    const app = await client.get(API, "Application", "orphan", ns);
    const conditions = (app?.status as { conditions?: Array<{ type: string; message: string }> } | undefined)?.conditions ?? [];
    assert.deepEqual(conditions.map((c) => [c.type, c.message]), [["InvalidSpecError", "Application referencing project team-x which does not exist"]]);
  }, { timeoutMs: 30_000 });
  await eventually(async () => {
    const events = await client.list("v1", "Event", { namespace: ns, fieldSelector: "involvedObject.name=orphan" });
    assert.ok(events.items.some((e) => e.reason === "InvalidSpecError" && e.type === "Warning"), "a Warning event InvalidSpecError exists");
  }, { timeoutMs: 30_000 });
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "team-x", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  await eventually(async () => {
    const app = await client.get(API, "Application", "orphan", ns);
    assert.equal((app?.status as { conditions?: unknown[] }).conditions, undefined);
  }, { timeoutMs: 30_000 });

  // Metrics are exposed; nothing changed means no write: a label edit triggers a reconcile that
  // finds the status unchanged and sends no PATCH.
  assert.ok((await metric(probe, "controller_runtime_reconcile_total", { controller: "application-refresh" })) >= 3, "(await metric(probe, \"controller_runtime_reconcile_total\", { controller: \"application-refresh\" })...");
  assert.equal(await metric(probe, "hawser_leader"), 1);
  const reconcilesBefore = await metric(probe, "controller_runtime_reconcile_total", { controller: "application-refresh" });
  // The cluster info publisher's writes (a cluster's connection state, on its own 10 s cycle) are not the reconcile's.
  const appPatches = async (): Promise<number> => (await metric(probe, "hawser_kube_requests_total", { verb: "PATCH" })) - (await metric(probe, "hawser_cluster_info_writes_total", { verb: "apply" }));
  const patchesBefore = await appPatches();
  await client.patch({ apiVersion: API, kind: "Application", name: "good", namespace: ns }, { metadata: { labels: { touched: "yes" } } });
  await eventually(async () => {
    assert.ok((await metric(probe, "controller_runtime_reconcile_total", { controller: "application-refresh" })) > reconcilesBefore, "the label edit caused a reconcile");
  }, { timeoutMs: 30_000 });
  assert.equal(await appPatches(), patchesBefore, "a no-op reconcile writes nothing");

  // Git webhooks: with seed 000's argocd-secret, an unsigned push is rejected and a signed push
  // for the app's repository refreshes it.
  await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "argocd-secret", namespace: ns }, stringData: { "webhook.github.secret": "argocd-webhook-secret" } });
  const hookLine = await op.waitForLog((l) => l.msg === "serving git webhooks");
  const hookUrl = `http://${String(hookLine.address)}/api/webhook`;
  const push = JSON.stringify({ ref: "refs/heads/main", repository: { clone_url: repoURL, default_branch: "main" }, commits: [] });
  await eventually(async () => {
    const unsigned = await fetch(hookUrl, { method: "POST", headers: { "X-GitHub-Event": "push", "Content-Type": "application/json" }, body: push });
    assert.equal(unsigned.status, 401, "the secret has reached the operator's cache");
  }, { timeoutMs: 10_000 });
  const before = await metric(probe, "controller_runtime_reconcile_total", { controller: "application-refresh" });
  const signature = `sha256=${createHmac("sha256", "argocd-webhook-secret").update(push).digest("hex")}`;
  const signed = await fetch(hookUrl, { method: "POST", headers: { "X-GitHub-Event": "push", "X-Hub-Signature-256": signature, "Content-Type": "application/json" }, body: push });
  assert.equal(signed.status, 200);
  await op.waitForLog((l) => l.msg === "webhook push: refreshing applications" && l.applications === 3);
  await eventually(async () => {
    const n = await metric(probe, "controller_runtime_reconcile_total", { controller: "application-refresh" });
    assert.ok(n > before, `reconciles ${n}, before the push ${before}`);
  }, { timeoutMs: 10_000 });

  // SIGTERM drains and exits 0, releasing the lease for the next leader. Nothing it started
  // outlives the shutdown (an idle `git cat-file --batch` used to hold the process ~30 s after
  // "stopped"), and its start-up left no listener warning.
  const pid = op.proc.pid!;
  if (process.env.HAWSER_TEST_VERBOSE) process.stderr.write(`children before SIGTERM: ${childCommands(pid).join(" | ")}\n`);
  const exited = op.stop("SIGTERM");
  await op.waitForLog((l) => l.msg === "stopped");
  await eventually(() => {
    assert.deepEqual(childCommands(pid).filter((c) => c.startsWith("git")), [], "no git child left once stopped");
  }, { timeoutMs: 5_000 });
  assert.equal(await exited, 0);
  assert.ok(!op.logs.some((l) => String(l.msg).includes("MaxListenersExceededWarning")), "no MaxListenersExceededWarning");
  const lease = await client.get("coordination.k8s.io/v1", "Lease", "hawser-controller", ns);
  assert.equal((lease?.spec as { holderIdentity?: string }).holderIdentity, "");
});

test("leader election hands over when the leader process is killed", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `hawser-le-${randomBytes(3).toString("hex")}`;
  const fast = ["--lease-duration", "4", "--renew-deadline", "3", "--retry-period", "1", "--app-resync", "0"];

  const first = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: fast });
  t.after(async () => { await first.stop("SIGKILL"); });
  await first.waitForLog((l) => l.msg === "became leader");

  const second = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: fast });
  t.after(async () => { await second.stop("SIGKILL"); });
  const waiting = await second.waitForLog((l) => l.msg === "waiting for the leader lease");
  const secondIdentity = String(waiting.identity);
  // While the first holds the lease, the second does not lead: it is ready but runs no controllers.
  const probe2 = await second.probeUrl();
  await eventually(async () => assert.equal((await getText(`${probe2}/readyz`)).status, 200), { timeoutMs: 30_000 });
  assert.equal(second.logs.some((l) => l.msg === "became leader"), false);
  assert.equal(await metric(probe2, "hawser_leader"), 0);

  await first.stop("SIGKILL");
  await second.waitForLog((l) => l.msg === "became leader", 60_000);
  const lease = await client.get("coordination.k8s.io/v1", "Lease", "hawser-controller", ns);
  const spec = lease?.spec as { holderIdentity?: string; leaseTransitions?: number };
  assert.equal(spec.holderIdentity, secondIdentity);
  assert.ok((spec.leaseTransitions ?? 0) >= 1, "(spec.leaseTransitions ?? 0) >= 1");

  // The new leader runs the controllers: an Application created now is reconciled.
  await client.create(application("after-handover", ns));
  await eventually(async () => {
    const app = await client.get(API, "Application", "after-handover", ns);
    assert.ok((app?.status as { reconciledAt?: string } | undefined)?.reconciledAt, "reconciled after the handover");
  }, { timeoutMs: 30_000 });
});
