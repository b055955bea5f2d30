// Project-scoped repository Secrets in the controllers, attacked through the running operator on
// the real control plane with a git server that demands a password. Project team-a's Secret holds
// the password; team-b has a scoped Secret of its own for another repository (so it has a git
// cache of its own), and the default project has none. team-a's app syncs; apps of team-b and
// default on the same URL, even pinned to the very commit team-a's clone holds, fail with a
// condition naming the repository, and the git server never sees team-a's user on their behalf.
// The ApplicationSet git generator uses team-a's Secret only for a set whose template names
// team-a literally; a templated project, or team-b, reads git with unscoped Secrets only; a set
// naming a project that does not exist is refused before its generator reads git, though a
// leftover Secret scoped to that name holds working credentials.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../operator/kube/client.js";
import { API, IN_CLUSTER, createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";

const TEAM_A_PASSWORD = "team-a-git-password-do-not-leak-3";
const TEAM_B_PASSWORD = "team-b-other-repo-password-do-not-leak-4";
const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;

interface Condition { type: string; status?: string; message?: string }
interface AppStatus { sync?: { status?: string; revision?: string }; conditions?: Condition[] }

test("controllers: a project-scoped repository Secret serves its project's apps and ApplicationSets only", async (t) => {
  let url = "";
  let commit = "";
  const w = await createWorld(t, {
    name: "scopedctl",
    beforeOperator: async (w) => {
      commit = await w.git.createRepo("private", { "app/cm.yaml": cm("scoped-cm"), "envs/one/cm.yaml": cm("env-one"), "envs/two/cm.yaml": cm("env-two") }, { auth: { username: "alice", password: TEAM_A_PASSWORD } });
      await w.git.createRepo("other", { "app/cm.yaml": cm("other-cm") }, { auth: { username: "bob", password: TEAM_B_PASSWORD } });
      url = w.git.baseUrl("private");
      for (const name of ["team-a", "team-b"]) {
        await w.client.create({ apiVersion: API, kind: "AppProject", metadata: { name, namespace: w.ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
      }
      const secret = (name: string, data: Record<string, string>) => w.client.create({
        apiVersion: "v1", kind: "Secret", metadata: { name, namespace: w.ns, labels: { "argocd.argoproj.io/secret-type": "repository" } }, stringData: data,
      });
      await secret("repo-team-a", { url, project: "team-a", username: "alice", password: TEAM_A_PASSWORD });
      await secret("repo-team-b", { url: w.git.baseUrl("other"), project: "team-b", username: "bob", password: TEAM_B_PASSWORD });
      // Left behind by a project that is gone (or was never created): it must serve nobody.
      await secret("repo-team-gone", { url, project: "team-gone", username: "alice", password: TEAM_A_PASSWORD });
    },
  });
  const { client, ns, git } = w;
  const app = (name: string, project: string, dest: string, targetRevision = "HEAD"): KubeObject => ({
    apiVersion: API, kind: "Application", metadata: { name, namespace: ns },
    spec: { project, source: { repoURL: url, path: "app", targetRevision }, destination: { server: IN_CLUSTER, namespace: dest }, syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] } },
  });
  /** Waits until no request for the private repository arrived for 3 s (a follow-up refresh in flight). */
  const quiet = async (): Promise<void> => {
    let seen = -1;
    await eventually(async () => {
      const n = git.requests.filter((q) => q.repo === "private").length;
      const was = seen;
      seen = n;
      await new Promise((r) => setTimeout(r, 3_000));
      assert.equal(git.requests.filter((q) => q.repo === "private").length, n, `requests still arriving (${was} → ${n})`);
    }, { timeoutMs: 60_000 });
  };
  const statuses: string[] = [];
  const status = async (name: string): Promise<AppStatus | undefined> => {
    const s = await w.status<AppStatus>(name);
    statuses.push(JSON.stringify(s ?? {}));
    return s;
  };

  await t.test("team-a's app syncs with team-a's Secret", async () => {
    const dest = w.dest("team-a");
    await client.create(app("a-app", "team-a", dest));
    await eventually(async () => {
      const s = await status("a-app");
      assert.equal(s?.sync?.status, "Synced", JSON.stringify(s));
      assert.ok(await client.get("v1", "ConfigMap", "scoped-cm", dest), "the private repository's ConfigMap was applied");
    }, { timeoutMs: 90_000 });
    assert.ok(git.requests.some((q) => q.repo === "private" && q.user === "alice"), "the git server accepted team-a's credentials");
    // Its clone stays in team-a's cache; the app goes, so none of its own requests come after this.
    await client.delete({ apiVersion: API, kind: "Application", name: "a-app", namespace: ns });
    await eventually(async () => assert.equal(await w.getApp("a-app"), undefined), { timeoutMs: 30_000 });
    await quiet();
  });

  await t.test("apps of team-b and of default on the same URL never get team-a's credentials, nor its clone", async () => {
    const mark = git.requests.length;
    const targets: Array<[string, string, string]> = [
      ["b-app", "team-b", "HEAD"],
      // Pinned to the commit team-a's clone already holds: a shared clone would answer without asking git.
      ["b-sha", "team-b", commit],
      ["d-app", "default", "HEAD"],
      ["d-sha", "default", commit],
    ];
    const dests: Record<string, string> = {};
    for (const [name, project, rev] of targets) {
      dests[name] = w.dest(name);
      await client.create(app(name, project, dests[name], rev));
    }
    for (const [name] of targets) {
      await eventually(async () => {
        const s = await status(name);
        const err = s?.conditions?.find((c) => c.type === "ComparisonError");
        assert.ok(err, `${name} shows a ComparisonError: ${JSON.stringify(s)}`);
        assert.ok(err.message?.includes(url), `${name}'s condition names the repository: ${err.message}`);
        assert.notEqual(s?.sync?.status, "Synced", `${name} is not Synced`);
      }, { timeoutMs: 60_000 });
      assert.equal(await client.get("v1", "ConfigMap", "scoped-cm", dests[name]), undefined, `nothing of the private repository reached ${name}'s destination`);
    }
    const after = git.requests.slice(mark).filter((q) => q.repo === "private");
    assert.ok(after.length > 0, "the operator did ask the git server for them (the failures are the git server's)");
    assert.deepEqual(after.filter((q) => q.user === "alice"), [], "team-a's credentials were never sent for another project's app");
    assert.deepEqual(after.filter((q) => q.status !== 401), [], "every request for them was refused by the git server");
  });

  await t.test("ApplicationSet git generator: team-a's Secret only for a set whose template names team-a literally", async () => {
    const set = (name: string, project: string): KubeObject => ({
      apiVersion: API, kind: "ApplicationSet", metadata: { name, namespace: ns },
      spec: {
        goTemplate: true,
        generators: [{ git: { repoURL: url, revision: "HEAD", directories: [{ path: "envs/*" }] } }],
        template: {
          metadata: { name: `${name}-{{ .path.basename }}` },
          spec: { project, source: { repoURL: url, path: "{{ .path.path }}", targetRevision: "HEAD" }, destination: { server: IN_CLUSTER, namespace: ns } },
        },
      },
    });
    const owned = async (name: string): Promise<string[]> => (await client.list(API, "Application", { namespace: ns })).items
      .filter((a) => a.metadata.ownerReferences?.some((o) => o.kind === "ApplicationSet" && o.name === name)).map((a) => a.metadata.name ?? "").sort();
    const mark = git.requests.length;
    // A templated project that would render to team-a; and team-b by name.
    await client.create(set("templated", "{{ if true }}team-a{{ end }}"));
    await client.create(set("plain-b", "team-b"));
    for (const name of ["templated", "plain-b"]) {
      await eventually(async () => {
        const s = await client.get(API, "ApplicationSet", name, ns);
        const conditions = ((s?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []);
        const err = conditions.find((c) => c.type === "ErrorOccurred" && c.status === "True");
        assert.ok(err, `${name} reports the generator's error: ${JSON.stringify(conditions)}`);
        assert.ok(err.message?.includes(url), `the error names the repository: ${err.message}`);
        statuses.push(JSON.stringify(s?.status ?? {}));
      }, { timeoutMs: 60_000 });
      assert.deepEqual(await owned(name), [], `${name} generated nothing`);
    }
    const after = git.requests.slice(mark).filter((q) => q.repo === "private");
    assert.ok(after.length > 0, "the generators did ask the git server");
    assert.deepEqual(after.filter((q) => q.user === "alice"), [], "team-a's credentials were never sent for them");

    // A set naming a project that does not exist, whose leftover Secret holds working credentials:
    // refused before its generator reads git (Argo's git generator: "error getting project").
    const markGone = git.requests.length;
    await client.create(set("plain-gone", "team-gone"));
    await eventually(async () => {
      const s = await client.get(API, "ApplicationSet", "plain-gone", ns);
      const err = ((s?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === "ErrorOccurred" && c.status === "True");
      assert.match(err?.message ?? "", /application references project team-gone which does not exist/, JSON.stringify(s?.status));
      statuses.push(JSON.stringify(s?.status ?? {}));
    }, { timeoutMs: 60_000 });
    assert.deepEqual(await owned("plain-gone"), []);
    assert.deepEqual(git.requests.slice(markGone).filter((q) => q.user === "alice"), [], "the gone project's credentials were never sent");

    // And the same set naming team-a literally generates from the private repository.
    await client.create(set("plain-a", "team-a"));
    await eventually(async () => assert.deepEqual(await owned("plain-a"), ["plain-a-one", "plain-a-two"]), { timeoutMs: 60_000 });
  });

  assert.ok(!statuses.some((s) => s.includes(TEAM_A_PASSWORD) || s.includes(TEAM_B_PASSWORD)), "no status carries a password");
  assert.ok(!w.op.logs.some((l) => JSON.stringify(l).includes(TEAM_A_PASSWORD)), "no log line carries a password");
});
