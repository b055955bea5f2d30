import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { resolveTool } from "../devcluster/binaries.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const seed = join(root, "hack", "demo", "seed-002");

async function localRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hawser-render-cli-"));
  await cp(join(seed, "repo-argocd-kustomize-demo"), dir, { recursive: true });
  const env = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
  await run("git", ["init", "-q", "-b", "main"], { cwd: dir, env });
  await run("git", ["add", "-A"], { cwd: dir, env });
  await run("git", ["commit", "-qm", "seed 002"], { cwd: dir, env });
  return dir;
}

const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as { kind: string; metadata: { name: string } }).filter(Boolean)
  .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));

test("hawser render of seed 002 equals kustomize build of the same overlay", async () => {
  const repo = await localRepo();
  const { stdout } = await run(process.execPath, ["--import", "tsx", "operator/cli.ts", "render", "--app", join(seed, "app-demo-dev.yaml"), "--repo", `https://github.com/eocndp/argocd-kustomize-demo=${repo}`], { cwd: root });
  const kustomize = await resolveTool("kustomize");
  const direct = await run(kustomize, ["build", join(repo, "overlays", "dev")]);
  assert.deepEqual(objects(stdout), objects(direct.stdout));
  assert.deepEqual(objects(stdout).map((o) => `${o.kind}/${o.metadata.name}`), ["Deployment/dev-demo", "Service/dev-demo"]);
});

test("hawser render reports bad input on stderr with exit 2", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-render-bad-"));
  await writeFile(join(dir, "app.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  const notApp = await run(process.execPath, ["--import", "tsx", "operator/cli.ts", "render", "--app", join(dir, "app.yaml")], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
  assert.equal((notApp as { code: number }).code, 2);
  assert.match((notApp as { stderr: string }).stderr, /is not an Application/);
  const noApp = await run(process.execPath, ["--import", "tsx", "operator/cli.ts", "render"], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
  assert.equal((noApp as { code: number }).code, 2);
  assert.match((noApp as { stderr: string }).stderr, /--app FILE is required/);
});
