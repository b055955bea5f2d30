// Renders through the tool-runner sidecar (plugins/runner/), started as its own process the way
// the chart runs it: the same manifests as local spawning with real helm, kustomize and jsonnet,
// and (as root) the attack the sidecar exists for: a repository's plugin command that reads the
// service-account token gets it when tools run beside the operator and gets nothing through the
// runner, whose container has no token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Application } from "../api/index.js";
import { localLauncher, setToolLauncher } from "../../plugins/exec.js";
import { builtinPlugins } from "../../plugins/index.js";
import { configureSandbox } from "../../plugins/sandbox.js";
import { LocalGitRepo, LocalRepoSource } from "../../test/support/local-repos.js";
import { startRunnerProcess } from "../../test/support/tool-runner.js";
import { RenderCache, renderApplication, type RenderDeps } from "./index.js";

const URL_ = "https://git.example.com/runner.git";

function app(name: string, source: Application["spec"]["source"]): Application {
  return {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace: "argocd" },
    spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, source },
  };
}

const files: Record<string, string> = {
  "chart/Chart.yaml": "apiVersion: v2\nname: runnerchart\nversion: 0.1.0\n",
  "chart/values.yaml": "color: red\n",
  "chart/values-prod.yaml": "color: blue\n",
  "chart/files/greeting.txt": "hello from .Files\n",
  "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-cm}\ndata:\n  color: {{ .Values.color | quote }}\n  size: {{ .Values.size | quote }}\n  greeting: {{ .Files.Get \"files/greeting.txt\" | quote }}\n",
  "overlay/kustomization.yaml": "resources: [cm.yaml]\npatches:\n  - target: {kind: ConfigMap}\n    patch: |-\n      - op: add\n        path: /data/patched\n        value: \"yes\"\n",
  "overlay/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: overlay}\ndata: {a: b}\n",
  "jsonnet/main.jsonnet": "{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'js-' + std.extVar('env') }, data: { n: std.toString(std.length([1, 2, 3])) } }\n",
};

const apps = [
  app("chart", { repoURL: URL_, path: "chart", targetRevision: "main", helm: { valueFiles: ["values-prod.yaml"], values: "size: large\n", parameters: [{ name: "color", value: "green" }] } }),
  app("overlay", { repoURL: URL_, path: "overlay", targetRevision: "main", kustomize: { namePrefix: "p-", commonLabels: { team: "a" }, images: ["nginx=nginx:1.27"] } }),
  app("jsonnet", { repoURL: URL_, path: "jsonnet", targetRevision: "main", directory: { jsonnet: { extVars: [{ name: "env", value: "prod" }] } } }),
];

async function renderAll(deps: RenderDeps): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const a of apps) out.push((await renderApplication(a, deps)).manifests);
  return out;
}

test("a render through a tool-runner process gives the same manifests as local spawning (real helm, kustomize, jsonnet)", async (t) => {
  const git = await LocalGitRepo.create(files);
  const repos = new LocalRepoSource({ [URL_]: git });
  const dir = await mkdtemp(join(tmpdir(), "hawser-runner-render-"));
  t.after(async () => {
    setToolLauncher(localLauncher);
    await repos.dispose();
    await git.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  const deps = (): RenderDeps => ({ repos, plugins: builtinPlugins(), cache: new RenderCache(), kubeVersion: "1.36.3", apiVersions: ["v1"] });

  const local = await renderAll(deps());
  assert.match(JSON.stringify(local), /hello from \.Files/, "the chart really rendered with helm");
  assert.match(JSON.stringify(local), /"patched":"yes"/, "the overlay really rendered with kustomize");
  assert.match(JSON.stringify(local), /js-prod/, "the jsonnet really evaluated");

  const runner = await startRunnerProcess({ socketPath: join(dir, "tools.sock") });
  try {
    setToolLauncher(runner.client);
    assert.deepEqual(await renderAll(deps()), local, "the same manifests through the runner");
  } finally {
    await runner.stop();
  }
  // With the runner gone, renders fail: the tools above really ran in it, not here.
  await assert.rejects(renderAll(deps()), /cannot reach the tool runner at .*tools\.sock|tool runner closed the connection/);
});

test("attack: a repository's plugin command reads the service-account token beside the operator, and gets nothing through the runner", async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip("needs root: private mount namespaces hold the sentinel token and the runner's view");
    return;
  }
  // In a private mount namespace /run (= /var/run) holds a sentinel token where a pod has it; the
  // support script renders a CMP app whose command cats the token, once with tools spawned here
  // (isolation off, as in a non-root pod) and once through a runner started in its own mount
  // namespace with an empty /run, as the sidecar container has no token mount.
  const setup = 'mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && '
    + 'printf s3ntinel-sa-token > /run/secrets/kubernetes.io/serviceaccount/token && exec "$@"';
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const { stdout } = await promisify(execFile)("unshare", ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", setup, "setup",
    process.execPath, "--import", "tsx", "test/support/runner-token.ts"], { cwd: root, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/" }, timeout: 240_000 });
  const seen = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as { local?: string; runner?: string; runnerTokenReadable?: boolean; error?: string };
  assert.equal(seen.error, undefined, `the support script ran: ${stdout}`);
  assert.equal(seen.local, "s3ntinel-sa-token", "spawned beside the operator, the plugin reads the token (the setup is real)");
  assert.equal(seen.runnerTokenReadable, false, "the runner reports that it cannot read a token");
  assert.ok(seen.runner !== undefined && !seen.runner.includes("s3ntinel"), `through the runner the plugin gets no token: ${JSON.stringify(seen.runner)}`);
  configureSandbox({});
});
