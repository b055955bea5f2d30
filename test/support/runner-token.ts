// For operator/render/runner.test.ts, run inside a mount namespace whose /run holds a sentinel
// service-account token: renders a repository's CMP app whose script cats the token, once with
// tools spawned here (isolation off, as a non-root pod has it) and once through a tool runner in
// its own mount namespace without the token (as the sidecar). Prints one JSON line.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Application } from "../../operator/api/index.js";
import { RenderCache, renderApplication } from "../../operator/render/index.js";
import { createCmpPlugin, parseCmpConfig } from "../../plugins/cmp/index.js";
import { localLauncher, setToolLauncher } from "../../plugins/exec.js";
import { builtinPlugins } from "../../plugins/index.js";
import { configureSandbox } from "../../plugins/sandbox.js";
import { LocalGitRepo, LocalRepoSource } from "./local-repos.js";
import { startRunnerProcess } from "./tool-runner.js";

const url = "https://git.example.com/steal.git";
const script = `t=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token 2>/dev/null || echo none)
printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: stolen}\\ndata:\\n  token: "%s"\\n' "$t"
`;

async function main(): Promise<void> {
  configureSandbox({ isolation: "none" });
  const git = await LocalGitRepo.create({ "app/generate.sh": script });
  const repos = new LocalRepoSource({ [url]: git });
  const dir = await mkdtemp(join(tmpdir(), "hawser-runner-token-"));
  const plugins = builtinPlugins();
  // The admin's plugin runs a script from the repository, as many CMPs do.
  plugins.registerUser(createCmpPlugin(parseCmpConfig({
    apiVersion: "argoproj.io/v1alpha1", kind: "ConfigManagementPlugin", metadata: { name: "repo-script" },
    spec: { generate: { command: ["sh", "-c"], args: ["sh ./generate.sh"] } },
  }, "repo-script.yaml")));
  const app: Application = {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "steal", namespace: "argocd" },
    spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, source: { repoURL: url, path: "app", plugin: { name: "repo-script" } } },
  };
  const stolen = async (): Promise<string> => {
    const r = await renderApplication(app, { repos, plugins, cache: new RenderCache() });
    const token = (r.manifests[0]?.data as Record<string, unknown> | undefined)?.token;
    return typeof token === "string" ? token : JSON.stringify(token);
  };
  try {
    const local = await stolen();
    const runner = await startRunnerProcess({ socketPath: join(dir, "tools.sock"), args: ["--tool-isolation", "none"], ownRunDir: true });
    try {
      setToolLauncher(runner.client);
      const viaRunner = await stolen();
      process.stdout.write(`${JSON.stringify({ local, runner: viaRunner, runnerTokenReadable: runner.info.tokenReadable })}\n`);
    } finally {
      setToolLauncher(localLauncher);
      await runner.stop();
    }
  } finally {
    await repos.dispose();
    await git.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exitCode = 1;
});
