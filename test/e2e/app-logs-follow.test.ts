// Followed pod logs (argo-cd-server.md §1.3 `.../pods/{podName}/logs?follow=true`, `hawser app logs
// --follow`) through the real server on the real control plane. The dev cluster's kwok serves the
// log of containers named KWOK_FOLLOW_CONTAINER from a file of the cluster's (kwok-follow.log), so
// the test appends lines to it and watches them arrive on a stream that stays open. Proven here: a
// caller without `logs, get` is refused (REST and CLI) before anything is streamed; the REST stream
// delivers each new line while open and ends when the client aborts; it ends by itself, with
// Argo's `last` entry, once the pod is deleted; `hawser app logs --follow` through the server
// prints new lines as they come and stops on Ctrl-C (SIGINT); with --core it ends when the pod
// is deleted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeObject } from "../../operator/kube/client.js";
import { KWOK_FOLLOW_CONTAINER, KWOK_FOLLOW_LOG_FILE } from "../../operator/devcluster/kwok-stages.js";
import { API, createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse as show } from "../support/api-session.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: tail
spec:
  replicas: 1
  selector: {matchLabels: {app: tail}}
  template:
    metadata: {labels: {app: tail}}
    spec:
      containers: [{name: ${KWOK_FOLLOW_CONTAINER}, image: "busybox:1.36"}]
`;

interface LogEntry { content?: string; podName?: string; last?: boolean }

interface FollowedStream {
  status: number;
  entries: LogEntry[];
  /** "ended" when the server closed the stream, "aborted" after abort(). */
  done: Promise<"ended" | "aborted">;
  abort(): void;
}

/** Opens a followed NDJSON log stream and collects its entries as they arrive. */
async function openFollow(url: string, token: string): Promise<FollowedStream> {
  const ctl = new AbortController();
  // Uncompressed, so each entry is readable as soon as it is sent.
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, "accept-encoding": "identity" }, signal: ctl.signal });
  const entries: LogEntry[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const done = (async (): Promise<"ended" | "aborted"> => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return "ended";
        buffered += decoder.decode(chunk.value, { stream: true });
        for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) entries.push((JSON.parse(line) as { result: LogEntry }).result);
        }
      }
    } catch (err) {
      if (ctl.signal.aborted) return "aborted";
      throw err;
    }
  })();
  return { status: res.status, entries, done, abort: () => ctl.abort() };
}

interface RunningCli { stdout(): string; stderr(): string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; kill(signal: NodeJS.Signals): void }

/** `hawser app logs ...` as a running process whose output can be read while it runs. */
function startCli(args: string[], home: string, env: NodeJS.ProcessEnv = {}): RunningCli {
  const proc = spawn(process.execPath, ["--import", "tsx", "operator/cli.ts", "app", "logs", ...args], {
    cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HAWSER_CONFIG: join(home, "config"), HAWSER_AUTH_TOKEN: "", ARGOCD_AUTH_TOKEN: "", ...env },
  });
  let out = "";
  let err = "";
  proc.stdout.setEncoding("utf8").on("data", (c: string) => { out += c; });
  proc.stderr.setEncoding("utf8").on("data", (c: string) => { err += c; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  return { stdout: () => out, stderr: () => err, exited, kill: (signal) => { proc.kill(signal); } };
}

/** Resolves with `p`, or fails naming `what` when it takes longer than `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what()}`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

test("followed pod logs: new lines arrive while the stream is open; it ends on abort, on Ctrl-C and when the pod is deleted; logs,get is required", async (t) => {
  const w = await createWorld(t, { name: "follow", repos: { app: { "deploy.yaml": deployment } }, argocdCm: { "accounts.viewer": "apiKey" } });
  const { client, ns } = w;
  const dest = w.dest("follow");
  const logFile = join(dirname(w.cluster.kubeconfigPath), KWOK_FOLLOW_LOG_FILE);
  assert.ok(existsSync(logFile), `the dev cluster serves the log of ${KWOK_FOLLOW_CONTAINER} containers from ${logFile} (a cluster started by an older Hawser lacks it)`);
  /** Appends one line in kwok's CRI log format, time-stamped now. */
  const logLine = (text: string): Promise<void> => appendFile(logFile, `${new Date().toISOString()} stdout F ${text}\n`);
  const home = await mkdtemp(join(tmpdir(), "hawser-follow-"));
  t.after(() => rm(home, { recursive: true, force: true }));

  // viewer may get applications but not read logs.
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: { "policy.csv": "p, role:applist, applications, get, */*, allow\ng, viewer, role:applist\n" } });
  await client.create(w.application("tail", { repo: "app", path: ".", dest, syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] } }));
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  const call = jsonCaller(base);
  const admin = await sessionToken(call, "admin", await initialAdminPassword(client, ns));
  const tokenResponse = await call("POST", "/api/v1/account/viewer/token", {}, admin);
  assert.equal(tokenResponse.status, 200, show(tokenResponse));
  const viewer = (tokenResponse.body as { token: string }).token;
  const serverFlags = (token: string): string[] => ["--server", base.replace(/^http:\/\//, ""), "--plaintext", "--auth-token", token];

  /** The Deployment's running pod (other than `not`), once the app lists its resources. */
  const runningPod = (not?: string): Promise<string> => eventually(async () => {
    const pods = (await client.list<KubeObject & { status?: { phase?: string } }>("v1", "Pod", { namespace: dest, labelSelector: "app=tail" })).items
      .filter((p) => p.metadata.name !== not && !p.metadata.deletionTimestamp && p.status?.phase === "Running");
    assert.equal(pods.length, 1, `one running pod of the Deployment besides ${not ?? "none"}`);
    const app = await client.get<KubeObject & { status?: { resources?: unknown[] } }>(API, "Application", "tail", ns);
    assert.ok((app?.status?.resources ?? []).length > 0, "the app lists its resources");
    return pods[0]!.metadata.name!;
  }, { timeoutMs: 120_000 });
  const logsUrl = (pod: string): string => `${base}/api/v1/applications/tail/pods/${pod}/logs?follow=true&container=${KWOK_FOLLOW_CONTAINER}`;
  const tag = w.id;
  const contents = (s: FollowedStream): string[] => s.entries.map((e) => e.content ?? "");

  const pod1 = await runningPod();

  await t.test("without logs,get the followed stream and the CLI are refused before anything is streamed", async () => {
    const denied = await call("GET", `/api/v1/applications/tail/pods/${pod1}/logs?follow=true&container=${KWOK_FOLLOW_CONTAINER}`, undefined, viewer);
    assert.equal(denied.status, 403, show(denied));
    assert.match(denied.text, /permission denied: logs, get, default\/tail/, show(denied));
    const cli = startCli(["tail", "--kind", "Pod", "--name", pod1, "--container", KWOK_FOLLOW_CONTAINER, "--follow", ...serverFlags(viewer)], home);
    const exit = await within(cli.exited, 60_000, () => `the refused CLI did not exit: ${cli.stderr()}`);
    assert.notEqual(exit.code, 0, `the CLI fails: ${cli.stderr()}`);
    assert.match(cli.stderr(), /permission denied/, cli.stderr());
    assert.equal(cli.stdout(), "", "nothing of the log was printed");
  });

  await t.test("the REST stream delivers new lines while open and ends when the client aborts", async () => {
    const opening = openFollow(logsUrl(pod1), admin);
    // The answer's headers go out with its first entry: give it one.
    await logLine(`rest-first-${tag}`);
    const s = await within(opening, 60_000, () => "the followed stream did not open");
    assert.equal(s.status, 200, "the followed stream is open");
    await eventually(async () => assert.ok(contents(s).includes(`rest-first-${tag}`), `the first line arrived: ${JSON.stringify(s.entries)}`), { timeoutMs: 30_000 });
    await logLine(`rest-second-${tag}`);
    await eventually(async () => assert.ok(contents(s).includes(`rest-second-${tag}`), `a line written after the stream opened arrived: ${JSON.stringify(s.entries)}`), { timeoutMs: 30_000 });
    assert.ok(s.entries.every((e) => !e.last), "still following: no last entry yet");
    assert.ok(s.entries.every((e) => e.podName === pod1), `each entry names the pod: ${JSON.stringify(s.entries)}`);
    s.abort();
    assert.equal(await within(s.done, 10_000, () => "the aborted stream did not settle"), "aborted", "the client's abort ends the stream");
    // The server dropped that request's upstream log, and serves the next one as before.
    const again = await call("GET", `/api/v1/applications/tail/pods/${pod1}/logs?container=${KWOK_FOLLOW_CONTAINER}`, undefined, admin);
    assert.equal(again.status, 200, show(again));
    assert.match(again.text, new RegExp(`rest-second-${tag}`), "an unfollowed read shows the file so far");
  });

  await t.test("the REST stream ends by itself, with the last entry, once its pod is deleted", async () => {
    const opening = openFollow(logsUrl(pod1), admin);
    await logLine(`before-delete-${tag}`);
    const s = await within(opening, 60_000, () => "the followed stream did not open");
    assert.equal(s.status, 200);
    await eventually(async () => assert.ok(contents(s).includes(`before-delete-${tag}`), JSON.stringify(s.entries)), { timeoutMs: 30_000 });
    await client.delete({ apiVersion: "v1", kind: "Pod", name: pod1, namespace: dest });
    assert.equal(await within(s.done, 60_000, () => `the stream outlived its pod: ${JSON.stringify(s.entries.slice(-3))}`), "ended", "the server closed the stream");
    const last = s.entries[s.entries.length - 1];
    assert.deepEqual([last?.last, last?.content ?? ""], [true, ""], `Argo's last entry closes it: ${JSON.stringify(s.entries.slice(-3))}`);
  });

  await t.test("hawser app logs --follow through the server prints new lines and stops on Ctrl-C", async () => {
    const pod2 = await runningPod(pod1);
    const cli = startCli(["tail", "--kind", "Pod", "--name", pod2, "--container", KWOK_FOLLOW_CONTAINER, "--follow", ...serverFlags(admin)], home);
    t.after(() => cli.kill("SIGKILL"));
    await logLine(`cli-first-${tag}`);
    await eventually(async () => assert.ok(cli.stdout().includes(`cli-first-${tag}\n`), `stdout: ${cli.stdout()} stderr: ${cli.stderr()}`), { timeoutMs: 60_000 });
    await logLine(`cli-second-${tag}`);
    await eventually(async () => assert.ok(cli.stdout().includes(`cli-second-${tag}\n`), `a new line is printed as it comes: ${cli.stdout()}`), { timeoutMs: 30_000 });
    cli.kill("SIGINT");
    const exit = await within(cli.exited, 15_000, () => "the CLI kept following after SIGINT");
    assert.ok(exit.signal === "SIGINT" || exit.code === 130 || exit.code === 0, `Ctrl-C ends it: ${JSON.stringify(exit)} ${cli.stderr()}`);
    assert.doesNotMatch(cli.stderr(), /permission denied|broke off/, cli.stderr());
  });

  await t.test("hawser app logs --follow --core ends when the pod is deleted", async () => {
    const pod2 = await runningPod(pod1);
    const cli = startCli(["tail", "--kind", "Pod", "--name", pod2, "--container", KWOK_FOLLOW_CONTAINER, "--follow", "--core", "--kubeconfig", w.cluster.kubeconfigPath, "-n", ns], home, { HAWSER_INSTALLATION_ID: ns });
    t.after(() => cli.kill("SIGKILL"));
    await logLine(`core-${tag}`);
    await eventually(async () => assert.ok(cli.stdout().includes(`core-${tag}\n`), `stdout: ${cli.stdout()} stderr: ${cli.stderr()}`), { timeoutMs: 60_000 });
    await client.delete({ apiVersion: "v1", kind: "Pod", name: pod2, namespace: dest });
    const exit = await within(cli.exited, 60_000, () => `the CLI kept following a deleted pod: ${cli.stderr()}`);
    assert.deepEqual([exit.code, exit.signal], [0, null], `it ends normally: ${cli.stderr()}`);
  });
});
