// A real, local Kubernetes control plane without Docker: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods "run"), each a detached host
// process bound to 127.0.0.1 on ports picked at start, so several clusters can run side by side.
//
// State lives in <baseDir>/<name>/ (default ~/.cache/hawser/clusters/<name>/):
//   kubeconfig          admin kubeconfig (credentials embedded), also used by the components
//   state.json          ports, pids, and each component's full command line (for restarts)
//   pki/                CA, apiserver serving cert, admin client cert, service-account key pair
//   logs/<component>.log
//   kwok-stages.yaml    kwok Stage config (see kwok-stages.ts)
//   kwok-pod.log, kwok-follow.log   the container logs kwok serves (KWOK_POD_LOG; KWOK_FOLLOW_CONTAINER's)
// etcd's data directory is on /dev/shm when possible: Debian's etcd 3.4 has no --unsafe-no-fsync, and
// fsyncs on a disk make every write (and so every test) slow.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rename, rm, statfs, writeFile } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { loadCredentials, probe, rawRequest, type ApiCredentials } from "./api.js";
import { cacheDir, versions } from "../tools/index.js";
import { resolveControlPlaneBinaries, type ControlPlaneBinaries } from "./binaries.js";
import { KWOK_FOLLOW_LOG_FILE, KWOK_POD_LOG, KWOK_STAGES_YAML, kwokExecConfig, kwokLogsConfig } from "./kwok-stages.js";
import { generatePki, pkiPaths, type Pki } from "./pki.js";
import { findProcesses, freePort, isRunning, sleep, spawnDetached, terminate } from "./process.js";
import { errorMessage } from "../util/index.js";

export const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export interface ClusterPorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

export interface ComponentState {
  binary: string;
  args: string[];
  env: Record<string, string>;
  logFile: string;
  /** URL that answers 200 when the component is healthy. */
  healthUrl: string;
  /** Present while the component runs. */
  pid?: number;
}

export interface ClusterState {
  formatVersion: 1;
  name: string;
  stateDir: string;
  etcdDataDir: string;
  /** kwok's exec working directory (ClusterExec), under the system temp dir; absent in older states. */
  execDir?: string;
  kubeconfigPath: string;
  server: string;
  nodes: string[];
  ports: ClusterPorts;
  kubernetesVersion: string;
  kwokVersion: string;
  createdAt: string;
  components: Record<ComponentName, ComponentState>;
}

export interface StartClusterOptions {
  name: string;
  /** Parent of the cluster's state directory. Default: ~/.cache/hawser/clusters (or $HAWSER_CACHE/clusters). */
  baseDir?: string;
  /** Number of kwok nodes. Default 2. */
  nodes?: number;
  /**
   * When set, a small detached watchdog stops and deletes the cluster once this pid has exited, even
   * if that process was SIGKILLed (test processes that time out). Use process.pid for test clusters.
   */
  stopWithProcess?: number;
  /** Extra flags per component, appended after ours (later flags win in Go's flag parsing). */
  extraArgs?: Partial<Record<ComponentName, string[]>>;
  /** Progress messages (the CLI prints them to stderr). */
  log?: (message: string) => void;
}

export class ClusterExistsError extends Error {
  constructor(readonly clusterName: string, readonly kubeconfigPath: string) {
    super(`dev cluster "${clusterName}" is already running (kubeconfig: ${kubeconfigPath})`);
    this.name = "ClusterExistsError";
  }
}

export function clustersDir(baseDir?: string): string {
  return baseDir ?? join(cacheDir(), "clusters");
}

function validateName(name: string): void {
  // The name becomes a directory and part of kubeconfig names; keep it to DNS-label-ish characters.
  if (!/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/.test(name)) {
    throw new Error(`invalid cluster name "${name}": use lowercase letters, digits, ".", "_" and "-"`);
  }
}

const statePath = (stateDir: string): string => join(stateDir, "state.json");

async function readState(stateDir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(statePath(stateDir), "utf8")) as ClusterState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

let writeSeq = 0;
// Writes per state file, chained. Components start concurrently and each records its pid; unchained
// writes could finish out of order and leave an older snapshot (missing pids) on disk.
const writeChains = new Map<string, Promise<void>>();

function writeState(state: ClusterState): Promise<void> {
  const file = statePath(state.stateDir);
  const prev = writeChains.get(file) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(async () => {
    // Serialised when the write runs, not when it was requested, so the newest state always wins.
    // Write-then-rename so a concurrent reader (status, the watchdog) never sees a torn file.
    const tmp = `${file}.${process.pid}.${++writeSeq}.tmp`;
    await writeFile(tmp, JSON.stringify(state, null, 2) + "\n");
    await rename(tmp, file);
  });
  writeChains.set(file, next);
  void next.finally(() => {
    if (writeChains.get(file) === next) writeChains.delete(file);
  }).catch(() => undefined);
  return next;
}

async function tail(file: string, lines = 25): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** /dev/shm when it exists and has room for etcd's preallocated WAL files; otherwise undefined. */
async function tmpfsRoot(): Promise<string | undefined> {
  try {
    const st = await statfs("/dev/shm");
    return st.bavail * st.bsize >= 512 * 1024 * 1024 ? "/dev/shm" : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The address the apiserver publishes in the `kubernetes` Service. With --bind-address=127.0.0.1 it
 * would otherwise guess one from the default route and refuse to start on hosts without one; and a
 * loopback address is rejected by Endpoints validation, so in that case the reconciler is turned off.
 */
function advertiseArgs(): string[] {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === "IPv4" && !a.internal) return [`--advertise-address=${a.address}`];
    }
  }
  return ["--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none"];
}

interface Layout {
  stateDir: string;
  etcdDataDir: string;
  kubeconfigPath: string;
  pki: Pki;
  stagesPath: string;
  /** kwok's ClusterLogs config and the container log it serves for every pod (see KWOK_POD_LOG). */
  logsConfigPath: string;
  podLogPath: string;
  /** The log of containers named KWOK_FOLLOW_CONTAINER, empty at start (tests append to it). */
  followLogPath: string;
  /** kwok's ClusterExec config (see kwokExecConfig). */
  execConfigPath: string;
}

function componentSpecs(
  bins: ControlPlaneBinaries,
  layout: Layout,
  ports: ClusterPorts,
  extra: Partial<Record<ComponentName, string[]>>,
): Record<ComponentName, ComponentState> {
  const { stateDir, pki, kubeconfigPath } = layout;
  const log = (c: ComponentName): string => join(stateDir, "logs", `${c}.log`);
  const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  const kubeconfigs = [
    `--kubeconfig=${kubeconfigPath}`,
    // Delegated authn/authz for the component's own health/metrics port (as kubeadm sets them up).
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
  ];
  return {
    etcd: {
      binary: bins.etcd,
      args: [
        "--name=default",
        `--data-dir=${layout.etcdDataDir}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        "--initial-cluster-state=new",
        "--logger=zap",
        "--log-outputs=stderr",
        ...(extra.etcd ?? []),
      ],
      env: {},
      logFile: log("etcd"),
      healthUrl: `${etcdUrl}/health`,
    },
    "kube-apiserver": {
      binary: bins.kubeApiserver,
      args: [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${ports.apiserver}`,
        ...advertiseArgs(),
        `--cert-dir=${pki.dir}`,
        `--tls-cert-file=${pki.apiserverCert}`,
        `--tls-private-key-file=${pki.apiserverKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
        `--proxy-client-key-file=${pki.frontProxyClientKey}`,
        "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        "--allow-privileged=true",
        "--profiling=false",
        // Without these, SIGTERM with watch clients connected waits out the 60 s HTTP shutdown
        // timeout (= --request-timeout). With them, in-flight requests drain, late ones get 429 +
        // Retry-After, watches are ended, and the process exits in ~2 s.
        "--shutdown-send-retry-after=true",
        "--shutdown-watch-termination-grace-period=2s",
        // Debian's etcd 3.4.23 predates the progress-notify fix (3.4.31), so the apiserver turns off
        // RequestWatchProgress. With WatchList still on it then *accepts* streaming watch-list
        // requests (sendInitialEvents=true) and ends each at once with an in-stream error, which
        // client-go >= 1.35 informers (kwok's) do not fall back from: they only saw changes on
        // backed-off re-lists, so pods took 10-60 s to start. With WatchList off the request is
        // rejected up front (422) and client-go falls back to a plain LIST+WATCH. Drop this flag
        // with etcd >= 3.4.31 / 3.5.13.
        "--feature-gates=WatchList=false",
        // Pod logs and exec go to the node's kubelet: kwok's server on 127.0.0.1 (the nodes'
        // InternalIP), never the node name, which no resolver knows.
        "--kubelet-preferred-address-types=InternalIP",
        ...(extra["kube-apiserver"] ?? []),
      ],
      env: {},
      logFile: log("kube-apiserver"),
      healthUrl: `https://127.0.0.1:${ports.apiserver}/readyz`,
    },
    "kube-controller-manager": {
      binary: bins.kubeControllerManager,
      args: [
        ...kubeconfigs,
        "--leader-elect=false",
        // Every default-on controller: GC, namespace deletion, deployment/replicaset, job,
        // serviceaccount + token, root-ca publisher, node lifecycle, endpoints, ...
        "--controllers=*",
        `--service-account-private-key-file=${pki.saKey}`,
        `--root-ca-file=${pki.caCert}`,
        // Lets the CSR signer work too (certificates.k8s.io), with the cluster CA.
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${ports.controllerManager}`,
        `--cert-dir=${join(stateDir, "kube-controller-manager")}`,
        // The defaults (20/30) make GC and namespace deletion crawl when tests churn objects.
        "--kube-api-qps=200",
        "--kube-api-burst=400",
        ...(extra["kube-controller-manager"] ?? []),
      ],
      env: {},
      logFile: log("kube-controller-manager"),
      healthUrl: `https://127.0.0.1:${ports.controllerManager}/healthz`,
    },
    "kube-scheduler": {
      binary: bins.kubeScheduler,
      args: [
        ...kubeconfigs,
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${ports.scheduler}`,
        `--cert-dir=${join(stateDir, "kube-scheduler")}`,
        ...(extra["kube-scheduler"] ?? []),
      ],
      env: {},
      logFile: log("kube-scheduler"),
      healthUrl: `https://127.0.0.1:${ports.scheduler}/healthz`,
    },
    kwok: {
      binary: bins.kwok,
      args: [
        `--kubeconfig=${kubeconfigPath}`,
        "--manage-all-nodes=true",
        `--config=${layout.stagesPath}`,
        `--config=${layout.logsConfigPath}`,
        `--config=${layout.execConfigPath}`,
        // Serves /healthz and kwok's kubelet API (pod logs) on loopback; without it kwok has no port
        // at all. Each node advertises it as its kubelet (InternalIP and daemonEndpoints), and it
        // speaks TLS as a kubelet must for the apiserver; the apiserver's serving certificate (for
        // 127.0.0.1) will do, since the apiserver does not verify kubelets without
        // --kubelet-certificate-authority.
        `--server-address=127.0.0.1:${ports.kwok}`,
        "--node-ip=127.0.0.1",
        `--node-port=${ports.kwok}`,
        `--tls-cert-file=${pki.apiserverCert}`,
        `--tls-private-key-file=${pki.apiserverKey}`,
        // kwok renews each node's Lease, which is what keeps the node-lifecycle controller from
        // marking the fake nodes NotReady.
        "--node-lease-duration-seconds=40",
        // Pod IPs; the default /24 runs out after 254 pods.
        "--cidr=10.244.0.1/16",
        ...(extra.kwok ?? []),
      ],
      env: {
        // kwok otherwise also loads ~/.kwok/kwok.yaml, which would make clusters depend on the user's home.
        KWOK_WORKDIR: join(stateDir, "kwok"),
      },
      logFile: log("kwok"),
      healthUrl: `https://127.0.0.1:${ports.kwok}/healthz`,
    },
  };
}

function kubeconfigYaml(name: string, server: string, ca: Buffer, cert: Buffer, key: Buffer): string {
  const ctx = `hawser-${name}`;
  const b64 = (b: Buffer): string => b.toString("base64");
  // Credentials are embedded so the file stays valid when copied elsewhere.
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${ctx}`,
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(ca)}`,
    "users:",
    `- name: ${ctx}-admin`,
    "  user:",
    `    client-certificate-data: ${b64(cert)}`,
    `    client-key-data: ${b64(key)}`,
    "contexts:",
    `- name: ${ctx}`,
    "  context:",
    `    cluster: ${ctx}`,
    `    user: ${ctx}-admin`,
    `current-context: ${ctx}`,
    "",
  ].join("\n");
}

interface HealthOptions {
  creds: ApiCredentials;
  timeoutMs: number;
}

/** Waits until the component's health URL answers 200; fails early, with its log, if it exits. */
async function waitHealthy(name: ComponentName, c: ComponentState, opts: HealthOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const insecure = name === "kube-controller-manager" || name === "kube-scheduler" || name === "kwok";
  let delay = 50;
  for (;;) {
    if (await probe(c.healthUrl, name === "kube-apiserver" ? { creds: opts.creds } : { insecure })) return;
    if (!(await isRunning(c.pid, c.binary))) {
      throw new ComponentExitedError(name, c.logFile, await tail(c.logFile));
    }
    if (Date.now() > deadline) {
      throw new Error(`${name} not healthy at ${c.healthUrl} after ${opts.timeoutMs} ms; log ${c.logFile}:\n${await tail(c.logFile)}`);
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 500);
  }
}

class ComponentExitedError extends Error {
  constructor(readonly component: ComponentName, readonly logFile: string, readonly logTail: string) {
    super(`${component} exited during start-up; log ${logFile}:\n${logTail}`);
  }
  get portInUse(): boolean {
    return /address already in use/i.test(this.logTail);
  }
}

const HEALTH_TIMEOUT_MS: Record<ComponentName, number> = {
  etcd: 30_000,
  // Slow when several clusters start at once on a two-core machine.
  "kube-apiserver": 120_000,
  "kube-controller-manager": 60_000,
  "kube-scheduler": 60_000,
  kwok: 60_000,
};

/** Which ports each component binds, so a lost port race re-picks only those. */
const COMPONENT_PORTS: Record<ComponentName, (keyof ClusterPorts)[]> = {
  etcd: ["etcdClient", "etcdPeer"],
  "kube-apiserver": ["apiserver"],
  "kube-controller-manager": ["controllerManager"],
  "kube-scheduler": ["scheduler"],
  kwok: ["kwok"],
};

function kwokNode(name: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "node-role.kubernetes.io/agent": "",
        type: "kwok",
      },
    },
    // No kwok.x-k8s.io/node:NoSchedule taint (kwok's docs add one to keep real pods off fake nodes in
    // a real cluster). Here every node is fake, and the manifests under test carry no toleration.
    spec: {},
  };
}

interface NodeStatusView {
  metadata?: { name?: string };
  spec?: { taints?: { key?: string; effect?: string }[] };
  status?: { conditions?: { type?: string; status?: string }[] };
}

function nodeSchedulable(n: NodeStatusView): boolean {
  const ready = n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  // The TaintNodesByCondition admission plugin adds not-ready:NoSchedule at creation; the
  // node-lifecycle controller removes it once kwok marks the node Ready.
  const tainted = n.spec?.taints?.some((t) => t.key === "node.kubernetes.io/not-ready" || t.key === "node.kubernetes.io/unreachable") ?? false;
  return ready && !tainted;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(delay);
    delay = Math.min(delay * 1.5, 500);
  }
}

// The watchdog is plain JavaScript run with `node -e`, so it needs neither tsx nor a build. It polls
// the owner pid; when that is gone it stops the cluster's processes (by pid, after the same
// /proc cmdline check as process.ts) and deletes its directories. It exits on its own once the state
// file disappears (a normal stopCluster).
/** @internal exported for tests */
export const WATCHDOG_SOURCE = `
const fs = require("fs");
const [owner, stateFile] = [Number(process.argv[1]), process.argv[2]];
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; } };
const runs = (pid, bin) => { try {
  const st = fs.readFileSync("/proc/" + pid + "/stat", "utf8"); const s = st[st.lastIndexOf(")") + 2];
  return s !== "Z" && s !== "X" && fs.readFileSync("/proc/" + pid + "/cmdline", "utf8").split("\\0")[0] === bin;
} catch { return false; } };
const tick = () => {
  if (!fs.existsSync(stateFile)) process.exit(0);
  if (alive(owner)) return;
  let state; try { state = JSON.parse(fs.readFileSync(stateFile, "utf8")); } catch { process.exit(0); }
  const procs = Object.values(state.components).filter((c) => c.pid && runs(c.pid, c.binary)).map((c) => ({ pid: c.pid, binary: c.binary }));
  // Untracked processes of this cluster too (same rule as findProcesses in process.ts).
  const markers = [state.stateDir + "/", state.etcdDataDir + "/"];
  const binaries = new Set(Object.values(state.components).map((c) => c.binary));
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\\d+$/.test(e) || procs.some((p) => p.pid === Number(e))) continue;
    try {
      const argv = fs.readFileSync("/proc/" + e + "/cmdline", "utf8").split("\\0");
      if (binaries.has(argv[0]) && argv.slice(1).some((a) => markers.some((m) => a.includes(m)))) procs.push({ pid: Number(e), binary: argv[0] });
    } catch {}
  }
  // etcd last, as in stopProcesses: an apiserver that loses etcd first is slow to exit.
  const etcd = state.components.etcd ? state.components.etcd.binary : "";
  const phases = [procs.filter((c) => c.binary !== etcd), procs.filter((c) => c.binary === etcd)];
  const rmAll = () => {
    fs.rmSync(state.etcdDataDir, { recursive: true, force: true });
    if (state.execDir) fs.rmSync(state.execDir, { recursive: true, force: true });
    fs.rmSync(state.stateDir, { recursive: true, force: true });
    process.exit(0);
  };
  const phase = (i) => {
    if (i >= phases.length) return setTimeout(rmAll, 200);
    for (const c of phases[i]) { try { process.kill(c.pid, "SIGTERM"); } catch {} }
    const started = Date.now();
    const wait = () => {
      const left = phases[i].filter((c) => runs(c.pid, c.binary));
      if (left.length > 0 && Date.now() - started < 10000) return setTimeout(wait, 100);
      for (const c of left) { try { process.kill(c.pid, "SIGKILL"); } catch {} }
      phase(i + 1);
    };
    wait();
  };
  clearInterval(timer); phase(0);
};
const timer = setInterval(tick, 500);
`;

function startWatchdog(owner: number, stateFile: string): void {
  const child = spawn(process.execPath, ["-e", WATCHDOG_SOURCE, String(owner), stateFile], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
}

export class DevCluster {
  private constructor(private state: ClusterState, private readonly creds: ApiCredentials) {}

  /** Attaches to the cluster described by `stateDir`'s state.json. */
  static async load(stateDir: string): Promise<DevCluster | undefined> {
    const state = await readState(stateDir);
    if (!state) return undefined;
    const pki = pkiPaths(join(stateDir, "pki"));
    return new DevCluster(state, await loadCredentials(pki.caCert, pki.adminCert, pki.adminKey));
  }

  /** @internal used by startCluster */
  static fromState(state: ClusterState, creds: ApiCredentials): DevCluster {
    return new DevCluster(state, creds);
  }

  get name(): string {
    return this.state.name;
  }
  get kubeconfigPath(): string {
    return this.state.kubeconfigPath;
  }
  /** https://127.0.0.1:<port> */
  get server(): string {
    return this.state.server;
  }
  get stateDir(): string {
    return this.state.stateDir;
  }
  get ports(): Readonly<ClusterPorts> {
    return this.state.ports;
  }
  get nodeNames(): readonly string[] {
    return this.state.nodes;
  }
  /** Paths of the CA, admin client certificate and service-account keys. */
  get pki(): Pki {
    return pkiPaths(join(this.state.stateDir, "pki"));
  }
  logFile(component: ComponentName): string {
    return this.state.components[component].logFile;
  }
  pid(component: ComponentName): number | undefined {
    return this.state.components[component].pid;
  }

  /** Re-reads state.json, in case another process restarted a component. */
  async refresh(): Promise<void> {
    this.state = (await readState(this.state.stateDir)) ?? this.state;
  }

  async isComponentRunning(component: ComponentName): Promise<boolean> {
    await this.refresh();
    const c = this.state.components[component];
    return isRunning(c.pid, c.binary);
  }

  /** True when every component's process is alive (says nothing about readiness). */
  async processesRunning(): Promise<boolean> {
    await this.refresh();
    for (const c of COMPONENTS) {
      const s = this.state.components[c];
      if (!(await isRunning(s.pid, s.binary))) return false;
    }
    return true;
  }

  /** True when every component process runs and the apiserver answers /readyz. */
  async isHealthy(): Promise<boolean> {
    return (await this.processesRunning()) && probe(this.state.components["kube-apiserver"].healthUrl, { creds: this.creds });
  }

  /**
   * Waits until the apiserver answers /readyz. A loaded machine (several clusters, a test run) can
   * make a single probe time out, so callers deciding whether a cluster is usable wait a while.
   */
  async waitReady(timeoutMs = 30_000): Promise<boolean> {
    const url = this.state.components["kube-apiserver"].healthUrl;
    try {
      await waitFor("apiserver /readyz", timeoutMs, () => probe(url, { creds: this.creds }));
      return true;
    } catch {
      return false;
    }
  }

  /** Stops one component (SIGTERM, then SIGKILL after 10 s). Its flags, ports and data are kept. */
  async stopComponent(component: ComponentName): Promise<void> {
    await this.refresh();
    const c = this.state.components[component];
    await terminate(c.pid, c.binary);
    delete c.pid;
    await writeState(this.state);
  }

  /** (Re)starts one component with exactly the flags it had, and waits until it is healthy. */
  async startComponent(component: ComponentName): Promise<void> {
    await this.refresh();
    const c = this.state.components[component];
    if (await isRunning(c.pid, c.binary)) return;
    c.pid = await spawnDetached({ binary: c.binary, args: c.args, env: c.env, cwd: this.state.stateDir, logFile: c.logFile });
    await writeState(this.state);
    await waitHealthy(component, c, { creds: this.creds, timeoutMs: HEALTH_TIMEOUT_MS[component] });
  }

  async restartComponent(component: ComponentName): Promise<void> {
    await this.stopComponent(component);
    await this.startComponent(component);
  }

  /** Stops every process and deletes the state directory and etcd's data. */
  async stop(): Promise<void> {
    await stopState(this.state);
  }
}

async function stopProcesses(state: ClusterState): Promise<void> {
  const markers = [`${state.stateDir}/`, `${state.etcdDataDir}/`];
  const stop = async (c: ComponentName): Promise<void> => {
    const { pid, binary } = state.components[c];
    // The recorded pid plus any untracked process of this cluster (see findProcesses).
    const pids = new Set(await findProcesses(binary, markers));
    if (pid) pids.add(pid);
    await Promise.all([...pids].map((p) => terminate(p, binary)));
  };
  // Clients first, etcd last: an apiserver whose etcd is already gone takes ~10 s to shut down.
  await Promise.all([stop("kwok"), stop("kube-scheduler"), stop("kube-controller-manager")]);
  await stop("kube-apiserver");
  await stop("etcd");
}

async function stopState(state: ClusterState): Promise<void> {
  await stopProcesses(state);
  await rm(state.etcdDataDir, { recursive: true, force: true });
  if (state.execDir) await rm(state.execDir, { recursive: true, force: true });
  await rm(state.stateDir, { recursive: true, force: true });
}

/** The cluster `name` if its state directory exists (running or not). */
export async function getCluster(name: string, opts: { baseDir?: string } = {}): Promise<DevCluster | undefined> {
  validateName(name);
  return DevCluster.load(join(clustersDir(opts.baseDir), name));
}

/** Names of all clusters with a state directory under baseDir. */
export async function listClusters(opts: { baseDir?: string } = {}): Promise<string[]> {
  try {
    const entries = await readdir(clustersDir(opts.baseDir), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && existsSync(statePath(join(clustersDir(opts.baseDir), e.name)))).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** Stops the cluster `name` by the pids in its state file and deletes its state. No-op if absent. */
export async function stopCluster(name: string, opts: { baseDir?: string } = {}): Promise<boolean> {
  validateName(name);
  const stateDir = join(clustersDir(opts.baseDir), name);
  const state = await readState(stateDir);
  if (!state) {
    // A half-created directory (start-up failed before state.json was written).
    if (existsSync(stateDir)) await rm(stateDir, { recursive: true, force: true });
    return false;
  }
  await stopState(state);
  return true;
}

export async function startCluster(opts: StartClusterOptions): Promise<DevCluster> {
  const { name } = opts;
  validateName(name);
  const log = opts.log ?? ((): void => {});
  const t0 = Date.now();
  const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const nodeCount = opts.nodes ?? 2;
  if (!Number.isInteger(nodeCount) || nodeCount < 0) throw new Error(`nodes must be a non-negative integer, got ${nodeCount}`);

  const bins = await resolveControlPlaneBinaries();
  const stateDir = join(clustersDir(opts.baseDir), name);

  const existing = await DevCluster.load(stateDir).catch(() => undefined);
  if (existing) {
    // Live processes mean someone may be using the cluster: never tear it down implicitly, even if
    // it is slow to answer right now. Only a cluster with dead components counts as stale.
    if (await existing.processesRunning()) throw new ClusterExistsError(name, existing.kubeconfigPath);
    log(`removing stale state of cluster "${name}"`);
    await existing.stop();
  } else if (existsSync(stateDir)) {
    await rm(stateDir, { recursive: true, force: true });
  }

  await mkdir(join(stateDir, "logs"), { recursive: true });
  const shm = await tmpfsRoot();
  const etcdDataDir = shm ? await mkdtemp(join(shm, `hawser-${name}-`)) : join(stateDir, "etcd");
  const layout: Layout = {
    stateDir,
    etcdDataDir: join(etcdDataDir, "data"),
    kubeconfigPath: join(stateDir, "kubeconfig"),
    pki: pkiPaths(join(stateDir, "pki")),
    stagesPath: join(stateDir, "kwok-stages.yaml"),
    logsConfigPath: join(stateDir, "kwok-logs.yaml"),
    podLogPath: join(stateDir, "kwok-pod.log"),
    followLogPath: join(stateDir, KWOK_FOLLOW_LOG_FILE),
    execConfigPath: join(stateDir, "kwok-exec.yaml"),
  };
  // Commands exec'd into the fake pods run here, outside the repository and the state directory.
  const execDir = await mkdtemp(join(tmpdir(), `hawser-${name}-exec-`));

  const [pki, ports] = await Promise.all([
    generatePki(layout.pki.dir),
    (async (): Promise<ClusterPorts> => ({
      etcdClient: await freePort(),
      etcdPeer: await freePort(),
      apiserver: await freePort(),
      controllerManager: await freePort(),
      scheduler: await freePort(),
      kwok: await freePort(),
    }))(),
  ]);
  log(`certificates generated (${elapsed()})`);
  const creds = await loadCredentials(pki.caCert, pki.adminCert, pki.adminKey);

  const extra = opts.extraArgs ?? {};
  const v = versions();
  const state: ClusterState = {
    formatVersion: 1,
    name,
    stateDir,
    // The whole mkdtemp directory, so stop removes it and not just the data dir inside.
    etcdDataDir: shm ? etcdDataDir : layout.etcdDataDir,
    execDir,
    kubeconfigPath: layout.kubeconfigPath,
    server: "",
    nodes: Array.from({ length: nodeCount }, (_, i) => `kwok-node-${i}`),
    ports,
    kubernetesVersion: v.kubernetes,
    kwokVersion: v.kwok,
    createdAt: new Date().toISOString(),
    components: componentSpecs(bins, layout, ports, extra),
  };
  const setServer = (): void => {
    state.server = `https://127.0.0.1:${state.ports.apiserver}`;
  };
  setServer();
  const writeKubeconfig = async (): Promise<void> => {
    const [ca, cert, key] = [creds.ca, creds.cert, creds.key];
    await writeFile(layout.kubeconfigPath, kubeconfigYaml(name, state.server, ca, cert, key), { mode: 0o600 });
  };
  await writeKubeconfig();
  await writeFile(layout.stagesPath, KWOK_STAGES_YAML);
  await writeFile(layout.podLogPath, KWOK_POD_LOG);
  await writeFile(layout.followLogPath, "");
  await writeFile(layout.logsConfigPath, kwokLogsConfig(layout.podLogPath, layout.followLogPath));
  await writeFile(layout.execConfigPath, kwokExecConfig(execDir));
  await writeState(state);
  if (opts.stopWithProcess) startWatchdog(opts.stopWithProcess, statePath(stateDir));

  const launch = async (component: ComponentName): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const c = state.components[component];
      c.pid = await spawnDetached({ binary: c.binary, args: c.args, env: c.env, cwd: stateDir, logFile: c.logFile });
      await writeState(state);
      try {
        await waitHealthy(component, c, { creds, timeoutMs: HEALTH_TIMEOUT_MS[component] });
        log(`${component} healthy (${elapsed()})`);
        return;
      } catch (err) {
        // Another process grabbed one of our ports between freePort() and the bind: pick new ones.
        if (!(err instanceof ComponentExitedError && err.portInUse && attempt < 4)) throw err;
        log(`${component}: port in use, retrying with new ports`);
        for (const p of COMPONENT_PORTS[component]) state.ports[p] = await freePort();
        // componentSpecs rebuilds every entry; keep the pids of the components already running.
        const running = Object.fromEntries(COMPONENTS.map((other) => [other, state.components[other].pid]));
        state.components = componentSpecs(bins, layout, state.ports, extra);
        for (const other of COMPONENTS) {
          const pid = running[other];
          if (other !== component && pid !== undefined) state.components[other].pid = pid;
        }
        if (component === "kube-apiserver") {
          setServer();
          await writeKubeconfig();
        }
      }
    }
  };

  try {
    await launch("etcd");
    await launch("kube-apiserver");
    // The controller-manager gives up if the apiserver is not healthy within 10 s of its start, so
    // the rest only start once the apiserver is ready.
    await Promise.all([launch("kube-controller-manager"), launch("kube-scheduler"), launch("kwok")]);

    const api = state.server;
    for (const node of state.nodes) {
      const res = await rawRequest(`${api}/api/v1/nodes`, { method: "POST", body: kwokNode(node), creds });
      if (res.status !== 201 && res.status !== 409) throw new Error(`creating node ${node}: HTTP ${res.status} ${res.body}`);
    }
    await waitFor("the default ServiceAccount (serviceaccount controller)", 60_000, async () => {
      const res = await rawRequest(`${api}/api/v1/namespaces/default/serviceaccounts/default`, { creds });
      return res.status === 200;
    });
    await waitFor("the kube-root-ca.crt ConfigMap (root-ca publisher)", 60_000, async () => {
      const res = await rawRequest(`${api}/api/v1/namespaces/default/configmaps/kube-root-ca.crt`, { creds });
      return res.status === 200;
    });
    await waitFor(`${nodeCount} Ready, untainted kwok nodes`, 60_000, async () => {
      const res = await rawRequest(`${api}/api/v1/nodes`, { creds });
      if (res.status !== 200) return false;
      const items = (JSON.parse(res.body) as { items: NodeStatusView[] }).items;
      return state.nodes.every((n) => items.some((i) => i.metadata?.name === n && nodeSchedulable(i)));
    });
    log(`cluster "${name}" ready at ${state.server} (${elapsed()})`);
  } catch (err) {
    // Stop what was started but keep the logs for diagnosis; the next start or stop removes them.
    await stopProcesses(state);
    await rm(state.etcdDataDir, { recursive: true, force: true });
    await rm(execDir, { recursive: true, force: true });
    await rm(statePath(stateDir), { force: true });
    const msg = errorMessage(err);
    throw new Error(`starting dev cluster "${name}" failed (logs kept in ${join(stateDir, "logs")}): ${msg}`, { cause: err });
  }
  return DevCluster.fromState(state, creds);
}
