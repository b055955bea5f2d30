// The demo (README: `bash hack/dev.sh demo`): a local control plane, a git server on loopback
// holding seed 002's repository, the operator, and seed 002's AppProject and two Applications
// with their repoURL pointed at the loopback server. Prints the Applications' status as it
// changes; Ctrl-C stops everything it started.
//   --check        exit 0 once every Application has reached the demo's goal, 1 after --timeout
//   --timeout SEC  how long --check waits (default 180)
//   --keep         leave the cluster running on exit
//   --cluster NAME the local cluster to use (default demo)
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { parseOperatorConfig, type OperatorConfig } from "../operator/config.js";
import { getCluster, startCluster, fromDir, startGitServer } from "../operator/devcluster/index.js";
import { KubeClient, type KubeObject } from "../operator/kube/client.js";
import { installCrds } from "../operator/kube/crd-install.js";
import { loadKubeConfig, startOperator } from "../operator/operator.js";
import { createLogger } from "../operator/runtime/logger.js";
import { startServer } from "../operator/server/server.js";
import { builtinPlugins } from "../plugins/index.js";
import { builtinGenerators } from "../generators/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const seedDir = join(here, "demo", "seed-002");
const args = process.argv.slice(2);
const check = args.includes("--check");
const keep = args.includes("--keep");
const timeoutIdx = args.indexOf("--timeout");
const timeoutMs = (timeoutIdx >= 0 ? Number(args[timeoutIdx + 1]) : 180) * 1000;
const clusterIdx = args.indexOf("--cluster");
const clusterName = clusterIdx >= 0 ? (args[clusterIdx + 1] ?? "demo") : "demo";
const say = (msg: string): void => { process.stdout.write(`[demo] ${msg}\n`); };

interface AppStatus {
  sync?: { status?: string; revision?: string };
  health?: { status?: string };
  conditions?: Array<{ type: string; message: string }>;
  reconciledAt?: string;
}

async function readObjects(file: string): Promise<KubeObject[]> {
  return parseAllDocuments(await readFile(file, "utf8"))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** The demo's goal for an Application; it grows with what the operator can do. */
function reachedGoal(status: AppStatus | undefined): boolean {
  if (!status?.reconciledAt) return false;
  const errors = (status.conditions ?? []).filter((c) => c.type.endsWith("Error"));
  if (errors.length > 0) return false;
  // Once the operator reports sync and health, the goal is Synced and Healthy.
  if (status.sync?.status || status.health?.status) return status.sync?.status === "Synced" && status.health?.status === "Healthy";
  return true;
}

function describe(name: string, status: AppStatus | undefined): string {
  const conds = (status?.conditions ?? []).map((c) => `${c.type}: ${c.message}`).join("; ");
  return [
    name.padEnd(12),
    `sync=${status?.sync?.status ?? "-"}`.padEnd(20),
    `health=${status?.health?.status ?? "-"}`.padEnd(20),
    `revision=${status?.sync?.revision?.slice(0, 8) ?? "-"}`.padEnd(20),
    status?.reconciledAt ? `reconciledAt=${status.reconciledAt}` : "not reconciled yet",
    conds ? `  conditions: ${conds}` : "",
  ].join(" ");
}

async function main(): Promise<number> {
  say(`starting the local control plane (cluster "${clusterName}")`);
  const existing = await getCluster(clusterName);
  const cluster = existing && (await existing.isHealthy()) ? existing : await startCluster({ name: clusterName });
  say(`kubeconfig: ${cluster.kubeconfigPath}`);

  say("starting a git server on loopback with seed 002's repository");
  const git = await startGitServer();
  await git.createRepo("argocd-kustomize-demo", fromDir(join(seedDir, "repo-argocd-kustomize-demo")));
  const repoURL = git.baseUrl("argocd-kustomize-demo");
  say(`repository: ${repoURL}`);

  const config = parseOperatorConfig(["--kubeconfig", cluster.kubeconfigPath, "--metrics-addr", "127.0.0.1:0", "--webhook-addr", "127.0.0.1:0"]) as OperatorConfig;
  const log = createLogger({ level: process.env.HAWSER_LOG_LEVEL === "debug" ? "debug" : "warn", fields: { component: "hawser-operator" } });
  say("starting the operator");
  const operator = await startOperator(config, log);
  say(`operator health and metrics on http://127.0.0.1:${operator.probes.port} (/readyz, /metrics)`);
  if (operator.webhook) say(`git webhooks: POST http://127.0.0.1:${operator.webhook.port}/api/webhook`);

  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  await installCrds(client);

  // The API server, in this process, on loopback (plain HTTP: nothing leaves the machine).
  say("starting the API server");
  const serverLog = createLogger({ level: process.env.HAWSER_LOG_LEVEL === "debug" ? "debug" : "warn", fields: { component: "hawser-server" } });
  const serverOptions = {
    client, namespace: "argocd", address: "127.0.0.1", insecure: true, baseHref: "/", rootPath: "", apiContentTypes: ["application/json"],
    applicationNamespaces: [], applicationSetNamespaces: [], plugins: builtinPlugins(), generators: builtinGenerators(), log: serverLog,
  };
  const server = await startServer({ ...serverOptions, port: Number(process.env.HAWSER_DEMO_PORT ?? 8080) })
    .catch(() => startServer({ ...serverOptions, port: 0 }));
  const objects = [
    ...(await readObjects(join(seedDir, "appproject-demo-proj.yaml"))),
    ...(await readObjects(join(seedDir, "app-demo-dev.yaml"))),
    ...(await readObjects(join(seedDir, "app-demo-prod.yaml"))),
  ];
  for (const obj of objects) {
    if (obj.kind === "Application") {
      const spec = obj.spec as { source: { repoURL: string } };
      spec.source.repoURL = repoURL; // the seed's public URL, served from loopback instead
    }
    await client.apply(obj, { fieldManager: "hawser-demo", force: true });
    say(`applied ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`);
  }

  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say("stopping");
    await server.stop();
    await operator.stop();
    await git.stop();
    client.close();
    if (!keep) await cluster.stop();
  };
  process.once("SIGINT", () => { void shutdown().then(() => process.exit(0)); });
  process.once("SIGTERM", () => { void shutdown().then(() => process.exit(0)); });

  const deadline = Date.now() + timeoutMs;
  let last = "";
  let announced = false;
  for (;;) {
    const lines: string[] = [];
    let done = true;
    for (const name of ["demo-dev", "demo-prod"]) {
      const app = await client.get("argoproj.io/v1alpha1", "Application", name, "argocd");
      const status = app?.status as AppStatus | undefined;
      lines.push(describe(name, status));
      done &&= reachedGoal(status);
    }
    const text = lines.join("\n");
    if (text !== last) {
      process.stdout.write(`${text}\n`);
      last = text;
    }
    if (done && !announced) {
      announced = true;
      await announceServer(client, server.url);
    }
    if (check && done) {
      say("every Application reached the demo's goal");
      await shutdown();
      return 0;
    }
    if (check && Date.now() > deadline) {
      say("timed out waiting for the Applications");
      await shutdown();
      return 1;
    }
    if (done && !check) say("all Applications reconciled; press Ctrl-C to stop");
    await new Promise((r) => setTimeout(r, done && !check ? 30_000 : 1_000));
  }
}

/** Logs in through the API server with the initial admin password and says where and how to use it. */
async function announceServer(client: KubeClient, url: string): Promise<void> {
  const secret = await client.get("v1", "Secret", "argocd-initial-admin-secret", "argocd") as { data?: { password?: string } } | undefined;
  const password = Buffer.from(secret?.data?.password ?? "", "base64").toString();
  const login = await fetch(`${url}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password }) });
  const { token } = (await login.json()) as { token?: string };
  if (!token) throw new Error(`the API server refused the initial admin password (HTTP ${login.status})`);
  const apps = await fetch(`${url}/api/v1/applications`, { headers: { authorization: `Bearer ${token}` } });
  const count = ((await apps.json()) as { items?: unknown[] }).items?.length ?? 0;
  say(`API server: ${url} (logged in as admin through it: ${count} Applications; open it in a browser for the Web UI)`);
  say(`admin password: ${password}   (Secret argocd-initial-admin-secret in namespace argocd)`);
  say(`try: curl -s ${url}/api/v1/session -H 'Content-Type: application/json' -d '{"username":"admin","password":"${password}"}'`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[demo] failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
