// One real render the way the operator runs in the chart's pod, for test/integration/helm-chart.test.ts:
// the operator flags come from the chart's container args (HAWSER_POD_ARGS, JSON) and go through
// the operator's own flag parsing and sandbox set-up; HOME and TMPDIR come from the container's
// env. It clones from a git server with the operator's repository cache (under $HOME/.cache, as in
// the pod) and renders a Helm chart with inline values and a Kustomize overlay with a name prefix,
// both of which write temporary files. Prints one JSON line: {"kinds": [...]} or {"error": "..."}.
//
// With HAWSER_POD_RUNNER ({args, env, nsSetup}: the chart's tool-runner container) the runner is
// started first, in its own mount namespace prepared by nsSetup (the mounts the runner container
// lacks or has read-only), and the operator's flags send every tool to it. With HAWSER_POD_TOKEN
// (the operator container's token path) a sentinel token is put there and a repository's plugin
// script that cats it is rendered too: {"stolen": what the script saw}.
import { writeFile } from "node:fs/promises";
import { createCmpPlugin, parseCmpConfig } from "../../plugins/cmp/index.js";
import { startRunnerProcess, type RunnerProcess } from "./tool-runner.js";
import { parseCmdParams, parseOperatorConfig, type OperatorConfig } from "../../operator/config.js";
import { RepoCache } from "../../operator/git/repo-cache.js";
import { setUpRenderSandbox } from "../../operator/operator.js";
import { RenderCache, renderApplication } from "../../operator/render/index.js";
import { createLogger } from "../../operator/runtime/logger.js";
import { builtinPlugins } from "../../plugins/index.js";
import type { Application } from "../../operator/api/index.js";

const app = (name: string, source: Application["spec"]["source"]): Application => ({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace: "argocd" },
  spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, source },
});

async function main(): Promise<void> {
  const args = JSON.parse(process.env.HAWSER_POD_ARGS ?? "[]") as string[];
  const repoURL = process.env.HAWSER_POD_REPO ?? "";
  const config = parseOperatorConfig(args[0] === "operator" ? args.slice(1) : args) as OperatorConfig;
  const log = createLogger({ level: "warn" });
  const tokenPath = process.env.HAWSER_POD_TOKEN;
  if (tokenPath) await writeFile(tokenPath, "s3ntinel-sa-token");
  let runner: RunnerProcess | undefined;
  if (process.env.HAWSER_POD_RUNNER) {
    const spec = JSON.parse(process.env.HAWSER_POD_RUNNER) as { args: string[]; env: Record<string, string>; nsSetup: string };
    const socket = spec.args.find((a) => a.startsWith("--socket="))?.slice("--socket=".length) ?? "";
    runner = await startRunnerProcess({ socketPath: socket, args: spec.args.filter((a) => a !== "tool-runner"), env: spec.env, nsSetup: spec.nsSetup });
  }
  try {
    await setUpRenderSandbox(config, parseCmdParams({}), log);
    const plugins = builtinPlugins();
    plugins.registerUser(createCmpPlugin(parseCmpConfig({
      apiVersion: "argoproj.io/v1alpha1", kind: "ConfigManagementPlugin", metadata: { name: "repo-script" },
      spec: { generate: { command: ["sh", "-c"], args: ["sh ./generate.sh"] } },
    }, "repo-script.yaml")));
    const deps = { repos: new RepoCache(), plugins, cache: new RenderCache(), log };
    const kinds: string[] = [];
    const helm = await renderApplication(app("chart", { repoURL, path: "chart", targetRevision: "main", helm: { values: "name: from-inline-values\n" } }), deps);
    const kustomize = await renderApplication(app("overlay", { repoURL, path: "overlay", targetRevision: "main", kustomize: { namePrefix: "pod-" } }), deps);
    for (const m of [...helm.manifests, ...kustomize.manifests]) kinds.push(`${m.kind}/${m.metadata.name}`);
    let stolen: unknown;
    if (tokenPath) {
      const steal = await renderApplication(app("steal", { repoURL, path: "steal", targetRevision: "main", plugin: { name: "repo-script" } }), deps);
      stolen = (steal.manifests[0]?.data as Record<string, unknown> | undefined)?.token;
    }
    process.stdout.write(`${JSON.stringify(tokenPath ? { kinds, stolen } : { kinds })}\n`);
  } finally {
    await runner?.stop();
  }
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exitCode = 1;
});
