// Unit tests of the scale harness's pure parts: statistics, /proc and Prometheus parsing, merging
// repetitions, the result table, the command line, and the webhook payload the scenarios send.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pushConcerns } from "../../operator/webhook/match.js";
import { parsePayload } from "../../operator/webhook/parse.js";
import { diffCounts, labelOf, mutating, parsePrometheus, parseStatTicks, parseVmHwmBytes, sumBy } from "./proc.js";
import { figureRows, mergeResults, renderMarkdown, textTable, type ResultRecord } from "./report.js";
import { parseArgs } from "./run.js";
import type { SampledProcess, ScenarioResult } from "./scenario.js";
import { operatorAppWrites } from "./apps.js";
import { percentile, spread } from "./stats.js";
import { githubPushPayload } from "./webhook.js";

test("percentile is nearest-rank; spread gives median, min and max", () => {
  const v = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(v, 50), 50, "p50 of 1..100");
  assert.equal(percentile(v, 99), 99, "p99 of 1..100");
  assert.equal(percentile(v, 100), 100, "p100 is the max");
  assert.equal(percentile([], 50), 0, "no values → 0");
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
});

test("/proc parsing: utime+stime after a command name with spaces and parens, VmHWM in bytes", () => {
  const stat = "1234 (node (tsx) x) S 1 1234 1234 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 11 0 100 0 0";
  assert.equal(parseStatTicks(stat), 325, "fields 14 and 15");
  assert.equal(parseVmHwmBytes("Name:\tnode\nVmPeak:\t 900 kB\nVmHWM:\t  2048 kB\nVmRSS:\t 1000 kB\n"), 2048 * 1024);
  assert.throws(() => parseVmHwmBytes("Name: x\n"), /VmHWM/, "a status without VmHWM is an error, not 0");
});

test("Prometheus text: series with labels, sums by label, mutating verbs", () => {
  const m = parsePrometheus([
    "# HELP apiserver_request_total x",
    "# TYPE apiserver_request_total counter",
    'apiserver_request_total{code="200",component="apiserver",resource="configmaps",verb="PATCH"} 7',
    'apiserver_request_total{code="201",component="apiserver",resource="configmaps",verb="POST"} 3',
    'apiserver_request_total{code="200",component="apiserver",resource="pods",verb="LIST"} 5',
    'apiserver_request_total{code="200",component="apiserver",resource="leases",verb="PUT"} 2 1700000000000',
    "process_cpu_seconds_total 1.5",
  ].join("\n"));
  assert.equal(m.get("process_cpu_seconds_total"), 1.5, "series without labels");
  assert.equal(labelOf('x{a="1",verb="GET"}', "verb"), "GET");
  const byVerb = sumBy(m, "apiserver_request_total", "verb");
  assert.deepEqual(byVerb, { PATCH: 7, POST: 3, LIST: 5, PUT: 2 }, "a trailing timestamp is not the value");
  assert.equal(mutating(byVerb), 12, "PATCH + POST + PUT");
  assert.deepEqual(diffCounts({ PATCH: 7, GET: 1 }, { PATCH: 9, GET: 1, POST: 2 }), { PATCH: 2, POST: 2 }, "only what changed");
});

const result = (seconds: number, met: boolean, ok: boolean): ScenarioResult => ({
  inputs: { apps: 10 },
  phases: [{ phase: "create", runs: [{ seconds, appsPerSec: 10 / seconds }], target: { text: "≤ 30 s", met } }],
  checks: [{ name: "all Synced", ok }],
  notes: ["same note"],
});

test("repetitions merge by phase: runs concatenated, a target met only if met in every run", () => {
  const merged = mergeResults([result(10, true, true), result(20, false, true), result(30, true, false)]);
  assert.equal(merged.phases.length, 1, "one phase");
  assert.deepEqual(merged.phases[0]!.runs.map((r) => r.seconds), [10, 20, 30]);
  assert.equal(merged.phases[0]!.target?.met, false, "one run missed it");
  assert.equal(merged.checks.length, 3, "every run's checks kept");
  assert.deepEqual(merged.notes, ["same note"], "notes deduplicated");
  const rows = figureRows(merged);
  assert.deepEqual(rows[0], ["create", "seconds", "20", "10–30", "≤ 30 s: NOT met"], "median and range");
  assert.match(textTable(merged), /^phase +figure +median/, "the terminal table has a header");
});

test("the Markdown result names the run, W_max, the figures and failed checks", () => {
  const rec: ResultRecord = {
    scenario: "p2", title: "many apps", command: "npm run bench -- p2 --n 10", n: 10, repetitions: 1,
    startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:01:00Z", versions: { node: "v20" },
    machine: { cores: 2, cpuModel: "cpu", memoryBytes: 2 ** 30, loadStart: 1, loadEnd: 2 },
    p0: { wMax: 250, createRps: 200, updateRps: 250, createP99Ms: 300, updateP99Ms: 200, count: 5000 },
    runs: [{ wallMs: 1000, operators: [{ pid: 1, cpuSeconds: 2, peakRssBytes: 2 ** 20 * 100 }], apiserverRequests: { POST: 10 }, hawserMetrics: {} }],
    result: result(10, true, false),
  };
  const md = renderMarkdown(rec);
  assert.match(md, /\*\*250 writes\/s\*\*/, "W_max stated");
  assert.match(md, /\| create \| seconds \| 10 \|/, "figure row");
  assert.match(md, /- FAILED: all Synced/, "a failed check is visible");
  assert.match(md, /load average 1\.00 at the start, 2\.00 at the end/, "load average recorded");
  assert.match(md, /100 MiB/, "peak RSS");
});

test("command line: scenarios and flags; bad input names the flag", () => {
  const a = parseArgs(["p2", "p3", "--n", "1000", "--runs", "3", "--p0", "0"]);
  assert.deepEqual(a.scenarios, ["p2", "p3"]);
  assert.equal(a.n, 1000);
  assert.equal(a.runs, 3);
  assert.equal(a.p0, 0);
  assert.throws(() => parseArgs(["p2", "--n", "many"]), /--n needs a number/);
  assert.throws(() => parseArgs(["p2", "--fast"]), /unknown flag --fast/);
  assert.throws(() => parseArgs([]), /name at least one scenario/);
  assert.throws(() => parseArgs(["load"]), /scenario names are p0…p12/);
});

test("the push webhook the scenarios send is a GitHub push the operator parses and matches to the repo's apps", () => {
  const repoUrl = "http://127.0.0.1:4567/apps.git";
  const body = Buffer.from(JSON.stringify(githubPushPayload({ repoUrl, after: "a".repeat(40) })));
  const parsed = parsePayload("github", { "x-github-event": "push" }, body);
  assert.equal(parsed.kind, "push", `parsed as a push: ${JSON.stringify(parsed)}`);
  if (parsed.kind !== "push") return;
  assert.equal(parsed.event.revision, "main");
  assert.equal(parsed.event.after, "a".repeat(40));
  assert.ok(pushConcerns([{ repoURL: repoUrl, targetRevision: "HEAD", path: "apps/app-00001" }], undefined, parsed.event), "an app of that repository at HEAD is refreshed");
  assert.ok(!pushConcerns([{ repoURL: "http://127.0.0.1:4567/other.git", targetRevision: "HEAD", path: "x" }], undefined, parsed.event), "an app of another repository is not");
});

test("operatorAppWrites: the operator's mutating requests to Applications and their status, nothing else", async () => {
  const scrape = parsePrometheus([
    'hawser_kube_requests_total{code="200",resource="applications/status",verb="PATCH"} 3',
    'hawser_kube_requests_total{code="409",resource="applications/status",verb="PATCH"} 1',
    'hawser_kube_requests_total{code="200",resource="applications",verb="PATCH"} 2',
    'hawser_kube_requests_total{code="200",resource="applications",verb="GET"} 7',
    'hawser_kube_requests_total{code="200",resource="configmaps",verb="PATCH"} 5',
    'hawser_kube_requests_total{code="201",resource="events",verb="POST"} 4',
  ].join("\n"));
  const op = { scrape: () => Promise.resolve(scrape) } as unknown as SampledProcess;
  assert.equal(await operatorAppWrites(op), 6, "PATCHes of applications and applications/status, refused ones included");
});
