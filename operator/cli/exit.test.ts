// Every offline CLI command exits as soon as its work is done (issue 11, item 3): `hawser render
// --app` with a git source used to print its output and then stay alive ~30 s, held by its git
// cat-file processes until their idle timeout. Each command runs in a child through a wrapper that,
// once `main` has returned, arms an unref'd watchdog: a process that exits on its own never fires
// it; one that something keeps alive reports what (its active resources) and exits 3.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const seeds = join(root, "test", "fixtures", "seeds");
/** Long enough for any process to finish exiting once main has returned; far below the old 30 s hang. */
const GRACE_MS = 10_000;

const WRAPPER = `
const { main } = await import(process.env.HAWSER_CLI);
process.exitCode = await main(process.argv.slice(2));
setTimeout(() => {
  process.stderr.write("STILL-ALIVE " + JSON.stringify(process.getActiveResourcesInfo()) + "\\n");
  process.exit(3);
}, ${GRACE_MS}).unref();
`;

async function gitRepo(from: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hawser-exit-"));
  await cp(from, dir, { recursive: true });
  const env = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
  await run("git", ["init", "-q", "-b", "main"], { cwd: dir, env });
  await run("git", ["add", "-A"], { cwd: dir, env });
  await run("git", ["commit", "-qm", "fixture"], { cwd: dir, env });
  return dir;
}

test("offline CLI commands exit once their work is done (attack on the old 30 s hang of render --app)", async (t) => {
  const demo = await gitRepo(join(seeds, "002", "repo-argocd-kustomize-demo"));
  const manifests = await gitRepo(join(seeds, "000", "repo-k8s-manifests"));
  const work = await mkdtemp(join(tmpdir(), "hawser-exit-w-"));
  t.after(() => Promise.all([demo, manifests, work].map((d) => rm(d, { recursive: true, force: true }))));
  const wrapper = join(work, "wrap.mjs");
  await writeFile(wrapper, WRAPPER);
  const demoRepo = `https://github.com/eocndp/argocd-kustomize-demo=${demo}`;
  const commands: string[][] = [
    ["render", "--app", join(seeds, "002", "app-demo-dev.yaml"), "--repo", demoRepo],
    ["render", "--app", join(seeds, "002", "app-demo-dev.yaml"), "--local", join(demo, "overlays", "dev")],
    ["appset", "generate", join(seeds, "000", "appset-git-directories.yaml"), "--repo", `https://github.com/myorg/k8s-manifests.git=${manifests}`],
    ["repo", "apps", demo],
    ["health", join(root, "operator", "cli", "testdata", "health-resources.yaml")],
    ["diff", "--target", join(root, "operator", "cli", "testdata", "diff-target"), "--live", join(root, "operator", "cli", "testdata", "diff-live.yaml")],
    ["sync-plan", "--target", join(root, "operator", "cli", "testdata", "diff-target")],
  ];
  for (const args of commands) {
    const res = await run(process.execPath, ["--import", "tsx", wrapper, ...args], {
      cwd: root, env: { ...process.env, HAWSER_CLI: pathToFileURL(join(root, "operator", "cli.ts")).href }, maxBuffer: 64 * 1024 * 1024,
    }).then((r) => ({ code: 0, stderr: r.stderr }), (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? "" }));
    assert.ok(!res.stderr.includes("STILL-ALIVE"), `hawser ${args.slice(0, 2).join(" ")} was still running ${GRACE_MS / 1000} s after finishing: ${res.stderr.split("\n").filter((l) => l.startsWith("STILL-ALIVE")).join(" ")}`);
    assert.notEqual(res.code, 2, `hawser ${args.slice(0, 2).join(" ")} ran (it is the exit, not the result, under test): ${res.stderr.slice(-500)}`);
  }
});
