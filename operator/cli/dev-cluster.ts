// `hawser dev-cluster up|down|status`: a real local control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kwok) for development and tests; see
// docs/control-plane.md. `up` prints progress on stderr and the kubeconfig path as the last line of
// stdout, so scripts can do KUBECONFIG=$(hawser dev-cluster up | tail -1).
import type { CommandModule } from "../cli.js";
import { COMPONENTS, getCluster, listClusters, startCluster, stopCluster } from "../devcluster/cluster.js";
import { MissingBinaryError } from "../tools/index.js";
import { flagInt, flagValue, FlagError, parseFlags } from "../flags.js";

const USAGE = `usage: hawser dev-cluster <up|down|status> [flags]

  up      [--name NAME] [--nodes N]   start a cluster (default name "hawser", 2 kwok nodes);
                                      prints the kubeconfig path as the last line of stdout
  down    [--name NAME]               stop it and delete its state
  status  [--name NAME]               show components, pids and ports (all clusters without --name)
`;

const DEFAULT_NAME = "hawser";
const err = (line: string): void => {
  process.stderr.write(line + "\n");
};

async function up(args: string[]): Promise<number> {
  const flags = parseFlags(args, { values: ["name", "nodes"] });
  const name = flagValue(flags, "name") ?? DEFAULT_NAME;
  const nodes = flagInt(flags, "nodes", 2);
  const existing = await getCluster(name);
  if (existing && (await existing.processesRunning())) {
    err(`dev cluster "${name}" is already running at ${existing.server}`);
    if (!(await existing.waitReady())) {
      err(`but its apiserver does not answer /readyz; see ${existing.logFile("kube-apiserver")} or run "hawser dev-cluster down --name ${name}"`);
      return 1;
    }
    process.stdout.write(existing.kubeconfigPath + "\n");
    return 0;
  }
  err(`starting dev cluster "${name}" with ${nodes} kwok node(s)`);
  const cluster = await startCluster({ name, nodes, log: (m) => err(`  ${m}`) });
  err(`export KUBECONFIG=${cluster.kubeconfigPath}`);
  process.stdout.write(cluster.kubeconfigPath + "\n");
  return 0;
}

async function down(args: string[]): Promise<number> {
  const flags = parseFlags(args, { values: ["name"] });
  const name = flagValue(flags, "name") ?? DEFAULT_NAME;
  const stopped = await stopCluster(name);
  err(stopped ? `dev cluster "${name}" stopped` : `dev cluster "${name}" is not running`);
  return 0;
}

async function status(args: string[]): Promise<number> {
  const flags = parseFlags(args, { values: ["name"] });
  const only = flagValue(flags, "name");
  const names = only ? [only] : await listClusters();
  if (names.length === 0) {
    process.stdout.write("no dev clusters\n");
    return only ? 1 : 0;
  }
  let allHealthy = true;
  for (const name of names) {
    const cluster = await getCluster(name);
    if (!cluster) {
      process.stdout.write(`${name}: not running\n`);
      allHealthy = false;
      continue;
    }
    const healthy = await cluster.isHealthy();
    allHealthy &&= healthy;
    const lines = [
      `${name}: ${healthy ? "running" : "DEGRADED"}`,
      `  server:     ${cluster.server}`,
      `  kubeconfig: ${cluster.kubeconfigPath}`,
      `  nodes:      ${cluster.nodeNames.join(", ") || "(none)"}`,
    ];
    for (const c of COMPONENTS) {
      const running = await cluster.isComponentRunning(c);
      lines.push(`  ${c.padEnd(24)} ${running ? `pid ${cluster.pid(c) ?? "?"}` : "stopped"}  log ${cluster.logFile(c)}`);
    }
    const p = cluster.ports;
    lines.push(`  ports: apiserver ${p.apiserver}, etcd ${p.etcdClient}/${p.etcdPeer}, controller-manager ${p.controllerManager}, scheduler ${p.scheduler}, kwok ${p.kwok}`);
    process.stdout.write(lines.join("\n") + "\n");
  }
  return allHealthy ? 0 : 1;
}

export const command: CommandModule = {
  summary: "start/stop a local Kubernetes control plane with fake (kwok) nodes",
  async run(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    try {
      switch (sub) {
        case "up":
          return await up(rest);
        case "down":
          return await down(rest);
        case "status":
          return await status(rest);
        case undefined:
        case "help":
        case "--help":
        case "-h":
          process.stdout.write(USAGE);
          return sub === undefined ? 2 : 0;
        default:
          err(`hawser dev-cluster: unknown subcommand "${sub}"\n${USAGE}`);
          return 2;
      }
    } catch (e) {
      if (e instanceof FlagError) {
        err(`hawser dev-cluster ${sub}: ${e.message}`);
        return 2;
      }
      if (e instanceof MissingBinaryError) {
        err(`hawser dev-cluster: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};
