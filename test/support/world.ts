// The e2e "world": what every end-to-end test needs around the operator, set up and torn down in one
// place. A world is a client on the shared test cluster with Hawser's CRDs installed, a unique
// operator namespace (with its argocd-cm when asked), a loopback git server holding the test's
// repositories, optionally a second private cluster registered as an Argo destination, and the
// `hawser operator` process itself, started last so it sees all of the above.
//
// What differs between tests is an option, not a copy of the set-up:
//   const w = await createWorld(t, { name: "rmf", repos: { app: {...} }, operatorArgs: ["--leader-elect=false"] });
//   await w.client.create(w.application("web", { repo: "app", path: "app", dest: w.dest("rmf") }));
//
// Teardown (one t.after, registered first, so it runs before the test's own after-hooks): every
// operator process started is killed, the git server stopped, the namespaces the world created or
// was told about deleted, and the private cluster stopped. The client stays usable for the
// test's own after-hooks (closing it only drops idle keep-alive sockets) and is closed last.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";
import { ARGO_API_VERSION } from "../../operator/api/annotations.js";
import type { DevCluster } from "../../operator/devcluster/cluster.js";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { installCrds } from "../../operator/kube/crd-install.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { privateCluster, sharedCluster, type TestClusterHandle } from "./cluster.js";
import { startGitServer, type DirContent, type GitServer, type RepoFiles } from "./git-server.js";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

export const API = ARGO_API_VERSION;
export const IN_CLUSTER = "https://kubernetes.default.svc";
/** How long the operator may take to start its controllers (the first start compiles TypeScript). */
const OPERATOR_START_MS = 90_000;

export interface WorldOptions {
  /** Short tag naming the test: the operator namespace is `hawser-<name>-<id>`. */
  name: string;
  /** Repositories created on the git server before the operator starts: name → files. */
  repos?: Record<string, RepoFiles | DirContent>;
  /** argocd-cm data, created in the operator namespace before the operator starts. */
  argocdCm?: Record<string, string>;
  /** Operator flags after `--app-resync 0` (periodic resync off, so tests drive refreshes). */
  operatorArgs?: string[];
  /**
   * A second control plane of the world's own, registered with the operator as an Argo cluster
   * Secret named `name` (CA, client certificate and key in its `config`).
   */
  remoteCluster?: { name: string };
  /** Runs once the namespace, git server and repos exist, before the operator starts. */
  beforeOperator?: (w: World) => Promise<void>;
  /** false: start no operator now; the test calls startOperator() itself (e.g. to kill and restart it). */
  startOperator?: boolean;
}

export interface RemoteCluster {
  /** The Argo cluster name it is registered under. */
  name: string;
  cluster: DevCluster;
  client: KubeClient;
}

export interface CliRun { code: number; stdout: string; stderr: string }

export interface ApplicationSpecOptions {
  /** Repository name on the world's git server. */
  repo: string;
  path: string;
  /** Destination namespace. */
  dest: string;
  targetRevision?: string;
  project?: string;
  syncPolicy?: Record<string, unknown>;
  /** Other fields of the spec (ignoreDifferences, revisionHistoryLimit, ...). */
  spec?: Record<string, unknown>;
  /** Fields of metadata besides name and namespace (finalizers, annotations). */
  metadata?: Record<string, unknown>;
  /** Top-level fields besides spec (operation). */
  extra?: Record<string, unknown>;
}

export interface World {
  /** Random hex shared by every name of this world. */
  readonly id: string;
  /** The operator's namespace (also its installation id). */
  readonly ns: string;
  readonly cluster: TestClusterHandle;
  readonly client: KubeClient;
  readonly git: GitServer;
  /** The commit each `repos` entry was created with. */
  readonly initialCommits: Record<string, string>;
  readonly remote: RemoteCluster | undefined;
  /** The operator process started last. */
  readonly op: OperatorProcess;
  /** Every operator process this world started, in order. */
  readonly operators: readonly OperatorProcess[];
  /**
   * Starts an operator process (flags as in the options unless given; `env` on top of this
   * process's environment) and waits until its controllers run.
   */
  startOperator(args?: string[], env?: NodeJS.ProcessEnv): Promise<OperatorProcess>;
  /** `<prefix>-<id>`: a destination namespace name, deleted at teardown (create it or let a sync do). */
  dest(prefix: string): string;
  /** Creates namespaces now; each is deleted at teardown. */
  createNamespace(...names: string[]): Promise<void>;
  /** An Application in the world's namespace whose source is one of the world's repositories. */
  application(name: string, o: ApplicationSpecOptions): KubeObject;
  getApp(name: string): Promise<KubeObject | undefined>;
  /** The Application's status, typed by the caller. */
  status<T>(name: string): Promise<T | undefined>;
  /** Asks for a refresh through Argo's annotation. */
  refresh(name: string, kind?: "normal" | "hard"): Promise<void>;
  /** Runs `hawser app <args>` as a user would, against this world's cluster and namespace. */
  readonly hawserApp: (...args: string[]) => Promise<CliRun>;
  /** Runs `hawser appset <args>` likewise. */
  readonly hawserAppSet: (...args: string[]) => Promise<CliRun>;
}

/** A CliRun in full, for assertion messages. */
export const showRun = (r: CliRun): string => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

export async function createWorld(t: TestContext, opts: WorldOptions): Promise<World> {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-${opts.name}-${id}`;
  const namespaces = new Set<string>([ns]);
  const operators: OperatorProcess[] = [];
  // What teardown must stop; filled in as each part starts, so a failed set-up is torn down too.
  const started: { git?: GitServer; remote?: RemoteCluster } = {};

  t.after(async () => {
    for (const p of operators) await p.stop("SIGKILL");
    await started.git?.stop();
    for (const n of namespaces) await client.delete({ apiVersion: "v1", kind: "Namespace", name: n }).catch(() => undefined);
    if (started.remote) {
      started.remote.client.close();
      await started.remote.cluster.stop();
    }
    client.close();
  });

  // The operator installs the CRDs too, but a test may create Applications before any operator
  // runs (on a fresh cluster that failed with "the server does not know Application").
  await installCrds(client);
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const git = await startGitServer();
  started.git = git;
  const initialCommits: Record<string, string> = {};
  for (const [name, files] of Object.entries(opts.repos ?? {})) initialCommits[name] = await git.createRepo(name, files);
  if (opts.argocdCm) await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: opts.argocdCm });
  const remote = opts.remoteCluster ? await startRemote(client, ns, opts.remoteCluster.name, started) : undefined;

  const defaultArgs = opts.operatorArgs ?? [];
  const hawser = (command: string, args: string[]): Promise<CliRun> => new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", command, ...args, "--kubeconfig", cluster.kubeconfigPath, "-n", ns],
      // The test operator marks its objects with installation id = its namespace; the CLI must match.
      { cwd: root, encoding: "utf8", maxBuffer: 16 << 20, env: { ...process.env, HAWSER_INSTALLATION_ID: ns } },
      (err, stdout, stderr) => {
        const run = { code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr };
        if (process.env.HAWSER_TEST_VERBOSE) process.stderr.write(`$ hawser ${command} ${args.join(" ")}\n${showRun(run)}\n`);
        resolve(run);
      });
  });
  const world: World = {
    id, ns, cluster, client, git, initialCommits, remote, operators,
    get op(): OperatorProcess {
      const last = operators[operators.length - 1];
      if (!last) throw new Error("no operator was started in this world");
      return last;
    },
    async startOperator(args = defaultArgs, env?: NodeJS.ProcessEnv) {
      const p = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0", ...args], ...(env ? { env } : {}) });
      operators.push(p);
      await p.waitForLog((l) => l.msg === "controllers started", OPERATOR_START_MS);
      return p;
    },
    dest(prefix) {
      const name = `${prefix}-${id}`;
      namespaces.add(name);
      return name;
    },
    async createNamespace(...names) {
      for (const name of names) {
        namespaces.add(name);
        await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
      }
    },
    application(name, o) {
      return {
        apiVersion: API, kind: "Application",
        metadata: { name, namespace: ns, ...o.metadata },
        spec: {
          project: o.project ?? "default",
          source: { repoURL: git.baseUrl(o.repo), path: o.path, targetRevision: o.targetRevision ?? "HEAD" },
          destination: { server: IN_CLUSTER, namespace: o.dest },
          ...(o.syncPolicy ? { syncPolicy: o.syncPolicy } : {}),
          ...o.spec,
        },
        ...o.extra,
      };
    },
    getApp: (name) => client.get(API, "Application", name, ns),
    async status<T>(name: string) {
      return (await client.get(API, "Application", name, ns))?.status as T | undefined;
    },
    async refresh(name, kind = "normal") {
      await client.patch({ apiVersion: API, kind: "Application", name, namespace: ns }, { metadata: { annotations: { "argocd.argoproj.io/refresh": kind } } });
    },
    // --core: straight to Kubernetes whatever contexts the user's CLI config holds.
    hawserApp: (...args) => hawser("app", [...args, "--core"]),
    hawserAppSet: (...args) => hawser("appset", args),
  };
  if (opts.beforeOperator) await opts.beforeOperator(world);
  if (opts.startOperator !== false) await world.startOperator();
  return world;
}

/** A private control plane, registered in `ns` the way Argo registers a cluster: a cluster Secret. */
async function startRemote(client: KubeClient, ns: string, name: string, started: { remote?: RemoteCluster }): Promise<RemoteCluster> {
  const cluster = await privateCluster();
  const kc = loadKubeConfig(cluster.kubeconfigPath);
  const remote = { name, cluster, client: new KubeClient(kc) };
  started.remote = remote;
  const user = kc.getCurrentUser();
  const server = kc.getCurrentCluster();
  if (!user || !server) throw new Error(`private cluster ${cluster.kubeconfigPath}: kubeconfig has no current user or cluster`);
  await client.create({
    apiVersion: "v1", kind: "Secret",
    metadata: { name: `cluster-${name}`, namespace: ns, labels: { "argocd.argoproj.io/secret-type": "cluster" } },
    stringData: {
      name, server: server.server,
      config: JSON.stringify({ tlsClientConfig: { caData: server.caData, certData: user.certData, keyData: user.keyData } }),
    },
  });
  return remote;
}
