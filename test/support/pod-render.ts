// One real render the way the operator runs in the chart's pod, for test/integration/helm-chart.test.ts:
// the operator flags come from the chart's container args (HAWSER_POD_ARGS, JSON) and go through
// the operator's own flag parsing and sandbox set-up; HOME and TMPDIR come from the container's
// env. It clones from a git server with the operator's repository cache (under $HOME/.cache, as in
// the pod) and renders a Helm chart with inline values and a Kustomize overlay with a name prefix,
// both of which write temporary files. Prints one JSON line: {"kinds": [...]} or {"error": "..."}.
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
  await setUpRenderSandbox(config, parseCmdParams({}), log);
  const deps = { repos: new RepoCache(), plugins: builtinPlugins(), cache: new RenderCache(), log };
  const kinds: string[] = [];
  const helm = await renderApplication(app("chart", { repoURL, path: "chart", targetRevision: "main", helm: { values: "name: from-inline-values\n" } }), deps);
  const kustomize = await renderApplication(app("overlay", { repoURL, path: "overlay", targetRevision: "main", kustomize: { namePrefix: "pod-" } }), deps);
  for (const m of [...helm.manifests, ...kustomize.manifests]) kinds.push(`${m.kind}/${m.metadata.name}`);
  process.stdout.write(`${JSON.stringify({ kinds })}\n`);
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exitCode = 1;
});
