// The contract between the scale harness (bench/scale/run.ts: `npm run bench -- [scenario...]
// [--n N]`) and its scenarios (bench/scale/scenarios/pN.ts). The harness owns everything shared by
// every run: a fresh local control plane, the W_max probe (P0) of the same run, the git server,
// starting and stopping the operator as its own process, sampling /proc and the apiserver's
// /metrics, and writing bench/results/<scenario>.{json,md}. A scenario only drives its workload and
// returns what it measured, so each file reads as the scenario's description in
// shared/spec/benchmarks.md.
import type { KubeClient } from "../../operator/kube/client.js";

/** A process the harness started and samples (the operator, the API server, a baseline tool). */
export interface SampledProcess {
  pid: number;
  /** utime + stime from /proc/<pid>/stat, in seconds, now. */
  cpuSeconds(): Promise<number>;
  /** VmHWM (peak RSS) from /proc/<pid>/status, in bytes, now. */
  peakRssBytes(): Promise<number>;
  /**
   * The process's Prometheus scrape (Hawser's metrics port), parsed into name{labels} → value;
   * with `names`, only those metrics (`/metrics?name[]=`): polls must name theirs, since a full
   * scrape at 10,000 apps is megabytes and costs the operator more CPU than the work measured.
   */
  scrape(names?: readonly string[]): Promise<Map<string, number>>;
  /** SIGTERM and wait for exit; resolves with the milliseconds it took to exit. */
  stop(): Promise<number>;
  /** POST URL of the operator's git webhook endpoint (see bench/scale/webhook.ts pushWebhook). */
  webhookUrl(): Promise<string>;
  /** The process's log lines so far (JSON lines parsed; other stderr lines as {msg}). */
  logs(): readonly Record<string, unknown>[];
}

/** The apiserver's request counters (apiserver_request_total by verb), read from its /metrics. */
export type RequestsByVerb = Record<string, number>;

export interface ScenarioContext {
  /** Size the run was asked for (`--n`), or the scenario's default. */
  n: number;
  /** Admin client on the run's control plane (adaptive limiter, 128 sockets). */
  client: KubeClient;
  kubeconfig: string;
  /** The namespace the operator watches for Applications (created by the harness). */
  controlNamespace: string;
  /** Mutating requests/s at apiserver saturation measured at the start of this run (P0). */
  wMax: number;
  /** A loopback git server (git http-backend) the scenario may create repositories on. */
  git: {
    /** Creates (or resets) a bare repository and returns its clone URL. */
    createRepo(name: string): Promise<string>;
    /** Writes files (path → content; null deletes) and commits and pushes them; returns the SHA. */
    commit(repoUrl: string, files: Record<string, string | null>, message: string): Promise<string>;
  };
  /** Starts `hawser operator` (extra flags/env as given) as its own process, sampled. */
  startOperator(opts?: { args?: string[]; env?: NodeJS.ProcessEnv }): Promise<SampledProcess>;
  /** apiserver_request_total summed by verb, now (diff two readings for a phase). */
  apiserverRequests(): Promise<RequestsByVerb>;
  /** The apiserver's process_cpu_seconds_total, now (diff two readings for a phase). */
  apiserverCpuSeconds(): Promise<number>;
  /** Waits until `check` is true, polling every `everyMs`; rejects after `timeoutMs` (runs stop by themselves). */
  until(what: string, check: () => Promise<boolean>, opts: { timeoutMs: number; everyMs?: number }): Promise<void>;
  /** Progress line on stderr (a run cut short still shows what it measured). */
  progress(line: string): void;
  /** Creates a namespace (e.g. an app's destination) the harness deletes when the run ends. */
  createNamespace(name: string): Promise<void>;
}

/** One measured phase of a scenario, e.g. "create" or "update" (one row of the results table). */
export interface PhaseResult {
  phase: string;
  /** Per-run figures (one entry per repetition; the harness prints median and min–max). */
  runs: Record<string, number>[];
  /** The target from the issue/spec this phase is judged against, in words, and whether it was met. */
  target?: { text: string; met: boolean };
}

export interface ScenarioResult {
  /** Inputs beyond `n` (e.g. pushes, drifts) so the result file states what was run. */
  inputs: Record<string, string | number>;
  phases: PhaseResult[];
  /** Functional facts the CI variant asserts (all Synced, zero writes, healed …). */
  checks: { name: string; ok: boolean; detail?: string }[];
  /** Free text for the results file: what limited the figure, the profile that showed it. */
  notes?: string[];
}

/** Each bench/scale/scenarios/<id>.ts exports its Scenario as `scenario` (run.ts loads it by id). */
export interface Scenario {
  /** "p2", "p3" … as in shared/spec/benchmarks.md. */
  id: string;
  title: string;
  /** Size used without `--n`. */
  defaultN: number;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
