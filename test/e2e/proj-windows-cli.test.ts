// `hawser proj windows list` against the real control plane: the AppProject is stored through the
// CRDs (so only what the apiserver accepts reaches the command, e.g. a schedule the CRD cannot
// judge) and read back by the CLI as a user runs it (a subprocess with --kubeconfig and -n); and
// `hawser app sync` refuses a manual sync that an active deny window without manualSync blocks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { API_VERSION, type Application } from "../../operator/api/index.js";
import { installCrds } from "../../operator/kube/crd-install.js";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Run { code: number; stdout: string; stderr: string }
const show = (r: Run): string => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

test("hawser proj windows list reads an AppProject's sync windows from the cluster", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  await installCrds(client);
  const ns = `hawser-windows-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }); });

  await client.create({
    apiVersion: API_VERSION, kind: "AppProject", metadata: { name: "team-a", namespace: ns },
    spec: {
      sourceRepos: ["*"],
      destinations: [{ server: "*", namespace: "*" }],
      syncWindows: [
        // Every minute for an hour: open at any time the test runs.
        { kind: "deny", schedule: "* * * * *", duration: "1h", applications: ["web-*"], manualSync: true },
        { kind: "allow", schedule: "0 6 * * 1-5", duration: "12h", timeZone: "Europe/Berlin", namespaces: ["prod"], clusters: ["in-cluster"], andOperator: true },
        // The CRD takes any string as a schedule; the command must flag it.
        { kind: "deny", schedule: "@daily", duration: "1h", applications: ["*"] },
      ],
    },
  });
  await client.create({ apiVersion: API_VERSION, kind: "AppProject", metadata: { name: "open", namespace: ns }, spec: { sourceRepos: ["*"] } });

  const cli = (...args: string[]): Promise<Run> => new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", ...args, "--core", "--kubeconfig", cluster.kubeconfigPath, "-n", ns],
      { cwd: root, encoding: "utf8" },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
  });
  const hawser = (...args: string[]): Promise<Run> => cli("proj", "windows", "list", ...args);

  // At a fixed instant: 08:00 CEST on Tuesday 2026-06-02, inside the Berlin allow window.
  const at = await hawser("team-a", "--at", "2026-06-02T06:00:00Z");
  assert.equal(at.code, 0, show(at));
  assert.equal(at.stderr, "", show(at));
  assert.equal(at.stdout, [
    "ID  STATUS   KIND   SCHEDULE     DURATION  APPLICATIONS  NAMESPACES  CLUSTERS    MANUALSYNC  TIMEZONE       USEANDOPERATOR  NEXTCHANGE",
    "0   Active   deny   * * * * *    1h        web-*         -           -           Enabled     UTC            Disabled        -",
    "1   Active   allow  0 6 * * 1-5  12h       -             prod        in-cluster  Disabled    Europe/Berlin  Enabled         2026-06-02T18:00+02:00",
    "2   Invalid  deny   @daily       1h        *             -           -           Disabled    UTC            Disabled        -",
    "",
    "Invalid windows block every sync of the applications they match:",
    'invalid window 2: spec.syncWindows[2].schedule: "@daily": expected exactly 5 fields (minute hour day-of-month month day-of-week), found 1',
    "",
  ].join("\n"), show(at));

  // Now: the always-open window is active whatever the clock says.
  const now = await hawser("team-a");
  assert.equal(now.code, 0, show(now));
  assert.match(now.stdout, /^0\s+Active\s+deny\s+\* \* \* \* \*\s+1h\s+web-\*/m, show(now));

  const open = await hawser("open");
  assert.equal(open.code, 0, show(open));
  assert.equal(open.stdout, "AppProject open has no sync windows\n", show(open));

  const missing = await hawser("nope");
  assert.equal(missing.code, 2, show(missing));
  assert.equal(missing.stdout, "", show(missing));
  assert.equal(missing.stderr, `hawser proj windows list: AppProject ${ns}/nope not found\n`, show(missing));
});

test("hawser app sync is refused while a deny window without manualSync is active", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  await installCrds(client);
  const ns = `hawser-windows-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }); });

  // Both projects deny every app at any time the test runs; only one lets manual syncs through.
  for (const [project, manualSync] of [["frozen", false], ["manual-ok", true]] as const) {
    await client.create({
      apiVersion: API_VERSION, kind: "AppProject", metadata: { name: project, namespace: ns },
      spec: {
        sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }],
        syncWindows: [{ kind: "deny", schedule: "* * * * *", duration: "1h", applications: ["*"], manualSync }],
      },
    });
  }
  for (const [name, project] of [["web", "frozen"], ["api", "manual-ok"]]) {
    await client.create({
      apiVersion: API_VERSION, kind: "Application", metadata: { name, namespace: ns },
      spec: {
        project,
        source: { repoURL: "https://git.example.invalid/repo.git", path: ".", targetRevision: "HEAD" },
        destination: { server: "https://kubernetes.default.svc", namespace: ns },
      },
    });
  }
  const cli = (...args: string[]): Promise<Run> => new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", "app", ...args, "--core", "--kubeconfig", cluster.kubeconfigPath, "-n", ns],
      { cwd: root, encoding: "utf8" },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
  });
  const operation = async (name: string): Promise<Application["operation"]> => (await client.get<Application>(API_VERSION, "Application", name, ns))?.operation;

  const refused = await cli("sync", "web", "--async");
  assert.equal(refused.code, 2, show(refused));
  assert.match(refused.stderr, /^hawser app sync: application web: cannot sync: manual sync is blocked by deny window 0 \(schedule "\* \* \* \* \*", duration 1h, timeZone UTC\)/, show(refused));
  assert.equal(await operation("web"), undefined, "no operation was requested");

  const passed = await cli("sync", "api", "--async");
  assert.equal(passed.code, 0, show(passed));
  assert.equal(passed.stdout, "application api: sync requested\n", show(passed));
  assert.ok((await operation("api"))?.sync, "the sync operation was requested");
});
