// The API server's pod logs and revision routes (argo-cd-server.md §1.3, §3.6) through the real
// server on the real control plane: revision metadata of commits the test made (author, date,
// message, tags as git has them; an unknown commit is 404; a branch name is 400; a caller without
// `applications, get` gets the same 403 as for an app that does not exist), chart details of a
// chart in git and of one in a Helm repository, ocimetadata refused for a chart source, and pod
// logs: `logs, get` is checked, more pods than server.maxPodLogsToRender is 400, a pod outside
// the app's tree is refused, and an app pod's log is what the apiserver's pods/{name}/log gives
// (the dev cluster's kwok serves three fixed lines; filter, matchCase, tailLines and untilTime
// apply; an apiserver refusal becomes the entry's content), both as the stream and through
// `hawser app logs` (server and --core).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { API, createWorld, showRun, type CliRun } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { startHelmRepo } from "../support/helm-repo.js";
import { runGit } from "../../operator/git/exec.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { LineSplitter, parseLogLine } from "../../operator/engine/pod-logs.js";
import { KWOK_POD_LOG } from "../../operator/devcluster/kwok-stages.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse } from "../support/api-session.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`;
const chartYaml = (name: string, version: string, description: string): string =>
  `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: ${description}\nhome: https://example.com/${name}\nmaintainers:\n  - name: Ada\n    email: ada@example.com\n  - name: Bob\n`;
const chartTemplate = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  k: v\n";

interface LogEntry { content: string; timeStamp: string; timeStampStr: string; podName: string; last: boolean }

test("API server: revision metadata, chart details, ocimetadata, and pod logs of an app's pods only", async (t) => {
  const chartDir = await mkdtemp(join(tmpdir(), "hawser-logs-chart-"));
  t.after(() => rm(chartDir, { recursive: true, force: true }));
  await mkdir(join(chartDir, "demo", "templates"), { recursive: true });
  await writeFile(join(chartDir, "demo", "Chart.yaml"), chartYaml("demo", "0.2.0", "A chart from a Helm repository"));
  await writeFile(join(chartDir, "demo", "templates", "cm.yaml"), chartTemplate);
  const helm = await startHelmRepo({ chartDirs: [join(chartDir, "demo")] });
  t.after(() => helm.close());

  const w = await createWorld(t, {
    name: "logs",
    repos: { app: { "deploy.yaml": deployment, "chart/Chart.yaml": chartYaml("gitchart", "1.0.0", "A chart in git"), "chart/templates/cm.yaml": chartTemplate } },
    argocdCm: { "accounts.viewer": "apiKey", "accounts.stranger": "apiKey", "server.maxPodLogsToRender": "1" },
  });
  const { client, ns } = w;
  const dest = w.dest("logs");
  // viewer may get applications but not read logs; stranger may do nothing.
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: { "policy.csv": "p, role:applist, applications, get, */*, allow\ng, viewer, role:applist\n" } });
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  const password = await initialAdminPassword(client, ns);
  const call = jsonCaller(base);
  const show = showResponse;
  const admin = await sessionToken(call, "admin", password);
  const tokenOf = async (account: string): Promise<string> => {
    const r = await call("POST", `/api/v1/account/${account}/token`, {}, admin);
    assert.equal(r.status, 200, show(r));
    return (r.body as { token: string }).token;
  };
  const viewer = await tokenOf("viewer");
  const stranger = await tokenOf("stranger");

  // A commit with a known message and a tag, on top of the world's first one.
  const sha = await w.git.commitFiles("app", { "NOTES.md": "notes\n" }, "Add the notes\n\nThey say what the app is for.");
  await w.git.tag("app", "v1.0.0", sha);
  const gitDir = join(w.git.root, "app.git");
  const gitLog = async (format: string): Promise<string> => (await runGit(["log", "-1", `--format=${format}`, sha], { repoURL: "test", cwd: gitDir })).stdout.toString("utf8").trim();
  const authorDate = new Date(Number(await gitLog("%at")) * 1000).toISOString().replace(/\.000Z$/, "Z");

  await client.create(w.application("web", { repo: "app", path: ".", dest, syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] } }));
  await client.create(w.application("gitchart", { repo: "app", path: "chart", dest }));
  await client.create({ apiVersion: API, kind: "Application", metadata: { name: "repochart", namespace: ns }, spec: { project: "default", source: { repoURL: helm.url, chart: "demo", targetRevision: "0.2.0" }, destination: { server: "https://kubernetes.default.svc", namespace: dest } } });
  await eventually(async () => assert.ok(await client.get(API, "Application", "repochart", ns), "the chart app is created"), { timeoutMs: 30_000 });

  // ---- revision metadata ----
  const meta = await eventually(async () => {
    const r = await call("GET", `/api/v1/applications/web/revisions/${sha}/metadata`, undefined, admin);
    assert.equal(r.status, 200, show(r));
    return r.body as Record<string, unknown>;
  }, { timeoutMs: 30_000 });
  assert.deepEqual(meta, { author: "Hawser Test <test@hawser.invalid>", date: authorDate, tags: ["v1.0.0"], message: "Add the notes\n\nThey say what the app is for." });
  // A commit naming the commit it was made from, as Argo's source hydrator writes: references.
  const hydrated = await w.git.commitFiles("app", { "HYDRATED.md": "x\n" }, [
    "Hydrate", "", `Argocd-reference-commit-repourl: https://git.example/dry.git`, "Argocd-reference-commit-author: Dry Author <dry@example.com>",
    "Argocd-reference-commit-date: 2026-11-30T08:00:00Z", "Argocd-reference-commit-subject: Bump web", `Argocd-reference-commit-body: ${JSON.stringify("Why:\nfaster")}`,
    `Argocd-reference-commit-sha: ${sha}`,
  ].join("\n"));
  const refMeta = await eventually(async () => {
    const r = await call("GET", `/api/v1/applications/web/revisions/${hydrated}/metadata`, undefined, admin);
    assert.equal(r.status, 200, show(r));
    return r.body as { references?: unknown; signatureInfo?: unknown };
  }, { timeoutMs: 30_000 });
  assert.deepEqual(refMeta.references, [{ commit: { repoUrl: "https://git.example/dry.git", author: "Dry Author <dry@example.com>", date: "2026-11-30T08:00:00Z", subject: "Bump web", body: "Why:\nfaster", sha } }], "the trailers as Argo's RevisionReference");
  assert.equal(refMeta.signatureInfo, undefined, "no signatureInfo when the project requires no signatures (as Argo)");
  const short = await call("GET", `/api/v1/applications/web/revisions/${w.initialCommits.app!.slice(0, 10)}/metadata`, undefined, viewer);
  assert.equal(short.status, 200, `a caller with applications, get may read it, by a short SHA too: ${show(short)}`);
  assert.equal((short.body as { author: string }).author, "Hawser Test <test@hawser.invalid>");
  const unknown = await call("GET", "/api/v1/applications/web/revisions/0123456789abcdef0123456789abcdef01234567/metadata", undefined, admin);
  assert.equal(unknown.status, 404, `an unknown commit is NotFound: ${show(unknown)}`);
  assert.match((unknown.body as { message: string }).message, /revision 0123456789abcdef0123456789abcdef01234567 not found/);
  const branch = await call("GET", "/api/v1/applications/web/revisions/main/metadata", undefined, admin);
  assert.equal(branch.status, 400, `a branch is not a resolved revision: ${show(branch)}`);
  const denied = await call("GET", `/api/v1/applications/web/revisions/${sha}/metadata`, undefined, stranger);
  const missing = await call("GET", `/api/v1/applications/no-such-app/revisions/${sha}/metadata`, undefined, stranger);
  assert.equal(denied.status, 403, show(denied));
  assert.deepEqual([missing.status, (missing.body as { message: string }).message], [403, (denied.body as { message: string }).message], "an app that does not exist and one the caller may not see answer alike");
  const badIndex = await call("GET", `/api/v1/applications/web/revisions/${sha}/metadata?sourceIndex=1`, undefined, admin);
  assert.equal(badIndex.status, 400, show(badIndex));
  assert.match((badIndex.body as { message: string }).message, /sourceIndex 1 not found because there is only 1 source/);

  // ---- chart details: in git at a commit, and from a Helm repository at a version ----
  const gitChart = await call("GET", `/api/v1/applications/gitchart/revisions/${sha}/chartdetails`, undefined, admin);
  assert.equal(gitChart.status, 200, show(gitChart));
  assert.deepEqual(gitChart.body, { description: "A chart in git", home: "https://example.com/gitchart", maintainers: ["Ada <ada@example.com>", "Bob"] });
  const repoChart = await call("GET", "/api/v1/applications/repochart/revisions/0.2.0/chartdetails", undefined, viewer);
  assert.equal(repoChart.status, 200, show(repoChart));
  assert.deepEqual(repoChart.body, { description: "A chart from a Helm repository", home: "https://example.com/demo", maintainers: ["Ada <ada@example.com>", "Bob"] });
  const noVersion = await call("GET", "/api/v1/applications/repochart/revisions/9.9.9/chartdetails", undefined, admin);
  assert.equal(noVersion.status, 404, `an unknown chart version is NotFound: ${show(noVersion)}`);
  const notChart = await call("GET", `/api/v1/applications/web/revisions/${sha}/chartdetails`, undefined, admin);
  assert.equal(notChart.status, 404, `a git source without Chart.yaml is no chart: ${show(notChart)}`);
  const oci = await call("GET", "/api/v1/applications/repochart/revisions/0.2.0/ocimetadata", undefined, admin);
  assert.equal(oci.status, 400, show(oci));
  assert.match((oci.body as { message: string }).message, /^ocimetadata is for OCI artifact sources \(an oci:\/\/ repository without chart\); this source is Helm chart/, show(oci));

  // ---- pod logs ----
  const pods = await eventually(async () => {
    const list = await client.list("v1", "Pod", { namespace: dest, labelSelector: "app=web" });
    assert.equal(list.items.length, 2, "the Deployment's two pods exist");
    const app = await client.get<KubeObject & { status?: { resources?: unknown[] } }>(API, "Application", "web", ns);
    assert.ok((app?.status?.resources ?? []).length > 0, "the app lists its resources");
    return list.items.map((p) => p.metadata.name!).sort();
  }, { timeoutMs: 120_000 });
  const pod = pods[0]!;
  const noLogsRight = await call("GET", `/api/v1/applications/web/pods/${pod}/logs`, undefined, viewer);
  assert.equal(noLogsRight.status, 403, show(noLogsRight));
  assert.match(noLogsRight.text, /permission denied: logs, get, default\/web/);
  const tooMany = await call("GET", "/api/v1/applications/web/logs", undefined, admin);
  assert.equal(tooMany.status, 400, `2 pods with server.maxPodLogsToRender 1: ${show(tooMany)}`);
  assert.match(tooMany.text, /max pods to view logs are reached/);

  // A pod in the destination namespace that the app does not manage, and a kube-system pod by name.
  await client.create({ apiVersion: "v1", kind: "Pod", metadata: { name: "intruder", namespace: dest }, spec: { containers: [{ name: "c", image: "busybox" }] } });
  const intruder = await call("GET", "/api/v1/applications/web/pods/intruder/logs", undefined, admin);
  assert.equal(intruder.status, 404, `a pod outside the app's tree is refused: ${show(intruder)}`);
  assert.match(intruder.text, /pod intruder is not in the resource tree of application web/);
  const otherNs = await call("GET", `/api/v1/applications/web/pods/${pod}/logs?namespace=kube-system`, undefined, admin);
  assert.equal(otherNs.status, 404, `the same name in another namespace is not the app's: ${show(otherNs)}`);

  // What the apiserver itself says for this pod's log: the API must pass exactly that on.
  const direct = await client.stream("GET", `/api/v1/namespaces/${dest}/pods/${pod}/log`, { query: { timestamps: true, tailLines: 20 } });
  let directText = "";
  direct.setEncoding("utf8");
  for await (const c of direct) directText += c as string;
  assert.equal(direct.statusCode, 200, `the dev cluster serves pod logs (kwok's kubelet API): ${directText}`);
  const expected = new LineSplitter().push(directText).flatMap((l) => parseLogLine(pod, l)).map((l) => l.content);
  assert.deepEqual(expected, KWOK_POD_LOG.split("\n").filter(Boolean).map((l) => l.split(" ").slice(3).join(" ")), "kwok's log, as the dev cluster configures it");

  const logs = await call("GET", `/api/v1/applications/web/pods/${pod}/logs?tailLines=20&container=web`, undefined, admin);
  assert.equal(logs.status, 200, show(logs));
  assert.equal(logs.headers.get("content-type"), "application/json");
  const entries = logs.text.split("\n").filter((l) => l.trim()).map((l) => (JSON.parse(l) as { result: LogEntry }).result);
  assert.ok(entries.length >= 1, `at least the last entry: ${logs.text}`);
  const last = entries[entries.length - 1]!;
  assert.deepEqual([last.last, last.content, last.podName], [true, "", ""], `the stream ends with Argo's last entry: ${logs.text}`);
  const lines = entries.slice(0, -1);
  assert.deepEqual(lines.map((e) => e.content), expected, `the log as the apiserver gives it: ${logs.text}`);
  assert.deepEqual(lines.map((e) => e.timeStampStr), ["2026-01-01T00:00:00.000000001Z", "2026-01-01T00:00:01.000000002Z", "2026-01-01T00:00:02.000000003Z"], "the kubelet's timestamps");
  const contents = async (query: string): Promise<LogEntry[]> => {
    const r = await call("GET", `/api/v1/applications/web/pods/${pod}/logs?${query}`, undefined, admin);
    assert.equal(r.status, 200, show(r));
    return r.text.split("\n").filter((l) => l.trim()).map((l) => (JSON.parse(l) as { result: LogEntry }).result);
  };
  assert.deepEqual((await contents("filter=STDERR")).map((e) => e.content), ["hawser dev cluster: a line on stderr", ""], "filter keeps matching lines, case-insensitively");
  assert.deepEqual((await contents("filter=STDERR&matchCase=true")).map((e) => e.content), [""], "matchCase: no line has STDERR");
  assert.deepEqual((await contents("filter=!kwok")).map((e) => e.content), ["hawser dev cluster: a line on stderr", ""], "!kwok drops lines with kwok");
  assert.deepEqual((await contents("tailLines=1")).map((e) => e.content), ["hawser dev cluster: a line on stderr", ""], "tailLines goes to the apiserver");
  const until = await contents("untilTime=2026-01-01T00:00:00.5Z");
  assert.deepEqual(until.map((e) => [e.content, e.last]), [[expected[0], false], [expected[1], true]], "the first line past untilTime is the last entry");
  // The apiserver's refusal (an unknown container) is shown as the entry's content, as Argo does.
  const refusal = await contents("container=nope");
  assert.equal(refusal.length, 2, JSON.stringify(refusal));
  assert.match(refusal[0]!.content, /container nope is not valid for pod/, "the apiserver's own message");
  assert.equal(refusal[0]!.podName, pod);
  for (const e of lines) {
    assert.deepEqual([e.podName, e.last], [pod, false], `each line names its pod: ${JSON.stringify(e)}`);
    assert.match(e.timeStamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, "timeStamp is RFC 3339 in seconds");
  }
  const sse = await call("GET", `/api/v1/applications/web/pods/${pod}/logs?tailLines=20&container=web`, undefined, { token: admin, accept: "text/event-stream" });
  assert.equal(sse.headers.get("content-type"), "text/event-stream");
  assert.match(sse.text, /^data: \{"result":\{"content":/, `SSE framing: ${sse.text.slice(0, 200)}`);

  const download = await call("GET", `/api/v1/applications/web/pods/${pod}/logs?download=true&container=web`, undefined, admin);
  assert.equal(download.status, 200, show(download));
  assert.equal(download.headers.get("content-type"), "application/octet-stream");
  assert.equal(download.headers.get("content-disposition"), `attachment;filename="${dest}-${pod}-web.log"`);
  assert.equal(download.text, expected.map((l) => `${l}\n`).join(""), "download=true: the bare lines");

  // ---- hawser app logs, through the server and with --core ----
  const cliConfig = join(chartDir, "no-config");
  const viaServer = await new Promise<CliRun>((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", "app", "logs", "web", "--kind", "Pod", "--name", pod, "--container", "web", "--tail", "20", "--server", base.replace(/^http:\/\//, ""), "--plaintext", "--auth-token", admin],
      { cwd: root, encoding: "utf8", env: { ...process.env, HAWSER_CONFIG: cliConfig, HAWSER_AUTH_TOKEN: "", ARGOCD_AUTH_TOKEN: "" } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
  });
  assert.equal(viaServer.code, 0, showRun(viaServer));
  assert.deepEqual(viaServer.stdout.split("\n").filter(Boolean), expected, showRun(viaServer));
  const core = await w.hawserApp("logs", "web", "--kind", "Pod", "--name", pod, "--container", "web", "--tail", "20");
  assert.equal(core.code, 0, showRun(core));
  assert.deepEqual(core.stdout.split("\n").filter(Boolean), expected, showRun(core));
  const coreTooMany = await w.hawserApp("logs", "web");
  assert.equal(coreTooMany.code, 2, showRun(coreTooMany));
  assert.match(coreTooMany.stderr, /server.maxPodLogsToRender \(1\)/, showRun(coreTooMany));
});
