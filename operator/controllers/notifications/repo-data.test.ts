import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinPlugins } from "../../../plugins/index.js";
import type { Checkout } from "../../git/types.js";
import { RepoDataFetcher, type RepoReader } from "./repo-data.js";

const URL = "https://git.example.com/org/private.git";
const SHA = "0123456789abcdef0123456789abcdef01234567";

/** A reader as a project's git cache: team-a's reaches the repository, any other's is refused by the server. */
function reader(dir: string, reachable: boolean, calls: string[], name: string): RepoReader {
  const refuse = (): never => { throw new Error(`authentication failed for ${URL}`); };
  return {
    resolveRevision: async () => { calls.push(`${name} resolve`); return reachable ? SHA : refuse(); },
    checkout: async (repoURL: string, commit: string): Promise<Checkout> => {
      calls.push(`${name} checkout`);
      if (!reachable) refuse();
      return { repoURL, commit, path: dir, release: () => undefined };
    },
    listFiles: async () => [],
    listDirectories: async () => [],
    readFile: async () => refuse(),
    revisionMetadata: async (_url: string, revision: string) => {
      calls.push(`${name} metadata`);
      if (!reachable) refuse();
      return { sha: revision, message: "private message", author: "alice", date: "2026-01-01T00:00:00Z", tags: [] };
    },
  };
}

const app = (project: string) => ({
  metadata: { name: `${project}-app`, namespace: "argocd" },
  spec: { project, source: { repoURL: URL, path: "app", targetRevision: "HEAD" } },
  status: { sync: { revision: SHA } },
});

test("repo helpers read git with the app's project's access; one project's answers never serve another's app", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hawser-repo-data-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "app"));
  writeFileSync(join(dir, "app", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");
  const calls: string[] = [];
  const teamA = reader(dir, true, calls, "team-a");
  const others = reader(dir, false, calls, "shared");
  const fetcher = new RepoDataFetcher((a) => ((a.spec as { project?: string }).project === "team-a" ? teamA : others), builtinPlugins());
  const used = { commitMetadata: true, appDetails: true };

  const a = await fetcher.fetch(app("team-a"), used);
  assert.equal(a.commits?.[SHA]?.message, "private message");
  assert.equal(a.appDetails?.type, "Directory");
  // Attack: the same source and revision, asked for right after team-a's answers were kept.
  calls.length = 0;
  await assert.rejects(fetcher.fetch(app("team-b"), used), /authentication failed/);
  await assert.rejects(fetcher.fetch(app("team-b"), { commitMetadata: false, appDetails: true }), /cannot read the app details.*authentication failed/);
  assert.ok(calls.length > 0 && calls.every((c) => c.startsWith("shared")), `team-b's app was read through its own access only: ${calls.join(", ")}`);
  // team-a's kept answer still serves team-a without asking again.
  calls.length = 0;
  assert.equal((await fetcher.fetch(app("team-a"), { commitMetadata: false, appDetails: true })).appDetails?.type, "Directory");
  assert.deepEqual(calls.filter((c) => c.endsWith("checkout")), [], "served from what team-a's reader kept");
});
