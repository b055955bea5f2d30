// Builds the ScenarioContext (bench/scale/scenario.ts) on a control plane someone else started:
// the harness (run.ts) on its fresh local cluster, the CI functional checks
// (test/e2e/scale-functional.test.ts) on the shared test cluster. One builder, so the benchmark and
// its CI variant run the scenarios the same way.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { ARGO_API_VERSION } from "../../operator/api/annotations.js";
import { startGitServer, type GitServer } from "../../operator/devcluster/git-server.js";
import { errorMessage } from "../../operator/util/index.js";
import { installCrds } from "../../operator/kube/crd-install.js";
import type { KubeClient } from "../../operator/kube/client.js";
import { startOperatorProcess, type OperatorProcess } from "../../test/support/operator-process.js";
import { forEachBounded } from "./apps.js";
import { cpuSeconds, parsePrometheus, peakRssBytes, sumBy } from "./proc.js";
import type { RequestsByVerb, SampledProcess, ScenarioContext } from "./scenario.js";

/** How long an operator may take to start its controllers (the first start compiles TypeScript). */
const OPERATOR_START_MS = 120_000;
/** SIGTERM → exit bound; past it the harness kills the process and reports the bound. */
const OPERATOR_STOP_MS = 60_000;

export interface HarnessSetup {
  client: KubeClient;
  kubeconfig: string;
  n: number;
  /** W_max of this run (0 when not measured, e.g. in CI: scenarios then report no ratio). */
  wMax: number;
  /** Short tag for the control namespace `scale-<tag>-<random>`. */
  tag: string;
  progress?: (line: string) => void;
  /**
   * Flags every operator of this context gets before the scenario's own. The default turns off
   * leader election (its Lease renewals are writes no scenario causes) and the periodic resync
   * (scenarios trigger refreshes themselves, so nothing else refreshes mid-phase).
   */
  operatorArgs?: string[];
  /** Environment for every operator. */
  operatorEnv?: NodeJS.ProcessEnv;
  /** Options for the operators' node (e.g. --cpu-prof). */
  operatorNodeArgs?: string[];
  /**
   * close() waits until the namespaces are gone. The benchmark sets it: the apiserver's garbage
   * collection of 10,000 apps and their objects otherwise runs during the next scenario (a P2 at
   * 10,000 after a P3 at 10,000 did not finish creating in 25 minutes, against 9 alone). CI's
   * functional checks leave it off: they only assert outcomes.
   */
  awaitCleanup?: boolean;
}

export interface Harness {
  ctx: ScenarioContext;
  /** Every operator started, in order (the last is the one a scenario measured). */
  operators: readonly SampledProcess[];
  /** Stops the operators and the git server and deletes the namespaces this context made. */
  close(): Promise<void>;
}

export const DEFAULT_OPERATOR_ARGS = ["--leader-elect=false", "--app-resync", "0"];

/** Waits (at most 15 minutes) until the namespaces and everything in them are deleted. */
export async function namespacesGone(client: KubeClient, names: readonly string[], progress: (line: string) => void): Promise<void> {
  const deadline = performance.now() + 15 * 60_000;
  let said = performance.now();
  for (const ns of names) {
    for (;;) {
      const left = await client.get("v1", "Namespace", ns).catch(() => undefined);
      if (!left) break;
      if (performance.now() > deadline) {
        progress(`namespace ${ns} still terminating after 15 minutes; going on`);
        return;
      }
      if (performance.now() - said > 30_000) {
        progress(`waiting for namespace ${ns} to be deleted`);
        said = performance.now();
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function dropAppFinalizers(client: KubeClient, namespace: string): Promise<void> {
  const apps = (await client.list(ARGO_API_VERSION, "Application", { namespace })).items.filter((a) => (a.metadata.finalizers ?? []).length > 0);
  await forEachBounded(apps.length, 16, async (i) => {
    const name = apps[i]!.metadata.name ?? "";
    await client.patch({ apiVersion: ARGO_API_VERSION, kind: "Application", name, namespace }, { metadata: { finalizers: null } }, { type: "merge" }).catch(() => undefined);
  });
}

export async function createHarness(setup: HarnessSetup): Promise<Harness> {
  const { client } = setup;
  const progress = setup.progress ?? ((line: string): void => { process.stderr.write(`[scale ${new Date().toISOString()}] ${line}\n`); });
  const controlNamespace = `scale-${setup.tag}-${randomBytes(3).toString("hex")}`;
  const namespaces: string[] = [];
  const operators: Array<SampledProcess & { proc: OperatorProcess }> = [];
  let git: GitServer | undefined;
  const repoNames = new Map<string, string>();

  const createNamespace = async (name: string): Promise<void> => {
    namespaces.push(name);
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  };

  const close = async (): Promise<void> => {
    for (const op of operators) await op.proc.stop("SIGKILL");
    await git?.stop();
    // Applications a scenario left with Hawser's finalizers (e.g. generated by a set whose template
    // has resources-finalizer) would hold their namespace in Terminating forever now that no
    // operator runs: strip them first.
    for (const ns of namespaces) await dropAppFinalizers(client, ns).catch((err: unknown) => progress(`finalizers of ${ns}: ${errorMessage(err)}`));
    for (const ns of namespaces.reverse()) await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined);
    if (setup.awaitCleanup) await namespacesGone(client, namespaces, progress);
  };

  try {
    await installCrds(client);
    await createNamespace(controlNamespace);
    git = await startGitServer();
  } catch (err) {
    await close();
    throw err;
  }
  const server = git;

  const startOperator = async (opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<SampledProcess> => {
    const env = { ...setup.operatorEnv, ...opts.env };
    const proc = startOperatorProcess({
      kubeconfig: setup.kubeconfig, namespace: controlNamespace,
      args: [...(setup.operatorArgs ?? DEFAULT_OPERATOR_ARGS), ...(opts.args ?? [])],
      ...(setup.operatorNodeArgs ? { nodeArgs: setup.operatorNodeArgs } : {}),
      ...(Object.keys(env).length ? { env } : {}),
    });
    const pid = proc.proc.pid;
    if (pid === undefined) throw new Error("the operator process did not start");
    await proc.waitForLog((l) => l.msg === "controllers started", OPERATOR_START_MS);
    const exited = once(proc.proc, "exit");
    const sampled: SampledProcess & { proc: OperatorProcess } = {
      pid, proc,
      cpuSeconds: () => cpuSeconds(pid),
      peakRssBytes: () => peakRssBytes(pid),
      async scrape(names) {
        const query = names?.length ? `?${names.map((n) => `name[]=${encodeURIComponent(n)}`).join("&")}` : "";
        const res = await fetch(`${await proc.probeUrl()}/metrics${query}`);
        return parsePrometheus(await res.text());
      },
      async webhookUrl() {
        const line = await proc.waitForLog((l) => l.msg === "serving git webhooks", OPERATOR_START_MS);
        return `http://${String(line.address)}/api/webhook`;
      },
      async stop() {
        if (proc.proc.exitCode !== null || proc.proc.signalCode !== null) return 0;
        const t = performance.now();
        proc.proc.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => { timer = setTimeout(() => resolve("late"), OPERATOR_STOP_MS); });
        const outcome = await Promise.race([exited.then(() => "exited" as const), late]);
        clearTimeout(timer);
        if (outcome === "late") {
          progress(`operator ${pid} still running ${OPERATOR_STOP_MS} ms after SIGTERM; killing it`);
          await proc.stop("SIGKILL");
        }
        return performance.now() - t;
      },
      logs: () => proc.logs,
    };
    operators.push(sampled);
    progress(`operator started (pid ${pid})`);
    return sampled;
  };

  const ctx: ScenarioContext = {
    n: setup.n,
    client,
    kubeconfig: setup.kubeconfig,
    controlNamespace,
    wMax: setup.wMax,
    git: {
      async createRepo(name) {
        await server.createRepo(name, { "README.md": `${name}\n` });
        const url = server.baseUrl(name);
        repoNames.set(url, name);
        return url;
      },
      async commit(repoUrl, files, message) {
        const name = repoNames.get(repoUrl);
        if (name === undefined) throw new Error(`${repoUrl} is not a repository of this run's git server`);
        const write: Record<string, string> = {};
        const remove: string[] = [];
        for (const [path, content] of Object.entries(files)) {
          if (content === null) remove.push(path);
          else write[path] = content;
        }
        return server.commitFiles(name, write, message, remove.length ? { delete: remove } : {});
      },
    },
    startOperator,
    apiserverRequests: () => apiserverRequests(client),
    apiserverCpuSeconds: () => apiserverCpuSeconds(client),
    until,
    progress,
    createNamespace,
  };
  return { ctx, operators, close };
}

/** The apiserver's own /metrics, parsed. */
async function apiserverMetrics(client: KubeClient): Promise<Map<string, number>> {
  const res = await client.stream("GET", "/metrics", { timeoutMs: 30_000 });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  if (res.statusCode !== 200) throw new Error(`apiserver /metrics answered ${res.statusCode}`);
  return parsePrometheus(Buffer.concat(chunks).toString("utf8"));
}

/** apiserver_request_total summed by verb, from the apiserver's own /metrics. */
export async function apiserverRequests(client: KubeClient): Promise<RequestsByVerb> {
  return sumBy(await apiserverMetrics(client), "apiserver_request_total", "verb");
}

/**
 * The apiserver's CPU-seconds so far (its process_cpu_seconds_total): beside the operator's, it
 * shows which side of the 2-core machine a phase spent its time on.
 */
export async function apiserverCpuSeconds(client: KubeClient): Promise<number> {
  const v = (await apiserverMetrics(client)).get("process_cpu_seconds_total");
  if (v === undefined) throw new Error("the apiserver's /metrics has no process_cpu_seconds_total");
  return v;
}

export async function until(what: string, check: () => Promise<boolean>, opts: { timeoutMs: number; everyMs?: number }): Promise<void> {
  const deadline = performance.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (performance.now() >= deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${lastError ? `: ${errorMessage(lastError)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 250));
  }
}
