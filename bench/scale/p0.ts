// P0 of shared/spec/benchmarks.md: the apiserver's write ceiling W_max, measured first in every
// benchmark run so the other scenarios can state their write rates as a fraction of it. A raw
// concurrent server-side apply of 2 KB ConfigMaps, 32 in flight, no diff and no status writes:
// once to create them, once to update them. bench/apply and the scale harness both use this.
import type { KubeClient } from "../../operator/kube/client.js";
import { percentile } from "./stats.js";

/** A 2 KB string that differs per seed, so every apply really changes the object. */
export const payload2k = (seed: string): string => `${seed}-`.repeat(Math.ceil(2048 / (seed.length + 1))).slice(0, 2048);

export interface P0Phase {
  /** Mutating requests per second over the phase. */
  rps: number;
  /** p99 request latency in ms. */
  p99: number;
}

/** One pass: `count` server-side applies of ConfigMaps cm-0… in `ns`, `inFlight` at a time. */
export async function p0Pass(client: KubeClient, ns: string, round: string, count: number, inFlight = 32): Promise<P0Phase> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      await client.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}`, namespace: ns }, data: { v: payload2k(`${round}${i}`) } }, { fieldManager: "bench-p0", force: true });
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { rps: count / seconds, p99: percentile(latencies, 99) };
}

export interface P0Result {
  create: P0Phase;
  update: P0Phase;
  /** The higher of the two rates: the ceiling the run's other figures are divided by. */
  wMax: number;
  count: number;
}

/** Creates `ns`, then a create pass and an update pass; the namespace is left for the caller to delete. */
export async function measureWMax(client: KubeClient, ns: string, count: number): Promise<P0Result> {
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const create = await p0Pass(client, ns, "a", count);
  const update = await p0Pass(client, ns, "b", count);
  return { create, update, wMax: Math.max(create.rps, update.rps), count };
}
