// The unpacked OCI artifact cache's metrics (git/oci-artifacts.ts): its size at scrape time, and
// what it did (hits, pulls, evictions, refused or failed pulls by reason). Registered on the
// operator's registry and on the API server's, since both render OCI artifact sources with caches
// of their own.
import { Counter, Gauge, type Registry } from "prom-client";

/** What the cache reports, as counters (structurally the cache's OciArtifactCacheMetrics). */
export interface OciArtifactCounters { hit(): void; miss(): void; evicted(): void; pullFailed(reason: string): void }

export class OciArtifactMetrics {
  readonly requests: Counter<"result">;
  readonly evictions: Counter;
  readonly pullFailures: Counter<"reason">;
  /** The cache's size, read at scrape time (watch). */
  private usage: (() => { entries: number; bytes: number }) | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: "hawser_oci_artifact_cache_requests_total",
      help: "Checkouts of OCI artifact sources by result: hit (a tree on disk, or a pull under way shared), miss (pulled from the registry).",
      labelNames: ["result"],
      registers,
    });
    this.evictions = new Counter({ name: "hawser_oci_artifact_cache_evictions_total", help: "Unpacked OCI artifacts removed to keep the cache within its bounds.", registers });
    this.pullFailures = new Counter({
      name: "hawser_oci_artifact_pull_failures_total",
      help: "OCI artifact pulls that failed or were refused, by reason (registry, manifest, digest, limit, content, aborted, disk).",
      labelNames: ["reason"],
      registers,
    });
    const usage = (): { entries: number; bytes: number } => this.usage?.() ?? { entries: 0, bytes: 0 };
    new Gauge({
      name: "hawser_oci_artifact_cache_entries",
      help: "Unpacked OCI artifacts in the cache (in use or not; pulls under way not counted).",
      registers,
      collect() {
        this.set(usage().entries);
      },
    });
    new Gauge({
      name: "hawser_oci_artifact_cache_bytes",
      help: "Bytes of file content of the unpacked OCI artifacts in the cache.",
      registers,
      collect() {
        this.set(usage().bytes);
      },
    });
  }

  /** The counters a cache reports to. Every result and each of `reasons` starts at 0, so the series exist before the first pull. */
  counters(reasons: readonly string[]): OciArtifactCounters {
    for (const result of ["hit", "miss"]) this.requests.inc({ result }, 0);
    for (const reason of reasons) this.pullFailures.inc({ reason }, 0);
    this.evictions.inc(0);
    return {
      hit: () => this.requests.inc({ result: "hit" }),
      miss: () => this.requests.inc({ result: "miss" }),
      evicted: () => this.evictions.inc(),
      pullFailed: (reason) => this.pullFailures.inc({ reason }),
    };
  }

  /** Where the cache's entries and bytes are read at each scrape. */
  watch(usage: () => { entries: number; bytes: number }): void {
    this.usage = usage;
  }
}
